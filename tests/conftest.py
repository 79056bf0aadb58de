"""Shared test set-up: network off (loopback only), a private data dir, offline backend."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
