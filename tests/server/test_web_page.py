"""Browser test of the web page (server/web/) in headless Chromium, fully offline.

The app from ``server.app.create_app`` runs under uvicorn on 127.0.0.1 (offline backend, a
temporary SQLite db and data dir); Debian's ``/usr/bin/chromium`` is driven by Playwright.
A new user's path: upload the bank form, type the request, see the numbered boxes and the
fields table, make an invalid edit (shown next to the field), fix it, approve, get the overlay
and the downloads, then change a field with a chat follow-up. No request may leave the machine
and the console must stay clean. Full-page screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# Offline fills take seconds, but the CI box is shared: be patient, not flaky.
RUN_TIMEOUT_MS = 180_000
EDITED_PHONE = "13700001111"
CHAT_EMAIL = "zhang.san@example.com"
TOKEN = "web-page-test-token"

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
)]


@pytest.fixture
def base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real app on a free loopback port, in a background thread."""
    import uvicorn

    from agents.context import Context
    from server.app import create_app

    monkeypatch.setenv("VLCREW_DATA_DIR", str(tmp_path / "data"))
    app = create_app(context=Context(backend="offline"), db_path=str(tmp_path / "threads.sqlite"),
                     token=TOKEN)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bind before serving: no race for the port
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()


class Browser:
    """A Chromium page plus what it asked the network for and what it logged as errors."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page, self.base_url = page, base_url
        self.outside: list[str] = []
        self.console_errors: list[str] = []


@pytest.fixture
def browser(base_url: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        # What opening the printed /?token= link leaves behind (tests/security tests that door).
        context.add_cookies([{"name": "vlcrew_token", "value": TOKEN, "url": base_url,
                              "httpOnly": True, "sameSite": "Strict"}])
        page = context.new_page()
        b = Browser(page, base_url)

        def only_loopback(route: Any) -> None:
            # Record and refuse anything not served by our own app (a CDN font, a tracker, …).
            url = route.request.url
            if url.startswith((base_url + "/", "data:", "blob:")):
                route.continue_()
            else:
                b.outside.append(url)
                route.abort()

        context.route("**/*", only_loopback)
        page.on("console", lambda m: b.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: b.console_errors.append(f"page error: {e}"))
        try:
            yield b
        finally:
            context.close()
            chromium.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _row(page: Any, label: str) -> Any:
    return page.locator(f'#fields tbody tr[data-label="{label}"]').first


def _wait_until(page: Any, test: str, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    # Not wait_for_function: it evaluates its predicate inside the page, which the page's
    # CSP (script-src 'self', no eval) forbids; evaluate() runs from outside.
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(test):
        assert time.monotonic() < deadline, f"timed out waiting for {test}"
        page.wait_for_timeout(100)


def _wait_idle(page: Any) -> None:
    # The page disables the submit button while a stream is open.
    _wait_until(page, "() => !document.getElementById('submit').disabled")


def test_fill_edit_approve_follow_up(browser: Browser) -> None:
    from playwright.sync_api import expect

    page = browser.page
    truth = json.loads((EXAMPLES / "bank_account_zh.truth.json").read_text(encoding="utf-8"))
    expected = {f["label"]: f["value"] for f in truth["expected"]["fields"]}
    assert expected["姓名"] == "张三" and expected["手机号码"] == "13812345678"

    page.goto(browser.base_url + "/")
    expect(page).to_have_title("vlcrew · 表单填写助手 Form-filling assistant")
    # Every input a user types into has an accessible name.
    for sel in ("#file", "#request", "#chat-input", "#backend"):
        assert page.locator(sel).evaluate("e => e.labels?.length > 0 || !!e.getAttribute('aria-label')"), sel

    _shot(page, "web_0_start.png")  # what a new user sees first
    page.set_input_files("#file", str(EXAMPLES / "bank_account_zh.png"))
    expect(page.locator("#thumbs img")).to_be_visible()
    page.fill("#request", (EXAMPLES / "bank_account_zh.request.txt").read_text(encoding="utf-8").strip())
    page.click("#submit")

    # The run pauses for approval: numbered boxes over the screenshot and the fields table.
    expect(page.locator("#approve")).to_be_enabled(timeout=RUN_TIMEOUT_MS)
    expect(_row(page, "姓名").locator("input")).to_have_value("张三")
    # One numbered box per filled row; labels with no value are dashed rows without a box.
    rows = page.locator("#fields tbody tr:not(.missing)").count()
    assert rows >= 8, rows
    assert page.locator(".viewer svg g.box").count() == rows
    expect(page.locator('#fields tbody tr.missing[data-label="国籍"]')).to_be_visible()
    assert page.locator("#steps li.done").count() >= 3
    for label in ("证件号码", "手机号码", "电子邮箱"):
        expect(_row(page, label).locator("input")).to_have_value(expected[label])
    _shot(page, "web_1_review.png")

    # An invalid edit comes back as a problem next to the field, and the run pauses again.
    phone = _row(page, "手机号码").locator("input")
    phone.fill("12345")
    expect(page.locator("#approve")).to_contain_text("1 change")
    page.click("#approve")
    expect(_row(page, "手机号码").locator(".problem").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#approve")).to_be_enabled(timeout=RUN_TIMEOUT_MS)
    _shot(page, "web_2_invalid_edit.png")

    phone = _row(page, "手机号码").locator("input")
    phone.fill(EDITED_PHONE)
    page.click("#approve")

    # After approval: the final overlay image and the download links.
    overlay = page.locator("#overlay")
    expect(overlay).to_be_visible(timeout=RUN_TIMEOUT_MS)
    _wait_until(page, "() => document.getElementById('overlay').naturalWidth > 0")
    for kind in ("answer_url", "values", "playwright", "pyautogui"):
        expect(page.locator(f'#downloads a[data-kind="{kind}"]')).to_be_visible()
    expect(_row(page, "手机号码").locator("input")).to_have_value(EDITED_PHONE)
    _wait_idle(page)
    _shot(page, "web_3_approved.png")

    href = page.locator('#downloads a[data-kind="answer_url"]').get_attribute("href")
    assert href
    resp = page.request.get(browser.base_url + href if href.startswith("/") else href)
    assert resp.ok, resp.status
    answer = resp.json()
    phones = [f["value"] for f in answer["fields"] if f["label"] == "手机号码"]
    assert phones == [EDITED_PHONE], phones
    for kind in ("values", "playwright", "pyautogui"):
        link = page.locator(f'#downloads a[data-kind="{kind}"]').get_attribute("href") or ""
        assert page.request.get(browser.base_url + link if link.startswith("/") else link).ok, kind

    # A follow-up in the chat box updates a field on the same thread.
    page.fill("#chat-input", f"把邮箱改成 {CHAT_EMAIL}")
    page.press("#chat-input", "Enter")
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while not (page.locator("#status.done").count()
               and _row(page, "电子邮箱").locator("input").input_value() == CHAT_EMAIL):
        # The thread asks for approval (approve="ask") before it commits the change.
        if page.locator("#approve").is_visible() and page.locator("#approve").is_enabled():
            page.click("#approve")
        assert time.monotonic() < deadline, "the follow-up did not update 电子邮箱"
        page.wait_for_timeout(250)
    answer = page.request.get(browser.base_url + href if href.startswith("/") else href).json()
    assert [f["value"] for f in answer["fields"] if f["label"] == "电子邮箱"] == [CHAT_EMAIL]
    _wait_idle(page)
    expect(page.locator("#log li.assistant").last).to_be_visible()
    _shot(page, "web_4_follow_up.png")

    assert browser.outside == [], f"requests left the machine: {browser.outside}"
    assert browser.console_errors == [], browser.console_errors


def test_errors_in_plain_words(browser: Browser) -> None:
    from playwright.sync_api import expect

    page = browser.page
    page.goto(browser.base_url + "/")
    page.fill("#request", "帮我填一下")
    page.click("#submit")  # no screenshot yet
    expect(page.locator("#error-text")).to_contain_text("Add a screenshot")

    page.set_input_files("#file", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    expect(page.locator("#error-text")).to_contain_text("is not an image")

    # A link to a conversation the server does not know reads as such, not as a stack trace.
    page.goto(browser.base_url + "/#thread=no-such-thread")
    page.reload()
    expect(page.locator("#error")).to_be_visible(timeout=30_000)
    text = page.locator("#error-text").inner_text()
    assert "Traceback" not in text and "undefined" not in text and "[object" not in text, text
    assert browser.outside == [], browser.outside


# A small PNG drawn in the page, wrapped as a File in a DataTransfer (what paste and drop carry).
_MAKE_TRANSFER = """async (name) => {
  const canvas = Object.assign(document.createElement('canvas'), {width: 64, height: 48});
  const blob = await new Promise((ok) => canvas.toBlob(ok, 'image/png'));
  const dt = new DataTransfer();
  dt.items.add(new File([blob], name, {type: 'image/png'}));
  return dt;
}"""


def test_paste_drop_and_reject(browser: Browser) -> None:
    from playwright.sync_api import expect

    page = browser.page
    page.goto(browser.base_url + "/")
    page.evaluate(f"""async () => {{
      const dt = await ({_MAKE_TRANSFER})('pasted.png');
      document.dispatchEvent(new ClipboardEvent('paste', {{clipboardData: dt}}));
    }}""")
    expect(page.locator("#thumbs figcaption")).to_contain_text("pasted.png")
    page.evaluate(f"""async () => {{
      const dt = await ({_MAKE_TRANSFER})('dropped.png');
      document.getElementById('drop').dispatchEvent(
        new DragEvent('drop', {{dataTransfer: dt, bubbles: true, cancelable: true}}));
    }}""")
    expect(page.locator("#thumbs figcaption")).to_contain_text("dropped.png")

    # Rejecting says plainly that nothing was written.
    page.set_input_files("#file", str(EXAMPLES / "bank_account_zh.png"))
    page.fill("#request", (EXAMPLES / "bank_account_zh.request.txt").read_text(encoding="utf-8"))
    page.click("#submit")
    expect(page.locator("#approve")).to_be_enabled(timeout=RUN_TIMEOUT_MS)
    page.click("#reject")
    page.fill("#reject-reason", "wrong form 表单不对")
    page.click("#reject-confirm")
    expect(page.locator("#rejected-note")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    # The answer JSON is still there (it records the rejection); no scripts, no overlay.
    expect(page.locator('#downloads a[data-kind="playwright"], #downloads a[data-kind="pyautogui"]')).to_have_count(0)
    expect(page.locator("#overlay")).to_be_hidden()
    expect(page.locator("#log li.user").last).to_contain_text("wrong form")
    _wait_idle(page)
    _shot(page, "web_5_rejected.png")
    assert browser.outside == [], browser.outside
    assert browser.console_errors == [], browser.console_errors
