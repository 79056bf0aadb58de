"""Reading order from OCR boxes: rows, columns, lines and paragraphs (no model).

The page is cut into *bands* (runs of blocks that overlap vertically: one text row across
the page). Consecutive bands that share a vertical *gutter* — an ink-free x-range at least
1.5 text heights wide with text on both sides — form a multi-column section, which is split
at the gutter and each side read the same way (so three columns, or columns inside a
column, work too). Each side must hold ≥ 2 rows and be ≥ 8 text heights wide, so a
"Name:      John" row stays one line. A band that crosses the gutter (a title, a
full-width caption) ends the section; a short title or footer on one side of it is cut
off the section when set apart by a wider gap than any inside it. This is the recursive
XY-cut, made robust to the line gaps that would otherwise cut every column into single
lines before the gutter is seen.

Lines are the blocks of one band within one column, left to right. Paragraphs break at an
extra vertical gap, a first-line indent, a change of text height (a heading) or after a
short line. :func:`recognize_lines` re-reads whole lines with the recogniser alone, which
mends the detector's habit of cutting spaced text ("2x + 3 = 11") into fragments.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence

import numpy as np
from PIL import Image

from tools.common.expert_schema import Line, Paragraph, Reading
from tools.common.schema import Box, TextBlock

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def text_height(blocks: Sequence[TextBlock]) -> float:
    """Median block height: the unit every gap and indent is measured in."""
    return float(statistics.median(b.bbox[3] - b.bbox[1] for b in blocks)) if blocks else 16.0


def _union(boxes: Sequence[Box]) -> Box:
    return [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]


def join_text(left: str, right: str) -> str:
    """Two pieces of one line or paragraph: no space between CJK characters, a hyphenated
    Latin word rejoined, otherwise one space."""
    if not left or not right:
        return left + right
    if left.endswith("-") and len(left) > 1 and left[-2].isalpha() and right[0].islower():
        return left[:-1] + right
    if _CJK.match(left[-1]) or _CJK.match(right[0]):
        return left + right
    return f"{left} {right}"


# ---------------------------------------------------------------------------- layout


def text_rows(blocks: list[TextBlock]) -> list[list[TextBlock]]:
    """Runs of vertically overlapping blocks, top to bottom (each one text row)."""
    bands: list[list[TextBlock]] = []
    bottom = -1
    for b in sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0])):
        # Overlap by more than a third of the smaller height: the same row, not a descender
        # touching the next line's ascenders.
        h = b.bbox[3] - b.bbox[1]
        if bands and b.bbox[1] < bottom - min(h, _band_height(bands[-1])) / 3:
            bands[-1].append(b)
            bottom = max(bottom, b.bbox[3])
        else:
            bands.append([b])
            bottom = b.bbox[3]
    return bands


def _band_height(band: list[TextBlock]) -> int:
    return min(b.bbox[3] - b.bbox[1] for b in band)


def free_ranges(band: list[TextBlock], x1: int, x2: int) -> list[tuple[int, int]]:
    """Ink-free x-ranges of a band inside [x1, x2]."""
    out, x = [], x1
    for b in sorted(band, key=lambda b: b.bbox[0]):
        if b.bbox[0] > x:
            out.append((x, b.bbox[0]))
        x = max(x, b.bbox[2])
    if x < x2:
        out.append((x, x2))
    return out


def intersect_ranges(a: list[tuple[int, int]],
                     b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The x-ranges covered by both lists."""
    return [(max(p, r), min(q, s)) for p, q in a for r, s in b if min(q, s) > max(p, r)]


def _gutter(bands: list[list[TextBlock]], h: float) -> int | None:
    """The x of a gutter shared by all ``bands``, with enough text on both sides to be
    columns (≥ 2 rows each, each side ≥ 8 text heights wide), else None."""
    blocks = [b for band in bands for b in band]
    x1, x2 = min(b.bbox[0] for b in blocks), max(b.bbox[2] for b in blocks)
    free = [(x1, x2)]
    for band in bands:
        free = intersect_ranges(free, free_ranges(band, x1, x2))
    for g1, g2 in sorted(free, key=lambda g: g[0] - g[1]):  # widest first
        if g2 - g1 < 1.5 * h or g1 <= x1 or g2 >= x2:
            continue
        left = [band for band in bands if any(b.bbox[2] <= g1 for b in band)]
        right = [band for band in bands if any(b.bbox[0] >= g2 for b in band)]
        if len(left) >= 2 and len(right) >= 2 and g1 - x1 >= 8 * h and x2 - g2 >= 8 * h:
            return (g1 + g2) // 2
    return None


