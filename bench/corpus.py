"""The synthetic corpus: varied forms, chat requests and the answers expected for them.

:func:`people` makes realistic synthetic persons (valid GB 11643 ID numbers, mobiles,
addresses …), :func:`corpus` builds every :class:`Case` — a :class:`~bench.formgen.FormSpec`,
the user's chat request in the form's language, an optional profile and the expected answer::

    {"fields": [{"key", "label", "bbox", "value", "action", "option"}, …],
     "missing": [labels the user gave no value for]}

Dates in expected values are ISO ``YYYY-MM-DD``; phones, IDs and e-mails are as the user
wrote them (scoring compares after removing spaces and dashes); select/radio values are the
option text. Everything is seeded, so the corpus is the same on every run.

    python -m bench.corpus --out bench/out/corpus
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.formgen import FieldSpec, FormSpec, Style, render

# --------------------------------------------------------------------------- ID numbers

_GB_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """GB 11643 check character of the first 17 digits of a resident ID number.

    Written apart from tools.forms.validators on purpose: the ground truth is an independent
    oracle for the validator under test, not a copy of it.
    """
    total = sum(int(c) * w for c, w in zip(first17, _GB_WEIGHTS, strict=True))
    return _GB_CHECK[total % 11]


def make_id_number(region: str, birth: dt.date, male: bool, rng: random.Random) -> str:
    """An 18-character resident ID: region, birth date, sequence (odd = male), check char."""
    seq = rng.randrange(0, 999)
    if (seq % 2 == 1) != male:
        seq = seq + 1 if seq < 998 else seq - 1
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def valid_id_number(value: str) -> bool:
    """True when ``value`` is 18 characters with a correct GB 11643 check character."""
    v = value.strip().upper()
    return len(v) == 18 and v[:17].isdigit() and id_check_char(v[:17]) == v[17]


# --------------------------------------------------------------------------- people

# (region code, province/city prefix, district, streets, postcode, city, landline area code)
_ZH_REGIONS: tuple[tuple[str, str, str, tuple[str, ...], str, str, str], ...] = (
    ("110108", "北京市", "海淀区", ("中关村大街27号", "学院路35号", "知春路甲48号"), "100080",
     "北京市", "010"),
    ("110105", "北京市", "朝阳区", ("建国路88号", "望京西路50号", "朝阳北路101号"), "100022",
     "北京市", "010"),
    ("310104", "上海市", "徐汇区", ("漕溪北路88号", "天钥桥路100号", "虹桥路333号"), "200030",
     "上海市", "021"),
    ("440106", "广东省广州市", "天河区", ("天河路385号", "体育西路103号"), "510620", "广州市", "020"),
    ("440305", "广东省深圳市", "南山区", ("科技园南路16号", "深南大道9988号"), "518057", "深圳市",
     "0755"),
    ("330106", "浙江省杭州市", "西湖区", ("文三路259号", "天目山路176号"), "310013", "杭州市",
     "0571"),
    ("510107", "四川省成都市", "武侯区", ("人民南路四段12号", "科华北路65号"), "610041", "成都市",
     "028"),
    ("420111", "湖北省武汉市", "洪山区", ("珞喻路1037号", "光谷大道77号"), "430074", "武汉市",
     "027"),
    ("320102", "江苏省南京市", "玄武区", ("中山路18号", "北京东路41号"), "210018", "南京市", "025"),
)
_ZH_SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("林", "lin"), ("何", "he"),
    ("高", "gao"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"),
)
_ZH_COMPOUND = (("欧阳", "ouyang"), ("司马", "sima"), ("诸葛", "zhuge"))
_ZH_GIVEN_M = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"),
    ("涛", "tao"), ("明", "ming"), ("浩", "hao"), ("鹏", "peng"), ("建国", "jianguo"),
    ("志强", "zhiqiang"), ("晓东", "xiaodong"), ("子轩", "zixuan"), ("俊杰", "junjie"),
    ("浩然", "haoran"), ("文博", "wenbo"), ("宇航", "yuhang"), ("振华", "zhenhua"),
)
_ZH_GIVEN_F = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("婷", "ting"),
    ("雪", "xue"), ("秀英", "xiuying"), ("欣怡", "xinyi"), ("雨涵", "yuhan"), ("佳怡", "jiayi"),
    ("梓萱", "zixuan"), ("思雨", "siyu"), ("晓梅", "xiaomei"), ("丽娟", "lijuan"),
    ("慧敏", "huimin"), ("静怡", "jingyi"), ("海燕", "haiyan"),
)
_ZH_OCCUPATIONS = ("软件工程师", "中学教师", "会计", "医生", "护士", "销售经理", "平面设计师",
                   "律师", "公务员", "研究员", "财务分析师", "建筑设计师")
_ZH_EMPLOYERS = ("北京华信科技有限公司", "上海明远会计师事务所", "广州康泰医疗器械有限公司",
                 "深圳云启网络科技有限公司", "杭州青禾教育咨询有限公司", "成都蓝海物流有限公司",
                 "南京天衡律师事务所", "武汉鼎盛建筑工程有限公司")
_ZH_TITLES = ("项目经理", "高级工程师", "部门主管", "财务主管", "销售代表", "人事专员", "产品经理")
_ZH_ETHNIC = ("汉族", "汉族", "汉族", "汉族", "回族", "满族", "壮族", "蒙古族")
_ZH_EDU = ("高中及以下", "大专", "本科", "硕士", "博士")
_ZH_EMAIL_DOMAINS = ("163.com", "qq.com", "126.com", "sina.com", "example.com")

_EN_FIRST_M = ("James", "John", "Robert", "Michael", "David", "William", "Daniel", "Matthew",
               "Andrew", "Ryan", "Thomas", "Kevin")
_EN_FIRST_F = ("Mary", "Jennifer", "Linda", "Sarah", "Emily", "Jessica", "Laura", "Olivia",
               "Emma", "Sophia", "Hannah", "Grace")
_EN_LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia",
            "Wilson", "Anderson", "Taylor", "Moore", "Martin", "Walker", "Hall", "Young", "Clark",
            "Lewis")
# street, city, state, ZIP, area code
_EN_ADDRESSES = (
    ("450 Mission Street", "San Francisco", "CA", "94105", "415"),
    ("1200 Pine Street, Apt 4B", "Seattle", "WA", "98101", "206"),
    ("77 Massachusetts Avenue", "Cambridge", "MA", "02139", "617"),
    ("350 Fifth Avenue", "New York", "NY", "10118", "212"),
    ("2100 Lake Shore Drive", "Chicago", "IL", "60616", "312"),
    ("820 Congress Avenue", "Austin", "TX", "78701", "512"),
    ("15 Peachtree Street NE", "Atlanta", "GA", "30303", "404"),
    ("4020 Sunset Boulevard", "Los Angeles", "CA", "90029", "323"),
)
_EN_OCCUPATIONS = ("Software engineer", "Registered nurse", "Accountant", "High school teacher",
                   "Graphic designer", "Sales manager", "Civil engineer", "Pharmacist")
_EN_EMPLOYERS = ("Northwind Traders", "Contoso Ltd.", "Fabrikam Inc.", "Acme Analytics Inc.",
                 "Blue Harbor Logistics", "Summit Health Partners", "Redwood Design Studio")
_EN_TITLES = ("Senior software engineer", "Project manager", "Marketing coordinator",
              "Data analyst", "Operations manager", "Product designer")
_EN_EDU = ("High school", "Associate degree", "Bachelor's degree", "Master's degree", "Doctorate")


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _zh_name(rng: random.Random, male: bool) -> tuple[str, str, str, str]:
    """(name, surname, surname pinyin, given pinyin); 2-3 characters."""
    given = _ZH_GIVEN_M if male else _ZH_GIVEN_F
    if rng.random() < 0.08:
        sur, sur_py = rng.choice(_ZH_COMPOUND)
        g, g_py = rng.choice([x for x in given if len(x[0]) == 1])
    else:
        sur, sur_py = rng.choice(_ZH_SURNAMES)
        g, g_py = rng.choice(given)
    return sur + g, sur, sur_py, g_py


def people(lang: str, rng: random.Random) -> dict[str, str]:
    """One synthetic person: a value for every canonical key (dates ISO, phones bare digits).

    ``gender``, ``id_type``, ``education``, ``marital_status`` and ``account_type`` hold option
    texts of the corpus forms (男/女, Male/Female, 居民身份证, Passport, 储蓄账户, …).
    """
    male = rng.random() < 0.5
    birth = _date_between(rng, dt.date(1962, 1, 1), dt.date(2003, 12, 31))
    if lang == "zh":
        name, surname, sur_py, g_py = _zh_name(rng, male)
        region, prefix, district, streets, postcode, city, area = rng.choice(_ZH_REGIONS)
        street = rng.choice(streets)
        if rng.random() < 0.6:
            street += (f"{rng.randint(1, 12)}号楼{rng.randint(1, 4)}单元"
                       f"{rng.randint(1, 18)}0{rng.randint(1, 4)}室")
        mail_user = rng.choice((f"{g_py}{sur_py}{rng.randint(1, 99)}", f"{sur_py}.{g_py}",
                                f"{sur_py}{g_py}{birth.year % 100:02d}"))
        domain = rng.choice(_ZH_EMAIL_DOMAINS)
        if domain == "qq.com" and rng.random() < 0.5:
            mail_user = str(rng.randint(10_000_000, 2_999_999_999))
        contact_male = rng.random() < 0.5
        return {
            "name": name, "first_name": name[len(surname):], "last_name": surname,
            "gender": "男" if male else "女", "birth_date": birth.isoformat(),
            "nationality": "中国", "ethnicity": rng.choice(_ZH_ETHNIC), "id_type": "居民身份证",
            "id_number": make_id_number(region, birth, male, rng),
            "id_expiry": _date_between(rng, dt.date(2027, 1, 1), dt.date(2042, 12, 31)).isoformat(),
            "phone": "1" + rng.choice("3456789") + "".join(rng.choice("0123456789")
                                                           for _ in range(9)),
            "landline": f"{area}-{rng.randint(5, 8)}{rng.randint(100, 999)}{rng.randint(1000, 9999)}",
            "email": f"{mail_user}@{domain}", "address": f"{prefix}{district}{street}",
            "city": city, "postcode": postcode, "country": "中国",
            "occupation": rng.choice(_ZH_OCCUPATIONS), "employer": rng.choice(_ZH_EMPLOYERS),
            "job_title": rng.choice(_ZH_TITLES), "marital_status": rng.choice(("未婚", "已婚")),
            "education": rng.choice(_ZH_EDU[1:]), "annual_income": str(rng.randint(6, 60) * 10000),
            "account_type": "储蓄账户", "emergency_contact": _zh_name(rng, contact_male)[0],
            "emergency_phone": "1" + rng.choice("3589") + "".join(rng.choice("0123456789")
                                                                  for _ in range(9)),
            "policy_number": rng.choice(("PDAA", "PEAB", "PZHA"))
            + f"{rng.randint(2019, 2024)}{rng.randint(11000000, 99999999)}",
            "claim_date": _date_between(rng, dt.date(2024, 6, 1), dt.date(2025, 5, 31)).isoformat(),
            "claim_amount": str(rng.choice((rng.randint(8, 400) * 50, rng.randint(1000, 30000)))),
            "signature_date": _date_between(rng, dt.date(2025, 6, 1), dt.date(2025, 9, 30)).isoformat(),
        }
    first = rng.choice(_EN_FIRST_M if male else _EN_FIRST_F)
    last = rng.choice(_EN_LAST)
    street, city, state, zipc, area = rng.choice(_EN_ADDRESSES)
    c_first = rng.choice(_EN_FIRST_M + _EN_FIRST_F)
    return {
        "name": f"{first} {last}", "first_name": first, "last_name": last,
        "gender": "Male" if male else "Female", "birth_date": birth.isoformat(),
        "nationality": "American", "ethnicity": "", "id_type": "Passport",
        "id_number": rng.choice("ACEX") + f"{rng.randint(10_000_000, 99_999_999)}",
        "id_expiry": _date_between(rng, dt.date(2027, 1, 1), dt.date(2035, 12, 31)).isoformat(),
        "phone": f"{area}555{rng.randint(100, 199):04d}",
        "landline": f"{area}555{rng.randint(100, 199):04d}",
        "email": rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}"))
        .lower() + "@" + rng.choice(("example.com", "example.org", "mail.example.net")),
        "address": street, "city": city, "state": state, "postcode": zipc,
        "country": "United States", "occupation": rng.choice(_EN_OCCUPATIONS),
        "employer": rng.choice(_EN_EMPLOYERS), "job_title": rng.choice(_EN_TITLES),
        "marital_status": rng.choice(("Single", "Married")), "education": rng.choice(_EN_EDU[1:]),
        "annual_income": str(rng.randint(35, 180) * 1000), "account_type": "Checking account",
        "emergency_contact": f"{c_first} {rng.choice(_EN_LAST)}",
        "emergency_phone": f"{area}555{rng.randint(100, 199):04d}",
        "policy_number": f"POL-{rng.randint(2019, 2024)}-{rng.randint(100000, 999999)}",
        "claim_date": _date_between(rng, dt.date(2024, 6, 1), dt.date(2025, 5, 31)).isoformat(),
        "claim_amount": rng.choice((f"{rng.randint(200, 9000)}.00", str(rng.randint(150, 6000)))),
        "signature_date": _date_between(rng, dt.date(2025, 6, 1), dt.date(2025, 9, 30)).isoformat(),
    }


# --------------------------------------------------------------------------- field catalogue

_CONSENT_ZH = "本人已阅读并同意以上条款"
_CONSENT_EN = "I agree to the terms and conditions"

_CATALOG: dict[str, dict[str, dict[str, Any]]] = {
    "zh": {
        "name": {"label": "姓名"},
        "first_name": {"label": "名"},
        "last_name": {"label": "姓"},
        "gender": {"label": "性别", "kind": "radio", "options": ["男", "女"]},
        "birth_date": {"label": "出生日期", "kind": "date", "placeholder": "YYYY-MM-DD"},
        "nationality": {"label": "国籍"},
        "ethnicity": {"label": "民族"},
        "id_type": {"label": "证件类型", "kind": "select",
                    "options": ["居民身份证", "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证"]},
        "id_number": {"label": "证件号码"},
        "id_expiry": {"label": "证件有效期", "kind": "date", "placeholder": "YYYY-MM-DD"},
        "phone": {"label": "手机号码", "placeholder": "请输入手机号"},
        "landline": {"label": "固定电话"},
        "email": {"label": "电子邮箱"},
        "address": {"label": "联系地址"},
        "city": {"label": "所在城市"},
        "postcode": {"label": "邮政编码"},
        "country": {"label": "国家/地区"},
        "occupation": {"label": "职业"},
        "employer": {"label": "工作单位"},
        "job_title": {"label": "职务"},
        "marital_status": {"label": "婚姻状况", "kind": "radio", "options": ["未婚", "已婚"]},
        "education": {"label": "学历", "kind": "select", "options": list(_ZH_EDU)},
        "annual_income": {"label": "年收入（元）"},
        "account_type": {"label": "账户类型", "kind": "select",
                         "options": ["储蓄账户", "活期账户", "定期账户"]},
        "emergency_contact": {"label": "紧急联系人"},
        "emergency_phone": {"label": "紧急联系人电话"},
        "policy_number": {"label": "保单号码"},
        "claim_date": {"label": "出险日期", "kind": "date", "placeholder": "YYYY-MM-DD"},
        "claim_amount": {"label": "索赔金额（元）"},
        "signature_date": {"label": "填表日期", "kind": "date"},
        "consent": {"label": _CONSENT_ZH, "kind": "checkbox", "options": [_CONSENT_ZH]},
    },
    "en": {
        "name": {"label": "Full name"},
        "first_name": {"label": "First name"},
        "last_name": {"label": "Last name"},
        "gender": {"label": "Gender", "kind": "radio", "options": ["Male", "Female"]},
        "birth_date": {"label": "Date of birth", "kind": "date", "placeholder": "YYYY-MM-DD"},
        "nationality": {"label": "Nationality"},
        "id_type": {"label": "ID type", "kind": "select",
                    "options": ["Passport", "Driver's license", "National ID card"]},
        "id_number": {"label": "Passport number"},
        "id_expiry": {"label": "Expiry date", "kind": "date", "placeholder": "YYYY-MM-DD"},
        "phone": {"label": "Phone number"},
        "landline": {"label": "Home phone"},
        "email": {"label": "Email address"},
        "address": {"label": "Address"},
        "city": {"label": "City"},
        "postcode": {"label": "ZIP code"},
        "country": {"label": "Country", "kind": "select",
                    "options": ["United States", "Canada", "United Kingdom", "Australia"]},
        "occupation": {"label": "Occupation"},
        "employer": {"label": "Employer"},
        "job_title": {"label": "Job title"},
        "marital_status": {"label": "Marital status", "kind": "radio",
                           "options": ["Single", "Married", "Divorced"]},
        "education": {"label": "Highest education", "kind": "select", "options": list(_EN_EDU)},
        "annual_income": {"label": "Annual income (USD)"},
        "account_type": {"label": "Account type", "kind": "select",
                         "options": ["Checking account", "Savings account"]},
        "emergency_contact": {"label": "Emergency contact"},
        "emergency_phone": {"label": "Emergency contact phone"},
        "policy_number": {"label": "Policy number"},
        "claim_date": {"label": "Claim date", "kind": "date", "placeholder": "YYYY-MM-DD"},
        "claim_amount": {"label": "Claim amount (USD)"},
        "signature_date": {"label": "Date signed", "kind": "date"},
        "consent": {"label": _CONSENT_EN, "kind": "checkbox", "options": [_CONSENT_EN]},
    },
}


def field_spec(lang: str, key: str, **over: Any) -> FieldSpec:
    """A :class:`FieldSpec` for ``key`` from the catalogue, with overrides."""
    base = dict(_CATALOG[lang][key])
    base.update(over)
    if base.get("kind") == "checkbox" and key == "consent" and "label" in over:
        base["options"] = [base["label"]]
    return FieldSpec(key=key, **base)


# --------------------------------------------------------------------------- request phrasing

_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def _fmt_date(lang: str, iso: str, rng: random.Random) -> str:
    d = dt.date.fromisoformat(iso)
    if lang == "zh":
        return rng.choice((f"{d.year}年{d.month}月{d.day}日", d.isoformat(),
                           f"{d.year}/{d.month:02d}/{d.day:02d}", f"{d.year}.{d.month}.{d.day}",
                           f"{d.year}年{d.month}月{d.day}日"))
    forms = [d.isoformat(), f"{_EN_MONTHS[d.month - 1]} {d.day}, {d.year}",
             f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"]
    if d.day > 12:
        forms.append(f"{d.month:02d}/{d.day:02d}/{d.year}")
    return rng.choice(forms)


def _fmt_phone(lang: str, digits: str, rng: random.Random) -> str:
    if not digits.isdigit():
        return digits
    if lang == "zh":
        return rng.choice((digits, digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}",
                           f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"))
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice((f"+1 {a} {b} {c}", f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}"))


_ZH_PHRASES: dict[str, tuple[str, ...]] = {
    "name": ("我叫{v}", "姓名：{v}", "本人{v}", "名字是{v}", "我是{v}"),
    "gender": ("{v}", "性别{v}", "性别：{v}"),
    "birth_date": ("{v}出生", "出生日期{v}", "生日是{v}", "出生于{v}"),
    "nationality": ("国籍{v}", "国籍：{v}"),
    "ethnicity": ("{v}", "民族：{v}"),
    "id_type": ("证件类型选{v}", "证件类型：{v}", "证件用{v}"),
    "id_number": ("身份证号{v}", "身份证号码：{v}", "身份证 {v}", "证件号码是{v}"),
    "id_expiry": ("证件有效期至{v}", "身份证有效期到{v}"),
    "phone": ("手机{v}", "手机号：{v}", "手机号码是{v}", "联系电话{v}"),
    "landline": ("座机{v}", "固定电话：{v}"),
    "email": ("邮箱{v}", "电子邮箱：{v}", "邮箱是{v}", "{v}"),
    "address": ("住在{v}", "地址：{v}", "家住{v}", "联系地址是{v}"),
    "city": ("所在城市：{v}", "现居{v}", "城市是{v}"),
    "postcode": ("邮编{v}", "邮政编码：{v}"),
    "country": ("国家：{v}",),
    "occupation": ("职业是{v}", "我是一名{v}", "职业：{v}"),
    "employer": ("在{v}工作", "工作单位：{v}", "单位是{v}"),
    "job_title": ("职务是{v}", "职位：{v}", "现任{v}"),
    "marital_status": ("{v}", "婚姻状况：{v}"),
    "education": ("学历{v}", "最高学历：{v}", "{v}学历"),
    "annual_income": ("年收入{v}元", "年收入大约{v}元"),
    "account_type": ("开一个{v}", "账户类型选{v}", "想办{v}"),
    "emergency_contact": ("紧急联系人是{v}", "紧急联系人：{v}"),
    "emergency_phone": ("紧急联系人电话{v}", "紧急联系电话：{v}"),
    "policy_number": ("保单号{v}", "保单号码：{v}"),
    "claim_date": ("出险日期{v}", "事故发生在{v}", "出险时间是{v}"),
    "claim_amount": ("索赔金额{v}元", "申请理赔{v}元", "索赔金额：{v}"),
    "signature_date": ("填表日期{v}", "日期写{v}"),
}
_EN_PHRASES: dict[str, tuple[str, ...]] = {
    "name": ("My name is {v}", "Name: {v}", "I'm {v}", "full name {v}"),
    "gender": ("I'm {lv}", "gender: {lv}", "sex {lv}"),
    "birth_date": ("born {v}", "date of birth: {v}", "DOB {v}", "my birthday is {v}"),
    "nationality": ("nationality: {v}", "I'm {v}"),
    "id_type": ("ID type: {v}", "I'll use my {lv}"),
    "id_number": ("passport number {v}", "Passport No. {v}", "my passport is {v}"),
    "id_expiry": ("passport expires {v}", "expiry date {v}"),
    "phone": ("phone {v}", "my number is {v}", "Phone: {v}", "cell {v}"),
    "landline": ("home phone {v}",),
    "email": ("email {v}", "E-mail: {v}", "{v}", "you can reach me at {v}"),
    "address": ("I live at {v}", "address: {v}", "my home address is {v}"),
    "city": ("city: {v}", "in {v}"),
    "postcode": ("ZIP {v}", "Postcode: {v}", "zip code {v}"),
    "country": ("country: {v}",),
    "occupation": ("occupation: {v}", "I work as a {lv}"),
    "employer": ("I work at {v}", "employer: {v}", "current employer {v}"),
    "job_title": ("job title: {v}", "position: {v}"),
    "marital_status": ("I'm {lv}", "marital status: {v}"),
    "education": ("highest degree: {v}", "education: {v}"),
    "annual_income": ("annual income {v}", "I earn {v} a year"),
    "account_type": ("I'd like a {lv}", "account type: {v}"),
    "emergency_contact": ("emergency contact: {v}",),
    "emergency_phone": ("emergency phone {v}",),
    "policy_number": ("policy number {v}", "Policy #: {v}", "policy no. {v}"),
    "claim_date": ("the incident happened on {v}", "claim date {v}", "date of loss {v}"),
    "claim_amount": ("I'm claiming {v} dollars", "claim amount: {v}", "amount {v} USD"),
    "signature_date": ("signature date {v}", "today's date is {v}"),
}
_DATE_KEYS = {"birth_date", "id_expiry", "claim_date", "signature_date"}
_PHONE_KEYS = {"phone", "emergency_phone", "landline"}


def _phrase(lang: str, key: str, value: str, rng: random.Random, avoid: set[str]) -> tuple[str, str]:
    """(phrase for the request, value as written there)."""
    if key in _DATE_KEYS:
        written = _fmt_date(lang, value, rng)
    elif key in _PHONE_KEYS:
        written = _fmt_phone(lang, value, rng)
    else:
        written = value
    table = _ZH_PHRASES if lang == "zh" else _EN_PHRASES
    options = [t for t in table[key] if not any(a in t for a in avoid)] or list(table[key])
    tmpl = rng.choice(options)
    return tmpl.format(v=written, lv=written.lower()), written


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One corpus entry: the form, what the user says, and what the answer should be."""

    spec: FormSpec
    request: str
    profile: dict[str, str] | None
    expected: dict[str, Any]
    truth: dict[str, Any] = field(default_factory=dict)


