"""Screenshot → positioned-layout HTML/CSS, from OCR text and detected controls (no model).

Everything is absolutely positioned at the pixels where it was found, so the page renders
at the screenshot's size and can be compared with it (:mod:`tools.frontend.page_compare`). What goes
in, in paint order:

* the page colour (the commonest colour of the image's frame) and *panels*: large areas of
  another colour (a header bar, a card), the colour-difference mask with letters closed in,
  one level of nesting deep, each with its own fill, border and corner radius;
* controls from :func:`tools.perception.layout_detect.detect_elements` with labels from
  :func:`tools.perception.layout_link.link_labels`: ``<input>``, ``<textarea>``, ``<select>``,
  checkboxes/radios and ``<button>``, their fill, border and text colours sampled, the OCR
  text inside them as placeholder or caption, a linked label as ``<label for>``; a box
  with only its bottom edge drawn is a fill-in line (``border-bottom``);
* every other OCR line as text, placed so its ink lands on the ink in the screenshot: the
  font size from the ink height matched against the same text drawn with the same font
  (Noto Sans CJK, which the page asks for), ``scaleX`` from the ink width.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from PIL.ImageFont import FreeTypeFont

from tools.common.expert_schema import HtmlElement, HtmlRebuild
from tools.common.fonts import font
from tools.common.schema import Box, Element, TextBlock

FONT_STACK = '"Noto Sans CJK SC", "Noto Sans CJK", "Noto Sans", "Microsoft YaHei", sans-serif'
RGB = tuple[int, int, int]


def hex_color(c: Sequence[int]) -> str:
    """``#rrggbb`` of an RGB triple."""
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in c[:3]))


def mode_color(pixels: np.ndarray) -> RGB:
    """Commonest colour among ``pixels`` (…×3), on a 4-level grid so JPEG noise merges."""
    flat = pixels.reshape(-1, 3).astype(np.int32)
    if flat.size == 0:
        return (255, 255, 255)
    keys = (flat[:, 0] >> 2) * 4096 + (flat[:, 1] >> 2) * 64 + (flat[:, 2] >> 2)
    top = np.bincount(keys).argmax()
    sel = flat[keys == top]
    return (int(sel[:, 0].mean()), int(sel[:, 1].mean()), int(sel[:, 2].mean()))


def _dist(pixels: np.ndarray, c: Sequence[int]) -> np.ndarray:
    return np.abs(pixels.astype(np.int32) - np.asarray(c[:3], np.int32)).max(axis=-1)


def text_color(rgb: np.ndarray, box: Box) -> RGB:
    """The ink colour inside ``box``: far from the box's own background, anti-aliased edge
    pixels (half-way colours) left out."""
    x1, y1, x2, y2 = box
    patch = rgb[y1:y2, x1:x2]
    if patch.size == 0:
        return (0, 0, 0)
    bg = mode_color(patch)
    d = _dist(patch, bg)
    far = patch[d >= 0.6 * max(1, int(d.max()))]
    if not far.size:
        return bg
    r, g, b = (int(v) for v in np.median(far, axis=0))
    return (r, g, b)


def _radius(diff: np.ndarray, rect: Box) -> int:
    """Corner radius of a filled shape: how far along the diagonal its top-left corner is
    empty (a circular arc leaves r·(1 - 1/√2) ≈ 0.29 r)."""
    x1, y1, x2, y2 = rect
    d, side = 0, min(x2 - x1, y2 - y1)
    while d < side // 2 and not diff[y1 + d, x1 + d]:
        d += 1
    # Even a pill leaves only 0.15 of its height: further in, the box is not the shape's own.
    return round(d / 0.29) if 0 < d < side / 4 else 0


# ---------------------------------------------------------------------------- panels


