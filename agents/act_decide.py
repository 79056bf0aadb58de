"""What to do on one screen of a live page: the executor's decision, as a pure function.

Two sources, both transparent: the user's data mapped onto the page's controls by the same
rules as a screenshot fill (``map_fields`` over the DOM's controls), and the imperative
instructions of the request (``tools.browser.instruction_parser``: click, select, tick, type, log in…).
Fills come first; then at most one *commit* — a click that submits or navigates — after
which the page is perceived again. Intents whose control is not on this screen wait for a
later one (multi-page flows). Nothing is decided twice for a control already in the state
the user asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.browser.control_names import name_parts, to_elements
from tools.browser.instruction_parser import Intent
from tools.browser.instruction_resolver import resolve_all, submit_button
from tools.browser.label_values import values_for_labels
from tools.browser.page_records import PageControl, PageSnapshot
from tools.common.schema import UserDatum
from tools.forms.lexicon import KEYS, match_label
from tools.forms.mapping import map_fields

Do = Literal["fill", "select", "choose", "check", "uncheck", "upload", "pick", "focus",
             "press", "click"]

# Clicks that commit something that cannot be taken back: they need the user's approval.
IRREVERSIBLE = re.compile(r"提交|submit|支付|付款|\bpay\b|删除|delete|remove|发送|\bsend\b|发布|"
                          r"publish|下单|购买|\bbuy\b|place order|确认订单|注册|sign ?up|register",
                          re.I)
_WANTS_SUBMIT = re.compile(r"提交|submit|发布|publish|保存|\bsave\b|注册|sign (me )?up|"
                           r"register|确定|confirm|file (my|the|a)|send", re.I)
_FILE = re.compile(r"[\w./\\-]+\.(?:png|jpe?g|gif|webp|pdf|txt|csv|docx?|xlsx?)\b", re.I)
FILL_KINDS = ("text_input", "textarea", "date", "password", "email", "tel", "number")


@dataclass
class Planned:
    """One action to take, why, and whether it commits (submits or navigates)."""

    do: Do
    control: PageControl | None
    value: Any = None
    key: str | None = None
    why: str = ""
    intent: int | None = None  # index of the intent it serves, if any
    commit: bool = False
    irreversible: bool = False


@dataclass
class Decision:
    """The fills of this screen and the commit that follows them (if any)."""

    fills: list[Planned] = field(default_factory=list)
    commit: Planned | None = None
    satisfied: set[int] = field(default_factory=set)
    """Intents this screen already answers (their control is set as asked, or is being set
    by the user's data)."""


def _already(control: PageControl, value: Any) -> bool:
    """Is the control already in the state asked for (nothing to do)?"""
    if control.kind in ("radio", "checkbox"):
        return bool(control.checked) == (value is not False)
    if isinstance(value, str) and control.kind in FILL_KINDS:
        return control.value == value
    if isinstance(value, str) and control.kind in ("select", "custom_select") and value:
        return any(value == s or value == o.value for s in control.selected
                   for o in control.options if o.text == s)
    return False


def page_data(snap: PageSnapshot, request: str, data: list[UserDatum], threshold: float
              ) -> list[UserDatum]:
    """The user's data plus the values the request gives for this page's own labels (for
    labels whose field the entity parser did not already find)."""
    labels = list(dict.fromkeys(c.label for c in snap.controls
                                if c.label and c.kind not in ("button", "link")))
    known = {d.key for d in data}
    aliases = {}
    for label in labels:
        key, score = match_label(label)
        if key is not None and score >= max(threshold, 0.9) and key not in known:
            aliases[label] = list(KEYS.get(key, ()))  # the field's names in either language
    extra, replaced = [], set()
    for label, value in values_for_labels(request, labels, aliases).items():
        key, score = match_label(label)
        if key is not None and score >= max(threshold, 0.9):
            replaced.add(key)  # the page's own label, found in the request, is the surer cue
            extra.append(UserDatum(key=key, value=value, source="request", raw_label=label))
        else:
            extra.append(UserDatum(key=label, value=value, source="request", raw_label=label))
    return [*(d for d in data if d.key not in replaced), *extra]


def _data_fills(snap: PageSnapshot, data: list[UserDatum], threshold: float) -> list[Planned]:
    if not data:
        return []
    # Values found by the page's own full labels map by those labels (not by one half of
    # a bilingual label, as to_elements would otherwise choose).
    own = {d.raw_label for d in data if d.raw_label and d.key == d.raw_label}
    elements = [e.model_copy(update={"label": c.label}) if c.label in own else e
                for c, e in zip(snap.controls, to_elements(snap, user_labels=own), strict=True)]
    fields, _missing = map_fields(elements, data, threshold)
    out = []
    for f in fields:
        index = f.provenance.get("element")
        if not isinstance(index, int) or not 0 <= index < len(snap.controls):
            continue
        c = snap.controls[index]
        if not c.visible or not c.enabled:
            continue
        if c.kind == "radio":
            planned = Planned("choose", c, True, f.key)
        elif c.kind == "checkbox":
            planned = Planned("check", c, True, f.key)
        elif c.kind in ("select", "custom_select"):
            planned = Planned("select", c, f.value, f.key)
        elif c.kind == "autocomplete":
            planned = Planned("pick", c, [f.value, f.value], f.key)
        elif c.kind in FILL_KINDS:
            planned = Planned("fill", c, f.value, f.key)
        else:
            continue
        planned.why = f"data: {f.label} ← {f.key}"
        if not _already(c, planned.value):
            out.append(planned)
    return out


_NEGATED = re.compile(r"不|别|don'?t|do not|not\b|no\b", re.I)


def mentioned_boxes(snap: PageSnapshot, request: str) -> list[Planned]:
    """Checkboxes whose whole text the request says ("I confirm the information is true")."""
    out = []
    flat = re.sub(r"\s+", " ", request).lower()
    for c in snap.controls:
        text = (c.option_text or c.label or "").strip().lower()
        long_enough = len(text.split()) >= 3 or len(re.findall(r"[\u4e00-\u9fff]", text)) >= 4
        if c.kind != "checkbox" or not c.visible or c.checked or not long_enough:
            continue
        at = flat.find(text)
        if at >= 0 and not _NEGATED.search(flat[max(0, at - 12):at]):
            out.append(Planned("check", c, True, None, f"the request says: {text}"))
    return out


_PLACEHOLDER = re.compile(r"请选择|choose|select|^[-—\s]*$", re.I)


def _said(part: str, request: str) -> bool:
    if re.search(r"[\u4e00-\u9fff]", part):
        return len(part) >= 2 and part in request
    return len(part) >= 3 and re.search(rf"(?<![A-Za-z]){re.escape(part)}(?![A-Za-z])",
                                         request, re.I) is not None


def mentioned_options(snap: PageSnapshot, request: str) -> list[Planned]:
    """A select (or radio group) none of the data set, one of whose options the request
    names in passing ("线上参会", "a travel claim"): that option, if it is the only one."""
    out = []
    for c in snap.controls:
        if c.kind not in ("select", "custom_select") or not c.visible or not c.enabled:
            continue
        named = [o for o in c.options if o.text and not _PLACEHOLDER.search(o.text)
                 and any(_said(p, request) for p in name_parts(o.text))]
        if len(named) == 1:
            out.append(Planned("select", c, named[0].text, None,
                               f"the request names the option {named[0].text}"))
    groups: dict[str, list[PageControl]] = {}
    for c in snap.controls:
        if c.kind == "radio" and c.visible and c.enabled:
            groups.setdefault(c.group or c.label, []).append(c)
    for options in groups.values():
        if any(o.checked for o in options):
            continue
        named_radios = [o for o in options if o.option_text and any(
            _said(p, request) for p in name_parts(o.option_text))]
        if len(named_radios) == 1:
            out.append(Planned("choose", named_radios[0], True, None,
                               f"the request names the option {named_radios[0].option_text}"))
    return out


def _upload_path(intent: Intent) -> str | None:
    for v in [*intent.values, intent.target, intent.text]:
        m = _FILE.search(v or "")
        if m:
            return m.group(0)
    return None


def _intent_actions(i: int, intent: Intent, snap: PageSnapshot) -> list[Planned] | None:
    """The actions of one intent on this screen; None when its control is not here."""
    found = resolve_all(intent, snap) if intent.kind != "submit" else (
        [b] if (b := submit_button(snap)) else [])
    if intent.kind in ("press",):
        return [Planned("press", found[0] if found else None, intent.values[:1] or ["Enter"],
                        why=f"intent: {intent.text}", intent=i)]
    if not found:
        return None
    why = f"intent: {intent.text}"
    if intent.kind == "login":
        if len(found) < 3 or len(intent.values) < 2:
            return None
        user, password, button = found[:3]
        return [Planned("fill", user, intent.values[0], "username", why, i),
                Planned("fill", password, intent.values[1], "password", why, i),
                Planned("click", button, None, None, why, i, commit=True)]
    if intent.kind in ("click", "submit"):
        return [Planned("click", found[0], None, None, why, i, commit=True,
                        irreversible=bool(IRREVERSIBLE.search(found[0].label)))]
    if intent.kind in ("select", "check", "uncheck"):
        out = []
        for n, c in enumerate(found):
            if c.kind == "radio":
                out.append(Planned("choose", c, True, None, why, i))
            elif c.kind == "checkbox":
                out.append(Planned("uncheck" if intent.kind == "uncheck" else "check", c,
                                   intent.kind != "uncheck", None, why, i))
            elif c.kind == "autocomplete":
                choice = intent.values[n] if n < len(intent.values) else intent.target
                out.append(Planned("pick", c, [choice, choice], None, why, i))
            else:
                out.append(Planned("select", c, intent.values if c.multiple else (
                    intent.values[0] if intent.values else intent.target), None, why, i))
        return out
    c = found[0]
    if intent.kind in ("type", "date"):
        return [Planned("fill", c, intent.values[0] if intent.values else "", None, why, i)]
    if intent.kind == "autocomplete":
        typed, choice = (intent.values + [intent.values[-1]] * 2)[:2] if intent.values else (
            "", "")
        return [Planned("pick", c, [typed, choice], None, why, i)]
    if intent.kind == "upload":
        path = _upload_path(intent)
        return [Planned("upload", c, path, None, why, i)] if path else None
    if intent.kind == "focus":
        return [Planned("focus", c, None, None, why, i)]
    return None


def decide(snap: PageSnapshot, request: str, data: list[UserDatum], intents: list[Intent],
           done: set[int], threshold: float = 0.72, filled_here: bool = False) -> Decision:
    """The actions for this screen (``done``: intents finished on earlier screens;
    ``filled_here``: this page already holds values this run typed, not yet submitted)."""
    # The request's explicit instructions first; the user's data fills what they leave.
    decision = Decision()
    data_fills = _data_fills(snap, page_data(snap, request, data, threshold), threshold)
    for extra in (*mentioned_boxes(snap, request), *mentioned_options(snap, request)):
        control = extra.control
        if control is None or any(q.control is not None and (
                q.control.locator == control.locator or (
                    extra.do == "choose" and q.control.kind == "radio"
                    and q.control.group == control.group)) for q in data_fills):
            continue  # the data already sets this control (or this radio group)
        data_fills.append(extra)
    taken: set[str] = set()
    commits: list[Planned] = []
    for i, intent in enumerate(intents):
        if i in done:
            continue
        actions = _intent_actions(i, intent, snap)
        if actions is None:
            continue
        if all(not a.commit and a.control is not None and a.do != "focus" and (
                a.control.locator in taken or _already(a.control, a.value)) for a in actions):
            decision.satisfied.add(i)
            continue
        for a in actions:
            if a.commit:
                commits.append(a)
            elif a.control is None or a.control.locator not in taken or a.do == "focus":
                if a.do in ("press", "focus") or a.control is None or not _already(
                        a.control, a.value):
                    decision.fills.append(a)
                if a.control is not None:
                    taken.add(a.control.locator)
        if commits:
            break  # one commit per screen: the page changes after it
    decision.fills = [*(p for p in data_fills if p.control and p.control.locator not in taken),
                      *decision.fills]
    if commits:
        decision.commit = commits[0]
    elif (decision.fills or filled_here) and _WANTS_SUBMIT.search(request):
        near = next((p.control for p in decision.fills if p.control), None)
        button = submit_button(snap, near)
        if button is not None:
            decision.commit = Planned("click", button, why="the request asks to submit",
                                      commit=True,
                                      irreversible=bool(IRREVERSIBLE.search(button.label)))
    return decision


def _chars(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {*words, *re.findall(r"[\u4e00-\u9fff]", text)}


def way_forward(snap: PageSnapshot, request: str, exclude: set[str] | frozenset[str] = frozenset()
                ) -> Planned | None:
    """Nothing to do here but work is left: the button or link the request talks about
    ("在商品管理里添加一个商品" → the "添加商品" button), if one clearly stands out."""
    wanted = _chars(request)
    best: tuple[float, PageControl | None] = (0.0, None)
    for c in snap.controls:
        if (c.kind not in ("button", "link") or not c.visible or not c.enabled or not c.label
                or c.label in exclude):
            continue
        score = max((len(h & wanted) / len(h) for p in name_parts(c.label)
                     if (h := _chars(p))), default=0.0)
        if score > best[0]:
            best = (score, c)
    score, control = best
    if control is None or score < 0.75:
        return None
    return Planned("click", control, why=f"the way forward: {control.label}", commit=True,
                   irreversible=bool(IRREVERSIBLE.search(control.label)))


def upload_candidates(request: str) -> list[str]:
    """File names the request mentions (for an upload control the data mapping skips)."""
    return [m.group(0) for m in _FILE.finditer(request) if Path(m.group(0)).suffix]
