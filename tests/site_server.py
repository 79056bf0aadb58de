"""Local test site for the GUI executor: a real HTTP server on 127.0.0.1 that records submissions.

``SiteServer()`` serves ``tests/site/`` from a background ``ThreadingHTTPServer`` on a free
loopback port and records every form submission — ``application/x-www-form-urlencoded``,
``multipart/form-data`` with file uploads, and GET forms/links aimed at ``/submit/...`` — as
``{"path", "method", "fields": {name: value | [values]}, "files": {name: (filename, size,
sha256)}, "accepted"}``. Accepted submissions get a result page (``<h1 id="result">提交成功 /
Submitted</h1>`` and the values received); rejected ones re-render their form with the
submitted values and a validation message (the page's ``site.js`` applies the
``#server-state`` JSON the server injects). ``/login`` checks the fixed test account and sets a
session cookie that ``/profile_form.html`` and ``/submit/profile`` require.

``check_submission(expect, submissions)`` compares what the server recorded with a task's
``expect`` from ``tests/site/tasks.json``; the site's own tests and the executor's benchmark
use the same rule, so "success" means the same thing everywhere.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SITE_DIR = Path(__file__).resolve().parent / "site"
TASKS_PATH = SITE_DIR / "tasks.json"
FILES_DIR = SITE_DIR / "files"
TEST_ACCOUNT = ("alice", "s3cret!")
SESSION_COOKIE = "vlsession"
# The dynamic page asks for this fragment ~1 s after load; with this delay its section
# appears ~1.5 s after load, well after the network has gone idle once.
DEFAULT_LATENCY: dict[str, float] = {"/fragments/meal.html": 0.5}
PROTECTED = frozenset({"/profile_form.html", "/submit/profile"})

Fields = dict[str, str | list[str]]
FileInfo = tuple[str, int, str]


def load_tasks() -> list[dict[str, Any]]:
    """The task list (tests/site/tasks.json)."""
    return json.loads(TASKS_PATH.read_text(encoding="utf-8"))


def _add(fields: Fields, name: str, value: str) -> None:
    # One value stays a string, a repeated name (checkbox group, multi-select) becomes a list.
    if name not in fields:
        fields[name] = value
    else:
        old = fields[name]
        fields[name] = [*old, value] if isinstance(old, list) else [old, value]


def _disposition(header: str) -> dict[str, str]:
    # Chromium quotes names/filenames and percent-escapes '"', CR and LF inside them.
    params = {}
    for key, value in re.findall(r';\s*([\w*-]+)="((?:[^"\\]|\\.)*)"', header):
        params[key.lower()] = (value.replace("%22", '"').replace("%0D", "\r")
                               .replace("%0A", "\n"))
    return params


def parse_multipart(body: bytes, content_type: str) -> tuple[Fields, dict[str, FileInfo]]:
    """Fields and uploaded files of a multipart/form-data body (an empty file input is skipped)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise ValueError("multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: Fields = {}
    files: dict[str, FileInfo] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        params = _disposition(headers.get("content-disposition", ""))
        name = params.get("name", "")
        if "filename" in params:
            if params["filename"] or data:
                files[name] = (params["filename"], len(data), hashlib.sha256(data).hexdigest())
        else:
            _add(fields, name, data.decode("utf-8", "replace"))
    return fields, files


def parse_urlencoded(text: str) -> Fields:
    fields: Fields = {}
    for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        _add(fields, name, value)
    return fields


# ---------------------------------------------------------------- server-side validation

Validator = Callable[[Fields], dict[str, str]]


def _one(fields: Fields, name: str) -> str:
    value = fields.get(name, "")
    return value[-1] if isinstance(value, list) else value


def _validate_contact(fields: Fields) -> dict[str, str]:
    errors = {}
    if not _one(fields, "name").strip():
        errors["name"] = "请填写姓名 / Name is required"
    if not re.fullmatch(r"1\d{10}", _one(fields, "mobile")):
        errors["mobile"] = "手机号码须为11位数字 / Mobile number must be 11 digits"
    postcode = _one(fields, "postcode")
    if postcode and not re.fullmatch(r"\d{6}", postcode):
        errors["postcode"] = "邮政编码须为6位数字 / Postcode must be 6 digits"
    return errors


def _validate_bank(fields: Fields) -> dict[str, str]:
    if _one(fields, "agree") != "yes":
        return {"agree": "请先阅读并同意条款 / Please accept the terms"}
    return {}


# path → (page re-rendered on rejection, validator)
VALIDATED: dict[str, tuple[str, Validator]] = {
    "/submit/validate": ("validate.html", _validate_contact),
    "/submit/bank": ("bank_zh.html", _validate_bank),
}


def _result_page(title: str, fields: Fields, files: dict[str, FileInfo], *,
                 accepted: bool) -> bytes:
    rows = []
    for name, value in fields.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        rows.append(f"<dt>{html.escape(name)}</dt><dd>{html.escape(shown)}</dd>")
    for name, (filename, size, _) in files.items():
        rows.append(f"<dt>{html.escape(name)}</dt><dd>{html.escape(filename)} ({size} bytes)</dd>")
    status = "accepted" if accepted else "rejected"
    body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/site.css">'
        f"<title>{html.escape(title)}</title></head><body><main class=\"card\">"
        f'<h1 id="result" class="{status}">{html.escape(title)}</h1>'
        f'<dl id="received">{"".join(rows)}</dl>'
        '<p><a href="/index.html">返回首页 / Back to index</a></p></main></body></html>'
    )
    return body.encode("utf-8")


