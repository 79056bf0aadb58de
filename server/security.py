"""Who may talk to vlcrew's HTTP app, and from where: one ASGI middleware, ``Guard``.

vlcrew runs on a person's own machine, next to their browser: any page they visit can send
"simple" requests to 127.0.0.1, and a DNS-rebinding name can make the browser treat the
server as same-origin with an attacker's page. So on every request:

- the ``Host`` header must be a loopback name or one the operator added (DNS rebinding);
- a state-changing method from another origin (``Origin``, ``Sec-Fetch-Site``) is refused;
- on vlcrew's own routes, a state-changing request must be ``application/json`` (a page
  cannot send that cross-site without a CORS preflight, which is not granted), and every
  route but ``GET /`` and ``/healthz`` needs the per-install token: ``Authorization:
  Bearer <token>`` (the OpenAI ``api_key``) or the HttpOnly SameSite=Strict cookie that
  ``GET /?token=<token>`` sets;
- every answer of vlcrew's routes carries CSP (``frame-ancestors 'none'``, ``script-src
  'self'``), ``X-Frame-Options``, ``nosniff`` and ``no-referrer``.

Under ``langgraph dev`` the middleware wraps the platform's routes too (they get the Host
and Origin checks; their own auth is the platform's business), see ``server/platform_app.py``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agents.messages import say
from graph.persistence import default_db_path

COOKIE = "vlcrew_token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Exempt from the token: the page's own door (it explains how to get in) and health checks.
PUBLIC = frozenset({"/", "/healthz"})
# The page's script and style are files under /static; no inline code, so 'self' is enough.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
           (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


def token_path() -> Path:
    """Where this install's token lives: beside the threads database in the data dir."""
    return default_db_path().parent / "server_token"


def load_or_create_token(path: Path | None = None) -> str:
    """The install's token, made once with ``secrets`` and kept readable by the owner only."""
    path = path or token_path()
    try:
        token = path.read_text(encoding="ascii").strip()
        if len(token) >= 32:
            return token
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    # Created 0600 from the start: never a moment in which others could read it.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(token + "\n")
    os.replace(tmp, path)
    return token


def is_loopback(host: str) -> bool:
    """A bind address or name that only this machine can reach."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


WILDCARD_BINDS = ("0.0.0.0", "::", "")
"""Bind addresses that mean every interface: no Host name of their own."""


def host_names(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host names to answer: loopback ones, the bound host unless it is a wildcard, and
    the operator's additions (``--allowed-host``, ``VLCREW_SERVE_ALLOWED_HOSTS``)."""
    names = set(LOOPBACK_HOSTS)
    if bind_host not in WILDCARD_BINDS:
        names.add(bind_host.strip("[]").lower())
    env = os.environ.get("VLCREW_SERVE_ALLOWED_HOSTS", "")
    names.update(h.strip().lower() for h in [*extra, *env.split(",")] if h.strip())
    return frozenset(names)


@dataclass(frozen=True)
class Settings:
    """What the guard enforces; ``token=None`` turns the token check off (``--no-auth``)."""

    token: str | None
    hosts: frozenset[str] = LOOPBACK_HOSTS
    # Which paths are vlcrew's own (JSON only, token, headers); all of them by default.
    ours: Callable[[str], bool] = field(default=lambda path: True)
    # Foreign origins trusted on the other (platform) paths: langgraph.json's CORS regex.
    other_origins: re.Pattern[str] | None = None
    # In-process calls (the platform's loopback SDK client) carry this root_path.
    in_process_root: str | None = None


