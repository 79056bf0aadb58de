"""Offline OCR over ``rapidocr-onnxruntime`` (PP-OCRv4 det/rec, Chinese + English).

The ONNX models ship inside the wheel, so nothing is downloaded. One engine instance serves
the whole process (loading costs ~0.3 s); a lock serialises calls because the engine keeps
per-call settings on itself and onnxruntime already uses every core inside one call.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from tools.common.images import is_blank, scaled_box, working_copy
from tools.common.schema import TextBlock

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR  # heavy import: load on first use only

    # Screenshots are upright: the 180° classifier only costs time and sometimes flips text.
    return RapidOCR(use_cls=False)


def polygon_to_bbox(points: Any) -> list[int]:
    """Axis-aligned integer box ``[x1, y1, x2, y2]`` around a quadrilateral."""
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    x1, y1 = np.floor(arr.min(axis=0)).astype(int)
    x2, y2 = np.ceil(arr.max(axis=0)).astype(int)
    return [int(x1), int(y1), max(int(x2), int(x1) + 1), max(int(y2), int(y1) + 1)]


def read_text(image: Image.Image, min_confidence: float = 0.5) -> list[TextBlock]:
    """Every text line on ``image`` with its box and score, top-to-bottom, left-to-right.

    A one-colour image has no text (and costs nothing, however large); a large one is read
    on a scaled-down copy, its boxes scaled back (the engine's time grows with the pixels).
    """
    if is_blank(image):
        return []
    image, back = working_copy(image)
    bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
    with _lock:
        result, _elapsed = _engine()(bgr)
    blocks = [
        TextBlock(text=str(text).strip(), bbox=scaled_box(polygon_to_bbox(points), back),
                  confidence=float(score))
        for points, text, score in (result or [])
        if str(text).strip() and float(score) >= min_confidence
    ]
    blocks.sort(key=lambda b: (b.bbox[1] // 8, b.bbox[0]))
    return blocks
