"""Issue #11, items 1, 3 and 10: who may talk to ``vlcrew serve``, and from where.

A real ``vlcrew serve`` process on 127.0.0.1 (offline engine, private data dir):

- item 1 (CSRF, no credential): text/plain and form-encoded POSTs from a foreign Origin to
  the run, chat and resume routes are refused and start nothing; without the token every
  API route answers 401; with it (Bearer, the OpenAI client's ``api_key``) everything works.
- item 3 (DNS rebinding): a foreign Host header is refused on every route.
- item 10 (framing): the page and the API answer with CSP ``frame-ancestors 'none'``,
  ``X-Frame-Options: DENY`` and ``nosniff``; the printed URL still opens a working page in
  headless Chromium (token moved into an HttpOnly SameSite=Strict cookie), and a page on
  another site cannot post into it.
"""

from __future__ import annotations

import base64
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLES, free_port
from tests.security.vlcrew_serve import ROOT, Serve, start_serve

pytestmark = pytest.mark.server

CHROMIUM = Path("/usr/bin/chromium")
EVIL = "https://evil.example"
IMAGE = "data:image/png;base64," + base64.b64encode(
    (EXAMPLES / "bank_account_zh.png").read_bytes()).decode()
REQUEST = (EXAMPLES / "bank_account_zh.request.txt").read_text(encoding="utf-8").strip()
RUN_BODY = json.dumps({"request": REQUEST, "images": [IMAGE], "approve": "auto"})
CHAT_BODY = json.dumps({"model": "vlcrew", "messages": [{"role": "user", "content": [
    {"type": "text", "text": REQUEST}, {"type": "image_url", "image_url": {"url": IMAGE}}]}]})


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    with start_serve(tmp_path_factory.mktemp("doors")) as server:
        yield server


def stored_images(server: Serve) -> list[Path]:
    """Every image a run stored: a run that started leaves its screenshot here."""
    root = server.data_dir / "images"
    return sorted(root.rglob("*.png")) if root.exists() else []


def paused_thread(server: Serve) -> str:
    """A form fill (with the token) waiting for approval."""
    body = json.dumps({"request": REQUEST, "images": [IMAGE], "approve": "ask"})
    thread_id = ""
    with httpx.stream("POST", f"{server.url}/api/runs", content=body, timeout=120,
                      headers={**server.auth, "Content-Type": "application/json"}) as resp:
        assert resp.status_code == 200, resp.read()
        for line in resp.iter_lines():
            if line.startswith("data: ") and not thread_id:
                thread_id = json.loads(line[6:])["thread_id"]
    state = httpx.get(f"{server.url}/api/threads/{thread_id}", headers=server.auth,
                      timeout=30).json()
    assert state["status"] == "interrupted", state
    return thread_id


