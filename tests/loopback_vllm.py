"""A loopback stand-in for vLLM's OpenAI-compatible server, for tests of the client side.

Real HTTP on 127.0.0.1 (stdlib ``http.server`` in a thread, free port), speaking the parts
of vLLM 0.32's protocol the client uses: ``GET /v1/models`` and ``POST /v1/chat/completions``
(JSON or SSE streaming). Replies are scripted (:class:`Reply`): from a queue
(``server.push(...)``) first, else from ``server.responder(request_body)``, else a default.
Every chat request body is recorded in ``server.requests`` so tests can assert what the
client SENT (image parts and sizes, sampling settings, ``response_format``, …).

Shapes a reply can take, as vLLM produces them:
- reasoning in ``message.reasoning`` (vLLM >= 0.15) or ``message.reasoning_content`` (older),
  or inline before ``</think>`` in ``content`` (no reasoning parser);
- ``content: null`` with only reasoning (thinking never ended);
- JSON content (structured output), including 0–1000 ``bbox_2d`` boxes;
- HTTP errors (``{"error": {"message", "type", "param", "code"}}``), a delay, a malformed body;
- ``usage`` with ``completion_tokens_details.reasoning_tokens``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_DATA_URI = re.compile(r"^data:[\w/+.-]*;base64,(?P<data>.*)$", re.S)


@dataclass
class Reply:
    """One scripted answer to a chat-completions request."""

    content: str | None = "ok"
    """``message.content``; None sends ``"content": null``."""
    reasoning: str | None = None
    """Sent as ``message.reasoning`` / ``delta.reasoning`` (vLLM >= 0.15)."""
    reasoning_content: str | None = None
    """Sent as ``message.reasoning_content`` / ``delta.reasoning_content`` (older vLLM)."""
    finish_reason: str = "stop"
    status: int = 200
    """HTTP status; anything but 200 sends vLLM's error body with ``error`` as message."""
    error: str = "Internal server error"
    delay: float = 0.0
    """Seconds to wait before answering (to test timeouts)."""
    usage: dict[str, Any] | None = None
    """``usage`` as sent; None computes one (reasoning tokens counted separately)."""
    content_chunks: list[str] | None = None
    """Streaming: exact content pieces (default: 3-character pieces)."""
    reasoning_chunks: list[str] | None = None
    """Streaming: exact reasoning pieces (default: 3-character pieces)."""
    raw_body: bytes | None = None
    """Send these bytes as the (200) response body instead of a completion."""

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        """Structured-output content: ``obj`` as compact JSON."""
        return cls(content=json.dumps(obj, ensure_ascii=False, separators=(",", ":")), **kw)

    @classmethod
    def boxes(cls, n: int, *, seed: int = 0, label: str = "field", **kw: Any) -> Reply:
        """``n`` Qwen3-VL grounding items (``bbox_2d`` relative 0–1000) as JSON content."""
        rng = random.Random(seed)
        items = []
        for i in range(n):
            x1, y1 = rng.randint(0, 900), rng.randint(0, 900)
            x2, y2 = rng.randint(x1 + 1, 1000), rng.randint(y1 + 1, 1000)
            items.append({"bbox_2d": [x1, y1, x2, y2], "label": f"{label} {i}"})
        return cls.json({"elements": items}, **kw)


def _pieces(text: str, size: int = 3) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def _tokens(text: str | None) -> int:
    return len(text or "") // 4 + (1 if text else 0)


def text_parts(request: dict[str, Any]) -> list[str]:
    """Every text part of every message of a recorded request, in order."""
    out: list[str] = []
    for message in request.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(p.get("text", "") for p in content if p.get("type") == "text")
    return out


def last_text(request: dict[str, Any]) -> str:
    """The last text part of a request (what a responder usually keys on)."""
    parts = text_parts(request)
    return parts[-1] if parts else ""


def image_urls(request: dict[str, Any]) -> list[str]:
    """The ``image_url`` URLs of a request, in order."""
    urls: list[str] = []
    for message in request.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            urls.extend(p["image_url"]["url"] for p in content if p.get("type") == "image_url")
    return urls


def image_sizes(request: dict[str, Any]) -> list[tuple[int, int]]:
    """Pixel size of every data-URI image in a request (decoded, as the server sees it)."""
    from PIL import Image

    sizes = []
    for url in image_urls(request):
        match = _DATA_URI.match(url)
        if match is None:
            raise ValueError(f"not a base64 data URI: {url[:40]}…")
        with Image.open(io.BytesIO(base64.b64decode(match["data"]))) as img:
            sizes.append(img.size)
    return sizes


