"""Acting on a live page, each action read back and retried, never reported as done unchecked.

Every action returns an :class:`ActionResult`: what was asked, what the page shows afterwards
(``readback``), whether they agree (``ok``), attempts and seconds. A mismatch is retried
(``retries`` times, 2 by default, each attempt by a more forceful means: Playwright's
fill/check, then typing or a forced click, then a DOM click); a value the page *rejects*
(``validationMessage`` set, or an error shown next to the field) ends the action at once with
``ok=False`` and the page's message. Clicks and key presses that start a navigation or
requests wait until the page settles (load, then a short network quiet) before reading back.

Values of passwords and personal keys (ID number, phone, …) are masked in ``repr``/``str``
and in the log; :meth:`ActionResult.masked` is the form to store in traces and answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
import urllib.parse
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from tools.browser.chromium import HostBlocked, check_navigation, host_guard, host_of
from tools.browser.page_snapshot import CSS_JS, STATE_JS, PageControl
from tools.common.masking import SENSITIVE_KEYS, mask_text, mask_value
from tools.forms.lexicon import match_label, normalize_label, option_matches
from tools.forms.validators import parse_date

if TYPE_CHECKING:
    from playwright.async_api import Dialog, Locator, Page, Request

log = logging.getLogger("vlcrew.browser")

RETRIES = 2
"""Retries after a first attempt whose read-back does not match."""
TIMEOUT_S = 5.0
"""Per attempt: how long Playwright waits for a control to become actionable."""
_OPTION_MIN = 0.6
_PASSWORD_MASK = "********"

Value = str | list[str] | None


class ActionResult(BaseModel):
    """One action on the page and what the page showed afterwards."""

    action: str = Field(description="fill | select | check | uncheck | choose | upload | click | "
                                    "press | scroll | goto | wait | focus | pick_suggestion")
    target: str = Field(default="", description="Human name of the control (label / text).")
    option: str = Field(default="", description="A radio/checkbox's own text.")
    kind: str = Field(default="", description="Control kind (see page_snapshot.ControlKind).")
    role: str = ""
    placeholder: str = ""
    locator: str = Field(default="", description="CSS selector of the control.")
    key: str | None = Field(default=None, description="Canonical data key, when known.")
    value: Value = None
    readback: Value = None
    ok: bool = False
    attempts: int = 0
    message: str = ""
    seconds: float = 0.0
    url: str = Field(default="", description="Page URL when the action started.")
    secret: bool = Field(default=False, description="A password: never shown.")

    def _mask(self, v: Value) -> Value:
        if v is None:
            return None
        if isinstance(v, list):
            return [self._mask(x) for x in v]  # type: ignore[misc]
        if self.secret:
            return _PASSWORD_MASK if v else ""
        key = self.key if self.key in SENSITIVE_KEYS else _sensitive_key(self.target)
        return mask_value(key, v) if key is not None else mask_text(v)

    def masked(self) -> dict[str, Any]:
        """The result as a dict with value/readback/message masked (for state, logs, answers)."""
        data = self.model_dump()
        data["value"], data["readback"] = self._mask(self.value), self._mask(self.readback)
        data["message"] = mask_text(self.message)
        return data

    def __repr_args__(self) -> Any:
        masked = self.masked()
        return [(k, masked[k] if k else v) for k, v in super().__repr_args__()]

    def __str__(self) -> str:
        state = "ok" if self.ok else "FAILED"
        shown = self._mask(self.value)
        back = self._mask(self.readback)
        return (f"{self.action} {self.target or self.locator!r} = {shown!r} -> {back!r} "
                f"[{state}, {self.attempts} attempt(s), {self.seconds:.2f}s]"
                + (f" {mask_text(self.message)}" if self.message else ""))


def _sensitive_key(label: str) -> str | None:
    if not label:
        return None
    key, _score = match_label(label)
    if key in SENSITIVE_KEYS:
        return key
    # Labels the lexicon does not know but that still name an identity number.
    return "id_number" if re.search(r"证件号|身份证号|证号|passport\s*(no|num)|\bid\s*(no|num)",
                                    label, re.I) else None


# ------------------------------------------------------------------ page watch


@dataclass
class _Watch:
    """Requests in flight, navigations and dialogs of one page (to know when it settled)."""

    inflight: set[Any] = field(default_factory=set)
    requests: int = 0
    navigations: int = 0
    last_activity: float = 0.0
    dialogs: list[str] = field(default_factory=list)
    accept_confirm: bool = False


_WATCHES: weakref.WeakKeyDictionary[Page, _Watch] = weakref.WeakKeyDictionary()


def _watch(page: Page) -> _Watch:
    w = _WATCHES.get(page)
    if w is not None:
        return w
    w = _Watch(last_activity=time.monotonic())

    def on_request(req: Request) -> None:
        w.inflight.add(req)
        w.requests += 1
        w.last_activity = time.monotonic()

    def on_done(req: Request) -> None:
        w.inflight.discard(req)
        w.last_activity = time.monotonic()

    def on_nav(frame: Any) -> None:
        if frame == page.main_frame:
            w.navigations += 1
            w.last_activity = time.monotonic()

    async def on_dialog(dialog: Dialog) -> None:
        # Alerts are read and closed; a confirm/prompt is declined: approval belongs to the
        # caller, not to a dialog the page raises by itself.
        w.dialogs.append(f"{dialog.type}: {dialog.message}")
        if dialog.type in ("alert", "beforeunload") or (
                dialog.type == "confirm" and w.accept_confirm):
            await dialog.accept()
        else:
            await dialog.dismiss()

    page.on("request", on_request)
    # A response counts as done: a body nobody reads (fetch used for its status) may never
    # "finish", and the page is usable once the answer has arrived.
    page.on("response", lambda resp: on_done(resp.request))
    page.on("requestfinished", on_done)
    page.on("requestfailed", on_done)
    page.on("framenavigated", on_nav)
    page.on("dialog", on_dialog)
    _WATCHES[page] = w
    return w


def set_dialog_policy(page: Page, accept_confirm: bool) -> None:
    """Whether a ``confirm()`` the page raises is accepted (after the caller's approval of an
    irreversible action) or declined (the default). Alerts are always read and closed."""
    _watch(page).accept_confirm = accept_confirm


async def _settle(page: Page, w: _Watch, requests_before: int, navs_before: int,
                  cap_s: float = 5.0, quiet_s: float = 0.25) -> None:
    """Wait for what an action started: a navigation's load, then a short network quiet."""
    await asyncio.sleep(0.06)  # let click handlers start their requests
    if w.requests == requests_before and w.navigations == navs_before:
        return
    deadline = time.monotonic() + cap_s
    if w.navigations != navs_before or any(
            r.resource_type == "document" for r in list(w.inflight)):
        with contextlib.suppress(Exception):  # a slow page is read as it is
            await page.wait_for_load_state("load", timeout=cap_s * 1000)
    while time.monotonic() < deadline:
        if not w.inflight and time.monotonic() - w.last_activity >= quiet_s:
            return
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------ helpers


