"""Intents → controls of a page: which control of a :class:`PageSnapshot` an intent names.

Exact names first (whole label, or one half of a bilingual "提交 / Submit"), then
containment, synonyms ("邮箱" ↔ "email"), the field lexicon and a fuzzy ratio. Login finds
its user field, password field and button; a bare "submit" finds the form's submit button.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from tools.browser.control_names import name_parts
from tools.browser.instruction_parser import Intent
from tools.browser.page_records import PageControl, PageSnapshot
from tools.forms.lexicon import match_key, match_label, normalize_label, option_matches

_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("邮件", "邮箱", "电子邮件", "email", "e-mail", "mail"),
    ("短信", "sms", "text message", "text"),
    ("电话", "手机", "phone", "call", "telephone"),
    ("微信", "wechat", "weixin"),
    ("提交", "submit", "send"),
    ("保存", "save"),
    ("取消", "cancel"),
    ("下一步", "next"),
    ("上一步", "back", "previous"),
    ("登录", "登陆", "log in", "login", "sign in"),
    ("注册", "sign up", "register"),
    ("发布", "publish"),
    ("搜索", "search"),
    ("确定", "ok", "confirm"),
    ("删除", "delete", "remove"),
    ("备注", "notes", "note", "comment", "comments", "remark", "remarks"),
    ("评论", "comment"),
    ("城市", "city"),
    ("用户名", "username", "user name", "账号", "account"),
    ("密码", "password"),
)
_SYN_INDEX = {normalize_label(w): i for i, group in enumerate(_SYNONYMS) for w in group}
_SUBMIT_WORDS = re.compile(r"提交|submit|确定|确认|保存|save|发布|publish|注册|sign\s*up|register|"
                           r"登录|log\s*in|sign\s*in|搜索|search|send|发送|book|预约|ok|next|下一步|"
                           r"continue|继续|订阅|subscribe", re.I)
_NOT_SUBMIT = re.compile(r"取消|cancel|重置|reset|返回|back|清空|clear|删除|delete", re.I)
_FILLABLE = ("text_input", "textarea", "date", "password", "autocomplete", "select",
             "custom_select", "upload")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CONSENT = re.compile(r"同意|已阅读|条款|协议|知悉|agree|accept|consent|confirm|terms", re.I)


def name_score(target: str, name: str) -> float:
    """How well ``target`` (the user's words) names something called ``name``, in [0, 1]."""
    t = normalize_label(target)
    if not t or not name:
        return 0.0
    best = 0.0
    for i, part in enumerate(name_parts(name)):
        n = normalize_label(part)
        if not n:
            continue
        if t == n:
            return 1.0 if i == 0 else 0.98
        ti, ni = _SYN_INDEX.get(t), _SYN_INDEX.get(n)
        if ti is not None and ti == ni:
            best = max(best, 0.93)
        if len(t) >= (2 if _CJK.search(t) else 3) and t in n:
            best = max(best, 0.72 + 0.2 * len(t) / len(n))
        ratio = SequenceMatcher(None, t, n, autojunk=False).ratio()
        if ratio >= 0.8:
            best = max(best, 0.85 * ratio)
    key = match_key(target)
    if key is not None and best < 0.86:
        name_key, _score = match_label(name)
        if name_key is None:
            name_key = next((k for p in name_parts(name)[1:]
                             if (k := match_label(p)[0]) is not None), None)
        if name_key == key:
            best = max(best, 0.86)
    return round(best, 3)


def option_score(value: str, text: str) -> float:
    """How well a value names an option text (bilingual halves and synonyms count)."""
    best = max(option_matches(value, p) for p in name_parts(text))
    vi = _SYN_INDEX.get(normalize_label(value))
    if vi is not None and any(_SYN_INDEX.get(normalize_label(p)) == vi for p in name_parts(text)):
        best = max(best, 0.93)
    return best


def _names(c: PageControl) -> list[str]:
    return [n for n in (c.label, c.placeholder, c.name, c.id) if n]


def _best(controls: list[PageControl], score: dict[int, float],
          minimum: float = 0.7) -> PageControl | None:
    ranked = sorted(controls, key=lambda c: (-score.get(c.index, 0.0), len(c.label), c.index))
    if ranked and score.get(ranked[0].index, 0.0) >= minimum:
        return ranked[0]
    return None


def _by_name(target: str, controls: list[PageControl], literal: bool = False,
             option: bool = False) -> PageControl | None:
    if not controls:
        return None
    if literal:  # a quoted name must be the whole name (or one half of a bilingual one)
        exact = [c for c in controls
                 if any(normalize_label(target) == normalize_label(p)
                        for n in ([c.option_text] if option else _names(c)) for p in name_parts(n))]
        if exact:
            return exact[0]
    scores = {c.index: max((name_score(target, n) for n in
                            ([c.option_text] if option else _names(c))), default=0.0)
              for c in controls}
    return _best(controls, scores)


def _options_of(c: PageControl) -> list[str]:
    if c.kind in ("radio", "checkbox"):
        return [c.option_text] if c.option_text else []
    return [o.text for o in c.options if o.value != "" or o.text]


def _by_option(value: str, controls: list[PageControl]) -> PageControl | None:
    """The control offering an option named ``value`` (a select, listbox, radio or checkbox)."""
    scores = {c.index: max((option_score(value, o) for o in _options_of(c)), default=0.0)
              for c in controls}
    return _best(controls, scores, minimum=0.75)


def submit_button(snap: PageSnapshot, near: PageControl | None = None) -> PageControl | None:
    """The button that submits the form ``near`` is in (else the page's likeliest one)."""
    buttons = [c for c in snap.controls if c.kind == "button" and c.enabled
               and not _NOT_SUBMIT.search(c.label) and c.input_type != "reset"]
    if near is not None and near.form:
        same = [b for b in buttons if b.form == near.form]
        buttons = same or buttons
    typed = [b for b in buttons if b.input_type == "submit"]
    pool = typed or buttons
    worded = [b for b in pool if _SUBMIT_WORDS.search(b.label)]
    best = worded or pool
    return best[0] if best else None


def _login_fields(snap: PageSnapshot) -> list[PageControl]:
    password = next((c for c in snap.controls if c.kind == "password" and c.enabled), None)
    texts = [c for c in snap.controls if c.kind in ("text_input", "autocomplete") and c.enabled]
    user = _by_name("用户名", texts) or _by_name("email", texts)
    if user is None and password is not None:  # the text field just before the password
        before = [c for c in texts if c.index < password.index]
        user = before[-1] if before else None
    button = None
    if password is not None:
        button = _by_name("登录", [c for c in snap.controls if c.kind == "button"]) \
            or submit_button(snap, password)
    return [c for c in (user, password, button) if c is not None]


def resolve_all(intent: Intent, snap: PageSnapshot) -> list[PageControl]:
    """Every control an intent acts on: one per value for select/check/uncheck (a native
    multi-select once), [user field, password field, button] for login; else one or none."""
    controls = [c for c in snap.controls if c.visible]
    kind = intent.kind
    if kind == "login":
        return _login_fields(snap)
    if kind in ("select", "check", "uncheck"):
        found: list[PageControl] = []
        if intent.target:
            holder = _by_name(intent.target, [c for c in controls if c.kind in (
                "select", "custom_select", "autocomplete", "radio", "checkbox")], intent.literal)
            if holder is not None and holder.kind in ("radio", "checkbox"):
                group = [c for c in controls if c.kind == holder.kind and c.label == holder.label]
                picks = [_by_option(v, group) for v in intent.values]
                return [c for c in picks if c is not None]
            if holder is not None:
                return [holder]
            if not intent.values:
                return []
        kinds = ("checkbox", "radio") if kind != "select" else (
            "select", "custom_select", "radio", "checkbox", "autocomplete")
        pool = [c for c in controls if c.kind in kinds]
        for v in intent.values or [intent.target]:
            c = _by_option(v, pool) or _by_name(v, [p for p in pool if p.kind in (
                "checkbox", "radio")], option=True)
            if c is None and kind != "uncheck" and _CONSENT.search(v):
                # "勾选同意条款" / "accept the terms": the one consent box of the page
                consent = [p for p in pool if p.kind == "checkbox"
                           and _CONSENT.search(p.option_text or p.label)]
                c = consent[0] if len(consent) == 1 else None
            if c is not None and c not in found:
                found.append(c)
        return found
    one = resolve(intent, snap)
    return [one] if one is not None else []


def resolve(intent: Intent, snap: PageSnapshot) -> PageControl | None:
    """The control an intent names on this page (None when nothing matches well enough)."""
    controls = [c for c in snap.controls if c.visible]
    kind, target = intent.kind, intent.target
    if kind in ("select", "check", "uncheck", "login"):
        found = resolve_all(intent, snap)
        return found[0] if found else None
    if kind == "submit":
        return submit_button(snap)
    if kind == "goto":
        return None
    if kind == "click":
        clickable = [c for c in controls if c.kind in ("button", "link")]
        return (_by_name(target, clickable, intent.literal)
                or _by_name(target, [c for c in controls if c not in clickable], intent.literal))
    if kind == "upload":
        uploads = [c for c in controls if c.kind == "upload"]
        return _by_name(target, uploads) if target else (uploads[0] if uploads else None)
    if kind == "press":
        return _by_name(target, controls) if target else None
    # type, date, focus, autocomplete: fields that take text
    kinds = {"date": ("date", "text_input"), "autocomplete": ("autocomplete", "text_input")}
    pool = [c for c in controls if c.kind in kinds.get(kind, _FILLABLE)]
    if not target:
        empty = [c for c in pool if c.enabled and not c.value and c.kind != "upload"]
        return empty[0] if len(empty) == 1 else None
    for part in name_parts(target):
        match = _by_name(part, pool, intent.literal)
        if match is not None:
            return match
    return None
