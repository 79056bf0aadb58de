"""GUI node: the form's controls (inputs, selects, checkboxes, radios, buttons) from pixels.

Offline this is OpenCV layout analysis; labels are linked later by data mapping, once the
OCR text is there, so this node can run in parallel with OCR.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tools.blobstore import open_image
from tools.layout import detect_elements
from tools.schema import Element, ImageRef


def _detect_all(images: list[ImageRef]) -> list[Element]:
    found: list[Element] = []
    for ref in images:
        for element in detect_elements(open_image(ref.path)):
            found.append(element.model_copy(update={"image_id": ref.id}))
    return found


async def gui(state: dict[str, Any], runtime: Any) -> dict[str, Any]:
    """Detect controls offline in a worker thread."""
    return {"elements": await asyncio.to_thread(_detect_all, state.get("images", []))}
