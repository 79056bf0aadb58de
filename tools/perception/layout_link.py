"""Regions + OCR text → labelled controls: label, placeholder and option for each element.

Order of work, each step consuming text blocks so that none is used twice:

0. with the image, blocks are trimmed to their ink and cut where OCR read two texts as one
   ("性别：O男O女", "姓名：张三" across a border): at a checkbox, a box edge or a wide gap,
   the characters shared out by estimated width; without it, blocks that straddle a box's
   left edge are split at the colon;
1. text inside a box is its placeholder (grey, or the box has no other label) or a typed
   value; text inside a button is its label (an outlined "取消" box becomes a button);
2. the text right of a checkbox/radio is its option; options in a row (or a column) form a
   group whose label is the nearest other text to the left, else just above; a lone
   consent box takes its own text as label;
3. every other box takes the text to its left on the same row or just above it, whichever
   the form uses (decided once per form from how the candidates align), best pairs first;
   a heading above a run of placeholder-only boxes is not a label;
4. leftovers become synthesised inputs (confidence 0.4): a label with a grey prompt after
   it and no box (mobile list rows), or a "label：" with blank space after or below it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from tools.common.schema import Element, ElementKind, TextBlock
from tools.perception.layout_detect import ink_mask, page_gray

Rect = tuple[int, int, int, int]

_BOXLIKE = {"text_input", "textarea", "select", "date", "upload"}
_TOGGLES = {"checkbox", "radio"}
_GLYPHS = set("OoQ0〇○◯◎●⊙口□☐☑☒■◻◼▢◉[]|")  # how OCR reads a checkbox or radio
_CHEVRONS = set("Vv∨ˇ▼▾⌄﹀√丶")
_PROMPT = re.compile(r"^(请|please|enter|type|select|choose|search|e\.g\.|例如|如[:：])", re.I)
_DATE_HINT = re.compile(
    r"(yyyy|mm[/.-]dd|dd[/.-]mm|年.*月.*日|\d{4}[/.-]\d{1,2}[/.-]\d{1,2})", re.I)
_DATE_LABEL = re.compile(r"(日期|生日|有效期|\bdate\b|date of birth|\bdob\b|birthday|expiry)", re.I)
_BUTTON_WORDS = re.compile(
    r"^(提交|确定|确认|取消|重置|保存|登录|登陆|注册|下一步|上一步|返回|搜索|查询|发送|"
    r"获取验证码|发送验证码|立即.{1,4}|submit|ok|cancel|reset|save|login|log in|sign in|"
    r"sign up|register|next|back|search|send|continue|apply|confirm)$", re.I)
_COLON = ("：", ":")
_MAX_LEFT = 400


@dataclass
class _Blk:
    """A text block while it is being handed out."""

    text: str
    rect: Rect
    grey: bool | None = None
    inside: int = -1  # index of the element it is printed inside
    role: str = ""  # "" (free) | option | label | group
    raw: Rect | None = None  # the OCR box, while the block is whole (reported as label_bbox)

    @property
    def box(self) -> list[int]:
        return list(self.raw or self.rect)


# ---------------------------------------------------------------------------- geometry


def _h(r: Sequence[int]) -> int:
    return r[3] - r[1]


def _w(r: Sequence[int]) -> int:
    return r[2] - r[0]


def _cy(r: Sequence[int]) -> float:
    return (r[1] + r[3]) / 2


def _cx(r: Sequence[int]) -> float:
    return (r[0] + r[2]) / 2


def _v_overlap(a: Sequence[int], b: Sequence[int]) -> float:
    """Vertical overlap as a share of the shorter of the two."""
    ov = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, ov / max(1, min(_h(a), _h(b))))


def _h_overlap(a: Sequence[int], b: Sequence[int]) -> int:
    return min(a[2], b[2]) - max(a[0], b[0])


def _contains_point(r: Sequence[int], x: float, y: float) -> bool:
    return r[0] <= x <= r[2] and r[1] <= y <= r[3]


# ---------------------------------------------------------------------------- text


def clean_label(text: str) -> str:
    """Drop trailing colons and leading/trailing asterisks (required-field marks)."""
    out = text.strip()
    while True:
        new = out.strip().rstrip("：:").strip().strip("*＊★☆✱").strip()
        if new == out:
            return out
        out = new


def _char_units(text: str) -> list[float]:
    """Relative advance of each character: CJK full width, Latin about half."""
    units = []
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            units.append(1.0)
        elif ch in " .,:;'!|()[]-/" or ch in "iljtfrI1":
            units.append(0.3)
        elif ch in "mwMW":
            units.append(0.85)
        elif ch.isupper() or ch.isdigit():
            units.append(0.65)
        else:
            units.append(0.52)
    return units


def _split(b: _Blk, x: float, prefer_colon: bool = True) -> tuple[_Blk, _Blk] | None:
    """Cut a block at pixel ``x`` (at a colon nearby when there is one)."""
    units = _char_units(b.text)
    total = sum(units) or 1.0
    scale = _w(b.rect) / total
    edges = np.cumsum([0.0, *units]) * scale + b.rect[0]
    idx = int(np.argmin([abs(e - x) for e in edges]))
    if prefer_colon:
        colons = [i + 1 for i, ch in enumerate(b.text) if ch in _COLON]
        near = [c for c in colons if abs(edges[c] - x) <= 3 * scale + 8]  # ±3 characters
        if near:
            idx = min(near, key=lambda c: abs(edges[c] - x))
    if idx <= 0 or idx >= len(b.text):
        return None
    left, right = b.text[:idx].strip(), b.text[idx:].strip()
    if not left or not right:
        return None
    cut = round(edges[idx])
    return (_Blk(left, (b.rect[0], b.rect[1], cut, b.rect[3]), b.grey),
            _Blk(right, (cut, b.rect[1], b.rect[2], b.rect[3]), b.grey))


def _glyph_at(t: str, i: int) -> bool:
    """``t[i]`` is a checkbox/radio read as a character ("O男", "Gender:O Male", "Oother"),
    not the first letter of a word ("Other")."""
    c = t[i]
    if c not in _GLYPHS:
        return False
    if not c.isalnum():
        return True  # ○ □ ☐ …
    before = t[i - 1] if i > 0 else " "
    after = t[i + 1] if i + 1 < len(t) else " "
    # "GenderO Male": a capital glued to the end of a lowercase word is the radio, too.
    starts = before in " :：" or not before.isascii() or (before.islower() and c.isupper())
    ends = after == " " or not after.isascii() or after.isupper() or after.lower() == c.lower()
    return starts and ends


def _strip_glyph(text: str) -> str:
    """Remove the checkbox/radio drawn as a character at the front ("O男" → "男")."""
    t = text.strip()
    if len(t) > 1 and _glyph_at(t, 0):
        return t[1:].strip()
    return t


def _same_word(a: str, b: str) -> bool:
    """``a`` then ``b`` read as one word ("ir" in "birth", "Da"; not "hY", "e1", "a：")."""
    if not (a.isascii() and b.isascii() and a.isalnum() and b.isalnum()):
        return False
    if a.isdigit() or b.isdigit():
        return a.isdigit() and b.isdigit()
    return not (a.islower() and b.isupper())


def _share(text: str, widths: Sequence[int]) -> list[str] | None:
    """Cut ``text`` into ``len(widths)`` runs whose estimated widths best fit ``widths``."""
    units = _char_units(text)
    n, k = len(text), len(widths)
    if n < k:
        return None
    cum = np.cumsum([0.0, *units])
    scale = sum(widths) / max(cum[-1], 1e-6)
    inf = float("inf")
    cost = [[inf] * (n + 1) for _ in range(k + 1)]
    back = [[0] * (n + 1) for _ in range(k + 1)]
    cost[0][0] = 0.0
    for j in range(1, k + 1):
        for i in range(j, n - (k - j) + 1):
            for a in range(j - 1, i):
                if cost[j - 1][a] == inf:
                    continue
                c = cost[j - 1][a] + ((cum[i] - cum[a]) * scale - widths[j - 1]) ** 2 / max(
                    widths[j - 1], 1)
                if j < k and i < n and _same_word(text[i - 1], text[i]):
                    c += 4.0  # cutting inside a word is unlikely
                if c < cost[j][i]:
                    cost[j][i], back[j][i] = c, a
    if cost[k][n] == inf:
        return None
    parts, i = [], n
    for j in range(k, 0, -1):
        a = back[j][i]
        parts.append(text[a:i].strip())
        i = a
    parts.reverse()
    return parts if all(parts) else None


def _strip_icon(text: str) -> str:
    """Drop a ▼ or calendar icon read as a last character ("请选择 V", "出生日期 口")."""
    t = text.strip()
    if len(t) > 1 and (t[-1] in _CHEVRONS or t[-1] in _GLYPHS) and (
            t[-2] == " " or not t[-2].isascii()) and (t[-1] not in "口" or t[-2] == " "):
        return t[:-1].strip()
    return t


def _is_grey(gray: np.ndarray | None, r: Rect) -> bool | None:
    """Light text (a placeholder) rather than dark text, from the darkest pixels' contrast."""
    if gray is None:
        return None
    patch = gray[max(0, r[1]):r[3], max(0, r[0]):r[2]]
    if patch.size < 20:
        return None
    paper = float(np.percentile(patch, 90))
    darkest = float(np.percentile(patch, 2))
    return paper - darkest < 125


