"""Choosing the engine for a run: the vLLM server when it answers, else the offline engine.

``auto`` probes ``GET {base_url}/models`` once per base URL per process, with a short
timeout, so a laptop with no server pays at most ``probe_timeout`` once.
"""

from __future__ import annotations

import threading

import httpx

_probe_cache: dict[str, str | None] = {}
_lock = threading.Lock()


def probe_server(base_url: str, api_key: str, timeout: float) -> str | None:
    """None when an OpenAI-compatible server answers at ``base_url``, else why not."""
    with _lock:
        if base_url in _probe_cache:
            return _probe_cache[base_url]
        try:
            resp = httpx.get(
                base_url.rstrip("/") + "/models",
                headers={"Authorization": f"Bearer {api_key}"},
                timeout=timeout,
            )
            reason = None if resp.status_code == 200 else f"HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
        _probe_cache[base_url] = reason
        return reason


def resolve_backend(
    requested: str, base_url: str, api_key: str, timeout: float
) -> tuple[str, str | None]:
    """The backend to use and, when it differs from what was asked, one line saying why."""
    if requested == "offline":
        return "offline", None
    reason = probe_server(base_url, api_key, timeout)
    if requested == "vllm":
        if reason:
            raise ConnectionError(f"no model server at {base_url} ({reason})")
        return "vllm", None
    if reason:
        return "offline", f"no model server at {base_url} ({reason}); using the offline engine"
    return "vllm", None
