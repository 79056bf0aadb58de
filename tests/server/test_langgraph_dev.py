"""The LangGraph platform path: ``langgraph dev`` on ``langgraph.json``, driven by the SDK.

What Studio and ``langgraph_sdk`` users see: the graph and its schemas, the mounted
``http.app`` on the same port, a form fill that stops for approval (accept / edit / reject)
and resumes, progress as ``custom`` stream events, and a conversation whose follow-up turns
reuse what the first turn read off the image. Everything runs offline on the shipped bank
example, through the platform's own checkpointer (state is serialised between runs).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from tests.conftest import EXAMPLES

if TYPE_CHECKING:  # imported by pytest_plugins, which must come first (assert rewriting)
    from tests.server.langgraph_dev_server import LangGraphDev

pytest_plugins = ["tests.server.langgraph_dev_server"]

pytestmark = pytest.mark.server

GRAPH = "vlcrew"
NODES = {"ingest", "planner", "dispatch", "ocr", "gui", "data_mapping", "approval", "feedback"}
REQUEST = (EXAMPLES / "bank_account_zh.request.txt").read_text(encoding="utf-8").strip()
TRUTH = json.loads((EXAMPLES / "bank_account_zh.truth.json").read_text(encoding="utf-8"))
EXPECTED = {f["label"]: f["value"] for f in TRUTH["expected"]["fields"]}
MISSING = set(TRUTH["expected"]["missing"])
PHONE = "手机号码"
NEW_PHONE = "13912345678"
ID_NUMBER = EXPECTED["证件号码"]
ASK = {"approve": "ask", "backend": "offline"}
AUTO = {"approve": "auto", "backend": "offline"}
STEP_STATUSES = {"started", "done", "failed"}
FIELD_KEYS = {"label", "key", "value", "bbox", "action", "valid"}


def image_message(text: str) -> dict[str, Any]:
    """The first turn: the request and the example form as a data URI (as Studio sends it)."""
    png = (EXAMPLES / "bank_account_zh.png").read_bytes()
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return {"messages": [{"role": "user", "content": [
        {"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": uri}}]}]}


@dataclass
class Streamed:
    """What one streamed run produced."""

    updates: list[dict[str, Any]] = field(default_factory=list)
    custom: list[Any] = field(default_factory=list)
    interrupts: list[Any] = field(default_factory=list)

    def ran(self, node: str) -> int:
        """How many times ``node`` reported an update in this run."""
        return sum(1 for u in self.updates if node in u)


def stream(client: SyncLangGraphClient, thread_id: str, **kwargs: Any) -> Streamed:
    """Run on the thread, collecting updates, custom events and interrupt values."""
    out = Streamed()
    for part in client.runs.stream(thread_id, GRAPH, stream_mode=["updates", "custom"],
                                   **kwargs):
        if part.event == "error":
            pytest.fail(f"the run failed on the server: {part.data} (see the log below)")
        if part.event == "updates":
            out.updates.append(part.data)
            for item in part.data.get("__interrupt__") or []:
                out.interrupts.append(item.get("value") if isinstance(item, dict) else item)
        elif part.event == "custom":
            out.custom.append(part.data)
    return out


def answer_of(client: SyncLangGraphClient, thread_id: str) -> dict[str, Any]:
    state = client.threads.get_state(thread_id)
    assert not state["next"], f"the run has not finished: next={state['next']}"
    answer = state["values"].get("answer")
    assert isinstance(answer, dict), f"no answer in the final state: {sorted(state['values'])}"
    return answer


def by_label(fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["label"]: f for f in fields}


def last_ai_text(client: SyncLangGraphClient, thread_id: str) -> str:
    messages = client.threads.get_state(thread_id)["values"]["messages"]
    ai = [m for m in messages if m.get("type") == "ai"]
    assert ai, "no assistant message in the thread"
    content = ai[-1]["content"]
    if isinstance(content, list):
        content = " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content)


@pytest.fixture(scope="module")
def client(langgraph_dev: LangGraphDev) -> SyncLangGraphClient:
    return get_sync_client(url=langgraph_dev.url, api_key=None)


@pytest.fixture
def approval(client: SyncLangGraphClient) -> tuple[str, Streamed]:
    """A fresh thread whose form fill stopped at the approval interrupt."""
    thread_id = client.threads.create()["thread_id"]
    run = stream(client, thread_id, input=image_message(REQUEST), context=ASK)
    assert run.interrupts, f"no interrupt with approve=ask; updates: {[list(u) for u in run.updates]}"
    return thread_id, run


# --- (a) the Studio surface --------------------------------------------------------------


def test_studio_finds_the_graph_its_nodes_and_schemas(client: SyncLangGraphClient) -> None:
    assistants = client.assistants.search(graph_id=GRAPH)
    assert [a["graph_id"] for a in assistants] == [GRAPH]
    assistant_id = assistants[0]["assistant_id"]
    nodes = {n["id"] for n in client.assistants.get_graph(assistant_id)["nodes"]}
    assert nodes >= NODES, f"missing nodes: {sorted(NODES - nodes)}"
    schemas = client.assistants.get_schemas(assistant_id)
    assert "messages" in schemas["input_schema"]["properties"]
    assert "answer" in schemas["output_schema"]["properties"]
    # Studio's settings panel is built from the context schema.
    context = schemas["context_schema"]["properties"]
    assert {"backend", "approve"} <= set(context)
    assert set(context["approve"].get("enum", [])) == {"auto", "ask"}


def test_mounted_app_answers_on_the_same_port(langgraph_dev: LangGraphDev) -> None:
    def get(path: str) -> dict[str, Any]:
        request = urllib.request.Request(langgraph_dev.url + path, headers={
            "Authorization": f"Bearer {langgraph_dev.token()}"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 200, path
            return json.loads(resp.read())

    assert get("/healthz") == {"status": "ok"}
    assert [m["id"] for m in get("/v1/models")["data"]] == [GRAPH]
    assert get("/ok")["ok"] is True  # the platform's own routes are still there


def test_plain_run_fills_the_form_under_langgraph_dev(client: SyncLangGraphClient) -> None:
    """approve=auto, backend=auto (no model server on loopback): offline, the exact truth.

    ``langgraph dev`` raises on blocking calls (file I/O, sockets) in async nodes, so this
    fails when a node does I/O on the event loop.
    """
    thread_id = client.threads.create()["thread_id"]
    run = stream(client, thread_id, input=image_message(REQUEST),
                 context={"approve": "auto", "backend": "auto"})
    assert not run.interrupts
    answer = answer_of(client, thread_id)
    assert answer["backend"] == "offline"
    assert any("no model server" in w for w in answer["warnings"]), answer["warnings"]
    assert {label: f["value"] for label, f in by_label(answer["fields"]).items()} == EXPECTED
    assert set(answer["missing"]) >= MISSING
    assert not answer["errors"]


def test_foreign_pages_and_hosts_get_nothing(langgraph_dev: LangGraphDev) -> None:
    """Issue #11 item 2 (CORS half) and item 3 under ``langgraph dev``: no wildcard CORS, no
    private-network grant, no cross-site state change, no foreign Host, on every route."""
    evil = "https://evil.example"
    preflight = {"Origin": evil, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type",
                 "Access-Control-Request-Private-Network": "true"}
    for path in ("/api/runs", "/v1/chat/completions", "/runs/wait", "/threads"):
        resp = httpx.options(langgraph_dev.url + path, headers=preflight, timeout=10)
        assert "access-control-allow-origin" not in resp.headers, (path, resp.headers)
        assert "access-control-allow-private-network" not in resp.headers, path
    for path in ("/v1/models", "/api/threads/x", "/ok", "/healthz"):
        resp = httpx.get(langgraph_dev.url + path, headers={"Origin": evil}, timeout=10)
        assert resp.headers.get("access-control-allow-origin") in (None, "null"), path
    # The "simple" POST of the issue: a run that would open any URL in Chromium.
    run = json.dumps({"assistant_id": GRAPH, "input": {"url": "http://127.0.0.1:9/",
                      **image_message("click Submit")}, "context": AUTO})
    for path in ("/runs/wait", "/api/runs", "/v1/chat/completions"):
        resp = httpx.post(langgraph_dev.url + path, content=run, timeout=30,
                          headers={"Origin": evil, "Content-Type": "text/plain"})
        assert resp.status_code == 403, (path, resp.status_code, resp.text[:200])
    for path in ("/", "/api/threads/x", "/v1/models", "/ok", "/assistants/search"):
        resp = httpx.get(langgraph_dev.url + path, headers={"Host": "evil.example"}, timeout=10)
        assert resp.status_code in (400, 421), (path, resp.status_code)
    # A local front end (loopback origin) keeps working, as the SDK and Studio do.
    local = "http://localhost:3000"
    resp = httpx.options(langgraph_dev.url + "/threads", timeout=10,
                         headers={**preflight, "Origin": local})
    assert resp.headers.get("access-control-allow-origin") == local
    # vlcrew's own routes want the token here too.
    assert httpx.get(langgraph_dev.url + "/v1/models", timeout=10).status_code == 401


# --- (b) approval: interrupt, edit, reject ------------------------------------------------


def test_progress_events_and_the_approval_interrupt(approval: tuple[str, Streamed]) -> None:
    _, run = approval
    steps = [e for e in run.custom if isinstance(e, dict) and e.get("event") == "step"]
    assert steps, f"no step progress among custom events: {run.custom[:5]}"
    assert {e["status"] for e in steps} <= STEP_STATUSES
    ocr = [e for e in steps if e.get("agent") == "ocr"]
    assert [e["status"] for e in ocr][:1] == ["started"] and ocr[-1]["status"] == "done", ocr
    assert all(isinstance(e.get("step"), str) and e["step"] for e in steps)

    assert len(run.interrupts) == 1
    value = run.interrupts[0]
    assert value["kind"] == "approval"
    assert isinstance(value["question"], str) and value["question"].strip()
    assert value["actions"] == ["accept", "edit", "reject"]
    assert all(set(f) >= FIELD_KEYS for f in value["fields"]), value["fields"][:1]
    assert {label: f["value"] for label, f in by_label(value["fields"]).items()} == EXPECTED
    assert set(value["missing"]) >= MISSING
    assert isinstance(value["problems"], list)
    assert all(isinstance(p, str) for p in value["problems"])
    # Nothing is committed before the answer: the run waits at the approval node.
    assert run.ran("feedback") == 0


def test_edit_by_label_is_applied_and_validated(client: SyncLangGraphClient,
                                                approval: tuple[str, Streamed]) -> None:
    thread_id, _ = approval
    resumed = stream(client, thread_id, context=ASK,
                     command={"resume": {"action": "edit", "values": {PHONE: NEW_PHONE}}})
    assert not resumed.interrupts, f"a valid edit asked again: {resumed.interrupts}"
    answer = answer_of(client, thread_id)
    fields = by_label(answer["fields"])
    assert fields[PHONE]["value"] == NEW_PHONE and fields[PHONE]["valid"] is True
    assert {k: f["value"] for k, f in fields.items() if k != PHONE} == \
        {k: v for k, v in EXPECTED.items() if k != PHONE}
    assert resumed.ran("ocr") == 0 and resumed.ran("gui") == 0  # resume does not re-read


def test_resume_without_repeating_the_context_still_applies_the_edit(
        client: SyncLangGraphClient, approval: tuple[str, Streamed]) -> None:
    """SDK users resume with just ``command``: the run's context is not sent again, so the
    approval node must not fall back to approve=auto and drop the user's verdict."""
    thread_id, _ = approval
    stream(client, thread_id, command={"resume": {"action": "edit", "values": {PHONE: NEW_PHONE}}})
    assert by_label(answer_of(client, thread_id)["fields"])[PHONE]["value"] == NEW_PHONE


