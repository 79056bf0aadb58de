"""Render HTML in headless Chromium and score how much it looks like a screenshot.

Rendering uses Debian's ``/usr/bin/chromium`` through Playwright (never a downloaded
browser), a viewport of the screenshot's size at scale 1, and a route that aborts every
request, so a page that links a CDN font renders offline instead of hanging.

The score is a weighted mean of terms in [0, 1], each covering what the others miss:

* **SSIM** on greyscale downscaled to ≤ 256 px: structure and luminance at the scale of
  blocks and lines, tolerant of anti-aliasing and 1–2 px offsets. On its own it is too kind:
  a screenshot is mostly flat background, and flat matches flat, so a blank page of the
  right colour already scores ~0.8.
* **edges**: F1 of Canny edges (≤ 512 px) matched within 2 px either way. A blank page has
  no edges (0); missing or extra boxes, lines and text cost recall or precision.
* **colour**: 1 − mean CIE76 ΔE / 50 on a 32-px grid: a wrong bar or button colour of the
  same grey level (which SSIM cannot see) costs here.
* **text** (only when OCR blocks of both images are given): share of text lines found in
  both with the same text at the same place; the others barely see wrong words.

Weights: 0.4 SSIM, 0.4 edges, 0.2 colour; with text 0.3, 0.3, 0.15 and 0.25.
"""

from __future__ import annotations

import asyncio
import difflib
import io
import os
import shutil
import threading
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from tools.common.expert_schema import Similarity
from tools.common.schema import TextBlock

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--disable-quic"]


def chromium_path() -> str | None:
    """Debian's Chromium (or ``VLCREW_CHROMIUM``), or None when there is none."""
    for path in (os.environ.get("VLCREW_CHROMIUM"), "/usr/bin/chromium",
                 shutil.which("chromium")):
        if path and os.path.exists(path):
            return path
    return None


async def arender_html(html: str, width: int, height: int, timeout_s: float = 30.0) -> Image.Image:
    """Screenshot of ``html`` in a ``width``×``height`` viewport (CSS px = image px)."""
    from playwright.async_api import Route, async_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("no Chromium: install Debian's chromium (/usr/bin/chromium)")

    async def block(route: Route) -> None:
        await route.abort()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=exe, args=LAUNCH_ARGS,
                                           timeout=timeout_s * 1000)
        try:
            context = await browser.new_context(viewport={"width": width, "height": height},
                                                device_scale_factor=1)
            await context.route("**/*", block)  # offline: no fonts, scripts or images fetched
            page = await context.new_page()
            await page.set_content(html, wait_until="load", timeout=timeout_s * 1000)
            png = await page.screenshot(type="png", timeout=timeout_s * 1000)
        finally:
            await browser.close()
    return Image.open(io.BytesIO(png)).convert("RGB")