def expected_for(truth: dict[str, Any], values: dict[str, str], consent: bool) -> dict[str, Any]:
    """The expected answer: what to fill (``values``: key → expected value) and what is missing.

    Radio fields yield the one option whose text equals the value; the consent checkbox is
    checked only when ``consent``; every other field with no value is listed in ``missing``.
    """
    fields: list[dict[str, Any]] = []
    missing: list[str] = []
    seen: set[str] = set()
    for t in truth["fields"]:
        key, kind = t["key"], t["kind"]
        if key == "consent":
            if consent:
                fields.append({"key": key, "label": t["label"], "bbox": t["bbox"],
                               "value": t["option"], "action": "check", "option": t["option"]})
            continue
        if key not in values:
            if key not in seen:
                missing.append(t["label"])
            seen.add(key)
            continue
        seen.add(key)
        value = values[key]
        if kind in ("radio", "checkbox"):
            if t["option"] == value:
                fields.append({"key": key, "label": t["label"], "bbox": t["bbox"],
                               "value": value, "action": "check", "option": value})
            continue
        action = "select_option" if kind == "select" else "input_text"
        fields.append({"key": key, "label": t["label"], "bbox": t["bbox"], "value": value,
                       "action": action, "option": None})
    return {"fields": fields, "missing": missing}


