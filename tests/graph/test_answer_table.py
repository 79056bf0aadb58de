"""The feedback node's tables: a builder for every task kind, both languages for every message."""

from __future__ import annotations

from string import Formatter
from typing import get_args

from agents.feedback import BUILDERS
from agents.messages import MESSAGES, listing, say
from agents.records import TaskKind


def test_every_task_kind_has_a_builder() -> None:
    assert set(BUILDERS) == set(get_args(TaskKind))
    for kind, (build, writes_files) in BUILDERS.items():
        assert callable(build), kind
        assert isinstance(writes_files, bool), kind


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in Formatter().parse(template) if name}


def test_every_message_has_a_chinese_and_an_english_text() -> None:
    assert MESSAGES
    for key, texts in MESSAGES.items():
        assert len(texts) == 2, key
        zh, en = texts
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key  # both take the same fields


def test_say_picks_the_language_and_fills_the_fields() -> None:
    assert say("describe.found", True, count=2) == "找到 2 个对象。"
    assert say("describe.found", False, count=2) == "Found 2 object(s)."
    assert listing(["姓名", "电话"], True) == "姓名、电话"
    assert listing(["name", "phone"], False) == "name, phone"
