"""The graph's shape and flow: parallel dispatch, failure containment, fatal input errors.

Expert bodies are swapped for small timed functions where the test is about the flow; the
graph, the dispatcher and the step bookkeeping are the real ones.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from agents.context import Context
from graph.builder import build_graph, graph

SNAPSHOT = Path(__file__).parent / "snapshots" / "graph.mmd"


def request(text: str, *images: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": i}} for i in images]
    return {"messages": [HumanMessage(content=parts)]}


def test_graph_shape_matches_snapshot() -> None:
    drawn = graph.get_graph().draw_mermaid()
    if os.environ.get("VLCREW_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(drawn)
    assert drawn == SNAPSHOT.read_text(), "graph shape changed: review, then rerun with " \
        "VLCREW_UPDATE_SNAPSHOTS=1"
    assert graph.name == "vlcrew"
    for node in ("ingest", "planner", "dispatch", "ocr", "gui", "data_mapping", "feedback"):
        assert node in graph.get_graph().nodes


def _timed(name: str, log: dict[str, tuple[float, float]], seconds: float, result: dict):
    async def node(state: dict[str, Any], runtime: Any) -> dict[str, Any]:
        start = time.perf_counter()
        await asyncio.sleep(seconds)
        log[name] = (start, time.perf_counter())
        return result

    node.__name__ = name
    return node


def test_ocr_and_gui_run_in_parallel_then_mapping_then_feedback(example_png: str) -> None:
    log: dict[str, tuple[float, float]] = {}
    g = build_graph(nodes={
        "ocr": _timed("ocr", log, 0.4, {"ocr": []}),
        "gui": _timed("gui", log, 0.4, {"elements": []}),
        "data_mapping": _timed("data_mapping", log, 0.0, {"fields": [], "missing": []}),
    })
    result = asyncio.run(g.ainvoke(request("我叫张三，帮我填表", example_png),
                                   context=Context(backend="offline")))
    ocr, gui, mapping = log["ocr"], log["gui"], log["data_mapping"]
    assert ocr[0] < gui[1] and gui[0] < ocr[1], "OCR and GUI did not overlap"
    assert mapping[0] >= max(ocr[1], gui[1]), "mapping started before its inputs were ready"
    statuses = [(p["id"], p["agent"], p["status"]) for p in result["answer"].plan]
    assert statuses == [("s1", "ocr", "done"), ("s2", "gui", "done"),
                        ("s3", "data_mapping", "done"), ("s4", "feedback", "done")]


def test_a_failing_step_is_reported_and_the_rest_still_runs(example_png: str) -> None:
    async def broken_gui(state: dict[str, Any], runtime: Any) -> dict[str, Any]:
        raise RuntimeError("detector exploded on 13812345678")

    broken_gui.__name__ = "gui"
    g = build_graph(nodes={"gui": broken_gui})
    result = asyncio.run(g.ainvoke(request("我叫张三，手机13812345678，帮我填表", example_png),
                                   context=Context(backend="offline")))
    answer = result["answer"]
    status = {p["agent"]: p["status"] for p in answer.plan}
    assert status == {"ocr": "done", "gui": "failed", "data_mapping": "done", "feedback": "done"}
    (error,) = [e for e in answer.errors if e.step == "s2"]
    assert "detector exploded" in error.message and "13812345678" not in error.message
    assert not error.fatal


def test_bad_image_gives_an_answer_with_a_fatal_error_and_no_plan(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    result = asyncio.run(graph.ainvoke(request("我叫张三，帮我填表", str(empty)),
                                       context=Context(backend="offline")))
    answer = result["answer"]
    assert answer.plan == [] and answer.fields == []
    assert [(e.step, e.kind, e.fatal) for e in answer.errors] == [("ingest", "bad_input", True)]
    assert "empty file (0 bytes)" in answer.errors[0].message


def test_auto_backend_falls_back_to_offline_with_one_warning(example_png: str) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    g = build_graph(nodes={"ocr": _timed("ocr", {}, 0, {"ocr": []}),
                           "gui": _timed("gui", {}, 0, {"elements": []})})
    ctx = Context(backend="auto", base_url=f"http://127.0.0.1:{port}/v1")
    started = time.perf_counter()
    answer = asyncio.run(g.ainvoke(request("我叫张三", example_png), context=ctx))["answer"]
    assert time.perf_counter() - started < 10
    assert answer.backend == "offline"
    assert answer.warnings == [
        f"no model server at http://127.0.0.1:{port}/v1 (ConnectError); using the offline engine"
    ]
