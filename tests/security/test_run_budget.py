"""A run over the server's time budget ends as a 504 (or a stream error event), and a full
server answers 429 with Retry-After: the OpenAI endpoint in-process, on a graph that hangs."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from PIL import Image

from agents.context import Context
from server.openai_api import build_app
from server.run_limits import RunLimits


def _png_uri() -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


BODY = {"model": "vlcrew", "messages": [{"role": "user", "content": [
    {"type": "text", "text": "我叫张三，帮我填表"},
    {"type": "image_url", "image_url": {"url": _png_uri()}}]}]}


class HangingGraph:
    """Streams one update, then never ends (a step stuck on a slow model)."""

    async def astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        yield {"planner": {"reasoning": ["thinking"]}}
        await asyncio.sleep(3600)


async def post(limits: RunLimits, body: dict[str, Any]) -> httpx.Response:
    app = build_app(HangingGraph(), Context(backend="offline"), limits)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://127.0.0.1") as client:
        return await client.post("/v1/chat/completions", json=body, timeout=30)


def test_a_run_over_its_budget_is_a_504_and_frees_its_slot() -> None:
    limits = RunLimits(max_runs=1, seconds=0.2)
    resp = asyncio.run(post(limits, BODY))
    assert resp.status_code == 504, resp.text
    assert resp.json()["error"]["code"] == "run_timeout"
    assert limits.running == 0


def test_a_streamed_run_over_its_budget_ends_with_an_error_event() -> None:
    resp = asyncio.run(post(RunLimits(max_runs=1, seconds=0.2), {**BODY, "stream": True}))
    events = [line[6:] for line in resp.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2])["error"]["code"] == "run_timeout"


def test_a_full_server_answers_429_with_retry_after() -> None:
    resp = asyncio.run(post(RunLimits(max_runs=0, seconds=5), BODY))
    assert resp.status_code == 429 and resp.headers["Retry-After"]