def _clip(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


async def _locator(page: Page, control: PageControl, timeout_s: float) -> Locator:
    """The control's element: its selector, or — if the page re-rendered it — by its name."""
    loc = page.locator(control.locator)
    if await loc.count() == 1:
        return loc
    name = control.label if control.kind not in ("radio", "checkbox") else control.option_text
    candidates = []
    if name:
        candidates += [page.get_by_label(name, exact=True)]
        if control.role:
            candidates += [page.get_by_role(control.role, name=name, exact=True)]  # type: ignore[arg-type]
    if control.placeholder:
        candidates += [page.get_by_placeholder(control.placeholder, exact=True)]
    for cand in candidates:
        if await cand.count() == 1:
            return cand
    # Not there (yet): wait a little for the selector, the page may still be rendering.
    await loc.first.wait_for(state="attached", timeout=timeout_s * 1000)
    return loc.first


async def _state(loc: Locator, expect: str | None = None) -> dict[str, Any]:
    return await loc.evaluate(STATE_JS, expect)


def _same(a: str, b: str) -> bool:
    """Equal as a person would read them (spaces, full-width forms, number formatting)."""
    if a == b:
        return True
    na, nb = " ".join(a.split()), " ".join(b.split())
    if na == nb:
        return True
    try:
        return float(na) == float(nb)
    except ValueError:
        return False


def _normalize_date(control: PageControl, value: str) -> str:
    if control.input_type == "date":
        d = parse_date(value)
        if d is not None:
            return d.isoformat()
    return value


def _start(action: str, page: Page, control: PageControl | None, value: Value,
           key: str | None) -> ActionResult:
    c = control
    return ActionResult(
        action=action, target=(c.label if c else ""), option=(c.option_text if c else ""),
        kind=(c.kind if c else ""), role=(c.role if c else ""),
        placeholder=(c.placeholder if c else ""), locator=(c.locator if c else ""),
        key=key, value=value, url=page.url,
        secret=bool(c and (c.kind == "password" or c.input_type == "password")),
    )


def _finish(res: ActionResult, t0: float) -> ActionResult:
    res.seconds = round(time.perf_counter() - t0, 3)
    (log.info if res.ok else log.warning)("%s", res)
    return res


Attempt = Callable[[int], Awaitable[tuple[Value, bool, str, bool]]]
"""attempt number → (readback, ok, message, final: do not retry)."""


async def _attempts(res: ActionResult, attempt: Attempt, retries: int) -> None:
    for n in range(1, retries + 2):
        res.attempts = n
        try:
            readback, ok, message, final = await attempt(n)
        except HostBlocked as exc:
            res.ok, res.message = False, str(exc)
            return
        except Exception as exc:  # Playwright errors become a failed attempt
            readback, ok, message, final = res.readback, False, _clip(exc), False
        res.readback, res.ok, res.message = readback, ok, message
        if ok or final:
            return
        if n <= retries:
            await asyncio.sleep(0.1 * n)  # a page still rendering gets a moment


# ------------------------------------------------------------------ text


async def fill(page: Page, control: PageControl, value: str, *, key: str | None = None,
               retries: int = RETRIES, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Type ``value`` into a text input, textarea, date or password field and read it back."""
    t0 = time.perf_counter()
    value = _normalize_date(control, value) if control.kind == "date" else value
    res = _start("fill", page, control, value, key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await _locator(page, control, timeout_s)
        if n == 1:
            await loc.fill(value, timeout=timeout_s * 1000)
        else:  # key by key: pages with input masks or key handlers ignore a bulk fill
            await loc.fill("", timeout=timeout_s * 1000)
            await loc.press_sequentially(value, delay=15, timeout=timeout_s * 1000)
        await loc.evaluate("(e) => e.blur()")  # change/blur validation runs now
        st = await _state(loc, value)
        if res.secret:
            back: str = _PASSWORD_MASK if st["value_matches"] else "(differs)"
            same = bool(st["value_matches"])
        else:
            back = st["value"]
            same = _same(back, value)
        if st["problem"]:
            return back, False, f"the page rejected the value: {st['problem']}", True
        if not same:
            return back, False, "the field kept a different value", False
        return back, True, "", True

    await _attempts(res, attempt, retries)
    return _finish(res, t0)


async def focus(page: Page, control: PageControl, *, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Put the keyboard focus on a control (read back: is it the active element?)."""
    t0 = time.perf_counter()
    res = _start("focus", page, control, None, None)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await _locator(page, control, timeout_s)
        if n == 1:
            await loc.focus(timeout=timeout_s * 1000)
        else:
            await loc.click(timeout=timeout_s * 1000)
        focused = bool((await _state(loc))["focused"])
        return ("focused" if focused else "not focused"), focused, "", False

    await _attempts(res, attempt, RETRIES)
    return _finish(res, t0)


# ------------------------------------------------------------------ choices


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
    res = _start("select", page, control, value, key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await _locator(page, control, timeout_s)
        st = await _state(loc)
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
        after = await _state(loc)
        back = after["selected"] if len(wanted) > 1 else (after["selected"] or [""])[0]
        if after["problem"]:
            return back, False, f"the page rejected the choice: {after['problem']}", True
        ok = sorted(after["selected_values"]) == sorted(str(p["value"]) for p in picks)
        return back, ok, "" if ok else "the selection did not stick", False

    await _attempts(res, attempt, retries)
    return _finish(res, t0)


async def _open_listbox(page: Page, loc: Locator, n: int, timeout_s: float) -> dict[str, Any]:
    """Open a custom dropdown and return its state once options are visible."""
    st = await _state(loc)
    if not st["options"]:
        if n == 1:
            await loc.click(timeout=timeout_s * 1000)
        else:
            await loc.focus(timeout=timeout_s * 1000)
            await loc.press("ArrowDown")
    deadline = time.monotonic() + timeout_s
    while True:
        st = await _state(loc)
        if st["options"] or time.monotonic() > deadline:
            return st
        await asyncio.sleep(0.05)


async def _select_custom(page: Page, control: PageControl, value: str | list[str],
                         key: str | None, retries: int, timeout_s: float) -> ActionResult:
    t0 = time.perf_counter()
    wanted = value if isinstance(value, list) else [value]
    res = _start("select", page, control, value, key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await _locator(page, control, timeout_s)
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
        after = await _state(loc)
        shown = after["selected"] or [after["text"]]
        back: Value = shown if len(wanted) > 1 else shown[0]
        ok = all(any(_same(c, s) or c in s for s in shown) for c in chosen)
        if after["problem"]:
            return back, False, f"the page rejected the choice: {after['problem']}", True
        return back, ok, "" if ok else "the dropdown does not show the chosen option", False

    await _attempts(res, attempt, retries)
    return _finish(res, t0)


async def set_checked(page: Page, control: PageControl, checked: bool = True, *,
                      key: str | None = None, retries: int = RETRIES,
                      timeout_s: float = TIMEOUT_S, action: str | None = None) -> ActionResult:
    """Tick or untick a checkbox (or pick a radio) and read back ``is_checked``."""
    t0 = time.perf_counter()
    res = _start(action or ("check" if checked else "uncheck"), page, control,
                 control.option_text or control.label, key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await _locator(page, control, timeout_s)
        if n == 1 and not await loc.is_visible():
            # display:none input under a styled label: a DOM click toggles it (and fires
            # its events) where Playwright would wait for it to become visible.
            await loc.evaluate("(e, want) => { if (e.checked !== want) e.click(); }", checked)
        elif n == 1:
            await loc.set_checked(checked, timeout=timeout_s * 1000)
        elif n == 2:  # covered by a styled label or a custom widget: force the click
            if bool((await _state(loc))["checked"]) != checked:
                await loc.click(force=True, timeout=timeout_s * 1000)
        else:
            await loc.evaluate("(e, want) => { if (!!(e.checked ?? e.getAttribute('aria-checked') "
                               "=== 'true') !== want) e.click(); }", checked)
        st = await _state(loc)
        state = bool(st["checked"])
        back = "checked" if state else "unchecked"
        if state == checked and st["problem"]:
            return back, False, f"the page rejected it: {st['problem']}", True
        if state != checked:
            return back, False, f"still {back}", False
        return back, True, "", True

    await _attempts(res, attempt, retries)
    return _finish(res, t0)


async def choose(page: Page, control: PageControl, *, key: str | None = None,
                 retries: int = RETRIES, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Pick a radio button (its group is then answered by this option)."""
    return await set_checked(page, control, True, key=key, retries=retries, timeout_s=timeout_s,
                             action="choose")


# ------------------------------------------------------------------ files


def allowed_file(path: str | Path, allowed_dirs: Sequence[str | Path]) -> Path:
    """The real path of ``path`` if it is a file inside one of ``allowed_dirs``; else raise."""
    real = Path(os.path.realpath(os.path.expanduser(str(path))))
    roots = [Path(os.path.realpath(os.path.expanduser(str(d)))) for d in allowed_dirs]
    if not any(real.is_relative_to(root) for root in roots):
        raise PermissionError(f"{Path(path).name}: not inside an allowed upload directory "
                              f"({', '.join(str(r) for r in roots) or 'none configured'})")
    if not real.is_file():
        raise FileNotFoundError(f"{Path(path).name}: no such file")
    return real


async def upload(page: Page, control: PageControl, path: str | Path | list[str | Path], *,
                 allowed_dirs: Sequence[str | Path] = (), retries: int = RETRIES,
                 timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Put file(s) into a file input — only from ``allowed_dirs`` — and read back the names."""
    t0 = time.perf_counter()
    paths = path if isinstance(path, list) else [path]
    res = _start("upload", page, control, [str(p) for p in paths] if isinstance(path, list)
                 else str(path), None)
    try:
        real = [allowed_file(p, allowed_dirs) for p in paths]
    except (PermissionError, FileNotFoundError) as exc:
        res.message, res.attempts = str(exc), 1
        return _finish(res, t0)
    # The real path is what was uploaded (and what a replay must upload again).
    res.value = [str(p) for p in real] if isinstance(path, list) else str(real[0])

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await _locator(page, control, timeout_s)
        await loc.set_input_files(real, timeout=timeout_s * 1000)
        st = await _state(loc)
        names = st["files"]
        back: Value = names if isinstance(path, list) else (names[0] if names else "")
        if st["problem"]:
            return back, False, f"the page rejected the file: {st['problem']}", True
        ok = names == [p.name for p in real]
        return back, ok, "" if ok else "the input holds other files", False

    await _attempts(res, attempt, retries)
    return _finish(res, t0)


# ------------------------------------------------------------------ clicks and keys


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


async def _after_input(page: Page, w: _Watch, blocked_before: int, requests_before: int,
                       navs_before: int, url_before: str = "") -> tuple[str, bool, str]:
    """Wait for the page to settle; (readback, ok, message) for a click or key press."""
    await _settle(page, w, requests_before, navs_before)
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
    res = _start("click", page, control, None, None)
    if control is None:
        res.target, res.kind = str(target), "text"
    w = _watch(page)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        if control is not None:
            loc = await _locator(page, control, timeout_s)
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

    await _attempts(res, attempt, retries)
    return _finish(res, t0)


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
    res = _start("press", page, control, name, None)
    w = _watch(page)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        guard = host_guard(page)
        blocked, reqs, navs = len(guard.blocked) if guard else 0, w.requests, w.navigations
        if control is not None:
            loc = await _locator(page, control, timeout_s)
            await loc.press(name, timeout=timeout_s * 1000)
        else:
            await page.keyboard.press(name)
        back, ok, message = await _after_input(page, w, blocked, reqs, navs, res.url)
        return back, ok, message, True  # a key press is never repeated: it is not idempotent

    await _attempts(res, attempt, 0)
    return _finish(res, t0)


async def scroll(page: Page, dy: int = 600, control: PageControl | None = None, *,
                 timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Scroll the page by ``dy`` pixels, or until ``control`` is in view."""
    t0 = time.perf_counter()
    res = _start("scroll", page, control, None if control else str(dy), None)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        if control is not None:
            loc = await _locator(page, control, timeout_s)
            await loc.scroll_into_view_if_needed(timeout=timeout_s * 1000)
        else:
            await page.evaluate("(dy) => window.scrollBy(0, dy)", dy)
        y = await page.evaluate("() => window.scrollY")
        return f"scrollY={y}", True, "", True

    await _attempts(res, attempt, 0)
    return _finish(res, t0)


# ------------------------------------------------------------------ navigation and waiting


async def goto(page: Page, url: str, *, timeout_s: float = 15.0) -> ActionResult:
    """Open ``url`` (relative to the current page) if its host is allowed; read back the URL."""
    t0 = time.perf_counter()
    target = urllib.parse.urljoin(page.url, url)
    res = _start("goto", page, None, target, None)
    res.target = target
    w = _watch(page)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        check_navigation(page, target)
        reqs, navs = w.requests, w.navigations
        response = await page.goto(target, wait_until="load", timeout=timeout_s * 1000)
        await _settle(page, w, reqs, navs, cap_s=3.0)
        if response is not None and response.status >= 400:
            return page.url, False, f"HTTP {response.status}", True
        return page.url, True, "", True

    await _attempts(res, attempt, 1)
    return _finish(res, t0)


async def wait_settled(page: Page, timeout_s: float = 3.0) -> ActionResult:
    """Wait for the load event and a short network quiet (both capped by ``timeout_s``)."""
    t0 = time.perf_counter()
    res = _start("wait", page, None, None, None)
    w = _watch(page)
    try:
        await page.wait_for_load_state("load", timeout=timeout_s * 1000)
    except Exception as exc:
        res.message = _clip(exc)
    deadline = t0 + timeout_s
    while time.perf_counter() < deadline:
        if not w.inflight and time.monotonic() - w.last_activity >= 0.25:
            break
        await asyncio.sleep(0.05)
    res.ok, res.attempts, res.readback = True, 1, page.url
    res.message = res.message or ("" if not w.inflight else f"{len(w.inflight)} request(s) "
                                                             "still open")
    return _finish(res, t0)


async def wait_for_text(page: Page, text: str, timeout_s: float = 5.0) -> ActionResult:
    """Wait until ``text`` is visible (a section loading late, a result message)."""
    t0 = time.perf_counter()
    res = _start("wait", page, None, text, None)
    res.target, res.attempts = text, 1
    try:
        await page.get_by_text(text).filter(visible=True).first.wait_for(
            state="visible", timeout=timeout_s * 1000)
        res.ok, res.readback = True, text
    except Exception as exc:
        res.message = f"{text!r} did not appear: {_clip(exc)}"
    return _finish(res, t0)


# ------------------------------------------------------------------ autocomplete


async def pick_suggestion(page: Page, control: PageControl, typed: str,
                          choice: str | None = None, *, key: str | None = None,
                          retries: int = RETRIES, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Type ``typed``, wait for the suggestion list, click the one matching ``choice`` (the
    first suggestion when None) and read the field back."""
    t0 = time.perf_counter()
    res = _start("pick_suggestion", page, control, [typed, choice or ""], key)

    async def attempt(n: int) -> tuple[Value, bool, str, bool]:
        loc = await _locator(page, control, timeout_s)
        await loc.fill("", timeout=timeout_s * 1000)
        await loc.press_sequentially(typed, delay=20, timeout=timeout_s * 1000)
        deadline = time.monotonic() + timeout_s
        option: dict[str, Any] | None = None
        while True:
            st = await _state(loc)
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
        after = await _state(loc)
        want = str(option["text"])
        ok = _same(after["value"], want) or _same(after["value"], str(option["value"]))
        if after["problem"]:
            return after["value"], False, f"the page rejected it: {after['problem']}", True
        return after["value"], ok, "" if ok else "the field does not hold the suggestion", False

    await _attempts(res, attempt, retries)
    return _finish(res, t0)


# ------------------------------------------------------------------ by kind


_NO = {"", "no", "false", "off", "0", "否", "不", "不要", "取消", "uncheck", "unchecked"}


async def set_value(page: Page, control: PageControl, value: str | list[str], *,
                    key: str | None = None, allowed_dirs: Sequence[str | Path] = (),
                    retries: int = RETRIES, timeout_s: float = TIMEOUT_S) -> ActionResult:
    """Give a control a value the way its kind takes one (fill, select, tick, upload, click)."""
    one = value[0] if isinstance(value, list) and value else value
    kind = control.kind
    if kind in ("select", "custom_select") or (kind == "autocomplete" and control.options):
        return await select(page, control, value, key=key, retries=retries, timeout_s=timeout_s)
    if kind == "checkbox":
        return await set_checked(page, control, str(one).strip().lower() not in _NO, key=key,
                                 retries=retries, timeout_s=timeout_s)
    if kind == "radio":
        return await choose(page, control, key=key, retries=retries, timeout_s=timeout_s)
    if kind == "upload":
        files: list[str | Path] = list(value) if isinstance(value, list) else [value]
        return await upload(page, control, files if len(files) > 1 else files[0],
                            allowed_dirs=allowed_dirs, retries=retries, timeout_s=timeout_s)
    if kind in ("button", "link"):
        return await click(page, control, retries=retries, timeout_s=timeout_s)
    return await fill(page, control, str(one), key=key, retries=retries, timeout_s=timeout_s)
