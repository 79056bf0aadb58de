"""Pixels → form controls with classical OpenCV analysis (no OCR, no model).

Everything starts from one *ink mask*: pixels clearly darker than their neighbourhood (so a
#dcdfe6 border on a white input inside a grey page still counts) or far from the page colour
(so the inside of a blue button counts too). Then:

* **boxed inputs / table cells** are rectangular *holes* of the ink (the inside of a border),
  found as inner contours; holes sharing one border component and touching each other are
  the cells of a grid, and only the empty ones are inputs;
* **selects** are boxed inputs with a small down-pointing triangle/chevron at the right end;
* **checkboxes / radios** are small hollow squares / circles that are not glyphs of a text
  line (nothing sits right up against their left side);
* **buttons** are solid, dark or coloured rounded rectangles with light text cut out of them;
* **underline inputs** are isolated thin horizontal lines with blank space above them;
* rectangles holding other controls or several text rows are containers, not inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from tools.common.images import is_blank, scaled_box, working_copy
from tools.common.schema import Element

Rect = tuple[int, int, int, int]
"""``(x1, y1, x2, y2)``, x2/y2 exclusive, original pixels."""


@dataclass
class Region:
    """A candidate region before it becomes an :class:`Element`."""

    kind: str  # shape while detecting (box, cell, filled, underline…), then an ElementKind
    rect: Rect
    confidence: float
    has_ink: bool = False
    parent: int = -1  # ink component whose hole this is (cells of one grid share it)


# ---------------------------------------------------------------------------- masks


def page_gray(image: Image.Image) -> np.ndarray:
    """The image in gray, flipped for a dark theme so that ink is always darker than paper."""
    gray = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2GRAY)
    if int(np.bincount(gray.ravel(), minlength=256).argmax()) < 110:
        gray = 255 - gray
    return gray


def _specks(mask: np.ndarray, drop: bool) -> tuple[np.ndarray, bool]:
    """JPEG rings around every edge; thresholded, the ringing becomes specks of 1–3 px that
    break thin borders and fill checkboxes. Lossless screenshots have almost none. Returns
    the mask (specks removed when ``drop`` or when they are common) and whether they were."""
    n, lab, stats, _c = cv2.connectedComponentsWithStats(mask, connectivity=8)
    small = stats[:, 4] <= 3
    small[0] = False
    noisy = n > 1 and int(small.sum()) >= 10 and small.sum() / (n - 1) > 0.1
    if noisy or drop:
        mask = mask.copy()
        mask[small[lab]] = 0
    return mask, bool(noisy)


def _paper(gray: np.ndarray, reach: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Gray as signed ints, and its local paper level."""
    # Brightest pixel nearby stands in for the local paper: light borders on white fields
    # count even on a grey page, while the grey page beside a white card does not.
    local = cv2.dilate(gray, np.ones((reach, reach), np.uint8))
    return gray.astype(np.int16), local.astype(np.int16)


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """0/255 mask of pixels that are drawn on the page (text, borders, fills)."""
    g, local = _paper(gray)
    bg = int(np.bincount(g.ravel().astype(np.int64), minlength=256).argmax())
    ink = ((local - g) > 22) | (np.abs(g - bg) > 70)  # 2nd term: inside large dark fills
    return _specks(ink.astype(np.uint8) * 255, drop=False)[0]


def is_noisy(gray: np.ndarray) -> bool:
    """Whether the image carries compression noise (see :func:`_specks`)."""
    g, local = _paper(gray)
    return _specks((((local - g) > 22).astype(np.uint8) * 255), drop=False)[1]


