"""Text actions: type into a text input, textarea, date or password field; move the focus.

Each reads the field back (a password is compared in the page, never read out) and retries
key by key when a bulk fill did not stick.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tools.browser.action_core import (
    PASSWORD_MASK,
    RETRIES,
    TIMEOUT_S,
    ActionResult,
    Value,
    find_control,
    finish_result,
    read_state,
    run_attempts,
    same_value,
    start_result,
)
from tools.browser.page_records import PageControl
from tools.forms.validators import parse_date

if TYPE_CHECKING:
    from playwright.async_api import Page


def _normalize_date(control: PageControl, value: str) -> str:
    """A date input only takes ISO dates ("1990年5月12日" → "1990-05-12")."""
    if control.input_type == "date":
        d = parse_date(value)
        if d is not None:
            return d.isoformat()
    return value


async def fill(page: Page, control: PageControl, value: str, *, key: str | None = None,
               retries: int = RETRIES, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Type ``value`` into a text input, textarea, date or password field and read it back."""
    t0 = time.perf_counter()
    value = _normalize_date(control, value) if control.kind == "date" else value
    res = start_result("fill", page, control, value, key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await find_control(page, control, timeout_s)
        if n == 1:
            await loc.fill(value, timeout=timeout_s * 1000)
        else:  # key by key: pages with input masks or key handlers ignore a bulk fill
            await loc.fill("", timeout=timeout_s * 1000)
            await loc.press_sequentially(value, delay=15, timeout=timeout_s * 1000)
        await loc.evaluate("(e) => e.blur()")  # change/blur validation runs now
        st = await read_state(loc, value)
        if res.secret:
            back: str = PASSWORD_MASK if st["value_matches"] else "(differs)"
            same = bool(st["value_matches"])
        else:
            back = st["value"]
            same = same_value(back, value)
        if st["problem"]:
            return back, False, f"the page rejected the value: {st['problem']}", True
        if not same:
            return back, False, "the field kept a different value", False
        return back, True, "", True

    await run_attempts(res, attempt, retries)
    return finish_result(res, t0)


async def focus(page: Page, control: PageControl, *, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Put the keyboard focus on a control (read back: is it the active element?)."""
    t0 = time.perf_counter()
    res = start_result("focus", page, control, None, None)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await find_control(page, control, timeout_s)
        if n == 1:
            await loc.focus(timeout=timeout_s * 1000)
        else:
            await loc.click(timeout=timeout_s * 1000)
        focused = bool((await read_state(loc))["focused"])
        return ("focused" if focused else "not focused"), focused, "", False

    await run_attempts(res, attempt, RETRIES)
    return finish_result(res, t0)
