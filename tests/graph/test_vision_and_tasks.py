"""Task recognition and the vision expert (describe/detect), offline and through vLLM."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agents.context import Context
from agents.planner import recognise_task
from graph.builder import graph
from tests.conftest import EXAMPLES
from tests.loopback_vllm import LoopbackVLLM, Reply, last_text


@pytest.mark.parametrize(("request_text", "task"), [
    ("这是银行开户申请表，我叫张三，帮我填一下", "form_fill"),
    ("我叫张三，手机13812345678", "form_fill"),
    ("Please fill in this form: my name is Jane Doe", "form_fill"),
    ("识别一下图片中的文字", "read_text"),
    ("extract the text from this screenshot", "read_text"),
    ("描述一下这张图", "describe"),
    ("What is in this picture? Find all the buttons.", "describe"),
    ("帮我看看这个表格怎么填，我叫李娜", "form_fill"),
])
def test_offline_planner_recognises_the_task(request_text: str, task: str) -> None:
    assert recognise_task(request_text)[0] == task


def ask(text: str, ctx: Context) -> Any:
    parts = [{"type": "text", "text": text},
             {"type": "image_url", "image_url": {"url": str(EXAMPLES / "bank_account_zh.png")}}]
    return asyncio.run(graph.ainvoke({"messages": [HumanMessage(content=parts)]},
                                     context=ctx))


def test_offline_vision_says_plainly_that_it_needs_the_model(tmp_path: Path) -> None:
    result = ask("描述一下这张图", Context(backend="offline", out_dir=str(tmp_path)))
    answer = result["answer"]
    assert answer.task == "describe" and answer.objects == [] and answer.text == ""
    assert [(p["agent"], p["status"]) for p in answer.plan] == [("vision", "failed"),
                                                                ("feedback", "done")]
    assert "needs the Qwen3-VL model" in answer.plan[0]["message"]
    assert "needs the Qwen3-VL model" in result["messages"][-1].content


@pytest.mark.server
def test_vllm_vision_describes_and_boxes_in_pixels(tmp_path: Path) -> None:
    def model(body: dict[str, Any]) -> Reply:
        if "planner of vlcrew" in body["messages"][0]["content"]:
            return Reply.json({"task": "describe", "steps": [
                {"id": "s1", "agent": "vision", "instruction": "describe", "depends_on": []},
                {"id": "s2", "agent": "feedback", "instruction": "answer",
                 "depends_on": ["s1"]}]}, reasoning="They want a description.")
        assert last_text(body).startswith("Task: vision")
        return Reply.json({"description": "一张银行开户申请表，有一个提交按钮。",
                           "objects": [{"label": "提交按钮", "bbox_2d": [192, 854, 305, 888]}]})

    with LoopbackVLLM(responder=model) as server:
        answer = ask("描述一下这张图，找出提交按钮", Context(
            backend="vllm", base_url=server.base_url, out_dir=str(tmp_path)))["answer"]
    assert answer.task == "describe" and answer.backend == "vllm"
    assert answer.text == "一张银行开户申请表，有一个提交按钮。"
    (button,) = answer.objects
    assert button.label == "提交按钮"
    assert button.bbox == [192, 1016, 305, 1057]  # 0–1000 → pixels of the 1000×1190 form
