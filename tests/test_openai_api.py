"""The OpenAI-compatible endpoint over real HTTP, with the official ``openai`` client and
with plain ``requests``-style calls (httpx), on the offline backend."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from openai import OpenAI

from graph.builder import graph
from graph.context import Context
from server.openai_api import MAX_BODY_BYTES, build_app
from tests.conftest import EXAMPLES

REQUEST = (EXAMPLES / "insurance_claim_en.request.txt").read_text(encoding="utf-8").strip()
IMAGE = "data:image/png;base64," + base64.b64encode(
    (EXAMPLES / "insurance_claim_en.png").read_bytes()).decode()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = build_app(graph, Context(backend="offline",
                                   out_dir=str(tmp_path_factory.mktemp("api-out"))))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def user(text: str, *images: str) -> list[dict]:
    parts = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": u}} for u in images]
    return [{"role": "user", "content": parts}]


def test_official_client_non_streaming(base_url: str) -> None:
    client = OpenAI(base_url=f"{base_url}/v1", api_key="none")
    assert [m.id for m in client.models.list()] == ["vlcrew"]
    reply = client.chat.completions.create(model="vlcrew", messages=user(REQUEST, IMAGE))
    answer = json.loads(reply.choices[0].message.content)
    assert answer["backend"] == "offline" and answer["missing"] == ["Address"]
    assert {f["label"]: f["value"] for f in answer["fields"]}["Full name"] == "Jane Doe"
    assert "plan: s1 ocr, s2 gui" in reply.choices[0].message.model_extra["reasoning_content"]


def test_official_client_streams_reasoning_then_the_answer(base_url: str) -> None:
    client = OpenAI(base_url=f"{base_url}/v1", api_key="none")
    reasoning, content = [], []
    for chunk in client.chat.completions.create(model="vlcrew", stream=True,
                                                messages=user(REQUEST, IMAGE)):
        delta = chunk.choices[0].delta
        if (delta.model_extra or {}).get("reasoning_content"):
            reasoning.append(delta.model_extra["reasoning_content"])
        if delta.content:
            content.append(delta.content)
    assert len(reasoning) >= 4 and "s2 gui: done" in "".join(reasoning)
    assert json.loads("".join(content))["task"] == "form_fill"


def test_plain_http_like_the_reference_article(base_url: str) -> None:
    resp = httpx.post(f"{base_url}/v1/chat/completions", timeout=120,
                      json={"model": "vlcrew", "messages": user(REQUEST, IMAGE)})
    assert resp.status_code == 200
    assert json.loads(resp.json()["choices"][0]["message"]["content"])["fields"]
    assert httpx.get(f"{base_url}/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(("body", "status", "needle"), [
    ({"model": "vlcrew", "messages": user(REQUEST)}, 400, "no image"),
    ({"model": "vlcrew", "messages": user(REQUEST, "data:image/png;base64,@@@")}, 400,
     "not valid base64"),
    ({"model": "vlcrew", "messages": user(REQUEST, "file:///etc/passwd")}, 400,
     "scheme not allowed"),
    ({"model": "vlcrew", "messages": user(REQUEST, "/etc/passwd")}, 400, "scheme not allowed"),
    ({"model": "gpt-4o", "messages": user(REQUEST, IMAGE)}, 404, "unknown model"),
    ({"model": "vlcrew", "messages": []}, 400, "non-empty list"),
])
def test_bad_requests_get_4xx_with_a_message(base_url: str, body: dict, status: int,
                                             needle: str) -> None:
    resp = httpx.post(f"{base_url}/v1/chat/completions", json=body, timeout=60)
    assert resp.status_code == status, resp.text
    assert needle in resp.json()["error"]["message"]


def test_oversized_body_is_413(base_url: str) -> None:
    resp = httpx.post(f"{base_url}/v1/chat/completions", timeout=60,
                      content=b"x" * (MAX_BODY_BYTES + 1),
                      headers={"content-type": "application/json"})
    assert resp.status_code == 413 and "too large" in resp.json()["error"]["message"]
