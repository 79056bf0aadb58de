"""Actions on live pages (tools/browser/*_action*.py), read back, on the local test site.

One headless Chromium for the module; the site (tests/site_server.py) records what every form
submitted, and ``check_submission`` with the task's ``expect`` from tests/site/tasks.json is
the same success rule the executor's benchmark uses. Pages of a single test are given with
``set_content`` where no navigation is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.browser.action_core import RETRIES, ActionResult
from tools.browser.check_actions import choose, set_checked
from tools.browser.chromium import CHROMIUM, open_page
from tools.browser.control_value import set_value
from tools.browser.navigation_actions import click, goto, press, scroll, wait_for_text, wait_settled
from tools.browser.page_records import PageControl, PageSnapshot
from tools.browser.page_watch import set_dialog_policy
from tools.browser.perceive import snapshot
from tools.browser.select_actions import pick_suggestion, select
from tools.browser.text_actions import fill, focus
from tools.browser.upload_action import upload

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")]

site_server = pytest.importorskip("tests.site_server",
                                  reason="the local test site (tests/site_server.py) is absent")
TASKS = {t["id"]: t for t in site_server.load_tasks()}
TIMINGS: dict[str, list[float]] = {}


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    with site_server.SiteServer() as server:
        yield server


@pytest.fixture(scope="module", autouse=True)
def _timings() -> Iterator[None]:
    yield
    if TIMINGS:  # seconds per action, shown with -s (for the report)
        print("\naction timings (s):", {k: f"n={len(v)} mean={sum(v) / len(v):.3f} "
                                           f"max={max(v):.3f}" for k, v in TIMINGS.items()})


def _by(snap: PageSnapshot, label: str, option: str | None = None) -> PageControl:
    for c in snap.controls:
        if label in c.label and (option is None or c.option_text == option):
            return c
    raise LookupError(label)


def _ok(*results: ActionResult) -> None:
    for r in results:
        TIMINGS.setdefault(r.action, []).append(r.seconds)
        assert r.ok, str(r)


def _check(site: Any, task: str) -> None:
    expect = TASKS[task]["expect"]
    site.wait_for(expect["path"])
    assert site_server.check_submission(expect, site.submissions) == []


# ------------------------------------------------------------------ forms


async def _bank(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/bank_zh.html", browser=browser) as page:
        s = await snapshot(page, screenshot=False)
        return [
            await fill(page, _by(s, "姓名"), "张三", key="name"),
            await choose(page, _by(s, "性别", "男")),
            await fill(page, _by(s, "出生日期"), "1990年5月12日"),  # typed as ISO
            await select(page, _by(s, "证件类型"), "身份证"),  # fuzzy: 居民身份证
            await fill(page, _by(s, "证件号码"), "110105199005120030", key="id_number"),
            await fill(page, _by(s, "手机号码"), "13812345678"),
            await set_value(page, _by(s, "电子邮箱"), "zhangsan@example.com"),
            await fill(page, _by(s, "联系地址"), "北京市朝阳区建国路88号"),
            await fill(page, _by(s, "职业"), "软件工程师"),
            await select(page, _by(s, "账户类型"), "Ⅰ类借记账户"),
            await set_checked(page, _by(s, "本人已阅读")),
            await click(page, "提交"),
        ]


def test_bank_form_submits_exactly_the_values(run: Any, site: Any) -> None:
    site.reset()
    results = run(_bank, site.url)
    _ok(*results)
    assert results[2].readback == "1990-05-12"
    assert results[3].readback == "居民身份证"
    assert results[-1].readback.endswith("/submit/bank")
    _check(site, "bank_full")


async def _custom(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/custom_select.html", browser=browser) as page:
        s = await snapshot(page, screenshot=False)
        return [
            await select(page, _by(s, "期望城市"), "上海"),
            await select(page, _by(s, "最高学历"), "硕士"),
            await pick_suggestion(page, _by(s, "毕业院校"), "复旦", "复旦大学"),
            await click(page, _by(s, "提交")),
        ]


def test_custom_dropdowns_and_autocomplete(run: Any, site: Any) -> None:
    site.reset()
    results = run(_custom, site.url)
    _ok(*results)
    assert "上海" in results[0].readback and "硕士" in results[1].readback
    assert results[2].readback == "复旦大学"  # not 复旦大学上海医学院
    _check(site, "custom_select_zh")


async def _rejected(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/validate.html", browser=browser) as page:
        s = await snapshot(page, screenshot=False)
        out = [await fill(page, _by(s, "收货人"), "刘洋"),
               await fill(page, _by(s, "手机号码"), "1381234567"),
               await fill(page, _by(s, "邮政编码"), "100080")]
        out.append(await click(page, "保存地址 / Save"))
        after = await snapshot(page, screenshot=False)
        assert _by(after, "手机号码").validation_message
        return out


def test_a_value_the_page_rejects_is_a_failure(run: Any, site: Any) -> None:
    site.reset()
    name, mobile, postcode, _save = run(_rejected, site.url)
    _ok(name, postcode)
    assert not mobile.ok and mobile.attempts == 1  # rejected: not retried, not a success
    assert "11" in mobile.message and mobile.readback == "1381234567"
    assert site_server.check_submission(TASKS["validate_rejected"]["expect"],
                                        site.submissions) == []


# ------------------------------------------------------------------ retries and read-back


_FLAKY = """<input id="a" aria-label="A"><input id="b" aria-label="B" maxlength="3">
<select id="s" aria-label="S"><option>北京 Beijing</option><option>北京 Peking</option></select>
<script>
  // The first input event is thrown away (a page still wiring itself up).
  let first = true;
  document.getElementById('a').addEventListener('input', (e) => {
    if (first) { first = false; e.target.value = ''; } });
