"""Names of page controls as matching needs them, and controls as image-side Elements.

A bilingual name ("提交 / Submit", "下一步 Next") is matched by its halves (:func:`name_parts`);
:func:`to_elements` turns the controls into :class:`tools.common.schema.Element` records so
that the same data-mapping rules map user data onto a page as onto a screenshot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tools.browser.page_records import PageControl, PageSnapshot
from tools.common.schema import Element, ElementKind
from tools.forms.lexicon import match_label, normalize_label

# How a page control is seen by the image-side schema (tools.common.schema.ElementKind).
_AS_ELEMENT: dict[str, ElementKind] = {
    "link": "button", "password": "text_input", "custom_select": "select",
    "autocomplete": "text_input",
}


def name_parts(name: str) -> list[str]:
    """A name and its halves: "提交 / Submit" → [whole, "提交", "Submit"]; "下一步 Next" too."""
    parts = [name]
    pieces = [p for p in re.split(r"\s*[/|｜]\s*", name) if p.strip()]
    if len(pieces) == 1:  # "下一步 Next", "北京 Beijing": a CJK run then a Latin run
        pieces = [p for p in re.split(r"(?<=[\u3400-\u9fff）)])\s+(?=[A-Za-z])|"
                                      r"(?<=[A-Za-z.)])\s+(?=[\u3400-\u9fff])", name) if p.strip()]
    if len(pieces) > 1:
        parts.extend(p.strip() for p in pieces)
    return parts


def mapping_label(label: str, user_labels: Iterable[str] = ()) -> str:
    """The part of a bilingual label ("收货人 / Name") the field lexicon knows best (the whole
    label when no part is better), so a bilingual page maps like a monolingual one. A part
    equal to a label the user wrote ("收货人: 孙悦") wins over the lexicon."""
    parts = name_parts(label)
    if len(parts) == 1:
        return label
    wanted = {normalize_label(u) for u in user_labels}
    for p in parts[1:]:
        if normalize_label(p) in wanted:
            return p
    scored = [(match_label(p)[1] if match_label(p)[0] else 0.0, -i, p)
              for i, p in enumerate(parts)]
    return max(scored)[2]


def element_kind(control: PageControl) -> ElementKind:
    """The image-side kind of a page control (a link is a button, a custom select a select)."""
    kind: Any = control.kind
    return _AS_ELEMENT.get(kind, kind)  # type: ignore[no-any-return]


def to_elements(snap: PageSnapshot, user_labels: Iterable[str] = ()) -> list[Element]:
    """One Element per control, same order (``elements[i]`` is ``snap.controls[i]``).

    Radios and checkboxes carry the group's name as ``label`` and their own text as
    ``option``, exactly as the layout detector reports them on a screenshot, so
    :func:`tools.forms.mapping.map_fields` works unchanged on a live page. A bilingual label keeps
    the half the lexicon knows, or the half equal to one of ``user_labels`` (the user's own
    names for their values, ``UserDatum.raw_label``; see :func:`mapping_label`).
    """
    out = []
    for c in snap.controls:
        kind = element_kind(c)
        out.append(Element(
            kind=kind, bbox=c.bbox, label=mapping_label(c.label, user_labels) or None,
            label_bbox=c.label_bbox,
            option=c.option_text or None if kind in ("radio", "checkbox") else None,
            placeholder=mapping_label(c.placeholder, user_labels) or None,
            editable=c.enabled and kind != "button", confidence=1.0, source="dom",
        ))
    return out
