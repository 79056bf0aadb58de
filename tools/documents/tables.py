"""Tables off an image: a grid from ruling lines (OpenCV) or from aligned text columns,
with the OCR text put into its cells; Markdown, CSV and JSON renderings.

**Ruled**: long horizontal and vertical runs of ink (morphological opening with kernels
longer than any glyph stroke) are the ruling; each connected piece of ruling is one table
and the closed holes inside it are its cells. Row and column lines are the clustered cell
edges, so a merged cell simply spans several of them. OCR blocks go to the cell holding
their centre.

A grid needs ≥ 2 rows and ≥ 2 columns (one row of touching boxes is a row of inputs).

**Aligned** (borderless): consecutive, closely spaced text rows with ≥ 2 blocks that all
leave the same x-ranges empty are a table; those gutters are its column lines. Runs that
look like columns of running text (every column wide) are prose, and rows set far apart (a
two-column form, inputs between its label rows) a form, not a table.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from tools.common.expert_schema import Cell, TableResult
from tools.common.schema import Box, Table, TextBlock
from tools.documents.reading import free_ranges, intersect_ranges, join_text, text_height, text_rows
from tools.perception.layout_detect import ink_mask, page_gray
from tools.perception.layout_detect import text_height as ink_text_height

# ---------------------------------------------------------------------------- ruled


@dataclass
class Grid:
    """One ruled table: its outer box and its cells (row/col/spans, no text yet)."""

    bbox: Box
    cells: list[Cell]
    n_rows: int
    n_cols: int


def _clusters(values: list[int], tol: int) -> list[int]:
    """Sorted values merged when within ``tol`` of the previous one (cluster means)."""
    out: list[list[int]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [round(sum(c) / len(c)) for c in out]


def _index(edges: list[int], v: int, tol: int) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v)) if edges else 0


def rules(ink: np.ndarray, th: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rules (0/255) in an ink mask whose text is ``th`` px high:
    thin straight runs longer than any glyph stroke."""
    # A CJK 一 or an "l" is about one text height long: rules must be clearly longer.
    h_len, v_len = max(30, round(2.5 * th)), max(20, round(1.6 * th))
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, h_len), np.uint8))
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((v_len, 1), np.uint8))
    # Rules are thin: what survives a 7-px opening across them is a filled bar or button.
    horiz = cv2.subtract(horiz, cv2.morphologyEx(horiz, cv2.MORPH_OPEN, np.ones((7, 1), np.uint8)))
    vert = cv2.subtract(vert, cv2.morphologyEx(vert, cv2.MORPH_OPEN, np.ones((1, 7), np.uint8)))
    return horiz, vert


def ruling_mask(horiz: np.ndarray, vert: np.ndarray) -> np.ndarray:
    """Both rules as one mask, 1–2 px gaps where they cross (anti-aliasing, JPEG) closed so
    that cells are sealed."""
    return cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((3, 3), np.uint8))


def ruled_grids(image: Image.Image, min_cells: int = 2) -> list[Grid]:
    """Every ruled table on ``image``: outer box and cells with row/column spans."""
    ink = ink_mask(page_gray(image))
    th = ink_text_height(ink)
    mask = ruling_mask(*rules(ink, th))
    least = max(8, round(0.8 * th))  # a cell is at least about one text line high and wide
    n, lab, stats, _c = cv2.connectedComponentsWithStats(mask, connectivity=8)
    grids = []
    for k in range(1, n):
        x, y, w, h, _a = (int(v) for v in stats[k])
        if w < 40 or h < 20:
            continue
        # Holes of this piece of ruling: the space inside it not reachable from outside.
        own = (lab[y:y + h, x:x + w] == k).astype(np.uint8)
        m, _holes, hstats, _hc = cv2.connectedComponentsWithStats(1 - own, connectivity=4)
        rects = []
        for j in range(1, m):
            hx, hy, hw, hh, area = (int(v) for v in hstats[j])
            if hx == 0 or hy == 0 or hx + hw >= w or hy + hh >= h:
                continue  # touches the outer box: outside the frame, not a cell
            if hw < least or hh < least or area < 0.6 * hw * hh:
                continue  # a gap between doubled rules, or a non-rectangular leak
            rects.append((x + hx, y + hy, x + hx + hw, y + hy + hh))
        if len(rects) < min_cells:
            continue
        grid = _grid([x, y, x + w, y + h], rects)
        if grid.n_rows >= 2 and grid.n_cols >= 2:  # a row or a stack of boxes is no table
            grids.append(grid)
    grids.sort(key=lambda g: (g.bbox[1], g.bbox[0]))
    return grids


