"""Canonical keys, label normalisation, fuzzy label matching and option matching."""

from __future__ import annotations

import pytest

from tools.forms.lexicon import (
    KEYS,
    THRESHOLD,
    match_key,
    match_label,
    normalize_label,
    option_matches,
)

CANONICAL = {
    "name", "first_name", "last_name", "gender", "birth_date", "nationality", "ethnicity",
    "id_type", "id_number", "id_expiry", "phone", "landline", "email", "address", "city",
    "postcode", "country", "occupation", "employer", "job_title", "marital_status", "education",
    "annual_income", "account_type", "emergency_contact", "emergency_phone", "policy_number",
    "claim_date", "claim_amount", "signature_date",
    # fields of live pages (shop, expense forms) the executor meets
    "product_name", "price", "stock", "amount", "bank_account",
}


def test_keys_are_exactly_the_canonical_set() -> None:
    assert set(KEYS) == CANONICAL
    for key, synonyms in KEYS.items():
        assert any(s.isascii() for s in synonyms), f"{key} has no English synonym"
        assert any(not s.isascii() for s in synonyms), f"{key} has no Chinese synonym"


def test_every_synonym_matches_its_own_key_exactly() -> None:
    for key, synonyms in KEYS.items():
        for s in synonyms:
            assert match_label(s) == (key, 1.0), s


@pytest.mark.parametrize(("text", "expected"), [
    ("* 身份证号码（必填）：", "身份证号码"),
    ("Email address (required)", "emailaddress"),
    ("E-mail:", "email"),
    ("Ｎａｍｅ：", "name"),  # full-width letters and colon
    ("Date of birth", "dateofbirth"),
    ("年收入（元）", "年收入"),
    ("ID No.", "idno"),
    ("  姓 名 ", "姓名"),
    ("Phone number *", "phonenumber"),
    ("【选填】备注", "备注"),
    ("Date of Birth (DD/MM/YYYY)", "dateofbirth"),
    ("国家/地区", "国家/地区"),
    ("", ""),
])
def test_normalize_label(text: str, expected: str) -> None:
    assert normalize_label(text) == expected


# (label as read, expected key) — exact synonyms, corpus labels, decorated labels.
EXACT = [
    ("姓名", "name"), ("名字", "name"), ("客户姓名", "name"), ("申请人姓名", "name"),
    ("Full name", "name"), ("Applicant name", "name"), ("Policyholder name", "name"),
    ("身份证号码", "id_number"), ("公民身份号码", "id_number"), ("ID No.", "id_number"),
    ("Passport number", "id_number"), ("手机号码", "phone"), ("Mobile number", "phone"),
    ("Tel.", "phone"), ("出生日期", "birth_date"), ("DOB", "birth_date"),
    ("Date of Birth (DD/MM/YYYY)", "birth_date"), ("Emailaddress", "email"),
    ("Dateofbirth", "birth_date"), ("E-mail", "email"), ("家庭住址", "address"),
    ("Street address", "address"), ("邮政编码", "postcode"), ("ZIP code", "postcode"),
    ("职业", "occupation"), ("工作单位", "employer"), ("Department", "employer"),
    ("性别", "gender"), ("Sex", "gender"), ("国籍", "nationality"), ("账户类型", "account_type"),
    ("开户类型", "account_type"), ("*手机号码（必填）：", "phone"), ("年收入（元）", "annual_income"),
    ("Claim amount (USD)", "claim_amount"), ("国家/地区", "country"), ("Surname", "last_name"),
    ("Given names", "first_name"), ("Home phone", "landline"), ("固定电话（选填）", "landline"),
    ("Date of loss", "claim_date"), ("填表日期", "signature_date"), ("Date signed", "signature_date"),
    ("Passport expiry date", "id_expiry"), ("证件有效期", "id_expiry"),
    ("Position applied for", "job_title"), ("监护人姓名", "emergency_contact"),
    ("监护人电话", "emergency_phone"), ("婚姻状况", "marital_status"), ("保单号码", "policy_number"),
]


@pytest.mark.parametrize(("label", "key"), EXACT)
def test_exact_labels(label: str, key: str) -> None:
    assert match_label(label) == (key, 1.0)


