"""Ingest node: the request text and images of the last human message, and the backend.

Images are decoded, made upright RGB, hashed and stored once by content; the state keeps
only references. A bad image or an empty request is a fatal, user-facing error: the run
still ends with an answer that says what was wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage

from agents.backend import resolve_backend
from agents.records import StepError
from agents.settings import settings_of
from tools.blobstore import put_image
from tools.images import ImageError, load_image, model_input_size
from tools.masking import mask_text
from tools.schema import ImageRef

log = logging.getLogger(__name__)


def _last_human(messages: list[Any]) -> BaseMessage | None:
    for msg in reversed(messages or []):
        if isinstance(msg, HumanMessage) or getattr(msg, "type", None) == "human":
            return msg
    return None


def _image_source(part: dict[str, Any]) -> str | None:
    """The URL/path/base64 of one content part, in OpenAI or LangChain form."""
    kind = part.get("type")
    if kind == "image_url":
        url = part.get("image_url")
        return url.get("url") if isinstance(url, dict) else url
    if kind == "image":
        if part.get("url"):
            return str(part["url"])
        data = part.get("base64") or part.get("data")
        if data:
            mime = part.get("mime_type") or "image/png"
            return f"data:{mime};base64,{data}"
        if part.get("source_type") == "url":
            return part.get("url")
    return None


def split_content(content: Any) -> tuple[str, list[str]]:
    """Request text and image sources from a message's content (str or parts)."""
    if isinstance(content, str):
        return content.strip(), []
    texts: list[str] = []
    images: list[str] = []
    for part in content or []:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict):
            if part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            else:
                src = _image_source(part)
                if src:
                    images.append(src)
    return "\n".join(t.strip() for t in texts if t.strip()), images


async def ingest(state: dict[str, Any], runtime: Any) -> dict[str, Any]:
    """Load the request and images; choose the backend."""
    ctx = settings_of(runtime)
    update: dict[str, Any] = {"warnings": [], "errors": []}
    human = _last_human(state.get("messages", []))
    request, sources = split_content(human.content if human else "")
    update["request"] = request
    log.info("request: %s", mask_text(request))

    try:
        backend, note = resolve_backend(ctx.backend, ctx.base_url, ctx.api_key, ctx.probe_timeout)
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
    if not sources:
        update["errors"].append(
            StepError(step="ingest", message="no image given", fatal=True, kind="bad_input")
        )
    refs: list[ImageRef] = []
    for n, src in enumerate(sources, start=1):
        try:
            loaded = load_image(src, allow_http=ctx.allow_http_images)
        except ImageError as exc:
            update["errors"].append(
                StepError(step="ingest", message=str(exc), fatal=True, kind="bad_input")
            )
            continue
        width, height = loaded.size
        mw, mh = model_input_size(width, height, ctx.max_pixels)
        refs.append(
            ImageRef(
                id=f"img{n}", name=loaded.name, path=str(put_image(loaded.image, loaded.sha256)),
                sha256=loaded.sha256, width=width, height=height, model_width=mw, model_height=mh,
            )
        )
    update["images"] = refs
    return update
