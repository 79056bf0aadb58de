"""Perceive a live page as a :class:`PageSnapshot`, and fingerprint it to see if it changed.

:func:`snapshot` runs the one-pass perception script and takes a full-page screenshot;
:func:`fingerprint` lets a caller skip inference (or keep waiting) while the screen is the same.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from tools.browser.page_records import PageControl, PageSnapshot, PageText
from tools.browser.perception_js import PERCEPTION_JS

if TYPE_CHECKING:
    from playwright.async_api import Page


def _fix_box(b: list[int] | None) -> list[int] | None:
    """Boxes must have x2 > x1 and y2 > y1 (a 0-px text line still needs a 1-px box)."""
    if b is None:
        return None
    x1, y1, x2, y2 = (int(v) for v in b)
    return [x1, y1, max(x2, x1 + 1), max(y2, y1 + 1)]


async def snapshot(page: Page, *, screenshot: bool = True, max_controls: int = 400,
                   max_texts: int = 400) -> PageSnapshot:
    """Perceive the page as it is now (one DOM pass, plus a full-page PNG unless told not to)."""
    raw: dict[str, Any] = await page.evaluate(
        PERCEPTION_JS, {"maxControls": max_controls, "maxTexts": max_texts})
    controls = []
    for i, c in enumerate(raw["controls"]):
        c["bbox"] = _fix_box(c["bbox"])
        c["label_bbox"] = _fix_box(c["label_bbox"])
        controls.append(PageControl(index=i, **c))
    for t in raw["texts"] + raw["messages"]:
        t["bbox"] = _fix_box(t["bbox"])
    png = await page.screenshot(full_page=True, type="png") if screenshot else None
    return PageSnapshot(
        url=raw["url"], title=raw["title"], controls=controls,
        texts=[PageText(**t) for t in raw["texts"]],
        messages=[PageText(**t) for t in raw["messages"]],
        viewport=tuple(raw["viewport"]), page_size=tuple(raw["page_size"]), screenshot=png,
    )


def fingerprint(snap: PageSnapshot, *, values: bool = True) -> str:
    """A short hash of what is visible: controls (kind, name, state, coarse place) and texts.

    Equal fingerprints mean an unchanged screen, so the caller need not perceive or infer
    again. ``values=False`` ignores what is typed/ticked: it changes only when the page's
    structure does (navigation, a new section, a dialog).
    """
    parts: list[Any] = [snap.url.split("#")[0]]
    for c in snap.controls:
        item: list[Any] = [c.kind, c.label, c.option_text, c.enabled,
                           [v // 8 for v in c.bbox], [o.text for o in c.options]]
        if values:
            item += [c.value, c.checked, c.selected, c.validation_message]
        parts.append(item)
    parts.append([t.text for t in snap.texts if values or not _is_value_text(t, snap)])
    parts.append([m.text for m in snap.messages])
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _is_value_text(text: PageText, snap: PageSnapshot) -> bool:
    # The text a custom select shows is its value: not part of the page's structure.
    return any(c.kind == "custom_select" and c.bbox == text.bbox for c in snap.controls) or any(
        c.kind == "custom_select" and text.text == c.value for c in snap.controls)
