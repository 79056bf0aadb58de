"""Run-time settings: env fallback only for fields the caller did not pass."""

from __future__ import annotations

import pytest

from agents.context import Context


def test_env_fills_unpassed_fields_with_their_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLCREW_BACKEND", "vllm")
    monkeypatch.setenv("VLCREW_MAX_PIXELS", "802816")
    monkeypatch.setenv("VLCREW_ALLOW_HTTP_IMAGES", "true")
    monkeypatch.setenv("VLCREW_PROBE_TIMEOUT", "0.25")
    ctx = Context()
    assert (ctx.backend, ctx.max_pixels, ctx.allow_http_images, ctx.probe_timeout) == (
        "vllm", 802816, True, 0.25)


def test_explicit_values_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLCREW_BACKEND", "offline")
    assert Context(backend="auto").backend == "auto"


def test_unknown_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLCREW_BACKEND", "gpt")
    with pytest.raises(ValueError, match="backend must be auto, vllm or offline"):
        Context()
