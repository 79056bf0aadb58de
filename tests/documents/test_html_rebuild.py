"""Screenshot → HTML: what the rebuild holds, then (with Debian's Chromium) how alike its
rendering looks to the screenshot, against a blank page as the floor."""

from __future__ import annotations

import asyncio
import re
import time
from functools import lru_cache

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench.expert_inputs import UiTruth, ui_screenshot
from tools.common.expert_schema import HtmlRebuild
from tools.common.schema import TextBlock
from tools.frontend.html_rebuild import rebuild_html
from tools.frontend.page_compare import (
    arender_html,
    chromium_path,
    compare_html,
    render_html,
    similarity,
)
from tools.perception.ocr_engine import read_text

needs_chromium = pytest.mark.skipif(
    chromium_path() is None,
    reason="no /usr/bin/chromium (Debian's chromium package; `make setup` installs it as root)")


@lru_cache(maxsize=1)
def rebuilt() -> tuple[Image.Image, UiTruth, tuple[TextBlock, ...], HtmlRebuild]:
    img, truth = ui_screenshot()
    blocks = tuple(read_text(img))
    return img, truth, blocks, rebuild_html(img, list(blocks))


def squash(s: str) -> str:
    return "".join(s.split())


def close(hex_color: str, rgb: tuple[int, int, int], tol: int = 12) -> bool:
    got = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    return all(abs(a - b) <= tol for a, b in zip(got, rgb, strict=True))


def test_rebuild_places_controls_text_and_panels() -> None:
    img, truth, _blocks, page = rebuilt()
    assert (page.width, page.height) == img.size
    assert close(page.background, (245, 246, 248))
    tags = [e.tag for e in page.elements]
    assert tags.count("input") == 2 and tags.count("button") == 1
    inputs = [e for e in page.elements if e.tag == "input"]
    for el, box in zip(inputs, truth.inputs, strict=True):
        assert all(abs(a - b) <= 2 for a, b in zip(el.bbox, box, strict=True)), (el.bbox, box)
    assert [squash(e.text) for e in inputs] == ["请输入用户名", "请输入密码"]
    button = next(e for e in page.elements if e.tag == "button")
    assert squash(button.text) == squash(truth.button_text)
    assert close(button.background, (22, 119, 255))
    header = next(e for e in page.elements if e.tag == "div" and e.bbox[1] == 0)
    assert close(header.background, truth.header_color)
    # Labels are tied to their inputs; every text the screenshot shows is on the page.
    assert page.html.count('<label for="e') == 2
    shown = {squash(e.text) for e in page.elements}
    assert {squash(t) for t in truth.texts} <= shown, shown
    assert not re.search(r"https?://", page.html)  # standalone: nothing to fetch


@pytest.mark.browser
@needs_chromium
def test_rendered_rebuild_looks_like_the_screenshot() -> None:
    img, _truth, blocks, page = rebuilt()
    sim, rendered = compare_html(page.html, img, with_text=True)
    blank = similarity(Image.new("RGB", img.size, page.background), img)
    assert rendered.size == img.size
    assert sim.score >= 0.85, sim
    assert sim.score >= blank.score + 0.4, (sim, blank)
    assert blank.edges == 0.0 and blank.ssim > 0.6  # why SSIM alone would not do
    assert sim.text == 1.0, sim  # every line OCR'd off the render matches the screenshot's
    rendered_texts = {squash(b.text) for b in read_text(rendered)}
    assert {squash(b.text) for b in blocks} <= rendered_texts, rendered_texts


def test_similarity_terms() -> None:
    img, _truth, _blocks, _page = rebuilt()
    same = similarity(img, img)
    assert same.score == pytest.approx(1.0, abs=1e-3)
    # The same page with the button recoloured: structure holds, colour does not.
    recoloured = img.copy()
    ImageDraw.Draw(recoloured).rounded_rectangle((60, 290, 420, 336), radius=6,
                                                 fill=(230, 60, 60))
    other = similarity(recoloured, img)
    assert other.color < same.color and other.score < same.score
    # Shifting everything 30 px down costs edges much more than colour.
    shifted = Image.new("RGB", img.size, (245, 246, 248))
    shifted.paste(img, (0, 30))
    moved = similarity(shifted, img)
    assert moved.edges < 0.6 and moved.score < other.score


@pytest.mark.browser
@needs_chromium
def test_rendering_is_offline_and_works_inside_an_event_loop() -> None:
    html = ('<html><head><link rel="stylesheet" href="https://cdn.example.com/x.css">'
            '</head><body style="margin:0;background:#123456">'
            '<img src="http://198.51.100.1/logo.png"></body></html>')
    started = time.perf_counter()

    async def inside_loop() -> Image.Image:
        return render_html(html, 64, 48, timeout_s=20)  # blocking call from async code

    img = asyncio.run(inside_loop())
    assert time.perf_counter() - started < 20  # aborted requests, no network wait
    assert img.size == (64, 48)
    assert tuple(np.asarray(img)[24, 32]) == (0x12, 0x34, 0x56)
    img2 = asyncio.run(arender_html("<body style='background:red'></body>", 32, 32))
    assert tuple(np.asarray(img2)[16, 16]) == (255, 0, 0)
