"""Choosing from a list: a native ``<select>``, a custom dropdown, an autocomplete's suggestions.

:func:`best_option` decides which option a user's word names (exactly, else fuzzily, never
by guessing between two equally good ones); the actions then pick it and read the choice back.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tools.browser.action_core import (
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
from tools.forms.lexicon import normalize_label, option_matches

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

_OPTION_MIN = 0.6


def best_option(wanted: str, options: Sequence[dict[str, Any]]) -> tuple[dict[str, Any] | None,
                                                                        float]:
    """The option a user's word names: equal text/value, else the best fuzzy match (≥ 0.6).

    Bilingual options ("北京 Beijing", "专业版 Pro") match on either part. A tie between two
    different options is no match (ambiguous), never a guess.
    """
    w = normalize_label(wanted)
    scored: list[tuple[float, dict[str, Any]]] = []
    for o in options:
        text, value = str(o.get("text", "")), str(o.get("value", ""))
        if not text and not value:
            continue
        if w and w in (normalize_label(text), normalize_label(value)):
            return o, 1.0
        parts = [p for p in re.split(r"\s*/\s*|\s+(?=[A-Za-z])|(?<=[A-Za-z])\s+(?=[^\sA-Za-z])",
                                     text) if p.strip()]
        score = max([option_matches(wanted, text), *(option_matches(wanted, p) for p in parts)])
        if value:
            score = max(score, option_matches(wanted, value))
        scored.append((score, o))
    scored.sort(key=lambda t: -t[0])
    if not scored or scored[0][0] < _OPTION_MIN:
        return None, scored[0][0] if scored else 0.0
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None, scored[0][0]  # two options equally named: ambiguous
    return scored[0][1], scored[0][0]


async def select(page: Page, control: PageControl, value: str | list[str], *,
                 key: str | None = None, retries: int = RETRIES,
                 timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Choose option(s) by text or value: a native ``<select>`` or a custom dropdown."""
    if control.kind == "autocomplete":
        choice = value[0] if isinstance(value, list) else value
        return await pick_suggestion(page, control, choice, choice, key=key, retries=retries,
                                     timeout_s=timeout_s)
    if control.kind == "custom_select" and control.tag != "select":
        return await _select_custom(page, control, value, key, retries, timeout_s)
    t0 = time.perf_counter()
    wanted = value if isinstance(value, list) else [value]
    res = start_result("select", page, control, value, key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await find_control(page, control, timeout_s)
        st = await read_state(loc)
        picks = []
        for w in wanted:
            option, _score = best_option(w, [o for o in st["options"] if o["value"] != ""]
                                         if w else st["options"])
            if option is None:
                texts = [o["text"] for o in st["options"]]
                return None, False, f"no option matches {w!r} (options: {texts})", True
            picks.append(option)
        if n == 1:
            await loc.select_option(index=[p["index"] for p in picks], timeout=timeout_s * 1000)
        else:  # set it the way a script would, then tell the page
            await loc.evaluate(
                """(el, idx) => { for (const o of el.options) o.selected = idx.includes(o.index);
                   el.dispatchEvent(new Event('input', {bubbles: true}));
                   el.dispatchEvent(new Event('change', {bubbles: true})); }""",
                [p["index"] for p in picks])
        after = await read_state(loc)
        back = after["selected"] if len(wanted) > 1 else (after["selected"] or [""])[0]
        if after["problem"]:
            return back, False, f"the page rejected the choice: {after['problem']}", True
        ok = sorted(after["selected_values"]) == sorted(str(p["value"]) for p in picks)
        return back, ok, "" if ok else "the selection did not stick", False

    await run_attempts(res, attempt, retries)
    return finish_result(res, t0)


async def _open_listbox(page: Page, loc: Locator, n: int, timeout_s: float) -> dict[str, Any]:
    """Open a custom dropdown and return its state once options are visible."""
    st = await read_state(loc)
    if not st["options"]:
        if n == 1:
            await loc.click(timeout=timeout_s * 1000)
        else:
            await loc.focus(timeout=timeout_s * 1000)
            await loc.press("ArrowDown")
    deadline = time.monotonic() + timeout_s
    while True:
        st = await read_state(loc)
        if st["options"] or time.monotonic() > deadline:
            return st
        await asyncio.sleep(0.05)


async def _select_custom(page: Page, control: PageControl, value: str | list[str],
                         key: str | None, retries: int, timeout_s: float) -> ActionResult:
    t0 = time.perf_counter()
    wanted = value if isinstance(value, list) else [value]
    res = start_result("select", page, control, value, key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await find_control(page, control, timeout_s)
        chosen: list[str] = []
        for w in wanted:
            st = await _open_listbox(page, loc, n, timeout_s)
            if not st["options"]:
                return None, False, "the dropdown showed no options", False
            option, _score = best_option(w, st["options"])
            if option is None:
                texts = [o["text"] for o in st["options"]]
                return None, False, f"no option matches {w!r} (options: {texts})", True
            item = page.locator(st["listbox"]).locator(st["option_selector"]).nth(option["index"])
            await item.click(timeout=timeout_s * 1000)
            chosen.append(option["text"])
        after = await read_state(loc)
        shown = after["selected"] or [after["text"]]
        back: Value = shown if len(wanted) > 1 else shown[0]
        ok = all(any(same_value(c, s) or c in s for s in shown) for c in chosen)
        if after["problem"]:
            return back, False, f"the page rejected the choice: {after['problem']}", True
        return back, ok, "" if ok else "the dropdown does not show the chosen option", False

    await run_attempts(res, attempt, retries)
    return finish_result(res, t0)



async def pick_suggestion(page: Page, control: PageControl, typed: str,
                          choice: str | None = None, *, key: str | None = None,
                          retries: int = RETRIES, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Type ``typed``, wait for the suggestion list, click the one matching ``choice`` (the
    first suggestion when None) and read the field back."""
    t0 = time.perf_counter()
    res = start_result("pick_suggestion", page, control, [typed, choice or ""], key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await find_control(page, control, timeout_s)
        await loc.fill("", timeout=timeout_s * 1000)
        await loc.press_sequentially(typed, delay=20, timeout=timeout_s * 1000)
        deadline = time.monotonic() + timeout_s
        option: dict[str, Any] | None = None
        while True:
            st = await read_state(loc)
            if st["options"]:
                option = st["options"][0] if choice is None else best_option(
                    choice, st["options"])[0]
            if option is not None or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        if option is None:
            shown = [o["text"] for o in st["options"]]
            return st["value"], False, (f"no suggestion matches {choice!r} (shown: {shown})"
                                        if shown else "no suggestions appeared"), False
        if st["listbox"]:
            item = page.locator(st["listbox"]).locator(st["option_selector"]).nth(
                option["index"])
            await item.click(timeout=timeout_s * 1000)
        else:  # a <datalist>: its popup is the browser's own, so type the option in full
            await loc.fill(str(option["value"]), timeout=timeout_s * 1000)
        after = await read_state(loc)
        want = str(option["text"])
        ok = same_value(after["value"], want) or same_value(after["value"], str(option["value"]))
        if after["problem"]:
            return after["value"], False, f"the page rejected it: {after['problem']}", True
        return after["value"], ok, "" if ok else "the field does not hold the suggestion", False

    await run_attempts(res, attempt, retries)
    return finish_result(res, t0)