_BANDS = ("#1f4e99", "#0b6e4f", "#8b1e3f", "#2f3e4e", "#b35c00", "#3b5bdb")
_BORDERS = ("#c0c0c0", "#c0c0c0", "#d0d0d0", "#8c8c8c", "#595959")
_LABEL_COLORS = ("#333333", "#262626", "#4a4a4a", "#1f1f1f", "#555555")


def _style(lang: str, rng: random.Random, **over: Any) -> Style:
    band = rng.choice((None, None, *_BANDS))
    accent = band or rng.choice(("#1677ff", "#2f6fde", "#0b6e4f", "#c0392b"))
    suffix = rng.choice(("：", "：", "")) if lang == "zh" else rng.choice((":", "", ""))
    knobs: dict[str, Any] = {
        "border": rng.choice(_BORDERS), "border_width": rng.choice((1, 1, 1, 2)),
        "fill": rng.choice(("#ffffff", "#ffffff", "#f7f7f7")),
        "radius": rng.choice((0, 2, 4, 4, 6)), "label_color": rng.choice(_LABEL_COLORS),
        "label_align": rng.choice(("left", "right")), "label_suffix": suffix,
        "title_bold": rng.random() < 0.85, "title_align": rng.choice(("center", "center", "left")),
        "header_band": band, "accent": accent,
        "font": rng.choice(("noto", "dejavu")) if lang == "en" else "noto",
        "input_height": rng.choice((32, 34, 36, 38, 40)), "row_gap": rng.choice((16, 18, 20, 24)),
        "section_style": rng.choice(("bar", "band", "rule")),
        "button_align": rng.choice(("center", "left")),
        "table_label_fill": rng.choice(("#f2f2f2", "#f5f7fa", None)),
        "underline_width": rng.choice((1, 2)),
    }
    knobs.update(over)
    if over.get("header_band") and "accent" not in over:
        knobs["accent"] = over["header_band"]
    return Style(**knobs)


