"""Issue #11, item 7 (unit level): the opt-in http(s) image fetch and its address checks.

The checks judge every address a name resolves to, so a test resolver stands in for DNS
(a public-looking name that resolves to loopback is refused like loopback itself). The
redirect check needs a first hop the checks let through: a loopback server here, with the
address check turned off for that one fetch; its redirect to loopback must still be refused.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from tools.common.images import ImageError, load_image
from tools.common.safe_fetch import FETCH_REFUSED, FetchRefused, fetch, refused_address

INTERNAL = ["127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.0.1", "172.16.5.4", "192.168.1.1",
            "169.254.169.254", "100.64.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255",
            "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_refused(address: str) -> None:
    assert refused_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert not refused_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x.png", "http://localhost/x.png", "http://127.1/x.png",
    "http://0x7f000001/x.png", "http://2130706433/x.png", "http://[::1]/x.png",
    "http://0.0.0.0/x.png", "http://[::ffff:127.0.0.1]/x.png", "http://user@10.0.0.1/"])
def test_the_system_resolver_never_lets_an_internal_spelling_through(url: str) -> None:
    with pytest.raises(ImageError) as raised:
        load_image(url, allow_http=True)
    assert str(raised.value) == FETCH_REFUSED


@pytest.mark.parametrize("url", ["ftp://example.com/x.png", "http://[not-an-ip/x.png",
                                 "http://user:pw@example.com/x.png", "http:///x.png"])
def test_urls_the_fetch_cannot_judge_are_refused_alike(url: str) -> None:
    with pytest.raises(FetchRefused) as raised:
        fetch(url, 10_000, resolve=lambda host, port: ["93.184.216.34"])
    assert str(raised.value) == FETCH_REFUSED


def test_a_public_name_resolving_to_an_internal_address_is_refused() -> None:
    def rebinding(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]  # one internal address is enough

    with pytest.raises(FetchRefused):
        fetch("http://images.example.com/x.png", 10_000, resolve=rebinding)


class _Site(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path == "/hop.png":
            address: Any = self.server.server_address
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{address[1]}/secret.png")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(b"\x89PNG" + self.headers.get("Host", "").encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Site.hits.clear()
    yield int(httpd.server_address[1])
    httpd.shutdown()


@pytest.mark.server
def test_redirects_are_refused_and_the_checked_address_is_the_one_connected(site: int) -> None:
    def to_loopback(host: str, port: int) -> list[str]:
        assert host == "images.example.com"
        return ["127.0.0.1"]

    def allow_all(ip: Any) -> bool:
        return False

    # The first hop (checks off for it) is fetched from the resolved address, Host kept...
    body = fetch(f"http://images.example.com:{site}/ok.png", 10_000, resolve=to_loopback,
                 refuse=allow_all)
    assert body == b"\x89PNG" + f"images.example.com:{site}".encode()
    # ...but its redirect to loopback is never followed.
    with pytest.raises(FetchRefused):
        fetch(f"http://images.example.com:{site}/hop.png", 10_000, resolve=to_loopback,
              refuse=allow_all)
    assert _Site.hits == ["/ok.png", "/hop.png"]
    # With the real checks the first hop is refused before any connection.
    with pytest.raises(FetchRefused):
        fetch(f"http://images.example.com:{site}/ok.png", 10_000, resolve=to_loopback)
    assert len(_Site.hits) == 2
