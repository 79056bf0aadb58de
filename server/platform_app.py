"""The app ``langgraph dev`` / LangGraph API mounts beside its own routes (``http.app``).

It carries vlcrew's own HTTP surfaces — the web page, the thread API and the
OpenAI-compatible endpoint — next to the platform's thread and run API, so Studio, the SDK,
chat front ends and people in a browser reach one server. vlcrew's own threads live in its
SQLite file (or Postgres), apart from the platform's.

The platform applies this app's middleware to every route, so ``server.security.Guard``
checks the Host header and refuses cross-site state changes on the platform's routes too
(origins ``langgraph.json``'s ``http.cors`` trusts excepted); the token, JSON-only bodies and
security headers apply to vlcrew's own paths. The page's ready-to-open URL is logged at start.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from server.app import create_app
from server.security import Settings, host_names, load_or_create_token, origin_pattern

OWN_PATHS = ("/api/", "/v1/", "/static/")
OWN_EXACT = frozenset({"/", "/healthz"})


def _http_config() -> dict[str, Any]:
    """``langgraph.json`` as the platform read it (``LANGGRAPH_HTTP``), else the repo's file."""
    raw = os.environ.get("LANGGRAPH_HTTP")
    if raw:
        return {"http": json.loads(raw)}
    path = Path(__file__).resolve().parents[1] / "langgraph.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _ours(path: str) -> bool:
    return path in OWN_EXACT or path.startswith(OWN_PATHS)


token = load_or_create_token()
app = create_app(guard=Settings(
    token=token, hosts=host_names(""), ours=_ours, other_origins=origin_pattern(_http_config()),
    in_process_root="/noauth"))  # the platform's in-process SDK client, never the network
logging.getLogger("vlcrew.server").warning(
    "vlcrew: open the web page at /?token=%s on this server (API clients: 'Authorization: "
    "Bearer <token>')", token)
