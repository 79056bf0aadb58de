"""tools.common.images on real files: good images load upright/RGB; bad ones fail clearly."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tools.common.images import ImageError, load_image, model_input_size, visual_tokens


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` (a decompression-bomb header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def save_png(path: Path, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    img = Image.new(mode, size, (200, 10, 10, 128) if mode == "RGBA" else (200, 10, 10))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_loads_path_data_uri_and_base64_identically(tmp_path: Path) -> None:
    raw = save_png(tmp_path / "a.png")
    b64 = base64.b64encode(raw).decode()
    by_path = load_image(str(tmp_path / "a.png"))
    by_uri = load_image(f"data:image/png;base64,{b64}")
    by_b64 = load_image(b64)
    by_file_url = load_image(f"file://{tmp_path / 'a.png'}")
    assert by_path.size == (64, 48) and by_path.image.mode == "RGB"
    assert by_path.sha256 == by_uri.sha256 == by_b64.sha256 == by_file_url.sha256
    assert by_path.name == "a.png" and by_uri.name == "data-uri"


def test_transparency_is_flattened_on_white(tmp_path: Path) -> None:
    img = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    img.save(tmp_path / "t.png")
    loaded = load_image(str(tmp_path / "t.png"))
    assert loaded.image.getpixel((5, 5)) == (255, 255, 255)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    img = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° CW on display
    img.save(tmp_path / "r.jpg", exif=exif.tobytes())
    assert load_image(str(tmp_path / "r.jpg")).size == (20, 40)


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p.write_bytes(b""), r"empty file \(0 bytes\)"),
        (lambda p: p.write_text("just some text, not pixels\n"), "not an image"),
        (lambda p: p.write_bytes(save_png(p)[:60]), "truncated or corrupt"),
        (lambda p: p.write_bytes(png_header_only(30000, 30000)), "image too large"),
    ],
    ids=["zero-bytes", "text-named-png", "truncated", "bomb-header"],
)
def test_bad_images_fail_with_clear_messages(tmp_path: Path, make, needle: str) -> None:
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(ImageError, match=needle):
        load_image(str(path))


def test_missing_file_and_disabled_http() -> None:
    with pytest.raises(ImageError, match=r"file not found: /no/such/form\.png"):
        load_image("/no/such/form.png")
    with pytest.raises(ImageError, match="http\\(s\\) images are disabled"):
        load_image("https://example.com/form.png")
    with pytest.raises(ImageError, match="not valid base64"):
        load_image("data:image/png;base64,@@@@")


def test_model_input_size_respects_budget_and_patch_grid() -> None:
    w, h = model_input_size(1920, 1080, max_pixels=1_310_720)
    assert w % 32 == 0 and h % 32 == 0 and w * h <= 1_310_720
    assert abs(w / h - 1920 / 1080) < 0.05
    assert model_input_size(1920, 1080, max_pixels=10**8) == (1920, 1088)
    assert visual_tokens(1920, 1088) == 60 * 34  # ≈ 2 k tokens uncapped, as DESIGN.md says
    assert model_input_size(10, 10, max_pixels=10**6) == (64, 64)
