"""The app ``langgraph dev`` / LangGraph API mounts beside its own routes (``http.app``).

It carries vlcrew's own HTTP surfaces — the web page, the thread API and the
OpenAI-compatible endpoint — next to the platform's thread and run API, so Studio, the SDK,
chat front ends and people in a browser reach one server. vlcrew's own threads live in its
SQLite file (or Postgres), apart from the platform's.
"""

from __future__ import annotations

from server.app import create_app

app = create_app()
