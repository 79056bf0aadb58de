"""The Postgres checkpointer (``VLCREW_POSTGRES_URL``) against a real PostgreSQL server.

Runs when ``VLCREW_TEST_POSTGRES_URL`` names a throwaway database (``make test-postgres``
starts one); skipped otherwise. A turn paused for approval is resumed through a second,
fresh connection, as after a server restart.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from langgraph.types import Command

from agents.context import Context
from graph.builder import build_graph
from graph.persistence import open_checkpointer
from tests.graph.test_approval_turns import form_message

URL = os.environ.get("VLCREW_TEST_POSTGRES_URL")
pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not URL, reason="VLCREW_TEST_POSTGRES_URL is not set")]


def test_a_paused_turn_resumes_through_a_new_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLCREW_POSTGRES_URL", URL or "")
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    ctx = Context(backend="offline", approve="ask")

    async def go() -> tuple[object, object]:
        async with open_checkpointer() as saver:
            assert type(saver).__name__ == "AsyncPostgresSaver"
            paused = await build_graph(checkpointer=saver).ainvoke(
                {"messages": [form_message()]}, config, context=ctx)
        async with open_checkpointer() as saver:  # as after a restart
            graph = build_graph(checkpointer=saver)
            await graph.ainvoke(Command(resume={"action": "edit", "values": {
                "手机号码": "13912345678"}}), config, context=ctx)
            return paused, await graph.aget_state(config)

    paused, state = asyncio.run(go())
    assert "__interrupt__" in paused  # type: ignore[operator]
    fields = {f.label: f.value for f in state.values["answer"].fields}  # type: ignore[attr-defined]
    assert fields["手机号码"] == "13912345678" and fields["姓名"] == "张三"
