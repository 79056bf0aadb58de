"""Imperative GUI requests (Chinese and English) → intents, and intents → controls of a page.

A transparent rule-based parser, the offline stand-in for the planner model. Quoted strings
(“…”, "…", '…', 「…」, 『…』, ‘…’) are taken literally: they are set aside before anything is
split or matched and put back verbatim. The request is cut into clauses at punctuation and
at connectors followed by a verb ("并提交", "and then click", "然后选择"); each clause is read by
a short ordered list of patterns; a clause with no verb continues the previous list
("select Email, SMS and WeChat"). Credentials are found anywhere ("用户名 alice 密码 s3cret!").

:func:`resolve` finds the control an intent names in a :class:`PageSnapshot`: exact names
first (whole label, or one half of a bilingual "提交 / Submit"), then containment, the field
lexicon ("email" ↔ "电子邮箱") and a fuzzy ratio.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Literal

from pydantic import BaseModel, Field

from tools.browser.page_snapshot import PageControl, PageSnapshot, name_parts
from tools.forms.lexicon import match_key, match_label, normalize_label, option_matches
from tools.forms.validators import parse_date

IntentKind = Literal["click", "select", "check", "uncheck", "type", "submit", "login", "date",
                     "autocomplete", "focus", "press", "goto", "upload"]


class Intent(BaseModel):
    """One thing the user asked to be done on the page."""

    kind: IntentKind
    target: str = Field(default="", description="What names the control; '' = find it by value.")
    values: list[str] = Field(default_factory=list,
                              description="Text to type, options to pick, [user, password] "
                                          "for login, [typed, choice] for autocomplete.")
    literal: bool = Field(default=False, description="The target was quoted: match it exactly.")
    text: str = Field(default="", description="The clause it was read from.")

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""

    def __repr_args__(self):  # type: ignore[no-untyped-def]
        # A login's password never shows in a repr or a log line.
        for k, v in super().__repr_args__():
            if k == "values" and self.kind == "login" and len(self.values) > 1:
                v = [self.values[0], "********"]
            if k == "text" and self.kind == "login":
                v = "(login)"
            yield k, v


# ------------------------------------------------------------------ quotes

_QUOTES = re.compile(
    r"“([^”]*)”|「([^」]*)」|『([^』]*)』|‘([^’]*)’|\"([^\"]*)\""
    r"|(?:(?<=^)|(?<=[\s(（:：,，]))'((?:[^']|'(?=[A-Za-z]))*)'(?=$|[\s).,，。;；:!?！？)）])")
_PH = re.compile(r"\uE000(\d+)\uE001")


def _protect(text: str) -> tuple[str, list[str]]:
    """Quoted strings replaced by placeholders (so nothing inside them is split or read)."""
    found: list[str] = []

    def sub(m: re.Match[str]) -> str:
        found.append(next(g for g in m.groups() if g is not None))
        return f" \uE000{len(found) - 1}\uE001 "

    return _QUOTES.sub(sub, text), found


def _restore(text: str, quoted: list[str]) -> tuple[str, bool]:
    """Placeholders put back; True when the whole text was one quoted string."""
    stripped = text.strip()
    whole = _PH.fullmatch(stripped)
    if whole:
        return quoted[int(whole.group(1))], True
    return " ".join(_PH.sub(lambda m: quoted[int(m.group(1))], stripped).split()), False


# ------------------------------------------------------------------ vocabulary

_CLICK = r"(?:点击|点一下|点按|单击|轻触|轻点|点|click(?:\s+on)?|tap(?:\s+on)?|hit|push)"
_PRESS = r"(?:按下|按|敲击|敲|press|hit)"
_CHECK = r"(?:勾选|勾上|打勾|check|tick|mark)"
_UNCHECK = r"(?:取消勾选|取消选中|取消选择|去掉勾选|去掉|不要勾选|uncheck|untick|deselect)"
_SELECT = r"(?:选择|选中|挑选|选|select|choose|pick)"
_TYPE_ZH = r"(?:输入|填写|填入|填上|键入|写入|填|写)"
_TYPE_EN = r"(?:type|enter|input|write|put|fill\s+in)"
_FOCUS = (r"(?:聚焦到|聚焦|定位到|(?:把|将)?光标(?:移|放|定位)到|(?:把|将)?焦点(?:移|放)到|"
          r"focus(?:\s+on)?|put\s+the\s+cursor\s+in(?:to)?|move\s+the\s+cursor\s+to)")
_SUBMIT = r"(?:提交表单|确认提交|提交一下|提交|submit(?:\s+the\s+form|\s+it)?|send\s+(?:it|the\s+form))"
_GOTO = r"(?:打开|访问|跳转到|进入|切换到|前往|转到|go\s+to|open|navigate\s+to|visit|browse\s+to)"
_WAIT = r"(?:等待|等一下|稍等|wait(?:\s+for)?)"
_UPLOAD = r"(?:上传|附上|upload|attach)"
_LOGIN_WORDS = r"(?:log\s*in|login|sign\s*in|登录|登陆|登入)"
_SEARCH = r"(?:搜索|搜一下|查找|search(?:\s+for)?|look\s+up)"
_KEYS = (r"(?:enter|return|tab|esc|escape|space|backspace|delete|pagedown|pageup|home|end|"
         r"arrow\s*(?:up|down|left|right)|up|down|left|right|回车键?|空格键?|退格键?|"
         r"(?:ctrl|control|alt|shift|cmd|meta)\s*\+\s*\w+|[a-z0-9])")
_VERB = (rf"(?:{_UNCHECK}|{_CLICK}|{_PRESS}|{_CHECK}|{_SELECT}|{_TYPE_ZH}|{_TYPE_EN}|{_FOCUS}|"
         rf"{_SUBMIT}|{_GOTO}|{_UPLOAD}|{_LOGIN_WORDS}|{_SEARCH}|{_WAIT}|在|往|向|把|将)")
_CONNECTOR = re.compile(
    rf"\s*(?:然后|接着|最后|之后|以后|再|并且|并|随后|后|and\s+then|then|and|&)\s*(?={_VERB}\b|{_VERB}[^\x00-\x7f])",
    re.I)
_PUNCT = re.compile(r"[，,。；;！!？?：\n]+|[.:](?=\s|$)")
_NOUNS = re.compile(
    r"\s*(?:按钮|链接|按键|输入框|文本框|框|栏|一栏|字段|下拉框|下拉菜单|下拉列表|列表|复选框|"
    r"单选框|单选按钮|选项卡|标签页|选项|菜单项|菜单|区域|这一项|一项|两项|这两项|几项|"
    r"buttons?|links?|fields?|boxes|box|inputs?|text\s*box|drop-?down|menu(?:\s+item)?|list|"
    r"check\s*box(?:es)?|radio(?:\s+button)?|options?|tab|area|suggestions?(?:\s+list)?|提示列表|提示|建议)$",
    re.I)
_LEAD = re.compile(r"^(?:请|帮我|麻烦|给我|please\s+|the\s+|a\s+|an\s+|该|这个|那个|对应的?)+", re.I)
_TAIL = re.compile(r"(?:里面|里|中|内|上|处|那里|this|here|both|all|两个|都)$", re.I)
_SPLIT_VALUES = re.compile(r"\s*(?:和|与|及|以及|、|,|，|/|&|\band\b|\bor\b|或)\s*", re.I)
_BUTTON_WORDS = re.compile(
    r"保存|确定|确认|发布|注册|登录|下一步|上一步|取消|重置|返回|继续|完成|save|ok|publish|next|back|"
    r"cancel|continue|done|finish|register|sign\s+up|log\s*in|sign\s+in", re.I)
# Words that make a clause a sentence about the user, not a list item ("其他的我之后再补").
_SENTENCE = re.compile(r"我|你|他|她|的|了|吗|呢|吧|请|帮|\b(?:i|my|me|we|you|please|is|are)\b",
                       re.I)
# "填好", "填一下", "fill in the form: …": the whole form, not one field.
_WHOLE_FORM = re.compile(r"^(?:好|完|一下|完整|上|下)|[:：]|\b(?:form|claim|application)\b|"
                         r"(?:表|表格|信息|资料|方式|申请)$",
                         re.I)
_URL = re.compile(r"^(?:https?://\S+|www\.\S+|/\S*)$", re.I)
_PATH = re.compile(r"^(?:~|\.{1,2})?/?[\w.\-/\\~]+\.\w{1,5}$")


def _clean_target(text: str, quoted: list[str]) -> tuple[str, bool]:
    t = text.strip()
    for _ in range(3):  # "the search box" → "search", "城市下拉框里" → "城市"
        t = _LEAD.sub("", t).strip()
        t = _TAIL.sub("", t).strip()
        t = _NOUNS.sub("", t).strip()
    return _restore(t, quoted)


def _values(text: str, quoted: list[str], split: bool) -> list[str]:
    marks = _PH.findall(text)
    if marks:  # quoted strings are the values; words around them are filler ("后从提示里")
        return [quoted[int(i)] for i in marks] if split else [quoted[int(marks[0])]]
    parts = _SPLIT_VALUES.split(text.strip()) if split else [text.strip()]
    out = []
    for p in parts:
        p = _TAIL.sub("", _LEAD.sub("", p.strip())).strip() if not _PH.fullmatch(p.strip()) else p
        p = _NOUNS.sub("", p).strip() if split and not _PH.fullmatch(p.strip()) else p
        if p:
            out.append(_restore(p, quoted)[0])
    return out


# ------------------------------------------------------------------ login

_TOKEN = r"(\uE000\d+\uE001|[^\s，,。；;、]+?)"
_LOGIN = re.compile(
    r"(?:(?:user\s*name|username|user|login|account|e-?mail|用户名|账号|帐号|账户|用户)\s*"
    r"(?:is|=|:|：|为|是)?\s*" + _TOKEN + r")\s*[,，、]?\s*(?:and\s+|和|并且|，)?\s*(?:the\s+|with\s+)?"
    r"(?:password|passwd|pass|pwd|密码|口令)\s*(?:is|=|:|：|为|是)?\s*" + _TOKEN +
    r"(?=$|[\s，。；;,]|(?:登录|登陆|登入))", re.I)
_LOGIN_MARK = "\uE002"


def _find_login(text: str, quoted: list[str]) -> tuple[str, list[Intent]]:
    """Credentials anywhere in the request become one login intent (marker left in place)."""
    m = _LOGIN.search(text)
    if not m:
        return text, []
    user = _restore(m.group(1), quoted)[0].rstrip(",，")
    password = _restore(m.group(2), quoted)[0]
    intent = Intent(kind="login", values=[user, password], text="(login)")
    return text[:m.start()] + f" {_LOGIN_MARK} " + text[m.end():], [intent]


# ------------------------------------------------------------------ clause patterns


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_P = {
    "press": _rx(rf"^{_PRESS}\s*(?:the\s+)?(?P<v>{_KEYS})(?:\s*(?:key|键))?$"),
    "autocomplete_zh": _rx(rf"^(?:在|往|向)?(?P<t>.+?)(?:里面|里|中|内)?{_TYPE_ZH}\s*(?P<a>.+?)\s*"
                           rf"(?:并|然后|再|后)?\s*{_SELECT}\s*(?P<v>.+)$"),
    "autocomplete_en": _rx(rf"^{_TYPE_EN}\s+(?P<a>.+?)\s+(?:in|into|in\s+to)\s+(?P<t>.+?)\s+"
                           rf"(?:and\s+)?(?:then\s+)?{_SELECT}\s+(?P<v>.+)$"),
    "uncheck": _rx(rf"^{_UNCHECK}\s*(?P<v>.+)$"),
    "focus": _rx(rf"^{_FOCUS}\s*(?P<t>.+?)(?:上)?$"),
    "submit": _rx(rf"^{_SUBMIT}$"),
    "goto": _rx(rf"^{_GOTO}\s*(?P<t>.+)$"),
    "upload_to": _rx(rf"^(?:把|将)(?P<v>.+?){_UPLOAD}(?:到|至|为)(?P<t>.+)$"),
    "upload_after": _rx(rf"^(?P<t>[^\s]+?){_UPLOAD}\s*(?P<v>[^\s]+)$"),
    "upload": _rx(rf"^{_UPLOAD}\s*(?:(?P<t>.+?)\s*(?:为|:|：|\s))??\s*(?P<v>[^\s:：]+)"
                  rf"(?:\s+(?:to|as|into|in|for)\s+(?P<t2>.+))?$"),
    "search": _rx(rf"^{_SEARCH}\s*(?P<v>.+)$"),
    "select_in_zh": _rx(rf"^(?:在|从)(?P<t>.+?)(?:里面|里|中|内|当中){_SELECT}\s*(?P<v>.+)$"),
    "select_en": _rx(rf"^{_SELECT}\s+(?P<v>.+?)(?:\s+(?:from|in|for|as|under)\s+(?P<t>.+))?$"),
    "select_zh": _rx(rf"^(?P<t>[^\s\uE000]*?){_SELECT}\s*(?P<v>.+)$"),
    "check": _rx(rf"^{_CHECK}\s*(?P<v>.+)$"),
    "type_in_zh": _rx(rf"^(?:在|往|向)(?P<t>.+?)(?:里面|里|中|内)?{_TYPE_ZH}\s*(?P<v>.+)$"),
    "type_to_zh": _rx(rf"^(?:(?:把|将)(?P<v>.+?)\s*{_TYPE_ZH}\s*(?:到|至|进|在|入)|"
                      rf"{_TYPE_ZH}\s*(?P<v2>.+?)\s*(?:到|至|进))(?P<t>.+?)$"),
    "wait": _rx(rf"^{_WAIT}.*$"),
    "search_bare": _rx(rf"^{_SEARCH}$"),
    "submit_named": _rx(r"^(?:提交|submit)\s*[^\s:：].*$"),
    "type_into_en": _rx(rf"^{_TYPE_EN}\s+(?P<v>.+?)\s+(?:in|into|in\s+to|to|on|for)\s+(?P<t>.+)$"),
    "fill_with_en": _rx(r"^(?:fill(?:\s+in)?|set|change)\s+(?P<t>.+?)\s+(?:with|to|as)\s+(?P<v>.+)$"),
    "type_zh": _rx(rf"^(?P<t>[^\s]+?)\s*(?:{_TYPE_ZH}|改为|改成|设为|设置为)\s*(?P<v>.+)$"),
    "type_bare": _rx(rf"^(?:{_TYPE_ZH}|{_TYPE_EN})\s*(?P<v>.+)$"),
    "login_bare": _rx(rf"^{_LOGIN_WORDS}(?:\s+(?:with|as))?$"),
    "click": _rx(rf"^(?:{_CLICK}|{_PRESS})\s*(?P<t>.+)$"),
}


def _clause(clause: str, quoted: list[str]) -> list[Intent]:
    """Intents of one clause (empty when no pattern reads it)."""
    c = _LEAD.sub("", clause.strip()).strip()
    if not c:
        return []
    found = _read(c, quoted)
    shown = " ".join(_PH.sub(lambda m: f"“{quoted[int(m.group(1))]}”", c).split())
    for intent in found:
        intent.text = shown
    return found


def _read(c: str, quoted: list[str]) -> list[Intent]:
    m = _P["press"].match(c)
    if m:
        return [Intent(kind="press", values=[m["v"]], text=c)]
    for name in ("autocomplete_zh", "autocomplete_en"):
        m = _P[name].match(c)
        if m:
            typed, choice = _values(m["a"], quoted, False), _values(m["v"], quoted, False)
            if typed and choice:
                t, lit = _clean_target(m["t"], quoted)
                return [Intent(kind="autocomplete", target=t, literal=lit,
                               values=[typed[0], choice[0]], text=c)]
    m = _P["uncheck"].match(c)
    if m:
        return [Intent(kind="uncheck", values=_values(m["v"], quoted, True), text=c)]
    m = _P["focus"].match(c)
    if m:
        t, lit = _clean_target(m["t"], quoted)
        return [Intent(kind="focus", target=t, literal=lit, text=c)]
    if _P["submit"].match(c) or _P["search_bare"].match(c):
        return [Intent(kind="submit", text=c)]
    m = _P["submit_named"].match(c)
    if m and not _SENTENCE.search(c):  # "提交报名", "submit the claim": a button named so
        return [Intent(kind="submit", target=_restore(c, quoted)[0], text=c)]
    if _BUTTON_WORDS.fullmatch(c):  # "保存", "然后发布", "Next": a button named by the word
        return [Intent(kind="click", target=c, text=c)]
    m = _P["goto"].match(c)
    if m:
        t, lit = _restore(m["t"], quoted)
        if _URL.match(t):
            return [Intent(kind="goto", values=[t], text=c)]
        t, lit = _clean_target(m["t"], quoted)  # "进入商品管理": a link or tab to click
        return [Intent(kind="click", target=t, literal=lit, text=c)]
    for name in ("upload_to", "upload", "upload_after"):
        m = _P[name].match(c)
        if m:
            path = _restore(m["v"], quoted)[0]
            t, lit = _clean_target(m.groupdict().get("t") or m.groupdict().get("t2") or "",
                                   quoted)
            return [Intent(kind="upload", target=t, literal=lit, values=[path], text=c)]
    m = _P["search"].match(c)
    if m:
        return [Intent(kind="type", target="搜索 search", values=_values(m["v"], quoted, False),
                       text=c), Intent(kind="submit", text=c)]
    m = _P["check"].match(c)
    if m:
        return [Intent(kind="check", values=_values(m["v"], quoted, True), text=c)]
    for name in ("select_in_zh", "select_en", "select_zh"):
        m = _P[name].match(c)
        if m:
            return [_selected(m.groupdict().get("t") or "", m["v"], quoted, c)]
    for name in ("type_in_zh", "type_to_zh", "type_into_en", "fill_with_en", "type_zh",
                 "type_bare"):
        m = _P[name].match(c)
        if m:
            t, lit = _clean_target(m.groupdict().get("t") or "", quoted)
            v = m.groupdict().get("v") or m.groupdict().get("v2") or ""
            if re.match(rf"{_TYPE_ZH}|{_TYPE_EN}", t, re.I) or (
                    not _PH.search(v) and _WHOLE_FORM.search(v)):
                continue  # "填写联系方式：…", "填好": about the whole form, not one field
            return [_typed(t, lit, _values(v, quoted, False), c)]
    if _P["wait"].match(c):
        return []  # waiting is what every action does anyway
    if _P["login_bare"].match(c):
        return [Intent(kind="click", target=_restore(c, quoted)[0], text=c)]
    m = _P["click"].match(c)
    if m:
        t, lit = _clean_target(m["t"], quoted)
        if t:
            return [Intent(kind="click", target=t, literal=lit, text=c)]
    return []


_QUOTED_TAIL = re.compile(r"^(?P<t>[^\uE000]*?)\s*(?P<q>\uE000\d+\uE001(?:\s*(?:和|与|及|、|,|，|"
                          r"and|&)\s*\uE000\d+\uE001)*)\s*$", re.I)


def _selected(target: str, value: str, quoted: list[str], clause: str) -> Intent:
    """A select intent; "选择套餐“专业版”" / "select plan 'Pro'" names the list before the quote."""
    if not target.strip():
        m = _QUOTED_TAIL.match(value)
        if m and _clean_target(m["t"], quoted)[0]:
            target, value = m["t"], m["q"]
    t, lit = _clean_target(target, quoted)
    raw = _restore(value, quoted)[0]
    if t and re.fullmatch(r"[\d\s./\-年月日]+", raw) and parse_date(raw) is not None:
        return _typed(t, lit, [raw], clause)  # "预约日期选2025/3/1": a date, not options
    return Intent(kind="select", target=t, literal=lit, values=_values(value, quoted, True),
                  text=clause)


def _typed(target: str, literal: bool, values: list[str], clause: str) -> Intent:
    """A typing intent; a date value makes it a date intent (value in ISO form)."""
    value = values[0] if values else ""
    d = parse_date(value) if value and re.search(r"\d", value) else None
    if d is not None and re.fullmatch(r"[\d\s./\-年月日]+", value):
        return Intent(kind="date", target=target, literal=literal, values=[d.isoformat()],
                      text=clause)
    return Intent(kind="type", target=target, literal=literal, values=values, text=clause)


def _clauses(text: str) -> list[str]:
    out: list[str] = []
    for piece in _PUNCT.split(text):
        for part in _CONNECTOR.split(piece):
            if part.strip():
                out.append(part.strip())
    return out


def parse(text: str) -> list[Intent]:
    """The intents of a request, in the order asked."""
    protected, quoted = _protect(text)
    protected, login = _find_login(protected, quoted)
    intents: list[Intent] = []
    clauses = _clauses(protected)
    for i, clause in enumerate(clauses):
        if i == 0 and len(clauses) > 1 and _BUTTON_WORDS.fullmatch(_LEAD.sub("", clause)):
            continue  # "帮我注册：名字…，然后点注册": the first word names the task, not a click
        if _LOGIN_MARK in clause:
            intents.extend(login)
            login = []
            continue
        found = _clause(clause, quoted)
        prev = intents[-1] if intents else None
        if (not found and prev is not None and prev.kind in ("select", "check", "uncheck")
                and not prev.target and not _SENTENCE.search(_PH.sub("", clause))
                and len(clause) <= 40):
            prev.values.extend(_values(clause, quoted, True))  # "select A, B and C"
            continue
        if (found and found[0].kind == "click" and prev is not None and prev.kind == "login"
                and re.fullmatch(_LOGIN_WORDS, found[0].target, re.I)):
            continue  # "用户名 … 密码 … ，登录": the login intent already clicks
        if (found and found[0].kind == "select" and not found[0].target and prev is not None
                and prev.kind == "type" and prev.target and len(found[0].values) == 1
                and prev.value and prev.value.casefold() in found[0].value.casefold()):
            # "type 'Sha' in City, then pick 'Shanghai'": one autocomplete pick
            intents[-1] = Intent(kind="autocomplete", target=prev.target, literal=prev.literal,
                                 values=[prev.value, found[0].value], text=prev.text)
            continue
        intents.extend(found)
    intents.extend(login)  # credentials in a clause of their own
    return intents


# ------------------------------------------------------------------ resolving on a page

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
