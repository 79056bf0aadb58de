"""Image content parts at the model-input size, byte-identical on every call.

The server's prefix cache only hits on identical bytes, so the PNG data URI of an image is
encoded once per (path, size, file version) and reused by every expert that sends it.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import io
import os
import threading
from typing import Any

from PIL import Image

from tools.common.blobstore import open_image


@functools.lru_cache(maxsize=32)  # a screenshot's data URI is ~1–3 MB
def _png_data_uri(path: str, size: tuple[int, int], _stamp: tuple[int, int]) -> str:
    image = open_image(path)
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    # Level 1: half the CPU of the default 6 on screenshots for ~2 % more bytes (measured
    # by bench/serve_load on the bank form); the bytes are still the same on every call.
    image.save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


_uri_guard = threading.Lock()
_uri_locks: dict[tuple[Any, ...], list[Any]] = {}  # key -> [lock, waiters]


def _png_data_uri_once(key: tuple[str, tuple[int, int], tuple[int, int]]) -> str:
    """``_png_data_uri(*key)``, encoded by one thread per key: the OCR and GUI experts ask
    for the same image at the same moment from worker threads; the second waits for the
    first's (cached) result instead of encoding it again."""
    with _uri_guard:
        entry = _uri_locks.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            return _png_data_uri(*key)
    finally:
        with _uri_guard:
            entry[1] -= 1
            if not entry[1]:
                del _uri_locks[key]


def image_part(path: str, size: tuple[int, int]) -> dict[str, Any]:
    """An ``image_url`` content part: the stored image resized (LANCZOS) to ``size`` as PNG.

    Cached per (path, size, file version), so the same bytes go out on every call and
    the server's prefix cache hits across experts. The first call for an image decodes,
    resizes and encodes it (tens of ms of CPU): async code should use
    :func:`aimage_part`, which does that in a worker thread.
    """
    width, height = int(size[0]), int(size[1])
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {size}")
    st = os.stat(path)
    url = _png_data_uri_once((os.path.abspath(path), (width, height),
                              (st.st_mtime_ns, st.st_size)))
    return {"type": "image_url", "image_url": {"url": url}}


async def aimage_part(path: str, size: tuple[int, int]) -> dict[str, Any]:
    """:func:`image_part` off the event loop, so concurrent requests are not held up."""
    return await asyncio.to_thread(image_part, path, size)
