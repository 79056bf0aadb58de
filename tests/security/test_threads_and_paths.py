"""Security issue #11, items 2 (the browser half), 4, 9 and 11, against real processes.

``vlcrew serve`` runs as a child process on 127.0.0.1 with its own working folder, data dir
and SQLite file; ``vlcrew act`` runs Debian's Chromium against the local test site; ``langgraph
dev`` serves the graph as Studio does. Each test shows one thing an attacker on the HTTP side
could do before, and that it is refused now:

- item 4: a browser thread made by ``vlcrew act`` cannot be continued over the thread API (no
  second submission, nothing written into the server's working folder), and no follow-up lowers
  a thread's approval policy from ask to auto;
- item 2: a run whose start URL the operator did not allow never opens it in the browser;
- item 9: answers name files by name or URL, never by a path on the server;
- item 11: the thread's request text comes back with its secrets masked.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLES, free_port
from tests.server.langgraph_dev_server import LANGGRAPH
from tests.server.langgraph_dev_server import start as start_langgraph_dev
from tests.site_server import SiteServer, load_tasks

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]
HAS_CHROMIUM = Path("/usr/bin/chromium").exists()
REQUEST = (EXAMPLES / "bank_account_zh.request.txt").read_text(encoding="utf-8").strip()
IMAGE = "data:image/png;base64," + base64.b64encode(
    (EXAMPLES / "bank_account_zh.png").read_bytes()).decode()
ID_NUMBER, PHONE, PASSWORD = "11010519491231002X", "13812345678", "Zx9!secret"


def child_env(data_dir: Path) -> dict[str, str]:
    """The environment of a child vlcrew: this tree's code, offline, a private data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VLCREW_")}
    env.update(PYTHONPATH=str(ROOT), VLCREW_BACKEND="offline", VLCREW_DATA_DIR=str(data_dir),
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return env


class Serve:
    """``vlcrew serve`` as a child process in its own working folder."""

    def __init__(self, root: Path, db: Path) -> None:
        self.cwd, self.data = root / "cwd", root / "data"
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.port, self.db = free_port(), db
        self.log = root / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.headers: dict[str, str] = {}

    def __enter__(self) -> Serve:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
                 "--db", str(self.db)], cwd=self.cwd, env=child_env(self.data),
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    self.headers = self._auth()
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise AssertionError(f"vlcrew serve did not start:\n{self.log.read_text()}")

    def _auth(self) -> dict[str, str]:
        """The bearer token ``vlcrew serve`` printed, if this server asks for one."""
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if "token=" in line:
                token = line.split("token=", 1)[1].split()[0].split("&")[0]
                return {"Authorization": f"Bearer {token}"}
        return {}

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=180, headers=self.headers)


def events(client: httpx.Client, path: str, body: dict[str, Any]
           ) -> tuple[int, list[tuple[str, Any]]]:
    """POST a run; its status and, when it streams, every event."""
    out: list[tuple[str, Any]] = []
    with client.stream("POST", path, json=body) as response:
        if response.status_code != 200:
            response.read()
            return response.status_code, [("error", response.json())]
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.append((event, json.loads(line[6:])))
    return 200, out


def first(found: list[tuple[str, Any]], name: str) -> Any:
    return next(data for event, data in found if event == name)


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def server_paths(value: Any, *roots: Path) -> list[str]:
    """Strings that are a path on this machine, or that name one of ``roots``."""
    text = json.dumps(value, ensure_ascii=False)
    named = [str(r) for r in roots if str(r) in text]
    return named + [s for s in strings(value) if s.startswith("/") and len(s) > 1
                    and os.path.exists(s)]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Serve]:
    with Serve(tmp_path / "serve", tmp_path / "threads.sqlite") as s:
        yield s


# --- item 4: threads over HTTP -------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Debian's chromium at /usr/bin/chromium")
def test_item4_a_cli_browser_thread_cannot_be_continued_over_http(tmp_path: Path) -> None:
    """``vlcrew act`` (approve=ask, the user said no) leaves a browser thread in the shared
    SQLite file; a POST /api/runs on it with approve=auto and "submit" is refused: the site
    records no submission and the server's working folder stays empty."""
    task = next(t for t in load_tasks() if t["id"] == "bank_partial")
    db = tmp_path / "threads.sqlite"
    cli_cwd = tmp_path / "cli"
    cli_cwd.mkdir()
    with SiteServer() as site:
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", "act", "--url", f"{site.url}/{task['page']}",
             "--request", task["request"], "--approve", "ask", "--db", str(db), "--out",
             str(cli_cwd / "out")], cwd=cli_cwd, env=child_env(tmp_path / "data"), input="",
            capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        thread_id = done.stderr.split("vlcrew: thread ", 1)[1].split()[0]
        assert site.submissions == []  # the user rejected the commit on stdin
        with Serve(tmp_path / "serve", db) as srv, srv.client() as client:
            status, found = events(client, "/api/runs", {
                "thread_id": thread_id, "request": "点击提交 / click Submit", "approve": "auto"})
            time.sleep(0.5)  # a submission in flight lands
            assert status == 403, found
            assert "browser" in found[0][1]["error"]["message"]
            for verb in ("resume", "continue"):
                refused = client.post(f"/api/threads/{thread_id}/{verb}",
                                      json={"action": "accept"})
                assert refused.status_code in (403, 409), refused.text
            assert site.submissions == []
            assert list(srv.cwd.iterdir()) == []  # no act/ folder, nothing at all


