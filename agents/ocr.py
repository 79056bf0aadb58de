"""OCR node: every text line on every input image, with boxes in original pixels.

offline: rapidocr. vllm: the Instruct expert reads the lines with 0–1000 boxes; when its
answer is unusable (after one retry) the offline result is used and the step is flagged.
For documents (any task but form filling) it also gives the reading order — columns, lines,
paragraphs — and, offline, the tables found from ruling lines or aligned text columns.
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
from tools.common.schema import ImageRef, KeyValue, Table, TextBlock
from tools.documents.key_values import key_values
from tools.documents.reading import read
from tools.documents.tables import find_tables
from tools.perception.ocr_engine import read_text

FORM_TASKS = ("form_fill", "update")


def tables_offline(images: list[ImageRef], blocks: list[TextBlock]) -> list[Table]:
    """Tables of every image, from its ruling lines or aligned text columns."""
    found = []
    for ref in images:
        mine = [b for b in blocks if b.image_id == ref.id]
        for result in find_tables(open_image(ref.path), mine):
            found.append(result.table.model_copy(update={"image_id": ref.id}))
    return found


def read_offline(ref: ImageRef, min_confidence: float) -> list[TextBlock]:
    """rapidocr lines of one image, tagged with its id."""
    return [b.model_copy(update={"image_id": ref.id})
            for b in read_text(open_image(ref.path), min_confidence=min_confidence)]


async def _read_vlm(ref: ImageRef, ctx: Context
                    ) -> tuple[list[TextBlock], list[KeyValue], list[Table], str | None]:
    """The model's lines, key-value pairs and tables of one image, or why not usable."""
    from agents.prompts import OCR_INSTRUCTION
    from agents.vlm import ask_expert
    from agents.vlm_schemas import OcrOut

    reply = await ask_expert(ctx, [ref], OCR_INSTRUCTION, OcrOut)
    if reply.parsed is None:
        return [], [], [], reply.error or "no usable answer"
    blocks = []
    for line in reply.parsed.lines:
        box = rel_to_pixels(line.bbox_2d, ref.width, ref.height)
        if box and line.text.strip():
            blocks.append(TextBlock(text=line.text.strip(), bbox=box, confidence=0.9,
                                    image_id=ref.id))
    pairs = [KeyValue(key=p.key.strip(), value=p.value.strip(), image_id=ref.id)
             for p in reply.parsed.pairs if p.key.strip() and p.value.strip()]
    tables = [Table(rows=t.rows, image_id=ref.id) for t in reply.parsed.tables]
    return blocks, pairs, tables, None


async def ocr(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    """Read text; offline work runs in a worker thread so GUI detection overlaps it."""
    ctx = runtime.context
    images: list[ImageRef] = state.get("images", [])
    step = state.get("step")
    plan = state.get("plan")
    document = plan is not None and plan.task not in FORM_TASKS
    if state.get("backend") != "vllm":
        blocks = await asyncio.to_thread(
            lambda: [b for ref in images for b in read_offline(ref, ctx.ocr_min_confidence)])
        update: dict[str, Any] = {"ocr": blocks, "ocr_pairs": key_values(blocks)}
        if document:
            update["ocr_tables"] = await asyncio.to_thread(tables_offline, images, blocks)
            update["reading"] = await asyncio.to_thread(read, blocks)
        return update
    blocks, pairs, tables, errors = [], [], [], []
    for ref in images:
        found, found_pairs, found_tables, why = await _read_vlm(ref, ctx)
        if why is not None:
            found = await asyncio.to_thread(read_offline, ref, ctx.ocr_min_confidence)
            found_pairs = key_values(found)
            errors.append(StepError(step=step.id if step else "ocr", kind="fallback",
                                    message=f"ocr on {ref.id}: model answer unusable ({why}); "
                                            "using the offline OCR result"))
        blocks.extend(found)
        pairs.extend(found_pairs)
        tables.extend(found_tables)
    update = {"ocr": blocks, "ocr_pairs": pairs, "ocr_tables": tables, "errors": errors}
    if document:
        update["reading"] = await asyncio.to_thread(read, blocks)
    return update