def test_invalid_edit_is_revalidated(client: SyncLangGraphClient,
                                     approval: tuple[str, Streamed]) -> None:
    thread_id, _ = approval
    edited = stream(client, thread_id, context=ASK,
                    command={"resume": {"action": "edit", "values": {"phone": "12345"}}})
    if edited.interrupts:  # asked again, naming the bad field
        again = edited.interrupts[-1]
        assert again["kind"] == "approval"
        assert any(PHONE in p or "phone" in p for p in again["problems"]), again["problems"]
        assert by_label(again["fields"])[PHONE]["value"] == "12345"
        stream(client, thread_id, context=ASK, command={"resume": {"action": "accept"}})
    answer = answer_of(client, thread_id)
    phone = by_label(answer["fields"])[PHONE]
    assert phone["value"] == "12345" and phone["valid"] is False
    if not edited.interrupts:  # finished at once: the answer must say what is wrong
        assert any(PHONE in w for w in answer["warnings"]), answer["warnings"]


def test_reject_ends_with_nothing_committed(client: SyncLangGraphClient,
                                            approval: tuple[str, Streamed]) -> None:
    thread_id, _ = approval
    reason = "表格版本不对"
    run = stream(client, thread_id, context=ASK,
                 command={"resume": {"action": "reject", "reason": reason}})
    assert not run.interrupts
    answer = answer_of(client, thread_id)
    said = " ".join([*answer["warnings"], answer["suggestion"]])
    assert re.search(r"reject|拒绝", said, re.IGNORECASE), said
    assert reason in said
    assert answer["files"] == {}


