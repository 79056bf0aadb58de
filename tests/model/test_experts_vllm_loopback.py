"""Contract tests of the math, frontend and video experts' Qwen3-VL prompts and parsing,
through the whole graph against the loopback vLLM server (real HTTP, real client).

The "model" answers as Qwen3-VL would; the tests check what the server received (prompt,
frames with their times, sizes) and what the graph made of the answers — including a model
answer that sympy contradicts (not verified) and garbage (offline result, flagged).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from PIL import Image

from agents.context import Context
from bench.expert_inputs import math_image, text_video, ui_screenshot
from graph.builder import graph
from tests.loopback_vllm import LoopbackVLLM, Reply, image_urls, last_text, text_parts

pytestmark = pytest.mark.server


def data_uri(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def plan(task: str, *agents: str) -> Reply:
    steps = [{"id": f"s{i}", "agent": a, "instruction": a, "depends_on": [f"s{i - 1}"] if i > 1
              else []} for i, a in enumerate([*agents, "feedback"], start=1)]
    return Reply.json({"task": task, "steps": steps}, reasoning="thinking about it")


def ask(server: LoopbackVLLM, request: str, source: str, tmp: Path) -> Any:
    parts = [{"type": "text", "text": request}, {"type": "image_url", "image_url": {"url": source}}]
    ctx = Context(backend="vllm", base_url=server.base_url, planner_model="qwen3-vl-thinking",
                  expert_model="qwen3-vl-instruct", out_dir=str(tmp / "out"))
    result = asyncio.run(graph.ainvoke({"messages": [HumanMessage(content=parts)]},
                                       context=ctx))
    return result["answer"]


def ocr_reply(*lines: str) -> Reply:
    return Reply.json({"lines": [{"text": t, "bbox_2d": [50, 100 + 200 * i, 600, 250 + 200 * i]}
                                 for i, t in enumerate(lines)], "pairs": [], "tables": []})


def kind(body: dict[str, Any]) -> str:
    if "planner of vlcrew" in body["messages"][0]["content"]:
        return "planner"
    return last_text(body).split(".")[0].removeprefix("Task: ")


def test_math_prompt_carries_the_ocr_text_and_sympy_checks_the_answer(tmp_path: Path) -> None:
    def responder(body: dict[str, Any]) -> Reply:
        return {"planner": lambda: plan("math", "ocr", "math"),
                "OCR": lambda: ocr_reply("2x + 3 = 11"),
                "math": lambda: Reply.json({"problem": "2x + 3 = 11", "steps": [
                    "2x = 11 - 3 = 8", "x = 8 / 2 = 4"], "answer": "x = 4",
                    "check": "2*x + 3 = 11"})}[kind(body)]()

    with LoopbackVLLM(responder=responder) as server:
        answer = ask(server, "解这个方程", data_uri(math_image(["2x + 3 = 11"])), tmp_path)
        math_call = next(r for r in server.requests if kind(r) == "math")
    assert "Text read from the image (OCR):\n2x + 3 = 11" in last_text(math_call)
    assert "解这个方程" in last_text(math_call) and len(image_urls(math_call)) == 1
    assert math_call["response_format"]["json_schema"]["schema"]["required"] == [
        "problem", "steps", "answer", "check"]
    solved = answer.math[0]
    assert (solved.answer, solved.verified, solved.solutions) == ("x = 4", True, {"x": ["4"]})
    assert [p.expert for p in answer.parts] == ["ocr", "math"]
    assert {p.backend for p in answer.parts} == {"vllm"}


def test_a_model_answer_sympy_contradicts_is_not_verified(tmp_path: Path) -> None:
    def responder(body: dict[str, Any]) -> Reply:
        return {"planner": lambda: plan("math", "ocr", "math"),
                "OCR": lambda: ocr_reply("2x + 3 = 11"),
                "math": lambda: Reply.json({"problem": "2x + 3 = 11", "steps": ["x = 5"],
                                            "answer": "x = 5", "check": "2*x + 3 = 11"})
                }[kind(body)]()

    with LoopbackVLLM(responder=responder) as server:
        answer = ask(server, "solve it", data_uri(math_image(["2x + 3 = 11"])), tmp_path)
    solved = answer.math[0]
    assert solved.answer == "x = 5" and not solved.verified
    assert solved.note == "sympy's answer differs: x = 4"


def test_garbage_from_the_math_expert_falls_back_to_the_offline_solver(tmp_path: Path) -> None:
    def responder(body: dict[str, Any]) -> Reply:
        return {"planner": lambda: plan("math", "ocr", "math"),
                "OCR": lambda: Reply(content="{not json"),
                "math": lambda: Reply(content="the answer is probably 4")}[kind(body)]()

    with LoopbackVLLM(responder=responder) as server:
        answer = ask(server, "solve it", data_uri(math_image(["2x + 3 = 11"])), tmp_path)
    status = {p["agent"]: (p["status"], p["backend"]) for p in answer.plan}
    assert status["math"] == ("failed", "offline") and status["ocr"] == ("failed", "offline")
    assert answer.math[0].solutions == {"x": ["4"]} and answer.math[0].verified


def test_frontend_prompt_gives_the_size_and_the_html_is_scored(tmp_path: Path) -> None:
    image, _truth = ui_screenshot()
    html = ("<!doctype html><html><body style='margin:0;background:#f5f6f8'>"
            "<div style='height:60px;background:#245bad'></div></body></html>")

    def responder(body: dict[str, Any]) -> Reply:
        return {"planner": lambda: plan("frontend", "ocr", "gui", "frontend"),
                "OCR": lambda: ocr_reply("会员登录 Sign in"),
                "GUI grounding": lambda: Reply.json({"elements": []}),
                "frontend": lambda: Reply.json({"html": html})}[kind(body)]()

    with LoopbackVLLM(responder=responder) as server:
        answer = ask(server, "write the HTML for this page", data_uri(image), tmp_path)
        call = next(r for r in server.requests if kind(r) == "frontend")
    assert "at 480x400 pixels" in last_text(call)
    assert answer.html == html and answer.similarity is not None
    assert 0.0 < answer.similarity < 0.9  # a header bar alone is only partly alike


def test_video_frames_go_out_with_their_times_and_events_come_back(tmp_path: Path) -> None:
    clip = tmp_path / "captions.avi"
    text_video(clip)

    def responder(body: dict[str, Any]) -> Reply:
        assert kind(body) == "video"  # a video's plan is fixed: no planner call
        return Reply.json({"summary": "A caption changes twice.", "events": [
            {"time": "00:00", "event": "Welcome"}, {"time": "00:03", "event": "Step 1"},
            {"time": "00:05", "event": "Step 2"}]})

    with LoopbackVLLM(responder=responder) as server:
        answer = ask(server, "what happens in this video?", str(clip), tmp_path)
        (call,) = server.requests
    texts = text_parts(call)
    times = [t for t in texts if t.startswith("t=")]
    assert times[:3] == ["t=00:00", "t=00:01", "t=00:02"] and len(times) == len(image_urls(call))
    assert 8 <= len(times) <= 16
    assert [(e.timestamp, e.text) for e in answer.events] == [
        ("00:00", "Welcome"), ("00:03", "Step 1"), ("00:05", "Step 2")]
    assert answer.text.startswith("A caption changes twice.")
    assert json.loads(json.dumps(answer.model_dump(mode="json")))["events"][2]["start"] == 5.0
