"""The whole graph on the vllm backend, against a loopback server speaking vLLM's protocol.

The "model" is scripted to answer like Qwen3-VL would (reasoning in ``message.reasoning``,
json_schema content, 0–1000 boxes a few pixels loose); the client is the real
langchain-openai one over real HTTP. We check the answer and what the server *received*:
image first, the same prefix for every expert, the pixel budget, the sampling settings.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agents.context import Context
from agents.data_mapping import user_data_of
from graph.builder import graph
from tests.conftest import EXAMPLES
from tests.loopback_vllm import LoopbackVLLM, Reply, image_sizes, last_text
from tools.common.coords import pixels_to_rel
from tools.common.images import model_input_size

pytestmark = pytest.mark.server

NAME = "bank_account_zh"
TRUTH = json.loads((EXAMPLES / f"{NAME}.truth.json").read_text(encoding="utf-8"))
REQUEST = (EXAMPLES / f"{NAME}.request.txt").read_text(encoding="utf-8").strip()
W, H = TRUTH["truth"]["size"]
PLAN = {"task": "form_fill", "steps": [
    {"id": "s1", "agent": "ocr", "instruction": "read the form", "depends_on": []},
    {"id": "s2", "agent": "gui", "instruction": "find the controls", "depends_on": []},
    {"id": "s3", "agent": "data_mapping", "instruction": "map the data",
     "depends_on": ["s1", "s2"]},
    {"id": "s4", "agent": "feedback", "instruction": "answer", "depends_on": ["s3"]}]}
THOUGHT = "The user shows a bank account form and gives name, ID and phone; plan OCR+GUI."


def loose(box: list[int], by: int = 4) -> list[int]:
    """A model box: the truth box a few pixels off, on the 0–1000 grid."""
    return pixels_to_rel([box[0] - by, box[1] - by // 2, box[2] + by, box[3] + by], W, H)


def qwen3_vl(body: dict[str, Any]) -> Reply:
    """Answer as a well-behaved Qwen3-VL would, from the form's ground truth."""
    system = body["messages"][0]["content"]
    text = last_text(body)
    if "planner of vlcrew" in system:
        return Reply.json(PLAN, reasoning=THOUGHT)
    if text.startswith("Task: OCR"):
        lines = [{"text": f["label"] + "：", "bbox_2d": loose(f["label_bbox"], 1)}
                 for f in TRUTH["truth"]["fields"]]
        return Reply.json({"lines": lines, "pairs": [], "tables": []})
    if text.startswith("Task: GUI"):
        elements = [{"kind": f["kind"], "label": f["label"], "option": f["option"],
                     "bbox_2d": loose(f["bbox"], 2 if f["kind"] in ("radio", "checkbox") else 4)}
                    for f in TRUTH["truth"]["fields"]]
        return Reply.json({"elements": elements})
    if text.startswith("Task: data mapping"):
        said = {d.key: d for d in user_data_of(REQUEST, None)}
        wanted = {e["label"]: e for e in TRUTH["expected"]["fields"]}
        out = []
        for n, label, option in re.findall(r"^(\d+)\. \w+: (.+?)(?: option='(.+)')?$", text,
                                           re.M):
            e = wanted.get(label)
            if e is None or (option and option != e["option"]):
                continue
            d = said[e["key"]]
            value = e["option"] or d.value
            out.append({"control": int(n), "value": value, "evidence": d.value})
        # A made-up value the user never said: must be dropped by the evidence check.
        nationality = next(n for n, label, _ in re.findall(
            r"^(\d+)\. \w+: (.+?)(?: option='(.+)')?$", text, re.M) if label == "国籍")
        out.append({"control": int(nationality), "value": "中国", "evidence": "国籍中国"})
        return Reply.json({"fields": out})
    return Reply(content=None, reasoning="?")


def run(server: LoopbackVLLM, out: Path) -> tuple[Any, list[dict[str, Any]]]:
    parts = [{"type": "text", "text": REQUEST},
             {"type": "image_url", "image_url": {"url": str(EXAMPLES / f"{NAME}.png")}}]
    ctx = Context(backend="vllm", base_url=server.base_url, planner_model="qwen3-vl-thinking",
                  expert_model="qwen3-vl-instruct", max_pixels=600_000, out_dir=str(out))

    async def go() -> tuple[Any, list[dict[str, Any]]]:
        updates = []
        async for chunk in graph.astream({"messages": [HumanMessage(content=parts)]},
                                         context=ctx, stream_mode="updates"):
            updates.append(chunk)
        answer = next(u["feedback"]["answer"] for u in updates if "feedback" in u)
        return answer, updates

    return asyncio.run(go())


