"""Imperative GUI requests → intents → controls (tools/browser/instruction_parser.py, instruction_resolver.py), pure text, no browser.

The page is a hand-written :class:`PageSnapshot` shaped like what ``perceive.snapshot``
reads off the local test site (bilingual labels, buttons whose texts contain each other,
checkbox groups, a custom dropdown, an autocomplete, a login form).
"""

from __future__ import annotations

from typing import Any

import pytest

from tools.browser.instruction_parser import Intent, parse
from tools.browser.instruction_resolver import name_score, resolve, resolve_all, submit_button
from tools.browser.page_records import ControlKind, PageControl, PageOption, PageSnapshot


def _c(i: int, kind: ControlKind, label: str, **kw: Any) -> PageControl:
    return PageControl(index=i, kind=kind, tag=kw.pop("tag", "input"), label=label,
                       bbox=[0, i * 40, 200, i * 40 + 30], locator=f"#c{i}", **kw)


def _page() -> PageSnapshot:
    opts = [PageOption(value=v, text=t) for v, t in
            (("", "请选择 / Choose…"), ("basic", "基础版 Basic"), ("pro", "专业版 Pro"))]
    cities = [PageOption(value=v, text=t) for v, t in (("bj", "北京 Beijing"),
                                                      ("sh", "上海 Shanghai"))]
    controls = [
        _c(0, "button", "保存草稿", tag="button", input_type="submit", form="#f"),
        _c(1, "button", "保存", tag="button", input_type="submit", form="#f"),
        _c(2, "button", "提交审核", input_type="submit", form="#f"),
        _c(3, "button", "发布 / Publish", tag="button", input_type="submit", form="#p"),
        _c(4, "link", "添加商品 / Add product", tag="a"),
        _c(5, "checkbox", "接收通知的渠道 / Channels", option_text="Email", group="ch"),
        _c(6, "checkbox", "接收通知的渠道 / Channels", option_text="SMS", group="ch"),
        _c(7, "checkbox", "接收通知的渠道 / Channels", option_text="微信推送", group="ch"),
        _c(8, "select", "套餐 / Plan", tag="select", options=opts),
        _c(9, "custom_select", "期望城市 / City", tag="button", options=cities),
        _c(10, "autocomplete", "毕业院校 / University", placeholder="输入关键字搜索"),
        _c(11, "text_input", "搜索商品 / Search products", input_type="search", form="#s"),
        _c(12, "button", "搜索", tag="button", input_type="submit", form="#s"),
        _c(13, "text_input", "用户名 / Username", form="#login"),
        _c(14, "password", "密码 / Password", input_type="password", form="#login"),
        _c(15, "checkbox", "记住我 Remember me", option_text="记住我 Remember me"),
        _c(16, "button", "登录", tag="button", input_type="submit", form="#login"),
        _c(17, "date", "出生日期", input_type="date"),
        _c(18, "textarea", "备注 / Notes", tag="textarea"),
        _c(19, "text_input", "电子邮箱", input_type="email"),
        _c(20, "radio", "性别", option_text="男", group="gender"),
        _c(21, "radio", "性别", option_text="女", group="gender"),
        _c(22, "upload", "商品图片", input_type="file"),
        _c(23, "checkbox", "本人已阅读并同意以上条款", option_text="本人已阅读并同意以上条款"),
        _c(24, "button", "重置", tag="button", input_type="reset", form="#f"),
    ]
    return PageSnapshot(url="http://127.0.0.1/", title="t", controls=controls)


PAGE = _page()


def _one(text: str) -> Intent:
    intents = parse(text)
    assert len(intents) == 1, intents
    return intents[0]


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(("text", "kind", "target", "values"), [
    ("点击“添加商品”按钮", "click", "添加商品", []),
    ('click the "Publish" button', "click", "Publish", []),
    ("选择“北京”", "select", "", ["北京"]),
    ("select Email and SMS", "select", "", ["Email", "SMS"]),
    ("勾选“邮件”和“短信”", "check", "", ["邮件", "短信"]),
    ('type "hello" into the Comment field', "type", "Comment", ["hello"]),
    ("log in with username alice and password s3cret!", "login", "", ["alice", "s3cret!"]),
    ("用户名 alice 密码 s3cret! 登录", "login", "", ["alice", "s3cret!"]),
    ("出生日期填 1990-05-12", "date", "出生日期", ["1990-05-12"]),
    ("预约日期填2025年3月15日", "date", "预约日期", ["2025-03-15"]),
    ("在城市里输入“上” 选择 “上海”", "autocomplete", "城市", ["上", "上海"]),
    ("type 'Sha' into City and pick 'Shanghai'", "autocomplete", "City", ["Sha", "Shanghai"]),
    ("focus the email field", "focus", "email", []),
    ("press Enter", "press", "", ["Enter"]),
    ("按回车", "press", "", ["回车"]),
    ("打开 http://127.0.0.1:8000/form.html", "goto", "", ["http://127.0.0.1:8000/form.html"]),
    ("进入商品管理", "click", "商品管理", []),
    ("上传图片 ./images/headset.jpg", "upload", "图片", ["./images/headset.jpg"]),
    ("upload files/earbuds.png to 商品图片", "upload", "商品图片", ["files/earbuds.png"]),
    ("取消勾选“记住我”", "uncheck", "", ["记住我"]),
    ("uncheck Remember me", "uncheck", "", ["Remember me"]),
    ("select Email, SMS and WeChat", "select", "", ["Email", "SMS", "WeChat"]),
    ("选择套餐“专业版”", "select", "套餐", ["专业版"]),
    ("select Pro from the Plan dropdown", "select", "Plan", ["Pro"]),
    ("在城市下拉框中选择上海", "select", "城市", ["上海"]),
    ("把“蓝牙耳机”填到商品名称", "type", "商品名称", ["蓝牙耳机"]),
    ("fill the Email field with a@b.com", "type", "Email", ["a@b.com"]),
    ("click the 'Don't save' button", "click", "Don't save", []),
    ("点击保存", "click", "保存", []),
])
def test_parse_examples(text: str, kind: str, target: str, values: list[str]) -> None:
    intent = _one(text)
    assert (intent.kind, intent.target, intent.values) == (kind, target, values)


