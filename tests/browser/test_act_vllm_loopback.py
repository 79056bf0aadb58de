"""The executor on the vllm backend: Qwen3-VL decides each screen, grounded by its boxes.

The loopback vLLM server plays the model: it reads the numbered controls in the prompt and
answers with actions naming each control by number and by a (slightly loose) 0–1000 box.
The site's server records what the form submitted. Checked: the screenshot and the controls
go out; a wrong number with a right box still hits the right control (the box grounds it);
a value the user never said is dropped; garbage from the model hands the run to the rules,
flagged.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agents.context import Context
from graph.builder import graph
from tests.loopback_vllm import LoopbackVLLM, Reply, image_urls, last_text
from tests.site_server import SiteServer, check_submission, load_tasks

pytestmark = [pytest.mark.browser, pytest.mark.server,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                 reason="needs Debian's chromium at /usr/bin/chromium")]
TASK = next(t for t in load_tasks() if t["id"] == "bank_partial")
ROW = re.compile(r"^(\d+)\. (\w+): (.*?) bbox_2d=\[(\d+), (\d+), (\d+), (\d+)\]$", re.M)


def controls(prompt: str) -> dict[str, tuple[int, list[int]]]:
    """Control name → (number, box) as the prompt lists them."""
    return {m[3].split(" options=")[0].split(" value=")[0]: (
        int(m[1]), [int(m[4]) - 2, int(m[5]) - 2, int(m[6]) + 2, int(m[7]) + 2])
        for m in ROW.finditer(prompt)}


def model(body: dict[str, Any]) -> Reply:
    """Qwen3-VL as it should answer for the bank_partial request."""
    prompt = last_text(body)
    assert prompt.startswith("Task: act")
    found = controls(prompt)
    if not any(name.startswith("* 姓名") or name.startswith("姓名") for name in found):
        return Reply.json({"actions": [], "click": None, "finished": True})  # result page

    def pick(prefix: str) -> tuple[int, list[int]]:
        return next(v for k, v in found.items() if k.lstrip("* ").startswith(prefix))

    def act(prefix: str, do: str, value: str, evidence: str, number: int | None = None
            ) -> dict[str, Any]:
        n, box = pick(prefix)
        return {"control": n if number is None else number, "bbox_2d": box, "do": do,
                "value": value, "evidence": evidence}

    name_n, _ = pick("姓名")
    submit_n, submit_box = pick("提交")
    return Reply.json({"actions": [
        act("姓名", "fill", "李娜", "姓名李娜"),
        act("性别 / option 女", "choose", "女", "性别女"),
        # the wrong number, the right box: the box must win
        act("手机号码", "fill", "13900001111", "手机号码13900001111", number=name_n),
        act("电子邮箱", "fill", "lina@example.cn", "电子邮箱lina@example.cn"),
        act("本人已阅读", "check", "", "勾选同意条款"),
        act("职业", "fill", "工程师", "我是工程师"),  # never said: must be dropped
    ], "click": {"control": submit_n, "bbox_2d": submit_box, "reason": "后提交"},
        "finished": False})


def run(server: LoopbackVLLM, site: SiteServer, tmp: Path) -> Any:
    ctx = Context(backend="vllm", base_url=server.base_url, expert_model="qwen3-vl-instruct",
                  approve="auto", out_dir=str(tmp)).starting_at(site.url)
    site.reset()
    return asyncio.run(graph.ainvoke({"messages": [HumanMessage(content=TASK["request"])],
                                      "url": f"{site.url}/{TASK['page']}"}, context=ctx))[
        "answer"]


def test_the_model_decides_and_its_boxes_ground_the_actions(tmp_path: Path) -> None:
    with SiteServer() as site, LoopbackVLLM(responder=model) as server:
        answer = run(server, site, tmp_path)
        calls = list(server.requests)
        assert check_submission(TASK["expect"], site.submissions) == []
    assert answer.backend == "vllm" and answer.act.ok, answer.act.message
    executor = next(p for p in answer.plan if p["agent"] == "executor")
    assert (executor["status"], executor["backend"]) == ("done", "vllm")
    first = calls[0]
    assert len(image_urls(first)) == 1  # the screenshot
    assert "手机号码" in last_text(first) and "bbox_2d=" in last_text(first)
    assert first["response_format"]["type"] == "json_schema"
    assert any("职业" in w and "dropped" in w for w in answer.warnings)
    phone = next(a for a in answer.actions if a["target"].lstrip("* ").startswith("手机号码"))
    assert phone["ok"] and phone["readback"] == "139****1111"  # masked in the answer


def test_garbage_from_the_model_hands_the_run_to_the_rules(tmp_path: Path) -> None:
    with SiteServer() as site, LoopbackVLLM(responder=lambda body: Reply(content="??")) as srv:
        answer = run(srv, site, tmp_path)
        assert check_submission(TASK["expect"], site.submissions) == []
    executor = next(p for p in answer.plan if p["agent"] == "executor")
    assert (executor["status"], executor["backend"]) == ("failed", "offline")
    assert "deciding by the rules" in executor["message"]
