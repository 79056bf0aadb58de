"""Inputs with known answers for the document, math, frontend and video tools.

Each function draws a real image (Pillow, the project's CJK font) or writes a real video
(OpenCV, MJPG in AVI) and returns it with its ground truth. The tests and
``bench/experts.py`` share them, so the figures the bench prints are about the inputs the
tests check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from tools.common.fonts import font

INK = (30, 30, 30)

# ---------------------------------------------------------------------------- reading

PAGE_TITLE = "Quarterly Report 季度报告"
LEFT = [
    "Sales grew in every region this quarter. The new store in Hangzhou opened on time "
    "and met its targets in the first month.",
    "Costs stayed flat because the warehouse contract was renewed at the old price.",
]
RIGHT = [
    "本季度各地区销售均有增长。杭州新店按时开业，首月即完成目标。",
    "由于仓库合同按原价续签，成本保持不变。下季度将继续扩大线上业务。",
]
FOOTER = "Prepared by the finance team. Page 1 of 4"


def _wrap(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> list[str]:
    """Greedy wrap by pixel width: words for Latin text, characters for Chinese."""
    f = font(size)
    tokens = text.split(" ") if text.isascii() else list(text)
    sep = " " if text.isascii() else ""
    lines: list[str] = []
    cur = ""
    for tok in tokens:
        trial = f"{cur}{sep}{tok}" if cur else tok
        if draw.textlength(trial, font=f) <= width or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = tok
    if cur:
        lines.append(cur)
    return lines


def two_column_page() -> tuple[Image.Image, list[str]]:
    """A full-width title, two columns of two paragraphs each, a full-width footer.

    Returns the page and its paragraphs in reading order (title, left column, right
    column, footer)."""
    W, H, margin, gutter, size = 900, 560, 40, 50, 20
    img = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(img)
    draw.text((margin, 30), PAGE_TITLE, font=font(32), fill=INK)
    col_w = (W - 2 * margin - gutter) // 2
    line_h = int(size * 1.6)
    for x, paragraphs in ((margin, LEFT), (margin + col_w + gutter, RIGHT)):
        y = 110
        for para in paragraphs:
            for line in _wrap(draw, para, size, col_w):
                draw.text((x, y), line, font=font(size), fill=INK)
                y += line_h
            y += line_h  # a blank line between paragraphs
    draw.text((margin, H - 60), FOOTER, font=font(18), fill=(90, 90, 90))
    return img, [PAGE_TITLE, *LEFT, *RIGHT, FOOTER]


# ---------------------------------------------------------------------------- tables

TABLE_ROWS = [
    ["商品 Item", "数量 Qty", "单价 Price"],
    ["苹果 Apple", "3", "4.50"],
    ["Banana", "12", "0.80"],
    ["樱桃 Cherry", "1", "25.00"],
    ["合计 Total", "16", "30.30"],
]


def ruled_table(rows: list[list[str]] | None = None, size: int = 22,
                line: int = 2) -> tuple[Image.Image, list[list[str]]]:
    """A table with every cell ruled (header row shaded), under a caption line."""
    rows = rows or TABLE_ROWS
    f = font(size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    widths = [max(int(probe.textlength(r[c], font=f)) for r in rows) + 40
              for c in range(len(rows[0]))]
    row_h = size + 24
    x0, y0 = 40, 80
    W, H = x0 + sum(widths) + 40, y0 + row_h * len(rows) + 40
    img = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(img)
    draw.text((x0, 24), "Order 订单 #2024-117", font=font(24), fill=INK)
    draw.rectangle([x0, y0, x0 + sum(widths), y0 + row_h], fill=(232, 238, 247))
    for r, row in enumerate(rows):
        x = x0
        for c, text in enumerate(row):
            draw.text((x + 20, y0 + r * row_h + row_h // 2), text, font=f, fill=INK,
                      anchor="lm")
            x += widths[c]
    ys = [y0 + r * row_h for r in range(len(rows) + 1)]
    xs = [x0 + sum(widths[:c]) for c in range(len(widths) + 1)]
    for y in ys:
        draw.line([(xs[0], y), (xs[-1], y)], fill=(60, 60, 60), width=line)
    for x in xs:
        draw.line([(x, ys[0]), (x, ys[-1])], fill=(60, 60, 60), width=line)
    return img, rows


def borderless_table(rows: list[list[str]] | None = None,
                     size: int = 22) -> tuple[Image.Image, list[list[str]]]:
    """The same kind of table with no ruling: columns only by alignment."""
    rows = rows or TABLE_ROWS
    f = font(size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    widths = [max(int(probe.textlength(r[c], font=f)) for r in rows) + 60
              for c in range(len(rows[0]))]
    row_h = size + 22
    x0, y0 = 40, 40
    img = Image.new("RGB", (x0 + sum(widths) + 20, y0 + row_h * len(rows) + 30), "white")
    draw = ImageDraw.Draw(img)
    for r, row in enumerate(rows):
        x = x0
        for c, text in enumerate(row):
            draw.text((x, y0 + r * row_h), text, font=f, fill=INK)
            x += widths[c]
    return img, rows


MERGED_ROWS = [["城市", "上半年 H1", ""], ["", "Q1", "Q2"], ["杭州", "120", "135"],
               ["Shanghai", "98", "101"]]


def merged_table() -> tuple[Image.Image, list[list[str]]]:
    """A ruled table with merged cells: 城市 spans two rows, 上半年 H1 two columns.

    Returns the image and its rows as the table tool lays them out (a merged cell's text in
    its first slot, the slots it covers empty)."""
    img = Image.new("RGB", (560, 260), "white")
    d = ImageDraw.Draw(img)
    xs, ys = [30, 190, 360, 530], [30, 80, 130, 180, 230]
    ink = (50, 50, 50)
    for y in ys[::2] + ys[3:4]:
        d.line([(xs[0], y), (xs[-1], y)], fill=ink, width=2)
    d.line([(xs[1], ys[1]), (xs[-1], ys[1])], fill=ink, width=2)  # not under 城市
    for x in (xs[0], xs[1], xs[-1]):
        d.line([(x, ys[0]), (x, ys[-1])], fill=ink, width=2)
    d.line([(xs[2], ys[1]), (xs[2], ys[-1])], fill=ink, width=2)  # not through 上半年
    for r, row in enumerate(MERGED_ROWS):
        for c, text in enumerate(row):
            if text:
                d.text((xs[c] + 14, (ys[r] + ys[r + 1]) // 2), text, font=font(22), fill=ink,
                       anchor="lm")
    return img, MERGED_ROWS


# ---------------------------------------------------------------------------- math


@dataclass
class MathCase:
    """One printed problem and its answer (each unknown's values, or the number)."""

    text: str
    answer: dict[str, list[str]]
    lines: list[str] = field(default_factory=list)  # a system: one equation a line

    def printed(self) -> list[str]:
        return self.lines or [self.text]


MATH_CASES = [
    MathCase("2x + 3 = 11", {"x": ["4"]}),
    MathCase("x² - 5x + 6 = 0", {"x": ["2", "3"]}),
    MathCase("12 × 7 + 5 =", {"": ["89"]}),
    MathCase("48 ÷ 6 - 3 =", {"": ["5"]}),
    MathCase("解方程：3(x - 2) = 2x + 1", {"x": ["7"]}),
    MathCase("x + y = 10 ; x - y = 2", {"x": ["6"], "y": ["4"]},
             lines=["x + y = 10", "x - y = 2"]),
]


MORE_MATH_CASES = [
    MathCase("3/4 + 1/6 =", {"": ["11/12"]}),
    MathCase("x/2 + 1 = 4", {"x": ["6"]}),
    MathCase("0.5x - 1.2 = 0.3", {"x": ["3"]}),
    MathCase("2(x + 1)² = 18", {"x": ["-4", "2"]}),
    MathCase("(15 - 3) ÷ 4 × 2 =", {"": ["6"]}),
    MathCase("3x - 2y = 4 ; x + 2y = 12", {"x": ["4"], "y": ["4"]},
             lines=["3x - 2y = 4", "x + 2y = 12"]),
    MathCase("计算：25 × 4 - 36 ÷ 6 =", {"": ["94"]}),
]
"""A second worksheet: fractions, decimals, a bracket squared, mixed operators."""


def math_image(lines: list[str], size: int = 36) -> Image.Image:
    """Problems printed one a line, as on a worksheet."""
    f = font(size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = max(int(probe.textlength(s, font=f)) for s in lines) + 80
    img = Image.new("RGB", (width, 40 + len(lines) * int(size * 1.9)), "white")
    draw = ImageDraw.Draw(img)
    for i, s in enumerate(lines):
        draw.text((40, 24 + i * int(size * 1.9)), s, font=f, fill=INK)
    return img


# ---------------------------------------------------------------------------- frontend


@dataclass
class UiTruth:
    """What a drawn login screen holds."""

    texts: list[str]
    inputs: list[tuple[int, int, int, int]]
    button: tuple[int, int, int, int]
    button_text: str
    header: tuple[int, int, int, int]
    header_color: tuple[int, int, int]


def ui_screenshot() -> tuple[Image.Image, UiTruth]:
    """A small login screen: coloured header bar, two boxed inputs, a blue button."""
    W, H = 480, 400
    header_color = (36, 91, 173)
    img = Image.new("RGB", (W, H), (245, 246, 248))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, W - 1, 59], fill=header_color)
    draw.text((24, 30), "会员登录 Sign in", font=font(24), fill="white", anchor="lm")
    draw.rounded_rectangle([30, 80, 450, 370], radius=8, fill="white", outline=(220, 223, 230))
    inputs = []
    for i, (label, hint) in enumerate((("用户名 Username", "请输入用户名"),
                                       ("密码 Password", "请输入密码"))):
        y = 100 + i * 90
        draw.text((60, y), label, font=font(18), fill=(50, 50, 50))
        box = (60, y + 30, 420, y + 70)
        draw.rounded_rectangle(box, radius=4, fill="white", outline=(200, 204, 212), width=1)
        draw.text((74, y + 50), hint, font=font(16), fill=(170, 170, 170), anchor="lm")
        inputs.append(box)
    button = (60, 290, 420, 336)
    draw.rounded_rectangle(button, radius=6, fill=(22, 119, 255))
    draw.text(((button[0] + button[2]) // 2, (button[1] + button[3]) // 2), "登录 Log in",
              font=font(20), fill="white", anchor="mm")
    texts = ["会员登录 Sign in", "用户名 Username", "请输入用户名", "密码 Password",
             "请输入密码", "登录 Log in"]
    return img, UiTruth(texts, inputs, button, "登录 Log in", (0, 0, W, 60), header_color)


# ---------------------------------------------------------------------------- video

VIDEO_SCRIPT = [(0.0, "Welcome 欢迎"), (3.0, "Step 1: open the form"),
                (5.5, "Step 2: 点击提交")]
VIDEO_SECONDS = 8.0


def text_video(path: str | Path, fps: float = 10.0, size: tuple[int, int] = (640, 360),
               script: list[tuple[float, str]] | None = None,
               seconds: float = VIDEO_SECONDS, fade: float = 0.0) -> list[tuple[float, str]]:
    """An MJPG AVI whose caption changes at known times; a small square moves all along
    (motion that is not a scene change). With ``fade`` each change is a cross-fade of that
    many seconds starting at its time. Returns the script: (start seconds, text)."""
    script = script or VIDEO_SCRIPT
    W, H = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (W, H))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write MJPG video here")
    slides = []
    for _t, text in script:
        img = Image.new("RGB", (W, H), (250, 250, 245))
        ImageDraw.Draw(img).text((W // 2, H // 2), text, font=font(36), fill=INK, anchor="mm")
        slides.append(np.asarray(img)[:, :, ::-1].copy())
    for i in range(round(seconds * fps)):
        t = i / fps
        k = max(j for j, (start, _s) in enumerate(script) if start <= t + 1e-9)
        into = t - script[k][0]
        if k and fade and into < fade:  # part-way through the cross-fade from the last slide
            frame = cv2.addWeighted(slides[k], into / fade, slides[k - 1], 1 - into / fade, 0)
        else:
            frame = slides[k].copy()
        x = 20 + (i * 4) % (W - 60)
        cv2.rectangle(frame, (x, H - 40), (x + 16, H - 24), (80, 160, 80), -1)
        writer.write(frame)
    writer.release()
    return script