def _panels(rgb: np.ndarray, region: Box, bg: RGB,
            depth: int = 2) -> list[tuple[HtmlElement, int]]:
    """Large areas of another colour than ``bg`` inside ``region`` (recursing once), each
    with its corner radius."""
    x0, y0, x1, y1 = region
    patch = rgb[y0:y1, x0:x1]
    diff = (_dist(patch, bg) > 6).astype(np.uint8)  # a white card on a #f5f6f8 page differs by 10
    # Close the letters inside a bar, then open away lone text strokes and thin borders'
    # insides; a card with a 1-px border is a closed ring, filled by drawing its contour.
    solid = cv2.morphologyEx(diff, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    contours, _h = cv2.findContours(solid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area_min = 0.01 * patch.shape[0] * patch.shape[1]
    out: list[tuple[HtmlElement, int]] = []
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if w * h < area_min or w < 24 or h < 16 or cv2.contourArea(c) < 0.85 * w * h:
            continue  # small, or not a rectangle (a word, an icon, a diagonal)
        inner = patch[y + 3:y + h - 3, x + 3:x + w - 3]
        fill = mode_color(inner)
        # The outermost rows: a border if they differ from the fill, the fill itself if not.
        edge = np.concatenate([patch[y, x + 4:x + w - 4], patch[y + h - 1, x + 4:x + w - 4]])
        border = mode_color(edge) if edge.size else fill
        box = [x0 + x, y0 + y, x0 + x + w, y0 + y + h]
        if (fill == bg) and (border == bg):
            continue
        el = HtmlElement(tag="div", bbox=box, background=hex_color(fill),
                         color=hex_color(border) if _dist(np.array(border), fill) > 10 else "")
        out.append((el, _radius(solid, [x, y, x + w, y + h])))
        if depth > 1 and w > 40 and h > 40:
            out.extend(_panels(rgb, [box[0] + 2, box[1] + 2, box[2] - 2, box[3] - 2], fill,
                               depth - 1))
    return out


# ---------------------------------------------------------------------------- controls


def _inside(inner: Box, outer: Box, slack: int = 3) -> bool:
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer[0] - slack <= cx <= outer[2] + slack and outer[1] - slack <= cy <= outer[3] + slack


def _ink(rgb: np.ndarray, box: Box, exclude: Sequence[Box] = ()) -> Box | None:
    """The tight box of the text pixels inside an OCR box (None if it holds no contrast),
    leaving out ``exclude`` (a checkbox the OCR box took in with its label)."""
    x1, y1, x2, y2 = box
    patch = rgb[y1:y2, x1:x2]
    if patch.size == 0:
        return None
    d = _dist(patch, mode_color(patch))
    for ex in exclude:
        d[max(0, ex[1] - y1):max(0, ex[3] - y1), max(0, ex[0] - x1):max(0, ex[2] - x1)] = 0
    if int(d.max()) < 40:
        return None
    ink = d >= 0.5 * int(d.max())
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return [x1 + int(cols[0]), y1 + int(rows[0]), x1 + int(cols[-1]) + 1, y1 + int(rows[-1]) + 1]


@dataclass
class TextFit:
    """How to set one OCR line so it lands on its pixels: the text (a space restored where
    the recogniser dropped one between scripts), font size, horizontal scale, and the box of
    a div whose line height is the font's ascent + descent (so ink top = top + bbox top)."""

    text: str
    size: int
    scale: float
    left: int
    top: int
    line_height: int


def fit_text(rgb: np.ndarray, block: TextBlock, exclude: Sequence[Box] = ()) -> TextFit:
    """Font size from the ink height measured against the same text drawn with the page's
    font (Pillow and Chromium agree on Noto CJK within a pixel), scale from the ink width."""
    ink = _ink(rgb, block.bbox, exclude) or block.bbox
    ih, iw = ink[3] - ink[1], ink[2] - ink[0]
    spaced = re.sub(r"(?<=[\u3400-\u9fff])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[\u3400-\u9fff])",
                    " ", block.text)
    best: TextFit | None = None
    for text in dict.fromkeys([block.text, spaced]):
        ref = font(100).getbbox(text)
        size = round(100 * ih / max(1, ref[3] - ref[1]))
        size = max(6, min(2 * (block.bbox[3] - block.bbox[1]), size))
        f = font(size)
        left, top, right, _bottom = f.getbbox(text)
        scale = iw / max(1, right - left)
        ascent, descent = f.getmetrics() if isinstance(f, FreeTypeFont) else (size, 0)
        fit = TextFit(text, size, round(min(1.3, max(0.75, scale)), 3),
                      ink[0] - round(left * scale), ink[1] - round(top), ascent + descent)
        if best is None or abs(scale - 1) < abs(best.scale - 1) - 0.02:
            best = fit
    assert best is not None
    return best


def _style(box: Box, **extra: str) -> str:
    parts = [f"left:{box[0]}px", f"top:{box[1]}px", f"width:{box[2] - box[0]}px",
             f"height:{box[3] - box[1]}px", *(f"{k.replace('_', '-')}:{v}" for k, v in
                                            extra.items() if v)]
    return ";".join(parts)


def _control(rgb: np.ndarray, el: Element, idx: int, text: TextBlock | None,
             css: list[str]) -> tuple[str, HtmlElement]:
    """The HTML of one detected control and its record."""
    x1, y1, x2, y2 = el.bbox
    fill = mode_color(rgb[y1 + 3:y2 - 3, x1 + 3:x2 - 3])
    top = mode_color(rgb[y1, x1 + 4:x2 - 4])
    sides = mode_color(np.concatenate([rgb[y1 + 4:y2 - 4, x1], rgb[y1 + 4:y2 - 4, x2 - 1]]))
    # The bottom edge: the box's last row, or for a fill-in blank the line just under it.
    rows = [y for y in (y2 - 1, y2, y2 + 1) if y < rgb.shape[0]]
    edge = max(rows, key=lambda y: int(_dist(np.array(mode_color(rgb[y, x1 + 4:x2 - 4])), fill)))
    bottom = mode_color(rgb[edge, x1 + 4:x2 - 4])
    differs = [_dist(np.array(c), fill) > 10 for c in (top, bottom, sides)]
    if differs == [False, True, False]:  # a fill-in line: only the bottom edge is drawn
        border_css = f"none;border-bottom:1px solid {hex_color(bottom)}"
        el = el.model_copy(update={"bbox": [x1, y1, x2, max(y2, edge + 1)]})
    else:
        border_css = f"1px solid {hex_color(top if differs[0] else sides)}"
    diff = (_dist(rgb[y1:y2, x1:x2], rgb[max(0, y1 - 2), max(0, x1 - 2)]) > 10).astype(np.uint8)
    radius = f"{_radius(diff, [0, 0, x2 - x1, y2 - y1])}px"
    eid = f"e{idx}"
    caption = html.escape(text.text) if text else ""
    size = fit_text(rgb, text).size if text else max(10, round(0.4 * (y2 - y1)))
    ink = hex_color(text_color(rgb, text.bbox)) if text else "#333333"
    pad = f"{max(0, text.bbox[0] - x1 - 1)}px" if text else "8px"
    common = dict(background=hex_color(fill), border_radius=radius, font_size=f"{size}px")
    kind = el.kind
    if kind == "button":
        style = _style(el.bbox, color=ink, border="none", **common)
        tag = f'<button id="{eid}" class="a" style="{style}">{caption}</button>'
        rec = HtmlElement(tag="button", bbox=el.bbox, text=text.text if text else "", color=ink,
                          background=hex_color(fill))
        return tag, rec
    style = _style(el.bbox, border=border_css, padding_left=pad,
                   color=ink if kind == "select" else "#333333", **common)
    if text:
        css.append(f"#{eid}::placeholder{{color:{ink};opacity:1}}")
    label = f' aria-label="{html.escape(el.label)}"' if el.label else ""
    if kind in ("checkbox", "radio"):
        tag = (f'<input id="{eid}" class="a" type="{kind}"{label} '
               f'style="{_style(el.bbox)};margin:0">')
    elif kind == "textarea":
        tag = (f'<textarea id="{eid}" class="a"{label} placeholder="{caption}" '
               f'style="{style};padding-top:{max(0, (text.bbox[1] - y1) - 2) if text else 6}px;'
               f'resize:none"></textarea>')
    elif kind == "select":
        tag = (f'<select id="{eid}" class="a"{label} style="{style}">'
               f"<option>{caption}</option></select>")
    else:
        # A date field stays type=text: Chromium's own date chrome is not what was seen.
        kind_attr = ' data-kind="date"' if kind == "date" else ""
        tag = (f'<input id="{eid}" class="a" type="text"{kind_attr}{label} '
               f'placeholder="{caption}" style="{style}">')
    rec = HtmlElement(tag=tag.split(" ", 1)[0][1:], bbox=el.bbox, text=text.text if text else "",
                      color=ink, background=hex_color(fill))
    return tag, rec


# ---------------------------------------------------------------------------- page


def rebuild_html(image: Image.Image, blocks: Sequence[TextBlock],
                 elements: Sequence[Element] | None = None, title: str = "Rebuilt page"
                 ) -> HtmlRebuild:
    """A standalone HTML page that lays out ``image``'s text and controls where they are.

    ``elements`` default to the offline layout detector's (with labels linked).
    """
    rgb = np.asarray(image.convert("RGB"))
    H, W = rgb.shape[:2]
    if elements is None:
        from tools.perception.layout import detect_elements, link_labels

        elements = link_labels(detect_elements(image), list(blocks), (W, H), image)
    # The frame of a screenshot is page background far more often than the middle is (a
    # big white card on a grey page outnumbers the grey).
    page = mode_color(np.concatenate([rgb[:2].reshape(-1, 3), rgb[-2:].reshape(-1, 3),
                                      rgb[:, :2].reshape(-1, 3), rgb[:, -2:].reshape(-1, 3)]))
    records: list[HtmlElement] = []
    body: list[str] = []
    css: list[str] = []
    for p, radius in _panels(rgb, [0, 0, W, H], page):
        if any(_inside(p.bbox, e.bbox, 0) and abs(p.bbox[2] - p.bbox[0] - e.bbox[2] + e.bbox[0])
               < 8 for e in elements):
            continue  # the detected control is drawn as itself
        style = _style(p.bbox, background=p.background, border_radius=f"{radius}px",
                       border=f"1px solid {p.color}" if p.color else "")
        body.append(f'<div class="a" style="{style}"></div>')
        records.append(p)
    used: set[int] = set()
    boxes = [e.bbox for e in elements]
    for idx, el in enumerate(sorted(elements, key=lambda e: (e.bbox[1], e.bbox[0]))):
        inner = [i for i, b in enumerate(blocks) if i not in used and _inside(b.bbox, el.bbox, 0)]
        text = blocks[inner[0]] if inner else None
        used.update(inner)
        tag, rec = _control(rgb, el, idx, text, css)
        body.append(tag)
        records.append(rec)
        if el.label_bbox and el.label:
            for i, b in enumerate(blocks):
                if i not in used and b.bbox == el.label_bbox:
                    used.add(i)
                    body.append(_text(rgb, b, records, boxes, label_for=f"e{idx}"))
    for i, b in enumerate(blocks):
        if i not in used:
            body.append(_text(rgb, b, records, boxes))
    doc = "\n".join([
        "<!doctype html>", '<html lang="zh"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>",
        "*{box-sizing:border-box;margin:0}",
        f"html,body{{width:{W}px;height:{H}px;overflow:hidden;background:{hex_color(page)}}}",
        f"body{{position:relative;font-family:{FONT_STACK}}}",
        ".a{position:absolute;font-family:inherit}",
        ".t{white-space:nowrap;transform-origin:0 50%}",
        *css, "</style></head><body>", *body, "</body></html>"])
    return HtmlRebuild(html=doc, width=W, height=H, background=hex_color(page), elements=records)


def _text(rgb: np.ndarray, b: TextBlock, records: list[HtmlElement], controls: Sequence[Box],
          label_for: str | None = None) -> str:
    overlap = [c for c in controls if c[0] < b.bbox[2] and b.bbox[0] < c[2]
               and c[1] < b.bbox[3] and b.bbox[1] < c[3]]
    fit = fit_text(rgb, b, overlap)
    ink = hex_color(text_color(rgb, b.bbox))
    style = ";".join([f"left:{fit.left}px", f"top:{fit.top}px", f"color:{ink}",
                      f"font-size:{fit.size}px", f"line-height:{fit.line_height}px",
                      *([f"transform:scaleX({fit.scale})"] if abs(fit.scale - 1) > 0.02 else [])])
    tag = "label" if label_for else "div"
    records.append(HtmlElement(tag=tag, bbox=b.bbox, text=fit.text, color=ink))
    attr = f' for="{label_for}"' if label_for else ""
    return f'<{tag}{attr} class="a t" style="{style}">{html.escape(fit.text)}</{tag}>'
