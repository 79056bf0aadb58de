"""Run-time settings (LangGraph ``context_schema``), each with a ``VLCREW_*`` env fallback.

A field left at its default takes the environment variable ``VLCREW_<FIELD>`` when set, so
``langgraph dev``, the CLI and embedders configure the graph the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Literal


@dataclass(kw_only=True)
class Context:
    """Settings for one run of the graph."""

    backend: Literal["auto", "vllm", "offline"] = field(
        default="auto",
        metadata={"description": "auto: use the model server if it answers, else offline."},
    )
    base_url: str = field(
        default="http://127.0.0.1:8000/v1",
        metadata={"description": "OpenAI-compatible base URL of the vLLM server."},
    )
    api_key: str = field(default="EMPTY", metadata={"description": "Bearer token for it."})
    planner_model: str = field(
        default="Qwen/Qwen3-VL-8B-Thinking",
        metadata={"description": "Thinking model used by the planner."},
    )
    expert_model: str = field(
        default="Qwen/Qwen3-VL-8B-Instruct",
        metadata={"description": "Instruct model used by the experts."},
    )
    probe_timeout: float = field(
        default=1.0, metadata={"description": "Seconds to wait for /v1/models in auto mode."}
    )
    max_pixels: int = field(
        default=1_310_720,
        metadata={"description": "Pixel budget per image sent to the model (1280 tokens)."},
    )
    ocr_min_confidence: float = field(
        default=0.5, metadata={"description": "OCR lines scored below this are dropped."}
    )
    match_threshold: float = field(
        default=0.72, metadata={"description": "Least label-to-key similarity that counts."}
    )
    allow_http_images: bool = field(
        default=False, metadata={"description": "Fetch http(s) image URLs."}
    )
    out_dir: str = field(
        default="", metadata={"description": "Where to write overlay and scripts ('' = none)."}
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            env = os.environ.get(f"VLCREW_{f.name.upper()}")
            if env is None or getattr(self, f.name) != f.default:
                continue
            setattr(self, f.name, _coerce(env, type(f.default)))
        if self.backend not in ("auto", "vllm", "offline"):
            raise ValueError(f"backend must be auto, vllm or offline, not {self.backend!r}")


def _coerce(raw: str, kind: type) -> object:
    if kind is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind in (int, float):
        return kind(raw)
    return raw
