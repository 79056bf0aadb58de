"""The core every page action shares: its record, and the read-back/retry loop around it.

Every action returns an :class:`ActionResult`: what was asked, what the page shows afterwards
(``readback``), whether they agree (``ok``), attempts and seconds. A mismatch is retried
(``retries`` times, 2 by default, each attempt by a more forceful means: Playwright's
fill/check, then typing or a forced click, then a DOM click); a value the page *rejects*
(``validationMessage`` set, or an error shown next to the field) ends the action at once with
``ok=False`` and the page's message. Never is an action reported as done unchecked.

Values of passwords and personal keys (ID number, phone, …) are masked in ``repr``/``str``
and in the log; :meth:`ActionResult.masked` is the form to store in traces and answers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from tools.browser.chromium import HostBlocked
from tools.browser.element_js import STATE_JS
from tools.browser.page_records import PageControl
from tools.common.masking import SENSITIVE_KEYS, mask_text, mask_value
from tools.forms.lexicon import match_label

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

log = logging.getLogger("vlcrew.browser")

RETRIES = 2
"""Retries after a first attempt whose read-back does not match."""
TIMEOUT_S = 5.0
"""Per attempt: how long Playwright waits for a control to become actionable."""
PASSWORD_MASK = "********"

Value = str | list[str] | None


class ActionResult(BaseModel):
    """One action on the page and what the page showed afterwards."""

    action: str = Field(description="fill | select | check | uncheck | choose | upload | click | "
                                    "press | scroll | goto | wait | focus | pick_suggestion")
    target: str = Field(default="", description="Human name of the control (label / text).")
    option: str = Field(default="", description="A radio/checkbox's own text.")
    kind: str = Field(default="", description="Control kind (see page_records.ControlKind).")
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
            return PASSWORD_MASK if v else ""
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


def clip_error(exc: BaseException) -> str:
    """The first line of an error, short enough for a result's message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


async def find_control(page: Page, control: PageControl, timeout_s: float) -> Locator:
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


async def read_state(loc: Locator, expect: str | None = None) -> dict[str, Any]:
    """The control's live state in one round trip (see ``element_js.STATE_JS``)."""
    return await loc.evaluate(STATE_JS, expect)


def same_value(a: str, b: str) -> bool:
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


def start_result(action: str, page: Page, control: PageControl | None, value: Value,
                 key: str | None) -> ActionResult:
    """The record of an action about to start, named after its control."""
    c = control
    return ActionResult(
        action=action, target=(c.label if c else ""), option=(c.option_text if c else ""),
        kind=(c.kind if c else ""), role=(c.role if c else ""),
        placeholder=(c.placeholder if c else ""), locator=(c.locator if c else ""),
        key=key, value=value, url=page.url,
        secret=bool(c and (c.kind == "password" or c.input_type == "password")),
    )


def finish_result(res: ActionResult, t0: float) -> ActionResult:
    """Stamp the seconds taken and log the result (masked by its ``__str__``)."""
    res.seconds = round(time.perf_counter() - t0, 3)
    (log.info if res.ok else log.warning)("%s", res)
    return res


Attempt = Callable[[int], Awaitable[tuple[Value, bool, str, bool]]]
"""attempt number → (readback, ok, message, final: do not retry)."""


async def run_attempts(res: ActionResult, attempt: Attempt, retries: int) -> None:
    """Run ``attempt`` until it reads back what was asked, says stop, or ``retries`` run out."""
    for n in range(1, retries + 2):
        res.attempts = n
        try:
            readback, ok, message, final = await attempt(n)
        except HostBlocked as exc:
            res.ok, res.message = False, str(exc)
            return
        except Exception as exc:  # Playwright errors become a failed attempt
            readback, ok, message, final = res.readback, False, clip_error(exc), False
        res.readback, res.ok, res.message = readback, ok, message
        if ok or final:
            return
        if n <= retries:
            await asyncio.sleep(0.1 * n)  # a page still rendering gets a moment