def test_item1_cross_site_simple_posts_start_nothing(serve: Serve) -> None:
    """The CSRF of item 1: "simple" requests a foreign page can send without a preflight."""
    before = stored_images(serve)
    simple = [("text/plain", RUN_BODY), ("application/x-www-form-urlencoded", "request=fill"),
              ("multipart/form-data; boundary=x", "--x--")]
    for path, body in (("/api/runs", RUN_BODY), ("/v1/chat/completions", CHAT_BODY)):
        for content_type, text in simple:
            for headers in ({"Origin": EVIL}, {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
                            {"Origin": "null"}, {}):
                resp = httpx.post(f"{serve.url}{path}", content=text if path == "/api/runs"
                                  else body, timeout=30,
                                  headers={"Content-Type": content_type, **headers})
                assert resp.status_code in (401, 403, 415), (path, content_type, headers,
                                                             resp.status_code)
        # Even holding the token, a cross-site request or a non-JSON body is refused.
        resp = httpx.post(f"{serve.url}{path}", content=body, timeout=30, headers={
            **serve.auth, "Content-Type": "application/json", "Origin": EVIL})
        assert resp.status_code == 403, resp.text
        resp = httpx.post(f"{serve.url}{path}", content=body, timeout=30, headers={
            **serve.auth, "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"})
        assert resp.status_code == 403, resp.text
        resp = httpx.post(f"{serve.url}{path}", content=body, timeout=30, headers={
            **serve.auth, "Content-Type": "text/plain"})
        assert resp.status_code == 415, resp.text
    assert stored_images(serve) == before, "a refused request started a run"


def test_item1_a_pending_approval_cannot_be_accepted_cross_site(serve: Serve) -> None:
    thread_id = paused_thread(serve)
    url = f"{serve.url}/api/threads/{thread_id}/resume"
    attempts: list[dict[str, str]] = [
        {"Content-Type": "text/plain", "Origin": EVIL},
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": EVIL},
        {"Content-Type": "text/plain"},
        {**serve.auth, "Content-Type": "application/json", "Origin": EVIL},
        {**serve.auth, "Content-Type": "text/plain"},
    ]
    for headers in attempts:
        resp = httpx.post(url, content='{"action": "accept"}', headers=headers, timeout=30)
        assert resp.status_code in (401, 403, 415), (headers, resp.status_code)
    state = httpx.get(f"{serve.url}/api/threads/{thread_id}", headers=serve.auth,
                      timeout=30).json()
    assert state["status"] == "interrupted", "the approval was accepted by a refused request"


def test_item1_every_api_route_needs_the_token(serve: Serve) -> None:
    assert serve.token, f"vlcrew serve printed no URL with a token:\n{serve.log()}"
    json_headers = {"Content-Type": "application/json"}
    for method, path, body in [
        ("POST", "/api/runs", RUN_BODY), ("POST", "/v1/chat/completions", CHAT_BODY),
        ("POST", "/api/threads/x/resume", '{"action": "accept"}'),
        ("POST", "/api/threads/x/continue", "{}"), ("GET", "/api/threads/x", None),
        ("GET", "/api/threads/x/answer.json", None), ("GET", "/v1/models", None),
        ("GET", "/static/app.js", None),
    ]:
        for headers in ({}, {"Authorization": "Bearer wrong"},
                        {"Cookie": "vlcrew_token=wrong"}):
            resp = httpx.request(method, f"{serve.url}{path}", content=body, timeout=30,
                                 headers={**json_headers, **headers})
            assert resp.status_code == 401, (method, path, headers, resp.status_code)
            if path.startswith(("/api/", "/v1/")):
                assert resp.json()["error"]["message"]
    # The token opens them: the thread API, the OpenAI client (api_key) and the page's files.
    assert httpx.get(f"{serve.url}/api/threads/x", headers=serve.auth,
                     timeout=30).status_code == 404
    assert httpx.get(f"{serve.url}/static/app.js", timeout=30,
                     cookies={"vlcrew_token": serve.token}).status_code == 200
    from openai import AuthenticationError, OpenAI

    client = OpenAI(base_url=f"{serve.url}/v1", api_key=serve.token, max_retries=0)
    assert [m.id for m in client.models.list()] == ["vlcrew"]
    reply = client.chat.completions.create(model="vlcrew", messages=json.loads(CHAT_BODY)[
        "messages"])
    assert json.loads(reply.choices[0].message.content or "")["task"] == "form_fill"
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=f"{serve.url}/v1", api_key="none", max_retries=0).models.list()
    # Health checks stay open.
    assert httpx.get(f"{serve.url}/healthz", timeout=10).json() == {"status": "ok"}


def test_item3_a_foreign_host_header_is_refused(serve: Serve) -> None:
    port = serve.url.rsplit(":", 1)[1]
    for path in ("/", "/api/threads/x", "/v1/models", "/healthz", "/static/app.js"):
        for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}"):
            resp = httpx.get(f"{serve.url}{path}", timeout=10,
                             headers={**serve.auth, "Host": host})
            assert resp.status_code in (400, 421), (path, host, resp.status_code)
            assert "vlcrew" not in resp.text.lower() or "host" in resp.text.lower()
    resp = httpx.post(f"{serve.url}/api/runs", content=RUN_BODY, timeout=10, headers={
        **serve.auth, "Host": "evil.example", "Content-Type": "application/json"})
    assert resp.status_code in (400, 421)
    # The loopback names this server is reached by still work.
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
        resp = httpx.get(f"{serve.url}/v1/models", headers={**serve.auth, "Host": host},
                         timeout=10)
        assert resp.status_code == 200, (host, resp.status_code)


def test_item10_security_headers_on_every_response(serve: Serve) -> None:
    token = serve.token or ""
    for path, headers in [("/", {}), ("/", {"Cookie": f"vlcrew_token={token}"}),
                          ("/api/threads/x", serve.auth), ("/v1/models", serve.auth),
                          ("/healthz", {}), ("/static/app.js", serve.auth),
                          ("/api/threads/x", {})]:
        resp = httpx.get(f"{serve.url}{path}", headers=headers, timeout=10)
        csp = resp.headers.get("content-security-policy", "")
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        assert directives.get("frame-ancestors") == "frame-ancestors 'none'", (path, csp)
        assert directives.get("script-src") == "script-src 'self'", (path, csp)
        assert resp.headers.get("x-frame-options") == "DENY", path
        assert resp.headers.get("x-content-type-options") == "nosniff", path
        assert resp.headers.get("referrer-policy") == "no-referrer", path


def test_item10_without_the_token_the_page_says_how_to_open_it(serve: Serve) -> None:
    resp = httpx.get(f"{serve.url}/", timeout=10)
    assert resp.status_code == 401 and resp.headers["content-type"].startswith("text/html")
    assert "vlcrew serve" in resp.text and "token" in resp.text
    assert "/static/app.js" not in resp.text  # the app itself is not served
    wrong = httpx.get(f"{serve.url}/?token=wrong", timeout=10)
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers


