"""Actions that move the page on: clicks, key presses, scrolling, opening a URL, waiting.

A click or key press that starts a navigation or requests waits until the page settles
(load, then a short network quiet) before reading back; a navigation off the allowed hosts
is refused and reported, and the error page it left behind is left again.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import urllib.parse
from typing import TYPE_CHECKING

from tools.browser.action_core import (
    RETRIES,
    TIMEOUT_S,
    ActionResult,
    Value,
    clip_error,
    find_control,
    finish_result,
    run_attempts,
    start_result,
)
from tools.browser.chromium import check_navigation, host_guard, host_of
from tools.browser.element_js import CSS_JS
from tools.browser.page_records import PageControl
from tools.browser.page_watch import PageWatch, settle, watch_page

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page


async def locate_text(page: Page, text: str) -> Locator | None:
    """The element a person means by ``text``: a button, link, text or label with exactly that
    text first ("保存" is not "保存草稿"), then one that contains it."""
    exact = [page.get_by_role("button", name=text, exact=True),
             page.get_by_role("link", name=text, exact=True),
             page.get_by_text(text, exact=True), page.get_by_label(text, exact=True)]
    loose = [page.get_by_role("button", name=text), page.get_by_role("link", name=text),
             page.get_by_label(text), page.get_by_text(text)]
    for group in (exact, loose):
        for cand in group:
            visible = cand.filter(visible=True)
            if await visible.count() >= 1:
                return visible.first
    return None


async def _back_to(page: Page, url: str) -> None:
    """Leave the error page a refused navigation shows: back in history, else reload ``url``."""
    with contextlib.suppress(Exception):
        await page.go_back(wait_until="load", timeout=5000)
    if page.url.startswith("chrome-error:") and url and not url.startswith("chrome-error:"):
        with contextlib.suppress(Exception):
            await page.goto(url, wait_until="load", timeout=5000)


async def _after_input(page: Page, w: PageWatch, blocked_before: int, requests_before: int,
                       navs_before: int, url_before: str = "") -> tuple[str, bool, str]:
    """Wait for the page to settle; (readback, ok, message) for a click or key press."""
    await settle(page, w, requests_before, navs_before)
    guard = host_guard(page)
    if guard is not None and len(guard.blocked) > blocked_before:
        hosts = sorted({host_of(u) for u in guard.blocked[blocked_before:]})
        if page.url.startswith("chrome-error:"):
            await _back_to(page, url_before)  # the refused page left an error page behind
        return page.url, False, f"refused to leave the allowed hosts (to {', '.join(hosts)})"
    message = "; ".join(w.dialogs[-1:]) if w.dialogs else ""
    return page.url, True, message


async def click(page: Page, target: PageControl | str, *, retries: int = RETRIES,
                timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Click a control, or the element a visible text/label names; wait if it navigates."""
    t0 = time.perf_counter()
    control = target if isinstance(target, PageControl) else None
    res = start_result("click", page, control, None, None)
    if control is None:
        res.target, res.kind = str(target), "text"
    w = watch_page(page)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        if control is not None:
            loc = await find_control(page, control, timeout_s)
        else:
            found = await locate_text(page, str(target))
            if found is None:
                return None, False, f"nothing on the page reads {str(target)!r}", n > 1
            loc = found
            # Recorded so a replay can find the same element (by role and name, else CSS).
            info = await loc.evaluate(CSS_JS)
            res.locator, res.role = info["locator"], info["role"]
        guard = host_guard(page)
        blocked, reqs, navs = len(guard.blocked) if guard else 0, w.requests, w.navigations
        dialogs = len(w.dialogs)
        if n == 1:
            await loc.click(timeout=timeout_s * 1000)
        elif n == 2:
            await loc.scroll_into_view_if_needed(timeout=timeout_s * 1000)
            await loc.click(force=True, timeout=timeout_s * 1000)
        else:
            await loc.evaluate("(e) => e.click()")
        back, ok, message = await _after_input(page, w, blocked, reqs, navs, res.url)
        if len(w.dialogs) == dialogs:
            message = "" if ok else message
        return back, ok, message, not ok  # a refused navigation is not retried

    await run_attempts(res, attempt, retries)
    return finish_result(res, t0)


_KEYS = {"enter": "Enter", "回车": "Enter", "回车键": "Enter", "return": "Enter", "tab": "Tab",
         "esc": "Escape", "escape": "Escape", "space": "Space", "空格": "Space",
         "空格键": "Space", "backspace": "Backspace", "退格": "Backspace", "delete": "Delete",
         "up": "ArrowUp", "down": "ArrowDown", "left": "ArrowLeft", "right": "ArrowRight",
         "上": "ArrowUp", "下": "ArrowDown", "左": "ArrowLeft", "右": "ArrowRight",
         "pagedown": "PageDown", "pageup": "PageUp", "home": "Home", "end": "End"}


