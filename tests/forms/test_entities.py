"""Entities from chat requests (zh, en, mixed), profiles, and merging them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.common.schema import UserDatum
from tools.forms.entities import load_profile, merge_user_data, parse_request

# (request, exactly the key → value pairs it must yield)
REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("我叫李娜", {"name": "李娜"}),
    ("我的名字是王小明，手机号13812345678", {"name": "王小明", "phone": "13812345678"}),
    ("姓名是张三，身份证号码110105194912310021",
     {"name": "张三", "id_number": "110105194912310021"}),
    ("姓名：张三\n性别：男\n手机：+86 138 1234 5678",
     {"name": "张三", "gender": "男", "phone": "+86 138 1234 5678"}),
    ("名字叫欧阳娜娜，今年30岁，电话13900001111", {"name": "欧阳娜娜", "phone": "13900001111"}),
    ("我叫张三身份证号11010519491231002X手机13812345678",
     {"name": "张三", "id_number": "11010519491231002X", "phone": "13812345678"}),
    ("邮箱 zhangsan@163.com，138-1234-5678",
     {"email": "zhangsan@163.com", "phone": "138-1234-5678"}),
    ("1990年1月2日出生，男", {"birth_date": "1990年1月2日", "gender": "男"}),
    ("住在北京市海淀区中关村大街1号，邮编100080",
     {"address": "北京市海淀区中关村大街1号", "postcode": "100080"}),
    ("地址是上海市徐汇区漕溪北路88号，职业是教师",
     {"address": "上海市徐汇区漕溪北路88号", "occupation": "教师"}),
    ("我是一名工程师，在北京华信科技有限公司工作",
     {"occupation": "工程师", "employer": "北京华信科技有限公司"}),
    ("性别男，出生于1985年12月3日", {"gender": "男", "birth_date": "1985年12月3日"}),
    ("紧急联系人王芳，电话13900001111",
     {"emergency_contact": "王芳", "emergency_phone": "13900001111"}),
    ("紧急联系人：李四（13900001111），我的手机13800001111",
     {"emergency_contact": "李四", "emergency_phone": "13900001111", "phone": "13800001111"}),
    ("我叫张三，我的电话是 138 1234 5678，紧急联系人是我妈妈李梅，她的电话 13900001111",
     {"name": "张三", "phone": "138 1234 5678", "emergency_contact": "李梅",
      "emergency_phone": "13900001111"}),
    ("我想开一个储蓄账户", {"account_type": "储蓄账户"}),
    ("储蓄卡", {"account_type": "储蓄卡"}),
    ("我是张三，男，汉族，本科学历，已婚",
     {"name": "张三", "gender": "男", "ethnicity": "汉族", "education": "本科",
      "marital_status": "已婚"}),
    ("身份证 11010519491231002x，有效期至2030-01-01",
     {"id_number": "11010519491231002x", "id_expiry": "2030-01-01"}),
    ("年收入大约30万元", {"annual_income": "30万"}),
    ("证件类型选护照，护照号E12345678", {"id_type": "护照", "id_number": "E12345678"}),
    ("会员号：A12345，车牌号是京A12345", {"会员号": "A12345", "车牌号": "京A12345"}),
    ("请把姓名填成张三", {"name": "张三"}),
    ("座机010-62345678，手机13712345678", {"landline": "010-62345678", "phone": "13712345678"}),
    ("我在腾讯上班，职位是产品经理", {"employer": "腾讯", "job_title": "产品经理"}),
    ("这是银行开户申请表，帮我填一下。我叫张三，男，1990年5月12日出生，证件类型是居民身份证，"
     "身份证号 110105199005120137，账户类型选储蓄账户。",
     {"name": "张三", "gender": "男", "birth_date": "1990年5月12日", "id_type": "居民身份证",
      "id_number": "110105199005120137", "account_type": "储蓄账户"}),
    # English
    ("my name is John Smith and my phone is +1 415 555 0134",
     {"name": "John Smith", "phone": "+1 415 555 0134"}),
    ("I'm Jane Doe, female, born on 1990-01-02",
     {"name": "Jane Doe", "gender": "female", "birth_date": "1990-01-02"}),
    ("Name: John Smith; Email: john.smith@example.com; DOB: Jan 2, 1990",
     {"name": "John Smith", "email": "john.smith@example.com", "birth_date": "Jan 2, 1990"}),
    ("I live at 12 Baker Street, London, NW1 6XE and my email is a@b.co",
     {"address": "12 Baker Street, London, NW1 6XE", "email": "a@b.co"}),
    ("I live at 1200 Pine Street, Apt 4B, Seattle, WA 98101. Thanks!",
     {"address": "1200 Pine Street, Apt 4B, Seattle, WA 98101"}),
    ("address: 77 Massachusetts Avenue, city: Cambridge",
     {"address": "77 Massachusetts Avenue", "city": "Cambridge"}),
    ("I work at Acme Ltd, occupation: engineer", {"employer": "Acme Ltd", "occupation": "engineer"}),
    ("I work as a software engineer at Google",
     {"occupation": "software engineer", "employer": "Google"}),
    ("I am male", {"gender": "male"}),
    ("female", {"gender": "female"}),
    ("I'm British, I'm single, I'm a nurse",
     {"nationality": "British", "marital_status": "single", "occupation": "nurse"}),
    ("emergency contact: Grace Garcia, 312.555.0187",
     {"emergency_contact": "Grace Garcia", "emergency_phone": "312.555.0187"}),
    ("in an emergency call Mary Moore at 206-555-0123",
     {"emergency_contact": "Mary Moore", "emergency_phone": "206-555-0123"}),
    ("Policy #: POL-2023-385194, claim amount: 2,165.00 USD",
     {"policy_number": "POL-2023-385194", "claim_amount": "2,165.00"}),
    ("Fill in the form please — Passport No. C86417502, I'll use my passport, ZIP 94105",
     {"id_number": "C86417502", "id_type": "passport", "postcode": "94105"}),
    ("Member ID: 778899", {"Member ID": "778899"}),
    ("Help me complete this shipping form: My name is Kevin Smith, zip code 90029",
     {"name": "Kevin Smith", "postcode": "90029"}),
    ("My employer is Acme Ltd. I live at 5 Main St.",
     {"employer": "Acme Ltd.", "address": "5 Main St."}),
    ("I work at St. Mary's Hospital, phone 13812345678",
     {"employer": "St. Mary's Hospital", "phone": "13812345678"}),
    ("first name Jessica last name Davis", {"first_name": "Jessica", "last_name": "Davis"}),
    ("Hi, I'm Li Lei. My mobile is 13912345678 and email lilei@qq.com.",
     {"name": "Li Lei", "phone": "13912345678", "email": "lilei@qq.com"}),
    ("The incident happened on 2025-02-03 and I'm claiming 2450.00 dollars.",
     {"claim_date": "2025-02-03", "claim_amount": "2450.00"}),
    ("Please fill this in. Thanks!", {}),
    # mixed
    ("My name is 张三, 手机 13812345678", {"name": "张三", "phone": "13812345678"}),
    ("我叫Tom，邮箱tom@example.com", {"name": "Tom", "email": "tom@example.com"}),
    # consent is data too: the mapping ticks the consent box with it
    ("我同意条款", {"consent": "我同意条款"}),
    ("I do not agree to the terms", {}),
]


@pytest.mark.parametrize(("text", "expected"), REQUESTS)
def test_parse_request(text: str, expected: dict[str, str]) -> None:
    data = parse_request(text)
    assert {d.key: d.value for d in data} == expected
    assert len({d.key for d in data}) == len(data)
    for d in data:
        assert d.source == "request"
        assert d.span is not None and text[d.span[0]:d.span[1]] == d.value


def test_requests_table_is_large_enough() -> None:
    assert len(REQUESTS) >= 25


@pytest.mark.parametrize("text", ["请帮我填写这个表格", "帮我填一下，谢谢", "", "   ",
                                  "Can you fill out this form for me?", "张先生，12345"])
def test_no_data_no_values(text: str) -> None:
    assert parse_request(text) == []


def test_span_and_raw_label() -> None:
    text = "姓名：张三，手机号 13812345678，Member ID: 778899"
    data = {d.key: d for d in parse_request(text)}
    assert data["name"].span == (3, 5) and data["name"].raw_label == "姓名"
    assert data["phone"].span == (10, 21) and data["phone"].raw_label == "手机号"
    assert data["Member ID"].raw_label == "Member ID"  # unknown label kept for the mapping
    assert data["Member ID"].span == (33, 39)


def test_last_mention_wins() -> None:
    data = parse_request("手机13800000000，不对，手机是13911112222")
    assert [(d.key, d.value) for d in data] == [("phone", "13911112222")]


def test_bare_values_without_labels() -> None:
    text = "110105194912310021，zs@example.com，+86 139-0000-1111，1988-08-08"
    assert {d.key: d.value for d in parse_request(text)} == {
        "id_number": "110105194912310021", "email": "zs@example.com",
        "phone": "+86 139-0000-1111", "birth_date": "1988-08-08"}
    assert all(d.raw_label is None for d in parse_request(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("DOB 01/02/1990", {"birth_date": "01/02/1990"}),  # labelled: kept as written
    ("02/03/1990", {"birth_date": "02/03/1990"}),  # English text: read MM/DD/YYYY
    ("生日 13/02/1990", {"birth_date": "13/02/1990"}),
    ("男，02/03/1990", {"gender": "男"}),  # bare in Chinese text, DD/MM or MM/DD? not taken
    ("男，13/02/1990", {"gender": "男", "birth_date": "13/02/1990"}),  # unambiguous
    ("02/03/1990出生", {"birth_date": "02/03/1990"}),  # labelled: kept as written
    ("今天是2025-01-01", {}),  # a recent bare date is not a date of birth
    ("邮编100080", {"postcode": "100080"}),
    ("100080", {}),  # six digits without 邮编 are not a postcode
    ("ZIP 94105", {"postcode": "94105"}),
])
def test_date_and_postcode_decisions(text: str, expected: dict[str, str]) -> None:
    assert {d.key: d.value for d in parse_request(text)} == expected


def test_load_profile_from_dict_maps_labels() -> None:
    data = load_profile({"姓名": "张三", "phone": "13800000000", "Date of birth": "1990-01-01",
                         "会员号": "A1", "skip": None, "empty": " ", "age": 30})
    assert [(d.key, d.value, d.raw_label, d.source) for d in data] == [
        ("name", "张三", "姓名", "profile"),
        ("phone", "13800000000", "phone", "profile"),
        ("birth_date", "1990-01-01", "Date of birth", "profile"),
        ("会员号", "A1", "会员号", "profile"),
        ("age", "30", "age", "profile"),
    ]


def test_load_profile_from_file_and_text(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({"手机": "13912345678"}, ensure_ascii=False), encoding="utf-8")
    want = [("phone", "13912345678")]
    assert [(d.key, d.value) for d in load_profile(path)] == want
    assert [(d.key, d.value) for d in load_profile(str(path))] == want
    assert [(d.key, d.value) for d in load_profile('{"Email": "a@b.cn"}')] == [("email", "a@b.cn")]


@pytest.mark.parametrize(("source", "message"), [
    ("{bad json", "profile text is not valid JSON: Expecting property name enclosed in double "
                  "quotes at line 1"),
    ("[1, 2]", "profile must be a JSON object of label → value, not list"),
    ('"text"', "profile must be a JSON object of label → value, not str"),
    ("/nonexistent/profile.json",
     "profile '/nonexistent/profile.json' is neither a readable file nor a JSON object"),
    ({"a": {"b": 1}}, "profile value for 'a' must be text or a number"),
])
def test_load_profile_errors(source: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        load_profile(source)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_load_profile_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not readable"):
        load_profile(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{1: 2}", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^profile '.*bad\.json' is not valid JSON"):
        load_profile(bad)


def test_merge_request_overrides_profile() -> None:
    profile = load_profile({"name": "张三", "phone": "13800000000"})
    request = parse_request("手机13911112222，邮箱a@b.cn")
    merged = merge_user_data(profile, request)
    assert [(d.key, d.value, d.source) for d in merged] == [
        ("name", "张三", "profile"),
        ("phone", "13911112222", "request"),
        ("email", "a@b.cn", "request"),
    ]
    assert merge_user_data([], []) == []
    only = [UserDatum(key="city", value="北京", source="profile")]
    assert merge_user_data(only, []) == only


@pytest.mark.parametrize(("text", "name"), [
    ("Register Li Lei for the event: attending on site", "Li Lei"),
    ("please add John Smith to the list", "John Smith"),
    ("帮陈晨报名开发者大会", "陈晨"),
])
def test_a_person_named_as_the_object_of_a_sign_up(text: str, name: str) -> None:
    assert [(d.key, d.value) for d in parse_request(text) if d.key == "name"] == [("name", name)]


def test_a_named_user_wins_over_a_sign_up_object() -> None:
    data = parse_request("My name is Jane Doe. Register Li Lei for the event")
    assert [d.value for d in data if d.key == "name"] == ["Jane Doe"]
