"""OpenAI-compatible HTTP surface: ``POST /v1/chat/completions``, ``GET /v1/models``,
``GET /v1/models/{id}``, ``GET /healthz``.

Any chat front end that speaks the OpenAI API (the official client, Open WebUI, a plain
``requests.post``) sends the conversation — text and ``image_url`` parts — and gets the
answer JSON as the reply's content; the plan and the planner's reasoning come as
``reasoning_content`` (streamed as deltas with ``stream: true``).

The whole ``messages`` list goes to the graph as LangChain messages (system → SystemMessage,
user → HumanMessage with its text and images, assistant → AIMessage with its text), because
chat UIs resend the conversation on every turn: a follow-up ("change the phone to 139…")
whose screenshot sits in an earlier message still works.

Image sources a client may use (:class:`ImagePolicy`, from the run's ``Context``):
- ``data:`` URIs (base64), always;
- ``http(s)://`` only when ``allow_http_images``;
- ``file://`` URLs and bare paths only when the real path (symlinks and ``..`` resolved)
  lies inside one of the ``image_dirs`` folders; none by default, since a chat client must
  never make the server read its own files (``file:///etc/passwd`` is a 400).

Every image is decoded (in a worker thread) before the graph runs, so a corrupt or
oversized image is a 400 even when streaming. Limits: ``MAX_IMAGES`` per request,
``MAX_BODY_BYTES`` per body and the text caps of :mod:`server.http_body` (413), the servers'
pixel cap (``SERVER_MAX_PIXELS``, 400), and :mod:`server.run_limits` (runs at once: 429 with
Retry-After; a run's time budget: 504). Every error has OpenAI's shape
``{"error": {"message", "type", "param", "code"}}``; bad requests are 4xx, never 500.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.types import Overwrite
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from agents.context import Context
from server.answer_view import public_answer
from server.http_body import (
    MAX_BODY_BYTES,
    MAX_CONVERSATION_CHARS,
    MAX_USER_CHARS,
    BodyError,
    check_length,
    read_json_object,
)
from server.run_limits import (
    RETRY_AFTER,
    ReleasingStream,
    RunLimits,
    budget_message,
    busy_message,
    with_server_caps,
    within,
)
from tools.common.images import SERVER_MAX_PIXELS, ImageError, load_image
from tools.common.safe_fetch import FetchRefused, checked_address

log = logging.getLogger(__name__)

MODEL_ID = "vlcrew"
MAX_IMAGES = 8
"""Images per request, over the whole conversation (each is decoded and looked at)."""


class BadRequest(Exception):
    """A client error: HTTP status, OpenAI error type, the offending parameter, a message."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.code, self.param = status, kind, code, param

    def body(self) -> dict[str, Any]:
        return {"error": {"message": str(self), "type": self.kind, "param": self.param,
                          "code": self.code}}


def _error(exc: BadRequest) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status)


# --------------------------------------------------------------------------------------
# Image sources
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImagePolicy:
    """Which image sources this server accepts."""

    allow_http: bool = False
    dirs: tuple[str, ...] = ()
    """Real paths of the folders local images may come from (empty: none)."""
    max_images: int = MAX_IMAGES

    @classmethod
    def from_context(cls, ctx: Context) -> ImagePolicy:
        dirs = tuple(os.path.realpath(d.strip()) for d in ctx.image_dirs.split(os.pathsep)
                     if d.strip())
        return cls(allow_http=ctx.allow_http_images, dirs=dirs)

    def local_path(self, url: str, param: str) -> str:
        """The real path of a ``file://`` URL or bare path, if it lies in an allowed folder."""
        shown = url if len(url) <= 80 else url[:77] + "..."
        if url.startswith("file:"):
            parsed = urlparse(url)
            if parsed.netloc not in ("", "localhost"):
                raise BadRequest(400, f"file URL must name a local file (file:///path): "
                                      f"{shown!r}", param=param)
            raw = unquote(parsed.path)
        else:
            raw = url
        if not self.dirs:
            raise BadRequest(400, f"local image files are not allowed on this server: {shown!r}"
                                  " (send a data URI; the operator may allow folders with "
                                  "image_dirs)", param=param)
        if not raw or "\0" in raw:
            raise BadRequest(400, f"not a usable file path: {shown!r}", param=param)
        # realpath resolves every symlink and '..', so a link inside an allowed folder that
        # points outside it is judged by where it really leads.
        real = os.path.realpath(raw)
        if not any(real == d or real.startswith(d.rstrip(os.sep) + os.sep) for d in self.dirs):
            raise BadRequest(400, f"image file is outside the folders this server may read: "
                                  f"{shown!r}", param=param)
        if not os.path.isfile(real):
            raise BadRequest(400, f"image file not found: {shown!r}", param=param)
        return real

    def source(self, url: str, param: str) -> str:
        """The image source to hand to the graph, or a 400 saying why it is refused."""
        if url.startswith("data:"):
            return url
        scheme = urlparse(url).scheme.lower()
        if scheme in ("http", "https"):
            if self.allow_http:
                return url
            raise BadRequest(400, "http(s) image URLs are disabled on this server; send a "
                                  "data URI", param=param)
        if scheme in ("", "file"):
            return self.local_path(url, param)
        raise BadRequest(400, f"image URL scheme not allowed: {url[:40]!r} (send a data URI)",
                         param=param)


