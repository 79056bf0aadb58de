"""Values the user sets by hand (at approval, or remembered from an earlier turn).

An edit names a field by its label or key and gives the new value. It replaces the value of
the field that has that name, picks the matching option in a radio/checkbox group, fills a
control that was missing, or — given an empty value — clears the field. Every edited value is
validated again; one that fails is reported as a problem, never silently accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.common.schema import Element, FilledField
from tools.forms.lexicon import match_label, normalize_label, option_matches
from tools.forms.mapping import action_for, element_name
from tools.forms.validators import validate


@dataclass
class EditResult:
    """The fields after the edits, what is still missing, and what went wrong."""

    fields: list[FilledField]
    missing: list[str]
    problems: list[str] = field(default_factory=list)
    applied: dict[str, str] = field(default_factory=dict)


def _same(a: str, b: str) -> bool:
    return bool(a) and normalize_label(a) == normalize_label(b)


def _find_field(fields: list[FilledField], name: str, threshold: float) -> int | None:
    for i, f in enumerate(fields):
        if _same(f.label, name) or f.key == name:
            return i
    key, score = match_label(name)
    if key is not None and score >= threshold:
        for i, f in enumerate(fields):
            if f.key == key:
                return i
    return None


def _controls(elements: list[Element], name: str, threshold: float) -> list[Element]:
    """The fillable controls a name refers to (several for a radio/checkbox group)."""
    fillable = [e for e in elements if e.editable and e.kind != "button"]
    exact = [e for e in fillable if _same(element_name(e), name)]
    if exact:
        return exact
    key, score = match_label(name)
    if key is None or score < threshold:
        return []
    return [e for e in fillable
            if (m := match_label(element_name(e)))[0] == key and m[1] >= threshold]


def _choose(controls: list[Element], value: str) -> Element | None:
    """The control to act on: the best-matching option of a group, else the only one."""
    if any(c.kind in ("radio", "checkbox") for c in controls):
        scored = [(option_matches(value, c.option or ""), c) for c in controls]
        best, chosen = max(scored, key=lambda t: t[0])
        return chosen if best >= 0.6 else None
    return controls[0] if controls else None


def _field_for(el: Element, name: str, key: str, value: str) -> FilledField:
    action = action_for(el.kind)
    return FilledField(
        label=name, bbox=el.bbox, value=(el.option or value) if action == "check" else value,
        action=action, confidence=1.0, key=key, kind=el.kind, option=el.option,
        image_id=el.image_id or "img1", provenance={"grounding": el.source, "user_edit": True})


def apply_edits(fields: list[FilledField], elements: list[Element], missing: list[str],
                edits: dict[str, str], threshold: float = 0.72) -> EditResult:
    """Apply ``edits`` (name → value) and validate the values they set."""
    out = [f.model_copy(deep=True) for f in fields]
    still_missing = list(missing)
    result = EditResult(fields=out, missing=still_missing)
    touched: list[int] = []
    for name, raw in edits.items():
        name, value = name.strip(), str(raw).strip()
        at = _find_field(out, name, threshold)
        if not value:  # an empty value clears the field: it is missing again
            if at is not None:
                still_missing.append(out.pop(at).label)
                touched = [t - (t > at) for t in touched if t != at]
            result.applied[name] = ""
            continue
        label = out[at].label if at is not None else name
        key = out[at].key if at is not None else (
            k if (k := match_label(name)[0]) and match_label(name)[1] >= threshold else name)
        controls = _controls(elements, label, threshold)
        if at is not None and out[at].kind not in ("radio", "checkbox"):
            out[at] = out[at].model_copy(update={
                "value": value, "confidence": 1.0,
                "provenance": {**out[at].provenance, "user_edit": True}})
        else:
            chosen = _choose(controls, value)
            if chosen is None:
                result.problems.append(
                    f"{name}: no such field on the form" if not controls
                    else f"{name}: no option matches {value!r}")
                continue
            new = _field_for(chosen, element_name(chosen) or label, key, value)
            if at is None:
                out.append(new)
                at = len(out) - 1
            else:
                out[at] = new
        still_missing[:] = [m for m in still_missing if not _same(m, out[at].label)]
        result.applied[name] = value
        touched.append(at)
    others = {f.key: f.value for f in out}
    for i in touched:
        f = out[i]
        check = validate(f.key, f.value, others)
        value = check.normalized if check.valid and check.normalized else f.value
        out[i] = f.model_copy(update={"valid": check.valid, "message": check.message,
                                      "value": value})
        if check.valid is False:
            result.problems.append(f"{f.label}: {check.message}")
    out.sort(key=lambda f: (f.image_id, f.bbox[1] // 10, f.bbox[0]))
    return result
