"""OpenAI-compatible HTTP surface: ``POST /v1/chat/completions``, ``GET /v1/models``,
``GET /healthz``.

Any chat front end that speaks the OpenAI API (the official client, Open WebUI, a plain
``requests.post``) sends a message with text and ``image_url`` parts and gets the answer
JSON as the reply's content; the plan and the planner's reasoning come as
``reasoning_content`` (streamed as deltas with ``stream: true``). Images must be data URIs
(or http(s) when allowed): a chat client must never make the server read its own files.
Bad requests get a 4xx with a message, never a 500.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from langchain_core.messages import HumanMessage
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from graph.context import Context

MODEL_ID = "vlcrew"
MAX_BODY_BYTES = 25 * 1024 * 1024


class BadRequest(Exception):
    """A client error: HTTP status, OpenAI error type and a message."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error",
                 code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.code = status, kind, code


def _error(exc: BadRequest) -> JSONResponse:
    return JSONResponse({"error": {"message": str(exc), "type": exc.kind, "param": None,
                                   "code": exc.code}}, status_code=exc.status)


def _image_url(part: dict[str, Any], allow_http: bool) -> str:
    url = part.get("image_url")
    url = url.get("url") if isinstance(url, dict) else url
    if not isinstance(url, str) or not url:
        raise BadRequest(400, "image_url part without a url")
    if url.startswith("data:"):
        return url
    if url.startswith(("http://", "https://")):
        if allow_http:
            return url
        raise BadRequest(400, "http(s) image URLs are disabled on this server; send a data URI")
    raise BadRequest(400, f"image URL scheme not allowed: {url[:40]!r} (send a data URI)")


def to_human_message(body: dict[str, Any], allow_http: bool) -> HumanMessage:
    """The last user message, with only safe image sources, as a LangChain message."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest(400, "messages must be a non-empty list")
    user = next((m for m in reversed(messages) if isinstance(m, dict)
                 and m.get("role") == "user"), None)
    if user is None:
        raise BadRequest(400, "no user message")
    content = user.get("content")
    parts: list[str | dict[Any, Any]] = []
    if isinstance(content, str):
        parts.append({"type": "text", "text": content})
    elif isinstance(content, list):
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                parts.append({"type": "text", "text": str(part.get("text", ""))})
            elif kind == "image_url":
                parts.append({"type": "image_url",
                              "image_url": {"url": _image_url(part, allow_http)}})
            else:
                raise BadRequest(400, f"unsupported content part type: {kind!r}")
    else:
        raise BadRequest(400, "user content must be a string or a list of parts")
    if not any(isinstance(p, dict) and p.get("type") == "image_url" for p in parts):
        raise BadRequest(400, "no image: add an image_url part with the screenshot")
    return HumanMessage(content=parts)


async def _read_body(request: Request) -> dict[str, Any]:
    size = int(request.headers.get("content-length") or 0)
    if size > MAX_BODY_BYTES:
        raise BadRequest(413, f"request body too large: {size} bytes, limit {MAX_BODY_BYTES}")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(413, f"request body too large, limit {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(400, f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "body must be a JSON object")
    model = body.get("model")
    if model != MODEL_ID:
        raise BadRequest(404, f"unknown model {model!r}; this server serves {MODEL_ID!r}",
                         kind="invalid_request_error", code="model_not_found")
    return body


def _reasoning_line(node: str, update: dict[str, Any]) -> str:
    """What a chat UI shows while the graph works: the plan, reasoning, step outcomes."""
    lines = [*update.get("reasoning", [])]
    if node == "planner" and update.get("plan"):
        lines.append("plan: " + ", ".join(f"{s.id} {s.agent}" for s in update["plan"].steps))
    for step_id, report in (update.get("step_reports") or {}).items():
        lines.append(f"{step_id} {node}: {report.status} ({report.seconds:.1f} s)")
    return "".join(f"{line}\n" for line in lines)


def _final(answer: Any) -> str:
    """The answer JSON; a bad image the graph refused is the client's error (400)."""
    if answer is None:
        raise BadRequest(500, "the graph ended without an answer", kind="server_error")
    fatal = [e for e in answer.errors if e.fatal]
    if fatal and fatal[0].kind == "bad_input":
        raise BadRequest(400, fatal[0].message)
    return json.dumps(answer.model_dump(mode="json"), ensure_ascii=False)


def build_app(graph: Any, context: Context | None = None) -> Starlette:
    """The ASGI app over ``graph`` (the CLI's ``vlcrew serve`` and tests use it)."""
    ctx = context or Context()

    async def run(message: HumanMessage) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        async for chunk in graph.astream({"messages": [message]}, context=ctx,
                                         stream_mode="updates"):
            for node, update in chunk.items():
                if isinstance(update, dict):
                    yield node, update

    async def chat(request: Request) -> Response:
        try:
            body = await _read_body(request)
            message = to_human_message(body, ctx.allow_http_images)
        except BadRequest as exc:
            return _error(exc)
        rid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        head = {"id": rid, "created": created, "model": MODEL_ID}
        if not body.get("stream"):
            reasoning, answer = [], None
            async for node, update in run(message):
                reasoning.append(_reasoning_line(node, update))
                answer = update.get("answer", answer)
            try:
                content = _final(answer)
            except BadRequest as exc:
                return _error(exc)
            return JSONResponse({**head, "object": "chat.completion", "choices": [{
                "index": 0, "finish_reason": "stop", "message": {
                    "role": "assistant", "content": content,
                    "reasoning_content": "".join(reasoning)}}]})

        async def events() -> AsyncIterator[str]:
            def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
                return "data: " + json.dumps({**head, "object": "chat.completion.chunk",
                                              "choices": [{"index": 0, "delta": delta,
                                                           "finish_reason": finish}]},
                                             ensure_ascii=False) + "\n\n"

            yield chunk({"role": "assistant", "content": ""})
            answer = None
            async for node, update in run(message):
                text = _reasoning_line(node, update)
                if text:
                    yield chunk({"reasoning_content": text})
                answer = update.get("answer", answer)
            try:
                content = _final(answer)
            except BadRequest as exc:
                content = json.dumps({"error": str(exc)}, ensure_ascii=False)
            yield chunk({"content": content})
            yield chunk({}, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [
            {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "vlcrew"}]})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ])
