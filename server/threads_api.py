"""Thread API for the web page and scripts: runs on persistent threads, streamed as SSE.

``POST /api/runs`` starts a turn (a new thread, or a follow-up with ``thread_id``);
``POST /api/threads/{id}/resume`` answers the approval interrupt; ``POST
/api/threads/{id}/continue`` finishes a run that died with the server (from its last
checkpoint: finished steps are not run again); ``GET /api/threads/{id}`` reads the thread;
images, files and the answer JSON of a thread are served by name, never by path.

Every streamed response is ``text/event-stream``: ``thread``, ``plan``, ``reasoning``,
``step``, ``approval``, ``answer``, ``message``, ``error`` and a closing ``end`` event whose
status is ``done``, ``interrupted`` or ``error``. One run at a time per thread (409 else).

What a caller may not do to a thread: lower its approval policy (once a turn ran with
``approve=ask``, later turns ask too), or go on with a browser thread (one ``vlcrew act``
made: it would drive the user's browser) unless the operator set
``VLCREW_API_BROWSER_THREADS=1`` (403 else). The thread's messages come back with secrets
masked; answers name files by URL, never by the server's path.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.types import Command
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from agents.context import Context
from server.answer_view import answer_files, public_answer
from server.http_body import MAX_BODY_BYTES, BodyError, check_length, read_json_object
from server.run_limits import (
    RETRY_AFTER,
    RUN_SECONDS,
    ReleasingStream,
    RunLimits,
    budget_message,
    busy_message,
    within,
)
from tools.common.images import SERVER_MAX_PIXELS, declared_pixels
from tools.common.masking import mask_text

log = logging.getLogger("vlcrew.server")

MAX_IMAGES = 8
# Run options a caller may set per thread; they are kept in the checkpoints' metadata so a
# resumed or continued run uses the same ones, even after a restart.
RUN_OPTIONS = ("approve", "backend")


class ApiError(Exception):
    """A client error with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


async def _json_body(request: Request) -> dict[str, Any]:
    return await read_json_object(request, MAX_BODY_BYTES, allow_empty=True)


def _options(body: dict[str, Any]) -> dict[str, str]:
    chosen = {k: str(body[k]) for k in RUN_OPTIONS if body.get(k)}
    try:
        Context(**chosen)  # type: ignore[arg-type]  # validates the values
    except (TypeError, ValueError) as exc:
        raise ApiError(400, str(exc)) from None
    return chosen


def _human_message(body: dict[str, Any]) -> HumanMessage:
    request = body.get("request")
    if not isinstance(request, str) or not request.strip():
        raise ApiError(400, "request must be a non-empty string: say what to do")
    check_length(len(request))
    images = body.get("images") or []
    if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
        raise ApiError(400, "images must be a list of data URIs")
    if len(images) > MAX_IMAGES:
        raise ApiError(400, f"too many images: {len(images)} (at most {MAX_IMAGES})")
    for image in images:
        if not image.startswith("data:image/"):
            raise ApiError(400, "images must be data URIs (data:image/...;base64,...)")
    return HumanMessage(content=[{"type": "text", "text": request.strip()}, *(
        {"type": "image_url", "image_url": {"url": url}} for url in images)])


