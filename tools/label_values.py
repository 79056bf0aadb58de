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

_SPLIT = re.compile(r"\s*/\s*|\s*[|｜]\s*")
_PAREN = re.compile(r"[（(]([^）)]*)[）)]")
_OPTIONAL = re.compile(r"选填|可选|optional|必填|required|\*", re.I)
_CONNECT = re.compile(r"^\s*(?:[：:=]|是|为|填成|填写为|填写|填|写成|写|选择|选|输入|改为|改成|"
                      r"换成|is|as|:)?\s*", re.I)
_QUOTED = re.compile(r"^[“\"'「『‘](.+?)[”\"'」』’]")
# ASCII "!", "?" and "." end a value only before a space or the end ("s3cret!x", 1.5).
_END = re.compile(r"[，,。；;！？\n、]|[!?.](?=\s|$)|\s+(?:and|then|with)\s|然后|并且|并|再")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def label_names(label: str) -> tuple[list[str], str | None]:
    """The names a label goes by, longest first, and a unit it states ("金额（元）" → 元)."""
    unit = None
    for inner in _PAREN.findall(label):
        if len(inner.strip()) <= 2 and not _OPTIONAL.search(inner):
            unit = inner.strip()
    bare = _OPTIONAL.sub("", _PAREN.sub("", label))
    names = [n.strip(" :：*") for n in _SPLIT.split(bare)]
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


def values_for_labels(request: str, labels: list[str]) -> dict[str, str]:
    """Label → the value the request gives right after it (labels it gives none for left out)."""
    spots: list[tuple[int, int, str, str | None]] = []  # (start, end, label, unit)
    for label in labels:
        names, unit = label_names(label)
        for name in names:
            m = _find(request, name)
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
