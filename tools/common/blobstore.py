"""Content-addressed image store: pixels live on disk once, state holds only the path.

Keeping base64 out of the graph state keeps checkpoints small, and a second look at the same
image (same sha256) finds the file already there.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PIL import Image


def default_root() -> Path:
    """``$VLCREW_DATA_DIR/images``, else the XDG cache dir."""
    base = os.environ.get("VLCREW_DATA_DIR")
    if base:
        return Path(base).expanduser() / "images"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "vlcrew" / "images"


def runs_root() -> Path:
    """Beside the images: the folders of runs that were given no output folder."""
    return default_root().parent / "runs"


def put_image(image: Image.Image, sha256: str, root: Path | None = None) -> Path:
    """Store ``image`` as PNG under its hash (idempotent) and return the path."""
    folder = (root or default_root()) / sha256[:2]
    path = folder / f"{sha256}.png"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        # Per process and thread: two first stores of the same image may race.
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        image.save(tmp, format="PNG", compress_level=1)  # speed over a few % of bytes
        os.replace(tmp, path)  # atomic: parallel runs never see half a file
    return path


def open_image(path: str | Path) -> Image.Image:
    """Open a stored image as RGB."""
    with Image.open(path) as img:
        return img.convert("RGB")


def put_bytes(raw: bytes, sha256: str, suffix: str, root: Path | None = None) -> Path:
    """Store raw bytes (a video) under their hash with ``suffix`` (idempotent)."""
    folder = (root or default_root()) / sha256[:2]
    path = folder / f"{sha256}{suffix}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, path)
    return path
