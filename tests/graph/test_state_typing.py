"""Node bodies are checked against the state type: a misspelt state key is a type error.

Nodes take ``VLState`` / ``StepInput`` (TypedDicts) and ``Runtime[Context]``, so mypy knows
every key and every setting; the project's mypy plugin (``tests/lint/typeddict_keys.py``)
makes ``state.get("misspelt")`` an error too. This runs mypy with it, as ``make lint`` does,
on a node written with a typo in a state key and in a setting, and on the same node spelt
right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[1] / "lint" / "typeddict_keys.py"
pytestmark = pytest.mark.slow  # one mypy run over the state's imports (~10-30 s cold)

NODE = '''
from typing import Any

from langgraph.runtime import Runtime

from agents.context import Context
from agents.state import StepInput


async def count_lines(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    images = state.get("{images}", [])
    lines = [b for b in state.get("ocr", []) if b.confidence >= runtime.context.{setting}]
    return {{"warnings": [f"{{len(lines)}} lines on {{len(images)}} images"]}}
'''


def mypy_errors(tmp_path: Path, source: str) -> list[str]:
    from mypy import api

    node = tmp_path / "node_under_test.py"
    node.write_text(source, encoding="utf-8")
    config = tmp_path / "mypy.ini"  # the project's plugin, as pyproject.toml loads it
    config.write_text(f"[mypy]\nplugins = {PLUGIN}\n", encoding="utf-8")
    stdout, _stderr, _status = api.run([
        str(node), "--config-file", str(config), "--python-version", "3.11",
        "--ignore-missing-imports", "--follow-imports", "silent",
        "--cache-dir", str(tmp_path / "cache"), "--no-error-summary"])
    return [line for line in stdout.splitlines() if "error:" in line]


def test_a_misspelt_state_key_and_setting_are_type_errors(tmp_path: Path) -> None:
    errors = mypy_errors(tmp_path, NODE.format(images="imagez", setting="ocr_min_confidance"))
    assert any('TypedDict "StepInput" has no key "imagez"' in e for e in errors), errors
    assert any('"Context" has no attribute "ocr_min_confidance"' in e for e in errors), errors


def test_the_same_node_spelt_right_passes(tmp_path: Path) -> None:
    assert mypy_errors(tmp_path, NODE.format(images="images",
                                             setting="ocr_min_confidence")) == []