</script>"""


async def _flaky(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/index.html", browser=browser) as page:
        await page.set_content(_FLAKY)
        s = await snapshot(page, screenshot=False)
        return [await fill(page, _by(s, "A"), "hello"),
                await fill(page, _by(s, "B"), "12345"),
                await select(page, _by(s, "S"), "北京"),
                await select(page, _by(s, "S"), "上海")]


def test_mismatch_is_retried_then_reported(run: Any, site: Any) -> None:
    retried, truncated, ambiguous, absent = run(_flaky, site.url)
    assert retried.ok and retried.attempts == 2 and retried.readback == "hello"
    assert not truncated.ok and truncated.attempts == 1 + RETRIES
    assert truncated.readback == "123" and "different value" in truncated.message
    assert not ambiguous.ok and "no option matches" in ambiguous.message  # a tie is no guess
    assert not absent.ok and "no option matches '上海'" in absent.message


# ------------------------------------------------------------------ clicks, keys, navigation


async def _clicks(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/buttons.html", browser=browser) as page:
        save = await click(page, "保存")  # not 保存草稿
        await goto(page, "/buttons.html")
        refresh = await click(page, "Refresh")  # a div role=button reporting by fetch
        missing = await click(page, "不存在的按钮", timeout_s=0.5)
        return [save, refresh, missing]


def test_click_by_exact_text(run: Any, site: Any) -> None:
    site.reset()
    save, refresh, missing = run(_clicks, site.url)
    _ok(save, refresh)
    assert save.locator and save.role == "button"  # recorded for the replay
    hits = [s["fields"].get("action") for s in site.submissions if s["path"] == "/submit/button"]
    assert hits == ["save", "refresh"]
    assert not missing.ok and "nothing on the page reads" in missing.message


async def _search(browser: Any, url: str) -> ActionResult:
    async with open_page(url + "/search.html", browser=browser) as page:
        s = await snapshot(page, screenshot=False)
        _ok(await fill(page, _by(s, "搜索商品"), "蓝牙耳机"))
        return await press(page, "回车", _by(s, "搜索商品"))


def test_press_enter_submits_and_waits(run: Any, site: Any) -> None:
    site.reset()
    result = run(_search, site.url)
    _ok(result)
    assert result.value == "Enter" and "/submit/search" in result.readback
    _check(site, "search")


async def _fenced(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/index.html", browser=browser) as page:
        away = await goto(page, "https://elsewhere.example/phish")
        await page.set_content('<a href="http://elsewhere.example/x">外部链接</a>')
        link = await click(page, "外部链接")
        same = await goto(page, "/search.html")
        return [away, link, same]


def test_other_hosts_are_refused(run: Any, site: Any) -> None:
    away, link, same = run(_fenced, site.url)
    assert not away.ok and "refused" in away.message and "elsewhere.example" in away.message
    assert not link.ok and "elsewhere.example" in link.message and link.attempts == 1
    assert link.readback.startswith(site.url)  # back on the site, not on an error page
    _ok(same)
    assert same.readback.endswith("/search.html")


# ------------------------------------------------------------------ files, flows, late pages


async def _product(browser: Any, url: str, outside: Path) -> list[ActionResult]:
    async with open_page(url + "/products.html", browser=browser) as page:
        out = [await click(page, "添加商品")]
        s = await snapshot(page, screenshot=False)
        allowed = [site_server.FILES_DIR]
        out += [await fill(page, _by(s, "商品名称"), "蓝牙耳机 Pro"),
                await fill(page, _by(s, "价格"), "199.00"),
                await fill(page, _by(s, "库存"), "50"),
                await upload(page, _by(s, "商品图片"), outside, allowed_dirs=allowed),
                await upload(page, _by(s, "商品图片"),
                                 site_server.FILES_DIR / "earbuds.png", allowed_dirs=allowed),
                await click(page, "发布 / Publish")]
        return out


def test_upload_only_from_allowed_dirs_in_a_two_page_flow(run: Any, site: Any,
                                                           tmp_path: Path) -> None:
    site.reset()
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG")
    add, title, price, stock, refused, image, publish = run(_product, site.url, outside)
    _ok(add, title, price, stock, image, publish)
    assert add.readback.endswith("/product_new.html")
    assert not refused.ok and "not inside an allowed upload directory" in refused.message
    assert image.readback == "earbuds.png"
    _check(site, "product_add")


async def _dynamic(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/dynamic.html", browser=browser) as page:
        s = await snapshot(page, screenshot=False)
        out = [await fill(page, _by(s, "姓名"), "Li Lei"),
               await select(page, _by(s, "参会方式"), "On site"),
               await click(page, _by(s, "添加发票信息"))]
        s = await snapshot(page, screenshot=False)  # the invoice fields exist only now
        out += [await fill(page, _by(s, "发票抬头"), "北京星河科技有限公司"),
                await fill(page, _by(s, "税号"), "91110105MA01ABCD26"),
                await wait_for_text(page, "素食", timeout_s=5)]
        s = await snapshot(page, screenshot=False)  # the late meal section arrived
        out += [await choose(page, _by(s, "餐饮偏好", "素食 Vegetarian")),
                await click(page, "提交报名 / Register")]
        return out


def test_a_page_that_changes_under_the_agent(run: Any, site: Any) -> None:
    site.reset()
    results = run(_dynamic, site.url)
    _ok(*results)
    _check(site, "dynamic_slow")


async def _misc(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/appointment.html", browser=browser) as page:
        s = await snapshot(page, screenshot=False)
        return [await focus(page, _by(s, "备注")),
                await scroll(page, 300),
                await wait_settled(page, timeout_s=2)]


def test_focus_scroll_wait(run: Any, site: Any) -> None:
    site.reset()
    focus, scroll, wait = run(_misc, site.url)
    _ok(focus, scroll, wait)
    assert focus.readback == "focused"
    assert site.wait_for("/submit/focus")["fields"] == {"field": "note"}


# ------------------------------------------------------------------ secrets stay out of logs


async def _login(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/login.html", browser=browser) as page:
        s = await snapshot(page, screenshot=False)
        out = [await fill(page, _by(s, "用户名"), "alice"),
               await fill(page, _by(s, "密码"), "s3cret!")]
        await page.set_content('<label>证件号码 <input name="idn"></label>')
        s = await snapshot(page, screenshot=False)
        out.append(await fill(page, _by(s, "证件号码"), "110105199005120030"))
        return out


def test_passwords_and_id_numbers_are_masked(run: Any, site: Any,
                                             caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="vlcrew.browser"):
        user, password, id_number = run(_login, site.url)
    _ok(user, password, id_number)
    assert password.secret and password.readback == "********"
    shown = " ".join([repr(password), str(password), repr(id_number), str(id_number),
                      str(password.masked()), str(id_number.masked()), caplog.text])
    assert "s3cret!" not in shown and "110105199005120030" not in shown
    assert "110***********0030" in shown
    assert password.value == "s3cret!"  # the raw value stays available for the replay file


_DIALOGS = """<button id="del" onclick="document.getElementById('out').textContent =
  confirm('确定删除？') ? 'deleted' : 'kept'">删除</button><p id="out"></p>"""


