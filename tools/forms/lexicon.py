"""Canonical field keys, their label synonyms (zh/en), and fuzzy matching of form labels.

A form label read by OCR ("身份证号码", "Emai1 address", "年收入（元）") is mapped to one
canonical key (``id_number``, ``email``, ``annual_income`` …) with a score in [0, 1]:

* exact normalised synonym → 1.0;
* a synonym inside the label ("患者姓名" ⊃ "姓名") or a label cut short ("出生日" ⊂ "出生日期")
  → a high score weighted by how much of the label the synonym explains;
* otherwise a ``difflib`` ratio, which absorbs one-character OCR errors in longer labels.

Labels that name something we never fill (signature, remarks, birthplace, password …) are
known too, as *sinks*, so a near miss on them cannot be pulled towards a real key.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

THRESHOLD = 0.72
"""Below this score a label is reported as matching no key."""

KEYS: dict[str, tuple[str, ...]] = {
    "name": (
        "姓名", "名字", "客户姓名", "申请人姓名", "户名", "全名", "真实姓名", "本人姓名",
        "持卡人姓名", "投保人姓名", "被保险人姓名", "患者姓名", "病人姓名", "学生姓名",
        "收件人姓名", "收件人", "旅客姓名", "住客姓名", "员工姓名", "租客姓名", "客户名称",
        "Name", "Full name", "Applicant name", "Customer name", "Your name", "Legal name",
        "Full legal name", "Account holder name", "Cardholder name", "Policyholder name",
        "Patient name", "Guest name", "Insured name", "Name of applicant", "Recipient name",
        "Student name", "Employee name", "申请人", "报销人", "Applicant",
    ),
    "first_name": ("名", "First name", "Given name", "Given names", "Forename", "First names"),
    "last_name": ("姓", "姓氏", "Last name", "Surname", "Family name"),
    "gender": ("性别", "性別", "Gender", "Sex"),
    "birth_date": (
        "出生日期", "生日", "出生年月日", "出生年月", "出生时间", "出生", "出生日",
        "Date of birth", "DOB", "Birth date", "Birthday", "Birthdate", "D.O.B.",
    ),
    "nationality": ("国籍", "国籍/地区", "Nationality", "Citizenship"),
    "ethnicity": ("民族", "Ethnicity", "Ethnic group", "Race/Ethnicity"),
    "id_type": (
        "证件类型", "证件种类", "证件名称", "身份证件类型", "ID type", "Document type",
        "Type of ID", "Identification type", "ID document type",
    ),
    "id_number": (
        "身份证号码", "身份证号", "身份证", "证件号码", "证件号", "公民身份号码",
        "居民身份证号码", "身份证件号码", "护照号码", "护照号", "证件编号",
        "ID number", "ID No.", "ID", "National ID", "National ID number", "Identity card number",
        "ID card number", "Passport number", "Passport No.", "Document number",
        "Identification number",
    ),
    "id_expiry": (
        "证件有效期", "有效期", "有效期至", "证件有效期至", "身份证有效期", "有效期限",
        "证件到期日", "到期日期", "证件有效期限", "Expiry date", "Expiration date",
        "Date of expiry", "Valid until", "Expires", "Passport expiry date", "ID expiry date",
        "Expiry", "Valid thru",
    ),
    "phone": (
        "手机号码", "手机", "手机号", "移动电话", "联系电话", "电话", "电话号码", "联系方式",
        "联系手机", "本人手机", "手机号码（必填）",
        "Mobile", "Mobile phone", "Mobile number", "Phone", "Phone number", "Telephone",
        "Telephone number", "Cell", "Cell phone", "Cellphone", "Contact number", "Tel",
        "Mobile No.", "Phone No.", "Contact phone",
    ),
    "landline": (
        "固定电话", "座机", "座机号码", "固话", "家庭电话", "办公电话", "住宅电话",
        "Home phone", "Landline", "Work phone", "Office phone", "Home telephone", "Fixed line",
        "Home phone number", "Daytime phone",
    ),
    "email": (
        "电子邮箱", "邮箱", "电子邮件", "邮件地址", "邮箱地址", "电子邮箱地址", "电子邮件地址",
        "Email", "E-mail", "Email address", "E-mail address", "Mail", "Work email",
    ),
    "address": (
        "住址", "地址", "联系地址", "家庭住址", "通讯地址", "居住地址", "现住址", "现居住地址",
        "详细地址", "户籍地址", "常住地址", "家庭地址", "收货地址", "收件地址", "原居住地址",
        "通信地址", "现居地址",
        "Address", "Home address", "Mailing address", "Street address", "Residential address",
        "Current address", "Address line 1", "Permanent address", "Correspondence address",
        "Postal address",
    ),
    "city": ("城市", "所在城市", "居住城市", "所在地区", "City", "Town", "Town/City", "City/Town"),
    "postcode": (
        "邮编", "邮政编码", "Postcode", "Post code", "Postal code", "ZIP", "ZIP code",
        "Zip/Postal code", "Postal/ZIP code",
    ),
    "country": (
        "国家", "国家/地区", "国家或地区", "所在国家", "Country", "Country/Region",
        "Country of residence",
    ),
    "occupation": ("职业", "职业类别", "从事职业", "Occupation", "Profession"),
    "product_name": ("商品名称", "产品名称", "商品名", "品名", "Product name", "Product title",
                     "Item name", "Product"),
    "price": ("价格", "售价", "单价", "商品价格", "Price", "Unit price", "Sale price"),
    "stock": ("库存", "库存数量", "Stock", "Inventory", "Stock quantity", "Quantity in stock"),
    "amount": ("金额", "报销金额", "费用金额", "Amount", "Expense amount"),
    "bank_account": ("收款账号", "银行账号", "银行卡号", "收款账户", "Bank account",
                     "Bank account number", "Account number", "Card number"),
    "employer": (
        "工作单位", "单位名称", "单位", "所在单位", "公司名称", "就职单位", "任职单位",
        "工作单位名称", "所在公司", "公司", "部门", "所在部门",
        "Employer", "Company", "Company name", "Employer name", "Current employer",
        "Organization", "Organisation", "Department", "Name of employer",
    ),
    "job_title": (
        "职务", "职位", "岗位", "职称", "应聘岗位", "应聘职位", "现任职务", "Job title",
        "Position", "Position applied for", "Role", "Designation",
    ),
    "marital_status": ("婚姻状况", "婚姻状态", "婚否", "婚姻", "Marital status", "Civil status"),
    "education": (
        "学历", "最高学历", "文化程度", "教育程度", "Education", "Highest education",
        "Education level", "Highest degree", "Level of education", "Qualification",
    ),
    "annual_income": (
        "年收入", "个人年收入", "年薪", "税前年收入", "Annual income", "Yearly income",
        "Annual salary", "Income",
    ),
    "account_type": (
        "账户类型", "开户类型", "账户种类", "卡种", "卡片类型", "账户性质", "Account type",
        "Type of account", "Card type",
    ),
    "emergency_contact": (
        "紧急联系人", "紧急联系人姓名", "紧急联络人", "监护人", "监护人姓名",
        "Emergency contact", "Emergency contact name", "Emergency contact person",
        "Guardian name", "Next of kin", "Parent/guardian name",
    ),
    "emergency_phone": (
        "紧急联系人电话", "紧急联系电话", "紧急联系人手机", "紧急联系人手机号",
        "紧急联系人手机号码", "紧急联系人联系方式", "紧急联系人电话号码", "紧急电话",
        "监护人电话", "监护人手机", "监护人联系电话",
        "Emergency contact phone", "Emergency phone", "Emergency contact number",
        "Emergency number", "Emergency contact telephone", "Guardian phone",
        "Next of kin phone",
    ),
    "policy_number": (
        "保单号码", "保单号", "保险单号", "保单编号", "Policy number", "Policy No.", "Policy #",
        "Policy ID",
    ),
    "claim_date": (
        "出险日期", "出险时间", "事故日期", "事故发生日期", "事故时间", "Claim date",
        "Date of loss", "Date of incident", "Incident date", "Accident date", "Loss date",
        "Date of accident",
    ),
    "claim_amount": (
        "索赔金额", "理赔金额", "申请金额", "申请理赔金额", "索赔额", "Claim amount",
        "Amount claimed", "Amount of claim", "Claimed amount", "Total claim amount",
    ),
    "signature_date": (
        "填表日期", "签字日期", "签名日期", "申请日期", "签署日期", "填写日期",
        "Signature date", "Date signed", "Date of signature", "Application date",
    ),
}

# A bare "Date"/"日期" usually sits beside the signature line; exact-only and not a sure thing.
_WEAK: dict[str, tuple[tuple[str, ...], float]] = {
    "signature_date": (("日期", "Date"), 0.8),
}

# Labels of things the user never supplies for filling; they match "no key" on purpose.
_SINKS: tuple[str, ...] = (
    "签名", "签字", "签章", "盖章", "本人签名", "申请人签名", "签名确认", "签名/盖章",
    "Signature", "Sign", "Sign here", "Applicant signature", "Signed",
    "备注", "说明", "附言", "其他", "其它", "Remarks", "Notes", "Note", "Comments", "Comment",
    "Other",
    "出生地", "出生地点", "籍贯", "Place of birth", "Birthplace",
    "关系", "与本人关系", "与申请人关系", "紧急联系人关系", "Relationship", "Relation",
    "年龄", "Age", "身高", "体重", "Height", "Weight",
    "密码", "确认密码", "验证码", "用户名", "登录名", "昵称", "Password", "Confirm password",
    "Username", "User name", "Nickname", "Verification code", "Captcha",
)
_SINK = "__sink__"

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_DROP = re.compile(r"[\s*:_\-'.·•]")
_EDGE_PUNCT = ",;!?。，；！？、/"
_CJK = re.compile(r"[\u3400-\u9fff]")


def _base(text: str) -> str:
    """NFKC (full-width → half-width), lower case, bracketed notes removed."""
    t = unicodedata.normalize("NFKC", text).lower()
    prev = None
    while prev != t:  # nested brackets: strip innermost first
        prev, t = t, _BRACKETED.sub(" ", t)
    return t


def normalize_label(text: str) -> str:
    """Label text reduced for comparison: ``"* 身份证号码（必填）："`` → ``"身份证号码"``.

    Lower case, full-width → half-width, no spaces, ``*``, colons, hyphens, dots or
    apostrophes (OCR drops spaces: "Emailaddress" must equal "Email address"), no bracketed
    notes such as ``(必填)``/``(required)``, no leading/trailing punctuation.
    """
    return _DROP.sub("", _base(text)).strip(_EDGE_PUNCT)


def _words(text: str) -> str:
    """Like :func:`normalize_label` but words kept apart by single spaces (for word bounds)."""
    t = re.sub(r"[*:_'.·•]", "", _base(text)).replace("-", "")
    return " ".join(t.split()).strip(_EDGE_PUNCT + " ")


def _units(text: str) -> int:
    # A Han character carries about as much as two Latin letters.
    return sum(2 if _CJK.match(c) else 1 for c in text)


_Entry = tuple[str, str, str, bool]  # key, normalised synonym, spaced synonym, is CJK


def _entries() -> list[_Entry]:
    out: list[_Entry] = []
    for key, syns in KEYS.items():
        out.extend((key, normalize_label(s), _words(s), bool(_CJK.search(s))) for s in syns)
    out.extend((_SINK, normalize_label(s), _words(s), bool(_CJK.search(s))) for s in _SINKS)
    return [e for e in out if e[1]]


_ENTRIES = _entries()
_WEAK_NORM = {normalize_label(s): (key, score) for key, (syns, score) in _WEAK.items()
              for s in syns}


def _contained_ok(entry: _Entry, n: str, w: str) -> bool:
    _key, s, sw, cjk = entry
    if s not in n:
        return False
    if cjk:
        return len(s) >= 2  # "名" inside "签名" or "书名" must not count
    if len(s) < 4:
        return False  # "id" inside "paid"
    # With spaces present, a Latin synonym must sit on word boundaries ("name" ≠ "rename").
    return " " not in w or f" {sw} " in f" {w} "


def _score(entry: _Entry, n: str, w: str) -> float:
    _key, s, _sw, cjk = entry
    if n == s:
        return 1.0
    best = 0.0
    if _contained_ok(entry, n, w):
        # The more of the label the synonym explains, the surer; the head noun comes last.
        best = 0.72 + 0.26 * len(s) / len(n) + (0.02 if n.endswith(s) else 0.0)
    elif n in s:
        if len(n) >= (3 if cjk else 5) and len(n) / len(s) >= 0.75:
            return 0.6 + 0.35 * len(n) / len(s)  # label cut short by the crop or the OCR
        return 0.0  # "联系人" is a part of "紧急联系人", not a slip of it
    ratio = SequenceMatcher(None, n, s, autojunk=False).ratio()
    if min(_units(n), _units(s)) < 5:
        ratio *= 0.8  # one wrong letter in "Nane" is a quarter of the word: too risky
    elif ratio >= 0.8:
        # Near-identical: an OCR slip in this synonym beats a shorter synonym merely contained.
        ratio = min(0.99, ratio + 0.1 * min(1.0, len(s) / len(n)))
    return max(best, ratio)


@lru_cache(maxsize=4096)
def _best(n: str, w: str) -> tuple[str | None, float, float]:
    """(best key or sink, its score, best score of a real key)."""
    if n in _WEAK_NORM:
        key, score = _WEAK_NORM[n]
        return key, score, score
    best_key: str | None = None
    best = real = 0.0
    for entry in _ENTRIES:
        score = _score(entry, n, w)
        if score > best:
            best_key, best = entry[0], score
        if entry[0] != _SINK:
            real = max(real, score)
    return best_key, best, real


def match_label(text: str) -> tuple[str | None, float]:
    """Best canonical key for a form label, and a score in [0, 1].

    ``(None, score)`` when nothing reaches :data:`THRESHOLD` or the label names something
    never filled from user data (signature, remarks …); then ``score`` < THRESHOLD.
    """
    n = normalize_label(text)
    if not n:
        return None, 0.0
    key, score, real = _best(n, _words(text))
    if key is None or key == _SINK or score < THRESHOLD:
        return None, round(min(real, THRESHOLD - 0.01), 3)
    return key, round(score, 3)


_USER_FILLER = re.compile(
    r"^(?:my|your|the|our|his|her|我的|本人的|本人|我)\s*|\s*(?:is|are|was|是|为|叫)$", re.I
)


def match_key(user_label: str) -> str | None:
    """Canonical key for a label the *user* wrote ("my mobile", "电话"), or None."""
    label = user_label.strip()
    if label in KEYS:
        return label
    prev = None
    while prev != label:
        prev, label = label, _USER_FILLER.sub("", label).strip()
    return match_label(label or user_label)[0]


# Option values that mean the same thing; groups in one family exclude each other.
_OPTION_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "gender": (
        ("男", "男性", "男士", "先生", "male", "m", "man", "boy"),
        ("女", "女性", "女士", "小姐", "female", "f", "woman", "girl"),
        ("其他", "other", "未知", "unknown", "prefer not to say", "不愿透露"),
    ),
    "yesno": (
        ("是", "有", "对", "yes", "y", "true", "同意"),
        ("否", "无", "没有", "不是", "no", "n", "false", "不同意"),
    ),
    "marital": (
        ("未婚", "单身", "single", "unmarried", "never married"),
        ("已婚", "married"),
        ("离异", "离婚", "divorced"),
        ("丧偶", "widowed"),
    ),
    "account": (
        ("储蓄卡", "借记卡", "debit card", "debit", "银行卡"),
        ("储蓄账户", "储蓄", "储蓄存款账户", "savings account", "savings", "saving account"),
        ("信用卡", "credit card", "credit"),
        ("活期账户", "活期", "checking account", "checking", "current account", "支票账户"),
        ("定期账户", "定期", "fixed deposit", "time deposit", "fixed deposit account",
         "定期存款"),
    ),
    "id_type": (
        ("居民身份证", "身份证", "id card", "national id card", "national id", "identity card",
         "resident identity card", "二代身份证"),
        ("护照", "passport"),
        ("驾驶证", "驾照", "driver's license", "drivers license", "driving licence",
         "driver license"),
        ("港澳居民来往内地通行证", "回乡证", "home return permit"),
        ("台湾居民来往大陆通行证", "台胞证"),
    ),
    "education": (
        ("高中及以下", "高中", "high school", "高中/中专", "中专"),
        ("大专", "专科", "associate degree", "associate", "college diploma"),
        ("本科", "大学本科", "学士", "bachelor's degree", "bachelor", "bachelors", "undergraduate",
         "ba", "bs", "bsc"),
        ("硕士", "研究生", "硕士研究生", "master's degree", "master", "masters", "ma", "ms",
         "msc", "mba"),
        ("博士", "博士研究生", "doctorate", "phd", "doctoral degree", "doctor"),
    ),
    "country": (
        ("中国", "中华人民共和国", "china", "prc", "chinese", "中国大陆"),
        ("美国", "united states", "usa", "us", "america", "american", "united states of america"),
        ("英国", "united kingdom", "uk", "britain", "great britain", "british", "england"),
        ("加拿大", "canada", "canadian"),
        ("澳大利亚", "australia", "australian"),
        ("日本", "japan", "japanese"),
        ("德国", "germany", "german"),
        ("法国", "france", "french"),
    ),
}
# Different but close: a debit card (储蓄卡) is how a savings account (储蓄账户) is opened.
_RELATED = {frozenset({("account", 0), ("account", 1)})}
_OPTION_INDEX: dict[str, tuple[str, int]] = {}
for _family, _groups in _OPTION_GROUPS.items():
    for _i, _group in enumerate(_groups):
        for _word in _group:
            _OPTION_INDEX.setdefault(normalize_label(_word), (_family, _i))


def _option_groups(text: str) -> set[tuple[str, int]]:
    """Equivalence groups named by an option text or by any part of "Male / 男"."""
    whole = _OPTION_INDEX.get(normalize_label(text))
    if whole:
        return {whole}
    parts = (normalize_label(p) for p in re.split(r"[/|,，、()（）\s]+", text))
    return {_OPTION_INDEX[p] for p in parts if p in _OPTION_INDEX}


def option_matches(value: str, option_text: str) -> float:
    """How well a user value selects a radio/checkbox/select option, in [0, 1].

    Equal after normalisation → 1.0; known equivalents (男 ↔ Male, 储蓄卡 ↔ 借记卡,
    single ↔ 未婚) → 0.95; close kin (储蓄卡 ↔ 储蓄账户) → 0.75; two different members of one family (male vs female) → 0.0 even
    though the strings look alike; one inside the other → 0.8; else a difflib ratio.
    """
    v, o = normalize_label(value), normalize_label(option_text)
    if not v or not o:
        return 0.0
    if v == o:
        return 1.0
    gv, go = _option_groups(value), _option_groups(option_text)
    shared = {f for f, _ in gv} & {f for f, _ in go}
    if shared:
        if any(g in go for g in gv if g[0] in shared):
            return 0.95
        related = any(frozenset({a, b}) in _RELATED for a in gv for b in go)
        return 0.75 if related else 0.0
    if v in o or o in v:
        # a one-letter value ("f") inside a long option ("fixed") says nothing
        return 0.8 if min(len(v), len(o)) >= 2 or _CJK.search(v + o) else 0.3
    return round(SequenceMatcher(None, v, o, autojunk=False).ratio(), 3)
