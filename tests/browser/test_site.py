"""The local test site (tests/site/) and its task list are right, proven without any agent.

For every task in ``tests/site/tasks.json`` a hand-written Playwright driver does exactly what
the request says (as a human tester would, by label, placeholder, role or name) in Debian's
headless Chromium, and the submission the server recorded must equal the task's ``expect``
under ``check_submission`` — the same rule the executor's tests and benchmark use. The
browser may not ask for anything off 127.0.0.1 and the console must stay clean. Without a
browser: the server's parsing (urlencoded, multipart with a file, GET forms), the login gate,
per-path latency, and that the matcher rejects wrong, invented and missing values.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.site_server import (
    FILES_DIR,
    SITE_DIR,
    SiteServer,
    check_submission,
    load_tasks,
    parse_multipart,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
TASKS = load_tasks()
UPLOAD = FILES_DIR / "earbuds.png"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        yield browser
        browser.close()


class Tab:
    """A page in a fresh context (no cookies), with what it asked off-site and its errors."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.outside: list[str] = []
        self.console_errors: list[str] = []

    def assert_clean(self) -> None:
        assert self.outside == [], f"requests off 127.0.0.1: {self.outside}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@pytest.fixture
def tab(chromium: Any, site: SiteServer) -> Iterator[Tab]:
    site.reset()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    t = Tab(page)

    def only_loopback(route: Any) -> None:
        url = route.request.url
        if url.startswith((site.url + "/", "data:", "blob:")):
            route.continue_()
        else:
            t.outside.append(url)
            route.abort()

    context.route("**/*", only_loopback)
    page.on("console", lambda m: t.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: t.console_errors.append(f"page error: {e}"))
    try:
        yield t
    finally:
        context.close()


def settle(site: SiteServer, page: Any, expect: dict[str, Any],
           timeout: float = 6.0) -> list[str]:
    """check_submission, re-tried while submissions arrive (fetch reports and navigations
    finish after the click returned)."""
    deadline = time.monotonic() + timeout
    while True:
        problems = check_submission(expect, site.submissions)
        if not problems or time.monotonic() > deadline:
            return problems
        # Not time.sleep: the sync API only runs our route handler (and so lets the page's
        # requests out) while we are inside a Playwright call.
        page.wait_for_timeout(100)


# ---------------------------------------------------------------- one driver per task

Driver = Callable[[Any], None]
DRIVERS: dict[str, Driver] = {}


def drives(task_id: str) -> Callable[[Driver], Driver]:
    def register(fn: Driver) -> Driver:
        DRIVERS[task_id] = fn
        return fn
    return register


def _button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


@drives("bank_full")
def _bank_full(page: Any) -> None:
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("男", exact=True).check()
    page.get_by_label("出生日期").fill("1990-05-12")
    page.get_by_label("证件类型").select_option(label="居民身份证")
    page.get_by_label("证件号码").fill("110105199005120030")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("电子邮箱").fill("zhangsan@example.com")
    page.get_by_label("联系地址").fill("北京市朝阳区建国路88号")
    page.get_by_label("职业").fill("软件工程师")
    page.get_by_label("账户类型").select_option(label="Ⅰ类借记账户")
    page.get_by_label("本人已阅读并同意以上条款").check()
    _button(page, "提交").click()


@drives("bank_partial")
def _bank_partial(page: Any) -> None:
    page.get_by_label("姓名").fill("李娜")
    page.get_by_label("女", exact=True).check()
    page.get_by_label("手机号码").fill("13900001111")
    page.get_by_label("电子邮箱").fill("lina@example.cn")
    page.get_by_label("本人已阅读并同意以上条款").check()
    _button(page, "提交").click()


@drives("claim_full")
def _claim_full(page: Any) -> None:
    page.get_by_label("Policy number").fill("PL-2024-883901")
    page.get_by_label("Full name").fill("John Smith")
    page.get_by_label("Date of incident").fill("2025-03-03")
    page.get_by_label("Claim type").select_option(label="Motor vehicle")
    page.get_by_label("Description").fill(
        "Rear-ended at a red light on Main Street; rear bumper damaged.")
    page.get_by_label("Phone").fill("415-555-0134")
    page.get_by_label("Email").fill("john.smith@example.com")
    page.get_by_label("I confirm the information is true").check()
    _button(page, "Submit").click()


