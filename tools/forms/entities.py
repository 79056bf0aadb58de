"""What the user supplied: rule-based entities from a chat request, plus an optional profile.

:func:`parse_request` reads free chat in Chinese or English ("我叫张三，身份证号…，手机138…",
"My name is Jane Doe, email jane@example.com, I live at 12 Baker Street, London.") into one
:class:`~tools.common.schema.UserDatum` per canonical key, each with the character span of its value.
Values are kept exactly as written — a phone stays "138-1234-5678", a date "1990年1月2日" — so
the span always points at them; validators give canonical forms (ISO dates) separately.

How it reads a request:

1. The text is cut into clauses at ``，,。；;、!?()`` newlines, dashes, sentence full stops and
   "and"/"和" before another cue — never inside an e-mail, phone number, ID or date.
2. In each clause a scanner looks for *cues*: label words ("身份证号", "Phone", "date of
   birth") and phrases ("我叫", "住在", "I live at", "my number is"). A cue only counts when
   a value of its kind follows (a phone after 电话, a date after 出生), so "居民身份证" stays
   one value. English cues for free text count only at the start of a clause.
3. What no cue claims is read for bare values (e-mail, mobile, 18-digit ID, date), for
   "X：Y" / "X是Y" with any label X, and for set phrases ("1990年1月1日出生", "在…工作", 男/女).
4. English addresses run on over following comma-separated parts while those look like
   address parts ("Apt 4B", "Seattle", "WA 98101") and stop at a cue, a lower-case word or ". ".
5. A phone right after an emergency contact (bare, or after 电话/手机/phone in the same or the
   next clause, not "我的手机"/"my phone" nor a new list line) is the emergency contact's
   phone. The last value given for a key wins. Nothing is guessed: no data gives ``[]``.

Decisions: ``NN/NN/YYYY`` is month-first in English text (validators read it so); a *bare*
one in Chinese text is taken only when unambiguous (one part > 12) — Chinese writes the year
first. A bare date is a date of birth only if at least 10 years ago. Six digits are a postcode
only after 邮编/postcode, five-digit ZIPs only after their label. Agreeing to terms yields key
``consent`` (the mapping ticks the consent box with it). A label not in the lexicon is kept
as the key ("会员号：A1" → key ``会员号``, raw_label ``会员号``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tools.common.schema import UserDatum
from tools.forms.lexicon import KEYS, match_key
from tools.forms.validators import date_spans, parse_date

_HAN = "\u4e00-\u9fff"
_HAN_RE = re.compile(f"[{_HAN}]")

# ----------------------------------------------------------------------------- value kinds

_KIND_BY_KEY: dict[str, str] = {
    "name": "name", "first_name": "name", "last_name": "name", "emergency_contact": "name",
    "gender": "gender", "birth_date": "date", "claim_date": "date", "signature_date": "date",
    "id_expiry": "expiry", "id_number": "id", "phone": "phone", "landline": "phone",
    "emergency_phone": "phone", "email": "email", "postcode": "postcode",
    "annual_income": "amount", "claim_amount": "amount", "policy_number": "token",
}
# Kinds whose value shape is checked: their cues may sit anywhere in a clause.
_TYPED = frozenset({"name", "gender", "date", "expiry", "id", "phone", "email", "postcode",
                    "amount", "token", "contact"})

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Every character an e-mail can hold: a match lies inside one run of them that has an "@".
_EMAIL_RUN = re.compile(r"[A-Za-z0-9_%+.@-]+")


def _email_spans(text: str) -> list[tuple[int, int]]:
    """What ``_EMAIL_RE.finditer(text)`` finds, without trying it inside runs with no "@":
    from each start there the pattern reads the whole run before failing, which made a long
    run of letters cost time quadratic in its length."""
    if "@" not in text:
        return []
    return [(run.start() + s, run.start() + e) for run in _EMAIL_RUN.finditer(text)
            if "@" in run.group() for s, e in (m.span() for m in _EMAIL_RE.finditer(run.group()))]


_PHONE_RE = re.compile(
    r"(?:\+\d{1,3}[\s-]?)?(?:\(\d{2,4}\)[\s-]?)?\d(?:[\d]|[\s.-](?=\d)){5,18}\d(?!\d)"
)
# Bare phones: Chinese mobiles (3-4-4 with spaces/dashes), +international, US with separators.
_BARE_PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+86|0086)[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"
    r"|(?<![\w+])\+\d{1,3}(?:[\s-]?\(?\d{1,4}\)?){2,5}(?!\d)"
    r"|(?<![\w.(-])(?:\(\d{3}\)\s?|\d{3}[-.\s])\d{3}[-.\s]\d{4}(?![\d-])(?!\.\d)"
)
_ID_RE = re.compile(
    r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{6}[ \t]\d{8}[ \t]\d{3}[\dXx]|\d{15})(?![\dA-Za-z])"
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9#/-]*")
_AMOUNT_RE = re.compile(r"[¥$￥€£]?\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:万|千|[kK]\b))?")
_POSTCODE_RE = re.compile(
    r"(?:\d{6}|\d{5}(?:-\d{4})?)(?!\d)|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", re.I
)
_GENDER_RE = re.compile(r"(?:男性|女性|男士|女士|男|女|male|female|man|woman|m|f)(?![A-Za-z])", re.I)
_LONG_TERM_RE = re.compile(r"长期|永久|long[- ]term|permanent", re.I)

_DEMONYMS = frozenset({
    "american", "british", "chinese", "canadian", "australian", "french", "german", "japanese",
    "korean", "indian", "italian", "spanish", "mexican", "brazilian", "russian", "irish",
    "scottish", "welsh", "english", "dutch", "swedish", "norwegian", "danish", "finnish", "swiss",
    "austrian", "belgian", "portuguese", "greek", "turkish", "polish", "singaporean", "malaysian",
    "thai", "vietnamese", "filipino", "indonesian", "nigerian", "egyptian", "israeli",
    "pakistani", "bangladeshi", "argentinian", "chilean", "colombian", "ukrainian",
})  # "I'm British" is a nationality; "I'm Brian" is a name, so no suffix guessing
_OCCUPATION_END = re.compile(r"(?:师|员|者|家|工|经理|主管|专员|代表|学生|司机|老板|医生|护士|"
                             r"主任|总监|顾问|个体户|自由职业)$")

# ----------------------------------------------------------------------------- cues


@dataclass(frozen=True)
class _Cue:
    key: str
    kind: str
    mid_ok: bool  # may follow other content in its clause without a connector
    en: bool
    pattern: str  # literal (zh) or regex (en)


def _zh_cues() -> list[_Cue]:
    extra: dict[str, tuple[str, ...]] = {
        "name": ("我叫", "我的名字", "名字", "姓名", "本人"),
        "birth_date": ("出生于", "出生在", "生于"),
        "id_type": ("证件用", "证件是"),
        "id_number": ("护照",),
        "email": ("邮件",),
        "address": ("住在", "家住", "居住在", "现住在", "现住", "住的地方是"),
        "city": ("现居",),
        "occupation": ("我是一名", "我是一位", "我是一个", "我是个", "从事"),
        "employer": ("就职于", "任职于", "供职于"),
        "job_title": ("现任", "担任"),
        "annual_income": ("收入",),
        "claim_date": ("事故发生在", "事故发生于", "出险于", "出险在"),
        "claim_amount": ("申请理赔", "理赔", "索赔"),
        "signature_date": ("日期",),
    }
    # Free-text cues that may sit mid-clause: an address or a name rarely contains these words.
    mid_free = {"住址", "地址", "住在", "家住", "居住在", "现住在", "联系地址", "家庭住址",
                "通讯地址", "居住地址", "现住址", "性别"}
    seen: set[str] = set()
    out: list[_Cue] = []
    sources: list[tuple[str, Iterable[str]]] = [(k, v) for k, v in extra.items()]
    sources += [(k, v) for k, v in KEYS.items()]
    for key, words in sources:
        for w in words:
            if not _HAN_RE.search(w) or len(w) < 2 or w in seen or re.search(r"[（(]", w):
                continue
            seen.add(w)
            kind = _KIND_BY_KEY.get(key, "free")
            out.append(_Cue(key, kind, kind in _TYPED or w in mid_free, False, w))
    # 我是 + a name, or 我是 + an occupation ("我是教师"): decided by the value.
    out.append(_Cue("name", "zh_iam", True, False, "我是"))
    for w in ("开一个", "开个", "开一张", "开张", "办一张", "办张", "办一个", "想办", "想开",
              "申请一张", "开立", "办理"):
        out.append(_Cue("account_type", "account", True, False, w))
    return out


_EN_CUE_TABLE: tuple[tuple[str, str, str], ...] = (
    # (key, kind, regex) — matched case-insensitively at a word start
    ("name", "name", r"(?:my\s+)?(?:full\s+|legal\s+)?name(?:'s)?"),
    ("name", "name", r"(?:applicant|customer|policyholder|patient)(?:'s)?\s+name"),
    ("name", "iam", r"i\s*['’]?\s*m|i\s+am"),
    ("first_name", "name", r"(?:my\s+)?(?:first|given)\s+names?|forename"),
    ("last_name", "name", r"(?:my\s+)?(?:last\s+name|surname|family\s+name)"),
    ("gender", "gender", r"(?:my\s+)?(?:gender|sex)"),
    ("birth_date", "date",
     r"(?:my\s+)?(?:date\s+of\s+birth|birth\s*date|birthday|dob|d\.o\.b\.?)"),
    ("birth_date", "date", r"(?:i\s+was\s+)?born(?:\s+on|\s+in)?"),
    ("nationality", "free", r"(?:my\s+)?(?:nationality|citizenship)"),
    ("id_type", "free", r"(?:my\s+)?(?:id\s+type|type\s+of\s+id|document\s+type)"),
    ("id_type", "free", r"i(?:'ll|\s+will)\s+use\s+my"),
    ("id_number", "id",
     r"(?:my\s+)?(?:passport|id|id\s+card|national\s+id|identity\s+card)\s+"
     r"(?:number|no\.?|#)"),
    ("id_number", "id", r"(?:my\s+)?(?:passport|national\s+id|id\s+card|id)"),
    ("id_expiry", "expiry",
     r"(?:(?:my\s+)?(?:passport|id|it)\s+)?expires(?:\s+on)?|expiry\s+date|expiration\s+date"
     r"|valid\s+(?:until|through|thru)"),
    ("phone", "phone",
     r"(?:my\s+)?(?:mobile|cell|cellphone|phone|telephone|tel\.?)(?:\s+(?:phone|number|no\.?))?"),
    ("phone", "phone", r"(?:my\s+)?(?:contact\s+)?number|call\s+me\s+(?:at|on)"),
    ("landline", "phone",
     r"(?:my\s+)?(?:home|work|office|daytime)\s+(?:phone|number|telephone)(?:\s+number)?"
     r"|landline"),
    ("email", "email", r"(?:my\s+)?(?:e-?mail|email)(?:\s+address)?|mail\s+me\s+at"),
    ("email", "contact", r"(?:you\s+can\s+)?reach\s+me\s+(?:at|on|via)"),
    ("address", "free",
     r"(?:my\s+)?(?:home\s+|mailing\s+|street\s+|postal\s+|current\s+)?address"
     r"|i\s+live\s+at|i\s+reside\s+at|living\s+at"),
    ("city", "free", r"(?:my\s+)?(?:city|town)|i\s+live\s+in"),
    ("postcode", "postcode", r"(?:my\s+)?(?:zip(?:\s+code)?|post\s*code|postal\s+code)"),
    ("country", "free", r"(?:my\s+)?country(?:\s+of\s+residence)?"),
    ("occupation", "free",
     r"(?:my\s+)?(?:occupation|profession|job\s+is)|i\s+work\s+as(?:\s+an?)?"),
    ("employer", "free",
     r"(?:my\s+)?(?:current\s+)?(?:employer|company)|i\s+work\s+(?:at|for)"
     r"|(?:i'm|i\s+am)\s+employed\s+(?:at|by)"),
    ("job_title", "free", r"(?:my\s+)?(?:job\s+title|position|role)"),
    ("marital_status", "free", r"(?:my\s+)?marital\s+status"),
    ("education", "free",
     r"(?:my\s+)?(?:highest\s+(?:degree|education)|education(?:\s+level)?|degree)"),
    ("annual_income", "amount",
     r"(?:my\s+)?(?:(?:annual|yearly)\s+(?:income|salary)|income|salary)|i\s+earn"),
    ("account_type", "free", r"account\s+type|type\s+of\s+account"),
    ("account_type", "account", r"i(?:'d|\s+would)\s+like\s+(?:to\s+open\s+)?an?|open\s+an?"),
    ("emergency_contact", "name",
     r"(?:my\s+)?emergency\s+contact(?:\s+name|\s+person)?(?:\s+is)?"
     r"|in\s+(?:an?\s+|case\s+of\s+(?:an?\s+)?)?emergency,?\s+(?:please\s+)?(?:call|contact)"),
    ("emergency_phone", "phone",
     r"(?:my\s+)?emergency\s+(?:contact(?:'s)?\s+)?(?:phone|number|telephone|tel|mobile)"
     r"(?:\s+number)?"),
    ("policy_number", "token", r"(?:my\s+)?policy\s*(?:number|no\.?|#)|(?:my\s+)?policy"),
    ("claim_date", "date",
     r"claim\s+date|date\s+of\s+(?:loss|incident|accident)|(?:incident|accident)\s+date"
     r"|(?:the\s+)?(?:incident|accident|loss)\s+(?:happened|occurred|took\s+place)(?:\s+on)?"),
    ("claim_amount", "amount",
     r"claim\s+amount|amount\s+claimed|(?:i'm|i\s+am)\s+claiming|claiming|amount"),
    ("signature_date", "date",
     r"signature\s+date|date\s+signed|today'?s\s+date(?:\s+is)?|today\s+is|date"),
)


def _en_cues() -> list[tuple[_Cue, re.Pattern[str]]]:
    out = []
    for key, kind, rx in _EN_CUE_TABLE:
        cue = _Cue(key, kind, kind in _TYPED, True, rx)
        out.append((cue, re.compile(rf"(?:{rx})(?![A-Za-z])", re.I)))
    return out


_ZH_CUES = sorted(_zh_cues(), key=lambda c: -len(c.pattern))
_ZH_BY_FIRST: dict[str, list[_Cue]] = {}
for _c in _ZH_CUES:
    _ZH_BY_FIRST.setdefault(_c.pattern[0], []).append(_c)
_EN_CUES = _en_cues()
_ZH_STOPS = ("今年", "来自", "是", "的", "岁", "住", "在")

_ZH_VERBS: dict[str, str] = {
    "name": "叫做|叫", "emergency_contact": "叫", "id_type": "选择|选|用", "account_type": "选择|选|用",
    "id_expiry": "截止到|截至|至|到", "birth_date": "于|在", "claim_date": "于|在",
    "signature_date": "写|填", "address": "在", "annual_income": "大约|大概|约|有",
    "claim_amount": "大约|约|共|总共", "gender": "选",
}
_NOTE = r"(?:[ \t]*[（(](?![\d+])[^（）()]{1,12}[）)])?"  # "Annual income (USD):", "年收入（元）："
_EN_CONN = re.compile(
    _NOTE + r"[ \t]*(?:[:=#]|-(?=\s)|–|—)?[ \t]*(?:(?:is|are|was|will\s+be)\s+)?:?[ \t]*", re.I
)
_OWNER = re.compile(r"(?:my|our|我的|本人)", re.I)
_MY_ZH = re.compile(r"我的|本人的")
# After "紧急联系人王芳", "电话139…" is hers; "手机号码" on its own list line is the user's.
_WEAK_PHONE_CUE = re.compile(r"电话|联系电话|电话号码|联系方式|手机|手机号|phone|tel\.?|telephone|"
                             r"number|contact number|cell|mobile", re.I)
_QUANTITY = re.compile(r"(?:一|1)?(?:个|张|份)")
_KIN = re.compile(
    r"(?:我的?|my\s+|our\s+)?(?:妈妈|母亲|爸爸|父亲|丈夫|老公|妻子|老婆|爱人|儿子|女儿|哥哥|姐姐|弟弟|"
    r"妹妹|朋友|同事|配偶|(?:mother|father|mom|mum|dad|husband|wife|son|daughter|brother|sister|"
    r"friend|partner|spouse)\b,?\s*)", re.I)


@lru_cache(maxsize=64)
def _zh_conn(key: str) -> re.Pattern[str]:
    """What may sit between a zh label and its value: "：", "是", and verbs fitting the key."""
    verbs = _ZH_VERBS.get(key)
    extra = f"|{verbs}" if verbs else ""
    return re.compile(
        rf"{_NOTE}[ \t]*[：:]?[ \t]*(?:是|为|填成|填写为|填写成|写成|填为|改成|改为|换成|更正为|更新为|改填{extra})?[ \t]*[：:]?[ \t]*"
    )


# ----------------------------------------------------------------------------- findings


@dataclass
class _Found:
    key: str
    start: int  # absolute span of the value
    end: int
    raw_label: str | None
    clause: int = 0
    owner: bool = False  # the cue said "my"/"我的": never re-assigned to someone else
    weak_phone: bool = False  # a phone that may belong to the emergency contact


@dataclass
class _Hit:
    start: int  # where the cue starts (clause-relative)
    label: str
    key: str
    vs: int
    ve: int
    resume: int
    owner: bool


_ABBREV = frozenset({"ltd", "inc", "co", "corp", "jr", "sr", "st", "ave", "rd", "blvd", "apt",
                     "no", "mr", "mrs", "ms", "dr", "dept", "llc", "plc"})
_TRAIL = "。.,，;；!！?？…~～、 \t"


def _trim(c: str, s: int, e: int) -> tuple[int, int]:
    """Strip spaces, quotes and trailing punctuation, keeping the dot of "Ltd."."""
    while s < e and c[s] in " \t\"'“”‘’「」《》:：":
        s += 1
    while e > s:
        ch = c[e - 1]
        if ch == "." and e - 1 > s:
            m = re.search(r"([A-Za-z]+)\.$", c[s:e])
            if m and m.group(1).lower() in _ABBREV and not c[s:e].endswith(".."):
                break
        if ch in _TRAIL or ch in "\"'“”‘’「」》":
            e -= 1
            continue
        break
    # zh sentence particles are never part of a value
    while e - s > 1 and c[e - 1] in "了吧呢啊哦呀" and _HAN_RE.match(c[e - 2]):
        e -= 1
    return s, e


class _Clause:
    """One clause of the request, scanned for cues and bare values."""

    def __init__(self, text: str, start: int, end: int, index: int,
                 own_line: bool = False) -> None:
        self.text, self.base, self.index = text[start:end], start, index
        self.request = text
        self.own_line = own_line  # a new line of a list: "手机号码：…" is then the user's own
        lead = re.match(
            r"\s*(?:(?:and|also|plus|so|then|oh|ok|okay|well|btw|另外|还有|以及|和|并且|然后|"
            r"对了|而且)(?![A-Za-z])[\s,，]*)*", self.text, re.I)
        self.first = lead.end() if lead else 0
        self.found: list[_Found] = []

    # -- cues ------------------------------------------------------------------------------

    def _candidates(self, i: int) -> list[tuple[_Cue, int]]:
        """Cues starting at ``i`` with the end of their words, longest first."""
        c = self.text
        out: list[tuple[_Cue, int]] = []
        for cue in _ZH_BY_FIRST.get(c[i], ()):
            if c.startswith(cue.pattern, i):
                out.append((cue, i + len(cue.pattern)))
        if c[i].isascii() and c[i].isalpha() and (i == 0 or not c[i - 1].isalnum()):
            for cue, rx in _EN_CUES:
                m = rx.match(c, i)
                if m:
                    out.append((cue, m.end()))
        out.sort(key=lambda t: -(t[1] - i))
        return out

    def find_cue(self, pos: int, probe: bool = False, only_at: bool = False) -> _Hit | None:
        """The first cue at or after ``pos`` whose value is there (``probe``: just present;
        ``only_at``: a cue starting right at ``pos`` only)."""
        c = self.text
        for i in range(pos, min(pos + 1, len(c)) if only_at else len(c)):
            m = _MY_ZH.match(c, i)
            if m and m.end() < len(c):
                for cue, wend in self._candidates(m.end()):
                    hit = self._try(cue, i, wend, probe, owner=True)
                    if hit:
                        return hit
            # English labels sit where a value ended ("Member ID" is not "ID")
            en_ok = not c[pos:i].strip()
            for cue, wend in self._candidates(i):
                if cue.en and not en_ok:
                    continue
                hit = self._try(cue, i, wend, probe, owner=False)
                if hit:
                    return hit
        return None

    def _try(self, cue: _Cue, start: int, wend: int, probe: bool, owner: bool) -> _Hit | None:
        c = self.text
        mid = start > self.first
        if cue.en and mid and cue.kind not in _TYPED:
            return None  # "address" inside an English value is a word, not a label
        if cue.kind in ("iam", "zh_iam") and start != self.first:
            return None
        conn = (_EN_CONN if cue.en else _zh_conn(cue.key)).match(c, wend)
        vs = conn.end() if conn else wend
        explicit = bool(conn and conn.group(0).strip())
        if mid and not cue.mid_ok and not explicit:
            return None
        if cue.en and wend < len(c) and vs == wend and c[wend].isalnum():
            return None
        if vs >= len(c) or c[vs] in "，,。；;":
            return None
        label = c[start:wend]
        owner = owner or bool(_OWNER.match(label))
        if probe and cue.kind not in _TYPED and cue.kind not in ("account",):
            return _Hit(start, label, cue.key, vs, vs, vs, owner)
        got = self._value(cue, vs, explicit)
        if got is None:
            return None
        key, s, e = got
        s, e = _trim(c, s, e)
        if e <= s:
            return None
        return _Hit(start, label, key, s, e, max(e, vs), owner)

    # -- values ----------------------------------------------------------------------------

    def _limit(self, vs: int) -> int:
        nxt = self.find_cue(vs + 1, probe=True)
        return nxt.start if nxt else len(self.text)

    def _value(self, cue: _Cue, vs: int, explicit: bool) -> tuple[str, int, int] | None:
        c, kind, key = self.text, cue.kind, cue.key
        if kind == "iam":
            return self._i_am(vs)
        if kind == "zh_iam":
            run = self._han_name(vs)
            if run and not _OCCUPATION_END.search(c[vs:run]):
                return "name", vs, run
            end = self._limit(vs)
            if _OCCUPATION_END.search(c[vs:end].rstrip(_TRAIL)):
                return "occupation", vs, end
            return None
        if kind == "contact":
            m = _EMAIL_RE.match(c, vs)
            if m:
                return "email", m.start(), m.end()
            span = self._phone_at(vs)
            return ("phone", *span) if span else None
        if kind == "account":
            quantity = _QUANTITY.match(c, vs)  # "开一个储蓄账户": the value starts after 一个
            vs = quantity.end() if quantity else vs
        span = self._typed(kind, vs, explicit)
        if span is None:
            return None
        if kind == "account" and not re.search(r"账户|卡|户|存折|account|card",
                                               c[span[0]:span[1]], re.I):
            return None
        return key, span[0], span[1]

    def _typed(self, kind: str, vs: int, explicit: bool) -> tuple[int, int] | None:
        c = self.text
        m: re.Match[str] | None
        if kind == "name":
            kin = _KIN.match(c, vs)  # "紧急联系人是我妈妈李梅": the name is 李梅
            if kin and kin.end() < len(c):
                vs = kin.end()
            end = self._han_name(vs) or self._latin_name(vs, explicit)
            return (vs, end) if end else None
        if kind == "phone":
            return self._phone_at(vs)
        if kind == "email":
            m = _EMAIL_RE.match(c, vs)
        elif kind == "id":
            m = _ID_RE.match(c, vs) or _TOKEN_RE.match(c, vs)
            if m and sum(ch.isdigit() for ch in m.group(0)) < 4:
                m = None
        elif kind == "token":
            m = _TOKEN_RE.match(c, vs)
            if m and not any(ch.isdigit() for ch in m.group(0)):
                m = None
        elif kind in ("date", "expiry"):
            if kind == "expiry":
                m = _LONG_TERM_RE.match(c, vs)
                if m:
                    return m.span()
            spans = date_spans(c[vs:])
            if spans and spans[0][0] == 0:
                return vs, vs + spans[0][1]
            m = None
        elif kind == "postcode":
            m = _POSTCODE_RE.match(c, vs)
        elif kind == "amount":
            m = _AMOUNT_RE.match(c, vs)
        elif kind == "gender":
            m = _GENDER_RE.match(c, vs)
        else:  # free text, up to the next cue
            return vs, self._limit(vs)
        if m:
            return m.span()
        if explicit and kind not in ("name", "gender"):
            # "出生日期：不详": the user labelled it, so keep what they wrote
            return vs, self._limit(vs)
        return None

    def _phone_at(self, vs: int) -> tuple[int, int] | None:
        m = _PHONE_RE.match(self.text, vs)
        if m and 7 <= sum(ch.isdigit() for ch in m.group(0)) <= 15:
            return m.span()
        return None

    def _han_name(self, vs: int) -> int | None:
        """End of a 2–4 character Chinese name at ``vs`` (stops at the next cue word)."""
        c = self.text
        m = re.compile(f"[{_HAN}·]+").match(c, vs)
        if not m:
            return None
        end = m.end()
        for j in range(vs, m.end()):
            if j > vs and (c.startswith(_ZH_STOPS, j) or self._candidates(j)):
                end = j
                break
        for title in ("先生", "女士", "小姐"):
            if c.endswith(title, vs, end) and end - vs > len(title) + 1:
                end -= len(title)
        return end if 2 <= end - vs <= 4 else None

    def _latin_name(self, vs: int, explicit: bool) -> int | None:
        c = self.text
        word = r"[A-Z][A-Za-z'’.-]*"
        m = re.compile(rf"{word}(?:[ \t]+(?:(?:van|von|de|der|da|di|du|le|la|bin|al)[ \t]+)?"
                       rf"{word}){{0,4}}").match(c, vs)
        if m:
            return m.end()
        if explicit:
            # "name: jane doe" — lower case only when labelled and nothing else follows
            m = re.compile(r"[a-z][a-z'-]*(?:[ \t]+[a-z][a-z'-]*){0,3}").match(c, vs)
            if m and not c[m.end():].strip(_TRAIL):
                return m.end()
        return None

    def _i_am(self, vs: int) -> tuple[str, int, int] | None:
        """ "I'm …": gender, marital status, occupation, nationality or name."""
        c = self.text
        m = re.compile(r"(male|female|a\s+man|a\s+woman)(?![A-Za-z])", re.I).match(c, vs)
        if m:
            return "gender", m.start(1), m.end(1)
        m = re.compile(r"(single|married|divorced|widowed|unmarried)(?![A-Za-z])", re.I).match(c, vs)
        if m:
            return "marital_status", m.start(1), m.end(1)
        m = re.compile(r"an?\s+(?=[a-z])", re.I).match(c, vs)
        if m:
            return "occupation", m.end(), self._limit(m.end())
        m = re.compile(r"[A-Z][a-z]+(?![A-Za-z])").match(c, vs)
        if m and m.group(0).lower() in _DEMONYMS:
            return "nationality", m.start(), m.end()
        end = self._latin_name(vs, False) or self._han_name(vs)
        if end and not re.match(r"(?:Not|Here|Ready|Happy|Sorry|Also|Just)\b", c[vs:end]):
            return "name", vs, end
        return None

    # -- scanning --------------------------------------------------------------------------

    def scan(self) -> None:
        c = self.text
        if _consent(c):
            s, e = _trim(c, self.first, len(c))
            self._add("consent", s, e, None)
            return
        pos = self.first
        intro = _INTRO.match(c, pos)
        if intro and _is_filler(intro.group(1)):
            # "Help me complete this form: My name is …": the clause starts after the colon
            pos = self.first = intro.end()
        while pos < len(c):
            hit = self.find_cue(pos)
            self._gap(pos, hit.start if hit else len(c))
            if hit is None:
                break
            at = re.search(r"\s+(?:at|for|with)\s+(?=[A-Z])", c[hit.vs:hit.ve])
            if hit.key == "occupation" and at and not _HAN_RE.search(c[hit.vs:hit.ve]):
                # "I work as a nurse at St Mary's Hospital": occupation, then employer
                self._add("occupation", hit.vs, hit.vs + at.start(), hit.label.strip())
                self._add("employer", hit.vs + at.end(), hit.ve, None)
            else:
                weak = hit.key == "phone" and not hit.owner and not self.own_line
                self._add(hit.key, hit.vs, hit.ve, hit.label.strip(), owner=hit.owner,
                          weak_phone=weak and _WEAK_PHONE_CUE.fullmatch(hit.label.strip()) is not None)
            pos = max(hit.resume, pos + 1)

    def _add(self, key: str, s: int, e: int, label: str | None, **kw: Any) -> None:
        self.found.append(_Found(key, self.base + s, self.base + e, label, self.index, **kw))

    def _gap(self, a: int, b: int) -> None:
        """Text no cue claimed: labels of any kind, set phrases, bare values."""
        c = self.text
        a, b = _trim(c, a, b)
        g = c[a:b]
        if not g or _FILLER_ONLY.fullmatch(g):
            return
        m = _INTRO.match(g)
        if m and m.end() < len(g) and len(m.group(1)) <= 24:
            label = m.group(1).strip()
            if _is_filler(label):
                self._gap(a + m.end(), b)
                return
            if len(label.split()) <= 5:
                self._labelled(label, a + m.end(), b)
                return
        m = re.match(rf"([{_HAN}]{{2,8}}?)(?:是|为)(?!一名|一位|一个|个)", g)
        if m and m.end() < len(g) and not re.match(r"[我你他她它这那今明昨谁哪]", g) \
                and not _is_filler(m.group(1)):
            self._labelled(m.group(1), a + m.end(), b)
            return
        m = re.match(r"(?:my|our)\s+([a-z][a-z' -]{1,30}?)\s+(?:is|are)\s+", g, re.I)
        if m and m.end() < len(g):
            self._labelled(m.group(1), a + m.end(), b)
            return
        if self._set_phrase(g, a):
            return
        self._bare(a, b)

    def _labelled(self, label: str, vs: int, ve: int) -> None:
        key = match_key(label)
        clean = re.sub(r"^(?:我的|本人的?|my|our|the)\s*", "", label, flags=re.I).strip()
        if key is None:
            s, e = _trim(self.text, vs, ve)
            if e > s and clean:
                self._add(clean, s, e, clean)
            return
        kind = _KIND_BY_KEY.get(key, "free")
        span = self._typed(kind, vs, True) if kind != "free" else (vs, ve)
        if span:
            s, e = _trim(self.text, span[0], min(span[1], ve))
            if e > s:
                self._add(key, s, e, label)
                self._bare(e, ve)

    def _set_phrase(self, g: str, a: int) -> bool:
        """Whole-gap patterns: 1990年1月1日出生, 在…工作, 本科学历, 汉族, 男, single, in London."""
        c = self.text
        spans = date_spans(g)
        if spans:
            s, e = spans[0]
            if re.fullmatch(r"\s*(?:出生|生|出世|生人|born)\s*", g[e:]) or \
                    re.fullmatch(r"\s*(?:出生于|生于|生日|born(?:\s+on)?)\s*", g[:s], re.I):
                self._add("birth_date", a + s, a + e, None)
                return True
        patterns: tuple[tuple[str, str, int], ...] = (
            (r"(?:我)?(?:在|于)(.+?)(?:工作|上班|任职|就职|供职)", "employer", 1),
            (r"(.{2,6}?)学历", "education", 1),
            (rf"([{_HAN}]{{1,4}}族)", "ethnicity", 1),
            (r"(男性|女性|男士|女士|男|女|male|female)", "gender", 1),
            (r"(未婚|已婚|离异|离婚|丧偶|单身|single|married|divorced|widowed)", "marital_status", 1),
            (r"(本科|硕士|博士|大专|专科|研究生|高中|中专)", "education", 1),
            (r"(?:开|办|要|想要)?(储蓄卡|借记卡|信用卡|储蓄账户|活期账户|定期账户|存折|savings account"
             r"|checking account|debit card|credit card)", "account_type", 1),
            (r"(?i:in)\s+([A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,3})", "city", 1),
        )
        for rx, key, grp in patterns:
            m = re.fullmatch(rx, g, re.I if key != "city" else 0)
            if m:
                s, e = _trim(c, a + m.start(grp), a + m.end(grp))
                self._add(key, s, e, None)
                return True
        return False

    def _bare(self, a: int, b: int) -> None:
        """E-mails, IDs, phones and dates with no label."""
        c = self.text
        taken: list[tuple[int, int]] = []

        def free(s: int, e: int) -> bool:
            return all(e <= ts or s >= te for ts, te in taken)

        finders: tuple[tuple[str, Callable[[str], Iterable[tuple[int, int]]]], ...] = (
            ("email", _email_spans),
            ("id_number", lambda t: (m.span() for m in _ID_RE.finditer(t))),
            ("phone", lambda t: (m.span() for m in _BARE_PHONE_RE.finditer(t))),
            ("birth_date", date_spans),
        )
        seg = c[a:b]
        for key, finder in finders:
            for s, e in finder(seg):
                if not free(s, e):
                    continue
                taken.append((s, e))
                if key == "birth_date" and not _plausible_birth(seg[s:e], self.request):
                    continue
                self._add(key, a + s, a + e, None, weak_phone=key == "phone" and not self.own_line)


_INTRO = re.compile(r"([^：:\d@]{1,60}?)[ \t]*[：:][ \t]*")
_FILLER = re.compile(
    r"帮我|帮忙|麻烦|请帮|请填|请把|谢谢|感谢|多谢|空着|表格|这张|这个|一下|填好|登记表|申请表|申请书|"
    r"please|fill|thank|help|complete|form|leave|blank|can you|could you|for me", re.I)


def _is_filler(label: str) -> bool:
    """Request talk ("帮我填这张表", "Help me complete this form"), not a field label."""
    return bool(_FILLER.search(label)) and match_key(label) is None
_FILLER_ONLY = re.compile(r"[\s\W]*|(?:thanks?(?: you)?|thank you|ok|okay|please)[\s\W]*", re.I)
_CONSENT_RE = re.compile(r"同意|agree|accept|consent", re.I)
_TERMS_RE = re.compile(r"条款|协议|条件|声明|政策|terms|conditions|policy|privacy", re.I)
_NEG_RE = re.compile(r"不同意|不接受|don'?t|do not|disagree|not\s+accept", re.I)


def _consent(c: str) -> bool:
    return bool(_CONSENT_RE.search(c) and _TERMS_RE.search(c) and not _NEG_RE.search(c))


def _plausible_birth(written: str, request: str) -> bool:
    """A bare date is a date of birth only if at least 10 years ago (else we cannot tell)."""
    m = re.fullmatch(r"\s*(\d{1,2})[-/.](\d{1,2})[-/.]\d{4}\s*", written)
    if m and _HAN_RE.search(request) and int(m[1]) <= 12 and int(m[2]) <= 12:
        return False  # DD/MM or MM/DD? Chinese text gives no convention to lean on
    date = parse_date(written)
    if date is None:
        return False
    today = dt.date.today()
    return date <= today.replace(year=today.year - 10, day=min(today.day, 28))


# ----------------------------------------------------------------------------- splitting

_SEPARATORS = set("，,。；;、\n！!？?（）()【】—…")
_SEPARATOR_RE = re.compile("[" + re.escape("".join(sorted(_SEPARATORS))) + "]")
_AND_RE = re.compile(r"\s+(?:and|&)\s+|和|以及|还有|并且|另外")


def _protected(text: str) -> list[tuple[int, int]]:
    spans = _email_spans(text)
    spans += [m.span() for rx in (_ID_RE, _BARE_PHONE_RE) for m in rx.finditer(text)]
    spans += date_spans(text)
    spans += [m.span() for m in re.finditer(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?:\.\d+)?", text)]
    spans += [m.span() for m in re.finditer(r"[（(][^（）()]{1,12}[）)](?=[ \t]*[:：])", text)]
    return spans


_STATEMENT = re.compile(r"(?:I|I'm|I'll|I've|My|Our|The|Thanks?|Thank|Please|Also|And)\b")
_OWN_WORD = re.compile(r"(?:my|i|i'm|i'll|our|我)(?![A-Za-z])", re.I)


def _new_sentence(text: str, pos: int) -> bool:
    """Whether what follows ``pos`` starts a new statement (a pronoun, thanks, or a cue)."""
    # Positions, not slices: a slice copies the rest of the text, once per full stop.
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if _STATEMENT.match(text, pos):
        return True
    return _cue_first(text, pos)


def _word_before(text: str, k: int) -> str | None:
    """The ASCII word that ends at ``k`` (what ``[A-Za-z]+$`` finds in ``text[:k]``, a final
    newline skipped as ``$`` does), read backwards instead of searching the whole prefix."""
    end = k - 1 if k > 0 and text[k - 1] == "\n" else k
    start = end
    while start > 0 and text[start - 1].isascii() and text[start - 1].isalpha():
        start -= 1
    return text[start:end] if start < end else None


def _split(text: str) -> list[tuple[int, int, str]]:
    """Clauses as (start, end, separator that ended it)."""
    inside = [False] * (len(text) + 1)
    for s, e in _protected(text):
        for k in range(s, e):
            inside[k] = True
    cuts: list[tuple[int, int, str]] = []  # (cut start, cut end, separator kind)
    for k, ch in enumerate(text):
        if inside[k]:
            continue
        if ch in _SEPARATORS:
            cuts.append((k, k + 1, ch))
        elif ch == "." and (k + 1 == len(text) or text[k + 1].isspace()):
            word = _word_before(text, k)
            if word is None or word.lower() not in _ABBREV:
                cuts.append((k, k + 1, "."))
            elif k + 1 == len(text) or _new_sentence(text, k + 1):
                cuts.append((k + 1, k + 1, "."))  # "Contoso Ltd. Thanks": the dot stays
            # else "Passport No. C864…", "St. Mary's": not a sentence end
        elif ch == "-" and text[k - 1:k] == " " and text[k + 1:k + 2] == " ":
            cuts.append((k, k + 1, "—"))
    for m in _AND_RE.finditer(text):
        if inside[m.start()] or m.end() >= len(text):
            continue
        if _OWN_WORD.match(text, m.end()) or _cue_first(text, m.end()):
            cuts.append((m.start(), m.end(), "and"))
    cuts.sort()
    out: list[tuple[int, int, str]] = []
    pos = 0
    for s, e, kind in cuts:
        if s < pos:
            continue
        if s > pos:
            out.append((pos, s, kind))
        pos = e
    if pos < len(text):
        out.append((pos, len(text), ""))
    return out


_ADDRESS_PART = re.compile(r"[A-Z0-9#][\w'’.#/-]*(?:[ \t]+[\w'’.#/-]+)*")
_NOT_ADDRESS = re.compile(r"(?:I|I'm|I'll|I've|My|Thanks?|Thank|Please|Also|And|Leave|Tick)\b")


def _address_goes_on(text: str, part: tuple[int, int, str]) -> bool:
    s, e, _sep = part
    t = text[s:e].strip()
    if not t or not _ADDRESS_PART.fullmatch(t) or _NOT_ADDRESS.match(t) or _HAN_RE.search(t):
        return False
    if _email_spans(t) or _ID_RE.search(t) or _BARE_PHONE_RE.fullmatch(t):
        return False
    probe = _Clause(text, s, e, -1)
    return probe.find_cue(probe.first, probe=True) is None  # a cue word ends the address


def _cue_first(text: str, pos: int) -> bool:
    """True when a cue (with its value) starts right at ``pos``."""
    sep = _SEPARATOR_RE.search(text, pos)  # (in C: a Python loop here cost the most)
    end = sep.start() if sep else len(text)
    probe = _Clause(text, pos, end, -1)
    # Only a cue right at 0 counts, so only there is looked at: scanning the clause for the
    # first cue anywhere made one look per full stop cost the rest of the text.
    hit = probe.find_cue(0, probe=True, only_at=True)
    return hit is not None and hit.start == 0


# ----------------------------------------------------------------------------- public API


def parse_request(text: str) -> list[UserDatum]:
    """One :class:`UserDatum` per key the request gives a value for (last mention wins)."""
    if not text or not text.strip():
        return []
    parts = _split(text)
    found: list[_Found] = []
    k = 0
    while k < len(parts):
        s, e, sep = parts[k]
        clause = _Clause(text, s, e, k, own_line=k > 0 and parts[k - 1][2] == "\n")
        clause.scan()
        found.extend(clause.found)
        k += 1
        last = clause.found[-1] if clause.found else None
        if (last and last.key == "address" and not _HAN_RE.search(text[last.start:last.end])
                and text[last.end:e].strip(_TRAIL) == ""):
            # English addresses carry commas: "12 Baker Street, London, NW1 6XE"
            while sep == "," and k < len(parts) and _address_goes_on(text, parts[k]):
                ps, pe, sep = parts[k]
                last.end = ps + len(text[ps:pe].rstrip(_TRAIL))
                k += 1
    return _finish(text, found)


# A value that only asks ("身份证号码填的是什么？") is a question, never data.
_ASKING = re.compile(r"(什么|多少|哪个|哪些|哪里|几|谁|啥|怎样|怎么样|what|which|who|how)"
                     r"[\s?？吗呢了]*", re.I)


# A person named as the object of a sign-up verb: "Register Li Lei for the event",
# "帮陈晨报名". Used only when nothing else in the request names the user.
_SIGN_UP_EN = re.compile(r"\b(?i:register|enrol{1,2}|sign up|book|add)\s+"
                         r"(?P<v>[A-Z][a-z]+(?: [A-Z][a-z]+){1,2})\b(?=\s+(?:for|to|in|on)\b)")
_SIGN_UP_ZH = re.compile(r"(?:帮|给|替|为)(?P<v>[\u4e00-\u9fff]{2,3}?)(?:报名|注册|预约|登记|开户)")


def _named_in_passing(text: str, found: list[_Found]) -> list[_Found]:
    if any(f.key == "name" for f in found):
        return []
    m = _SIGN_UP_EN.search(text) or _SIGN_UP_ZH.search(text)
    return [_Found("name", m.start("v"), m.end("v"), None)] if m else []


def _finish(text: str, found: list[_Found]) -> list[UserDatum]:
    found = [f for f in found if not _ASKING.fullmatch(text[f.start:f.end].strip())]
    found += _named_in_passing(text, found)
    found.sort(key=lambda f: f.start)
    explicit_ep = any(f.key == "emergency_phone" for f in found)
    for i, f in enumerate(found):
        prev = found[i - 1] if i else None
        # "紧急联系人王芳，电话139…": the phone after the contact is the contact's phone
        if (f.key == "phone" and f.weak_phone and not explicit_ep and prev is not None
                and prev.key == "emergency_contact" and f.clause - prev.clause <= 1):
            f.key = "emergency_phone"
    latest = {f.key: f for f in found}  # the last mention of a key wins
    out = sorted(latest.values(), key=lambda f: f.start)
    return [UserDatum(key=f.key, value=text[f.start:f.end], source="request",
                      raw_label=f.raw_label, span=(f.start, f.end)) for f in out]


def load_profile(source: dict[str, Any] | str | Path) -> list[UserDatum]:
    """A profile (JSON object label → value) as data; labels may be keys, zh or en labels.

    ``source`` is a dict, a path, or JSON text. Labels the lexicon does not know are kept as
    they are (key = label), so an unusual form label can still meet them. Empty values are
    skipped. Raises ValueError for unreadable or invalid JSON, a non-object, or a nested value.
    """
    data: Any
    if isinstance(source, dict):
        data = source
    else:
        raw = str(source)
        looks_json = raw.lstrip().startswith(("{", "[", '"'))
        # A str is JSON text or a path to a file; a Path is always a path.
        if isinstance(source, str) and (looks_json or not Path(raw).is_file()):
            if not looks_json:
                raise ValueError(f"profile {raw!r} is neither a readable file nor a JSON object")
            where, content = "profile text", raw
        else:
            where = f"profile {raw!r}"
            try:
                content = Path(raw).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"{where} is not readable: {exc}") from exc
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"profile must be a JSON object of label → value, not {type(data).__name__}")
    out: dict[str, UserDatum] = {}
    for label, value in data.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, dict | list):
            raise ValueError(f"profile value for {label!r} must be text or a number")
        name = str(label).strip()
        key = match_key(name) or name
        out[key] = UserDatum(key=key, value=str(value).strip(), source="profile", raw_label=name)
    return list(out.values())


def merge_user_data(profile: list[UserDatum], request: list[UserDatum]) -> list[UserDatum]:
    """Profile data with the request's value for any key the request also gives."""
    merged = {d.key: d for d in profile}
    for d in request:
        merged.pop(d.key, None)  # re-insert so the request's value sits in request order
        merged[d.key] = d
    return list(merged.values())