def structure_mask(gray: np.ndarray, ink: np.ndarray, noisy: bool = False) -> np.ndarray:
    """Ink plus the faint pixels that continue it: the anti-aliased halo of a border (so
    rounded corners close) and thin light lines that resampling has spread over two rows."""
    # A wide reach makes the edge of a tinted band a thick ring, which the thinness test
    # below rejects, while a 1–2 px line stays thin.
    g, local = _paper(gray, reach=15)
    faint = (local - g) > (18 if noisy else 9)  # above the ringing of a compressed image
    grow = faint & (cv2.dilate(ink, np.ones((5, 5), np.uint8)) > 0)

    def shifted(m: np.ndarray, dy: int, dx: int) -> np.ndarray:
        out = np.zeros_like(m)
        h, w = m.shape
        out[max(0, dy):h + min(0, dy), max(0, dx):w + min(0, dx)] = \
            m[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
        return out

    # Thin: faint here but not 3 px to either side across the line (a line, not a fill).
    thin_h = (faint & ~shifted(faint, 3, 0) & ~shifted(faint, -3, 0)).astype(np.uint8)
    thin_v = (faint & ~shifted(faint, 0, 3) & ~shifted(faint, 0, -3)).astype(np.uint8)
    lines_h = cv2.morphologyEx(thin_h, cv2.MORPH_OPEN, np.ones((1, 25), np.uint8))
    lines_v = cv2.morphologyEx(thin_v, cv2.MORPH_OPEN, np.ones((15, 1), np.uint8))
    if noisy:  # ringing joins the halo: keep only straight runs (corners are sealed below)
        struct = (ink > 0) | (lines_h > 0) | (lines_v > 0)
    else:
        struct = (ink > 0) | grow | (lines_h > 0) | (lines_v > 0) | _thin_faint(faint, ink)
    struct = _specks(struct.astype(np.uint8) * 255, drop=noisy)[0]
    _seal_corners(struct, lines_h, lines_v)
    return struct


def _thin_faint(faint: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """Faint strokes at most ~4 px wide that touch real ink: a light 1-px border drawn
    across two pixel columns (each only half as dark), never a tinted fill."""
    n, lab = cv2.connectedComponents(faint.astype(np.uint8), connectivity=8)
    half_width = cv2.distanceTransform(faint.astype(np.uint8), cv2.DIST_L2, 3)
    widest = np.zeros(n, np.float32)
    np.maximum.at(widest, lab.ravel().astype(np.intp), half_width.ravel())
    touches = np.zeros(n, bool)
    touches[np.unique(lab[ink > 0])] = True
    keep = touches & (widest <= 2.5)
    keep[0] = False
    return keep[lab]


def _segments(lines: np.ndarray, horizontal: bool) -> list[tuple[int, int, int]]:
    """Thin straight runs as (start, end, position across)."""
    _n, _lab, stats, _c = cv2.connectedComponentsWithStats(lines, connectivity=8)
    out = []
    for x, y, w, h, _a in stats[1:].tolist():
        if horizontal and h <= 4:
            out.append((x, x + w - 1, y + h // 2))
        elif not horizontal and w <= 4:
            out.append((y, y + h - 1, x + w // 2))
    return out


def _seal_corners(struct: np.ndarray, lines_h: np.ndarray, lines_v: np.ndarray,
                  reach: int = 14) -> None:
    """Close the rounded corners of every rectangle whose four straight sides are found:
    two horizontal runs of the same extent and a vertical run near each end between them.
    Anti-aliasing or compression can leave the arcs too faint to join, and one gap lets
    the inside of a box leak out."""
    hs = _segments(lines_h, True)
    vs = _segments(lines_v, False)
    by_ends: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for seg in hs:
        by_ends.setdefault((seg[0] // 4, seg[1] // 4), []).append(seg)

    def side(x: int, top: int, bottom: int, left: bool) -> tuple[int, int, int] | None:
        reach = min(14, (bottom - top) // 3)
        for y1, y2, vx in vs:
            near = x - reach <= vx <= x + 1 if left else x - 1 <= vx <= x + reach
            if near and top - 1 <= y1 <= top + reach and bottom - reach <= y2 <= bottom + 1:
                return y1, y2, vx
        return None

    for x1, x2, top in hs:
        # The nearest run below with the same ends is the bottom of this box, if it is one.
        below = [seg for dx1 in (-1, 0, 1) for dx2 in (-1, 0, 1)
                 for seg in by_ends.get((x1 // 4 + dx1, x2 // 4 + dx2), [])
                 if seg[2] > top + 10 and abs(seg[0] - x1) <= 3 and abs(seg[1] - x2) <= 3]
        if not below:
            continue
        bx1, bx2, bottom = min(below, key=lambda seg: seg[2])
        left, right = side(x1, top, bottom, True), side(x2, top, bottom, False)
        if left is None or right is None:
            continue
        for (hx, hy), (vx, vy) in (((x1, top), (left[2], left[0])),
                                   ((bx1, bottom), (left[2], left[1])),
                                   ((x2, top), (right[2], right[0])),
                                   ((bx2, bottom), (right[2], right[1]))):
            cv2.line(struct, (hx, hy), (vx, vy), 255, 1)


def text_height(ink: np.ndarray) -> float:
    """Typical height of a text line (px, about the font size), from word-like blobs."""
    words = cv2.dilate(ink, np.ones((1, 7), np.uint8))
    _n, _lab, stats, _c = cv2.connectedComponentsWithStats(words, connectivity=8)
    hs = [int(h) for _x, _y, w, h, area in stats[1:] if 8 <= h <= 60 and w >= h and area > 0.3 * w * h]
    # Above the median: Latin words without ascenders or descenders are shorter than a line.
    return float(np.percentile(hs, 70)) if len(hs) >= 3 else 18.0


# ---------------------------------------------------------------------------- helpers


def _children(hier: np.ndarray, i: int) -> list[int]:
    out, c = [], int(hier[i][2])
    while c >= 0:
        out.append(c)
        c = int(hier[c][0])
    return out


def _inside(inner: Rect, outer: Rect, slack: int = 2) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _iou(a: Rect, b: Rect) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(1, _area(a) + _area(b) - inter)


def _area(r: Rect) -> int:
    return max(0, r[2] - r[0]) * max(0, r[3] - r[1])


def _interior(ink: np.ndarray, r: Rect, pad: int = 3) -> np.ndarray:
    return ink[r[1] + pad:r[3] - pad, r[0] + pad:r[2] - pad]


def _border_thickness(ink: np.ndarray, r: Rect) -> int:
    """Border pixels (0–3) outside the hole's edge, measured at its left/top middles."""
    x1, y1, x2, y2 = r
    cy, cx = (y1 + y2) // 2, (x1 + x2) // 2
    t_left = t_top = 0
    while t_left < 4 and x1 - 1 - t_left >= 0 and ink[cy, x1 - 1 - t_left]:
        t_left += 1
    while t_top < 4 and y1 - 1 - t_top >= 0 and ink[y1 - 1 - t_top, cx]:
        t_top += 1
    return min(3, t_left, t_top)  # extra border pixels beyond the hole's own edge pixel


def _text_rows(patch: np.ndarray, th: float) -> int:
    """How many separate text rows a patch of ink holds (gaps inside a glyph row bridged)."""
    if patch.size == 0:
        return 0
    rows = [bool(v) for v in np.count_nonzero(patch > 0, axis=1)]
    runs: list[list[int]] = []
    for y, on in enumerate(rows):
        if not on:
            continue
        if runs and y - runs[-1][1] <= 0.3 * th:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return sum(1 for a, b in runs if b - a + 1 >= 0.4 * th)


def _right_icon(ink: np.ndarray, r: Rect, th: float) -> str | None:
    """What sits at the right end inside ``r``: "select" for a small down-pointing triangle
    or chevron, "date" for a small boxed calendar icon, else None."""
    x1, y1, x2, y2 = r[0] + 2, r[1] + 2, r[2] - 2, r[3] - 2
    if y2 - y1 > 3.2 * th:
        y2 = y1 + round(2.4 * th)  # a tall box: look at its first line only
    h = y2 - y1
    if h < 8 or x2 - x1 < 30:
        return None
    zone = max(36, int(1.6 * h))
    sub = ink[y1:y2, max(x1, x2 - zone):x2]
    n, lab, stats, _c = cv2.connectedComponentsWithStats(sub, connectivity=8)
    if n <= 1:
        return None
    # Components touching the zone's edges are the border or its rounded corners.
    inner = [i for i in range(1, n) if stats[i][1] > 0 and stats[i][0] + stats[i][2] < sub.shape[1]
             and stats[i][1] + stats[i][3] < sub.shape[0]]
    if not inner:
        return None
    right = max(inner, key=lambda i: stats[i][0] + stats[i][2])
    sx, sy, sw, sh, _a = (int(v) for v in stats[right])
    if sx == 0 or sx + sw < sub.shape[1] - zone // 2:
        return None  # runs in from the left (text), or not near the right end
    gx = x2 - sub.shape[1] + sx  # the component's left edge in the image
    if (ink[y1 + sy:y1 + sy + sh, max(0, gx - max(6, sw // 2)):gx] > 0).any():
        return None  # the last glyph of a word (码, 日), not an icon standing apart
    comp = (lab[sy:sy + sh, sx:sx + sw] == right).astype(np.uint8)
    # Only in the middle band of the (first line of the) box: not a textarea's resize grip.
    if abs((sy + sh / 2) - h / 2) > 0.3 * h:
        return None
    if 3 <= sh <= 0.6 * h and 5 <= sw <= 1.3 * h and sw >= 0.9 * sh:
        ext = []
        for row in comp:
            xs = np.flatnonzero(row)
            ext.append(int(xs[-1] - xs[0] + 1) if xs.size else 0)
        third = max(1, sh // 3)
        top, bottom = max(ext[:max(1, sh // 2)]), np.mean(ext[-third:])  # ▼: widest on top
        if top >= 1.6 * bottom and top >= 0.7 * sw:
            return "select"
    if 9 <= sh <= 0.8 * h and 9 <= sw <= 0.8 * h and 0.7 <= sw / sh <= 1.4:
        contours, hier = cv2.findContours(comp, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        holes = hier is not None and any(hh[3] >= 0 for hh in hier[0])
        if holes and float(comp.mean()) < 0.75:
            outer = max(contours, key=cv2.contourArea)
            if cv2.contourArea(outer) >= 0.75 * (sw - 1) * (sh - 1):
                return "date"
    return None


# ---------------------------------------------------------------------------- detectors


def _holes(closed: np.ndarray, ink: np.ndarray, gray: np.ndarray,
           size: tuple[int, int]) -> list[Region]:
    """Rectangular holes of input size: boxed inputs, filled blocks and table cells."""
    W, H = size
    contours, hier = cv2.findContours(closed, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hier is None:
        return []
    hier = hier[0]
    out: list[Region] = []
    for i, c in enumerate(contours):
        if hier[i][3] < 0:
            continue
        x, y, w, h = cv2.boundingRect(c)
        if w < 30 or h < 12 or x <= 1 or y <= 1 or x + w >= W - 1 or y + h >= H - 1:
            continue
        if w * h > 0.6 * W * H:
            continue  # the page frame
        ratio = cv2.contourArea(c) / max(1.0, (w - 1) * (h - 1))
        if ratio < 0.9:
            continue
        r = (x, y, x + w, y + h)
        t = _border_thickness(ink, r)
        rect = (x - t, y - t, x + w + t, y + h + t)
        inner = _interior(ink, r)
        has_ink = int((inner > 0).sum()) >= 12
        conf = 0.5 + 0.45 * min(1.0, (ratio - 0.9) / 0.09)
        shape = "box"
        if t >= 3 and _darker_inside(gray, r, rect):
            shape = "filled"  # a light fill seen as a thick ring: secondary button or tag
        out.append(Region(shape, rect, round(conf, 2), has_ink, int(hier[i][3])))
    # Holes of one border component that touch each other are the cells of a grid.
    by_parent: dict[int, list[Region]] = {}
    for region in out:
        by_parent.setdefault(region.parent, []).append(region)
    for group in by_parent.values():
        for a in group:
            if any(a is not b and _touch(a.rect, b.rect) for b in group):
                a.kind = "cell"
    return out


def _darker_inside(gray: np.ndarray, hole: Rect, rect: Rect) -> bool:
    """The paper inside the hole is darker than just outside the shape (a filled block)."""
    inside = gray[hole[1] + 4:hole[3] - 4, hole[0] + 4:hole[2] - 4]
    above, below = max(0, rect[1] - 3), min(gray.shape[0] - 1, rect[3] + 2)
    outside = np.concatenate([gray[above, rect[0]:rect[2]], gray[below, rect[0]:rect[2]]])
    if inside.size == 0 or outside.size == 0:
        return False
    return float(np.median(outside)) - float(np.median(inside)) > 12


def _touch(a: Rect, b: Rect, gap: int = 6) -> bool:
    """Share (nearly) an edge: side by side or stacked, overlapping along that edge."""
    ox = min(a[2], b[2]) - max(a[0], b[0])
    oy = min(a[3], b[3]) - max(a[1], b[1])
    side = (abs(a[2] - b[0]) <= gap or abs(b[2] - a[0]) <= gap) and oy > 0.5 * min(
        a[3] - a[1], b[3] - b[1])
    stack = (abs(a[3] - b[1]) <= gap or abs(b[3] - a[1]) <= gap) and ox > 0.5 * min(
        a[2] - a[0], b[2] - b[0])
    return side or stack


def _button_size(w: int, h: int, W: int, rounded: bool = False) -> bool:
    # A wide square-cornered band is a header; a wide rounded one is a phone's main button.
    widest = 0.95 * W if rounded else min(0.95 * W, max(480, 6 * h))
    return 18 <= h <= 100 and max(36, 1.1 * h) <= w <= widest


def _rounded(ink: np.ndarray, r: Rect) -> bool:
    """The corners of ``r`` are cut off (no ink in the 3×3 px at each corner)."""
    x1, y1, x2, y2 = r
    corners = (ink[y1:y1 + 3, x1:x1 + 3], ink[y1:y1 + 3, x2 - 3:x2],
               ink[y2 - 3:y2, x1:x1 + 3], ink[y2 - 3:y2, x2 - 3:x2])
    return all(not (c > 0).any() for c in corners)


def _solids(struct: np.ndarray, ink: np.ndarray, gray: np.ndarray, size: tuple[int, int],
            th: float) -> list[Region]:
    """Checkboxes, radios (small hollow shapes) and buttons (solid rounded rectangles)."""
    W, _H = size
    out: list[Region] = []
    # Small shapes before closing (closing would join "F" and "i" into a loop); buttons
    # from the raw ink closed (their cut-out letters sealed; the faint halo of plain text
    # would fill words in).
    for mask, want_small in ((struct, True), (cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones(
            (3, 3), np.uint8)), False)):
        contours, hier = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if hier is not None:
            out.extend(_solid_shapes(contours, hier[0], struct, ink, gray, W, want_small, th))
    return out


def _solid_shapes(contours: Sequence[np.ndarray], hier: np.ndarray, struct: np.ndarray,
                  ink: np.ndarray, gray: np.ndarray, W: int, want_small: bool,
                  th: float) -> list[Region]:
    out: list[Region] = []
    # 10–28 px on a plain screen; scaled with the text on a high-density one.
    lo, hi = max(11, round(0.45 * th)), max(32, round(1.6 * th))
    for i, c in enumerate(contours):
        if hier[i][3] >= 0:
            continue
        x, y, w, h = cv2.boundingRect(c)
        small = want_small and lo <= w <= hi and lo <= h <= hi and 0.8 <= w / h <= 1.25
        wide = not want_small and x > 2 and x + w < W - 2 and _button_size(
            w, h, W, _rounded(ink, (x, y, x + w, y + h)))
        if not (small or wide):
            continue
        filled = np.zeros((h, w), np.uint8)
        cv2.drawContours(filled, [c], -1, 255, thickness=-1, offset=(-x, -y))
        fill = float((filled > 0).mean())
        holes = [j for j in _children(hier, i) if cv2.contourArea(contours[j]) > 0]
        density = float(((struct if small else ink)[y:y + h, x:x + w] > 0).mean())
        if small:
            hole_area = max((cv2.contourArea(contours[j]) for j in holes), default=0.0)
            hollow = hole_area >= 0.35 * w * h
            # A checked box in the filled style: a solid square with the tick cut out.
            solid_marked = bool(holes) and density > 0.6 and fill >= 0.9
            if not (hollow or solid_marked) or _glyph(ink, (x, y, x + w, y + h)):
                continue
            squareness = 1 - abs(1 - w / h)
            if fill >= 0.88:
                out.append(Region("checkbox", (x, y, x + w, y + h),
                                  round(0.6 + 0.35 * squareness * min(1, (fill - 0.8) / 0.15), 2)))
            elif 0.62 <= fill < 0.88:
                roundness = 1 - min(1.0, abs(fill - np.pi / 4) / 0.1)
                out.append(Region("radio", (x, y, x + w, y + h),
                                  round(0.55 + 0.4 * squareness * roundness, 2)))
        elif fill >= 0.85 and density >= 0.55 and _solid_edges(ink, (x, y, x + w, y + h)):
            # Light text cut out of the fill (the closed mask has sealed it, so look at ink).
            core = cv2.erode(filled, np.ones((5, 5), np.uint8)) > 0
            letters = int((core & (ink[y:y + h, x:x + w] == 0)).sum())
            body = gray[y:y + h, x:x + w][ink[y:y + h, x:x + w] > 0]
            if letters >= 20 and body.size and float(np.median(body)) < 215:
                out.append(Region("button", (x, y, x + w, y + h),
                                  round(0.6 + 0.35 * min(1.0, (fill - 0.85) / 0.12), 2)))
    return out


def _solid_edges(ink: np.ndarray, r: Rect) -> bool:
    """Every side of ``r`` is inked along its straight part: a filled shape, not a word."""
    x1, y1, x2, y2 = r
    # Away from the corners, which may be rounded as far as a pill's.
    cx, cy = round(0.2 * (x2 - x1)), round(0.35 * (y2 - y1))
    sides = (ink[y1 + 1:y1 + 4, x1 + cx:x2 - cx], ink[y2 - 4:y2 - 1, x1 + cx:x2 - cx],
             ink[y1 + cy:y2 - cy, x1 + 2:x1 + 5], ink[y1 + cy:y2 - cy, x2 - 5:x2 - 2])
    return all(side.size and float((side > 0).mean()) >= 0.9 for side in sides)


def _glyph(ink: np.ndarray, r: Rect) -> bool:
    """Sits inside a text line (ink right against its left or right side): 口, o, O…"""
    x1, y1, x2, y2 = r
    h = y2 - y1
    # Options sit ≥ 8 px after the previous text and ≥ 3 px before their own text; letters
    # of a word (o in "of", 口 in "户口") have neighbours closer than that.
    gap = max(4, round(0.5 * h))
    left = ink[y1 + 1:y2 - 1, max(0, x1 - gap):x1] > 0
    right = ink[y1 + 1:y2 - 1, x2:x2 + max(3, round(0.3 * h))] > 0
    # A table's grid line beside an option is not text: ignore columns inked from well
    # above to well below it.
    tall = ink[max(0, y1 - h // 2):y2 + h // 2, max(0, x1 - gap):x1] > 0
    if tall.size:
        left = left[:, ~(tall.mean(axis=0) > 0.9)]
    return bool(left.any() or right.any())


def _underlines(struct: np.ndarray, dark: np.ndarray, closed: np.ndarray, th: float,
                size: tuple[int, int], holes: list[Region]) -> list[Region]:
    """Isolated thin horizontal lines with blank space above: fill-in-the-blank inputs."""
    W, _H = size
    lines = cv2.morphologyEx(struct, cv2.MORPH_OPEN, np.ones((1, 41), np.uint8))
    small = [r.rect for r in holes if r.rect[3] - r.rect[1] < 4 * th]
    _n, _lab, stats, _c = cv2.connectedComponentsWithStats(lines, connectivity=8)
    _m, comp, cstats, _cc = cv2.connectedComponentsWithStats(closed, connectivity=8)
    # The blank above the line: a line of text and the gap over the line (th ≈ font size).
    band = round(2.0 * th)
    out: list[Region] = []
    for x, y, w, h, _a in stats[1:]:
        x, y, w, h = int(x), int(y), int(w), int(h)
        if w < 60 or h > max(5, round(th / 3.5)):  # 1–2 px, blurred or enlarged a bit more
            continue
        along = comp[y + h // 2, x:x + w]
        owner = int(np.bincount(along[along > 0]).argmax()) if (along > 0).any() else 0
        if owner and cstats[owner][3] > h + max(3, 0.5 * th):
            continue  # part of a box, grid or button (not just a speck of ringing on it)
        if x <= 2 or x + w >= W - 2:
            continue  # runs off the page edge: a row separator of a list
        if any(_inside((x, y, x + w, y + h), r) for r in small):
            continue  # an edge inside a box or table cell
        # Grey placeholder text or a ▼ may sit on the line; dark text means it underlines text,
        # and dark text at its start is the label of a list row above a separator.
        above = dark[max(0, y - band):max(0, y - 2), x:x + w]
        if above.size and (float((above > 0).any(axis=0).mean()) > 0.12
                           or (above[:, :max(8, w // 8)] > 0).any()):
            continue
        # Text on the same baseline just before the line: its label (a frame line is not).
        left = dark[max(0, y - band):y, max(0, x - 250):max(0, x - 2)]
        labelled = int(left.any(axis=0).sum()) >= 4 and int(left.any(axis=1).sum()) < band
        conf = 0.75 if labelled else 0.55
        out.append(Region("underline", (x, max(0, y - band), x + w, y), conf))
    # Lines stacked under a labelled line, with no label of their own, continue its blank.
    out.sort(key=lambda r: r.rect[1])
    merged: list[Region] = []
    for r in out:
        prev = next((m for m in reversed(merged) if r.confidence < 0.75
                     and abs(m.rect[0] - r.rect[0]) <= 4 and abs(m.rect[2] - r.rect[2]) <= 4
                     and 0 < r.rect[3] - m.rect[3] <= 2.5 * band), None)
        if prev is not None:
            prev.rect = (prev.rect[0], prev.rect[1], prev.rect[2], r.rect[3])
            prev.kind = "textarea_line"
        else:
            merged.append(r)
    # A long line with no text before it is a separator rule, not a blank.
    return [r for r in merged if r.confidence >= 0.75 or r.kind == "textarea_line"
            or r.rect[2] - r.rect[0] <= 0.5 * W]


def _cell_kind(ink: np.ndarray, dark: np.ndarray, r: Region, th: float) -> str | None:
    """A table cell's control kind, or None for a label cell (dark text, no ▼)."""
    icon = _right_icon(ink, r.rect, th)
    if icon:
        return icon
    if not r.has_ink or int((_interior(dark, r.rect) > 0).sum()) < 8:
        return "text_input"  # empty, or only grey placeholder text
    return None


# ---------------------------------------------------------------------------- assembly


def detect_regions(image: Image.Image) -> tuple[list[Region], float]:
    """Every control region with its final kind, and the typical text height."""
    gray = page_gray(image)
    W, _H = size = (gray.shape[1], gray.shape[0])
    ink = ink_mask(gray)
    struct = structure_mask(gray, ink, is_noisy(gray))
    dark = ((gray < 140) & (ink > 0)).astype(np.uint8)  # label-coloured ink, not grey hints
    # Closing seals the last 1-px gaps of rounded corners so holes do not leak.
    closed = cv2.morphologyEx(struct, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    th = text_height(ink)
    holes = _holes(closed, ink, gray, size)
    solids = _solids(struct, ink, gray, size, th)
    lines = _underlines(struct, dark, closed, th, size, holes)
    buttons = [s for s in solids if s.kind == "button"]
    # Controls inside buttons (the button's own letters) are not controls.
    others = [o for o in [*solids, *lines] if o.kind == "button"
              or not any(_inside(o.rect, b.rect) for b in buttons)]

    # A small square at the right end inside a one-line box is its icon (a calendar), not
    # a checkbox, and does not make the box a container.
    others = [o for o in others if not (o.kind in ("checkbox", "radio") and any(
        _inside(o.rect, r.rect) and _area(r.rect) > 3 * _area(o.rect)
        and o.rect[0] >= r.rect[2] - max(40, 1.6 * (o.rect[3] - o.rect[1]) + 12)
        and o.rect[1] - r.rect[1] <= 2.5 * (o.rect[3] - o.rect[1]) for r in holes))]
    toggles = [o for o in others if o.kind in ("checkbox", "radio")]
    kept: list[Region] = []
    for r in holes:
        if any(_iou(r.rect, t.rect) >= 0.5 for t in toggles):
            continue  # the inside of a big checkbox
        inner = [o for o in [*holes, *others] if o is not r and _inside(o.rect, r.rect)
                 and _area(o.rect) < _area(r.rect)]
        if inner:
            continue  # a panel holding controls (or the outer ring of a double border)
        if r.kind == "cell":
            kind = _cell_kind(ink, dark, r, th)
            if kind is None:
                continue
            r.kind = kind
        elif r.kind == "filled":
            w, h = r.rect[2] - r.rect[0], r.rect[3] - r.rect[1]
            if not (r.has_ink and _button_size(w, h, W) and _centred(ink, r.rect)):
                continue  # a tinted band or tag, not a control
            r.kind = "button"
        else:
            if _text_rows(_interior(ink, r.rect), th) >= 3:
                continue  # a notice or panel of text
            r.kind = "text_input"
        kept.append(r)
    # Most boxes are one line high: the lower third of their heights is a one-line input.
    heights = [r.rect[3] - r.rect[1] for r in kept if r.kind in ("text_input", "select", "date")
               and r.rect[3] - r.rect[1] >= 1.2 * th]
    typical = float(np.percentile(heights, 30)) if heights else 2.4 * th
    for r in kept:
        h = r.rect[3] - r.rect[1]
        if r.kind == "button":
            continue
        if h > 2.0 * typical or h > 5.5 * th:
            r.kind = "textarea"
        elif r.kind == "text_input":
            r.kind = _right_icon(ink, r.rect, th) or "text_input"
    for o in others:
        if o.kind == "underline":
            x1, y1, x2, y2 = o.rect  # a ▼ may stand at the top of the band: look above it too
            icon = _right_icon(ink, (x1, max(0, y1 - 4), x2, y2 + 2), th)
            o.kind = "select" if icon == "select" else "text_input"
        elif o.kind == "textarea_line":
            o.kind = "textarea"
    return [*kept, *others], th


def _centred(ink: np.ndarray, r: Rect) -> bool:
    """The ink inside ``r`` is a short run centred in it (a button caption)."""
    patch = _interior(ink, r)
    cols = np.flatnonzero((patch > 0).any(axis=0))
    if cols.size == 0:
        return False
    mid = (cols[0] + cols[-1]) / 2
    return abs(mid - patch.shape[1] / 2) < 0.12 * patch.shape[1] and \
        cols[-1] - cols[0] < 0.8 * patch.shape[1]


def detect_elements(image: Image.Image) -> list[Element]:
    """All controls on ``image`` from pixels alone: kind, box and confidence, no labels.

    A one-colour image has none; a large one is looked at on a scaled-down copy (the
    morphology's time and memory grow with the pixels), its boxes scaled back.
    """
    if is_blank(image):
        return []
    image, back = working_copy(image)
    regions, _th = detect_regions(image)
    out = [
        Element(kind=r.kind, bbox=scaled_box(list(r.rect), back), confidence=r.confidence,  # type: ignore[arg-type]
                editable=r.kind != "button", source="layout")
        for r in regions
    ]
    out.sort(key=lambda e: (e.bbox[1] // 10, e.bbox[0]))
    return out