# ---------------------------------------------------------------------------- linking


class _Linker:
    """Holds the elements, blocks and the assignment state of one image."""

    def __init__(self, elements: list[Element], blocks: list[TextBlock],
                 size: tuple[int, int], image: Image.Image | None) -> None:
        self.els = [e.model_copy(deep=True) for e in elements]
        self.size = size
        self.gray = page_gray(image) if image is not None else None
        self.blks = [_Blk(b.text.strip(), tuple(b.bbox), raw=tuple(b.bbox))  # type: ignore[arg-type]
                     for b in blocks if b.text.strip()]
        self.ink = None
        self.option_rect: dict[int, list[int]] = {}
        self.grey_hint: dict[int, bool | None] = {}  # element → its inside text is grey
        if image is not None and self.gray is not None:
            self.ink = ink_mask(self.gray)
        heights = sorted(_h(b.rect) for b in self.blks)
        self.th = float(np.median(heights)) if heights else 20.0

    # -- step 0 (needs the image) ---------------------------------------------
    def cut_with_ink(self) -> None:
        """Cut blocks where the ink shows that OCR read two texts as one: across a checkbox,
        a box border or a wide blank; the characters are shared out by width. Also trims
        each block to its ink, so a padded box no longer covers a neighbouring control."""
        if self.ink is None:
            return
        mask = self.ink.copy()
        for e in self.els:
            x1, y1, x2, y2 = e.bbox
            if e.kind in _TOGGLES:
                mask[max(0, y1 - 1):y2 + 1, max(0, x1 - 1):x2 + 1] = 0
            elif e.kind in _BOXLIKE or e.kind == "button":
                mask[y1:y2, max(0, x1 - 2):x1 + 3] = 0
                mask[y1:y2, max(0, x2 - 3):x2 + 2] = 0
        out: list[_Blk] = []
        for b in self.blks:
            out.extend(self._cut(b, mask))
        self.blks = out

    def _cut(self, b: _Blk, mask: np.ndarray) -> list[_Blk]:
        x1, y1, x2, y2 = b.rect
        pad = round(0.15 * (y2 - y1))
        patch = mask[max(0, y1 + pad):max(0, y2 - pad), max(0, x1):max(0, x2)] > 0
        rows = np.flatnonzero(patch.any(axis=1)) if patch.size else np.array([])
        if rows.size == 0:
            # Nothing but a checkbox under it: the box itself read as "口"/"O".
            on_toggle = any(e.kind in _TOGGLES and _h_overlap(e.bbox, b.rect) > 0.5 * _w(b.rect)
                            and _v_overlap(e.bbox, b.rect) > 0.5 for e in self.els)
            return [] if on_toggle and len(b.text) <= 2 else [b]
        ch = int(rows[-1] - rows[0] + 1)
        cols = np.flatnonzero(patch.any(axis=0))
        runs: list[list[int]] = []
        start = prev = int(cols[0])
        for c in cols[1:].tolist():
            if c - prev - 1 >= max(3, 0.3 * ch):  # word gaps and wider
                runs.append([start, prev + 1])
                start = c
            prev = c
        runs.append([start, prev + 1])
        # Keep a cut where a control or a box edge lies in the gap, or the gap is wide.
        segs = [runs[0]]
        for r in runs[1:]:
            gx1, gx2 = x1 + segs[-1][1], x1 + r[0]
            if gx2 - gx1 >= 1.5 * ch or self._separates(gx1, gx2, b.rect):
                segs.append(r)
            else:
                segs[-1][1] = r[1]
        # Slivers at the ends are neighbouring ink caught by a generous OCR box.
        while len(segs) > 1 and segs[0][1] - segs[0][0] < 0.5 * ch:
            segs.pop(0)
        while len(segs) > 1 and segs[-1][1] - segs[-1][0] < 0.5 * ch:
            segs.pop()
        trimmed = (x1 + segs[0][0], y1, x1 + segs[-1][1], y2)
        if len(segs) == 1 or len(b.text) > 120:  # (a paragraph is nobody's label)
            return [_Blk(b.text, trimmed, raw=b.raw)]
        inside = [e for e in self.els if e.kind in _TOGGLES and _v_overlap(e.bbox, b.rect) >= 0.5
                  and x1 <= _cx(e.bbox) <= x2]
        text = b.text
        for _ in inside:  # the checkboxes themselves, read as characters
            at = next((i for i in range(len(text)) if _glyph_at(text, i)), None)
            if at is None:
                break
            text = text[:at] + " " + text[at + 1:]
        parts = _share(text, [s[1] - s[0] for s in segs])
        if parts is None:
            return [_Blk(b.text, trimmed, raw=b.raw)]
        return [_Blk(t, (x1 + s[0], y1, x1 + s[1], y2)) for t, s in zip(parts, segs, strict=True)]

    def _separates(self, gx1: int, gx2: int, row: Sequence[int]) -> bool:
        """A control or a box's edge lies in the gap ``[gx1, gx2]`` on this row."""
        for e in self.els:
            if _v_overlap(e.bbox, row) < 0.5:
                continue
            if e.kind in _TOGGLES and _h_overlap(e.bbox, (gx1, 0, gx2, 0)) > 0:
                return True
            if e.kind not in _TOGGLES and any(gx1 - 3 <= x <= gx2 + 3 for x in (e.bbox[0], e.bbox[2])):
                return True
        return False

    # -- step 1 -------------------------------------------------------------
    def split_straddlers(self) -> None:
        for e in self.els:
            if e.kind not in _BOXLIKE:
                continue
            x = e.bbox[0]
            for b in list(self.blks):
                if (_v_overlap(b.rect, e.bbox) >= 0.5 and b.rect[0] < x - 4
                        and b.rect[2] > x + max(8, 0.5 * self.th)):
                    parts = _split(b, x)
                    if parts:  # the box's edge is the better boundary than the estimate
                        left, right = parts
                        left.rect = (*left.rect[:2], min(left.rect[2], x), left.rect[3])
                        right.rect = (max(right.rect[0], x), *right.rect[1:])
                    self._replace(b, parts)
        # A block running over several toggles of a row ("O男O女") is cut at each of them.
        toggles = sorted((e for e in self.els if e.kind in _TOGGLES), key=lambda e: e.bbox[0])
        for e in toggles:
            for b in list(self.blks):
                if (_v_overlap(b.rect, e.bbox) >= 0.5 and b.rect[0] < e.bbox[0] - 4
                        and b.rect[2] > e.bbox[2]):
                    self._replace(b, _split(b, e.bbox[0], prefer_colon=False))
        for b in self.blks:
            b.grey = _is_grey(self.gray, b.rect)

    def _replace(self, b: _Blk, parts: tuple[_Blk, _Blk] | None) -> None:
        if parts:
            j = self.blks.index(b)
            self.blks[j:j + 1] = list(parts)

    # -- step 2 -------------------------------------------------------------
    def inside_text(self) -> None:
        for i, e in enumerate(self.els):
            if e.kind in _TOGGLES:
                continue
            for b in self.blks:
                if b.inside < 0 and _contains_point(e.bbox, _cx(b.rect), _cy(b.rect)):
                    b.inside = i
        for i, e in enumerate(self.els):
            mine = sorted((b for b in self.blks if b.inside == i), key=lambda b: b.rect[0])
            if not mine:
                continue
            text = " ".join(b.text for b in mine)
            if e.kind == "button":
                if e.label is None:  # (a label given by the caller is kept)
                    e.label, e.label_bbox = text, _union([b.box for b in mine])
                continue
            # The hint is on the first line; grey text there wins over a coloured suffix
            # ("获取验证码") or a counter ("0/200") further on.
            top = min(mine, key=lambda b: b.rect[1])
            first = [b for b in mine if abs(_cy(b.rect) - _cy(top.rect)) <= 0.6 * _h(top.rect)]
            grey = [b for b in first if b.grey]
            hint = " ".join(b.text for b in (grey or first))
            self.grey_hint[i] = bool(grey) if all(b.grey is not None for b in first) else None
            e.placeholder = _strip_icon(hint) if e.kind in ("select", "date") else hint
            if e.kind == "text_input" and e.label is None and _BUTTON_WORDS.match(text) \
                    and _w(e.bbox) < 260 \
                    and abs(_cx(_union([b.rect for b in mine])) - _cx(e.bbox)) < 0.15 * _w(e.bbox):
                # An outlined button ("取消", "Reset") looks like a box with centred text.
                e.kind, e.editable, e.label, e.placeholder = "button", False, text, None
                e.label_bbox = _union([b.box for b in mine])

    # -- step 3 -------------------------------------------------------------
    def toggles(self) -> None:
        toggles = [i for i, e in enumerate(self.els) if e.kind in _TOGGLES]
        # A lone glyph on a toggle ("O") is OCR reading the circle/box itself: drop it, so
        # it is taken neither for an option nor for a group label.
        self.blks = [b for b in self.blks
                     if not (len(b.text.strip()) == 1 and b.text.strip() in _GLYPHS
                             and any(_contains_point(self.els[i].bbox, _cx(b.box), _cy(b.box))
                                     for i in toggles))]
        toggles.sort(key=lambda i: (self.els[i].bbox[0]))
        for i in toggles:
            e = self.els[i]
            h = _h(e.bbox)
            best: _Blk | None = None
            for b in self.blks:
                if b.role or b.inside >= 0 or _v_overlap(b.rect, e.bbox) < 0.4:
                    continue
                if not (e.bbox[0] - 4 <= b.rect[0] <= e.bbox[2] + max(40, 3 * h)):
                    continue
                if self._blocked(e.bbox[2], b.rect[0], e.bbox, skip=i):
                    continue
                if best is None or b.rect[0] < best.rect[0]:
                    best = b
            if best is not None:
                best.role = "option"
                e.option = e.option or clean_label(_strip_glyph(best.text))
                self.option_rect[i] = best.box
        for group in self._groups(toggles):
            label_blk = self._group_label(group)
            for i in group:
                e = self.els[i]
                if e.label is not None:
                    continue
                if label_blk is not None:
                    e.label, e.label_bbox = clean_label(label_blk.text), label_blk.box
                elif len(group) == 1 and e.option:
                    e.label, e.label_bbox = e.option, self.option_rect.get(i)
            if label_blk is not None:
                label_blk.role = "group"

    def _groups(self, toggles: list[int]) -> list[list[int]]:
        """Toggles of one row with only their own options between them; columns below."""
        rows: list[list[int]] = []
        for i in sorted(toggles, key=lambda i: (self.els[i].bbox[1], self.els[i].bbox[0])):
            e = self.els[i]
            for row in rows:
                last = self.els[row[-1]]
                if (abs(_cy(last.bbox) - _cy(e.bbox)) <= 0.5 * _h(e.bbox)
                        and not self._free_text_between(last.bbox[2], e.bbox[0], e.bbox)):
                    row.append(i)
                    break
            else:
                rows.append([i])
        for row in rows:
            row.sort(key=lambda i: self.els[i].bbox[0])
        # A column of toggles (one per row, same x) with no label of its own joins the one above.
        merged: list[list[int]] = []
        for row in sorted(rows, key=lambda r: self.els[r[0]].bbox[1]):
            head = self.els[row[0]]
            for prev in merged:
                p = self.els[prev[-1]]
                same_col = any(abs(self.els[j].bbox[0] - head.bbox[0]) <= 6 for j in prev)
                close = 0 < head.bbox[1] - p.bbox[1] <= 3.2 * max(_h(head.bbox), self.th)
                if same_col and close and self._left_block(head.bbox, 300) is None:
                    prev.extend(row)
                    break
            else:
                merged.append(list(row))
        return merged

    def _group_label(self, group: list[int]) -> _Blk | None:
        first = self.els[group[0]]
        b = self._left_block(first.bbox, _MAX_LEFT)
        if b is not None:
            return b
        # Otherwise the text just above the first option, starting near it.
        best = None
        for b in self.blks:
            if b.role or b.inside >= 0:
                continue
            gap = first.bbox[1] - b.rect[3]
            if -2 <= gap <= 1.2 * self.th and abs(b.rect[0] - first.bbox[0]) <= 2 * self.th \
                    and (best is None or b.rect[3] > best.rect[3]):
                best = b
        if best is not None and len(group) > 1:
            return best
        return None

    def _left_block(self, box: Sequence[int], reach: int) -> _Blk | None:
        """Nearest free text block left of ``box`` on its row, with nothing in between."""
        best = None
        for b in self.blks:
            if b.role in ("option", "label") or b.inside >= 0:
                continue
            if _v_overlap(b.rect, box) < 0.5 or b.rect[2] > box[0] + 4:
                continue
            if box[0] - b.rect[2] > reach or self._blocked(b.rect[2], box[0], box):
                continue
            if best is None or b.rect[2] > best.rect[2]:
                best = b
        return best

    def _blocked(self, x_from: float, x_to: float, row: Sequence[int], skip: int = -1) -> bool:
        """Another control lies between ``x_from`` and ``x_to`` on this row."""
        for j, f in enumerate(self.els):
            if j == skip or _v_overlap(f.bbox, row) < 0.3:
                continue
            if f.bbox[0] >= x_from - 2 and f.bbox[2] <= x_to + 2 and f.bbox != list(row):
                return True
        return False

    def _free_text_between(self, x_from: int, x_to: int, row: Sequence[int]) -> bool:
        return any(b.role != "option" and b.inside < 0 and _v_overlap(b.rect, row) >= 0.4
                   and b.rect[0] >= x_from - 2 and b.rect[2] <= x_to + 2 for b in self.blks)

    # -- step 4 -------------------------------------------------------------
    def boxes(self) -> None:
        targets = [i for i, e in enumerate(self.els) if e.kind in _BOXLIKE]
        cands: dict[int, list[tuple[str, _Blk, float]]] = {}
        for i in targets:
            cands[i] = self._left_cands(i) + self._above_cands(i)
        # Placeholder-only boxes stacked together: text above the first one is a heading.
        for i in targets:
            if cands[i] and all(side == "above" for side, _b, _q in cands[i]) \
                    and self._grey_inside(i) and any(
                        self._grey_inside(j) and not cands[j] and self._neighbours(i, j)
                        for j in targets if j != i):
                cands[i] = []
        # Which side does this form put its labels on? Count well-aligned candidates.
        n_left = sum(1 for c in cands.values() if any(s == "left" and q >= 0.8 for s, _b, q in c))
        n_above = sum(1 for c in cands.values() if any(s == "above" and q >= 0.8 for s, _b, q in c))
        mode = "above" if n_above > n_left else "left"
        pairs = [(q + (0.5 if side == mode else 0.0), i, b) for i, c in cands.items()
                 for side, b, q in c]
        pairs.sort(key=lambda p: -p[0])
        for _score, i, b in pairs:
            e = self.els[i]
            if e.label is not None or b.role:
                continue
            b.role = "label"
            e.label, e.label_bbox = clean_label(b.text), b.box
        for i in targets:
            e = self.els[i]
            if i not in self.grey_hint:
                continue  # nothing printed inside
            grey = self._grey_inside(i)
            if e.label is None:
                e.label = clean_label(e.placeholder or "") or None
            elif not grey:
                e.placeholder = None  # dark text beside a real label: a value already typed
        for i in targets:
            e = self.els[i]
            # A plain box asking for a date (no calendar icon drawn) is still a date field.
            if e.kind == "text_input" and (_DATE_HINT.search(e.placeholder or "")
                                           or _DATE_LABEL.search(e.label or "")):
                e.kind = "date"

    def _grey_inside(self, i: int) -> bool:
        """The box shows a placeholder (grey hint text; without the image: a prompt)."""
        if i not in self.grey_hint:
            return False
        grey = self.grey_hint[i]
        return grey if grey is not None else bool(_PROMPT.match(self.els[i].placeholder or ""))

    def _neighbours(self, i: int, j: int) -> bool:
        """``j`` is the next box below ``i`` (same left edge) or beside it on its row."""
        a, b = self.els[i].bbox, self.els[j].bbox
        below = abs(a[0] - b[0]) <= 6 and 0 < b[1] - a[3] <= 1.5 * _h(a)
        beside = _v_overlap(a, b) >= 0.8 and 0 < b[0] - a[2] <= 0.3 * self.size[0]
        return below or beside

    def _left_cands(self, i: int) -> list[tuple[str, _Blk, float]]:
        e = self.els[i]
        out = []
        row = e.bbox if _h(e.bbox) <= 2.5 * self.th else \
            [e.bbox[0], e.bbox[1], e.bbox[2], e.bbox[1] + round(2 * self.th)]
        for b in self.blks:
            if b.role or b.inside >= 0 or _v_overlap(b.rect, row) < 0.5:
                continue
            if b.rect[2] > e.bbox[0] + 4 or e.bbox[0] - b.rect[2] > _MAX_LEFT:
                continue
            if self._blocked(b.rect[2], e.bbox[0], row, skip=i):
                continue
            if any(o is not b and o.inside < 0 and _v_overlap(o.rect, row) >= 0.5
                   and b.rect[2] - 2 <= o.rect[0] and o.rect[2] <= e.bbox[0] + 4
                   for o in self.blks):
                continue  # not the nearest text
            gap = e.bbox[0] - b.rect[2]
            q = 1.0 - 0.4 * gap / _MAX_LEFT - 0.3 * abs(_cy(b.rect) - _cy(row)) / max(1, _h(row))
            if b.text.endswith(_COLON):
                q += 0.15
            out.append(("left", b, q))
        return out

    def _above_cands(self, i: int) -> list[tuple[str, _Blk, float]]:
        e = self.els[i]
        cell = self._is_cell(i)
        out = []
        for b in self.blks:
            if b.role or b.inside >= 0:
                continue
            gap = e.bbox[1] - b.rect[3]
            if gap < -3:
                continue
            # Starts near the box's left edge (a centred title over the form does not).
            lo, hi = e.bbox[0] - 0.5 * _w(b.rect), e.bbox[0] + max(2 * self.th, 0.25 * _w(e.bbox))
            near_left = lo <= b.rect[0] <= hi and b.rect[2] > e.bbox[0]
            if not near_left and not (cell and _h_overlap(b.rect, e.bbox) >= 0.6 * _w(b.rect)):
                continue
            between = [f for j, f in enumerate(self.els) if j != i
                       and f.bbox[1] >= b.rect[3] - 2 and f.bbox[3] <= e.bbox[1] + 2
                       and _h_overlap(f.bbox, e.bbox) > 0]
            if cell:
                # A column header may sit several cells up, over cells of the same column.
                if any(abs(f.bbox[0] - e.bbox[0]) > 4 or abs(f.bbox[2] - e.bbox[2]) > 4
                       for f in between):
                    continue
                if gap > (len(between) + 1) * max(_h(e.bbox), 2 * self.th):
                    continue
            elif between or gap > 1.5 * _h(b.rect) + 4:
                continue
            q = 1.0 - 0.3 * min(1.0, abs(b.rect[0] - e.bbox[0]) / 60) - 0.2 * max(0, gap) / (
                2 * _h(b.rect)) - (0.3 if cell else 0.0)
            out.append(("above", b, q))
        return out

    def _is_cell(self, i: int) -> bool:
        """A table cell: another control shares one of its edges."""
        e = self.els[i].bbox
        for j, f in enumerate(self.els):
            if j == i:
                continue
            fb = f.bbox
            side = (abs(e[2] - fb[0]) <= 3 or abs(fb[2] - e[0]) <= 3) and _v_overlap(e, fb) > 0.8
            stack = (abs(e[3] - fb[1]) <= 3 or abs(fb[3] - e[1]) <= 3) and \
                _h_overlap(e, fb) > 0.8 * min(_w(e), _w(fb))
            if side or stack:
                return True
        return False

    # -- step 5 -------------------------------------------------------------
    def synthesise_rows(self) -> None:
        """List-style rows without boxes (mobile forms): "姓名   请输入姓名" on a line. The
        grey prompt right of a label marks where the value goes."""
        W, _H = self.size
        for p in self.blks:
            if p.role or p.inside >= 0 or len(p.text) > 24:
                continue
            grey = p.grey if p.grey is not None else bool(_PROMPT.match(p.text))
            if not grey or any(_v_overlap(f.bbox, p.rect) >= 0.3 and _h_overlap(f.bbox, p.rect) > 0
                               for f in self.els):
                continue
            label = self._left_block(p.rect, _MAX_LEFT)
            if label is None or label.grey or len(label.text) > 16:
                continue
            h = _h(p.rect)
            right = min([o.rect[0] for o in self.blks if o is not p and _v_overlap(o.rect, p.rect)
                         >= 0.5 and o.rect[0] >= p.rect[2]] + [W - max(8, label.rect[0])])
            box = [p.rect[0] - 8, round(_cy(p.rect) - 0.9 * h), max(right, p.rect[2] + 8),
                   round(_cy(p.rect) + 0.9 * h)]
            text = _strip_icon(p.text.rstrip(">›〉").strip())
            kind: ElementKind = "select" if p.text.rstrip().endswith((">", "›", "〉")) or \
                text.startswith(("请选择", "选择", "Select", "Choose")) else "text_input"
            label.role, p.role = "label", "inside"
            self.els.append(Element(kind=kind, bbox=box, label=clean_label(label.text),
                                    label_bbox=label.box, placeholder=text,
                                    confidence=0.4, source="layout"))

    def synthesise(self) -> None:
        W, H = self.size
        for b in self.blks:
            if b.role or b.inside >= 0 or not b.text.endswith(_COLON) or len(b.text) > 16:
                continue
            h = _h(b.rect)
            row = (b.rect[0], b.rect[1], W, b.rect[3])
            right_obstacles = [o.rect[0] for o in self.blks if o is not b
                               and _v_overlap(o.rect, row) >= 0.3 and o.rect[0] >= b.rect[2] - 2]
            right_obstacles += [f.bbox[0] for f in self.els if _v_overlap(f.bbox, row) >= 0.3
                                and f.bbox[0] >= b.rect[2] - 2]
            x1 = b.rect[2] + 6
            x2 = min([*right_obstacles, W - 8, x1 + 300]) - 6
            band = round(1.6 * h)
            y1, y2 = round(_cy(b.rect) - band / 2), round(_cy(b.rect) + band / 2)
            if x2 - x1 >= 60 and self._blank((x1, y1, x2, y2)):
                self._add_synth([x1, max(0, y1), x2, min(H, y2)], b)
                continue
            # Label above a blank line?
            y1, y2 = b.rect[3] + 4, b.rect[3] + 4 + round(1.8 * h)
            x1, x2 = b.rect[0], min(W - 8, b.rect[0] + 300)
            below = (x1, y1, x2, y2)
            if y2 < H and not any(_h_overlap(o.rect, below) > 0 and o.rect[1] < y2 + h
                                  and o.rect[3] > y1 for o in self.blks if o is not b) \
                    and not any(_h_overlap(f.bbox, below) > 0 and f.bbox[1] < y2 + h
                                and f.bbox[3] > y1 for f in self.els) and self._blank(below):
                self._add_synth(list(below), b)

    def _blank(self, r: Sequence[int]) -> bool:
        if self.ink is None:
            return True
        patch = self.ink[max(0, r[1]):r[3], max(0, r[0]):r[2]]
        return patch.size > 0 and float((patch > 0).mean()) < 0.01

    def _add_synth(self, box: list[int], b: _Blk) -> None:
        b.role = "label"
        self.els.append(Element(kind="text_input", bbox=box, label=clean_label(b.text),
                                label_bbox=b.box, confidence=0.4, source="layout"))

    def run(self) -> list[Element]:
        self.cut_with_ink()
        self.split_straddlers()
        self.inside_text()
        self.toggles()
        self.boxes()
        self.synthesise_rows()
        self.synthesise()
        return self.els


def _union(rects: Sequence[Sequence[int]]) -> list[int]:
    return [min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects),
            max(r[3] for r in rects)]


def link_labels(elements: list[Element], blocks: list[TextBlock], image_size: tuple[int, int],
                image: Image.Image | None = None) -> list[Element]:
    """New elements with ``label``, ``label_bbox``, ``placeholder`` and ``option`` filled.

    ``image`` is optional: with it, grey placeholder text is told from typed values and
    synthesised inputs are checked to be blank.
    """
    return _Linker(elements, blocks, image_size, image).run()