def test_vllm_form_fill_gives_the_truth_and_sends_cache_friendly_prompts(tmp_path: Path) -> None:
    with LoopbackVLLM(responder=qwen3_vl) as server:
        answer, updates = run(server, tmp_path)
    assert answer.backend == "vllm" and not answer.errors
    assert [(p["agent"], p["status"], p["backend"]) for p in answer.plan] == [
        ("ocr", "done", "vllm"), ("gui", "done", "vllm"), ("data_mapping", "done", "vllm"),
        ("feedback", "done", "vllm")]
    got = [(f.key, f.label, f.value, f.action, f.option) for f in answer.fields]
    want = [(e["key"], e["label"], e["value"], e["action"], e["option"])
            for e in TRUTH["expected"]["fields"]]
    assert got == want
    # Hybrid grounding: loose model boxes snapped to the pixel-exact layout boxes.
    for f, e in zip(answer.fields, TRUTH["expected"]["fields"], strict=True):
        assert all(abs(a - b) <= 3 for a, b in zip(f.bbox, e["bbox"], strict=True)), f.label
        assert f.provenance["label_score"] > 0
        assert f.provenance["grounding"].startswith("hybrid(model=0.80,layout=0.")
        assert f.provenance["evidence"] in REQUEST
    assert "国籍" in answer.missing  # the invented 中国 was dropped, not filled
    assert any("国籍" in w and "dropped" in w for w in answer.warnings)
    # The planner's reasoning is in the state (and so in the stream).
    planner = next(u["planner"] for u in updates if "planner" in u)
    assert planner["reasoning"] == [THOUGHT]

    calls = server.requests
    assert len(calls) == 4  # planner, OCR ∥ GUI, mapping: 3 on the critical path
    planner_call, experts = calls[0], calls[1:]
    assert planner_call["temperature"] == 0.6 and planner_call["top_p"] == 0.95
    assert planner_call["top_k"] == 20
    mw, mh = model_input_size(W, H, 600_000)
    assert image_sizes(planner_call) == [model_input_size(W, H, 327_680)]  # the gist
    for call in calls:
        if call is not planner_call:
            assert image_sizes(call) == [(mw, mh)]  # resized on the client to the budget
        assert call["response_format"]["type"] == "json_schema"
    for call in experts:
        assert (call["temperature"], call["top_p"], call["top_k"], call["presence_penalty"]) == (
            0.7, 0.8, 20, 1.5)
        assert call["chat_template_kwargs"] == {"enable_thinking": False}
        user = call["messages"][1]["content"]
        assert [p["type"] for p in user] == ["image_url", "text"]  # image first
    # The same prefix (system text + image bytes) for every expert: one image prefill.
    prefixes = {json.dumps(c["messages"][0]) + c["messages"][1]["content"][0]["image_url"]["url"]
                for c in experts}
    assert len(prefixes) == 1


def test_garbage_from_the_model_falls_back_per_step_and_says_so(tmp_path: Path) -> None:
    def broken(body: dict[str, Any]) -> Reply:
        system = body["messages"][0]["content"]
        text = last_text(body)
        if "planner of vlcrew" in system:
            return Reply(content=None, reasoning="thinking forever")  # never reached </think>
        if text.startswith("Task: GUI"):
            return Reply(content='{"elements": [{"kind": "text_input", "label": ')  # truncated
        if text.startswith("Task: OCR"):
            return Reply(status=500, error="CUDA out of memory")
        return Reply(content="not json at all")

    with LoopbackVLLM(responder=broken) as server:
        answer, _updates = run(server, tmp_path)
    status = {p["agent"]: (p["status"], p["backend"]) for p in answer.plan}
    assert status == {"ocr": ("failed", "offline"), "gui": ("failed", "offline"),
                      "data_mapping": ("failed", "offline"), "feedback": ("done", "vllm")}
    messages = " | ".join(p.get("message", "") for p in answer.plan)
    assert "using the offline OCR result" in messages and "offline layout result" in messages
    assert any("planner: the model's plan was not usable" in w for w in answer.warnings)
    # The offline engine stood in everywhere, so the answer is still the right one.
    assert [(f.key, f.value) for f in answer.fields] == [
        (e["key"], e["value"]) for e in TRUTH["expected"]["fields"]]


def test_planner_reasoning_streams_as_it_is_thought(tmp_path: Path) -> None:
    parts = [{"type": "text", "text": REQUEST},
             {"type": "image_url", "image_url": {"url": str(EXAMPLES / f"{NAME}.png")}}]

    async def go(url: str) -> list[tuple[str, str]]:
        pieces = []
        async for msg, meta in graph.astream(
                {"messages": [HumanMessage(content=parts)]}, stream_mode="messages",
                context=Context(backend="vllm", base_url=url, out_dir=str(tmp_path))):
            reasoning = msg.additional_kwargs.get("reasoning_content")
            if reasoning:
                pieces.append((meta["langgraph_node"], reasoning))
        return pieces

    with LoopbackVLLM(responder=qwen3_vl) as server:
        pieces = asyncio.run(go(server.base_url))
    assert len(pieces) > 5 and {node for node, _ in pieces} == {"planner"}
    assert "".join(text for _, text in pieces) == THOUGHT


def test_rerunning_the_same_screen_calls_no_model(tmp_path: Path) -> None:
    with LoopbackVLLM(responder=qwen3_vl) as server:
        first, _ = run(server, tmp_path / "a")
        sent = len(server.requests)
        second, _ = run(server, tmp_path / "b")
        assert len(server.requests) == sent == 4
    assert [f.model_dump() for f in second.fields] == [f.model_dump() for f in first.fields]


def test_an_instruct_model_as_planner_still_plans(tmp_path: Path) -> None:
    def instruct(body: dict[str, Any]) -> Reply:
        if "planner of vlcrew" in body["messages"][0]["content"]:
            return Reply.json(PLAN)  # no reasoning: an Instruct model does not think
        return qwen3_vl(body)

    parts = [{"type": "text", "text": REQUEST},
             {"type": "image_url", "image_url": {"url": str(EXAMPLES / f"{NAME}.png")}}]
    with LoopbackVLLM(responder=instruct) as server:
        ctx = Context(backend="vllm", base_url=server.base_url, out_dir=str(tmp_path),
                      planner_model="Qwen/Qwen3-VL-4B-Instruct",
                      expert_model="Qwen/Qwen3-VL-4B-Instruct")
        result = asyncio.run(graph.ainvoke({"messages": [HumanMessage(content=parts)]},
                                           context=ctx))
        planner_call = server.requests[0]
    assert "thinking_token_budget" not in planner_call
    assert (planner_call["temperature"], planner_call["top_p"]) == (0.7, 0.8)
    assert not [w for w in result["answer"].warnings if w.startswith("planner")]
    assert len(result["answer"].fields) == 11
