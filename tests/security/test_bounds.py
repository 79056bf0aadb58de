"""Issue #11, items 5, 6, 7 and 8: bounds on what one request may cost the server.

Against a real ``vlcrew serve`` process on 127.0.0.1 (offline engine, ``--allow-http-images``):

- 5: a request text over the cap is a fast 413 that names the limit (also a 100 KB one), and
  ``/healthz`` keeps answering while a long request (just under the cap) is parsed;
- 6: a 7000×7000 one-colour PNG (tiny file, 49 MP) is refused in bounded time and memory
  (the server's peak RSS, from ``/proc/<pid>/status``, barely moves);
- 7: with http(s) images allowed, every loopback spelling, the unspecified address and the
  server's own port get the same 400, and nothing on loopback is ever reached;
- 8: deeply nested JSON and a 5000-digit number are 400s in each API's own error shape, and
  so is an unknown ``/v1`` path (the OpenAI error handlers survive the app's assembly).
"""

from __future__ import annotations

import base64
import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from PIL import Image

from tests.conftest import EXAMPLES
from tests.security.vlcrew_serve import Serve, start_serve

pytestmark = pytest.mark.server

TEXT_CAP = 8000


def png_uri(width: int, height: int, colour: str = "white") -> str:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


SMALL = png_uri(320, 200)
FORM = "data:image/png;base64," + base64.b64encode(
    (EXAMPLES / "bank_account_zh.png").read_bytes()).decode()


def chat(text: str, *urls: str) -> dict[str, Any]:
    return {"model": "vlcrew", "messages": [{"role": "user", "content": [
        {"type": "text", "text": text},
        *({"type": "image_url", "image_url": {"url": u}} for u in urls)]}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    with start_serve(tmp_path_factory.mktemp("bounds"), "--allow-http-images") as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Serve) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.auth, timeout=60) as c:
        yield c


def message(response: httpx.Response) -> str:
    body = response.json()
    assert isinstance(body.get("error"), dict), body
    return str(body["error"]["message"])


def openai_shaped(response: httpx.Response) -> None:
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, error


def vm_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {key} in /proc/{pid}/status")


# ------------------------------------------------------------------------------ item 5


@pytest.mark.parametrize("size", [12_000, 100_000])
def test_item5_a_request_text_over_the_cap_is_a_fast_413_naming_the_limit(
        client: httpx.Client, size: int) -> None:
    text = ("我叫张三，手机13812345678，身份证号110105199005120137。My name is Jane Doe. " * 2000)[:size]
    for path, body in (("/api/runs", {"request": text, "images": [SMALL]}),
                       ("/v1/chat/completions", chat(text, SMALL))):
        started = time.monotonic()
        response = client.post(path, json=body)
        assert response.status_code == 413, (path, response.text[:300])
        assert time.monotonic() - started < 3, path
        said = message(response)
        assert str(TEXT_CAP) in said.replace(",", ""), said
    openai_shaped(response)


def test_item5_healthz_answers_while_a_long_request_is_worked_on(
        server: Serve, client: httpx.Client) -> None:
    # Just under the cap, and of a shape the old parser spent seconds on (abbreviations).
    text = ("Mr. Smith St. Mary's Ltd. I live at 12 Baker St. London. " * 200)[:TEXT_CAP - 20]
    done: dict[str, Any] = {}

    def long_run() -> None:
        started = time.monotonic()
        done["status"] = client.post("/v1/chat/completions", json=chat(text, FORM)).status_code
        done["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=long_run)
    worker.start()
    slowest = 0.0
    with httpx.Client(base_url=server.url, headers=server.auth, timeout=5) as probe:
        while worker.is_alive():
            started = time.monotonic()
            assert probe.get("/healthz").status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.1)
    worker.join()
    assert done["status"] == 200, done
    assert slowest < 1.0, f"/healthz took {slowest:.1f} s during a run of {done['seconds']:.1f} s"
    assert done["seconds"] < 60, done


# ------------------------------------------------------------------------------ item 6


def test_item6_a_huge_one_colour_png_costs_little_time_and_memory(
        server: Serve, client: httpx.Client) -> None:
    huge = png_uri(7000, 7000)
    assert len(huge) < 400_000  # a tiny upload: the cost would be all on the server's side
    before = vm_kib(server.process.pid, "VmRSS")
    started = time.monotonic()
    response = client.post("/v1/chat/completions", json=chat("fill it: my name is Li Lei", huge))
    assert response.status_code == 400, response.text[:300]
    assert "too large" in message(response)
    with client.stream("POST", "/api/runs", json={"request": "我叫李雷", "images": [huge]}) as r:
        assert r.status_code in (200, 400, 413), r.status_code
        streamed = r.read().decode()
    assert "too large" in streamed, streamed[-500:]
    assert time.monotonic() - started < 15
    grown_mb = (vm_kib(server.process.pid, "VmHWM") - before) / 1024
    assert grown_mb < 120, f"peak RSS grew by {grown_mb:.0f} MB"


# ------------------------------------------------------------------------------ item 7


class _Canary(BaseHTTPRequestHandler):
    """Records every request made to it (none may come)."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = base64.b64decode(SMALL.split(",", 1)[1])
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def canary() -> Iterator[tuple[int, list[str]]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], _Canary.hits
    httpd.shutdown()


def test_item7_internal_addresses_get_one_uniform_400_and_are_never_reached(
        server: Serve, client: httpx.Client, canary: tuple[int, list[str]]) -> None:
    port, hits = canary
    own = int(server.url.rsplit(":", 1)[1])
    with httpx.Client() as probe:  # the canary really serves an image
        assert probe.get(f"http://127.0.0.1:{port}/probe.png").status_code == 200
    hits.clear()
    targets = [f"http://{host}:{port}/x.png" for host in (
        "127.0.0.1", "localhost", "127.1", "0x7f000001", "2130706433", "[::1]", "0.0.0.0",
        "10.0.0.1", "169.254.169.254", "192.168.1.1")]
    targets += [f"http://127.0.0.1:{own}/healthz", f"https://127.0.0.1:{own}/x.png",
                "http://127.0.0.1:1/x.png"]  # own port, TLS to it, a closed port
    said = set()
    for url in targets:
        response = client.post("/v1/chat/completions", json=chat("我叫张三，帮我填一下", url))
        assert response.status_code == 400, (url, response.text[:300])
        openai_shaped(response)
        said.add(message(response))
    assert len(said) == 1, said  # open, closed, own port: no difference to see
    assert hits == []


# ------------------------------------------------------------------------------ item 8


NESTED = ("[" * 100_000 + "]" * 100_000).encode()
BIG_INT = b'{"model": "vlcrew", "request": "x", "n": ' + b"7" * 5000 + b"}"
DEEP_IN_OBJECT = b'{"model": "vlcrew", "messages": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"


@pytest.mark.parametrize("raw", [NESTED, BIG_INT, DEEP_IN_OBJECT],
                         ids=["nested", "5000-digits", "nested-in-object"])
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/api/runs",
                                  "/api/threads/t1/resume"])
def test_item8_malformed_json_is_a_400_in_the_apis_own_shape(
        client: httpx.Client, path: str, raw: bytes) -> None:
    response = client.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text[:300]
    message(response)
    if path.startswith("/v1/"):
        openai_shaped(response)


def test_item8_openai_error_handlers_survive_in_the_main_app(client: httpx.Client) -> None:
    for method, path, status in (("GET", "/v1/no-such-route", 404),
                                 ("GET", "/v1/chat/completions", 405)):
        response = client.request(method, path)
        assert response.status_code == status, (path, response.text[:200])
        openai_shaped(response)
