"""Finding a font that draws Chinese as well as Latin text (for overlays)."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """Path of a CJK-capable font (Noto Sans CJK from fonts-noto-cjk first), or None."""
    for path in _CANDIDATES:
        if Path(path).exists():
            return path
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True,
                             text=True, timeout=5, check=False).stdout.strip()
        if out and Path(out).exists():
            return out
    return None


@lru_cache(maxsize=8)
def sc_face_index(path: str) -> int:
    """Index of the Simplified Chinese face in a font collection (Noto CJK: 2, not 0 = JP)."""
    for i in range(10):
        try:
            name = ImageFont.truetype(path, 12, index=i).getname()[0] or ""
        except OSError:
            break
        if name.endswith(" SC"):
            return i
    return 0


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font of ``size`` px that renders CJK (Simplified Chinese glyphs) when installed."""
    path = cjk_font_path()
    if path:
        return ImageFont.truetype(path, size, index=sc_face_index(path))
    return ImageFont.load_default(size=size)
