"""Content-addressed image store: pixels live on disk once, state holds only the path.

Keeping base64 out of the graph state keeps checkpoints small, and a second look at the same
image (same sha256) finds the file already there.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image


def default_root() -> Path:
    """``$VLCREW_DATA_DIR/images``, else the XDG cache dir."""
    base = os.environ.get("VLCREW_DATA_DIR")
    if base:
        return Path(base).expanduser() / "images"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "vlcrew" / "images"


def put_image(image: Image.Image, sha256: str, root: Path | None = None) -> Path:
    """Store ``image`` as PNG under its hash (idempotent) and return the path."""
    folder = (root or default_root()) / sha256[:2]
    path = folder / f"{sha256}.png"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        image.save(tmp, format="PNG")
        os.replace(tmp, path)  # atomic: parallel runs never see half a file
    return path


def open_image(path: str | Path) -> Image.Image:
    """Open a stored image as RGB."""
    with Image.open(path) as img:
        return img.convert("RGB")
