"""Rule checks: GB 11643 resident IDs, phones, e-mail, dates, postcodes; the date reader."""

from __future__ import annotations

import datetime as dt

import pytest

from tools.common.schema import Validation
from tools.forms.validators import cn_id_check_char, date_spans, parse_date, validate


@pytest.mark.parametrize(("first17", "check"), [
    ("11010519491231002", "X"),  # the standard's own example
    ("11010519900101001", "0"),
    ("44030519730921121", "2"),
    ("31010419850615002", "3"),
    ("11010519900512013", "7"),
    ("11010520000229004", "8"),
])
def test_check_char(first17: str, check: str) -> None:
    assert cn_id_check_char(first17) == check


@pytest.mark.parametrize("bad", ["1101051949123100", "1101051949123100X", "abc"])
def test_check_char_needs_17_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="need exactly 17 digits"):
        cn_id_check_char(bad)


@pytest.mark.parametrize("value", [
    "11010519491231002X", "11010519491231002x", "110105199001010010", "440305197309211212",
    "310104198506150023", "110105200002290048", "110105 19900101 0010",
])
def test_valid_resident_ids(value: str) -> None:
    assert validate("id_number", value) == Validation(valid=True)


@pytest.mark.parametrize(("value", "message"), [
    ("110105194912310021", "checksum digit should be X"),
    ("110105199001010011", "checksum digit should be 0"),
    ("11010519900230001X", "birth date 19900230 is not a date"),
    ("000105199001010015", "region code 00 is not a Chinese province code"),
    ("110105299901010014", "birth date 2999-01-01 is in the future"),
    ("110105188001010017", "birth date 1880-01-01 is before 1900"),
    ("11010519900101001", "has 17 characters; a resident ID number has 18"),
    ("1101051990010100101", "has 19 characters; a resident ID number has 18"),
])
def test_invalid_resident_ids(value: str, message: str) -> None:
    assert validate("id_number", value) == Validation(valid=False, message=message)


def test_id_and_date_of_birth_must_agree() -> None:
    others = {"birth_date": "1991-01-01"}
    assert validate("id_number", "110105199001010010", others) == Validation(
        valid=False,
        message="birth date in ID (1990-01-01) differs from date of birth (1991-01-01)")
    # the same date written another way agrees
    assert validate("id_number", "110105199001010010", {"birth_date": "1990年1月1日"}).valid
    assert validate("birth_date", "1991-01-01", {"id_number": "110105199001010010"}) == Validation(
        valid=False, normalized="1991-01-01",
        message="date of birth (1991-01-01) differs from birth date in ID (1990-01-01)")


def test_other_documents_and_legacy_ids() -> None:
    assert validate("id_number", "110105900101001") == Validation(
        valid=True, message="15-digit ID number (pre-1999 format, no check digit)")
    assert validate("id_number", "E12345678") == Validation(
        valid=None, message="not a Chinese resident ID number; not checked")
    assert validate("id_number", "110105194912310021", {"id_type": "Passport"}) == Validation(
        valid=None, message="no rule for Passport numbers")
    assert validate("id_number", "110105194912310021", {"id_type": "居民身份证"}).valid is False


@pytest.mark.parametrize(("key", "value", "valid", "message"), [
    ("phone", "13812345678", True, None),
    ("phone", "138-1234-5678", True, None),
    ("phone", "+86 138 1234 5678", True, None),
    ("phone", "0086-13812345678", True, None),
    ("emergency_phone", "199 0000 1111", True, None),
    ("phone", "+44 20 7946 0958", True, "international number"),
    ("phone", "(617) 555-0131", True, "North American number"),
    ("phone", "010-62345678", True, "Chinese landline number"),
    ("landline", "0755-86001234", True, "Chinese landline number"),
    ("phone", "12012345678", False, "12… is not a Chinese mobile prefix (13–19)"),
    ("phone", "1381234567", False, "has 10 digits; a Chinese mobile number has 11"),
    ("phone", "138123456789", False, "has 12 digits; a Chinese mobile number has 11"),
    ("phone", "23456", False, "has 5 digits; not a Chinese mobile, landline or international "
                              "(+…) number"),
    ("emergency_phone", "call me", False, "contains characters that are not digits"),
])
def test_phones(key: str, value: str, valid: bool, message: str | None) -> None:
    assert validate(key, value) == Validation(valid=valid, message=message)