def check_images(images: list[str], max_pixels: int = SERVER_MAX_PIXELS) -> None:
    """A 400 before the run for an image over the servers' pixel cap, read from its header
    (a broken image is left to the run, whose answer says what is wrong with it)."""
    for n, image in enumerate(images, start=1):
        pixels = declared_pixels(image)
        if pixels is not None and pixels > max_pixels:
            raise ApiError(400, f"image {n} too large: {pixels / 1e6:.0f} MP, limit "
                                f"{max_pixels / 1e6:.0f} MP")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class ThreadRunner:
    """Runs the graph on checkpointed threads and turns its streams into page events."""

    def __init__(self, graph: Any, context: Context, browser_threads: bool | None = None
                 ) -> None:
        self.graph = graph
        self.context = context
        self.busy: set[str] = set()
        # Off unless the operator says so: a browser thread drives the user's own Chromium.
        self.browser_threads = (_env_flag("VLCREW_API_BROWSER_THREADS")
                                if browser_threads is None else browser_threads)

    def config(self, thread_id: str, options: dict[str, str] | None = None) -> dict[str, Any]:
        config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
        if options is not None:
            # Checkpoint metadata keeps only flat scalars: one key per option.
            config["metadata"] = {f"vlcrew_{k}": v for k, v in options.items()}
        return config

    async def saved_options(self, thread_id: str) -> dict[str, str]:
        state = await self.graph.aget_state(self.config(thread_id))
        return options_in(state.metadata)

    def run_context(self, options: dict[str, str]) -> Context:
        known = {f.name for f in fields(Context)}
        # A copy, not dataclasses.replace: that would drop what the operator's code set
        # beside the fields (injected models, allowed start URLs).
        ctx = copy.copy(self.context)
        for k, v in options.items():
            if k in known:
                setattr(ctx, k, v)
        ctx.__post_init__()
        return ctx

    def check_may_go_on(self, state: Any) -> None:
        """Refuse to go on with a browser thread unless the operator allowed it."""
        if (state.values or {}).get("url") and not self.browser_threads:
            raise ApiError(403, "this is a browser thread (vlcrew act): the HTTP API may not "
                                "continue it; continue it with vlcrew act, or the operator "
                                "sets VLCREW_API_BROWSER_THREADS=1")

    async def state(self, thread_id: str) -> Any:
        state = await self.graph.aget_state(self.config(thread_id))
        if not state.values:
            raise ApiError(404, f"no thread {thread_id!r}")
        return state

    async def stream(self, thread_id: str, graph_input: Any, options: dict[str, str],
                     seconds: float | None = None) -> AsyncIterator[str]:
        """The run's events, within ``seconds``; the thread is released when it ends."""
        budget = RUN_SECONDS if seconds is None else seconds
        try:
            yield _sse("thread", {"thread_id": thread_id})
            async for mode, chunk in within(self.graph.astream(
                    graph_input, self.config(thread_id, options),
                    context=self.run_context(options), stream_mode=["updates", "custom"],
                    durability="sync"), budget):  # every finished step is on disk before the next
                for event, data in self._events(thread_id, mode, chunk):
                    yield _sse(event, data)
            state = await self.graph.aget_state(self.config(thread_id))
            yield _sse("end", {"status": "interrupted" if state.interrupts else "done"})
        except TimeoutError:  # stopped: what finished is checkpointed, /continue goes on
            yield _sse("error", {"message": budget_message(budget)})
            yield _sse("end", {"status": "error"})
        except Exception as exc:  # the run broke: say so on the stream, keep the thread
            log.exception("run on thread %s failed", thread_id)
            yield _sse("error", {"message": f"{type(exc).__name__}: {exc}"})
            yield _sse("end", {"status": "error"})
        finally:
            self.busy.discard(thread_id)

    def _events(self, thread_id: str, mode: str, chunk: Any) -> list[tuple[str, Any]]:
        if mode == "custom":
            return [("step", chunk)] if isinstance(chunk, dict) else []
        out: list[tuple[str, Any]] = []
        for node, update in chunk.items():
            if node == "__interrupt__":
                for item in update:
                    out.append(("approval", self._with_urls(thread_id, item.value)))
                continue
            if not isinstance(update, dict):
                continue
            if node == "planner" and update.get("plan") is not None:
                plan = update["plan"]
                out.append(("plan", {"task": plan.task,
                                     "steps": [s.model_dump() for s in plan.steps]}))
            out.extend(("reasoning", {"text": text}) for text in update.get("reasoning") or [])
            if update.get("answer") is not None:
                out.append(("answer", answer_json(thread_id, update["answer"])))
            out.extend(("message", {"text": m.content}) for m in update.get("messages") or []
                       if m.type == "ai")  # ingest re-sends the user's message, slimmed
        return out

    def _with_urls(self, thread_id: str, payload: Any) -> Any:
        if isinstance(payload, dict) and "images" in payload:
            payload = {**payload, "images": [
                {**image, "url": f"/api/threads/{thread_id}/images/{image['id']}"}
                for image in payload["images"]]}
        return payload

    def claim(self, thread_id: str) -> None:
        if thread_id in self.busy:
            raise ApiError(409, f"thread {thread_id} is already running a turn")
        self.busy.add(thread_id)