# --- (c) a conversation on one thread ----------------------------------------------------


def test_follow_up_turns_reuse_what_was_read(client: SyncLangGraphClient) -> None:
    thread_id = client.threads.create()["thread_id"]
    first = stream(client, thread_id, input=image_message(REQUEST), context=AUTO)
    filled = {k: f["value"] for k, f in by_label(answer_of(client, thread_id)["fields"]).items()}
    assert filled == EXPECTED

    change = {"messages": [{"role": "user", "content": f"把手机号改成{NEW_PHONE}"}]}
    second = stream(client, thread_id, input=change, context=AUTO)
    fields = by_label(answer_of(client, thread_id)["fields"])
    assert fields[PHONE]["value"] == NEW_PHONE and fields[PHONE]["valid"] is True
    assert {k: f["value"] for k, f in fields.items() if k != PHONE} == \
        {k: v for k, v in EXPECTED.items() if k != PHONE}
    for node in ("ocr", "gui"):
        assert first.ran(node) + second.ran(node) == 1, (node, first.ran(node), second.ran(node))

    question = {"messages": [{"role": "user", "content": "身份证号码填的是什么？"}]}
    third = stream(client, thread_id, input=question, context=AUTO)
    assert {n: third.ran(n) for n in ("ocr", "gui", "data_mapping")} == \
        {"ocr": 0, "gui": 0, "data_mapping": 0}
    reply = last_ai_text(client, thread_id)
    assert re.search("身份证号码|证件号码", reply), reply
    # The number itself, whole or masked (first 3 and last 4 digits shown).
    assert re.search(ID_NUMBER[:3] + r"[\d*]{11}" + ID_NUMBER[-4:], reply), reply


def test_checkpoints_round_trip_without_loss(langgraph_dev: LangGraphDev) -> None:
    """After the runs above, the platform's serialiser never dropped a state type."""
    log = langgraph_dev.log()
    for sign in ("Blocked deserialization", "Could not reconstruct", "Pickle fallback"):
        assert sign not in log, next(line for line in log.splitlines() if sign in line)