def render_html(html: str, width: int, height: int, timeout_s: float = 30.0) -> Image.Image:
    """Blocking :func:`arender_html`; from inside a running event loop it runs in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arender_html(html, width, height, timeout_s))
    box: dict[str, Image.Image | BaseException] = {}

    def work() -> None:
        try:
            box["image"] = asyncio.run(arender_html(html, width, height, timeout_s))
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    t = threading.Thread(target=work)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["image"]  # type: ignore[return-value]


# ---------------------------------------------------------------------------- terms


def _fit(img: np.ndarray, longest: int) -> np.ndarray:
    h, w = img.shape[:2]
    f = min(1.0, longest / max(h, w))
    if f >= 1.0:
        return img
    return cv2.resize(img, (max(1, round(w * f)), max(1, round(h * f))),
                      interpolation=cv2.INTER_AREA)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean structural similarity of two greyscale images (Gaussian 11×11, σ 1.5)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a ** 2
    var_b = blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1)
                                                     * (var_a + var_b + c2))
    return float(np.clip(m.mean(), 0.0, 1.0))


def edge_f1(a: np.ndarray, b: np.ndarray, reach: int = 2) -> float:
    """F1 of Canny edges of two greyscale images, each matched within ``reach`` px."""
    ea, eb = cv2.Canny(a, 50, 150) > 0, cv2.Canny(b, 50, 150) > 0
    if not ea.any() and not eb.any():
        return 1.0
    if not ea.any() or not eb.any():
        return 0.0
    k = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    near_a = cv2.dilate(ea.astype(np.uint8), k) > 0
    near_b = cv2.dilate(eb.astype(np.uint8), k) > 0
    precision = float((eb & near_a).sum() / eb.sum())
    recall = float((ea & near_b).sum() / ea.sum())
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def color_match(a: np.ndarray, b: np.ndarray) -> float:
    """1 − mean ΔE (CIE76) / 50 of two RGB images on a coarse 32-px grid, in [0, 1]."""
    def lab(x: np.ndarray) -> np.ndarray:
        small = cv2.resize(x, (32, 32), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)

    delta = np.linalg.norm(lab(a) - lab(b), axis=-1).mean()
    return float(np.clip(1.0 - delta / 50.0, 0.0, 1.0))


def _iou(a: Sequence[int], b: Sequence[int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def text_match(expected: Sequence[TextBlock], found: Sequence[TextBlock]) -> float:
    """F1 of text lines: same text (≥ 0.8 alike, spaces ignored) overlapping (IoU ≥ 0.3)."""
    if not expected and not found:
        return 1.0
    left = list(found)
    hits = 0
    for e in expected:
        want = e.text.replace(" ", "")
        match = next((f for f in left if _iou(e.bbox, f.bbox) >= 0.3 and difflib.SequenceMatcher(
            None, want, f.text.replace(" ", "")).ratio() >= 0.8), None)
        if match is not None:
            left.remove(match)
            hits += 1
    if hits == 0:
        return 0.0
    precision, recall = hits / len(found), hits / len(expected)
    return 2 * precision * recall / (precision + recall)


def similarity(rendered: Image.Image, target: Image.Image,
               rendered_blocks: Sequence[TextBlock] | None = None,
               target_blocks: Sequence[TextBlock] | None = None) -> Similarity:
    """How alike ``rendered`` looks to ``target`` (see the module docstring)."""
    tgt = np.asarray(target.convert("RGB"))
    ren = np.asarray(rendered.convert("RGB"))
    if ren.shape != tgt.shape:
        ren = cv2.resize(ren, (tgt.shape[1], tgt.shape[0]), interpolation=cv2.INTER_AREA)
    g_t, g_r = cv2.cvtColor(tgt, cv2.COLOR_RGB2GRAY), cv2.cvtColor(ren, cv2.COLOR_RGB2GRAY)
    s = ssim(_fit(g_t, 256), _fit(g_r, 256))
    e = edge_f1(_fit(g_t, 512), _fit(g_r, 512))
    c = color_match(tgt, ren)
    if rendered_blocks is None or target_blocks is None:
        return Similarity(score=round(0.4 * s + 0.4 * e + 0.2 * c, 4), ssim=round(s, 4),
                          edges=round(e, 4), color=round(c, 4))
    t = text_match(target_blocks, rendered_blocks)
    return Similarity(score=round(0.3 * s + 0.3 * e + 0.15 * c + 0.25 * t, 4), ssim=round(s, 4),
                      edges=round(e, 4), color=round(c, 4), text=round(t, 4))


def compare_html(html: str, target: Image.Image, with_text: bool = False
                 ) -> tuple[Similarity, Image.Image]:
    """Render ``html`` at ``target``'s size and score it; with ``with_text`` both images are
    also OCR'd for the text term (about a second more)."""
    rendered = render_html(html, target.width, target.height)
    if not with_text:
        return similarity(rendered, target), rendered
    from tools.perception.ocr_engine import read_text

    return similarity(rendered, target, read_text(rendered), read_text(target)), rendered