def _grid(bbox: Box, rects: list[tuple[int, int, int, int]]) -> Grid:
    """Rows/columns from the cells' clustered left and top edges; spans from their extents."""
    tol = 6
    tops = _clusters([r[1] for r in rects], tol)
    lefts = _clusters([r[0] for r in rects], tol)
    cells = []
    for x1, y1, x2, y2 in sorted(rects, key=lambda r: (r[1], r[0])):
        row, col = _index(tops, y1, tol), _index(lefts, x1, tol)
        rowspan = max(1, sum(1 for t in tops if y1 - tol <= t < y2 - tol))
        colspan = max(1, sum(1 for left in lefts if x1 - tol <= left < x2 - tol))
        cells.append(Cell(row=row, col=col, rowspan=rowspan, colspan=colspan,
                          bbox=[x1, y1, x2, y2]))
    return Grid(bbox=bbox, cells=cells, n_rows=len(tops), n_cols=len(lefts))


def _cell_text(blocks: list[TextBlock]) -> str:
    text = ""
    for band in text_rows(blocks):
        for b in sorted(band, key=lambda b: b.bbox[0]):
            text = join_text(text, b.text)
    return text


def _overlap(a: Box, b: Box) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def ruled_tables(image: Image.Image, blocks: list[TextBlock]) -> list[TableResult]:
    """Ruled tables with the OCR ``blocks`` placed into their cells."""
    out = []
    for grid in ruled_grids(image):
        inside: dict[int, list[TextBlock]] = {}
        for b in blocks:
            cx, cy = (b.bbox[0] + b.bbox[2]) / 2, (b.bbox[1] + b.bbox[3]) / 2
            hit = next((i for i, c in enumerate(grid.cells)
                        if c.bbox[0] <= cx < c.bbox[2] and c.bbox[1] <= cy < c.bbox[3]), None)
            if hit is None:  # centre on a rule: the cell it overlaps most, if any
                best = max(range(len(grid.cells)), key=lambda i: _overlap(b.bbox,
                                                                          grid.cells[i].bbox))
                if _overlap(b.bbox, grid.cells[best].bbox) > 0.5 * _overlap(b.bbox, b.bbox):
                    hit = best
            if hit is not None:
                inside.setdefault(hit, []).append(b)
        cells = [c.model_copy(update={"text": _cell_text(inside.get(i, []))})
                 for i, c in enumerate(grid.cells)]
        rows = [["" for _ in range(grid.n_cols)] for _ in range(grid.n_rows)]
        for c in cells:
            rows[c.row][c.col] = c.text
        out.append(TableResult(table=Table(rows=rows), bbox=grid.bbox, cells=cells,
                               source="ruled"))
    return out


# ---------------------------------------------------------------------------- aligned


def _columns(bands: list[list[TextBlock]], h: float) -> list[tuple[int, int]]:
    """Column x-ranges of rows that share gutters ≥ 0.8 text height wide (≥ 2 columns)."""
    blocks = [b for band in bands for b in band]
    x1, x2 = min(b.bbox[0] for b in blocks), max(b.bbox[2] for b in blocks)
    free = [(x1, x2)]
    for band in bands:
        free = intersect_ranges(free, free_ranges(band, x1, x2))
    gutters = sorted(g for g in free if g[0] > x1 and g[1] < x2 and g[1] - g[0] >= 0.8 * h)
    edges = [x1, *[v for g in gutters for v in g], x2]
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]


def _occupied(band: list[TextBlock], cols: list[tuple[int, int]]) -> int:
    return len({_col(b, cols) for b in band})


def _col(b: TextBlock, cols: list[tuple[int, int]]) -> int:
    cx = (b.bbox[0] + b.bbox[2]) / 2
    return min(range(len(cols)), key=lambda i: 0 if cols[i][0] <= cx <= cols[i][1]
               else min(abs(cx - cols[i][0]), abs(cx - cols[i][1])))


