"""Reading a JSON object from an HTTP request within a size limit (both HTTP surfaces).

A declared Content-Length over the limit is refused before reading; a chunked body has no
length, so it is counted as it arrives and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request


class BodyError(Exception):
    """A body that cannot be used: the HTTP status and a message for the client."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code


async def read_json_object(request: Request, max_bytes: int, *, allow_empty: bool = False
                           ) -> dict[str, Any]:
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
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BodyError(400, f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BodyError(400, "body must be a JSON object")
    return body
