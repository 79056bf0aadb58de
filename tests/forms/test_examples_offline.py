"""The whole graph, offline, on the shipped example forms: the exact answer expected.

Real OCR, real layout analysis, real entity parsing — no mocks. The expected fields come
from the generator's ground truth (examples/*.truth.json), pinned in the repository.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from PIL import Image

from agents.context import Context
from graph.builder import graph
from tests.conftest import EXAMPLES

EXAMPLE_NAMES = ["bank_account_zh", "insurance_claim_en"]


def run_example(name: str, out: Path) -> dict[str, Any]:
    request = (EXAMPLES / f"{name}.request.txt").read_text(encoding="utf-8").strip()
    parts = [{"type": "text", "text": request},
             {"type": "image_url", "image_url": {"url": str(EXAMPLES / f"{name}.png")}}]
    result = asyncio.run(graph.ainvoke({"messages": [HumanMessage(content=parts)]},
                                       context=Context(backend="offline", out_dir=str(out))))
    return result


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_answer_is_exactly_the_truth(name: str, tmp_path: Path) -> None:
    truth = json.loads((EXAMPLES / f"{name}.truth.json").read_text(encoding="utf-8"))
    result = run_example(name, tmp_path)
    answer = result["answer"]
    assert answer.task == "form_fill" and answer.backend == "offline"
    got = [(f.key, f.label, f.value, f.action, f.option) for f in answer.fields]
    want = [(e["key"], e["label"], e["value"], e["action"], e["option"])
            for e in truth["expected"]["fields"]]
    assert got == want
    for f, e in zip(answer.fields, truth["expected"]["fields"], strict=True):
        assert all(abs(a - b) <= 3 for a, b in zip(f.bbox, e["bbox"], strict=True)), f.label
        assert f.valid is not False, (f.label, f.message)
    assert set(truth["expected"]["missing"]) <= set(answer.missing)
    assert not answer.errors
    assert [p["status"] for p in answer.plan] == ["done"] * 4
    # Artefacts a person looks at, and the assistant's masked summary.
    overlay = Image.open(answer.overlay)
    assert overlay.width > truth["truth"]["size"][0]
    assert Path(answer.files["playwright"]).read_text(encoding="utf-8") == answer.script
    summary = result["messages"][-1].content
    for f in answer.fields:
        if f.key in ("id_number", "phone"):
            assert f.value not in summary


def test_bank_example_id_number_passes_gb11643_and_matches_birth_date(tmp_path: Path) -> None:
    answer = run_example("bank_account_zh", tmp_path)["answer"]
    by_key = {f.key: f for f in answer.fields}
    assert by_key["id_number"].valid is True
    assert by_key["birth_date"].value == "1990-05-12" and by_key["birth_date"].valid is True