@drives("claim_partial")
def _claim_partial(page: Any) -> None:
    page.get_by_label("Policy number").fill("PL-2025-000417")
    page.get_by_label("Full name").fill("Mary Chen")
    page.get_by_label("Claim type").select_option(label="Travel")
    page.get_by_label("Email").fill("mary.chen@example.org")
    page.get_by_label("I confirm the information is true").check()
    _button(page, "Submit").click()


def _log_in(page: Any) -> None:
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill("s3cret!")
    _button(page, "登录").click()
    page.wait_for_url("**/profile_form.html")


@drives("login")
def _login(page: Any) -> None:
    _log_in(page)


@drives("login_then_profile")
def _login_then_profile(page: Any) -> None:
    _log_in(page)
    page.get_by_label("联系人").fill("王芳")
    page.get_by_label("手机").fill("13700002222")
    page.get_by_label("城市").fill("杭州")
    page.get_by_role("button", name="保存").click()


def _add_product(page: Any, title: str, price: str, stock: str, image: Path | None) -> None:
    page.get_by_role("link", name="添加商品").click()
    page.wait_for_url("**/product_new.html")
    page.get_by_label("商品名称").fill(title)
    page.get_by_label("价格").fill(price)
    page.get_by_label("库存").fill(stock)
    if image is not None:
        page.get_by_label("商品图片").set_input_files(str(image))
    page.get_by_role("button", name="发布").click()


@drives("product_add")
def _product_add(page: Any) -> None:
    # The request names the file relative to the repository root.
    _add_product(page, "蓝牙耳机 Pro", "199.00", "50", ROOT / "tests/site/files/earbuds.png")


@drives("product_add_no_image")
def _product_add_no_image(page: Any) -> None:
    _add_product(page, "USB-C Charger 65W", "129", "200", None)


@drives("placeholder_full")
def _placeholder_full(page: Any) -> None:
    page.get_by_placeholder("姓名 / Full name").fill("Alice Wang")
    page.get_by_placeholder("公司名称").fill("Acme Ltd")
    page.get_by_placeholder("Email").fill("alice.wang@example.com")
    page.get_by_placeholder("手机号").fill("13600003333")
    page.get_by_role("button", name="注册").click()


@drives("placeholder_partial")
def _placeholder_partial(page: Any) -> None:
    page.get_by_placeholder("姓名").fill("周杰")
    page.get_by_placeholder("手机号").fill("13512345678")
    page.get_by_placeholder("留言").fill("请尽快联系我")
    page.get_by_role("button", name="注册").click()


def _cell_input(page: Any, label: str, kind: str = "input") -> Any:
    # The control in the cell right after the header/first-column cell holding ``label``.
    return page.locator(f"xpath=//*[self::th or self::td][normalize-space()='{label}']"
                        f"/following-sibling::td[1]//{kind}")


@drives("table_full")
def _table_full(page: Any) -> None:
    _cell_input(page, "申请人").fill("赵敏")
    _cell_input(page, "所属部门", "select").select_option(label="市场部")
    _cell_input(page, "报销日期").fill("2025-04-18")
    _cell_input(page, "金额（元）").fill("356.50")
    page.get_by_label("差旅费").check()
    _cell_input(page, "事由说明", "textarea").fill("上海客户拜访往返高铁票")
    page.get_by_role("button", name="提交报销").click()


@drives("table_partial")
def _table_partial(page: Any) -> None:
    _cell_input(page, "申请人").fill("Li Ming")
    _cell_input(page, "所属部门", "select").select_option(label="研发部")
    _cell_input(page, "金额（元）").fill("88")
    page.get_by_label("办公用品").check()
    _cell_input(page, "收款账号").fill("6222020200112233445")
    page.get_by_role("button", name="提交报销").click()


