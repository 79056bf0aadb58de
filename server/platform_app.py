"""The app ``langgraph dev`` / LangGraph API mounts beside its own routes (``http.app``).

It carries vlcrew's own HTTP surfaces (the OpenAI-compatible endpoint) next to the
platform's thread and run API, so Studio, the SDK and chat front ends reach one server.
"""

from __future__ import annotations

from graph.builder import graph
from server.openai_api import build_app

app = build_app(graph)
