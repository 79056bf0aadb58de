"""What every Qwen3-VL expert shares: the models for a run, and prompt assembly.

The message layout is fixed for prefix caching: the same system text, then the image
parts (same bytes, model-input size), then the expert's instruction. Only the instruction
differs between OCR, GUI and mapping calls on one screenshot.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from agents.context import Context
from agents.llm.chat_model import build_chat_model
from agents.llm.errors import ModelError
from agents.llm.image_parts import image_part
from agents.llm.structured import StructuredReply, call_structured
from agents.models import Models
from agents.prompts import EXPERT_SYSTEM
from agents.response_cache import ResponseCache
from tools.common.images import model_input_size
from tools.common.schema import ImageRef

_models: dict[tuple[Any, ...], Models] = {}
_lock = threading.Lock()


def models_for(settings: Context) -> Models:
    """The models injected for this run (``build_graph(models=...)``, ``Context.using``),
    else one pair of clients per server/model settings, reused across runs (connection
    pools)."""
    if settings.injected_models is not None:
        return settings.injected_models
    planner_url = settings.planner_base_url or settings.base_url
    key = (settings.base_url, planner_url, settings.api_key, settings.planner_model,
           settings.expert_model, settings.reasoning_budget, settings.cache_path)
    # An Instruct model as planner (one small server for every role) has no reasoning to
    # budget, and vLLM refuses thinking_token_budget without a reasoning parser.
    planner_thinks = "instruct" not in settings.planner_model.lower()
    with _lock:
        if key not in _models:
            _models[key] = Models(
                planner=build_chat_model(
                    base_url=planner_url, api_key=settings.api_key, model=settings.planner_model,
                    thinking=planner_thinks,
                    reasoning_budget=settings.reasoning_budget if planner_thinks else None),
                expert=build_chat_model(base_url=settings.base_url, api_key=settings.api_key,
                                        model=settings.expert_model, thinking=False,
                                        # Harmless for Instruct templates; stops a Thinking
                                        # or hybrid model (one server for all) from thinking.
                                        disable_thinking=True),
                cache=ResponseCache(settings.cache_path or None),
            )
        return _models[key]


def image_parts(images: list[ImageRef], max_pixels: int | None = None) -> list[dict[str, Any]]:
    """Every image at its model-input size (or within ``max_pixels``), in input order."""
    return [image_part(ref.path, (ref.model_width, ref.model_height) if max_pixels is None
                       else model_input_size(ref.width, ref.height, max_pixels))
            for ref in images]


async def aimage_parts(images: list[ImageRef], max_pixels: int | None = None
                       ) -> list[dict[str, Any]]:
    """:func:`image_parts` in a worker thread: encoding a screenshot is CPU work that would
    otherwise stall every other request on the event loop."""
    return await asyncio.to_thread(image_parts, images, max_pixels)


def expert_messages(images: list[ImageRef], instruction: str) -> list[BaseMessage]:
    """System text, then the images, then this expert's instruction (cache-friendly order)."""
    content: list[str | dict[Any, Any]] = [*image_parts(images),
                                           {"type": "text", "text": instruction}]
    return [SystemMessage(content=EXPERT_SYSTEM), HumanMessage(content=content)]


def cache_key_parts(images: list[ImageRef], instruction: str) -> tuple[list[str], str]:
    """What identifies a call for the response cache besides model and settings."""
    return [ref.sha256 for ref in images], instruction


async def structured(model: Any, messages: list[BaseMessage], schema: type[Any],
                     **kwargs: Any) -> StructuredReply[Any]:
    """``call_structured`` where a server failure is an unusable answer, not a crash: the
    caller then falls back to the offline engine and says so."""
    try:
        return await call_structured(model, messages, schema, **kwargs)
    except ModelError as exc:
        return StructuredReply(parsed=None, reasoning="", content=None, error=str(exc),
                               attempts=1, usage={})


async def ask_expert(settings: Context, images: list[ImageRef], instruction: str,
                     schema: type[Any]) -> StructuredReply[Any]:
    """One structured Instruct call on ``images`` (cached by model, images and prompt)."""
    models = models_for(settings)
    shas, text = cache_key_parts(images, instruction)
    key = models.cache.key(settings.expert_model, shas, text,
                           {"max_pixels": settings.max_pixels}) if models.cache else None
    # Encoding the image is CPU work: a worker thread, so other requests keep moving.
    messages = await asyncio.to_thread(expert_messages, images, instruction)
    return await structured(models.expert, messages, schema, cache=models.cache,
                            cache_key=key)


async def ask_frames(settings: Context, frames: list[tuple[str, ImageRef]], instruction: str,
                     schema: type[Any]) -> StructuredReply[Any]:
    """One structured Instruct call on timed frames: each frame's time, then the frame."""
    models = models_for(settings)
    content: list[str | dict[Any, Any]] = []
    for label, ref in frames:
        content.append({"type": "text", "text": label})
        content.append(image_part(ref.path, (ref.model_width, ref.model_height)))
    content.append({"type": "text", "text": instruction})
    shas = [ref.sha256 for _label, ref in frames]
    key = models.cache.key(settings.expert_model, shas, instruction + "|".join(
        label for label, _ref in frames), {"max_pixels": settings.max_pixels}
    ) if models.cache else None
    messages = [SystemMessage(content=EXPERT_SYSTEM), HumanMessage(content=content)]
    return await structured(models.expert, messages, schema, cache=models.cache, cache_key=key)
