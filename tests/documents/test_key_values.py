"""Printed key-value pairs, from real OCR of a rendered filled-in card."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from PIL import Image, ImageDraw

from agents.context import Context
from graph.builder import graph
from tools.common.fonts import font
from tools.common.schema import TextBlock
from tools.documents.key_values import key_values


def block(text: str) -> TextBlock:
    return TextBlock(text=text, bbox=[0, 0, 10, 10], confidence=0.9)


def test_pairs_from_lines_and_what_is_not_a_pair() -> None:
    got = key_values([block("姓名：张三"), block("* Total: 12.50"), block("营业时间 09:30"),
                      block("12:30"), block("客户签名："), block("Name")])
    assert [(p.key, p.value) for p in got] == [("姓名", "张三"), ("Total", "12.50")]


def test_read_text_answer_carries_text_and_pairs(tmp_path: Path) -> None:
    card = Image.new("RGB", (640, 220), "white")
    draw = ImageDraw.Draw(card)
    for y, line in ((30, "会员卡"), (90, "姓名：李娜"), (150, "卡号：6222 0200 1234")):
        draw.text((40, y), line, font=font(32), fill="black")
    card.save(tmp_path / "card.png")
    parts = [{"type": "text", "text": "识别一下图片中的文字"},
             {"type": "image_url", "image_url": {"url": str(tmp_path / "card.png")}}]
    answer = asyncio.run(graph.ainvoke({"messages": [HumanMessage(content=parts)]},
                                       context=Context(backend="offline")))["answer"]
    assert answer.task == "read_text"
    assert answer.text.splitlines()[0] == "会员卡"
    assert [(p.key, p.value.replace(" ", "")) for p in answer.pairs] == [
        ("姓名", "李娜"), ("卡号", "622202001234")]


@pytest.mark.server
def test_vllm_read_text_returns_lines_pairs_and_tables(tmp_path: Path) -> None:
    from tests.loopback_vllm import LoopbackVLLM, Reply, last_text

    Image.new("RGB", (400, 300), "white").save(tmp_path / "invoice.png")

    def model(body: dict) -> Reply:
        if "planner of vlcrew" in body["messages"][0]["content"]:
            return Reply.json({"task": "read_text", "steps": [
                {"id": "s1", "agent": "ocr", "instruction": "read", "depends_on": []},
                {"id": "s2", "agent": "feedback", "instruction": "answer",
                 "depends_on": ["s1"]}]}, reasoning="Just read it.")
        assert last_text(body).startswith("Task: OCR")
        return Reply.json({
            "lines": [{"text": "发票", "bbox_2d": [100, 50, 300, 120]},
                      {"text": "合计：30.00", "bbox_2d": [100, 800, 500, 860]}],
            "pairs": [{"key": "合计", "value": "30.00"}],
            "tables": [{"rows": [["品名", "数量", "金额"], ["苹果", "2", "10.00"],
                                 ["梨", "4", "20.00"]]}]})

    parts = [{"type": "text", "text": "识别一下图片中的文字和表格"},
             {"type": "image_url", "image_url": {"url": str(tmp_path / "invoice.png")}}]
    with LoopbackVLLM(responder=model) as server:
        answer = asyncio.run(graph.ainvoke(
            {"messages": [HumanMessage(content=parts)]},
            context=Context(backend="vllm", base_url=server.base_url)))["answer"]
    assert (answer.task, answer.backend) == ("read_text", "vllm")
    # Paragraphs in reading order: the lines are far apart, so two paragraphs.
    assert answer.text == "发票\n\n合计：30.00"
    assert [(p.key, p.value) for p in answer.pairs] == [("合计", "30.00")]
    assert answer.tables[0].rows[2] == ["梨", "4", "20.00"]
