"""Rule checks for user values by canonical key (ID number, phone, e-mail, dates, postcode).

:func:`validate` never rewrites a value; a canonical form (ISO ``YYYY-MM-DD`` for dates) is
returned in ``Validation.normalized``. :func:`parse_date` and :func:`date_spans` are the one
date reader of the project: the entity parser finds dates in chat text with them.
"""

from __future__ import annotations

import datetime as dt
import re

from tools.common.schema import Validation

_GB_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB_CHECK = "10X98765432"
# GB/T 2260 province-level codes; 83 = Taiwan residence permits, 9x = foreigners' permits.
_PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83", "91", "92", "93",
})

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"
# Each form: (regex, kind). Digits are fenced so a date is never cut out of a longer number.
_DATE_FORMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), kind)
    for p, kind in (
        (r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?", "ymd"),
        (r"(?<![\d.])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d])"
         r"(?!\.\d)", "ymd"),
        (r"(?<![\d.])(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})(?!\d)",
         "ab_y"),
        (r"(?<![\w])(?P<d>\d{1,2})" + _ORD + r"(?:\s+of)?[\s-]+" + _MON + r",?[\s-]+(?P<y>\d{4})"
         r"(?!\d)", "dmy"),
        (r"\b" + _MON + r"\s+(?P<d>\d{1,2})" + _ORD + r",?\s+(?P<y>\d{4})(?!\d)", "mdy"),
    )
)


def _parts(m: re.Match[str], kind: str, dayfirst: bool) -> tuple[int, int, int]:
    if kind == "ymd":
        return int(m["y"]), int(m["m"]), int(m["d"])
    if kind == "ab_y":
        a, b = int(m["a"]), int(m["b"])
        # Year last is ambiguous; a number above 12 settles it, else the caller's convention.
        if a > 12 or (dayfirst and b <= 12):
            return int(m["y"]), b, a
        return int(m["y"]), a, b
    return int(m["y"]), _MONTHS[m["mon"].lower()], int(m["d"])


def _date_parts(text: str, dayfirst: bool = False) -> tuple[int, int, int] | None:
    """(year, month, day) when the whole text is written like a date (maybe an impossible one)."""
    t = text.strip().rstrip("。.,，;；")
    for rx, kind in _DATE_FORMS:
        m = rx.fullmatch(t)
        if m:
            return _parts(m, kind, dayfirst)
    return None


def parse_date(text: str, *, dayfirst: bool = False) -> dt.date | None:
    """The date a whole string names, or None.

    Accepts ``1990年1月2日`` (日/号 optional), ``1990-01-02``, ``1990/1/2``, ``1990.1.2``,
    ``2 January 1990``, ``2nd of Jan 1990``, ``January 2, 1990``, ``Jan. 2 1990`` and
    ``NN/NN/YYYY``. The last is read MM/DD/YYYY (US) unless the first number exceeds 12
    or ``dayfirst`` is set. Impossible dates (1990-02-30) give None.
    """
    parts = _date_parts(text, dayfirst)
    if parts is None:
        return None
    try:
        return dt.date(*parts)
    except ValueError:
        return None


