"""The thread API over real HTTP (uvicorn on 127.0.0.1, SQLite file, offline engine).

What the web page and scripts rely on: a turn streams its events and ends with a status;
approval pauses and resumes; a follow-up on the thread answers from it; threads outlive the
app (a new app on the same database reads them); files and images are served by name only;
bad requests get a 4xx with a message.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agents.context import Context
from server.app import create_app
from tests.conftest import EXAMPLES
from tests.server.test_openai_api import serve

pytestmark = pytest.mark.server

REQUEST = (EXAMPLES / "bank_account_zh.request.txt").read_text(encoding="utf-8").strip()
IMAGE = "data:image/png;base64," + base64.b64encode(
    (EXAMPLES / "bank_account_zh.png").read_bytes()).decode()
TOKEN = "thread-api-test-token"
# What every API client sends: the token, and JSON (also on a POST without a body).
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def run(client: httpx.Client, path: str, body: dict[str, Any]) -> list[tuple[str, Any]]:
    """POST and read the whole event stream."""
    out: list[tuple[str, Any]] = []
    with client.stream("POST", path, json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.append((event, json.loads(line[6:])))
    return out


def first(events: list[tuple[str, Any]], name: str) -> Any:
    return next(data for event, data in events if event == name)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("threads") / "threads.sqlite"


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[httpx.Client]:
    app = create_app(context=Context(backend="offline"), db_path=db, token=TOKEN)
    with serve(Context(), app) as url, httpx.Client(base_url=url, timeout=120,
                                                    headers=HEADERS) as c:
        yield c


@pytest.fixture(scope="module")
def paused(client: httpx.Client) -> tuple[str, list[tuple[str, Any]]]:
    """A form fill waiting for approval."""
    events = run(client, "/api/runs", {"request": REQUEST, "images": [IMAGE], "approve": "ask"})
    return first(events, "thread")["thread_id"], events


def test_a_turn_streams_plan_steps_and_stops_for_approval(paused: Any,
                                                          client: httpx.Client) -> None:
    thread_id, events = paused
    names = [e for e, _ in events]
    assert names[0] == "thread" and names[-1] == "end" and events[-1][1]["status"] == "interrupted"
    assert [s["agent"] for s in first(events, "plan")["steps"]] == [
        "ocr", "gui", "data_mapping", "feedback"]
    done = [d["agent"] for e, d in events if e == "step" and d["status"] == "done"]
    assert sorted(done) == ["data_mapping", "gui", "ocr"]
    approval = first(events, "approval")
    assert approval["images"][0]["url"] == f"/api/threads/{thread_id}/images/img1"
    assert {f["label"]: f["value"] for f in approval["fields"]}["姓名"] == "张三"
    state = client.get(f"/api/threads/{thread_id}").json()
    assert state["status"] == "interrupted" and state["interrupt"]["kind"] == "approval"
    image = client.get(approval["images"][0]["url"])
    assert image.headers["content-type"] == "image/png" and image.content[:4] == b"\x89PNG"
    # A new turn cannot start while the thread waits for its approval.
    busy = client.post("/api/runs", json={"thread_id": thread_id, "request": "hi"})
    assert busy.status_code == 409 and "approval" in busy.json()["error"]["message"]


def test_resume_with_an_edit_commits_files_served_by_name(paused: Any,
                                                          client: httpx.Client) -> None:
    thread_id, _ = paused
    events = run(client, f"/api/threads/{thread_id}/resume",
                 {"action": "edit", "values": {"手机号码": "13912345678"}})
    assert events[-1] == ("end", {"status": "done"})
    answer = first(events, "answer")
    assert "files" not in answer  # the server's paths stay on the server
    phone = next(f for f in answer["fields"] if f["label"] == "手机号码")
    assert phone["value"] == "13912345678" and phone["valid"] is True
    script = client.get(answer["urls"]["playwright"])
    assert script.status_code == 200 and "playwright" in script.text
    assert json.loads(client.get(answer["urls"]["values"]).text)
    saved = client.get(answer["answer_url"]).json()
    assert next(f for f in saved["fields"] if f["label"] == "手机号码")["value"] == "13912345678"
    assert client.get(f"/api/threads/{thread_id}/files/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get(f"/api/threads/{thread_id}/files/nope").status_code == 404
    # Follow-up: a question is answered from the thread, nothing perceived again.
    events = run(client, "/api/runs", {"thread_id": thread_id,
                                       "request": "what did you put in 手机号码?"})
    assert [d["agent"] for e, d in events if e == "step" and d["status"] == "started"] == [
        "feedback"]
    assert "139****5678" in first(events, "message")["text"]


def test_threads_outlive_the_app(paused: Any, db: Path, client: httpx.Client) -> None:
    thread_id, _ = paused
    again = create_app(context=Context(backend="offline"), db_path=db, token=TOKEN)
    with serve(Context(), again) as url:
        state = httpx.get(f"{url}/api/threads/{thread_id}", timeout=30, headers=HEADERS).json()
    assert state["answer"]["task"] in ("form_fill", "question")
    assert [m["role"] for m in state["messages"]][:2] == ["user", "assistant"]
    assert state["options"] == {"approve": "ask"}


@pytest.mark.parametrize(("method", "path", "body", "status", "needle"), [
    ("POST", "/api/runs", {"images": [IMAGE]}, 400, "request"),
    ("POST", "/api/runs", {"request": "fill it"}, 400, "no image"),
    ("POST", "/api/runs", {"request": "fill", "images": ["file:///etc/passwd"]}, 400, "data URI"),
    ("POST", "/api/runs", {"request": "fill", "images": [IMAGE], "approve": "maybe"}, 400,
     "approve"),
    ("POST", "/api/runs", {"request": "fill", "images": [IMAGE] * 9}, 400, "too many"),
    ("GET", "/api/threads/nope", None, 404, "no thread"),
    ("POST", "/api/threads/nope/resume", {"action": "accept"}, 404, "no thread"),
    ("POST", "/api/threads/nope/continue", None, 404, "no thread"),
])
def test_bad_requests_get_4xx_with_a_message(client: httpx.Client, method: str, path: str,
                                             body: Any, status: int, needle: str) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == status
    assert needle in response.json()["error"]["message"]


def test_resume_when_nothing_waits_is_409(client: httpx.Client) -> None:
    events = run(client, "/api/runs", {"request": REQUEST, "images": [IMAGE]})
    thread_id = first(events, "thread")["thread_id"]
    assert events[-1] == ("end", {"status": "done"})  # approve defaults to auto
    response = client.post(f"/api/threads/{thread_id}/resume", json={"action": "accept"})
    assert response.status_code == 409
    response = client.post(f"/api/threads/{thread_id}/continue")
    assert response.status_code == 409 and "no unfinished run" in response.json()["error"][
        "message"]


def test_a_bad_image_ends_the_turn_with_an_error_answer(client: httpx.Client) -> None:
    broken = "data:image/png;base64," + base64.b64encode(b"not a png").decode()
    events = run(client, "/api/runs", {"request": "fill it", "images": [broken]})
    answer = first(events, "answer")
    assert answer["errors"][0]["kind"] == "bad_input" and events[-1][1]["status"] == "done"


def test_an_oversized_chunked_body_is_refused_as_it_arrives(client: httpx.Client) -> None:
    """No Content-Length: the server counts the chunks and stops at the limit (413)."""
    from server.threads_api import MAX_BODY_BYTES

    def pieces() -> Iterator[bytes]:
        yield b'{"request": "fill", "images": ["'
        for _ in range(MAX_BODY_BYTES // (1 << 20) + 2):
            yield b"A" * (1 << 20)
        yield b'"]}'

    response = client.post("/api/runs", content=pieces())
    assert response.status_code == 413 and "too large" in response.json()["error"]["message"]
