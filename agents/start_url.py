"""Where the browser may start: the operator's allow-list, never the caller's word alone.

A run's start URL (``url`` in the graph's input) comes from whoever calls the graph; over
``langgraph dev`` that is anyone who can reach the port. The browser opens it only when it
matches one of :attr:`agents.context.Context.act_start_urls`:

- an entry with ``://`` is a URL prefix: same scheme, host and port, and the path starts
  with the entry's path at a ``/`` boundary (``http://h/forms`` allows ``/forms`` and
  ``/forms/a``, not ``/formsx``);
- any other entry is a host (``example.com``, ``127.0.0.1:8000``): http(s) on that host
  (and, with a port, only that port).

Matching is on the parsed URL, never on the raw string, so ``http://h.evil.example`` and
``http://h@evil.example`` do not pass for ``http://h``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_SCHEMES = ("http", "https")


def _port(scheme: str, port: int | None) -> int:
    return port if port is not None else (443 if scheme == "https" else 80)


def _matches(url: str, entry: str) -> bool:
    target = urlsplit(url)
    if target.scheme not in _SCHEMES or not target.hostname or target.username is not None:
        return False
    _port(target.scheme, target.port)  # a bad port raises ValueError: refused
    if "://" not in entry:
        allowed = urlsplit(f"{target.scheme}://{entry.strip().rstrip('/')}")
        return bool(allowed.hostname == target.hostname and (
            allowed.port is None or allowed.port == _port(target.scheme, target.port)))
    allowed = urlsplit(entry.strip())
    if (allowed.scheme, allowed.hostname) != (target.scheme, target.hostname) or _port(
            allowed.scheme, allowed.port) != _port(target.scheme, target.port):
        return False
    base = allowed.path.rstrip("/")
    path = target.path or "/"
    return not base or path == base or path.startswith(base + "/")


def start_allowed(url: str, allowed: tuple[str, ...] | list[str]) -> bool:
    """Whether the browser may start at ``url`` (``allowed`` empty: nowhere)."""
    try:
        return any(_matches(url, entry) for entry in allowed if entry.strip())
    except ValueError:  # a malformed URL or port
        return False
