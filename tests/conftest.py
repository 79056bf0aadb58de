"""Shared test set-up: network off (loopback only), a private data dir, offline backend.

Tiers: a test that starts a server on 127.0.0.1 (the loopback vLLM, the app's HTTP API, the
test site, ``langgraph dev``) is marked ``server``; one that drives Chromium is marked
``browser``. ``make test-fast`` leaves both out (and ``slow``, ``realvllm``, ``live``,
``postgres``). Tests using the shared ``loopback_vllm`` or ``run`` fixtures get their marker
here; the others carry it in their module. An unmarked test that listens on a socket
fails, so the fast tier stays free of servers.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Imported by tests/security too, before test_langgraph_dev loads it as a plugin: rewrite its
# asserts from the start (else pytest warns that it cannot).
pytest.register_assert_rewrite("tests.server.langgraph_dev_server")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in (
        "127.0.0.1", "::1", "localhost"
    ):
        raise RuntimeError(f"unit tests keep the network off: refused connect to {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


# Markers given by fixture use; the fast tier deselects both.
_FIXTURE_MARKERS = {"loopback_vllm": "server", "run": "browser"}
# Tests with any of these markers may start servers; all others may not.
_MAY_SERVE = ("server", "browser", "live", "realvllm", "postgres")

_real_listen = socket.socket.listen


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in _FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


def _no_listening(self: socket.socket, *backlog: int) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        raise RuntimeError("this test starts a server: mark it `server` (pytest.mark.server) "
                           "so that `make test-fast` leaves it out")
    _real_listen(self, *backlog)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Unmarked tests (set-up and fixtures included) may not listen on an IP socket."""
    guarded = not any(item.get_closest_marker(name) for name in _MAY_SERVE)
    if guarded:
        socket.socket.listen = _no_listening  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.listen = _real_listen  # type: ignore[method-assign]


def free_port() -> int:
    """A loopback port nobody listens on right now (for the servers tests start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                tmp_path_factory: pytest.TempPathFactory) -> None:
    if request.node.get_closest_marker("live") is None:  # live tests talk to a real GPU host
        monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    monkeypatch.setenv("VLCREW_DATA_DIR", str(tmp_path_factory.getbasetemp() / "vlcrew-data"))
    monkeypatch.setenv("VLCREW_BACKEND", "offline")


@pytest.fixture
def example_png(tmp_path: Path) -> str:
    """A small real PNG (content does not matter for flow tests)."""
    from PIL import Image

    path = tmp_path / "form.png"
    Image.new("RGB", (320, 200), "white").save(path)
    return str(path)


from tests.conftest_loopback import loopback_vllm  # noqa: E402,F401  (fixture)


@pytest.fixture(scope="module")
def run() -> Iterator[Any]:
    """Browser tests: ``run(fn, *args)`` awaits ``fn(browser, *args)`` on the module's event
    loop, with one Chromium per module (tools.browser.chromium.launch_browser)."""
    import asyncio

    from tools.browser.chromium import launch_browser

    loop = asyncio.new_event_loop()
    cm = launch_browser()
    browser = loop.run_until_complete(cm.__aenter__())

    def go(fn: Any, *args: Any) -> Any:
        return loop.run_until_complete(fn(browser, *args))

    yield go
    loop.run_until_complete(cm.__aexit__(None, None, None))
    loop.close()
