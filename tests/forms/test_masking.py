"""Masking of personal data by key and inside free text."""

from __future__ import annotations

import pytest

from tools.common.masking import SENSITIVE_KEYS, mask_text, mask_value


@pytest.mark.parametrize(("key", "value", "masked"), [
    ("id_number", "110105194912311234", "110***********1234"),
    ("id_number", "11010519491231002X", "110***********002X"),
    ("id_number", "E1234567", "E12*4567"),
    ("id_number", "1234567", "*******"),
    ("phone", "13812345678", "138****5678"),
    ("phone", "138-1234-5678", "138-****-5678"),
    ("phone", "+86 138 1234 5678", "+86 138 **** 5678"),
    ("emergency_phone", "13900001111", "139****1111"),
    ("landline", "010-62345678", "010-****5678"),
    ("phone", "(617) 555-0131", "(617) ***-0131"),
    ("phone", "+1 617 555 0167", "+1 617 *** 0167"),
    ("email", "john@example.com", "j***@example.com"),
    ("email", "zhang.san@163.com", "z***@163.com"),
    ("name", "张三", "张*"),
    ("name", "欧阳娜娜", "欧***"),
    ("name", "John Smith", "J*** *****"),
    ("emergency_contact", "李梅", "李*"),
    ("address", "北京市海淀区中关村大街1号", "北京市海淀区…"),
    ("address", "12 Baker Street, London", "12 Bak…"),
    ("city", "北京市", "北京市"),
    ("gender", "男", "男"),
    ("birth_date", "1990-01-02", "1990-01-02"),
    ("phone", "", ""),
])
def test_mask_value(key: str, value: str, masked: str) -> None:
    assert mask_value(key, value) == masked


def test_sensitive_keys_are_exactly_the_masked_ones() -> None:
    assert {"id_number", "phone", "email", "name", "address", "emergency_phone"} <= SENSITIVE_KEYS
    for key in SENSITIVE_KEYS:
        assert mask_value(key, "13812345678abc") != "13812345678abc", key
    assert mask_value("occupation", "13812345678abc") == "13812345678abc"


@pytest.mark.parametrize(("text", "masked"), [
    ("我叫张三，身份证号11010519491231002X，手机138-1234-5678",
     "我叫张三，身份证号110***********002X，手机138-****-5678"),
    ("邮箱zhang.san@163.com，电话 +86 13812345678", "邮箱z***@163.com，电话 +86 138****5678"),
    ("call +1 617 555 0167 or (617) 555-0131 or 206.555.0122",
     "call +1 617 *** 0167 or (617) ***-0131 or 206.***.0122"),
    ("legacy ID 110105900101001 ok", "legacy ID 110********1001 ok"),
    # dates, amounts, policy numbers and ordinary numbers stay readable
    ("出生日期2024-09-14，金额 1234567.00，保单 PZHA201954295449，订单 12345",
     "出生日期2024-09-14，金额 1234567.00，保单 PZHA201954295449，订单 12345"),
    ("parse_request failed: ValueError: bad value '13912345678'",
     "parse_request failed: ValueError: bad value '139****5678'"),
    # the value after a password keyword, whatever it looks like
    ("用户名 alice 密码 s3cret!，登录", "用户名 alice 密码 ******，登录"),
    ("log in with password: hunter2 and passwords stay", "log in with password: ****** and "
     "passwords stay"),
    ("", ""),
])
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_masking_is_idempotent() -> None:
    text = "身份证11010519491231002X 手机13812345678 邮箱a.b@example.com"
    once = mask_text(text)
    assert mask_text(once) == once