def date_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of everything in ``text`` written like a date (leftmost-longest)."""
    found: list[tuple[int, int]] = []
    for rx, _kind in _DATE_FORMS:
        found.extend(m.span() for m in rx.finditer(text))
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[tuple[int, int]] = []
    for start, end in found:
        if not out or start >= out[-1][1]:
            out.append((start, end))
    return out


def cn_id_check_char(first17: str) -> str:
    """GB 11643-1999 check character for the first 17 digits of a resident ID number."""
    if not re.fullmatch(r"\d{17}", first17):
        raise ValueError(f"need exactly 17 digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, _GB_WEIGHTS, strict=True))
    return _GB_CHECK[total % 11]


def _iso(parts: tuple[int, int, int]) -> str:
    return f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}"


def _other_birth(others: dict[str, str] | None) -> dt.date | None:
    return parse_date(others["birth_date"]) if others and others.get("birth_date") else None


def _check_id_number(value: str, others: dict[str, str] | None) -> Validation:
    s = re.sub(r"[\s-]", "", value).upper()
    id_type = (others or {}).get("id_type", "")
    if id_type and not re.search(r"身份证|resident|national id|identity|id card", id_type, re.I):
        return Validation(valid=None, message=f"no rule for {id_type} numbers")
    if re.fullmatch(r"\d{17}[\dX]|\d{15}", s) is None:
        if re.fullmatch(r"\d+X?", s):
            return Validation(valid=False,
                              message=f"has {len(s)} characters; a resident ID number has 18")
        # Letters: a passport or other document number, which has no public checksum.
        return Validation(valid=None, message="not a Chinese resident ID number; not checked")
    legacy = len(s) == 15
    birth_text = "19" + s[6:12] if legacy else s[6:14]
    problems: list[str] = []
    if s[:2] not in _PROVINCES:
        problems.append(f"region code {s[:2]} is not a Chinese province code")
    birth: dt.date | None = None
    try:
        birth = dt.date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        problems.append(f"birth date {birth_text} is not a date")
    if birth is not None:
        if birth > dt.date.today():
            problems.append(f"birth date {birth.isoformat()} is in the future")
        elif birth.year < 1900:
            problems.append(f"birth date {birth.isoformat()} is before 1900")
    if not legacy:
        expected = cn_id_check_char(s[:17])
        if s[17] != expected:
            problems.append(f"checksum digit should be {expected}")
    other = _other_birth(others)
    if birth is not None and other is not None and other != birth:
        problems.append(f"birth date in ID ({birth.isoformat()}) differs from date of birth "
                        f"({other.isoformat()})")
    if problems:
        return Validation(valid=False, message="; ".join(problems))
    note = "15-digit ID number (pre-1999 format, no check digit)" if legacy else None
    return Validation(valid=True, message=note)


def _check_phone(value: str) -> Validation:
    compact = re.sub(r"[\s\-().]", "", value)
    if re.fullmatch(r"(?:\+86|0086)?1[3-9]\d{9}", compact):
        return Validation(valid=True)
    if re.fullmatch(r"\+\d{8,15}", compact):
        return Validation(valid=True, message="international number")
    if re.fullmatch(r"0[1-9]\d{1,2}\d{7,8}", compact):
        return Validation(valid=True, message="Chinese landline number")
    if re.fullmatch(r"[2-9]\d{2}[2-9]\d{6}", compact):
        # US/Canada numbers are written without +1 on English forms.
        return Validation(valid=True, message="North American number")
    digits = compact.removeprefix("+86").removeprefix("0086")
    if not digits.isdigit():
        return Validation(valid=False, message="contains characters that are not digits")
    if digits.startswith("1") and len(digits) == 11:
        return Validation(valid=False,
                          message=f"{digits[:2]}… is not a Chinese mobile prefix (13–19)")
    if digits.startswith("1"):
        return Validation(valid=False,
                          message=f"has {len(digits)} digits; a Chinese mobile number has 11")
    return Validation(valid=False, message=f"has {len(digits)} digits; not a Chinese mobile, "
                                           "landline or international (+…) number")


_EMAIL = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*"
                    r"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                    r"\.[A-Za-z]{2,}")


def _check_email(value: str) -> Validation:
    if _EMAIL.fullmatch(value.strip()):
        return Validation(valid=True)
    return Validation(valid=False, message="not an e-mail address (expected name@domain.tld)")


_NO_EXPIRY = re.compile(r"长期|永久|long[- ]?term|permanent|no expiry", re.I)


def _check_date(key: str, value: str, others: dict[str, str] | None) -> Validation:
    if key == "id_expiry" and _NO_EXPIRY.fullmatch(value.strip()):
        return Validation(valid=True, message="no expiry date (long-term)")
    parts = _date_parts(value)
    if parts is None:
        return Validation(valid=False, message="not a recognised date (expected YYYY-MM-DD)")
    try:
        date = dt.date(*parts)
    except ValueError:
        return Validation(valid=False, message=f"{_iso(parts)} is not a real date")
    iso, today = date.isoformat(), dt.date.today()
    if key == "birth_date":
        if date > today:
            return Validation(valid=False, message=f"date of birth {iso} is in the future")
        if date.year < 1900:
            return Validation(valid=False, message=f"date of birth {iso} is before 1900")
        id_number = re.sub(r"[\s-]", "", (others or {}).get("id_number", ""))
        if re.fullmatch(r"\d{17}[\dXx]", id_number) and id_number[6:14] != date.strftime("%Y%m%d"):
            in_id = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
            return Validation(valid=False, normalized=iso,
                              message=f"date of birth ({iso}) differs from birth date in ID "
                                      f"({in_id})")
    if key == "claim_date" and date > today:
        return Validation(valid=False, message=f"claim date {iso} is in the future")
    if key == "id_expiry" and date < today:
        return Validation(valid=True, normalized=iso, message=f"expired on {iso}")
    return Validation(valid=True, normalized=iso)


def _check_postcode(value: str) -> Validation:
    v = value.strip()
    if re.fullmatch(r"\d{6}", v):
        return Validation(valid=True)
    if re.fullmatch(r"\d{5}(?:-\d{4})?", v):
        return Validation(valid=True, message="US ZIP code")
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]{1,3} ?[0-9][A-Za-z0-9]{2}", v):
        # UK/Canadian style: real, but outside what we can check
        return Validation(valid=None, message="not a Chinese or US postcode; not checked")
    return Validation(valid=False, message="expected 6 digits (China) or a 5-digit ZIP (US)")


_PHONE_KEYS = frozenset({"phone", "emergency_phone", "landline"})
_DATE_KEYS = frozenset({"birth_date", "id_expiry", "claim_date", "signature_date"})


def validate(key: str, value: str, others: dict[str, str] | None = None) -> Validation:
    """Check ``value`` against the rules for ``key``; ``others`` (key → value) for cross-checks.

    ``valid`` is None when no rule applies to the key (or to that kind of document number).
    """
    has_rule = (key in _PHONE_KEYS or key in _DATE_KEYS or key.endswith("_date")
                or key in ("id_number", "email", "postcode"))
    if not has_rule:
        return Validation(valid=None)
    if not value.strip():
        return Validation(valid=False, message="empty value")
    if key == "id_number":
        return _check_id_number(value, others)
    if key in _PHONE_KEYS:
        return _check_phone(value)
    if key == "email":
        return _check_email(value)
    if key == "postcode":
        return _check_postcode(value)
    return _check_date(key, value, others)
