"""Masking of personal data before it reaches logs, traces and summaries.

:func:`mask_value` masks one value by its canonical key; :func:`mask_text` finds resident ID
numbers, phone numbers, e-mail addresses and the value after a password keyword ("密码
s3cret!", "password: …") anywhere in free text (log lines, the request echoed in a trace or
shown by the thread API) and masks them in place, keeping the text around them readable.
"""

from __future__ import annotations

import re
from functools import partial

SENSITIVE_KEYS: frozenset[str] = frozenset({
    "name", "first_name", "last_name", "emergency_contact",
    "id_number", "phone", "landline", "emergency_phone", "email", "address",
})
"""Keys whose values :func:`mask_value` changes."""

_NAME_KEYS = frozenset({"name", "first_name", "last_name", "emergency_contact"})
_PHONE_KEYS = frozenset({"phone", "landline", "emergency_phone"})


def _mask_id(value: str) -> str:
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)  # too short to show both ends without showing it all
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def _mask_phone(value: str) -> str:
    """Digits other than the first 3 and last 4 of the national number become ``*``."""
    prefix = re.match(r"\s*(?:\+86|0086|\+\d{1,3}(?=[\s-]))?[\s-]*", value)
    head = prefix.group(0) if prefix else ""
    rest = value[len(head):]
    total = sum(c.isdigit() for c in rest)
    keep_head, keep_tail = (3, 4) if total >= 9 else (min(2, total), min(2, total))
    out, seen = [], 0
    for c in rest:
        if c.isdigit():
            seen += 1
            if keep_head < seen <= total - keep_tail:
                c = "*"
        out.append(c)
    return head + "".join(out)


def _mask_email(value: str) -> str:
    local, at, domain = value.strip().partition("@")
    if not at:
        return _mask_id(value)
    return (local[:1] or "*") + "***@" + domain


def _mask_name(value: str) -> str:
    v = value.strip()
    # Keep spaces so "John Smith" still reads as two words: "J*** *****".
    return v[:1] + "".join(" " if c.isspace() else "*" for c in v[1:])


def _mask_address(value: str) -> str:
    v = value.strip()
    keep = 6 if len(v) > 6 else max(1, len(v) // 3)
    return v[:keep] + "…"


def mask_value(key: str, value: str) -> str:
    """``value`` masked for display by its canonical ``key``; other keys unchanged."""
    if not value:
        return value
    if key == "id_number":
        return _mask_id(value)
    if key in _PHONE_KEYS:
        return _mask_phone(value)
    if key == "email":
        return _mask_email(value)
    if key in _NAME_KEYS:
        return _mask_name(value)
    if key == "address":
        return _mask_address(value)
    return value


_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[A-Za-z0-9_.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "email"),
    # 18-character (last may be X) and 15-digit resident ID numbers, not inside longer numbers
    (re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])|(?<!\d)\d{15}(?!\d)"), "id_number"),
    # Chinese mobiles, optionally +86, spaces or dashes between the 3-4-4 groups
    (re.compile(r"(?<![\d+])(?:(?:\+86|0086)[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"),
     "phone"),
    # International numbers written with a leading +
    (re.compile(r"(?<![\d+])\+\d{1,3}(?:[\s-]?\(?\d{1,4}\)?){2,5}(?!\d)"), "phone"),
    # North American numbers with separators: (617) 555-0131, 206.555.0122, 312-555-0112
    (re.compile(r"(?<![\d.-])(?:\(\d{3}\)\s?|\d{3}[-.\s])\d{3}[-.\s]\d{4}(?![\d-])(?!\.\d)"), "phone"),
)


# A password keyword, then the value up to the next space or punctuation of the sentence
# (the words the browser's instruction parser reads a login from).
# Errs on the side of masking: "the password field" hides "field".
_PASSWORD = re.compile(r"((?:(?:password|passwd|pwd|passcode)(?![A-Za-z])|密码|口令)"
                       r"\s*(?:is\s+|=|:|：|为|是)?\s*)([^\s，,。；;、]+)", re.I)
PASSWORD_MASK = "******"


def _mask_match(key: str, m: re.Match[str]) -> str:
    return mask_value(key, m.group(0))


def mask_text(text: str) -> str:
    """``text`` with ID numbers, phone numbers, e-mail addresses and passwords masked where
    they occur."""
    text = _PASSWORD.sub(lambda m: m.group(1) + PASSWORD_MASK, text)
    for rx, key in _TEXT_PATTERNS:
        text = rx.sub(partial(_mask_match, key), text)
    return text
