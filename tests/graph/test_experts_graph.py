"""The other experts through the whole graph, offline, on inputs made here: routing by the
request, the answer's content, and which expert produced which part.

Inputs come from ``bench/expert_inputs.py`` (the benchmark uses the same ones): a ruled
table, printed equations, a drawn login screen, and a video whose caption changes at known
times.
"""

from __future__ import annotations

import asyncio
import base64
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from PIL import Image

from agents.context import Context
from agents.planner import recognise_task
from bench.expert_inputs import VIDEO_SCRIPT, math_image, ruled_table, text_video, ui_screenshot
from graph.builder import graph

OFFLINE = Context(backend="offline")


def data_uri(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def ask(request: str, *sources: str, tmp: Path) -> Any:
    parts: list[Any] = [{"type": "text", "text": request}, *(
        {"type": "image_url", "image_url": {"url": s}} for s in sources)]
    ctx = Context(backend="offline", out_dir=str(tmp / "out"))
    result = asyncio.run(graph.ainvoke({"messages": [HumanMessage(content=parts)]},
                                       context=ctx))
    return result["answer"]


@pytest.mark.parametrize(("request_text", "task"), [
    ("读取这张发票的表格并计算合计金额", "compound"),
    ("read this invoice table and compute the total", "compound"),
    ("解这个方程", "math"),
    ("solve these equations", "math"),
    ("把这个页面还原成 HTML 代码", "frontend"),
    ("write the HTML/CSS for this screen", "frontend"),
    ("识别图片中的文字", "read_text"),
    ("extract the tables", "read_text"),
    ("描述一下这张图", "describe"),
    ("我叫张三，手机13812345678，帮我填一下", "form_fill"),
    ("Please fill in this form, the total claimed is 2450 dollars", "form_fill"),
])
def test_the_planner_routes_by_the_request(request_text: str, task: str) -> None:
    assert recognise_task(request_text)[0] == task
    assert recognise_task(request_text, has_video=True)[0] == "video"


def test_read_a_table_and_compute_its_total(tmp_path: Path) -> None:
    image, rows = ruled_table()
    answer = ask("读取这张表格并计算合计", data_uri(image), tmp=tmp_path)
    assert answer.task == "compound" and not answer.errors
    squash = [[c.replace(" ", "") for c in r] for r in answer.tables[0].rows]
    assert squash == [[c.replace(" ", "") for c in r] for r in rows]
    total = answer.math[0]
    assert total.answer == "30.3" and total.verified and total.note is None
    assert [(p.expert, p.backend) for p in answer.parts] == [("ocr", "offline"),
                                                             ("math", "offline")]
    assert "30.3" in answer.parts[1].produced


def test_solve_printed_equations(tmp_path: Path) -> None:
    image = math_image(["2x + 3 = 11", "x² - 5x + 6 = 0"])
    answer = ask("解这两个方程", data_uri(image), tmp=tmp_path)
    assert answer.task == "math"
    found = {m.normalized: m for m in answer.math}
    assert [m.solutions for m in found.values()] == [{"x": ["4"]}, {"x": ["2", "3"]}]
    assert all(m.verified and m.steps for m in answer.math)


def test_an_unreadable_problem_says_so(tmp_path: Path) -> None:
    blank = Image.new("RGB", (400, 200), "white")
    answer = ask("solve this", data_uri(blank), tmp=tmp_path)
    math_step = next(p for p in answer.plan if p["agent"] == "math")
    assert math_step["status"] == "failed" and "no problem found" in math_step["message"]


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromium") and not Path("/usr/bin/chromium").exists(),
                    reason="the similarity score renders the HTML in /usr/bin/chromium")
def test_screenshot_to_html_with_a_similarity_score(tmp_path: Path) -> None:
    image, _truth = ui_screenshot()
    answer = ask("把这个页面还原成 HTML 代码", data_uri(image), tmp=tmp_path)
    assert answer.task == "frontend" and answer.html.lower().startswith("<!doctype html>")
    assert "Log in" in answer.html and answer.html.count("<input") >= 2
    assert answer.similarity is not None and answer.similarity > 0.8
    assert Path(answer.files["html"]).read_text(encoding="utf-8") == answer.html


def test_video_events_with_timestamps(tmp_path: Path) -> None:
    clip = tmp_path / "captions.avi"
    text_video(clip)
    answer = ask("这个视频里发生了什么？", str(clip), tmp=tmp_path)
    assert answer.task == "video"
    starts = [e.start for e in answer.events]
    assert len(starts) == len(VIDEO_SCRIPT)
    for event, (start, text) in zip(answer.events, VIDEO_SCRIPT, strict=True):
        assert abs(event.start - start) <= 1.0
        assert text.replace(" ", "")[:6] in event.text.replace(" ", "")
    assert answer.events[1].timestamp == "00:03"


def test_a_broken_video_is_a_clear_input_error(tmp_path: Path) -> None:
    clip = tmp_path / "broken.mp4"
    clip.write_bytes(b"not a video at all")
    answer = ask("what happens in this video?", str(clip), tmp=tmp_path)
    assert answer.errors[0].kind == "bad_input" and "not a readable video" in answer.errors[
        0].message