def key_name(key: str) -> str:
    """Playwright's name for a key a person wrote ("回车" → "Enter", "ctrl+a" → "Control+a")."""
    parts = [p.strip() for p in re.split(r"\s*\+\s*", key.strip()) if p.strip()]
    mods = {"ctrl": "Control", "control": "Control", "alt": "Alt", "shift": "Shift",
            "cmd": "Meta", "meta": "Meta"}
    named = [mods.get(p.lower(), _KEYS.get(p.lower(), p)) for p in parts]
    return "+".join(n[:1].upper() + n[1:] if len(n) > 1 and n.lower() == n else n
                    for n in named)


async def press(page: Page, key: str, control: PageControl | None = None, *,
                timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Press a key (in a control, else wherever the focus is); wait if it navigates."""
    t0 = time.perf_counter()
    name = key_name(key)
    res = start_result("press", page, control, name, None)
    w = watch_page(page)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        guard = host_guard(page)
        blocked, reqs, navs = len(guard.blocked) if guard else 0, w.requests, w.navigations
        if control is not None:
            loc = await find_control(page, control, timeout_s)
            await loc.press(name, timeout=timeout_s * 1000)
        else:
            await page.keyboard.press(name)
        back, ok, message = await _after_input(page, w, blocked, reqs, navs, res.url)
        return back, ok, message, True  # a key press is never repeated: it is not idempotent

    await run_attempts(res, attempt, 0)
    return finish_result(res, t0)


async def scroll(page: Page, dy: int = 600, control: PageControl | None = None, *,
                 timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Scroll the page by ``dy`` pixels, or until ``control`` is in view."""
    t0 = time.perf_counter()
    res = start_result("scroll", page, control, None if control else str(dy), None)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        if control is not None:
            loc = await find_control(page, control, timeout_s)
            await loc.scroll_into_view_if_needed(timeout=timeout_s * 1000)
        else:
            await page.evaluate("(dy) => window.scrollBy(0, dy)", dy)
        y = await page.evaluate("() => window.scrollY")
        return f"scrollY={y}", True, "", True

    await run_attempts(res, attempt, 0)
    return finish_result(res, t0)



async def goto(page: Page, url: str, *, timeout_s: float = 15.0) -> ActionResult:
    """Open ``url`` (relative to the current page) if its host is allowed; read back the URL."""
    t0 = time.perf_counter()
    target = urllib.parse.urljoin(page.url, url)
    res = start_result("goto", page, None, target, None)
    res.target = target
    w = watch_page(page)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        check_navigation(page, target)
        reqs, navs = w.requests, w.navigations
        response = await page.goto(target, wait_until="load", timeout=timeout_s * 1000)
        await settle(page, w, reqs, navs, cap_s=3.0)
        if response is not None and response.status >= 400:
            return page.url, False, f"HTTP {response.status}", True
        return page.url, True, "", True

    await run_attempts(res, attempt, 1)
    return finish_result(res, t0)


async def wait_settled(page: Page, timeout_s: float = 3.0) -> ActionResult:
    """Wait for the load event and a short network quiet (both capped by ``timeout_s``)."""
    t0 = time.perf_counter()
    res = start_result("wait", page, None, None, None)
    w = watch_page(page)
    try:
        await page.wait_for_load_state("load", timeout=timeout_s * 1000)
    except Exception as exc:
        res.message = clip_error(exc)
    deadline = t0 + timeout_s
    while time.perf_counter() < deadline:
        if not w.inflight and time.monotonic() - w.last_activity >= 0.25:
            break
        await asyncio.sleep(0.05)
    res.ok, res.attempts, res.readback = True, 1, page.url
    res.message = res.message or ("" if not w.inflight else f"{len(w.inflight)} request(s) "
                                                             "still open")
    return finish_result(res, t0)


async def wait_for_text(page: Page, text: str, timeout_s: float = 5.0) -> ActionResult:
    """Wait until ``text`` is visible (a section loading late, a result message)."""
    t0 = time.perf_counter()
    res = start_result("wait", page, None, text, None)
    res.target, res.attempts = text, 1
    try:
        await page.get_by_text(text).filter(visible=True).first.wait_for(
            state="visible", timeout=timeout_s * 1000)
        res.ok, res.readback = True, text
    except Exception as exc:
        res.message = f"{text!r} did not appear: {clip_error(exc)}"
    return finish_result(res, t0)