def options_in(metadata: dict[str, Any] | None) -> dict[str, str]:
    """The run options a checkpoint's metadata recorded."""
    return {k: str(v) for k in RUN_OPTIONS if (v := (metadata or {}).get(f"vlcrew_{k}"))}


def never_lower(options: dict[str, str], saved: dict[str, str], state: Any) -> dict[str, str]:
    """``options`` with approve=ask kept when the thread asked before (its saved options, or
    the policy its last turn ran with: a thread ``vlcrew act`` made has no saved options)."""
    asked = saved.get("approve") == "ask" or (state.values or {}).get("approve_mode") == "ask"
    return {**options, "approve": "ask"} if asked else options


def answer_json(thread_id: str, answer: Any) -> dict[str, Any]:
    """The answer with URLs for its files (the server's paths stay on the server)."""
    base = f"/api/threads/{thread_id}"
    data = public_answer(answer, lambda name, _path: f"{base}/files/{name}")
    data["urls"] = data.pop("files")  # public_answer already gave each file its URL
    data["overlay"] = None
    data["answer_url"] = f"{base}/answer.json"
    return data


def thread_routes(get_runner: Callable[[], Awaitable[ThreadRunner]],
                  limits: RunLimits | None = None) -> list[Route]:
    """The routes of the thread API; ``get_runner`` gives the runner (built on first use);
    ``limits``: the run slots and time budget it shares with the OpenAI endpoint."""
    slots = limits or RunLimits()

    def streamed(runner: ThreadRunner, thread_id: str, graph_input: Any,
                 options: dict[str, str]) -> Response:
        if not slots.try_take():
            return JSONResponse({"error": {"message": busy_message(slots.max_runs)}},
                                status_code=429, headers={"Retry-After": RETRY_AFTER})
        try:
            runner.claim(thread_id)
        except ApiError:
            slots.give_back()
            raise
        return ReleasingStream(runner.stream(thread_id, graph_input, options, slots.seconds),
                               slots.give_back, media_type="text/event-stream",
                               headers={"Cache-Control": "no-cache"})

    async def guarded(request: Request, handler: Any) -> Response:
        try:
            runner = await get_runner()
        except Exception as exc:  # e.g. the database cannot be opened
            log.exception("thread store unavailable")
            return JSONResponse({"error": {"message": f"threads unavailable: {exc}"}},
                                status_code=503)
        try:
            return await handler(runner, request)  # type: ignore[no-any-return]
        except (ApiError, BodyError) as exc:  # both carry the status they answer with
            return JSONResponse({"error": {"message": str(exc)}}, status_code=exc.status)

    async def start(runner: ThreadRunner, request: Request) -> Response:
        body = await _json_body(request)
        message = _human_message(body)
        # Decoding is CPU work: off the event loop, so other requests keep moving.
        await asyncio.to_thread(check_images, body.get("images") or [],
                                min(runner.context.max_image_pixels, SERVER_MAX_PIXELS))
        thread_id = str(body.get("thread_id") or uuid.uuid4())
        if body.get("thread_id"):
            saved = await runner.saved_options(thread_id)
            state = await runner.graph.aget_state(runner.config(thread_id))
            runner.check_may_go_on(state)
            if state.interrupts:
                raise ApiError(409, "this thread is waiting for approval: resume it first")
            options = never_lower({**saved, **_options(body)}, saved, state)
        else:
            if not isinstance(body.get("images"), list) or not body["images"]:
                raise ApiError(400, "no image: add the screenshot as a data URI in images")
            options = _options(body)
        graph_input: dict[str, Any] = {"messages": [message]}
        profile = body.get("profile")
        if isinstance(profile, dict) and profile:
            graph_input["profile"] = {str(k): str(v) for k, v in profile.items()}
        return streamed(runner, thread_id, graph_input, options)

    async def resume(runner: ThreadRunner, request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        body = await _json_body(request)
        state = await runner.state(thread_id)
        runner.check_may_go_on(state)
        if not state.interrupts:
            raise ApiError(409, "this thread is not waiting for approval")
        if body.get("action") not in ("accept", "edit", "reject"):
            raise ApiError(400, "action must be accept, edit or reject")
        return streamed(runner, thread_id, Command(resume=body),
                        await runner.saved_options(thread_id))

    async def carry_on(runner: ThreadRunner, request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        state = await runner.state(thread_id)
        runner.check_may_go_on(state)
        if state.interrupts:
            raise ApiError(409, "this thread is waiting for approval: resume it instead")
        if not state.next:
            raise ApiError(409, "this thread has no unfinished run")
        return streamed(runner, thread_id, None, await runner.saved_options(thread_id))

    async def read(runner: ThreadRunner, request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        state = await runner.state(thread_id)
        values = state.values
        answer = values.get("answer")
        return JSONResponse({
            "thread_id": thread_id,
            "status": ("running" if thread_id in runner.busy else "interrupted"
                       if state.interrupts else "unfinished" if state.next else "idle"),
            "next": list(state.next),
            "answer": answer_json(thread_id, answer) if answer is not None else None,
            "interrupt": (runner._with_urls(thread_id, state.interrupts[0].value)
                          if state.interrupts else None),
            "images": [{"id": i.id, "width": i.width, "height": i.height,
                        "url": f"/api/threads/{thread_id}/images/{i.id}"}
                       for i in values.get("images", [])],
            # Masked as in logs: the thread may be read long after, by whoever has the link.
            "messages": [{"role": "user" if m.type == "human" else "assistant",
                          "text": mask_text(m.text if hasattr(m, "text") else str(m.content))}
                         for m in values.get("messages", [])],
            "options": options_in(state.metadata),
        })

    async def image(runner: ThreadRunner, request: Request) -> Response:
        thread_id, image_id = request.path_params["thread_id"], request.path_params["image_id"]
        state = await runner.state(thread_id)
        ref = next((i for i in state.values.get("images", []) if i.id == image_id), None)
        if ref is None:
            raise ApiError(404, f"no image {image_id!r} on this thread")
        return FileResponse(ref.path, media_type="image/png")

    async def file(runner: ThreadRunner, request: Request) -> Response:
        thread_id, name = request.path_params["thread_id"], request.path_params["name"]
        answer = (await runner.state(thread_id)).values.get("answer")
        path = answer_files(answer).get(name) if answer is not None else None
        if not path or not Path(path).is_file():
            raise ApiError(404, f"no file {name!r} on this thread")
        return FileResponse(path, filename=Path(path).name)

    async def answer(runner: ThreadRunner, request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        found = (await runner.state(thread_id)).values.get("answer")
        if found is None:
            raise ApiError(404, "this thread has no answer yet")
        return JSONResponse(answer_json(thread_id, found) | {"files": {}},
                            headers={"Content-Disposition": 'attachment; filename="answer.json"'})

    def route(path: str, handler: Any, method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            return await guarded(request, handler)
        return Route(path, endpoint, methods=[method])

    return [
        route("/api/runs", start, "POST"),
        route("/api/threads/{thread_id}/resume", resume, "POST"),
        route("/api/threads/{thread_id}/continue", carry_on, "POST"),
        route("/api/threads/{thread_id}", read, "GET"),
        route("/api/threads/{thread_id}/images/{image_id}", image, "GET"),
        route("/api/threads/{thread_id}/files/{name}", file, "GET"),
        route("/api/threads/{thread_id}/answer.json", answer, "GET"),
    ]

