"""Headless Chromium for the GUI executor: launch, and pages fenced in by a host allowlist.

Debian's ``/usr/bin/chromium`` is driven through async Playwright (no downloaded browser).
Every request a page makes goes through :class:`HostGuard`: a host outside the allowlist
(default: the start URL's host) is aborted and recorded, so a click on a foreign link cannot
take the agent off the site; :func:`check_navigation` refuses such a ``goto`` up front.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
import weakref
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, Route

log = logging.getLogger("vlcrew.browser")

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--disable-quic"]
VIEWPORT = (1280, 900)
# Schemes that never leave the machine: always allowed.
_LOCAL_SCHEMES = frozenset({"about", "data", "blob", "chrome-error"})


class BrowserUnavailable(RuntimeError):
    """No Chromium to drive (Debian's chromium package is not installed)."""


class HostBlocked(RuntimeError):
    """A navigation to a host outside the allowlist was refused."""


def chromium_path() -> str:
    """Path of the Chromium binary (``VLCREW_CHROMIUM`` overrides); a clear error if absent."""
    path = os.environ.get("VLCREW_CHROMIUM") or CHROMIUM
    if not os.path.exists(path):
        raise BrowserUnavailable(
            f"no Chromium at {path}: install Debian's chromium (apt-get install chromium); "
            "vlcrew never downloads a browser")
    return path


def host_of(url: str) -> str:
    """The host name of ``url``, lower case, without port ('' for data:/about: URLs)."""
    return (urllib.parse.urlsplit(url).hostname or "").lower()


@dataclass
class HostGuard:
    """The hosts a page may reach, and what it was refused."""

    allowed: frozenset[str]
    blocked: list[str] = field(default_factory=list)
    """URLs aborted because their host is not allowed, in the order they were asked for."""

    def allows(self, url: str) -> bool:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme in _LOCAL_SCHEMES:
            return True
        if scheme == "file":
            return "file" in self.allowed  # local files only when asked for explicitly
        host = host_of(url)
        # "*.example.com" allows the subdomains, an entry without a star only that host.
        return host in self.allowed or any(
            a.startswith("*.") and (host == a[2:] or host.endswith(a[1:])) for a in self.allowed)


# Page → its guard; weak so a closed page does not keep it alive.
_GUARDS: weakref.WeakKeyDictionary[Page, HostGuard] = weakref.WeakKeyDictionary()


def host_guard(page: Page) -> HostGuard | None:
    """The allowlist guard of a page opened by :func:`open_page` (None for other pages)."""
    return _GUARDS.get(page)


def check_navigation(page: Page, url: str) -> None:
    """Raise :class:`HostBlocked` when ``url`` is outside the page's allowlist."""
    guard = host_guard(page)
    if guard is not None and not guard.allows(url):
        guard.blocked.append(url)
        raise HostBlocked(f"navigation to {host_of(url) or url!r} refused: not in the allowed "
                          f"hosts {sorted(guard.allowed)}")


@asynccontextmanager
async def launch_browser(headless: bool = True) -> AsyncIterator[Browser]:
    """A Chromium browser for as long as the block runs (one per run or test module)."""
    from playwright.async_api import async_playwright

    exe = chromium_path()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=exe, args=LAUNCH_ARGS,
                                           headless=headless, timeout=30_000)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def open_page(
    start_url: str,
    allowed_hosts: Iterable[str] | None = None,
    viewport: tuple[int, int] = VIEWPORT,
    *,
    browser: Browser | None = None,
    locale: str = "zh-CN",
    timeout_s: float = 15.0,
) -> AsyncIterator[Page]:
    """A fresh page (own context: no cookies shared) at ``start_url``, fenced by the allowlist.

    ``allowed_hosts`` defaults to the start URL's host. ``browser`` reuses a running browser
    (else one is launched and closed with the page). Raises :class:`HostBlocked` when the start
    URL itself is not allowed, :class:`BrowserUnavailable` when there is no Chromium.
    """
    hosts = {h.lower() for h in (allowed_hosts or ()) if h} or {host_of(start_url)}
    if urllib.parse.urlsplit(start_url).scheme == "file":
        hosts.add("file")
    guard = HostGuard(frozenset(hosts))
    if not guard.allows(start_url):
        raise HostBlocked(f"start URL host {host_of(start_url)!r} is not in the allowed hosts "
                          f"{sorted(guard.allowed)}")

    async def fence(route: Route) -> None:
        url = route.request.url
        if guard.allows(url):
            await route.fallback()
        else:
            guard.blocked.append(url)
            log.info("blocked request to %s (not allowed)", host_of(url) or url[:40])
            await route.abort("blockedbyclient")

    async with _maybe_launch(browser) as b:
        # Service workers would answer requests the route never sees: block them.
        context = await b.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                      device_scale_factor=1, locale=locale,
                                      service_workers="block")
        try:
            context.set_default_timeout(timeout_s * 1000)
            await context.route("**/*", fence)
            page = await context.new_page()
            _GUARDS[page] = guard
            await page.goto(start_url, wait_until="load", timeout=timeout_s * 1000)
            yield page
        finally:
            await context.close()


@asynccontextmanager
async def _maybe_launch(browser: Browser | None) -> AsyncIterator[Browser]:
    if browser is not None:
        yield browser
        return
    async with launch_browser() as b:
        yield b
