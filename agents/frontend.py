"""Frontend node: a screenshot rebuilt as HTML/CSS, rendered in Chromium and scored.

offline: a positioned-layout reconstruction from the OCR text and the detected controls,
with colours sampled from the screenshot. vllm: the Instruct expert writes the page. Either
way the HTML is rendered at the screenshot's size in headless Chromium and compared with
it, so the answer carries a visual similarity score, not just code.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph.runtime import Runtime

from agents.context import Context
from agents.records import StepError
from agents.state import StepInput
from tools.common.blobstore import open_image
from tools.common.expert_schema import HtmlRebuild
from tools.common.schema import ImageRef
from tools.frontend.html_rebuild import rebuild_html
from tools.frontend.page_compare import compare_html


async def frontend(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    """The rebuilt page of the first image and its similarity to the screenshot."""
    ctx = runtime.context
    step = state.get("step")
    images: list[ImageRef] = state.get("images", [])
    if not images:
        raise RuntimeError("no screenshot to rebuild")
    ref = images[0]
    image = await asyncio.to_thread(open_image, ref.path)
    mine = [b for b in state.get("ocr", []) if b.image_id == ref.id]
    controls = [e for e in state.get("elements", []) if e.image_id == ref.id]
    offline = await asyncio.to_thread(rebuild_html, image, mine, controls or None)
    page, errors = offline, []
    if state.get("backend") == "vllm":
        from agents.prompts import FRONTEND_INSTRUCTION
        from agents.vlm import ask_expert
        from agents.vlm_schemas import FrontendOut

        reply = await ask_expert(ctx, [ref], FRONTEND_INSTRUCTION.format(
            width=ref.width, height=ref.height, request=state.get("request", "")), FrontendOut)
        if reply.parsed is not None and "<" in reply.parsed.html:
            page = HtmlRebuild(html=reply.parsed.html, width=ref.width, height=ref.height,
                               background="", elements=[])
        else:
            errors.append(StepError(step=step.id if step else "frontend", kind="fallback",
                                    message=f"frontend: model answer unusable "
                                            f"({reply.error or 'no HTML'}); using the offline "
                                            "rebuild"))
    score, _rendered = await asyncio.to_thread(compare_html, page.html, image)
    return {"html": page, "similarity": score, "errors": errors}
