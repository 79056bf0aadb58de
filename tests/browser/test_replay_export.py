"""The exported Playwright script (tools/browser/replay_export.py) replays a run on its own.

A flow is done on the local test site with the executor's actions; the script and its values
file are written to a temporary directory; then the script runs as a separate process (no
vlcrew import, no model) against a fresh session of the site, and the server must receive
the same values (and the same uploaded file) as in the original run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.browser.action_core import ActionResult
from tools.browser.check_actions import choose, set_checked
from tools.browser.chromium import CHROMIUM, open_page
from tools.browser.navigation_actions import click, press
from tools.browser.page_records import PageControl, PageSnapshot
from tools.browser.perceive import snapshot
from tools.browser.replay_export import replay_script
from tools.browser.select_actions import pick_suggestion, select
from tools.browser.text_actions import fill
from tools.browser.upload_action import upload

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")]

site_server = pytest.importorskip("tests.site_server",
                                  reason="the local test site (tests/site_server.py) is absent")


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    with site_server.SiteServer() as server:
        yield server




def _by(snap: PageSnapshot, label: str, option: str | None = None) -> PageControl:
    return next(c for c in snap.controls
                if label in c.label and (option is None or c.option_text == option))


async def _bank(page: Any) -> list[ActionResult]:
    s = await snapshot(page, screenshot=False)
    return [await fill(page, _by(s, "姓名"), "张三", key="name"),
            await choose(page, _by(s, "性别", "女")),
            await fill(page, _by(s, "出生日期"), "1990-05-12"),
            await select(page, _by(s, "证件类型"), "护照"),
            await fill(page, _by(s, "证件号码"), "E12345678", key="id_number"),
            await fill(page, _by(s, "手机号码"), "13812345678"),
            await select(page, _by(s, "账户类型"), "Ⅱ类"),  # ambiguous (Ⅲ类 ⊃ II类): fails …
            await select(page, _by(s, "账户类型"), "Ⅱ类电子账户"),  # … and is not replayed
            await set_checked(page, _by(s, "本人已阅读")),
            await click(page, "提交")]


async def _custom(page: Any) -> list[ActionResult]:
    s = await snapshot(page, screenshot=False)
    return [await select(page, _by(s, "期望城市"), "深圳"),
            await select(page, _by(s, "最高学历"), "本科"),
            await pick_suggestion(page, _by(s, "毕业院校"), "浙江", "浙江大学"),
            await click(page, "提交 / Submit")]


async def _product(page: Any) -> list[ActionResult]:
    out = [await click(page, "添加商品")]
    s = await snapshot(page, screenshot=False)
    return [
        *out,
        await fill(page, _by(s, "商品名称"), "蓝牙耳机 Pro"),
        await fill(page, _by(s, "价格"), "199.00"),
        await fill(page, _by(s, "库存"), "50"),
        await upload(page, _by(s, "商品图片"), site_server.FILES_DIR / "earbuds.png",
                         allowed_dirs=[site_server.FILES_DIR]),
        await click(page, "发布 / Publish")]


async def _login(page: Any) -> list[ActionResult]:
    s = await snapshot(page, screenshot=False)
    out = [await fill(page, _by(s, "用户名"), "alice"),
           await fill(page, _by(s, "密码"), "s3cret!"),
           await click(page, _by(s, "登录"))]
    s = await snapshot(page, screenshot=False)
    return [*out,
            await fill(page, _by(s, "联系人"), "王芳", key="name"),
            await fill(page, _by(s, "手机"), "13700002222"),
            await fill(page, _by(s, "城市"), "杭州"),
            await press(page, "Enter", _by(s, "城市"))]


FLOWS = {
    "bank": ("/bank_zh.html", "/submit/bank", _bank, ["张三", "E12345678", "13812345678"]),
    "custom": ("/custom_select.html", "/submit/custom", _custom, ["浙江大学"]),
    "product": ("/products.html", "/submit/product", _product, ["蓝牙耳机 Pro"]),
    "login": ("/login.html", "/submit/profile", _login, ["s3cret!", "13700002222"]),
}


async def _do(browser: Any, url: str, flow: Any) -> list[ActionResult]:
    async with open_page(url, browser=browser) as page:
        return await flow(page)


@pytest.mark.parametrize("name", list(FLOWS))
def test_exported_script_replays_the_same_submission(name: str, run: Any, site: Any,
                                                     tmp_path: Path) -> None:
    start, path, flow, secrets = FLOWS[name]
    site.reset()
    results = run(_do, site.url + start, flow)
    original = site.wait_for(path)
    assert original is not None and original["accepted"], [str(r) for r in results]

    script, values = replay_script(site.url + start, results)
    (tmp_path / "replay_playwright.py").write_text(script, encoding="utf-8")
    (tmp_path / "replay_values.json").write_text(values, encoding="utf-8")
    for secret in secrets:  # values live in the JSON file, never in the script
        assert secret not in script and secret in values
    steps = [r for r in results if r.ok]
    if name == "bank":
        assert not results[6].ok
    assert len(json.loads(values)) <= len(steps)
    assert script.count("'id': ") == len(steps)  # failed actions are not replayed

    site.reset()  # a fresh session: no cookie, nothing submitted
    done = subprocess.run([sys.executable, str(tmp_path / "replay_playwright.py"),
                           site.url + start], capture_output=True, text=True, timeout=90,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"replayed {len(steps)} steps" in done.stdout
    replayed = site.wait_for(path)
    assert replayed is not None and replayed["accepted"]
    assert replayed["fields"] == original["fields"]
    assert replayed["files"] == original["files"]

    if name == "bank":  # the human locators alone are enough (no CSS fallback)
        blind = re.sub(r"'locator': '[^']*'", "'locator': ''", script)
        (tmp_path / "replay_playwright.py").write_text(blind, encoding="utf-8")
        site.reset()
        done = subprocess.run([sys.executable, str(tmp_path / "replay_playwright.py"),
                               site.url + start], capture_output=True, text=True, timeout=90,
                              cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert site.wait_for(path)["fields"] == original["fields"]


def test_values_file_can_be_swapped(tmp_path: Path) -> None:
    results = [ActionResult(action="fill", target="姓名", kind="text_input",
                                locator="#name", key="name", value="张三", readback="张三",
                                ok=True, attempts=1),
               ActionResult(action="fill", target="手机", kind="text_input",
                                locator="#m", value="1", ok=False, attempts=3),
               ActionResult(action="wait", ok=True, attempts=1)]
    script, values = replay_script("http://127.0.0.1:9/", results)
    assert json.loads(values) == {"01_name": "张三"}
    assert "'label': '姓名'" in script and "#m" not in script
    compile(script, "replay_playwright.py", "exec")  # valid Python