@drives("dynamic_other")
def _dynamic_other(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_label("姓名").fill("陈晨")
    page.get_by_label("参会方式").select_option(label="线上参会 Online")
    other = page.get_by_label("请说明")
    expect(other).to_be_hidden()  # it only appears once 其他 is chosen
    page.get_by_label("从哪里得知").select_option(label="其他 Other")
    other.fill("同事转发")
    page.get_by_role("button", name="提交报名").click()


@drives("dynamic_slow")
def _dynamic_slow(page: Any) -> None:
    page.get_by_label("姓名").fill("Li Lei")
    page.get_by_label("参会方式").select_option(label="现场参会 On site")
    page.get_by_role("button", name="添加发票信息").click()
    page.get_by_label("发票抬头").fill("北京星河科技有限公司")
    page.get_by_label("税号").fill("91110105MA01ABCD26")
    page.get_by_label("素食 Vegetarian").check()  # waits for the slow section
    page.get_by_role("button", name="提交报名").click()


@drives("validate_ok")
def _validate_ok(page: Any) -> None:
    page.get_by_label("收货人").fill("孙悦")
    page.get_by_label("手机号码").fill("13811112222")
    page.get_by_label("邮政编码").fill("310012")
    page.get_by_role("button", name="保存地址").click()


@drives("validate_rejected")
def _validate_rejected(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_label("收货人").fill("刘洋")
    mobile = page.get_by_label("手机号码")
    mobile.fill("1381234567")
    page.get_by_label("邮政编码").fill("100080")
    page.get_by_role("button", name="保存地址").click()
    # The page refuses: a message next to the field, also as its validationMessage.
    expect(page.locator('[data-error-for="mobile"]')).to_contain_text("11位")
    assert "11" in mobile.evaluate("e => e.validationMessage")
    assert page.url.endswith("/validate.html")


@drives("custom_select_zh")
def _custom_select_zh(page: Any) -> None:
    page.get_by_role("combobox", name="期望城市").click()
    page.get_by_role("option", name="上海").click()
    page.get_by_role("combobox", name="最高学历").click()
    page.get_by_role("option", name="硕士").click()
    page.get_by_role("combobox", name="毕业院校").press_sequentially("复旦")
    page.get_by_role("option", name="复旦大学", exact=True).click()
    page.get_by_role("button", name="提交").click()


@drives("custom_select_en")
def _custom_select_en(page: Any) -> None:
    page.get_by_role("combobox", name="City").click()
    page.get_by_role("option", name="Shenzhen").click()
    page.get_by_role("combobox", name="University").press_sequentially("浙江")
    page.get_by_role("option", name="浙江大学", exact=True).click()
    page.get_by_role("button", name="Submit").click()


@drives("click_button")
def _click_button(page: Any) -> None:
    _button(page, "保存").click()


@drives("click_div_button")
def _click_div_button(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Refresh").click()
    expect(page.locator("#clicked")).to_contain_text("刷新列表")


@drives("click_link")
def _click_link(page: Any) -> None:
    page.get_by_role("link", name="Privacy policy").click()


@drives("tick_checkboxes")
def _tick_checkboxes(page: Any) -> None:
    page.get_by_label("Email").check()
    page.get_by_label("SMS").check()


@drives("select_list")
def _select_list(page: Any) -> None:
    page.get_by_label("套餐").select_option(label="专业版 Pro")
    page.get_by_label("关注领域").select_option(label=["人工智能 AI", "云计算 Cloud"])
    page.get_by_role("button", name="确定").click()


@drives("search")
def _search(page: Any) -> None:
    page.get_by_role("searchbox", name="搜索商品").fill("蓝牙耳机")
    _button(page, "搜索").click()


@drives("enter_date")
def _enter_date(page: Any) -> None:
    page.get_by_label("预约日期").fill("2025-03-15")
    page.get_by_role("button", name="提交预约").click()


@drives("focus_field")
def _focus_field(page: Any) -> None:
    page.get_by_label("Notes").focus()


# ---------------------------------------------------------------- the task list itself

def test_task_list_is_well_formed() -> None:
    ids = [t["id"] for t in TASKS]
    assert len(ids) == len(set(ids)), "task ids must be unique"
    assert 18 <= len(TASKS) <= 30
    for task in TASKS:
        assert set(task) == {"id", "page", "request", "approve", "expect"}, task["id"]
        assert task["approve"] == "auto" and task["request"].strip()
        assert (SITE_DIR / task["page"]).is_file(), task["page"]
        expect = task["expect"]
        assert expect["path"].startswith("/"), task["id"]
        if expect.get("accepted", True):
            assert set(expect) <= {"path", "fields", "empty", "files"}, task["id"]
            assert not set(expect["fields"]) & set(expect["empty"]), task["id"]
            for filename in expect["files"].values():
                assert (FILES_DIR / filename).is_file(), filename
        else:
            assert expect["invalid"], "a rejected task names the field the page refuses"
    assert set(DRIVERS) == set(ids), "every task has exactly one hand-written driver"


def test_every_page_has_a_task() -> None:
    pages = {p.name for p in SITE_DIR.glob("*.html")}
    # Reached through a flow (login → profile, list → new product) or just the site's index;
    # aria_only.html belongs to the executor's screen-check test, not to the task list.
    reached = {"index.html", "profile_form.html", "product_new.html", "aria_only.html"}
    assert pages - reached == {t["page"] for t in TASKS}


def test_the_upload_is_a_real_png() -> None:
    data = UPLOAD.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and 100 < len(data) < 10_000


# ---------------------------------------------------------------- the matcher

def _sub(fields: dict[str, Any], files: dict[str, Any] | None = None,
         accepted: bool = True, path: str = "/submit/x") -> dict[str, Any]:
    return {"path": path, "method": "POST", "fields": fields, "files": files or {},
            "accepted": accepted}


def test_matcher_accepts_exactly_the_expected_submission() -> None:
    expect = {"path": "/submit/x", "fields": {"a": "1", "tags": ["p", "q"]},
              "empty": ["b", "c"], "files": {"img": "x.png"}}
    good = _sub({"a": "1", "tags": ["q", "p"], "b": "", "_csrf": "t"},
                {"img": ("x.png", 10, "h")})
    assert check_submission(expect, [good]) == []
    # The latest submission to the path counts.
    assert check_submission(expect, [_sub({"a": "2"}), good]) == []
    assert check_submission(expect, [good, _sub({"a": "2"})]) != []


@pytest.mark.parametrize("bad", [
    _sub({"a": "2", "tags": ["p", "q"]}, {"img": ("x.png", 10, "h")}),          # wrong value
    _sub({"a": "1", "tags": ["p"]}, {"img": ("x.png", 10, "h")}),               # one missing
    _sub({"a": "1", "tags": ["p", "q"], "b": "x"}, {"img": ("x.png", 10, "h")}),  # invented
    _sub({"a": "1", "tags": ["p", "q"], "d": "x"}, {"img": ("x.png", 10, "h")}),  # unexpected
    _sub({"a": "1", "tags": ["p", "q"]}, {"img": ("y.png", 10, "h")}),          # other file
    _sub({"a": "1", "tags": ["p", "q"]}),                                        # no file
    _sub({"a": "1", "tags": ["p", "q"]}, {"img": ("x.png", 10, "h")}, accepted=False),
    _sub({"a": "1", "tags": ["p", "q"]}, {"img": ("x.png", 10, "h")}, path="/submit/y"),
], ids=["wrong", "missing", "invented", "unexpected", "other-file", "no-file", "rejected",
        "other-path"])
def test_matcher_rejects(bad: dict[str, Any]) -> None:
    expect = {"path": "/submit/x", "fields": {"a": "1", "tags": ["p", "q"]},
              "empty": ["b"], "files": {"img": "x.png"}}
    assert check_submission(expect, [bad]) != []


def test_matcher_for_a_value_the_page_must_refuse() -> None:
    expect = {"path": "/submit/x", "accepted": False, "invalid": ["mobile"]}
    assert check_submission(expect, []) == []
    assert check_submission(expect, [_sub({"mobile": "1"}, accepted=False)]) == []
    assert check_submission(expect, [_sub({"mobile": "1"})]) != []


# ---------------------------------------------------------------- the server without a browser

def _open(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    return urllib.request.urlopen(request, timeout=10)


@pytest.mark.server
def test_server_records_urlencoded_get_and_multipart(site: SiteServer) -> None:
    site.reset()
    body = b"name=%E5%BC%A0%E4%B8%89&tags=a&tags=b&empty="
    with _open(site.url + "/submit/form", body,
               {"Content-Type": "application/x-www-form-urlencoded"}) as r:
        page = r.read().decode()
    assert '<h1 id="result" class="accepted">提交成功 / Submitted</h1>' in page and "张三" in page
    with _open(site.url + "/submit/search?q=%E8%93%9D%E7%89%99") as r:
        assert r.status == 200
    png = UPLOAD.read_bytes()
    boundary = "----vlcrewBoundary"
    parts = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n蓝牙耳机\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="earbuds.png"'
        "\r\nContent-Type: image/png\r\n\r\n"
    ).encode() + png + (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="none"; filename=""\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n\r\n--{boundary}--\r\n"
    ).encode()
    with _open(site.url + "/submit/product", parts,
               {"Content-Type": f"multipart/form-data; boundary={boundary}"}) as r:
        assert "earbuds.png" in r.read().decode()
    form, search, product = site.submissions
    assert form["fields"] == {"name": "张三", "tags": ["a", "b"], "empty": ""}
    assert search == {"path": "/submit/search", "method": "GET", "fields": {"q": "蓝牙"},
                      "files": {}, "accepted": True}
    assert product["fields"] == {"title": "蓝牙耳机"}
    # An empty file input is not an upload.
    assert product["files"] == {
        "image": ("earbuds.png", len(png), hashlib.sha256(png).hexdigest())}
    site.reset()
    assert site.submissions == []


def test_multipart_quoting_as_chromium_sends_it() -> None:
    body = (b'--b\r\nContent-Disposition: form-data; name="a%22b"; filename="x%22y.png"\r\n\r\n'
            b"\x00\x01\r\n--b--\r\n")
    fields, files = parse_multipart(body, "multipart/form-data; boundary=b")
    assert fields == {} and files['a"b'][:2] == ('x"y.png', 2)


@pytest.mark.server
def test_login_gate_and_latency() -> None:
    with SiteServer(latency={"/claim_en.html": 0.6}) as server:
        started = time.monotonic()
        with _open(server.url + "/claim_en.html") as r:
            assert r.status == 200
        assert time.monotonic() - started >= 0.6
        # Not logged in: the profile form sends you to the login page, its POST is refused.
        with _open(server.url + "/profile_form.html") as r:
            assert r.url.endswith("/login.html?next=/profile_form.html")
        with _open(server.url + "/submit/profile", b"city=x") as r:
            assert "未登录" in r.read().decode()
        with _open(server.url + "/login", b"username=alice&password=wrong") as r:
            page = r.read().decode()
        assert "用户名或密码错误" in page and "wrong" not in page  # no password echoed back
        assert [s["accepted"] for s in server.submissions] == [False, False]
        with pytest.raises(urllib.error.HTTPError):
            _open(server.url + "/nowhere", b"x=1")


# ---------------------------------------------------------------- every task, in Chromium

@pytest.mark.browser
@pytest.mark.server
@needs_chromium
@pytest.mark.parametrize("task", TASKS, ids=[t["id"] for t in TASKS])
def test_task_by_hand(task: dict[str, Any], site: SiteServer, tab: Tab) -> None:
    tab.page.goto(f"{site.url}/{task['page']}")
    DRIVERS[task["id"]](tab.page)
    assert settle(site, tab.page, task["expect"]) == []
    tab.assert_clean()


# ---------------------------------------------------------------- pages that push back

@pytest.mark.browser
@pytest.mark.server
@needs_chromium
def test_validation_in_the_page_and_on_the_server(site: SiteServer, tab: Tab) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(site.url + "/validate.html")
    page.get_by_label("收货人").fill("刘洋")
    page.get_by_label("手机号码").fill("1381234567")
    page.get_by_role("button", name="保存地址").click()
    page.wait_for_timeout(500)  # let any submit through the route handler
    assert site.submissions == []  # the browser blocked the submit
    # A script that bypasses the page's checks gets the form back from the server.
    page.evaluate("document.getElementById('contact-form').submit()")
    expect(page.locator("#form-error")).to_be_visible()
    expect(page.locator('[data-error-for="mobile"]')).to_contain_text("11")
    mobile = page.get_by_label("手机号码")
    expect(mobile).to_have_value("1381234567")
    assert mobile.evaluate("e => e.validationMessage")
    assert [s["accepted"] for s in site.submissions] == [False]
    # Corrected, it goes through.
    mobile.fill("13812345678")
    assert mobile.evaluate("e => e.validationMessage") == ""
    page.get_by_role("button", name="保存地址").click()
    expect(page.locator("#result")).to_have_text("提交成功 / Submitted")
    assert [s["accepted"] for s in site.submissions] == [False, True]
    tab.assert_clean()


@pytest.mark.browser
@pytest.mark.server
@needs_chromium
def test_consent_is_required_by_the_bank(site: SiteServer, tab: Tab) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(site.url + "/bank_zh.html")
    page.get_by_label("姓名").fill("张三")
    _button(page, "提交").click()
    page.wait_for_timeout(500)  # let any submit through the route handler
    assert site.submissions == []
    page.evaluate("document.getElementById('bank-form').submit()")
    expect(page.locator('[data-error-for="agree"]')).to_contain_text("同意条款")
    expect(page.get_by_label("姓名")).to_have_value("张三")
    assert [s["accepted"] for s in site.submissions] == [False]
    tab.assert_clean()


@pytest.mark.browser
@pytest.mark.server
@needs_chromium
def test_wrong_password_stays_on_the_login_page(site: SiteServer, tab: Tab) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(site.url + "/profile_form.html")
    assert "/login.html" in page.url
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill("nope")
    _button(page, "登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误 / Invalid username or password")
    expect(page.get_by_label("用户名")).to_have_value("alice")
    expect(page.get_by_label("密码")).to_have_value("")
    tab.assert_clean()


@pytest.mark.browser
@pytest.mark.server
@needs_chromium
def test_dynamic_page_changes_under_the_agent(site: SiteServer, tab: Tab) -> None:
    from playwright.sync_api import expect

    page = tab.page
    started = time.monotonic()
    page.goto(site.url + "/dynamic.html")
    assert page.locator("input[name=meal]").count() == 0
    assert page.locator("input[name=invoice_title]").count() == 0
    expect(page.get_by_label("请说明")).to_be_hidden()
    page.locator("input[name=meal]").first.wait_for()
    assert time.monotonic() - started >= 1.3
    tab.assert_clean()


@pytest.mark.browser
@pytest.mark.server
@needs_chromium
def test_custom_dropdowns_by_keyboard(site: SiteServer, tab: Tab) -> None:
    page = tab.page
    page.goto(site.url + "/custom_select.html")
    city = page.get_by_role("combobox", name="期望城市")
    city.focus()
    for key in ("Enter", "ArrowDown", "ArrowDown", "Enter"):
        page.keyboard.press(key)
    assert page.locator("input[name=city]").input_value() == "guangzhou"
    school = page.get_by_role("combobox", name="毕业院校")
    school.press_sequentially("北京")
    page.get_by_role("option", name="北京师范大学").wait_for()
    for key in ("ArrowDown", "ArrowDown", "ArrowDown", "Enter"):
        school.press(key)
    assert school.input_value() == "北京师范大学"
    assert site.submissions == []  # Enter in the suggestion list does not submit
    tab.assert_clean()


def test_pages_fetch_nothing_from_elsewhere() -> None:
    for path in SITE_DIR.rglob("*"):
        if path.suffix in (".html", ".css", ".js"):
            text = path.read_text(encoding="utf-8")
            assert "http://" not in text and "https://" not in text and "//cdn" not in text, path
    json.loads((SITE_DIR / "tasks.json").read_text(encoding="utf-8"))