@pytest.mark.parametrize(("value", "valid"), [
    ("john@example.com", True), ("zhang.san+form@mail.example.com.cn", True),
    ("12345678@qq.com", True), ("a@b.co", True),
    ("john@example", False), ("john example.com", False), ("jo hn@example.com", False),
    ("john@@example.com", False), (".john@example.com", False), ("john@-example.com", False),
])
def test_emails(value: str, valid: bool) -> None:
    got = validate("email", value)
    assert got.valid is valid
    assert got.message == (None if valid else "not an e-mail address (expected name@domain.tld)")


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("birth_date", "1990年1月2日", Validation(valid=True, normalized="1990-01-02")),
    ("birth_date", "1990-1-2", Validation(valid=True, normalized="1990-01-02")),
    ("birth_date", "1990/01/02", Validation(valid=True, normalized="1990-01-02")),
    ("birth_date", "1990.1.2", Validation(valid=True, normalized="1990-01-02")),
    ("birth_date", "2 January 1990", Validation(valid=True, normalized="1990-01-02")),
    ("birth_date", "Jan 2, 1990", Validation(valid=True, normalized="1990-01-02")),
    ("birth_date", "01/02/1990", Validation(valid=True, normalized="1990-01-02")),
    ("birth_date", "13/02/1990", Validation(valid=True, normalized="1990-02-13")),
    ("claim_date", "2025-02-03", Validation(valid=True, normalized="2025-02-03")),
    ("signature_date", "August 15, 2025", Validation(valid=True, normalized="2025-08-15")),
    ("move_in_date", "2024年3月1号", Validation(valid=True, normalized="2024-03-01")),
    ("birth_date", "1990-02-30", Validation(valid=False, message="1990-02-30 is not a real date")),
    ("birth_date", "2999-01-01",
     Validation(valid=False, message="date of birth 2999-01-01 is in the future")),
    ("birth_date", "1850-01-01",
     Validation(valid=False, message="date of birth 1850-01-01 is before 1900")),
    ("claim_date", "2999-01-01",
     Validation(valid=False, message="claim date 2999-01-01 is in the future")),
    ("signature_date", "soon",
     Validation(valid=False, message="not a recognised date (expected YYYY-MM-DD)")),
    ("id_expiry", "2001-01-01",
     Validation(valid=True, normalized="2001-01-01", message="expired on 2001-01-01")),
    ("id_expiry", "2999-12-31", Validation(valid=True, normalized="2999-12-31")),
    ("id_expiry", "长期", Validation(valid=True, message="no expiry date (long-term)")),
])
def test_dates(key: str, value: str, expected: Validation) -> None:
    assert validate(key, value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("100080", Validation(valid=True)),
    ("02139", Validation(valid=True, message="US ZIP code")),
    ("94105-1234", Validation(valid=True, message="US ZIP code")),
    ("SW1A 1AA", Validation(valid=None, message="not a Chinese or US postcode; not checked")),
    ("1000800", Validation(valid=False, message="expected 6 digits (China) or a 5-digit ZIP (US)")),
    ("10008", Validation(valid=True, message="US ZIP code")),
    ("abc", Validation(valid=False, message="expected 6 digits (China) or a 5-digit ZIP (US)")),
])
def test_postcodes(value: str, expected: Validation) -> None:
    assert validate("postcode", value) == expected


@pytest.mark.parametrize(("key", "value"), [
    ("name", "张三"), ("address", "anything"), ("会员号", "A1"), ("gender", "男"),
])
def test_keys_without_rules(key: str, value: str) -> None:
    assert validate(key, value) == Validation(valid=None)


def test_empty_values_with_rules_fail() -> None:
    assert validate("phone", " ") == Validation(valid=False, message="empty value")


def test_value_is_never_rewritten() -> None:
    # only ``normalized`` carries a canonical form; the message never echoes a changed value
    got = validate("birth_date", "Jan 2, 1990")
    assert got.normalized == "1990-01-02" and got.message is None


@pytest.mark.parametrize(("text", "expected", "dayfirst_expected"), [
    ("1990年1月2日", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("1990 年 1 月 2 号", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("1990-01-02", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("1990/1/2", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("1990.1.2", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("2 January 1990", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("2nd of Jan 1990", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("January 2nd, 1990", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("Jan. 2 1990", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("2-Jan-1990", dt.date(1990, 1, 2), dt.date(1990, 1, 2)),
    ("Sept 9, 2001", dt.date(2001, 9, 9), dt.date(2001, 9, 9)),
    ("01/02/1990", dt.date(1990, 1, 2), dt.date(1990, 2, 1)),  # ambiguous: convention decides
    ("13/02/1990", dt.date(1990, 2, 13), dt.date(1990, 2, 13)),  # unambiguous either way
    ("02/13/1990", dt.date(1990, 2, 13), dt.date(1990, 2, 13)),
    ("1990-02-30", None, None),
    ("13812345678", None, None),
    ("2165.00", None, None),
    ("abc", None, None),
    ("1990-01-02 and more", None, None),
])
def test_parse_date(text: str, expected: dt.date | None, dayfirst_expected: dt.date | None) -> None:
    assert parse_date(text) == expected
    assert parse_date(text, dayfirst=True) == dayfirst_expected


def test_date_spans_in_free_text() -> None:
    text = "born October 4, 1982, phone 206.555.0122, 1990年1月2日出生 and 01/02/1990."
    assert [text[s:e] for s, e in date_spans(text)] == [
        "October 4, 1982", "1990年1月2日", "01/02/1990"]
    assert date_spans("身份证11010519491231002X，金额2165.00") == []
