"""Ingest node: the request text and images of the last human message, and the backend.

Images are decoded, made upright RGB, hashed and stored once by content; the state keeps
only references. A bad image or an empty request is a fatal, user-facing error: the run
still ends with an answer that says what was wrong.

Each human message starts a turn. A follow-up without images keeps the thread's images and
what was perceived on them; a turn that brings images already seen (same sha256) does too.
The per-turn keys (plan, step reports, errors, warnings, approval) start afresh. A chat
history sent whole (OpenAI clients) with the screenshot in an earlier message works too:
the images come from the latest human message that has any.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from langgraph.runtime import Runtime

from agents.backend import resolve_backend
from agents.chat import human_texts, humans_of, split_content, writes_chinese
from agents.context import Context
from agents.messages import say
from agents.records import StepError, TurnDict, TurnList
from agents.start_url import start_allowed
from agents.state import VLState
from tools.common.blobstore import put_bytes, put_image
from tools.common.images import (
    DEFAULT_MAX_PIXELS,
    ImageError,
    load_image,
    model_input_size,
    thumbnail_data_uri,
)
from tools.common.masking import mask_text
from tools.common.schema import ImageRef, VideoRef
from tools.media.video_input import VideoError, is_video, read_video, video_sha256

log = logging.getLogger(__name__)


def cleared_perception() -> dict[str, Any]:
    """Keys that describe what was perceived on the images, emptied (the images changed)."""
    return {"ocr": [], "ocr_pairs": [], "ocr_tables": [], "elements": [], "fields": [],
            "missing": [], "user_edits": {}, "description": "", "objects": []}


async def ingest(state: VLState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Load the request and images; choose the backend."""
    ctx = runtime.context
    update: dict[str, Any] = {"warnings": [], "errors": []}
    humans = humans_of(state.get("messages", []))
    request, sources = split_content(humans[-1].content if humans else "")
    prior: list[ImageRef] = list(state.get("images") or [])
    if not sources and not prior:
        # A whole chat history: the screenshot may sit in an earlier message.
        sources = next((found for m in reversed(humans[:-1])
                        if (found := split_content(m.content)[1])), [])
    update["request"] = request
    update["requests"] = human_texts(state.get("messages", []))
    log.info("request: %s", mask_text(request))

    try:
        if ctx.injected_models is not None and ctx.backend != "offline":
            backend, note = "vllm", None  # the caller gave the models: nothing to probe
        else:
            backend, note = await asyncio.to_thread(
                resolve_backend, ctx.backend, ctx.base_url, ctx.api_key, ctx.probe_timeout)
    except ConnectionError as exc:
        backend, note = "offline", None
        update["errors"].append(StepError(step="ingest", message=str(exc), fatal=True))
    update["backend"] = backend
    if note:
        update["warnings"].append(note)

    if not request:
        update["errors"].append(
            StepError(step="ingest", message="empty request: say what to do", fatal=True,
                      kind="bad_input")
        )
    videos, sources = await _videos(sources, update["errors"])
    if videos:
        update["videos"] = videos
    elif sources:
        update["videos"] = []
    url = state.get("url")
    if url and not start_allowed(url, ctx.act_start_urls):
        # Refused before anything runs: whoever calls the graph names the URL, only the
        # operator says where the browser may go (agents/start_url.py).
        update["errors"].append(StepError(
            step="ingest", fatal=True, kind="not_allowed",
            message=say("act.start_not_allowed", writes_chinese(request), url=url[:200])))
    if not sources and not prior and not videos and not url:
        update["errors"].append(
            StepError(step="ingest", message="no image given", fatal=True, kind="bad_input")
        )
    refs: list[ImageRef] = [] if sources else prior
    thumbs: dict[str, str] = {}
    for n, src in enumerate(sources, start=1):
        try:
            loaded = await asyncio.to_thread(
                load_image, src, allow_http=ctx.allow_http_images,
                max_pixels=min(ctx.max_image_pixels, DEFAULT_MAX_PIXELS))
        except ImageError as exc:
            update["errors"].append(
                StepError(step="ingest", message=str(exc), fatal=True, kind="bad_input")
            )
            continue
        width, height = loaded.size
        mw, mh = model_input_size(width, height, ctx.max_pixels)
        stored = await asyncio.to_thread(put_image, loaded.image, loaded.sha256)
        if src.startswith("data:"):
            thumbs[src] = await asyncio.to_thread(thumbnail_data_uri, loaded.image)
        refs.append(
            ImageRef(
                id=f"img{n}", name=loaded.name, path=str(stored),
                sha256=loaded.sha256, width=width, height=height, model_width=mw, model_height=mh,
            )
        )
    update["images"] = refs
    if humans and thumbs:
        update["messages"] = [_slim(humans[-1], thumbs)]
    # Fixed for the turn: a resume sent with other settings must not skip the approval.
    # On a browser thread a follow-up may not lower it either: once ask, always ask.
    sticky = url and state.get("approve_mode") == "ask"
    update["approve_mode"] = "ask" if sticky else ctx.approve
    return _new_turn(state, update, prior)


async def _videos(sources: list[str], errors: list[StepError]
                  ) -> tuple[list[VideoRef], list[str]]:
    """The video sources, checked and stored; and the image sources that remain."""
    videos: list[VideoRef] = []
    for src in [s for s in sources if is_video(s)]:
        try:
            raw, name, suffix = await asyncio.to_thread(read_video, src)
        except VideoError as exc:
            errors.append(StepError(step="ingest", message=str(exc), fatal=True,
                                    kind="bad_input"))
            continue
        sha = video_sha256(raw)
        path = await asyncio.to_thread(put_bytes, raw, sha, suffix)
        videos.append(VideoRef(id=f"vid{len(videos) + 1}", name=name, path=str(path),
                               sha256=sha))
    return videos, [s for s in sources if not is_video(s)]


def _slim(human: Any, thumbs: dict[str, str]) -> Any:
    """The human message with thumbnails in place of its inline images (same id, so it
    replaces the original): every checkpoint carries the chat, and the full image is in
    the store already (``images``)."""
    parts = []
    for part in human.content:
        found = split_content([part])[1] if isinstance(part, dict) else []
        if found and found[0] in thumbs:
            part = {"type": "image_url", "image_url": {"url": thumbs[found[0]]}}
        parts.append(part)
    return human.model_copy(update={"content": parts})


def _new_turn(state: VLState, update: dict[str, Any], prior: list[ImageRef]
              ) -> dict[str, Any]:
    """Start the turn afresh; forget what was perceived only when the images changed."""
    fresh = [r.sha256 for r in update["images"]] != [r.sha256 for r in prior]
    update.update(
        turn=state.get("turn", 0) + 1, fresh_images=fresh or not (state.get("elements") or state.get("ocr")),
        plan=None, replans=0, approval=None,
        # Reducers would add to the previous turn's lists: these start them afresh.
        step_reports=TurnDict(), reasoning=TurnList(),
        errors=TurnList(update["errors"]), warnings=TurnList(update["warnings"]))
    if fresh:
        update.update(cleared_perception())
    return update