def _split_host(value: str) -> str:
    """``host[:port]`` → host, lower-case, IPv6 brackets removed."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        name = key.decode("latin-1").lower()
        text = value.decode("latin-1")
        out[name] = f"{out[name]}; {text}" if name == "cookie" and name in out else text
    return out


def _error(status: int, message: str, kind: str, code: str) -> tuple[int, bytes, str]:
    # One shape both APIs' clients read: the OpenAI error (the thread API reads .message).
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return status, json.dumps(body).encode(), "application/json"


class Guard:
    """The ASGI middleware; see the module's docstring for what it checks, in order."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        ours = self.settings.ours(path)
        refusal = self.check(scope, path, ours)
        if refusal is not None:
            await self._answer(scope, send, *refusal)
            return
        if scope["type"] == "http" and ours and path == "/" and scope.get("method") in SAFE_METHODS:
            door = self.door(scope)
            if door is not None:
                await self._answer(scope, send, *door)
                return
        if not ours:
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in HEADERS if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, with_headers)

    def check(self, scope: Scope, path: str, ours: bool) -> tuple[int, bytes, str] | None:
        """The refusal for this request, if any: Host, Origin, token, content type."""
        headers = _headers(scope)
        in_process = (self.settings.in_process_root is not None
                      and scope.get("root_path") == self.settings.in_process_root)
        if not in_process and _split_host(headers.get("host", "")) not in self.settings.hosts:
            return _error(400, "unknown Host header: this server answers on its own names only "
                               "(add one with --allowed-host)", "invalid_request_error",
                          "bad_host")
        method = scope.get("method", "GET")
        changes = scope["type"] == "websocket" or method not in SAFE_METHODS
        if changes and not self.same_origin(headers, scope, ours):
            return _error(403, "cross-site request refused", "permission_error", "cross_site")
        if not ours:
            return None
        if self.settings.token is not None and path not in PUBLIC and not self.authorized(
                headers):
            return _error(401, "missing or wrong token: send 'Authorization: Bearer <token>' "
                               "(the token `vlcrew serve` printed; also the OpenAI api_key)",
                          "authentication_error", "invalid_api_key")
        if method not in SAFE_METHODS and method != "OPTIONS" and scope["type"] == "http":
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                return _error(415, "send the body as application/json", "invalid_request_error",
                              "unsupported_media_type")
        return None

    def same_origin(self, headers: dict[str, str], scope: Scope, ours: bool) -> bool:
        """No Origin / Sec-Fetch-Site (a script or CLI), or the browser says it is us."""
        origin = headers.get("origin")
        site = headers.get("sec-fetch-site", "").lower()
        if origin is not None:
            scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
            if origin == f"{scheme}://{headers.get('host', '')}":
                return site in ("", "same-origin", "none")
            trusted = self.settings.other_origins
            return not ours and trusted is not None and bool(trusted.fullmatch(origin))
        return site in ("", "same-origin", "none")

    def authorized(self, headers: dict[str, str]) -> bool:
        token = self.settings.token or ""
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode()):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is just no cookie
            return False
        morsel = cookie.get(COOKIE)
        return morsel is not None and hmac.compare_digest(morsel.value.encode(), token.encode())

    def door(self, scope: Scope) -> tuple[int, bytes, str] | None:
        """``GET /``: trade ``?token=`` for the cookie, or explain how to get in."""
        if self.settings.token is None:
            return None
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0]
        if given and hmac.compare_digest(given.encode(), self.settings.token.encode()):
            return 303, b"", "redirect"
        if not given and self.authorized(_headers(scope)):
            return None
        page = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>vlcrew</title></head><body><h1>vlcrew</h1>"
                f"<p>{say('server.sign_in', False)}</p><p>{say('server.sign_in', True)}</p>"
                "</body></html>")
        return 401, page.encode(), "text/html; charset=utf-8"

    async def _answer(self, scope: Scope, send: Send, status: int, body: bytes,
                      kind: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = [*HEADERS, (b"cache-control", b"no-store")]
        if kind == "redirect":
            cookie = (f"{COOKIE}={self.settings.token}; HttpOnly; SameSite=Strict; Path=/; "
                      "Max-Age=31536000")
            # Back to the bare page: the token leaves the address bar and the history.
            headers += [(b"location", b"/"), (b"set-cookie", cookie.encode()),
                        (b"content-length", b"0")]
        else:
            headers += [(b"content-type", kind.encode()),
                        (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b"Bearer"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def origin_pattern(config: dict[str, Any]) -> re.Pattern[str] | None:
    """The origins ``langgraph.json``'s ``http.cors`` trusts, as one pattern."""
    cors = (config.get("http") or {}).get("cors") or {}
    parts = [re.escape(o) for o in cors.get("allow_origins", []) if o != "*"]
    if cors.get("allow_origin_regex"):
        parts.append(f"(?:{cors['allow_origin_regex'].strip('^$')})")
    return re.compile("|".join(parts)) if parts else None

