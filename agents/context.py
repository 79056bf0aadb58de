"""Run-time settings (LangGraph ``context_schema``), each with a ``VLCREW_*`` env fallback.

A field the caller does not pass takes the environment variable ``VLCREW_<FIELD>`` when set, so
``langgraph dev``, the CLI and embedders configure the graph the same way. This is the one
declaration of the settings: nodes read them as ``runtime.context`` (``Runtime[Context]``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from agents.models import Models

T = TypeVar("T")


def _env(name: str, default: T) -> Callable[[], T]:
    """Default factory: ``VLCREW_<NAME>`` if set (coerced to the default's type), else default.

    A factory runs only when the caller did not pass the field, so an explicit value, even
    one equal to the default, always wins over the environment.
    """

    def factory() -> T:
        raw = os.environ.get(f"VLCREW_{name.upper()}")
        if raw is None:
            return default
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")  # type: ignore[return-value]
        return type(default)(raw)  # type: ignore[call-arg]

    return factory


@dataclass(kw_only=True)
class Context:
    """Settings for one run of the graph."""

    backend: Literal["auto", "vllm", "offline"] = field(
        default_factory=_env("backend", "auto"),
        metadata={"description": "auto: use the model server if it answers, else offline."},
    )
    base_url: str = field(
        default_factory=_env("base_url", "http://127.0.0.1:8000/v1"),
        metadata={"description": "OpenAI-compatible base URL of the vLLM server."},
    )
    planner_base_url: str = field(
        default_factory=_env("planner_base_url", ""),
        metadata={"description": "Server of the Thinking planner if it is another vLLM "
                                 "(one vLLM serves one model); '' = base_url."},
    )
    api_key: str = field(
        default_factory=_env("api_key", "EMPTY"), metadata={"description": "Bearer token for it."}
    )
    planner_model: str = field(
        default_factory=_env("planner_model", "Qwen/Qwen3-VL-8B-Thinking"),
        metadata={"description": "Thinking model used by the planner."},
    )
    expert_model: str = field(
        default_factory=_env("expert_model", "Qwen/Qwen3-VL-8B-Instruct"),
        metadata={"description": "Instruct model used by the experts."},
    )
    reasoning_budget: int = field(
        default_factory=_env("reasoning_budget", 2048),
        metadata={"description": "Most tokens the planner may think for (max_reasoning_steps)."},
    )
    cache_path: str = field(
        default_factory=_env("cache_path", ""),
        metadata={"description": "SQLite file for the model response cache ('' = memory)."},
    )
    probe_timeout: float = field(
        default_factory=_env("probe_timeout", 1.0),
        metadata={"description": "Seconds to wait for /v1/models in auto mode."},
    )
    max_pixels: int = field(
        default_factory=_env("max_pixels", 1_310_720),
        metadata={"description": "Pixel budget per image sent to the model (1280 tokens)."},
    )
    planner_max_pixels: int = field(
        default_factory=_env("planner_max_pixels", 327_680),
        metadata={"description": "Pixel budget for the planner's look (the gist: 320 tokens)."},
    )
    ocr_min_confidence: float = field(
        default_factory=_env("ocr_min_confidence", 0.5),
        metadata={"description": "OCR lines scored below this are dropped."},
    )
    match_threshold: float = field(
        default_factory=_env("match_threshold", 0.72),
        metadata={"description": "Least label-to-key similarity that counts."},
    )
    allow_http_images: bool = field(
        default_factory=_env("allow_http_images", False),
        metadata={"description": "Fetch http(s) image URLs."},
    )
    max_image_pixels: int = field(
        default_factory=_env("max_image_pixels", 50_000_000),
        metadata={"description": "Largest input image (width × height) a run decodes; the "
                                 "servers lower it, no caller can raise it past 50 MP."},
    )
    image_dirs: str = field(
        default_factory=_env("image_dirs", ""),
        metadata={"description": "Folders (os.pathsep-separated) that file:// images and local "
                                 "paths may come from on the servers ('' = none)."},
    )
    upload_dirs: str = field(
        default_factory=_env("upload_dirs", ""),
        metadata={"description": "Folders (':'-separated) the executor may upload files from "
                                 "('' = none)."},
    )
    allowed_hosts: str = field(
        default_factory=_env("allowed_hosts", ""),
        metadata={"description": "Hosts (','-separated) the executor's browser may reach "
                                 "('' = the start URL's host only)."},
    )
    approve: Literal["auto", "ask"] = field(
        default_factory=_env("approve", "auto"),
        metadata={"description": "ask: stop for the user's approval (accept, edit, reject) "
                                 "before the answer or an action is committed."},
    )
    out_dir: str = field(
        default_factory=_env("out_dir", ""),
        metadata={"description": "Where to write overlay and scripts ('' = none)."},
    )

    def using(self, models: Models) -> Context:
        """A copy of these settings whose runs use ``models`` (chat models built by the
        caller: fakes in tests, an embedder's own clients) instead of clients built from
        ``base_url``; the backend is then vllm without probing a server.

        Deliberately not a dataclass field: it is no setting, so it never appears in the
        context schema that LangGraph Studio and the API show, and no caller can set it
        over the wire.
        """
        ctx = copy.copy(self)
        object.__setattr__(ctx, "_models", models)
        return ctx

    @property
    def injected_models(self) -> Models | None:
        """The chat models given with :meth:`using`, if any."""
        return getattr(self, "_models", None)

    def starting_at(self, *urls: str) -> Context:
        """A copy of these settings whose browser may start at ``urls`` (URL prefixes or
        hosts), besides those of ``VLCREW_ACT_START_URLS``.

        Like :meth:`using`, no dataclass field on purpose: LangGraph builds the context of a
        run from what its caller sends (``langgraph dev``'s ``context``), so a field would let
        any caller allow its own start URL. Only the operator's code (``vlcrew act --url``,
        an embedder, a test) or the operator's environment can.
        """
        ctx = copy.copy(self)
        object.__setattr__(ctx, "_start_urls", (*getattr(self, "_start_urls", ()), *urls))
        return ctx

    @property
    def act_start_urls(self) -> tuple[str, ...]:
        """Where the browser may start: :meth:`starting_at`'s URLs and the operator's
        ``VLCREW_ACT_START_URLS`` (','-separated); none = the browser never starts."""
        env = os.environ.get("VLCREW_ACT_START_URLS", "")
        return (*getattr(self, "_start_urls", ()), *(u.strip() for u in env.split(",")
                                                      if u.strip()))

    def __post_init__(self) -> None:
        if self.backend not in ("auto", "vllm", "offline"):
            raise ValueError(f"backend must be auto, vllm or offline, not {self.backend!r}")
        if self.approve not in ("auto", "ask"):
            raise ValueError(f"approve must be auto or ask, not {self.approve!r}")
