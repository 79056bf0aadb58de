"""Mapping the user's data onto labelled form controls (the offline data-mapping rules).

Each control's label (or placeholder) is matched to a canonical key through the lexicon;
the user's value for that key becomes the field's value. Radios and checkboxes pick the
option the value names. A control the user gave no value for is reported as missing, never
filled with a guess. Every value is validated; a failure is reported on the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tools.common.schema import Action, Element, FilledField, UserDatum
from tools.forms.lexicon import match_label, normalize_label, option_matches
from tools.forms.validators import validate

_PROMPT_WORDS = re.compile(
    r"^(请输入|请填写|请选择|输入|填写|选择|please\s+enter|enter\s+(your\s+)?|type\s+(your\s+)?|"
    r"select\s+(your\s+)?|your\s+)",
    re.I,
)
_CONSENT = re.compile(r"同意|已阅读|知悉|确认|agree|accept|consent|confirm", re.I)
_OPTION_MIN = 0.6
_ACTIONS: dict[str, Action] = {"select": "select_option", "upload": "upload_file",
                               "button": "click", "checkbox": "check", "radio": "check"}


@dataclass
class _Candidate:
    element: Element
    index: int
    name: str
    key: str | None
    score: float


def action_for(kind: str) -> Action:
    """The action that fills a control of this kind."""
    return "check" if kind in ("radio", "checkbox") else _ACTIONS.get(kind, "input_text")


def element_name(element: Element) -> str:
    """The text that names a control: its label, else its placeholder minus prompt words."""
    name = element.label or element.placeholder or ""
    return _PROMPT_WORDS.sub("", name.strip()).strip() or name.strip()


def _key_for(name: str, free_keys: Iterable[str], threshold: float) -> tuple[str | None, float]:
    # A label the user wrote out exactly ("会员号: 123", or a page's own label) is surer
    # than a fuzzy lexicon match ("Claim type" is not quite "claim date").
    norm = normalize_label(name)
    exact = next((free for free in free_keys if norm and normalize_label(free) == norm), None)
    key, score = match_label(name)
    if exact is not None and (key is None or score < 0.9):
        return exact, 0.9
    if key is not None and score >= threshold:
        return key, score
    return (exact, 0.9) if exact is not None else (None, score)


def _derived(data: dict[str, UserDatum]) -> dict[str, UserDatum]:
    """Split a full name into first/last (or join them) when the form asks the other way."""
    out = dict(data)
    name = data.get("name")
    if name and ("first_name" not in data or "last_name" not in data):
        value = name.value.strip()
        if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", value):
            last, first = value[0], value[1:]  # Chinese: surname first
        else:
            parts = value.split()
            first, last = (parts[0], parts[-1]) if len(parts) >= 2 else (value, "")
        for key, part in (("first_name", first), ("last_name", last)):
            if part and key not in out:
                out[key] = UserDatum(key=key, value=part, source=name.source,
                                     raw_label=f"derived from name {value!r}")
    if "name" not in data and "first_name" in data and "last_name" in data:
        first, last = data["first_name"].value, data["last_name"].value
        joined = last + first if re.match(r"[\u4e00-\u9fff]", last) else f"{first} {last}"
        out["name"] = UserDatum(key="name", value=joined, source=data["first_name"].source,
                                raw_label="derived from first and last name")
    return out


def _field(c: _Candidate, datum: UserDatum, value: str, action: Action, score: float,
           others: dict[str, str]) -> FilledField:
    check = validate(datum.key, value, others)
    if check.valid and check.normalized:
        value = check.normalized
    el = c.element
    return FilledField(
        label=c.name or (el.option or ""), bbox=el.bbox, value=value, action=action,
        confidence=round(max(0.0, min(1.0, el.confidence * score)), 3),
        valid=check.valid, message=check.message, key=datum.key, kind=el.kind,
        option=el.option, image_id=el.image_id or "img1",
        provenance={"element": c.index, "label_bbox": el.label_bbox, "user_data": datum.key,
                    "user_source": datum.source, "label_score": round(score, 3),
                    "grounding": el.source},
    )


def map_fields(
    elements: list[Element], user_data: list[UserDatum], threshold: float = 0.72
) -> tuple[list[FilledField], list[str]]:
    """Fields to fill, in reading order, and the labels the user gave no value for."""
    data = _derived({d.key: d for d in user_data})
    others = {k: d.value for k, d in data.items()}
    free_keys = [k for k, d in data.items() if d.raw_label and k == d.raw_label]
    candidates = []
    for i, el in enumerate(elements):
        if not el.editable or el.kind == "button":
            continue
        name = element_name(el)
        key, score = _key_for(name, free_keys, threshold) if name else (None, 0.0)
        if el.kind == "checkbox" and key is None and _CONSENT.search(f"{name} {el.option or ''}"):
            key, score = "consent", 0.9
        candidates.append(_Candidate(el, i, name, key, score))

    fields: list[FilledField] = []
    missing: list[str] = []
    used_keys: set[str] = set()
    groups: dict[tuple[str, str], list[_Candidate]] = {}
    for c in candidates:
        if c.element.kind in ("radio", "checkbox") and c.key != "consent":
            groups.setdefault((c.element.image_id, c.name), []).append(c)
    # Best-scoring control per key wins; a second control for the same key is left alone.
    best: dict[str, _Candidate] = {}
    for c in candidates:
        if c.key and (c.element.kind not in ("radio", "checkbox") or c.key == "consent"):
            prev = best.get(c.key)
            if prev is None or c.score * c.element.confidence > prev.score * prev.element.confidence:
                best[c.key] = c

    for c in candidates:
        el, key = c.element, c.key
        if el.kind in ("radio", "checkbox") and key != "consent":
            continue
        if key is None or best.get(key) is not c:
            if key is None and c.name and el.kind != "checkbox":
                missing.append(c.name)
            continue
        datum = data.get(key)
        if datum is None:
            missing.append(c.name or el.option or key)
            continue
        if key == "consent":
            fields.append(_field(c, datum, el.option or c.name, "check", c.score, others))
        else:
            fields.append(_field(c, datum, datum.value, _ACTIONS.get(el.kind, "input_text"),
                                 c.score, others))
        used_keys.add(key)

    for (_img, name), options in groups.items():
        key = options[0].key
        datum = data.get(key) if key else None
        if datum is None:
            if name:
                missing.append(name)
            continue
        scored = [(option_matches(datum.value, o.element.option or ""), o) for o in options]
        match, chosen = max(scored, key=lambda t: t[0])
        if match < _OPTION_MIN:
            missing.append(name)
            continue
        fields.append(_field(chosen, datum, chosen.element.option or datum.value, "check",
                             chosen.score * match, others))
        used_keys.add(datum.key)

    fields.sort(key=lambda f: (f.image_id, f.bbox[1] // 10, f.bbox[0]))
    seen: set[str] = set()
    missing = [m for m in missing if not (m in seen or seen.add(m))]  # type: ignore[func-returns-value]
    return fields, missing


def in_words(text: str, sources: list[str]) -> bool:
    """Is ``text`` (spaces ignored, case-folded) inside any of the user's words?"""
    needle = re.sub(r"\s+", "", text).casefold()
    return bool(needle) and any(needle in re.sub(r"\s+", "", s).casefold() for s in sources)


