"""Perception of a live page (tools/browser/perceive.py, perception_js.py) and the browser fence (tools/browser/chromium.py).

One headless Chromium (Debian's /usr/bin/chromium) for the module; pages are served from a
temporary directory by an ``http.server`` on 127.0.0.1. The page below names its controls in
every way the snapshot must understand: ``<label for>``, wrapping labels, aria-label(ledby),
legends, table headers and first-column cells, placeholders, nearby text and button texts.
"""

from __future__ import annotations

import asyncio
import functools
import io
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tools.browser.chromium import (
    CHROMIUM,
    BrowserUnavailable,
    HostBlocked,
    check_navigation,
    chromium_path,
    host_guard,
    open_page,
)
from tools.browser.control_names import mapping_label, name_parts, to_elements
from tools.browser.page_records import PageSnapshot
from tools.browser.perceive import fingerprint, snapshot
from tools.common.schema import UserDatum
from tools.forms.mapping import map_fields

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")]

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>表单</title>
<link rel="icon" href="data:,">
<style>body{font:14px sans-serif} .row{display:flex;gap:8px;margin:6px 0}
.sr{position:absolute;opacity:0} .error{color:red}</style></head><body>
<h1>开户申请</h1>
<form id="f" action="/submit" method="post">
  <div class="row"><label for="name">* 姓名：</label><input id="name" name="name"></div>
  <div class="row"><label>手机号码 <input name="mobile" type="tel"></label></div>
  <div class="row"><input name="email" aria-label="电子邮箱"></div>
  <div class="row"><span id="addr-l">联系地址</span><input name="address" aria-labelledby="addr-l">
  </div>
  <div class="row"><input name="company" placeholder="请输入工作单位"></div>
  <div class="row"><span>职业</span><input name="occupation"></div>
  <div class="row"><span id="g">性别</span><div role="radiogroup" aria-labelledby="g">
    <label><input type="radio" name="gender" value="m"> 男</label>
    <label><input type="radio" name="gender" value="f"> 女</label></div></div>
  <fieldset><legend>通知方式</legend>
    <label><input type="checkbox" name="ch" value="email"> Email</label>
    <label><input type="checkbox" name="ch" value="sms"> SMS</label></fieldset>
  <table><tr><th>出生日期</th><td><input type="date" name="birth"></td></tr>
         <tr><td>证件类型</td><td><select name="id_type"><option value="">请选择</option>
           <option value="id">居民身份证</option><option value="pp">护照</option></select></td></tr>
  </table>
  <div class="row"><label for="note">备注</label><textarea id="note" name="note"></textarea></div>
  <div class="row"><label for="pw">密码</label><input id="pw" type="password" name="pw"
    value="secret-value"></div>
  <div class="row"><label for="photo">照片</label><input id="photo" type="file" name="photo"></div>
  <div class="row"><label for="code">邀请码</label><input id="code" name="code" disabled></div>
  <div class="row"><input type="hidden" name="token" value="x"><input name="ghost" hidden></div>
  <div class="row"><label for="zip">邮编</label><input id="zip" name="zip">
    <span class="error" data-error-for="zip"></span></div>
  <label><input class="sr" type="checkbox" name="agree" value="yes"> 本人已阅读并同意条款</label>
  <div class="row"><span id="city-l">城市</span>
    <button type="button" role="combobox" aria-labelledby="city-l" aria-controls="city-list"
      id="city">请选择</button>
    <ul role="listbox" id="city-list" hidden><li role="option" data-value="bj">北京</li>
      <li role="option" data-value="sh" aria-selected="false">上海</li></ul></div>
  <div class="row"><button type="submit">提交</button><button type="reset">重置</button>
    <a href="/help.html">帮助</a></div>
