"""Ticking and unticking checkboxes, and picking radio buttons, read back as checked or not.

Styled inputs (hidden under a label, or custom widgets) get a DOM or forced click when
Playwright's own ``set_checked`` cannot reach them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tools.browser.action_core import (
    RETRIES,
    TIMEOUT_S,
    ActionResult,
    Value,
    find_control,
    finish_result,
    read_state,
    run_attempts,
    start_result,
)
from tools.browser.page_records import PageControl

if TYPE_CHECKING:
    from playwright.async_api import Page


async def set_checked(page: Page, control: PageControl, checked: bool = True, *,
                      key: str | None = None, retries: int = RETRIES,
                      timeout_s: float = TIMEOUT_S, action: str | None = None) -> ActionResult:
    """Tick or untick a checkbox (or pick a radio) and read back ``is_checked``."""
    t0 = time.perf_counter()
    res = start_result(action or ("check" if checked else "uncheck"), page, control,
                 control.option_text or control.label, key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await find_control(page, control, timeout_s)
        if n == 1 and not await loc.is_visible():
            # display:none input under a styled label: a DOM click toggles it (and fires
            # its events) where Playwright would wait for it to become visible.
            await loc.evaluate("(e, want) => { if (e.checked !== want) e.click(); }", checked)
        elif n == 1:
            await loc.set_checked(checked, timeout=timeout_s * 1000)
        elif n == 2:  # covered by a styled label or a custom widget: force the click
            if bool((await read_state(loc))["checked"]) != checked:
                await loc.click(force=True, timeout=timeout_s * 1000)
        else:
            await loc.evaluate("(e, want) => { if (!!(e.checked ?? e.getAttribute('aria-checked') "
                               "=== 'true') !== want) e.click(); }", checked)
        st = await read_state(loc)
        state = bool(st["checked"])
        back = "checked" if state else "unchecked"
        if state == checked and st["problem"]:
            return back, False, f"the page rejected it: {st['problem']}", True
        if state != checked:
            return back, False, f"still {back}", False
        return back, True, "", True

    await run_attempts(res, attempt, retries)
    return finish_result(res, t0)


async def choose(page: Page, control: PageControl, *, key: str | None = None,
                 retries: int = RETRIES, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Pick a radio button (its group is then answered by this option)."""
    return await set_checked(page, control, True, key=key, retries=retries, timeout_s=timeout_s,
                             action="choose")