def test_quoted_strings_are_taken_literally() -> None:
    intent = _one("enter 'x, y and z' in the Notes field")
    assert intent.values == ["x, y and z"]  # not split at the comma or "and"
    intent = _one("点击“提交, 并 选择”")
    assert (intent.kind, intent.target, intent.literal) == ("click", "提交, 并 选择", True)
    assert _one("在搜索框输入「手机 壳」").values == ["手机 壳"]


def test_several_steps_in_order() -> None:
    got = [(i.kind, i.target, i.values) for i in parse("在搜索框输入“手机” 并提交")]
    assert got == [("type", "搜索", ["手机"]), ("submit", "", [])]
    got = [(i.kind, i.target, i.values) for i in parse("选择套餐“专业版”，然后点击“确定”")]
    assert got == [("select", "套餐", ["专业版"]), ("click", "确定", [])]
    pairs = [(i.kind, i.values) for i in parse("click Next then press Tab")]
    assert pairs == [("click", []), ("press", ["Tab"])]
    named = [(i.kind, i.target) for i in parse("预约日期填2025年3月15日，然后提交预约。")]
    assert named == [("date", "预约日期"), ("submit", "提交预约")]
    kinds = [i.kind for i in parse("用户名：alice，密码：s3cret!，然后登录")]
    assert kinds == ["login"]  # the trailing 登录 is the login's own click


def test_task_descriptions_are_not_read_as_clicks() -> None:
    # "帮我注册：…，然后点注册": only the last 注册 is a click; "填好" is not a field.
    got = [(i.kind, i.target) for i in parse("帮我注册：名字周杰，留言写“请尽快联系我”，然后点注册")]
    assert got == [("type", "留言"), ("click", "注册")]
    assert parse("帮我填好并提交") == [Intent(kind="submit", text="提交")]


def test_a_password_never_shows_in_a_repr() -> None:
    intent = _one("log in with username alice and password s3cret!")
    assert "s3cret!" not in repr(intent) and "alice" in repr(intent)


# ------------------------------------------------------------------ resolving


def _labels(controls: list[PageControl]) -> list[tuple[str, str]]:
    return [(c.label, c.option_text) for c in controls]


@pytest.mark.parametrize(("text", "label"), [
    ("点击“保存”", "保存"),  # not 保存草稿
    ("click 保存草稿", "保存草稿"),
    ('click the "Publish" button', "发布 / Publish"),
    ("点击“添加商品”按钮", "添加商品 / Add product"),
    ("选择套餐“专业版”", "套餐 / Plan"),
    ("选择“北京”", "期望城市 / City"),
    ("在毕业院校里输入“复旦” 选择 “复旦大学”", "毕业院校 / University"),
    ("在搜索框输入“手机”", "搜索商品 / Search products"),
    ("出生日期填 1990-05-12", "出生日期"),
    ("focus the Notes field", "备注 / Notes"),
    ("focus the email field", "电子邮箱"),  # the lexicon: email ↔ 电子邮箱
    ("上传图片 ./a.png", "商品图片"),
])
def test_resolve(text: str, label: str) -> None:
    control = resolve(parse(text)[0], PAGE)
    assert control is not None and control.label == label


def test_resolve_all_options_and_groups() -> None:
    assert _labels(resolve_all(_one("勾选“邮件”和“短信”"), PAGE)) == [
        ("接收通知的渠道 / Channels", "Email"), ("接收通知的渠道 / Channels", "SMS")]
    assert _labels(resolve_all(_one("select Email and SMS"), PAGE)) == [
        ("接收通知的渠道 / Channels", "Email"), ("接收通知的渠道 / Channels", "SMS")]
    assert _labels(resolve_all(_one("性别选女"), PAGE)) == [("性别", "女")]
    assert _labels(resolve_all(_one("勾选同意条款"), PAGE)) == [
        ("本人已阅读并同意以上条款", "本人已阅读并同意以上条款")]
    assert _labels(resolve_all(_one("取消勾选“记住我”"), PAGE)) == [
        ("记住我 Remember me", "记住我 Remember me")]
    login = resolve_all(_one("用户名 alice 密码 s3cret! 登录"), PAGE)
    assert [c.kind for c in login] == ["text_input", "password", "button"]
    assert login[2].label == "登录"


def test_nothing_matching_is_none() -> None:
    assert resolve(_one("点击“删除账户”"), PAGE) is None
    assert resolve_all(_one("选择“广州”"), PAGE) == []


def test_submit_button_prefers_the_fields_form() -> None:
    def label(near: PageControl | None) -> str:
        button = submit_button(PAGE, near)
        return button.label if button is not None else ""

    assert label(next(c for c in PAGE.controls if c.label.startswith("搜索商品"))) == "搜索"
    assert label(next(c for c in PAGE.controls if c.kind == "password")) == "登录"
    assert label(None) not in ("", "重置")


def test_name_score() -> None:
    assert name_score("保存", "保存") == 1.0
    assert name_score("Publish", "发布 / Publish") > name_score("发布", "发布会议")
    assert name_score("Next", "下一步 Next") >= 0.95
    assert name_score("email", "电子邮箱") >= 0.85
    assert name_score("submit", "提交") >= 0.9  # bilingual synonyms
    assert name_score("保存", "提交") == 0.0
