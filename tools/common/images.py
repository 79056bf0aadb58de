"""Loading images safely, hashing them, and sizing them for the model's pixel budget.

Accepts a file path, a ``file://`` URL, a ``data:`` URI, bare base64, or http(s) when the
caller allows it. Refuses empty, corrupt, non-image and over-limit images (decompression
bombs) with an :class:`ImageError` whose message a user can act on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 50_000_000
"""Largest image accepted (width × height); a 30000×30000 header is refused before decoding."""
SERVER_MAX_PIXELS = 16_777_216
"""Largest image the HTTP servers accept (4096×4096, a 4K screen or a tall page): well below
the command line's, because anyone who can reach a server can send one, and a tiny
one-colour PNG can declare 49 MP that cost seconds and gigabytes to decode and look at."""
PERCEPTION_MAX_PIXELS = 6_000_000
"""OCR and layout detection work on a copy scaled down to this (boxes are scaled back): their
time grows with the pixels, and screenshots this size (2560×2340) are read well."""
DEFAULT_MAX_BYTES = 40 * 1024 * 1024
PATCH_PX = 32
"""Qwen3-VL: 16 px patches merged 2×2 → one visual token per 32×32 px."""

_DATA_URI = re.compile(r"^data:(?P<mime>[\w/+.-]*)(?P<b64>;base64)?,(?P<data>.*)$", re.S)
_BASE64_CHARS = re.compile(r"^[A-Za-z0-9+/=\s]+$")


class ImageError(ValueError):
    """An input image that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class LoadedImage:
    """A decoded, upright RGB image with the identity of its source bytes."""

    image: Image.Image
    sha256: str
    name: str

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def _read_source(source: str, allow_http: bool, max_bytes: int) -> tuple[bytes, str]:
    """Raw bytes and a short display name for any accepted kind of source."""
    if not source or not source.strip():
        raise ImageError("empty image reference")
    match = _DATA_URI.match(source)
    if match:
        if not match.group("b64"):
            raise ImageError("data URI must be base64-encoded (data:image/png;base64,…)")
        return _b64decode(match.group("data"), "data URI"), "data-uri"
    scheme = urlparse(source).scheme.lower()
    if scheme in ("http", "https"):
        if not allow_http:
            raise ImageError(f"http(s) images are disabled: {source} (enable with allow_http)")
        return _download(source, max_bytes), source.rsplit("/", 1)[-1] or source
    if scheme == "file":
        source = unquote(urlparse(source).path)
    path = Path(source).expanduser()
    if len(source) < 1024 and (path.exists() or "/" in source or path.suffix):
        return _read_file(path, max_bytes), path.name
    if len(source) >= 64 and _BASE64_CHARS.match(source):
        return _b64decode(source, "base64 string"), "base64"
    raise ImageError(f"file not found: {source}")


def _read_file(path: Path, max_bytes: int) -> bytes:
    if not path.exists():
        raise ImageError(f"file not found: {path}")
    if not path.is_file():
        raise ImageError(f"not a file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise ImageError(f"empty file (0 bytes): {path}")
    if size > max_bytes:
        raise ImageError(f"file too large: {path} is {size} bytes, limit {max_bytes}")
    return path.read_bytes()


def _b64decode(data: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", data), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageError(f"{what} is not valid base64: {exc}") from None
    if not raw:
        raise ImageError(f"{what} decodes to 0 bytes")
    return raw


def _download(url: str, max_bytes: int) -> bytes:
    from tools.common.safe_fetch import FetchRefused, fetch  # only when http is allowed

    try:
        return fetch(url, max_bytes)
    except FetchRefused as exc:
        raise ImageError(str(exc)) from None


def declared_pixels(source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> int | None:
    """Width × height a data URI image declares in its header, read without decoding the
    pixels; None for any other source or a header that cannot be read (loading it says
    what is wrong)."""
    if not source.startswith("data:"):
        return None
    try:
        raw, _name = _read_source(source, False, max_bytes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            width, height = Image.open(io.BytesIO(raw)).size
    except (ImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return int(width) * int(height)


def decode_image(raw: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode bytes into an upright RGB image, refusing bombs before the pixels are read."""
    if not raw:
        raise ImageError(f"empty file (0 bytes): {name}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(raw))
            width, height = img.size
            if width <= 0 or height <= 0:
                raise ImageError(f"image has no pixels: {name}")
            if width * height > max_pixels:
                raise ImageError(
                    f"image too large: {name} is {width}×{height} "
                    f"({width * height / 1e6:.0f} MP), limit {max_pixels / 1e6:.0f} MP"
                )
            img.load()
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"not an image (unknown format): {name}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"image too large (decompression bomb): {name}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"truncated or corrupt image: {name} ({exc})") from None
    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")  # transparent screenshots read as on white
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGB")


def load_image(
    source: str,
    *,
    allow_http: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> LoadedImage:
    """Load ``source`` (path, file:// URL, data URI, base64, or allowed http(s))."""
    raw, name = _read_source(source, allow_http, max_bytes)
    image = decode_image(raw, name, max_pixels)
    return LoadedImage(image=image, sha256=hashlib.sha256(raw).hexdigest(), name=name)


def is_blank(image: Image.Image) -> bool:
    """Whether every pixel has the same colour (nothing to read or detect on it)."""
    extrema = image.getextrema()
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    return all(low == high for low, high in bands)  # type: ignore[misc]


def working_copy(image: Image.Image, max_pixels: int = PERCEPTION_MAX_PIXELS
                 ) -> tuple[Image.Image, float]:
    """``image`` scaled down to at most ``max_pixels`` (itself when already within), and the
    factor that takes the copy's coordinates back to the original's."""
    width, height = image.size
    if width * height <= max_pixels:
        return image, 1.0
    ratio = math.sqrt(max_pixels / (width * height))
    size = (max(1, int(width * ratio)), max(1, int(height * ratio)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0), width / size[0]


def scaled_box(box: list[int], factor: float) -> list[int]:
    """A pixel box of a :func:`working_copy` in the original's pixels."""
    return box if factor == 1.0 else [round(v * factor) for v in box]


def model_input_size(
    width: int, height: int, max_pixels: int, min_pixels: int = PATCH_PX * PATCH_PX * 4
) -> tuple[int, int]:
    """Size to send to Qwen3-VL: multiples of 32 px, aspect kept, area within the budget."""
    if width <= 0 or height <= 0:
        raise ValueError("image size must be positive")
    w = max(PATCH_PX, round(width / PATCH_PX) * PATCH_PX)
    h = max(PATCH_PX, round(height / PATCH_PX) * PATCH_PX)
    if w * h > max_pixels:
        beta = math.sqrt(width * height / max_pixels)
        w = max(PATCH_PX, math.floor(width / beta / PATCH_PX) * PATCH_PX)
        h = max(PATCH_PX, math.floor(height / beta / PATCH_PX) * PATCH_PX)
    elif w * h < min_pixels:
        beta = math.sqrt(min_pixels / (width * height))
        w = math.ceil(width * beta / PATCH_PX) * PATCH_PX
        h = math.ceil(height * beta / PATCH_PX) * PATCH_PX
    return w, h


def visual_tokens(width: int, height: int) -> int:
    """Visual tokens Qwen3-VL spends on an image already sized by :func:`model_input_size`."""
    return (width // PATCH_PX) * (height // PATCH_PX)


def thumbnail_data_uri(image: Image.Image, max_side: int = 320) -> str:
    """A small JPEG data URI of ``image`` for chat history (the full image stays stored)."""
    thumb = image.convert("RGB")
    thumb.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    thumb.save(buffer, format="JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
