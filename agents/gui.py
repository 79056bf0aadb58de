"""GUI node: the form's controls (inputs, selects, checkboxes, radios, buttons).

offline: OpenCV layout analysis from pixels; labels are linked later by data mapping, once
the OCR text is there, so this node runs in parallel with OCR. vllm: the Instruct expert
names the controls and their labels (0–1000 boxes); its boxes are snapped to the layout
detector's where they overlap (hybrid grounding, both confidences kept).
"""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph.runtime import Runtime

from agents.context import Context
from agents.records import StepError
from agents.state import StepInput
from tools.common.blobstore import open_image
from tools.common.coords import rel_to_pixels
from tools.common.schema import Element, ImageRef
from tools.perception.hybrid import snap
from tools.perception.layout import detect_elements

MODEL_CONFIDENCE = 0.8
"""Qwen3-VL gives no per-box score; this is what a model box counts for before snapping."""


def detect_offline(ref: ImageRef) -> list[Element]:
    """Layout-detected controls of one image, tagged with its id."""
    return [e.model_copy(update={"image_id": ref.id})
            for e in detect_elements(open_image(ref.path))]


async def _ground_vlm(ref: ImageRef, ctx: Context) -> tuple[list[Element], str | None]:
    from agents.prompts import GUI_INSTRUCTION
    from agents.vlm import ask_expert
    from agents.vlm_schemas import GuiOut

    reply = await ask_expert(ctx, [ref], GUI_INSTRUCTION, GuiOut)
    if reply.parsed is None:
        return [], reply.error or "no usable answer"
    found = []
    for item in reply.parsed.elements:
        box = rel_to_pixels(item.bbox_2d, ref.width, ref.height)
        if box is None:
            continue
        found.append(Element(kind=item.kind, bbox=box, label=item.label.strip() or None,
                             option=(item.option or "").strip() or None,
                             editable=item.kind != "button", confidence=MODEL_CONFIDENCE,
                             image_id=ref.id, source="model"))
    return found, None


async def gui(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    """Detect controls (offline in a worker thread; vllm grounded and snapped)."""
    ctx = runtime.context
    images: list[ImageRef] = state.get("images", [])
    step = state.get("step")
    if state.get("backend") != "vllm":
        return {"elements": await asyncio.to_thread(
            lambda: [e for ref in images for e in detect_offline(ref)])}
    elements, errors = [], []
    for ref in images:
        # The layout detector (CPU, worker thread) runs while the model is asked, not before.
        layout, (found, why) = await asyncio.gather(asyncio.to_thread(detect_offline, ref),
                                                    _ground_vlm(ref, ctx))
        if why is not None:
            errors.append(StepError(step=step.id if step else "gui", kind="fallback",
                                    message=f"gui on {ref.id}: model answer unusable ({why}); "
                                            "using the offline layout result"))
            elements.extend(layout)
        else:
            elements.extend(snap(found, layout))
    return {"elements": elements, "errors": errors}