def check_images(sources: list[tuple[str, str]], max_pixels: int = SERVER_MAX_PIXELS) -> None:
    """Decode every image (data URI or allowed file): a bad one is a 400 before the run.

    http(s) images are left to the graph, which downloads them once, with its own limits;
    here only their address is checked (the same 400 for any refused or internal one).
    """
    for param, src in sources:
        if src.startswith(("http://", "https://")):
            try:
                checked_address(src)
            except FetchRefused as exc:
                raise BadRequest(400, str(exc), param=param) from None
            continue
        try:
            load_image(src, max_pixels=max_pixels)
        except ImageError as exc:
            raise BadRequest(400, f"bad image: {exc}", param=param) from None


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------


def _text_only(content: Any, param: str, role: str, kinds: tuple[str, ...] = ("text",)) -> str:
    """The text of a system/assistant message (a string, parts, or null)."""
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        raise BadRequest(400, f"{role} content must be a string or a list of parts",
                         param=param)
    texts = []
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in kinds:
            raise BadRequest(400, f"{role} messages may carry text only, not {kind!r}",
                             param=f"{param}[{i}]")
        texts.append(str(part.get(kind) or ""))
    return "\n".join(texts)


def _user_parts(content: Any, param: str, policy: ImagePolicy,
                sources: list[tuple[str, str]]) -> list[str | dict[Any, Any]]:
    """A user message's parts, images checked against ``policy`` and listed in ``sources``."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise BadRequest(400, "user content must be a string or a list of parts", param=param)
    parts: list[str | dict[Any, Any]] = []
    for i, part in enumerate(content):
        where = f"{param}[{i}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            parts.append({"type": "text", "text": str(part.get("text") or "")})
        elif kind == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            if not isinstance(url, str) or not url:
                raise BadRequest(400, "image_url part without a url", param=where)
            if len(sources) >= policy.max_images:
                raise BadRequest(400, f"too many images: at most {policy.max_images} per "
                                      "request", param=where)
            src = policy.source(url, f"{where}.image_url")
            sources.append((f"{where}.image_url", src))
            parts.append({"type": "image_url", "image_url": {"url": src}})
        else:
            raise BadRequest(400, f"unsupported content part type: {kind!r}", param=where)
    return parts


def _has_text(parts: list[str | dict[Any, Any]]) -> bool:
    return any(isinstance(p, dict) and p.get("type") == "text" and str(p["text"]).strip()
               for p in parts)


def to_messages(body: dict[str, Any], policy: ImagePolicy
                ) -> tuple[list[BaseMessage], list[tuple[str, str]]]:
    """The whole conversation as LangChain messages, and every image source (param, source).

    Raises :class:`BadRequest` for anything the graph could not use: no messages, an
    unknown role, a refused image source, too many images, no image at all, or a last
    message that is not the user's request.
    """
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest(400, "messages must be a non-empty list", param="messages")
    out: list[BaseMessage] = []
    sources: list[tuple[str, str]] = []
    said, total = 0, 0  # characters the user wrote, characters in all
    for n, msg in enumerate(messages):
        param = f"messages[{n}]"
        if not isinstance(msg, dict):
            raise BadRequest(400, "each message must be an object", param=param)
        role, content = msg.get("role"), msg.get("content")
        size = _capped_text(content, f"{param}.content", role == "user", said, total)
        said, total = said + size * (role == "user"), total + size
        if role in ("system", "developer"):
            out.append(SystemMessage(content=_text_only(content, f"{param}.content", role)))
        elif role == "user":
            out.append(HumanMessage(content=_user_parts(content, f"{param}.content", policy,
                                                        sources)))
        elif role == "assistant":
            # Our own earlier answers come back as history: keep their text for the graph.
            out.append(AIMessage(content=_text_only(content, f"{param}.content", role,
                                                    ("text", "refusal"))))
        else:
            raise BadRequest(400, f"unsupported message role: {role!r} (system, user and "
                                  "assistant are understood)", param=f"{param}.role")
    last = out[-1]
    if not isinstance(last, HumanMessage):
        raise BadRequest(400, "the last message must be the user's request",
                         param=f"messages[{len(out) - 1}].role")
    if not sources:
        raise BadRequest(400, "no image: add an image_url part with the screenshot",
                         param="messages")
    if not _has_text(last.content if isinstance(last.content, list) else []):
        raise BadRequest(400, "empty request: say what to do (and give your data)",
                         param=f"messages[{len(out) - 1}].content")
    return out, sources


def _capped_text(content: Any, param: str, user: bool, said: int, total: int) -> int:
    """The characters of a message's text, checked against the caps (413 over them): the
    graph parses every user text for data, and its work grows with the length."""
    parts = content if isinstance(content, list) else [content]
    size = sum(len(p) if isinstance(p, str) else
               sum(len(str(p.get(k) or "")) for k in ("text", "refusal"))
               if isinstance(p, dict) else 0 for p in parts)
    try:
        if user:
            check_length(size, "message text")
            check_length(said + size, "text of the user's messages", MAX_USER_CHARS)
        check_length(total + size, "conversation text", MAX_CONVERSATION_CHARS)
    except BodyError as exc:
        raise BadRequest(exc.status, str(exc), code=exc.code, param=param) from None
    return size


def to_human_message(body: dict[str, Any], allow_http: bool) -> HumanMessage:
    """The last user message, sources checked (kept for callers of the earlier API)."""
    messages, _ = to_messages(body, ImagePolicy(allow_http=allow_http))
    last = messages[-1]
    assert isinstance(last, HumanMessage)
    return last


# --------------------------------------------------------------------------------------
# Requests and answers
# --------------------------------------------------------------------------------------


async def _read_body(request: Request) -> dict[str, Any]:
    try:
        body = await read_json_object(request, MAX_BODY_BYTES)
    except BodyError as exc:
        raise BadRequest(exc.status, str(exc), code=exc.code) from None
    model = body.get("model")
    if model != MODEL_ID:
        raise BadRequest(404, f"unknown model {model!r}; this server serves {MODEL_ID!r}",
                         code="model_not_found", param="model")
    if not isinstance(body.get("stream", False), bool):
        raise BadRequest(400, "stream must be true or false", param="stream")
    return body


def _plain(value: Any) -> Any:
    """A state update's value, without LangGraph's Overwrite wrapper (a graph that resets
    a reduced key streams it wrapped)."""
    return value.value if isinstance(value, Overwrite) else value


def _reasoning_line(node: str, update: dict[str, Any]) -> str:
    """What a chat UI shows while the graph works: the plan, reasoning, step outcomes."""
    lines = [*(_plain(update.get("reasoning")) or [])]
    plan = _plain(update.get("plan"))
    if node == "planner" and plan:
        lines.append("plan: " + ", ".join(f"{s.id} {s.agent}" for s in plan.steps))
    for step_id, report in (_plain(update.get("step_reports")) or {}).items():
        lines.append(f"{step_id} {node}: {report.status} ({report.seconds:.1f} s)")
    return "".join(f"{line}\n" for line in lines)


def _final(answer: Any) -> str:
    """The answer JSON; a bad input the graph refused is the client's error (400)."""
    if answer is None:
        raise BadRequest(500, "the graph ended without an answer", kind="server_error")
    fatal = [e for e in answer.errors if e.fatal]
    if fatal and fatal[0].kind == "bad_input":
        raise BadRequest(400, fatal[0].message)
    # Files by name: a stateless reply has no thread to serve them from, and the server's
    # paths are none of the client's business.
    return json.dumps(public_answer(answer), ensure_ascii=False)