def test_item4_a_follow_up_never_lowers_the_approval_policy(server: Serve) -> None:
    """A thread that ran with approve=ask stays ask: a follow-up sent with approve=auto still
    stops for the user's approval."""
    with server.client() as client:
        status, found = events(client, "/api/runs", {"request": REQUEST, "images": [IMAGE],
                                                     "approve": "ask"})
        assert status == 200 and found[-1] == ("end", {"status": "interrupted"}), found
        thread_id = first(found, "thread")["thread_id"]
        status, found = events(client, f"/api/threads/{thread_id}/resume", {"action": "accept"})
        assert found[-1] == ("end", {"status": "done"}), found
        status, found = events(client, "/api/runs", {
            "thread_id": thread_id, "request": "把手机号改成13912345678", "approve": "auto"})
        assert status == 200 and found[-1] == ("end", {"status": "interrupted"}), found
        assert any(event == "approval" for event, _ in found)
        state = client.get(f"/api/threads/{thread_id}").json()
        assert state["options"]["approve"] == "ask"


# --- item 2 (browser half): the start URL comes from the operator ---------------------------


class Recorder:
    """A loopback page that records every request made to it."""

    def __init__(self) -> None:
        seen = self.seen = []  # type: list[str]

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                body = b"<form action=/submit method=post><button>Submit</button></form>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.browser
@pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Debian's chromium at /usr/bin/chromium")
@pytest.mark.skipif(not LANGGRAPH.exists(), reason="the langgraph CLI is not installed")
def test_item2_a_start_url_the_operator_did_not_allow_is_never_opened(tmp_path: Path) -> None:
    """POST /runs/wait on ``langgraph dev`` with input.url of a page and approve=auto: the
    operator allowed no start URL, so the browser never opens it (the page sees no request)
    and the answer says why."""
    page = Recorder()
    server = start_langgraph_dev(tmp_path)
    try:
        response = httpx.post(f"{server.url}/runs/wait", timeout=180, json={
            "assistant_id": "vlcrew",
            "input": {"messages": [{"role": "user", "content": "click Submit"}],
                      "url": page.url},
            "context": {"approve": "auto", "backend": "offline"}})
        time.sleep(0.5)
        assert page.seen == [], page.seen
        assert response.status_code == 200, response.text
        answer = response.json()["answer"]
        assert any("start URL" in e["message"] for e in answer["errors"]), answer["errors"]
    finally:
        server.stop()
        page.close()


# --- item 9: answers carry no server paths ---------------------------------------------------


def test_item9_answers_name_files_by_name_or_url_never_by_server_path(server: Serve) -> None:
    with server.client() as client:
        status, found = events(client, "/api/runs", {"request": REQUEST, "images": [IMAGE],
                                                     "approve": "auto"})
        assert status == 200 and found[-1] == ("end", {"status": "done"}), found
        thread_id = first(found, "thread")["thread_id"]
        streamed = first(found, "answer")
        assert streamed["urls"]  # files were written: the answer names them
        saved = client.get(f"/api/threads/{thread_id}/answer.json")
        state = client.get(f"/api/threads/{thread_id}")
        assert saved.status_code == 200 and state.status_code == 200
        for shown in (streamed, saved.json(), state.json()):
            assert server_paths(shown, server.data, server.cwd) == []
        overlay = client.get(streamed["urls"]["overlay"])  # the URL serves the file
        assert overlay.status_code == 200 and overlay.content[:4] == b"\x89PNG"
        reply = client.post("/v1/chat/completions", json={"model": "vlcrew", "messages": [
            {"role": "user", "content": [{"type": "text", "text": REQUEST},
                                         {"type": "image_url", "image_url": {"url": IMAGE}}]}]})
        assert reply.status_code == 200, reply.text
        message = reply.json()["choices"][0]["message"]
        answer = json.loads(message["content"])
        assert answer["files"] and answer["overlay"]
        assert server_paths(answer, server.data, server.cwd) == []
        assert str(server.data) not in message.get("reasoning_content", "")
        assert answer["overlay"] == "overlay.png"


# --- item 11: the thread's request text is masked ------------------------------------------


def test_item11_the_thread_masks_secrets_in_the_request_text(server: Serve) -> None:
    request = (f"我叫张三，身份证号{ID_NUMBER}，手机{PHONE}，网银密码 {PASSWORD}，帮我填一下")
    with server.client() as client:
        status, found = events(client, "/api/runs", {"request": request, "images": [IMAGE],
                                                     "approve": "auto"})
        assert status == 200, found
        thread_id = first(found, "thread")["thread_id"]
        state = client.get(f"/api/threads/{thread_id}").json()
    shown = json.dumps(state["messages"], ensure_ascii=False)
    assert "我叫张三" in shown  # the request is still there, readable
    for secret in (ID_NUMBER, PHONE, PASSWORD):
        assert secret not in shown, shown