def assign_fields(
    elements: list[Element], assignments: list[tuple[int, str, str]], user_words: list[str],
    threshold: float = 0.72, model_confidence: float = 0.85,
) -> tuple[list[FilledField], list[str], list[str]]:
    """Fields from a model's (control index, value, evidence) answers, checked against the
    user's words: a value whose evidence is not in what the user said is dropped, never
    used. Returns fields, missing labels, and one note per dropped answer.
    """
    fields: list[FilledField] = []
    notes: list[str] = []
    filled: set[int] = set()
    accepted: list[tuple[_Candidate, UserDatum, str, Action, str]] = []
    for index, value, evidence in assignments:
        if not 0 <= index < len(elements) or index in filled:
            notes.append(f"control {index}: no such control (or given twice); ignored")
            continue
        el = elements[index]
        if not el.editable or el.kind == "button":
            notes.append(f"control {index} ({element_name(el)}): not fillable; ignored")
            continue
        grounded = in_words(evidence, user_words) and (
            in_words(value, user_words) or in_words(value, [evidence])
            or el.kind in ("radio", "checkbox", "select"))
        if not grounded:
            notes.append(f"{element_name(el) or index}: value not found in the user's words; "
                         "dropped")
            continue
        name = element_name(el)
        key, score = match_label(name) if name else (None, 0.0)
        key = key if key is not None and score >= threshold else (name or f"control_{index}")
        datum = UserDatum(key=key, value=value, source="request", raw_label=name or None)
        action = action_for(el.kind)
        accepted.append((_Candidate(el, index, name, key, model_confidence), datum,
                         (el.option or value) if action == "check" else value, action, evidence))
        filled.add(index)
    # Validate once everything is known, so an ID number is checked against the birth date.
    others = {datum.key: value for _c, datum, value, _a, _e in accepted}
    for cand, datum, value, action, evidence in accepted:
        field = _field(cand, datum, value, action, model_confidence, others)
        field.provenance["evidence"] = evidence  # the user's words the model quoted
        fields.append(field)
    groups_done = {element_name(elements[i]) for i in filled
                   if elements[i].kind in ("radio", "checkbox")}
    missing: list[str] = []
    for i, el in enumerate(elements):
        name = element_name(el)
        if (i in filled or not el.editable or el.kind == "button" or not name
                or name in groups_done or name in missing):
            continue
        missing.append(name)
    fields.sort(key=lambda f: (f.image_id, f.bbox[1] // 10, f.bbox[0]))
    return fields, missing, notes

