"""What the agents read from the run-time context, as a typing protocol.

The concrete ``Context`` dataclass lives in ``graph/context.py`` (arrows point down, so agents
never import the graph); any object with these attributes will do.
"""

from __future__ import annotations

from typing import Any, Protocol


class Settings(Protocol):
    """The run-time settings an agent may read."""

    backend: str
    base_url: str
    planner_base_url: str
    api_key: str
    planner_model: str
    expert_model: str
    reasoning_budget: int
    cache_path: str
    probe_timeout: float
    max_pixels: int
    planner_max_pixels: int
    ocr_min_confidence: float
    match_threshold: float
    allow_http_images: bool
    image_dirs: str
    upload_dirs: str
    allowed_hosts: str
    approve: str
    out_dir: str


def settings_of(runtime: Any) -> Settings:
    """The run's settings; the graph guarantees a context is present."""
    ctx = getattr(runtime, "context", None)
    if ctx is None:
        raise RuntimeError("no run-time context: build the graph with graph.builder")
    return ctx  # type: ignore[no-any-return]
