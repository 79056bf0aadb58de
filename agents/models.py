"""The chat models of a run, as one record: what ``build_graph(models=...)`` and
``Context.using(...)`` inject, and what ``agents.vlm.models_for`` builds from the settings
otherwise. Kept apart from the client code so the settings can name it without importing
the model client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.response_cache import ResponseCache


@dataclass(frozen=True)
class Models:
    """The chat models of a run: Thinking for the planner, Instruct for the experts."""

    planner: Any
    expert: Any
    cache: ResponseCache | None = None
