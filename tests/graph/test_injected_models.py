"""The graph with its chat models injected (``build_graph(models=...)``): langchain-core's fake
chat models stand in for Qwen3-VL, with no server and no network.

The planner's fake replays one scripted plan with its reasoning; the experts' fake answers
each prompt as a well-behaved Qwen3-VL would (the same script the loopback-server test uses
over real HTTP), so the whole vllm flow runs in-process: plan, OCR, GUI grounding, mapping
with evidence, feedback.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.utils import convert_to_openai_messages
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from agents.context import Context
from agents.models import Models
from graph.builder import build_graph
from tests.conftest import EXAMPLES
from tests.model.test_graph_vllm_loopback import NAME, PLAN, REQUEST, THOUGHT, TRUTH, qwen3_vl

PARTS = [{"type": "text", "text": REQUEST},
         {"type": "image_url", "image_url": {"url": str(EXAMPLES / f"{NAME}.png")}}]


class PromptAnsweringFake(GenericFakeChatModel):
    """langchain-core's fake chat model, answering each prompt with ``qwen3_vl``'s script
    instead of the next message of a list (OCR and GUI run in parallel, in either order)."""

    messages: Iterator[AIMessage] = iter(())
    prompts: list[str] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        body = {"messages": convert_to_openai_messages(messages)}
        reply = qwen3_vl(body)
        self.prompts.append(json.dumps(body["messages"][-1], ensure_ascii=False)[:200])
        message = AIMessage(content=reply.content or "")
        return ChatResult(generations=[ChatGeneration(message=message)])


def planner_fake() -> GenericFakeChatModel:
    """The Thinking planner: one plan, its reasoning where the vLLM client puts it."""
    return GenericFakeChatModel(messages=iter([AIMessage(
        content=json.dumps(PLAN), additional_kwargs={"reasoning_content": THOUGHT})]))


def fill(graph: Any, ctx: Context) -> dict[str, Any]:
    return asyncio.run(graph.ainvoke({"messages": [HumanMessage(content=PARTS)]}, context=ctx))


def test_injected_fake_models_run_the_vllm_flow_with_no_server(tmp_path: Path) -> None:
    expert = PromptAnsweringFake()
    graph = build_graph(models=Models(planner=planner_fake(), expert=expert))
    # base_url points nowhere: the injected models must be used, and no server probed.
    out = fill(graph, Context(backend="auto", base_url="http://127.0.0.1:9/v1",
                              out_dir=str(tmp_path)))
    answer = out["answer"]
    assert answer.backend == "vllm" and not answer.errors, answer.errors
    assert [(p["agent"], p["status"], p["backend"]) for p in answer.plan] == [
        ("ocr", "done", "vllm"), ("gui", "done", "vllm"), ("data_mapping", "done", "vllm"),
        ("feedback", "done", "vllm")]
    got = [(f.key, f.label, f.value, f.action) for f in answer.fields]
    want = [(e["key"], e["label"], e["value"], e["action"])
            for e in TRUTH["expected"]["fields"]]
    assert got == want
    assert len(expert.prompts) == 3  # OCR, GUI, mapping: one call each


def test_a_runs_own_models_win_over_the_graphs(tmp_path: Path) -> None:
    """``Context.using`` on one run beats the models the graph was built with."""
    unused = GenericFakeChatModel(messages=iter(()))  # would raise if it were asked
    graph = build_graph(models=Models(planner=unused, expert=unused))
    expert = PromptAnsweringFake()
    ctx = Context(backend="vllm", out_dir=str(tmp_path)).using(
        Models(planner=planner_fake(), expert=expert))
    answer = fill(graph, ctx)["answer"]
    assert answer.backend == "vllm" and not answer.errors and len(expert.prompts) == 3


def test_offline_backend_ignores_injected_models(tmp_path: Path) -> None:
    unused = GenericFakeChatModel(messages=iter(()))
    graph = build_graph(models=Models(planner=unused, expert=unused))
    answer = fill(graph, Context(backend="offline", out_dir=str(tmp_path)))["answer"]
    assert answer.backend == "offline" and answer.fields


def test_models_are_no_setting_callers_can_send() -> None:
    """Models are injected in Python only: not in the context schema Studio and the API
    show, and not accepted as a constructor argument."""
    graph = build_graph()
    assert "models" not in graph.get_context_jsonschema()["properties"]
    try:
        Context(models=None)  # type: ignore[call-arg]
    except TypeError:
        pass
    else:
        raise AssertionError("Context accepted a models argument")
