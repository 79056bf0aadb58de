"""Vision node: describe the image and detect objects with boxes (Qwen3-VL only).

There is no honest offline substitute for describing a picture, so offline this step
fails with a plain message that it needs the model, instead of pretending.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agents.context import Context
from agents.records import DetectedObject, StepError
from agents.state import StepInput
from tools.common.coords import rel_to_pixels

NEEDS_MODEL = ("describing an image needs the Qwen3-VL model: start vLLM and use "
               "--backend vllm (the offline engine can only read text)")


async def vision(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    """A description and boxed objects, or a clear 'needs the model' failure offline."""
    step = state.get("step")
    step_id = step.id if step else "vision"
    if state.get("backend") != "vllm":
        raise RuntimeError(NEEDS_MODEL)
    from agents.prompts import VISION_INSTRUCTION
    from agents.vlm import ask_expert
    from agents.vlm_schemas import VisionOut

    ctx = runtime.context
    texts, objects, errors = [], [], []
    for ref in state.get("images", []):
        reply = await ask_expert(ctx, [ref], VISION_INSTRUCTION.format(
            request=state.get("request", "")), VisionOut)
        if reply.parsed is None:
            errors.append(StepError(step=step_id, message=f"vision on {ref.id}: model answer "
                                    f"unusable ({reply.error})"))
            continue
        texts.append(reply.parsed.description.strip())
        for obj in reply.parsed.objects:
            box = rel_to_pixels(obj.bbox_2d, ref.width, ref.height)
            if box is not None:
                objects.append(DetectedObject(label=obj.label, bbox=box, image_id=ref.id))
    if errors and not texts:
        raise RuntimeError("; ".join(e.message for e in errors))
    return {"description": "\n\n".join(texts), "objects": objects, "errors": errors}
