"""Imperative GUI requests (Chinese and English) → intents: what the user asked to be done.

A transparent rule-based parser, the offline stand-in for the planner model. Quoted strings
(“…”, "…", '…', 「…」, 『…』, ‘…’) are taken literally: they are set aside before anything is
split or matched and put back verbatim. The request is cut into clauses at punctuation and
at connectors followed by a verb ("并提交", "and then click", "然后选择"); each clause is read by
a short ordered list of patterns; a clause with no verb continues the previous list
("select Email, SMS and WeChat"). Credentials are found anywhere ("用户名 alice 密码 s3cret!").
Which control of a page an intent names is ``instruction_resolver``'s job.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

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