def _regions(blocks: list[TextBlock], h: float) -> list[list[TextBlock]]:
    """The blocks cut into column pieces in reading order (see the module docstring)."""
    bands = text_rows(blocks)
    out: list[list[TextBlock]] = []
    single: list[TextBlock] = []  # consecutive full-width bands read as one region
    i = 0
    while i < len(bands):
        j, grown = i + 1, None
        # Grow the section while the bands keep a common gutter; keep the longest one found.
        while j <= len(bands):
            g = _gutter(bands[i:j], h) if j - i >= 2 else None
            if g is None and j - i >= 2 and _no_common_free(bands[i:j]):
                break
            if g is not None:
                grown = (j, g)
            j += 1
        cut = _trim(bands, i, *grown, h) if grown is not None else None
        if cut is None:
            single.extend(bands[i])
            i += 1
            continue
        start, end, g = cut
        single.extend(b for band in bands[i:start] for b in band)
        if single:
            out.append(single)
            single = []
        section = [b for band in bands[start:end] for b in band]
        for side in ([b for b in section if (b.bbox[0] + b.bbox[2]) / 2 < g],
                     [b for b in section if (b.bbox[0] + b.bbox[2]) / 2 >= g]):
            out.extend(_regions(side, h))
        i = end
    if single:
        out.append(single)
    return out


def _trim(bands: list[list[TextBlock]], i: int, end: int, g: int,
          h: float) -> tuple[int, int, int] | None:
    """Shrink a column section [i, end) to its core, or None if no columns remain.

    A short title or footer left of the gutter shares it without being part of the left
    column. Leading left-only bands are read first either way, so they leave the section;
    a trailing one-sided run leaves it from the first band set off by a gap wider than any
    inside the core (the rows that have text on both sides), so a footer is read after the
    right column while the tail of a longer left column stays in it."""
    def sides(band: list[TextBlock]) -> tuple[bool, bool]:
        centres = [(b.bbox[0] + b.bbox[2]) / 2 for b in band]
        return any(c < g for c in centres), any(c >= g for c in centres)

    start = i
    while start < end and sides(bands[start]) == (True, False):
        start += 1
    both = [k for k in range(start, end) if all(sides(bands[k]))]
    if both:
        def gap(k: int) -> int:
            return min(b.bbox[1] for b in bands[k]) - max(b.bbox[3] for b in bands[k - 1])

        core_gaps = [gap(k) for k in range(start + 1, both[-1] + 1)]
        widest = max(core_gaps, default=int(h))
        for k in range(both[-1] + 1, end):
            if gap(k) > 1.5 * widest:
                end = k
                break
    if end - start < 2:
        return None
    g2 = _gutter(bands[start:end], h)
    return (start, end, g2) if g2 is not None else None


def _no_common_free(bands: list[list[TextBlock]]) -> bool:
    """No ink-free x-range wider than a pixel is shared by all bands: stop growing."""
    blocks = [b for band in bands for b in band]
    x1, x2 = min(b.bbox[0] for b in blocks), max(b.bbox[2] for b in blocks)
    free = [(x1, x2)]
    for band in bands:
        free = intersect_ranges(free, free_ranges(band, x1, x2))
    return not any(g1 > x1 and g2 < x2 for g1, g2 in free)


# ---------------------------------------------------------------------------- lines


def group_lines(blocks: Sequence[TextBlock], column: int = 0) -> list[Line]:
    """The blocks' rows as lines, top to bottom, each joined left to right."""
    lines = []
    for band in text_rows(list(blocks)):
        text = ""
        for b in sorted(band, key=lambda b: b.bbox[0]):
            text = join_text(text, b.text)
        lines.append(Line(text=text, bbox=_union([b.bbox for b in band]), column=column,
                          confidence=min(b.confidence for b in band)))
    return lines