</form>
<p id="alert" role="alert" hidden></p>
<img src="http://blocked.example/pixel.png" alt="">
</body></html>"""


# ------------------------------------------------------------------ fixtures


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pages")
    (root / "form.html").write_text(PAGE, encoding="utf-8")
    (root / "help.html").write_text("<title>help</title><p>帮助</p>", encoding="utf-8")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()




async def _snap(browser: Any, url: str) -> tuple[PageSnapshot, list[int], list[str], list[str]]:
    async with open_page(url, browser=browser) as page:
        snap = await snapshot(page)
        counts = [await page.locator(c.locator).count() for c in snap.controls]
        names = [await page.locator(c.locator).evaluate("e => e.name || e.textContent.trim()")
                 for c in snap.controls]
        guard = host_guard(page)
        return snap, counts, names, list(guard.blocked) if guard else []


@pytest.fixture(scope="module")
def snap(run: Any, server: str) -> tuple[PageSnapshot, list[int], list[str], list[str]]:
    return run(_snap, server + "/form.html")


def _by(snap: PageSnapshot, name: str) -> Any:
    return next(c for c in snap.controls if c.name == name)


# ------------------------------------------------------------------ perception


def test_labels_kinds_and_sources(snap: Any) -> None:
    s, _counts, _names, _blocked = snap
    got = {c.name or c.label: (c.kind, c.label, c.label_source) for c in s.controls}
    assert got["name"] == ("text_input", "姓名", "label_for")  # "* 姓名：" cleaned
    assert got["mobile"] == ("text_input", "手机号码", "wrapping_label")
    assert got["email"] == ("text_input", "电子邮箱", "aria_label")
    assert got["address"] == ("text_input", "联系地址", "aria_labelledby")
    assert got["company"] == ("text_input", "请输入工作单位", "placeholder")
    assert got["occupation"] == ("text_input", "职业", "nearby_text")
    assert got["birth"] == ("date", "出生日期", "table_header")
    assert got["id_type"] == ("select", "证件类型", "table_header")
    assert got["note"] == ("textarea", "备注", "label_for")
    assert got["pw"] == ("password", "密码", "label_for")
    assert got["photo"] == ("upload", "照片", "label_for")
    assert got["提交"][:2] == ("button", "提交")
    assert got["帮助"][:2] == ("link", "帮助")
    city = next(c for c in s.controls if c.id == "city")
    assert (city.kind, city.label, [o.text for o in city.options]) == (
        "custom_select", "城市", ["北京", "上海"])
    assert [o.value for o in city.options] == ["bj", "sh"]


def test_groups_options_and_state(snap: Any) -> None:
    s, _counts, _names, _blocked = snap
    radios = [c for c in s.controls if c.kind == "radio"]
    assert [(c.label, c.option_text, c.group) for c in radios] == [
        ("性别", "男", "gender"), ("性别", "女", "gender")]
    boxes = [c for c in s.controls if c.name == "ch"]
    assert [(c.label, c.label_source, c.option_text) for c in boxes] == [
        ("通知方式", "legend", "Email"), ("通知方式", "legend", "SMS")]
    agree = _by(s, "agree")  # visually hidden input: its label stands in for it
    assert agree.visible and agree.option_text == "本人已阅读并同意条款" and agree.checked is False
    select = _by(s, "id_type")
    assert [o.text for o in select.options] == ["请选择", "居民身份证", "护照"]
    assert select.selected == ["请选择"] and select.value == ""
    assert _by(s, "pw").value == "********"  # a password is never read out of the page
    assert "secret-value" not in s.model_dump_json()
    assert _by(s, "code").enabled is False
    names = {c.name for c in s.controls}
    assert "token" not in names and "ghost" not in names  # hidden controls are not perceived


def test_locators_are_unique_and_boxes_fit_the_screenshot(snap: Any) -> None:
    from PIL import Image

    s, counts, names, _blocked = snap
    assert counts == [1] * len(s.controls)
    assert [n for n, c in zip(names, s.controls, strict=True) if c.name] == [
        c.name for c in s.controls if c.name]
    assert s.screenshot is not None and "screenshot" not in s.model_dump()
    width, height = Image.open(io.BytesIO(s.screenshot)).size
    for c in s.controls:
        x1, y1, x2, y2 = c.bbox
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height, c
    assert any(t.text == "开户申请" for t in s.texts)


def test_to_elements_feeds_the_data_mapping(snap: Any) -> None:
    s, *_ = snap
    elements = to_elements(s)
    assert len(elements) == len(s.controls)
    assert all(e.source == "dom" and e.confidence == 1.0 for e in elements)
    link = elements[next(c.index for c in s.controls if c.kind == "link")]
    assert (link.kind, link.editable) == ("button", False)
    data = [UserDatum(key="name", value="张三", source="request"),
            UserDatum(key="phone", value="13812345678", source="request"),
            UserDatum(key="gender", value="女", source="request"),
            UserDatum(key="birth_date", value="1990-05-12", source="request")]
    fields, missing = map_fields(elements, data)
    by_label = {f.label: f for f in fields}
    assert by_label["姓名"].value == "张三" and by_label["手机号码"].value == "13812345678"
    assert by_label["出生日期"].value == "1990-05-12"
    gender = by_label["性别"]
    assert (gender.value, gender.action) == ("女", "check")
    # provenance["element"] is the control's index: the caller acts on exactly that control
    assert s.controls[gender.provenance["element"]].option_text == "女"
    assert "电子邮箱" in missing and "证件类型" in missing


def test_the_fence_blocks_other_hosts(snap: Any, run: Any, server: str) -> None:
    _s, _counts, _names, blocked = snap
    assert blocked == ["http://blocked.example/pixel.png"]

    async def refused(browser: Any) -> str:
        async with open_page(server + "/form.html", browser=browser) as page:
            with pytest.raises(HostBlocked, match=r"blocked\.example"):
                check_navigation(page, "https://blocked.example/")
            check_navigation(page, server + "/help.html")  # same host: allowed
            return "ok"

    assert run(refused) == "ok"

    async def start_elsewhere(browser: Any) -> None:
        async with open_page(server + "/form.html", allowed_hosts=["example.org"],
                             browser=browser):
            pass

    with pytest.raises(HostBlocked, match="not in the allowed hosts"):
        run(start_elsewhere)


def test_missing_chromium_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.setenv("VLCREW_CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(BrowserUnavailable, match="apt-get install chromium"):
        chromium_path()


# ------------------------------------------------------------------ change detection


async def _changes(browser: Any, url: str) -> dict[str, Any]:
    async with open_page(url, browser=browser) as page:
        first = await snapshot(page, screenshot=False)
        again = await snapshot(page, screenshot=False)
        await page.fill("#name", "张三")
        await page.fill("input[name=mobile]", "13812345678")
        filled = await snapshot(page, screenshot=False)
        await page.evaluate("""() => { const z = document.getElementById('zip');
            z.value = '12'; z.setCustomValidity('邮编须为6位数字');
            document.querySelector('[data-error-for=zip]').textContent = '邮编须为6位数字';
            const a = document.getElementById('alert'); a.hidden = false;
            a.textContent = '请修改标出的字段'; }""")
        rejected = await snapshot(page, screenshot=False)
        await page.evaluate("""() => { const i = document.createElement('input');
            i.name = 'tax'; i.placeholder = '税号'; document.getElementById('f').append(i); }""")
        grown = await snapshot(page, screenshot=False)
        return {"first": first, "again": again, "filled": filled, "rejected": rejected,
                "grown": grown}


def test_fingerprint_and_messages(run: Any, server: str) -> None:
    s = run(_changes, server + "/form.html")
    fp = {k: fingerprint(v) for k, v in s.items()}
    structure = {k: fingerprint(v, values=False) for k, v in s.items()}
    assert fp["first"] == fp["again"]  # unchanged screen: no new inference needed
    assert fp["filled"] != fp["first"]  # a value changed
    assert structure["filled"] == structure["first"]  # … but not the page's structure
    assert structure["grown"] != structure["first"]  # a new field appeared
    zip_ = _by(s["rejected"], "zip")
    assert zip_.validation_message == "邮编须为6位数字"
    assert _by(s["first"], "zip").validation_message == ""
    assert any(m.kind == "alert" and "请修改" in m.text for m in s["rejected"].messages)
    assert _by(s["grown"], "tax").label_source == "placeholder"


def test_bilingual_labels_map_by_the_known_half() -> None:
    assert name_parts("提交 / Submit") == ["提交 / Submit", "提交", "Submit"]
    assert name_parts("下一步 Next") == ["下一步 Next", "下一步", "Next"]
    assert name_parts("姓名") == ["姓名"]
    assert mapping_label("收货人 / Name") == "Name"  # the lexicon knows "Name"
    assert mapping_label("手机号码 / Mobile") == "手机号码"  # both known: the first half
    assert mapping_label("收货人 / Name", ["收货人"]) == "收货人"  # the user's own word wins
    assert mapping_label("Remarks / 备注") == "Remarks / 备注"  # no half is a field key


def test_open_page_launches_its_own_browser(server: str) -> None:
    async def go() -> str:
        async with open_page(server + "/help.html") as page:
            return await page.title()

    assert asyncio.run(go()) == "help"


def test_snapshot_dumps_for_logs_are_masked(run: Any, server: str) -> None:
    filled = run(_changes, server + "/form.html")["filled"]
    assert _by(filled, "mobile").value == "13812345678"  # the live value, for the caller
    shown = repr(filled) + str(filled.masked())
    assert "13812345678" not in shown and "138****5678" in shown
    assert "张三" not in shown