def part_types(request: dict[str, Any]) -> list[list[str]]:
    """Per message, the types of its content parts (``["text"]`` for a plain string)."""
    out = []
    for message in request.get("messages", []):
        content = message.get("content")
        out.append([p.get("type", "?") for p in content] if isinstance(content, list)
                   else ["text"])
    return out


@dataclass
class LoopbackVLLM:
    """The loopback server. Use as a context manager; ``base_url`` ends in ``/v1``."""

    responder: Callable[[dict[str, Any]], Reply] | None = None
    model: str = "loopback-qwen3-vl"
    max_images: int | None = None
    """Like ``--limit-mm-per-prompt``: more images than this → HTTP 400 as vLLM says it."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    """Bodies of every chat-completions request received, in arrival order."""
    hits: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every request received."""

    def __post_init__(self) -> None:
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ----------------------------------------------------------------------
    def push(self, *replies: Reply) -> LoopbackVLLM:
        """Queue replies; each chat request takes the next one (before ``responder``)."""
        with self._lock:
            self._queue.extend(replies)
        return self

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(body)
        return Reply()

    # -- life cycle ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LoopbackVLLM:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # wakes delayed replies
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackVLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what a reply looks like on the wire --------------------------------------------
    def _usage(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        if reply.usage is not None:
            return reply.usage
        prompt = sum(len(t) for t in text_parts(body)) // 4 + 64 * len(image_urls(body))
        reasoning = _tokens(reply.reasoning) + _tokens(reply.reasoning_content)
        completion = reasoning + _tokens(reply.content)
        return {"prompt_tokens": prompt, "completion_tokens": completion,
                "total_tokens": prompt + completion, "prompt_tokens_details": None,
                "completion_tokens_details": {"reasoning_tokens": reasoning}}

    def completion(self, body: dict[str, Any], reply: Reply, rid: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content,
                                   "refusal": None, "tool_calls": []}
        if reply.reasoning is not None:
            message["reasoning"] = reply.reasoning
        if reply.reasoning_content is not None:
            message["reasoning_content"] = reply.reasoning_content
        return {"id": rid, "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", self.model),
                "choices": [{"index": 0, "message": message, "logprobs": None,
                             "finish_reason": reply.finish_reason, "stop_reason": None}],
                "usage": self._usage(body, reply)}

    def stream_events(self, body: dict[str, Any], reply: Reply, rid: str) -> list[dict[str, Any]]:
        base = {"id": rid, "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body.get("model", self.model)}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                         "finish_reason": finish}]}

        events = [chunk({"role": "assistant", "content": ""})]
        for key in ("reasoning", "reasoning_content"):
            text = getattr(reply, key)
            if text:
                events += [chunk({key: p}) for p in (reply.reasoning_chunks or _pieces(text))]
        if reply.content:
            events += [chunk({"content": p}) for p in (reply.content_chunks or _pieces(reply.content))]
        events.append(chunk({}, reply.finish_reason))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**base, "choices": [], "usage": self._usage(body, reply)})
        return events


class _Handler(BaseHTTPRequestHandler):
    owner: LoopbackVLLM
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _send_json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self._send_bytes(status, data)

    def _send_bytes(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        kind = {400: "BadRequestError", 404: "NotFoundError"}.get(status, "InternalServerError")
        self._send_json(status, {"error": {"message": message, "type": kind, "param": None,
                                           "code": status}})

    def do_GET(self) -> None:
        owner = self.owner
        with owner._lock:
            owner.hits.append(("GET", self.path))
        if self.path.rstrip("/") == "/v1/models":
            self._send_json(200, {"object": "list", "data": [
                {"id": owner.model, "object": "model", "created": int(time.time()),
                 "owned_by": "vllm", "root": owner.model, "max_model_len": 4096}]})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        with owner._lock:
            owner.hits.append(("POST", self.path))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._error(404, f"no route {self.path}")
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as exc:
            self._error(400, f"invalid JSON body: {exc}")
            return
        with owner._lock:
            owner.requests.append(body)
        n_images = len(image_urls(body))
        if owner.max_images is not None and n_images > owner.max_images:
            self._error(400, f"At most {owner.max_images} image(s) may be provided in one "
                             "prompt.")
            return
        reply = owner._next_reply(body)
        if reply.delay and owner._closing.wait(reply.delay):
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(body, reply)  # the client may have given up (timeout test)

    def _answer(self, body: dict[str, Any], reply: Reply) -> None:
        owner = self.owner
        rid = f"chatcmpl-loopback-{len(owner.requests)}"
        if reply.status != 200:
            self._error(reply.status, reply.error)
            return
        if reply.raw_body is not None:
            self._send_bytes(200, reply.raw_body)
            return
        if not body.get("stream"):
            self._send_json(200, owner.completion(body, reply, rid))
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True  # the stream ends when the connection does
        for event in owner.stream_events(body, reply, rid):
            self.wfile.write(b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