def aligned_tables(blocks: list[TextBlock], min_rows: int = 3,
                   min_cols: int = 2) -> list[TableResult]:
    """Borderless tables: runs of ≥ ``min_rows`` rows sharing ≥ ``min_cols - 1`` gutters,
    each row within 1.6 text heights of the one above."""
    if not blocks:
        return []
    h = text_height(blocks)
    bands = text_rows(list(blocks))
    out, i = [], 0
    while i < len(bands):
        best = None
        j = i + 1
        while j <= len(bands):
            run = bands[i:j]
            if j - i >= 2 and _gap(run[-2], run[-1]) > 1.6 * h:
                break  # rows set far apart (an input box between them): a form, not a table
            cols = _columns(run, h) if len(run[-1]) >= 2 else []
            if len(cols) < min_cols or any(_occupied(b, cols) < 2 for b in run):
                break
            best = (j, cols)
            j += 1
        if best is None or best[0] - i < min_rows or _prose(bands[i:best[0]], best[1], h):
            i += 1
            continue
        end, cols = best
        out.append(_aligned_result(bands[i:end], cols))
        i = end
    return out


def _gap(upper: list[TextBlock], lower: list[TextBlock]) -> int:
    return min(b.bbox[1] for b in lower) - max(b.bbox[3] for b in upper)


def _prose(run: list[list[TextBlock]], cols: list[tuple[int, int]], h: float) -> bool:
    """Every column holds long lines: columns of running text, not table cells."""
    widths: dict[int, list[int]] = {}
    for band in run:
        for b in band:
            widths.setdefault(_col(b, cols), []).append(b.bbox[2] - b.bbox[0])
    return all(statistics.median(w) >= 8 * h for w in widths.values())


def _aligned_result(run: list[list[TextBlock]], cols: list[tuple[int, int]]) -> TableResult:
    cells, rows = [], []
    for r, band in enumerate(run):
        y1, y2 = min(b.bbox[1] for b in band), max(b.bbox[3] for b in band)
        row = []
        for c, (cx1, cx2) in enumerate(cols):
            text = _cell_text([b for b in band if _col(b, cols) == c])
            row.append(text)
            cells.append(Cell(row=r, col=c, bbox=[cx1, y1, cx2, y2], text=text))
        rows.append(row)
    blocks = [b for band in run for b in band]
    bbox = [min(b.bbox[0] for b in blocks), min(b.bbox[1] for b in blocks),
            max(b.bbox[2] for b in blocks), max(b.bbox[3] for b in blocks)]
    return TableResult(table=Table(rows=rows), bbox=bbox, cells=cells, source="aligned")


def find_tables(image: Image.Image, blocks: list[TextBlock]) -> list[TableResult]:
    """Ruled tables, then borderless ones among the blocks outside every ruled table."""
    ruled = ruled_tables(image, blocks)

    def outside(b: TextBlock) -> bool:
        return all(_overlap(b.bbox, t.bbox) < 0.5 * _overlap(b.bbox, b.bbox) for t in ruled)

    aligned = aligned_tables([b for b in blocks if outside(b)])
    if aligned:
        # Vertical strokes inside are the sides of input boxes beside the labels: a form
        # laid out in columns. A borderless table has none (a header underline is fine).
        ink = ink_mask(page_gray(image))
        _h, vert = rules(ink, ink_text_height(ink))
        aligned = [t for t in aligned
                   if not vert[t.bbox[1]:t.bbox[3], t.bbox[0]:t.bbox[2]].any()]
    return sorted(ruled + aligned, key=lambda t: (t.bbox[1], t.bbox[0]))


# ---------------------------------------------------------------------------- renderers


def to_markdown(table: Table) -> str:
    """GitHub-flavoured Markdown, first row as the header (pipes and newlines escaped)."""
    if not table.rows:
        return ""
    width = max(len(r) for r in table.rows)

    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", "<br>").strip()

    lines = []
    for i, row in enumerate(table.rows):
        padded = [*row, *[""] * (width - len(row))]
        lines.append("| " + " | ".join(cell(s) for s in padded) + " |")
        if i == 0:
            lines.append("|" + "|".join([" --- "] * width) + "|")
    return "\n".join(lines)


def to_csv(table: Table) -> str:
    """RFC 4180 CSV (quoted where needed, CRLF line ends as the csv module writes them)."""
    buf = io.StringIO()
    csv.writer(buf).writerows(table.rows)
    return buf.getvalue()


def to_json(table: Table) -> str:
    """A list of objects keyed by the header row when its names are distinct and non-empty,
    else the plain list of rows."""
    if len(table.rows) >= 2:
        header = table.rows[0]
        if all(header) and len(set(header)) == len(header):
            records = [dict(zip(header, [*row, *[""] * (len(header) - len(row))], strict=False))
                       for row in table.rows[1:]]
            return json.dumps(records, ensure_ascii=False)
    return json.dumps(table.rows, ensure_ascii=False)
