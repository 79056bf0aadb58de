"""Re-planning: under the model, a step that fails with no offline stand-in sends the run
back to the Thinking planner once; it revises the plan and the work goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agents.context import Context
from graph.builder import graph
from tests.conftest import EXAMPLES
from tests.loopback_vllm import LoopbackVLLM, Reply, last_text

pytestmark = pytest.mark.server

FIRST = {"task": "describe", "steps": [
    {"id": "s1", "agent": "vision", "instruction": "describe", "depends_on": []},
    {"id": "s2", "agent": "feedback", "instruction": "answer", "depends_on": ["s1"]}]}
REVISED = {"task": "describe", "steps": [
    {"id": "s1", "agent": "vision", "instruction": "describe", "depends_on": []},
    {"id": "s3", "agent": "vision", "instruction": "describe again, briefly",
     "depends_on": ["s1"]},
    {"id": "s2", "agent": "feedback", "instruction": "answer", "depends_on": ["s3"]}]}


def run(responder: Any, tmp_path: Path) -> tuple[Any, LoopbackVLLM]:
    parts = [{"type": "text", "text": "描述一下这张图"},
             {"type": "image_url", "image_url": {"url": str(EXAMPLES / "bank_account_zh.png")}}]
    with LoopbackVLLM(responder=responder) as server:
        result = asyncio.run(graph.ainvoke(
            {"messages": [HumanMessage(content=parts)]},
            context=Context(backend="vllm", base_url=server.base_url, out_dir=str(tmp_path))))
    return result["answer"], server


def test_a_failed_step_is_replanned_once_and_the_retry_succeeds(tmp_path: Path) -> None:
    seen = {"vision": 0}

    def model(body: dict[str, Any]) -> Reply:
        if "planner of vlcrew" in body["messages"][0]["content"]:
            if "A step failed" in last_text(body):
                assert "s1 vision: describe -> failed" in last_text(body)
                return Reply.json(REVISED, reasoning="Vision failed; retry it once.")
            return Reply.json(FIRST, reasoning="Describe it.")
        seen["vision"] += 1
        if "again" not in last_text(body) and seen["vision"] <= 2:
            return Reply(content="I cannot answer in JSON")  # garbage twice: s1 fails
        return Reply.json({"description": "一张开户申请表。", "objects": []})

    answer, server = run(model, tmp_path)
    assert [(p["id"], p["agent"], p["status"]) for p in answer.plan] == [
        ("s1", "vision", "failed"), ("s3", "vision", "done"), ("s2", "feedback", "done")]
    assert answer.text == "一张开户申请表。"
    planner_calls = [b for b in server.requests
                     if "planner of vlcrew" in b["messages"][0]["content"]]
    assert len(planner_calls) == 2


def test_replanning_happens_at_most_once(tmp_path: Path) -> None:
    def model(body: dict[str, Any]) -> Reply:
        if "planner of vlcrew" in body["messages"][0]["content"]:
            return Reply.json(REVISED if "A step failed" in last_text(body) else FIRST)
        return Reply(content="never JSON")

    answer, server = run(model, tmp_path)
    assert [(p["id"], p["status"]) for p in answer.plan] == [
        ("s1", "failed"), ("s3", "failed"), ("s2", "done")]
    planner_calls = [b for b in server.requests
                     if "planner of vlcrew" in b["messages"][0]["content"]]
    assert len(planner_calls) == 2
