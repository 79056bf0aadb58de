"""Values the user gave for a page's own labels: "收货人孙悦", "applicant Li Ming, …".

The entity parser knows the common fields (name, phone, ID…); a live page also has labels
no lexicon knows (收货人, 事由说明, Policy number). Here each label the page shows is looked
for in the request, and the words right after it — past a connector (：, 是, 为, 填, 选…) —
up to the next delimiter or the next label, are its value; a quoted value is taken whole.
A label's parts count separately ("姓名 / Full name", "金额（元）" → 金额, and its unit 元
is stripped from the value). Nothing is found for a label the request does not mention.
"""

from __future__ import annotations

import re

from tools.browser.control_names import name_parts

_SPLIT = re.compile(r"\s*/\s*|\s*[|｜]\s*")
_PAREN = re.compile(r"[（(]([^）)]*)[）)]")
_OPTIONAL = re.compile(r"选填|可选|optional|必填|required|\*", re.I)
_CONNECT = re.compile(r"^\s*(?:[：:=]|是|为|填成|填写为|填写|填|写成|写|选择|选|输入|改为|改成|"
                      r"换成|is|as|named|called|titled|:)?\s*", re.I)
_QUOTED = re.compile(r"^[“\"'「『‘](.+?)[”\"'」』’]")
# An ASCII "." ends a value only before a space or the end (1.5, "Ltd.x"); "!" and "?"
# never do in ASCII (passwords: "s3cret!").
_END = re.compile(r"[，,。；;！？\n、]|\.(?=\s|$)|\s+(?:and|then|with)\s|然后|并且|并|再")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def label_names(label: str) -> tuple[list[str], str | None]:
    """The names a label goes by, longest first, and a unit it states ("金额（元）" → 元)."""
    unit = None
    for inner in _PAREN.findall(label):
        if len(inner.strip()) <= 2 and not _OPTIONAL.search(inner):
            unit = inner.strip()
    bare = _OPTIONAL.sub("", _PAREN.sub("", label))
    names = [n.strip(" :：*") for n in _SPLIT.split(bare)]
    # "联系人 Contact name": a CJK run and a Latin run are two names as well
    names += [p for n in names for p in name_parts(n)[1:]]
    names = [n for n in names if len(n) >= (2 if _CJK.search(n) else 3)]
    return sorted(set(names), key=len, reverse=True), unit


def _find(request: str, name: str) -> re.Match[str] | None:
    if _CJK.search(name):
        return re.search(re.escape(name), request)
    return re.search(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", request, re.I)


def _value_after(request: str, end: int, next_label: int, unit: str | None) -> str:
    """The value written after a label ending at ``end``, before ``next_label`` starts."""
    start = end + _CONNECT.match(request[end:]).end()  # type: ignore[union-attr]
    quoted = _QUOTED.match(request[start:])
    if quoted:
        return quoted.group(1).strip()
    stop = min(next_label, len(request))
    delimiter = _END.search(request, start, stop)
    value = request[start:delimiter.start() if delimiter else stop].strip(" 　\t")
    if unit and value.endswith(unit):
        value = value[: -len(unit)].strip()
    return value


_CODE = re.compile(r"\s*[A-Z0-9][A-Z0-9-]*\d[A-Z0-9-]*")


def _first_word(request: str, name: str) -> re.Match[str] | None:
    """"policy PL-2025-000417" for the label "Policy number": a label's first (long) word,
    when what follows it looks like a code or number."""
    first = name.split()[0] if " " in name else ""
    if len(first) < 5 or _CJK.search(first):
        return None
    m = _find(request, first)
    return m if m and _CODE.match(request, m.end()) else None


def values_for_labels(request: str, labels: list[str],
                      aliases: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Label → the value the request gives right after it (labels it gives none for left out).

    ``aliases`` are other names of a label (its field's synonyms in the other language:
    "price" for 价格), tried after the label's own names.
    """
    spots: list[tuple[int, int, str, str | None]] = []  # (start, end, label, unit)
    for label in labels:
        names, unit = label_names(label)
        extra = sorted((a for a in (aliases or {}).get(label, []) if a not in names
                        and len(a) >= (2 if _CJK.search(a) else 4)), key=len, reverse=True)
        for name in [*names, *extra]:
            m = _find(request, name) or (_first_word(request, name) if name in names else None)
            if m:
                spots.append((m.start(), m.end(), label, unit))
                break
    starts = sorted(s for s, _e, _l, _u in spots)
    found: dict[str, str] = {}
    for start, end, label, unit in spots:
        later = min((s for s in starts if s > start), default=len(request))
        value = _value_after(request, end, later, unit)
        if value and len(value) <= 120 and label not in found:
            found[label] = value
    return found