def _paragraphs(lines: list[Line], h: float) -> list[Paragraph]:
    if not lines:
        return []
    left = min(ln.bbox[0] for ln in lines)
    right = max(ln.bbox[2] for ln in lines)
    gaps = [b.bbox[1] - a.bbox[3] for a, b in itertools.pairwise(lines)]
    # The usual line gap: the lower quartile, as paragraph gaps may be as many as line gaps.
    usual = sorted(gaps)[len(gaps) // 4] if gaps else 0.0
    groups: list[list[Line]] = [[lines[0]]]
    for prev, ln, gap in zip(lines, lines[1:], gaps, strict=False):
        ph, lh = prev.bbox[3] - prev.bbox[1], ln.bbox[3] - ln.bbox[1]
        breaks = (
            gap > max(1.6 * usual, usual + 0.5 * h)  # a blank line between paragraphs
            or ln.bbox[0] - left >= 1.2 * h > prev.bbox[0] - left  # first-line indent
            or abs(lh - ph) > 0.3 * max(lh, ph)  # heading above body text, or the reverse
            or prev.bbox[2] < left + 0.6 * (right - left)  # the previous one ended short
        )
        if breaks:
            groups.append([ln])
        else:
            groups[-1].append(ln)
    out = []
    for group in groups:
        text = ""
        for ln in group:
            text = join_text(text, ln.text)
        out.append(Paragraph(text=text, bbox=_union([ln.bbox for ln in group]),
                             column=group[0].column, lines=[ln.text for ln in group]))
    return out


def read(blocks: Sequence[TextBlock]) -> Reading:
    """Columns, lines and paragraphs of a page's OCR blocks, all in reading order."""
    blocks = [b for b in blocks if b.text.strip()]
    if not blocks:
        return Reading(columns=[], lines=[], paragraphs=[], text="")
    h = text_height(blocks)
    regions = _regions(blocks, h)
    lines: list[Line] = []
    paragraphs: list[Paragraph] = []
    for column, region in enumerate(regions):
        region_lines = group_lines(region, column)
        lines.extend(region_lines)
        paragraphs.extend(_paragraphs(region_lines, h))
    return Reading(columns=[_union([b.bbox for b in r]) for r in regions], lines=lines,
                   paragraphs=paragraphs, text="\n\n".join(p.text for p in paragraphs))


def reading_order(blocks: Sequence[TextBlock]) -> list[TextBlock]:
    """The blocks themselves, sorted column by column, row by row, left to right."""
    blocks = [b for b in blocks if b.text.strip()]
    if not blocks:
        return []
    out = []
    for region in _regions(blocks, text_height(blocks)):
        for band in text_rows(region):
            out.extend(sorted(band, key=lambda b: b.bbox[0]))
    return out


# ---------------------------------------------------------------------------- re-reading


def recognize_lines(image: Image.Image, lines: Sequence[Line], pad: int = 4,
                    min_score: float = 0.5) -> list[Line]:
    """Each line re-read as one crop by the recogniser alone (no detection).

    The detector splits text with wide spaces ("12 × 7 + 5 =") into pieces and drops or
    misreads lone symbols ("=" as 二, "-" lost); the recogniser sees the whole line in
    context and reads it whole. A re-reading scoring under ``min_score`` keeps the old text.
    """
    from tools.perception.ocr_engine import _engine, _lock  # share the one loaded engine

    rgb = image.convert("RGB")
    out = []
    for ln in lines:
        x1, y1, x2, y2 = ln.bbox
        crop = rgb.crop((max(0, x1 - pad), max(0, y1 - pad),
                         min(rgb.width, x2 + pad), min(rgb.height, y2 + pad)))
        bgr = np.ascontiguousarray(np.asarray(crop)[:, :, ::-1])
        with _lock:
            result, _elapsed = _engine()(bgr, use_det=False, use_cls=False, use_rec=True)
        text, score = (str(result[0][0]).strip(), float(result[0][1])) if result else ("", 0.0)
        if text and score >= min_score:
            out.append(ln.model_copy(update={"text": text, "confidence": min(1.0, score)}))
        else:
            out.append(ln)
    return out
