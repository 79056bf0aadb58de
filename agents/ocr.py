"""OCR node: every text line on every input image, with boxes in original pixels."""

from __future__ import annotations

import asyncio
from typing import Any

from agents.settings import settings_of
from tools.blobstore import open_image
from tools.ocr_engine import read_text
from tools.schema import ImageRef, TextBlock


def _read_all(images: list[ImageRef], min_confidence: float) -> list[TextBlock]:
    blocks: list[TextBlock] = []
    for ref in images:
        for block in read_text(open_image(ref.path), min_confidence=min_confidence):
            blocks.append(block.model_copy(update={"image_id": ref.id}))
    return blocks


async def ocr(state: dict[str, Any], runtime: Any) -> dict[str, Any]:
    """Read text offline (rapidocr); runs in a worker thread so GUI detection overlaps it."""
    ctx = settings_of(runtime)
    blocks = await asyncio.to_thread(
        _read_all, state.get("images", []), ctx.ocr_min_confidence
    )
    return {"ocr": blocks}