_ZH_INTROS = ("这是{form}，帮我填一下。", "帮我填这张{form}：", "请帮我填写这个表格。", "{form}，麻烦帮我填好。",
              "", "帮我把这个表填了，")
_ZH_OUTROS = ("", "谢谢！", "帮我填一下。", "其他的先空着。")
_EN_INTROS = ("Please fill this in.", "Can you fill out this {form} for me?",
              "Help me complete this {form}:", "", "Fill in the form please —")
_EN_OUTROS = ("", "Thanks!", "Leave anything else blank.", "Thank you.")


def build_request(lang: str, form_name: str, said: list[tuple[str, str]], consent: bool,
                  rng: random.Random, list_style: bool = False,
                  field_labels: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """Compose the chat request for ``said`` (key, canonical value) pairs.

    Returns the text and, per key, the value as written (dates in whatever format was used).
    """
    keys = {k for k, _ in said}
    avoid: dict[str, set[str]] = {}
    if "landline" in keys:
        avoid["phone"] = {"联系电话", "phone {v}"}
    if "occupation" in keys:
        avoid["job_title"] = {"现任"}
    if "id_type" in keys:
        avoid["id_number"] = {"身份证号", "身份证 "}
    written: dict[str, str] = {}
    parts: list[str] = []
    vals = dict(said)
    for key, value in said:
        if key == "emergency_phone" and "emergency_contact" in keys:
            continue
        if list_style and field_labels and key in field_labels:
            w = (_fmt_date(lang, value, rng) if key in _DATE_KEYS
                 else _fmt_phone(lang, value, rng) if key in _PHONE_KEYS else value)
            sep = "：" if lang == "zh" else ": "
            parts.append(f"{field_labels[key]}{sep}{w}")
            written[key] = w
            if key == "emergency_contact" and "emergency_phone" in keys:
                wp = _fmt_phone(lang, vals["emergency_phone"], rng)
                parts.append(f"{field_labels['emergency_phone']}{sep}{wp}")
                written["emergency_phone"] = wp
            continue
        if key == "emergency_contact" and "emergency_phone" in keys:
            wp = _fmt_phone(lang, vals["emergency_phone"], rng)
            if lang == "zh":
                text = rng.choice((f"紧急联系人是{value}，电话{wp}", f"紧急联系人{value}（{wp}）",
                                   f"紧急联系人：{value}，联系电话{wp}"))
            else:
                text = rng.choice((f"emergency contact: {value}, {wp}",
                                   f"in an emergency call {value} at {wp}"))
            parts.append(text)
            written[key], written["emergency_phone"] = value, wp
            continue
        if key == "first_name" and "last_name" in keys and lang == "en":
            last = vals["last_name"]
            text = rng.choice((f"first name {value}, last name {last}",
                               f"First name: {value}. Last name: {last}",
                               f"my name is {value} {last}"))
            parts.append(text)
            written[key], written["last_name"] = value, last
            continue
        if key == "last_name" and "first_name" in keys and lang == "en":
            continue
        text, w = _phrase(lang, key, value, rng, avoid.get(key, set()))
        parts.append(text)
        written[key] = w
    if consent:
        parts.append(rng.choice(("我同意条款", "同意以上条款", "条款我已阅读并同意") if lang == "zh"
                                else ("I agree to the terms", "I accept the terms and conditions",
                                      "tick the box, I agree to the terms")))
    intro = rng.choice(_ZH_INTROS if lang == "zh" else _EN_INTROS).format(form=form_name)
    outro = rng.choice(_ZH_OUTROS if lang == "zh" else _EN_OUTROS)
    if list_style:
        body = "\n".join(parts)
        text = f"{intro}\n{body}\n{outro}".strip()
    elif lang == "zh":
        body = "，".join(parts) + "。"
        text = f"{intro}{body}{outro}"
    else:
        body = ", ".join(parts) + "."
        body = body[0].upper() + body[1:]
        text = f"{intro} {body} {outro}".strip()
    return text, written


# A case: id, lang, layout, columns, width, title, form name (for the request), sections
# [(section title | None, layout | None, [key | (key, overrides)])], missing keys,
# profile keys, consent, and form knobs.
_CASES: tuple[dict[str, Any], ...] = (
    # ------------------------------------------------------------------ zh
    {"id": "zh_bank_left", "lang": "zh", "layout": "left", "columns": 1, "width": 1000,
     "title": "个人银行账户开户申请表", "form": "银行开户申请表",
     "subtitle": "请如实填写以下信息，带 * 号的为必填项。",
     "sections": [(None, None, ["name", "gender", "birth_date", "nationality", "id_type",
                                "id_number", "phone", "email", ("address", {"width": 620}),
                                "postcode", "occupation", "employer", "account_type",
                                "emergency_contact", "emergency_phone", "consent"])],
     "required": ["name", "id_number", "phone"], "missing": ["nationality", "employer"],
     "consent": True, "style": {"header_band": "#1f4e99"}, "input_width": 420,
     "signature_line": True, "footer": "注：本表一式两联，第一联银行留存，第二联客户留存。"},
    {"id": "zh_hospital_left2", "lang": "zh", "layout": "left", "columns": 2, "width": 1200,
     "title": "门诊患者信息登记表", "form": "挂号登记表",
     "sections": [(None, None, [("name", {"label": "患者姓名"}), "gender", "birth_date",
                                ("id_number", {"label": "身份证号码"}), "phone",
                                "marital_status", "occupation",
                                ("address", {"label": "现住址", "kind": "textarea"}),
                                "emergency_contact", "emergency_phone"])],
     "required": ["name", "phone"], "missing": ["marital_status"], "consent": None,
     "style": {"fill": "#f7f7f7", "radius": 0}, "footer": "请患者或家属核对信息后签字确认。",
     "signature_line": True, "signature_text": "患者/家属签名"},
    {"id": "zh_member_left", "lang": "zh", "layout": "left", "columns": 1, "width": 800,
     "title": "会员注册", "form": "会员注册表",
     "sections": [(None, None, ["name", "phone", ("email", {"placeholder": "例如 name@163.com"}),
                                "birth_date", "gender", "city",
                                ("consent", {"label": "我已阅读并同意《会员服务协议》"})])],
     "missing": ["city"], "consent": True, "input_width": 380,
     "style": {"header_band": None, "border": "#d0d0d0", "radius": 6}, "submit": "立即注册"},
    {"id": "zh_school_above2", "lang": "zh", "layout": "above", "columns": 2, "width": 1100,
     "title": "新生入学登记表", "form": "入学登记表",
     "subtitle": "请家长填写学生基本信息，提交后不可修改。",
     "sections": [("学生信息", None, [("name", {"label": "学生姓名"}), "gender", "birth_date",
                                      "ethnicity", ("id_number", {"label": "身份证号码"}),
                                      ("address", {"label": "家庭住址", "full_row": True}),
                                      "postcode"]),
                  ("监护人信息", None, [("emergency_contact", {"label": "监护人姓名"}),
                                        ("emergency_phone", {"label": "监护人电话"})])],
     "missing": ["ethnicity", "postcode"], "consent": None, "secondary": "重置"},
    {"id": "zh_register_placeholder", "lang": "zh", "layout": "placeholder", "columns": 1,
     "width": 1280, "title": "注册账号", "form": "注册表",
     "subtitle": "填写以下信息完成实名注册",
     "sections": [(None, None, [("name", {"placeholder": "请输入姓名"}),
                                ("phone", {"placeholder": "请输入手机号码"}),
                                ("email", {"placeholder": "电子邮箱"}),
                                ("birth_date", {"placeholder": "出生日期"}),
                                ("id_type", {"placeholder": "证件类型"}),
                                ("id_number", {"placeholder": "证件号码"}),
                                ("consent", {"label": "我已阅读并同意《用户协议》和《隐私政策》"})])],
     "missing": ["email"], "consent": True,
     "style": {"page_bg": "#f0f2f5", "card_width": 560, "header_band": None,
               "title_align": "center", "button_align": "center"}, "submit": "注册"},
    {"id": "zh_express_placeholder2", "lang": "zh", "layout": "placeholder", "columns": 2,
     "width": 1200, "title": "填写收件信息", "form": "寄件单",
     "sections": [("收件人", None, [("name", {"placeholder": "收件人姓名"}),
                                    ("phone", {"placeholder": "手机号码"}),
                                    ("city", {"placeholder": "所在城市"}),
                                    ("postcode", {"placeholder": "邮政编码"}),
                                    ("address", {"placeholder": "详细地址（街道、门牌号）",
                                                 "kind": "textarea"}),
                                    ("landline", {"placeholder": "固定电话（选填）"})])],
     "missing": ["landline", "postcode"], "consent": None, "submit": "下一步",
     "style": {"fill": "#ffffff", "border": "#d9d9d9"}},
    {"id": "zh_personal_table2", "lang": "zh", "layout": "table", "columns": 2, "width": 1000,
     "title": "个人信息登记表", "form": "个人信息登记表",
     "sections": [(None, None, ["name", "gender", "birth_date", "ethnicity",
                                ("id_number", {"label": "身份证号码"}), "marital_status",
                                ("phone", {"label": "联系电话", "placeholder": None}),
                                ("email", {}), ("address", {"label": "家庭住址", "full_row": True}),
                                "employer", "job_title"])],
     "missing": ["job_title", "email"], "consent": None, "signature_line": True,
     "list_style": True},
    {"id": "zh_onboard_table", "lang": "zh", "layout": "table", "columns": 2, "width": 1200,
     "title": "员工入职登记表", "form": "入职登记表",
     "subtitle": "新员工请于入职当天填写本表并交人力资源部。",
     "sections": [(None, None, ["name", "gender", "birth_date", "education",
                                ("id_number", {"label": "身份证号码"}),
                                ("phone", {"placeholder": None}),
                                ("job_title", {"label": "应聘岗位"}), "email",
                                ("address", {"label": "现居住地址", "full_row": True}),
                                "emergency_contact", "emergency_phone"])],
     "missing": ["emergency_contact", "emergency_phone"], "profile": ["name", "id_number", "phone"],
     "consent": None},
    {"id": "zh_claim_underline", "lang": "zh", "layout": "underline", "columns": 1, "width": 900,
     "title": "保险理赔申请书", "form": "理赔申请书",
     "subtitle": "申请人应如实填写，如有隐瞒将影响理赔结果。",
     "sections": [(None, None, [("name", {"label": "被保险人姓名", "width": 300}),
                                ("policy_number", {"width": 360}),
                                ("id_number", {"label": "身份证号码", "width": 360}),
                                ("phone", {"label": "联系电话", "placeholder": None, "width": 300}),
                                ("claim_date", {"placeholder": None, "width": 240}),
                                ("claim_amount", {"width": 240}),
                                ("address", {"width": 560})])],
     "missing": ["address"], "consent": None, "signature_line": True,
     "style": {"title_align": "center", "header_band": None}},
    {"id": "zh_hotel_underline2", "lang": "zh", "layout": "underline", "columns": 2,
     "width": 1000, "title": "旅客入住登记表", "form": "入住登记表",
     "sections": [(None, None, [("name", {"label": "姓名"}), "gender", "nationality",
                                ("id_type", {}), ("id_number", {}),
                                ("phone", {"label": "联系电话", "placeholder": None}),
                                ("address", {"label": "户籍地址", "full_row": True})])],
     "missing": ["nationality"], "consent": None, "signature_line": True},
    {"id": "zh_visa_mixed", "lang": "zh", "layout": "mixed", "columns": 2, "width": 1200,
     "title": "签证申请表", "form": "签证申请表",
     "subtitle": "请使用中文填写；所有日期格式为 YYYY-MM-DD。",
     "sections": [("一、基本信息", "left", ["name", "gender", "birth_date", "nationality",
                                           "marital_status"]),
                  ("二、证件信息", "table", ["id_type", ("id_number", {}), "id_expiry"]),
                  ("三、联系方式", "above", ["phone", "email",
                                           ("address", {"full_row": True})]),
                  ("四、工作信息", "underline", ["occupation", "employer"])],
     "missing": ["id_expiry", "employer"], "consent": None,
     "style": {"header_band": "#8b1e3f"}},
    {"id": "zh_creditcard_mixed", "lang": "zh", "layout": "mixed", "columns": 1, "width": 960,
     "title": "信用卡申请表", "form": "信用卡申请表",
     "sections": [("申请人资料", "left", ["name", "gender", "birth_date",
                                         ("id_number", {"label": "身份证号码"}), "education",
                                         "marital_status"]),
                  ("联系信息", "placeholder", [("phone", {"placeholder": "手机号码"}),
                                              ("email", {"placeholder": "电子邮箱"}),
                                              ("address", {"placeholder": "通讯地址"})]),
                  ("职业信息", "underline", ["employer", "job_title", "annual_income"]),
                  (None, None, ["consent"])],
     "missing": ["education", "job_title"], "consent": True, "signature_line": True,
     "input_width": 460},
    {"id": "zh_rental_mixed", "lang": "zh", "layout": "mixed", "columns": 2, "width": 1100,
     "title": "租客信息登记表", "form": "租客登记表",
     "sections": [("租客信息", "table", ["name", ("id_number", {"label": "身份证号码"}),
                                         ("phone", {"label": "联系电话", "placeholder": None}),
                                         "employer"]),
                  ("其他信息", "above", [("address", {"label": "原居住地址", "full_row": True}),
                                         "emergency_contact", "emergency_phone"]),
                  (None, "underline", [("signature_date", {"width": 220})])],
     "missing": ["emergency_phone", "signature_date"], "profile": ["name", "phone"],
     "consent": None},
    # ------------------------------------------------------------------ en
    {"id": "en_claim_above", "lang": "en", "layout": "above", "columns": 1, "width": 900,
     "title": "Insurance Claim Form", "form": "claim form",
     "subtitle": "Please complete all sections. Incomplete claims may delay processing.",
     "sections": [(None, None, ["policy_number", "name", "birth_date", "email", "phone",
                                "claim_date", "claim_amount",
                                ("address", {"kind": "textarea"})])],
     "missing": ["birth_date"], "consent": None, "submit": "Submit claim", "input_width": 520},
    {"id": "en_job_left2", "lang": "en", "layout": "left", "columns": 2, "width": 1280,
     "title": "Job Application", "form": "job application",
     "sections": [("Personal details", None, ["first_name", "last_name", "email", "phone",
                                              "birth_date", "education"]),
                  ("Position", None, [("job_title", {"label": "Position applied for"}),
                                      ("employer", {"label": "Current employer"}),
                                      ("address", {"kind": "textarea"}), "consent"])],
     "missing": ["employer"], "consent": True, "submit": "Apply now",
     "style": {"header_band": "#0b6e4f", "font": "noto"}},
    {"id": "en_hotel_left", "lang": "en", "layout": "left", "columns": 1, "width": 900,
     "title": "Guest Registration Card", "form": "registration card",
     "sections": [(None, None, ["name", "nationality", "id_type", "id_number", "phone", "email",
                                ("address", {"label": "Home address"})])],
     "missing": ["email"], "consent": None, "signature_line": True, "input_width": 440,
     "overrides": {"address": "12 Baker Street, London", "nationality": "British",
                   "phone": "+44 20 7946 0958"},
     "style": {"font": "dejavu", "header_band": "#2f3e4e"}},
    {"id": "en_shipping_above2", "lang": "en", "layout": "above", "columns": 2, "width": 1000,
     "title": "Shipping Address", "form": "shipping form",
     "sections": [(None, None, ["first_name", "last_name",
                                ("address", {"label": "Street address", "full_row": True}),
                                "city", "postcode", ("country", {"placeholder": "Select country"}),
                                "phone", "email"])],
     "missing": ["phone"], "consent": None, "submit": "Continue to payment",
     "style": {"header_band": None}},
    {"id": "en_visa_above2", "lang": "en", "layout": "above", "columns": 2, "width": 1600,
     "title": "Visa Application Form", "form": "visa application",
     "subtitle": "Answer all questions in English, as they appear in your passport.",
     "sections": [("Applicant", None, [("last_name", {"label": "Surname"}),
                                       ("first_name", {"label": "Given names"}), "gender",
                                       "birth_date", "nationality", "marital_status"]),
                  ("Passport", None, ["id_number", ("id_expiry", {"label": "Passport expiry date"})]),
                  ("Contact and employment", None, ["occupation", "employer", "email", "phone",
                                                    ("address", {"kind": "textarea"})])],
     "missing": ["marital_status", "employer"], "consent": None,
     "style": {"page_bg": "#eef1f5", "card_width": 1100}},
    {"id": "en_contact_placeholder", "lang": "en", "layout": "placeholder", "columns": 1,
     "width": 960, "title": "Request a demo", "form": "demo request form",
     "subtitle": "Tell us a bit about yourself and we'll be in touch within one business day.",
     "sections": [(None, None, [("name", {"placeholder": "Full name"}),
                                ("email", {"placeholder": "Work email"}),
                                ("phone", {"placeholder": "Phone number"}),
                                ("employer", {"placeholder": "Company"}),
                                ("job_title", {"placeholder": "Job title"}),
                                ("country", {"placeholder": "Country"}),
                                ("consent", {"label": "I agree to the terms"})])],
     "missing": ["job_title"], "consent": True, "submit": "Request demo",
     "style": {"page_bg": "#f4f5f7", "card_width": 600, "header_band": None}},
    {"id": "en_signup_placeholder2", "lang": "en", "layout": "placeholder", "columns": 2,
     "width": 1440, "title": "Create your account", "form": "sign-up form",
     "sections": [(None, None, [("first_name", {"placeholder": "First name"}),
                                ("last_name", {"placeholder": "Last name"}),
                                ("email", {"placeholder": "Email address"}),
                                ("phone", {"placeholder": "Mobile number"}),
                                ("birth_date", {"placeholder": "Date of birth (YYYY-MM-DD)"}),
                                ("postcode", {"placeholder": "ZIP code"}), "gender", "consent"])],
     "missing": ["gender", "postcode"], "consent": True, "submit": "Sign up",
     "style": {"page_bg": "#f0f2f5", "card_width": 900}},
    {"id": "en_patient_table", "lang": "en", "layout": "table", "columns": 1, "width": 900,
     "title": "Patient Intake Form", "form": "intake form",
     "sections": [(None, None, ["name", "birth_date", "gender", "phone", "email", "address",
                                "emergency_contact", "emergency_phone"])],
     "missing": ["emergency_phone"], "profile": ["name", "birth_date", "phone"],
     "consent": None, "signature_line": True},
    {"id": "en_employee_table2", "lang": "en", "layout": "table", "columns": 2, "width": 1400,
     "title": "Employee Information", "form": "employee form",
     "sections": [("Personal", None, ["first_name", "last_name", "birth_date", "gender", "phone",
                                      "email", ("address", {"full_row": True}),
                                      "marital_status"]),
                  ("Employment", None, ["job_title", ("employer", {"label": "Department"}),
                                        "emergency_contact", "emergency_phone"])],
     "missing": ["marital_status", "employer"], "consent": None, "list_style": True},
    {"id": "en_library_underline", "lang": "en", "layout": "underline", "columns": 1,
     "width": 850, "title": "Library Card Application", "form": "library card application",
     "sections": [(None, None, [("name", {"width": 420}), ("birth_date", {"width": 260}),
                                ("address", {"label": "Street address", "width": 520}),
                                ("city", {"width": 300}), ("postcode", {"width": 200}),
                                ("phone", {"width": 300}), ("email", {"width": 420}),
                                ("signature_date", {"width": 220})])],
     "missing": ["phone"], "consent": None},
    {"id": "en_volunteer_underline2", "lang": "en", "layout": "underline", "columns": 2,
     "width": 1100, "title": "Volunteer Registration", "form": "volunteer form",
     "sections": [(None, None, ["first_name", "last_name", "birth_date", "phone", "email",
                                "occupation", "emergency_contact", "emergency_phone",
                                ("address", {"full_row": True})])],
     "missing": ["occupation", "birth_date"], "consent": None, "signature_line": True},
    {"id": "en_claim_mixed", "lang": "en", "layout": "mixed", "columns": 2, "width": 1200,
     "title": "Property Damage Claim", "form": "claim form",
     "sections": [("Policy", "table", ["policy_number", ("name", {"label": "Policyholder name"})]),
                  ("Claimant", "left", ["birth_date", "phone", "email",
                                        ("address", {"label": "Mailing address", "full_row": True})]),
                  ("Claim details", "above", [("claim_date", {"label": "Date of loss"}),
                                              "claim_amount"]),
                  (None, "underline", [("signature_date", {"width": 240})])],
     "missing": ["email"], "profile": ["policy_number", "name"], "consent": None},
    {"id": "en_admission_mixed", "lang": "en", "layout": "mixed", "columns": 1, "width": 1000,
     "title": "Graduate Admission Application", "form": "application",
     "sections": [("Personal information", "left", ["first_name", "last_name", "gender",
                                                    "birth_date", "nationality"]),
                  ("Contact", "placeholder", [("email", {"placeholder": "Email address"}),
                                              ("phone", {"placeholder": "Phone number"}),
                                              ("address", {"placeholder": "Mailing address"})]),
                  ("Background", "above", ["education",
                                           ("employer", {"label": "Current school or employer"})]),
                  (None, None, ["consent"])],
     "missing": ["nationality", "employer"], "consent": True, "input_width": 460,
     "style": {"header_band": "#3b5bdb"}},
)


def _build_spec(c: dict[str, Any], rng: random.Random) -> FormSpec:
    lang = c["lang"]
    fields: list[FieldSpec] = []
    required = set(c.get("required", ()))
    if not required and rng.random() < 0.5:
        required = {"name", "first_name", "last_name", "phone", "id_number", "email"}
    for section, layout, items in c["sections"]:
        for item in items:
            key, over = (item, {}) if isinstance(item, str) else item
            over = dict(over)
            if layout:
                over.setdefault("layout", layout)
            if section:
                over.setdefault("section", section)
            if key in required:
                over.setdefault("required", True)
            kind = over.get("kind", _CATALOG[lang][key].get("kind", "text_input"))
            if (c.get("input_width") and kind in ("text_input", "date", "select")
                    and c["columns"] == 1 and over.get("layout", c["layout"]) != "table"):
                over.setdefault("width", c["input_width"])
            fields.append(field_spec(lang, key, **over))
    fs = rng.choice((14, 15, 16, 16, 17, 18))
    style = _style(lang, rng, **c.get("style", {}))
    return FormSpec(
        id=c["id"], lang=lang, title=c["title"], subtitle=c.get("subtitle"),
        layout=c["layout"], columns=c["columns"], width=c["width"], font_size=fs, style=style,
        fields=fields, submit=c.get("submit"), secondary_button=c.get("secondary"),
        footer_note=c.get("footer"), signature_line=c.get("signature_line", False),
        signature_text=c.get("signature_text"),
    )


def _en_address(person: dict[str, str], spec: FormSpec) -> str:
    keys = {f.key for f in spec.fields}
    if "city" in keys or "postcode" in keys:
        return person["address"]
    return f"{person['address']}, {person['city']}, {person['state']} {person['postcode']}"


def build_case(c: dict[str, Any], variant: int = 0) -> Case:
    """Render one case definition into a :class:`Case`.

    ``variant`` 0 is the corpus the engine was tuned on; other variants draw new people,
    phrasings, styles and orders for the same form designs (a held-out check).
    """
    rng = random.Random(f"vlcrew-corpus/{c['id']}" + (f"/v{variant}" if variant else ""))
    lang = c["lang"]
    spec = _build_spec(c, rng)
    person = people(lang, rng)
    if lang == "en":
        person["address"] = _en_address(person, spec)
    person.update(c.get("overrides", {}))
    image, truth = render(spec)
    del image
    form_keys: list[str] = []
    labels: dict[str, str] = {}
    for t in truth["fields"]:
        if t["key"] not in form_keys and t["key"] != "consent":
            form_keys.append(t["key"])
            labels[t["key"]] = t["label"]
    missing = set(c.get("missing", ()))
    profile_keys = [k for k in c.get("profile", ()) if k in form_keys]
    said = [(k, person[k]) for k in form_keys if k not in missing and k not in profile_keys]
    if rng.random() < 0.35:
        # users do not always follow the form's order
        head = said[:3]
        rng.shuffle(head)
        said = head + said[3:]
    request, written = build_request(lang, c["form"], said, bool(c.get("consent")), rng,
                                     list_style=c.get("list_style", False), field_labels=labels)
    values: dict[str, str] = {}
    for k in form_keys:
        if k in missing:
            continue
        if k in profile_keys:
            values[k] = person[k]
        else:
            values[k] = person[k] if k in _DATE_KEYS else written[k]
    profile = {k: person[k] for k in profile_keys} or None
    for f in spec.fields:
        if f.kind in ("radio", "select") and f.key in values and values[f.key] not in f.options:
            raise ValueError(f"{c['id']}: {values[f.key]!r} is not an option of {f.label!r}")
    expected = expected_for(truth, values, bool(c.get("consent")))
    if not 1 <= len(expected["missing"]) <= 3:
        raise ValueError(f"{c['id']}: {len(expected['missing'])} missing fields, want 1-3")
    return Case(spec=spec, request=request, profile=profile, expected=expected, truth=truth)


def corpus(variant: int = 0) -> list[Case]:
    """Every corpus case (≥ 24), built deterministically; see :func:`build_case`."""
    return [build_case(c, variant) for c in _CASES]


def case_record(case: Case) -> dict[str, Any]:
    """What ``<id>.json`` holds: truth, request, profile, expected and the spec."""
    return {"truth": case.truth, "request": case.request, "profile": case.profile,
            "expected": case.expected, "spec": case.spec.model_dump(mode="json")}


def write_corpus(out_dir: str | Path) -> int:
    """Write ``<id>.png`` and ``<id>.json`` for every case into ``out_dir``; return the count."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cases = corpus()
    for case in cases:
        image, _ = render(case.spec)
        image.save(out / f"{case.spec.id}.png", optimize=True)
        (out / f"{case.spec.id}.json").write_text(
            json.dumps(case_record(case), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(cases)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the synthetic form corpus.")
    parser.add_argument("--out", default="bench/out/corpus", help="output directory")
    args = parser.parse_args(argv)
    n = write_corpus(args.out)
    print(f"wrote {n} cases to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