async def _dialogs(browser: Any, url: str) -> list[Any]:
    async with open_page(url + "/index.html", browser=browser) as page:
        await page.set_content(_DIALOGS)
        declined = await click(page, "删除")
        first = await page.text_content("#out")
        set_dialog_policy(page, accept_confirm=True)
        accepted = await click(page, "删除")
        return [declined, first, accepted, await page.text_content("#out")]


def test_confirm_dialogs_are_declined_unless_allowed(run: Any, site: Any) -> None:
    declined, first, accepted, second = run(_dialogs, site.url)
    _ok(declined, accepted)
    assert first == "kept" and "confirm: 确定删除？" in declined.message
    assert second == "deleted"


_STYLED = """<style>.hide{display:none} .sr{position:absolute;opacity:0}</style>
<label><input class="hide" type="checkbox" name="a"><span>订阅 A</span></label>
<label><input class="sr" type="checkbox" name="b"> 订阅 B</label>
<div role="checkbox" aria-checked="false" tabindex="0" id="c"
     onclick="this.setAttribute('aria-checked', this.getAttribute('aria-checked') !== 'true')"
     >订阅 C</div>"""


async def _styled(browser: Any, url: str) -> list[ActionResult]:
    async with open_page(url + "/index.html", browser=browser) as page:
        await page.set_content(_STYLED)
        s = await snapshot(page, screenshot=False)
        return [await set_checked(page, _by(s, "订阅 A")),
                await set_checked(page, _by(s, "订阅 B")),
                await set_checked(page, _by(s, "订阅 C")),
                await set_checked(page, _by(s, "订阅 C"), False)]


def test_styled_and_custom_checkboxes(run: Any, site: Any) -> None:
    results = run(_styled, site.url)
    _ok(*results)
    assert [r.readback for r in results] == ["checked", "checked", "checked", "unchecked"]
    assert all(r.attempts == 1 and r.seconds < 2 for r in results)