# OCR-damaged or decorated labels: matched, but with a score below 1.
FUZZY = [
    ("身份证号玛", "id_number", 0.969),
    ("Emai1 address", "email", 0.99),
    ("手机号玛", "phone", 0.932),
    ("Nationalty", "nationality", 0.99),
    ("Occupatlon", "occupation", 0.99),
    ("Annual lncome", "annual_income", 0.99),
    ("Phome", "phone", 0.9),
    ("Date of birt", "birth_date", 0.918),
    ("紧急联系人电活", "emergency_phone", 0.957),
    ("Emergency contact's phone", "emergency_phone", 0.99),
    ("患者姓名(必填)", "name", 1.0),
    ("Current school or employer", "employer", 0.83),
    ("单位地址", "address", 0.87),
    ("请输入手机号", "phone", 0.87),
    ("Select country", "country", 0.88),
    ("Work e-mail address", "email", 0.935),
]


@pytest.mark.parametrize(("label", "key", "score"), FUZZY)
def test_damaged_and_decorated_labels(label: str, key: str, score: float) -> None:
    assert match_label(label) == (key, score)
    assert score >= THRESHOLD


# Labels that must not be pulled to a key by a near miss.
UNMATCHED = ["备注", "Remarks", "Signature", "签名", "Applicant signature", "出生地", "Username",
             "书名", "Paid", "Nane", "联系人", "紧急联系人关系", "Password", "验证码", "Age", "",
             "I agree to the terms"]


@pytest.mark.parametrize("label", UNMATCHED)
def test_unrelated_labels_match_nothing(label: str) -> None:
    key, score = match_label(label)
    assert key is None
    assert score < THRESHOLD


@pytest.mark.parametrize("label", ["Date", "日期", "Date:", "日 期"])
def test_bare_date_is_a_weak_signature_date(label: str) -> None:
    # A lone "Date" sits beside the signature line; it is never the date of birth.
    assert match_label(label) == ("signature_date", 0.8)


@pytest.mark.parametrize(("label", "key"), [
    ("紧急联系人电话", "emergency_phone"),
    ("紧急联系人", "emergency_contact"),
    ("紧急联系人姓名", "emergency_contact"),
    ("紧急联系人手机号码", "emergency_phone"),
    ("Emergency contact phone", "emergency_phone"),
    ("Emergency contact", "emergency_contact"),
    ("Home phone number", "landline"),
    ("Phone number", "phone"),
    ("Last name", "last_name"),
    ("姓", "last_name"),
    ("First name", "first_name"),
    ("名", "first_name"),
    ("签名日期", "signature_date"),
    ("Company name", "employer"),
])
def test_the_more_specific_key_wins(label: str, key: str) -> None:
    assert match_label(label)[0] == key


@pytest.mark.parametrize(("user_label", "key"), [
    ("my mobile", "phone"),
    ("电话", "phone"),
    ("我的手机号", "phone"),
    ("phone", "phone"),
    ("birth_date", "birth_date"),
    ("Email", "email"),
    ("my name", "name"),
    ("the address", "address"),
    ("your email address", "email"),
    ("会员号", None),
    ("favourite colour", None),
])
def test_match_key(user_label: str, key: str | None) -> None:
    assert match_key(user_label) == key


@pytest.mark.parametrize(("value", "option", "score"), [
    ("男", "男", 1.0),
    ("男性", "男", 0.95),
    ("male", "男", 0.95),
    ("M", "Male", 0.95),
    ("F", "Female", 0.95),
    ("女", "Female / 女", 0.95),
    ("female", "Male", 0.0),  # looks alike, means the opposite
    ("male", "Female", 0.0),
    ("male", "Female / 女", 0.0),
    ("yes", "是", 0.95),
    ("否", "No", 0.95),
    ("储蓄卡", "借记卡", 0.95),
    ("debit", "储蓄卡", 0.95),
    ("储蓄卡", "储蓄账户", 0.75),
    ("储蓄卡", "活期账户", 0.0),
    ("储蓄账户", "储蓄账户", 1.0),
    ("single", "未婚", 0.95),
    ("已婚", "未婚", 0.0),
    ("passport", "Passport", 1.0),
    ("American", "United States", 0.95),
    ("本科", "Bachelor's degree", 0.95),
    ("硕士", "本科", 0.0),
    ("Checking account", "Savings account", 0.0),
    ("居民身份证", "护照", 0.0),
    ("Contoso", "Contoso Ltd.", 0.8),
    ("f", "fixed", 0.3),
    ("Blue", "Blues", 0.8),
    ("abc", "xyz", 0.0),
    ("", "Male", 0.0),
])
def test_option_matches(value: str, option: str, score: float) -> None:
    assert option_matches(value, option) == score