def test_item10_token_link_sets_a_strict_http_only_cookie(serve: Serve) -> None:
    resp = httpx.get(f"{serve.url}/?token={serve.token}", timeout=10)
    assert resp.status_code in (302, 303), resp.status_code
    assert resp.headers["location"] == "/"  # the token leaves the address bar
    cookie = resp.headers["set-cookie"]
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert cookie.startswith(f"vlcrew_token={serve.token};")
    assert {"httponly", "samesite", "path"} <= attrs and "samesite=strict" in cookie.lower()


# --- the page in real Chromium ----------------------------------------------------------

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


class _Attacker(http.server.BaseHTTPRequestHandler):
    """A foreign site: its page frames the vlcrew page and posts a run to it, as a form and
    as a no-cors fetch (both "simple" requests: no preflight)."""

    target = ""

    def do_GET(self) -> None:
        page = f"""<!doctype html><html><body>
<iframe src="{self.target}/"></iframe>
<form id="f" method="POST" action="{self.target}/api/runs" enctype="text/plain">
<input type="hidden" name='{{"pad": "' value='", "request": "x", "images": []}}'></form>
<script>
fetch("{self.target}/api/runs", {{method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"Content-Type": "text/plain"}}, body: {json.dumps(RUN_BODY)}}})
  .then(() => {{ document.title = "sent"; }}, () => {{ document.title = "failed"; }});
</script></body></html>"""
        raw = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_item10_the_printed_url_opens_a_working_page_in_chromium(serve: Serve) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert serve.open_url, f"no ready-to-open URL printed:\n{serve.log()}"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True)
        context = chromium.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        try:
            page.goto(serve.open_url)
            assert page.url == f"{serve.url}/", page.url  # the token left the address bar
            expect(page).to_have_title("vlcrew · 表单填写助手 Form-filling assistant")
            cookie = next(c for c in context.cookies() if c["name"] == "vlcrew_token")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            assert page.evaluate("document.cookie") == ""  # scripts cannot read the token
            # app.js runs under the CSP (it renders the picked file) and its API calls carry
            # the cookie: a JSON POST reaches the handler (400), a GET finds no thread (404).
            page.set_input_files("#file", str(EXAMPLES / "bank_account_zh.png"))
            expect(page.locator("#thumbs img")).to_be_visible()
            assert errors == [], errors  # no CSP violation, no script error
            statuses = page.evaluate("""async () => [
              (await fetch('/api/runs', {method: 'POST', body: '{}',
                 headers: {'Content-Type': 'application/json'}})).status,
              (await fetch('/api/threads/nope')).status]""")
            assert statuses == [400, 404], statuses

            # A page on another site (localhost is not 127.0.0.1's site), in the same
            # browser that holds the cookie, gets nothing from the server.
            handler = type("Attacker", (_Attacker,), {"target": serve.url})
            site = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
            threading.Thread(target=site.serve_forever, daemon=True).start()
            before = stored_images(serve)
            try:
                evil = context.new_page()
                answered: list[int] = []
                evil.on("response", lambda r: answered.append(r.status)
                        if r.url.startswith(serve.url) else None)
                evil.goto(f"http://localhost:{site.server_address[1]}/")
                evil.wait_for_function("document.title !== ''", timeout=15_000)
                with evil.expect_navigation():
                    evil.evaluate("document.getElementById('f').submit()")
                assert evil.url == f"{serve.url}/api/runs"
                assert len(answered) == 3, answered  # the frame, the fetch, the form
                assert all(s in (401, 403, 415) for s in answered), answered
            finally:
                site.shutdown()
            assert stored_images(serve) == before, "a cross-site page started a run"
        finally:
            context.close()
            chromium.close()


def test_the_token_is_kept_for_the_owner_only(serve: Serve) -> None:
    path = serve.data_dir / "server_token"
    assert path.read_text().strip() == serve.token
    assert path.stat().st_mode & 0o777 == 0o600


def test_no_auth_is_loud_and_only_on_loopback(tmp_path: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--host", "0.0.0.0", "--port",
         str(free_port()), "--no-auth"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "VLCREW_DATA_DIR": str(tmp_path / "refused")})
    assert refused.returncode == 2 and "--no-auth is refused" in refused.stderr, refused.stderr
    server = start_serve(tmp_path, "--no-auth", "--allowed-host", "vlcrew.lan")
    try:
        assert "WARNING" in server.log() and "NO TOKEN" in server.log()
        assert server.token is None
        resp = httpx.get(f"{server.url}/v1/models", headers={"Host": "vlcrew.lan"}, timeout=10)
        assert resp.status_code == 200  # no token wanted; the added Host name answers
        # Without a token the other doors stay shut.
        resp = httpx.post(f"{server.url}/api/runs", content=RUN_BODY, timeout=10,
                          headers={"Content-Type": "text/plain", "Origin": EVIL})
        assert resp.status_code == 403
        assert httpx.get(f"{server.url}/", headers={"Host": "evil.example"},
                         timeout=10).status_code in (400, 421)
    finally:
        server.stop()
