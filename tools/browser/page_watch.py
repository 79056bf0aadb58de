"""What an action set going on a page — requests, navigations, dialogs — and waiting for it.

One :class:`PageWatch` per page counts requests in flight and navigations and answers the
dialogs the page raises; :func:`settle` waits, after a click or key press, for what that
input started (a navigation's load, then a short network quiet) before it is read back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Dialog, Page, Request


@dataclass
class PageWatch:
    """Requests in flight, navigations and dialogs of one page (to know when it settled)."""

    inflight: set[Any] = field(default_factory=set)
    requests: int = 0
    navigations: int = 0
    last_activity: float = 0.0
    dialogs: list[str] = field(default_factory=list)
    accept_confirm: bool = False


_WATCHES: weakref.WeakKeyDictionary[Page, PageWatch] = weakref.WeakKeyDictionary()


def watch_page(page: Page) -> PageWatch:
    """The page's watch, started on first use (it sees what happens from then on)."""
    w = _WATCHES.get(page)
    if w is not None:
        return w
    w = PageWatch(last_activity=time.monotonic())

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
    watch_page(page).accept_confirm = accept_confirm


async def settle(page: Page, w: PageWatch, requests_before: int, navs_before: int,
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