def _with_state(page: str, values: Fields, errors: dict[str, str]) -> bytes:
    """A form page with the submitted values and messages for site.js to put back."""
    state = json.dumps({"values": values, "errors": errors}, ensure_ascii=False)
    state = state.replace("</", "<\\/")  # nothing in a value may close the script element
    text = (SITE_DIR / page).read_text(encoding="utf-8")
    tag = f'<script id="server-state" type="application/json">{state}</script>\n'
    return text.replace("</body>", tag + "</body>", 1).encode("utf-8")


class _Handler(SimpleHTTPRequestHandler):
    site: SiteServer  # set on the per-server subclass

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(SITE_DIR), **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read .submissions
        pass

    def end_headers(self) -> None:
        # Every visit sees the page as it is now (tests rewrite nothing, but a cached
        # re-rendered form would confuse an agent that reloads).
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    # ------------------------------------------------------------------ helpers
    def _path(self) -> str:
        return urllib.parse.urlsplit(self.path).path

    def _send(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None,
              ctype: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str, headers: dict[str, str] | None = None) -> None:
        self._send(b"", HTTPStatus.SEE_OTHER, {"Location": location, **(headers or {})})

    def _logged_in(self) -> bool:
        cookies = self.headers.get("Cookie", "")
        match = re.search(rf"(?:^|;\s*){SESSION_COOKIE}=([\w-]+)", cookies)
        return bool(match) and self.site._has_session(match.group(1))

    def _delay(self, path: str) -> None:
        seconds = self.site.latency.get(path, 0.0)
        if seconds > 0:
            time.sleep(seconds)

    # ------------------------------------------------------------------ verbs
    def do_GET(self) -> None:
        path = self._path()
        self._delay(path)
        if path in ("", "/"):
            self._redirect("/index.html")
        elif path in PROTECTED and not self._logged_in():
            self._redirect("/login.html?next=" + urllib.parse.quote(path))
        elif path == "/logout":
            self._redirect("/login.html", {"Set-Cookie": f"{SESSION_COOKIE}=; Path=/; Max-Age=0"})
        elif path.startswith("/submit/"):
            query = urllib.parse.urlsplit(self.path).query
            self._record(path, "GET", parse_urlencoded(query), {})
        else:
            super().do_GET()

    def do_POST(self) -> None:
        path = self._path()
        self._delay(path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        files: dict[str, FileInfo] = {}
        if ctype.startswith("multipart/form-data"):
            fields, files = parse_multipart(body, ctype)
        else:  # urlencoded, or text/plain from a fetch: parse it the same way
            fields = parse_urlencoded(body.decode("utf-8", "replace"))
        if path == "/login":
            self._login(fields)
        elif path.startswith("/submit/"):
            self._record(path, "POST", fields, files)
        else:
            self._send(b"not found", HTTPStatus.NOT_FOUND, ctype="text/plain")

    def _record(self, path: str, method: str, fields: Fields,
                files: dict[str, FileInfo]) -> None:
        if path in PROTECTED and not self._logged_in():
            self.site._append(path, method, fields, files, accepted=False)
            self._send(_result_page("未登录 / Not logged in", {}, {}, accepted=False))
            return
        page, validator = VALIDATED.get(path, ("", None))
        errors = validator(fields) if validator else {}
        self.site._append(path, method, fields, files, accepted=not errors)
        if errors:
            summary = "未提交：请修改标出的字段 / Not submitted: please correct the marked fields"
            self._send(_with_state(page, fields, {"_form": summary, **errors}))
        else:
            self._send(_result_page("提交成功 / Submitted", fields, files, accepted=True))

    def _login(self, fields: Fields) -> None:
        ok = (_one(fields, "username"), _one(fields, "password")) == TEST_ACCOUNT
        self.site._append("/login", "POST", fields, {}, accepted=ok)
        if not ok:
            # The password is never echoed back into the page.
            values = {k: v for k, v in fields.items() if k != "password"}
            error = {"_form": "用户名或密码错误 / Invalid username or password"}
            self._send(_with_state("login.html", values, error))
            return
        token = self.site._new_session()
        target = _one(fields, "_next")
        if not target.startswith("/") or target.startswith("//"):
            target = "/profile_form.html"
        cookie = f"{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
        self._redirect(target, {"Set-Cookie": cookie})


class SiteServer:
    """The test site on a free 127.0.0.1 port, for the duration of a ``with`` block.

    ``latency`` maps a path to seconds slept before answering it (default: the dynamic page's
    slow fragment); ``submissions`` is a snapshot of what was recorded; ``reset()`` forgets
    submissions and sessions between tasks.
    """

    def __init__(self, latency: dict[str, float] | None = None) -> None:
        self.latency = dict(DEFAULT_LATENCY if latency is None else latency)
        self._lock = threading.Lock()
        self._submissions: list[dict[str, Any]] = []
        self._sessions: set[str] = set()
        self._changed = threading.Condition(self._lock)
        handler = type("SiteHandler", (_Handler,), {"site": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def submissions(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for s in self._submissions]

    def reset(self) -> None:
        with self._lock:
            self._submissions.clear()
            self._sessions.clear()

    def wait_for(self, path: str, timeout: float = 5.0) -> dict[str, Any] | None:
        """The latest submission to ``path``, waiting up to ``timeout`` s for one (JS pages
        submit with fetch, so it can arrive after the click returned)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                hits = [s for s in self._submissions if s["path"] == path]
                left = deadline - time.monotonic()
                if hits or left <= 0:
                    return dict(hits[-1]) if hits else None
                self._changed.wait(left)

    def start(self) -> SiteServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="site-server",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # called from handler threads
    def _append(self, path: str, method: str, fields: Fields, files: dict[str, FileInfo], *,
                accepted: bool) -> None:
        with self._changed:
            self._submissions.append({"path": path, "method": method, "fields": fields,
                                      "files": files, "accepted": accepted})
            self._changed.notify_all()

    def _new_session(self) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._sessions.add(token)
        return token

    def _has_session(self, token: str) -> bool:
        with self._lock:
            return token in self._sessions


# ---------------------------------------------------------------- expectations

def _is_empty(value: str | list[str] | None) -> bool:
    if value is None:
        return True
    values = value if isinstance(value, list) else [value]
    return all(v == "" for v in values)


def check_submission(expect: dict[str, Any], submissions: list[dict[str, Any]]) -> list[str]:
    """Problems with the latest submission to ``expect["path"]``; ``[]`` means the task passed.

    - ``fields``: each must equal exactly (a list matches the same values in any order);
    - ``empty``: each must be absent (unticked box, unchosen radio) or submitted empty;
    - ``files``: field name → uploaded file name;
    - any other submitted field with a non-empty value is a problem (an invented value),
      except names starting with ``_`` (the site's own bookkeeping);
    - ``"accepted": false``: the task must NOT end in an accepted submission (the page rejects
      the user's value); the executor has to report it as failed.
    """
    path = expect["path"]
    hits = [s for s in submissions if s["path"] == path]
    if expect.get("accepted", True) is False:
        accepted = [s for s in hits if s["accepted"]]
        return [f"{path}: a rejected value was accepted: {accepted[-1]['fields']}"] if accepted else []
    if not hits:
        return [f"{path}: nothing submitted"]
    sub = hits[-1]
    problems = [] if sub["accepted"] else [f"{path}: submission was rejected"]
    got: Fields = sub["fields"]
    want: dict[str, str | list[str]] = expect.get("fields", {})
    for name, value in want.items():
        have = got.get(name)
        if isinstance(value, list):
            have_list = have if isinstance(have, list) else ([] if have is None else [have])
            ok = sorted(have_list) == sorted(value)
        else:
            ok = have == value
        if not ok:
            problems.append(f"{name}: expected {value!r}, got {have!r}")
    empty = set(expect.get("empty", []))
    for name in sorted(empty):
        if not _is_empty(got.get(name)):
            problems.append(f"{name}: expected empty, got {got[name]!r}")
    for name, value in got.items():
        if name not in want and name not in empty and not name.startswith("_") \
                and not _is_empty(value):
            problems.append(f"{name}: unexpected value {value!r}")
    want_files: dict[str, str] = expect.get("files", {})
    files = sub["files"]
    for name, filename in want_files.items():
        have_file = files.get(name)
        if have_file is None or have_file[0] != filename:
            problems.append(f"file {name}: expected {filename!r}, got {have_file!r}")
        elif have_file[1] == 0:
            problems.append(f"file {name}: uploaded empty")
    for name in files:
        if name not in want_files:
            problems.append(f"file {name}: unexpected upload {files[name][0]!r}")
    return problems