def build_app(graph: Any, context: Context | None = None, limits: RunLimits | None = None
              ) -> Starlette:
    """The ASGI app over ``graph`` (the CLI's ``vlcrew serve`` and tests use it); ``limits``:
    the run slots and time budget it shares with the thread API."""
    ctx = with_server_caps(context or Context())
    slots = limits or RunLimits()
    if ctx.approve != "auto":
        # A stateless chat request has no thread to resume an approval interrupt on.
        log.warning("the OpenAI endpoint runs with approve=auto (was %r)", ctx.approve)
        ctx = dataclasses.replace(ctx, approve="auto")
    policy = ImagePolicy.from_context(ctx)

    async def run(messages: list[BaseMessage]) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """The graph's updates; a run over its time budget ends as a 504 ``BadRequest``."""
        try:
            async for chunk in within(graph.astream({"messages": messages}, context=ctx,
                                                    stream_mode="updates"), slots.seconds):
                for node, update in chunk.items():
                    if isinstance(update, dict):
                        yield node, update
        except TimeoutError:
            raise BadRequest(504, budget_message(slots.seconds), kind="server_error",
                             code="run_timeout") from None

    async def chat(request: Request) -> Response:
        try:
            body = await _read_body(request)
            messages, sources = to_messages(body, policy)
            # Decoding is CPU work: off the event loop, so other requests keep moving.
            await asyncio.to_thread(check_images, sources, ctx.max_image_pixels)
        except BadRequest as exc:
            return _error(exc)
        if not slots.try_take():
            busy = _error(BadRequest(429, busy_message(slots.max_runs), kind="rate_limit_error",
                                     code="server_busy"))
            busy.headers["Retry-After"] = RETRY_AFTER
            return busy
        rid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        head = {"id": rid, "created": created, "model": MODEL_ID}
        if not body.get("stream"):
            reasoning, answer = [], None
            try:
                async for node, update in run(messages):
                    reasoning.append(_reasoning_line(node, update))
                    answer = update.get("answer", answer)
                content = _final(answer)
            except BadRequest as exc:
                return _error(exc)
            finally:
                slots.give_back()
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
            try:
                async for node, update in run(messages):
                    text = _reasoning_line(node, update)
                    if text:
                        yield chunk({"reasoning_content": text})
                    answer = update.get("answer", answer)
                content = _final(answer)
            except BadRequest as exc:
                # Headers are gone: an error event, which the openai client raises as APIError.
                yield f"data: {json.dumps(exc.body(), ensure_ascii=False)}\n\n"
                yield "data: [DONE]\n\n"
                return
            except Exception as exc:
                log.exception("chat completion %s failed", rid)
                failed = BadRequest(500, f"internal error: {type(exc).__name__}",
                                    kind="server_error")
                yield f"data: {json.dumps(failed.body())}\n\n"
                yield "data: [DONE]\n\n"
                return
            yield chunk({"content": content})
            yield chunk({}, "stop")
            yield "data: [DONE]\n\n"

        return ReleasingStream(events(), slots.give_back, media_type="text/event-stream",
                               headers={"Cache-Control": "no-cache"})

    def model_card() -> dict[str, Any]:
        return {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "vlcrew"}

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [model_card()]})

    async def model(request: Request) -> Response:
        if request.path_params["model"] != MODEL_ID:
            return _error(BadRequest(404, f"unknown model {request.path_params['model']!r}",
                                     code="model_not_found", param="model"))
        return JSONResponse(model_card())

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def http_error(request: Request, exc: Exception) -> Response:
        # OpenAI's error shape under /v1 (clients parse it); other paths (the platform's
        # routes when mounted beside them) keep Starlette's plain answer.
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith("/v1/"):
            return _error(BadRequest(exc.status_code, str(exc.detail)))
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code,
                                 headers=exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(BadRequest(500, f"internal error: {type(exc).__name__}",
                                 kind="server_error"))

    return Starlette(routes=[
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/models/{model:path}", model, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ], exception_handlers={HTTPException: http_error, Exception: server_error})
