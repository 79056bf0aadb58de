"""Reading a JSON object from an HTTP request within limits (both HTTP surfaces).

A declared Content-Length over the limit is refused before reading; a chunked body has no
length, so it is counted as it arrives and refused as soon as it passes the limit. What the
JSON may hold is bounded too, so no body can make the parser raise anything but a
:class:`BodyError` (a 4xx): nesting deeper than ``MAX_DEPTH``, integers longer than
``MAX_INT_DIGITS`` digits (Python refuses to convert very long ones with a ValueError, and
converting long ones costs quadratic time), and NaN/Infinity (not JSON). A request text
longer than ``MAX_REQUEST_CHARS`` is a 413 (:func:`check_length`).
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from starlette.requests import Request

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Largest body: 8 images (the most a request may carry) of about 1.5 MB each — a 1920×1080
PNG screenshot is typically 0.3–1.5 MB — are about 16 MB once base64-encoded."""
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects; a chat request needs about 6."""
MAX_INT_DIGITS = 64
MAX_REQUEST_CHARS = 8000
"""Longest request text (one user message): every one is parsed for the user's data."""
MAX_USER_CHARS = 8 * MAX_REQUEST_CHARS
"""All the user messages of a chat history together."""
MAX_CONVERSATION_CHARS = 256_000
"""A whole chat history, our own answers (JSON, often several thousand characters) included."""


class BodyError(Exception):
    """A body that cannot be used: the HTTP status and a message for the client."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BodyError(400, f"number too long: {len(text)} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _no_constant(name: str) -> NoReturn:
    raise BodyError(400, f"body is not JSON: {name} is not a JSON value")


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iteratively: a deep value cannot blow the stack here)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                break
            todo.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict)
                                                 else item))
    return deepest


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON within the limits above, or a :class:`BodyError` (400)."""
    try:
        body = json.loads(raw, parse_int=_int, parse_constant=_no_constant)
    except RecursionError:
        raise BodyError(400, f"body nests too deeply (at most {MAX_DEPTH} levels)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BodyError(400, f"body is not JSON: {exc}") from None
    except ValueError as exc:  # any other conversion the parser refuses
        raise BodyError(400, f"body is not usable JSON: {str(exc)[:200]}") from None
    if _depth(body) > MAX_DEPTH:
        raise BodyError(400, f"body nests too deeply (at most {MAX_DEPTH} levels)")
    return body


def check_length(size: int, what: str = "request text", limit: int = MAX_REQUEST_CHARS
                 ) -> None:
    """A 413 for a text of ``size`` characters over ``limit`` (the parsers' work grows with
    it)."""
    if size > limit:
        raise BodyError(413, f"{what} too long: {size} characters, limit {limit}",
                        "request_too_large")


async def read_json_object(request: Request, max_bytes: int = MAX_BODY_BYTES, *,
                           allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object (``{}`` for an empty body when ``allow_empty``)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BodyError(400, f"bad Content-Length header: {declared[:20]!r}") from None
        if size > max_bytes:
            raise BodyError(413, f"request body too large: {size} bytes, limit {max_bytes}",
                            "request_too_large")
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > max_bytes:
            raise BodyError(413, f"request body too large, limit {max_bytes} bytes",
                            "request_too_large")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw and allow_empty:
        return {}
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise BodyError(400, "body must be a JSON object")
    return body
