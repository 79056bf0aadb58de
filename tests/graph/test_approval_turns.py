"""Approval and follow-up turns on a checkpointed thread (in process, offline engine).

The approval gate interrupts before feedback commits a form's fields; the resume value
accepts, edits (re-validated; an invalid edit asks again) or rejects. Follow-ups on the same
thread reuse what was perceived on the same image and change only what the user changed.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agents.context import Context
from graph.builder import build_graph
from tests.conftest import EXAMPLES

REQUEST = (EXAMPLES / "bank_account_zh.request.txt").read_text(encoding="utf-8").strip()
PNG = base64.b64encode((EXAMPLES / "bank_account_zh.png").read_bytes()).decode()
ASK = Context(backend="offline", approve="ask")
AUTO = Context(backend="offline")


def form_message(request: str = REQUEST) -> HumanMessage:
    return HumanMessage(content=[{"type": "text", "text": request}, {
        "type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}])


class Thread:
    """One thread of a graph with an in-memory checkpointer; counts which nodes ran."""

    def __init__(self) -> None:
        self.graph = build_graph(checkpointer=InMemorySaver())
        self.config: dict[str, Any] = {"configurable": {"thread_id": "t"}}
        self.ran: Counter[str] = Counter()

    def send(self, graph_input: Any, ctx: Context = AUTO) -> Any:
        async def go() -> Any:
            async for chunk in self.graph.astream(graph_input, self.config, context=ctx,
                                                  stream_mode="updates"):
                self.ran.update(k for k in chunk if k != "__interrupt__")
            return await self.graph.aget_state(self.config)
        return asyncio.run(go())


def fields_of(state: Any) -> dict[str, Any]:
    return {f.label: f for f in state.values["answer"].fields}


def test_ask_interrupts_with_the_fields_before_anything_is_written() -> None:
    thread = Thread()
    state = thread.send({"messages": [form_message()]}, ASK)
    assert state.next == ("approval",)
    payload = state.interrupts[0].value
    assert payload["kind"] == "approval" and payload["actions"] == ["accept", "edit", "reject"]
    shown = {f["label"]: f["value"] for f in payload["fields"]}
    assert shown["姓名"] == "张三" and shown["手机号码"] == "13812345678"
    assert "国籍" in payload["missing"] and payload["problems"] == []
    assert "answer" not in state.values and thread.ran["feedback"] == 0


def test_accept_commits_the_answer_with_its_files() -> None:
    thread = Thread()
    thread.send({"messages": [form_message()]}, ASK)
    state = thread.send(Command(resume={"action": "accept"}), ASK)
    assert not state.next and state.values["approval"].decision == "accepted"
    answer = state.values["answer"]
    assert set(answer.files) >= {"overlay", "playwright", "values"}
    assert answer.approval == "accepted"
    where = {m.label: m for m in answer.missing_fields}
    assert set(where) == set(answer.missing) and where["国籍"].bbox[2] > where["国籍"].bbox[0]


def test_edit_is_revalidated_and_an_invalid_value_asks_again() -> None:
    thread = Thread()
    thread.send({"messages": [form_message()]}, ASK)
    state = thread.send(Command(resume={"action": "edit", "values": {"手机号码": "12345"}}),
                        ASK)
    assert state.next == ("approval",)
    again = state.interrupts[0].value
    assert any("手机号码" in p for p in again["problems"])
    phone = next(f for f in again["fields"] if f["label"] == "手机号码")
    assert phone["value"] == "12345" and phone["valid"] is False
    state = thread.send(Command(resume={"action": "edit", "values": {
        "phone": "139 1234 5678", "国籍": "中国"}}), ASK)
    fields = fields_of(state)
    # Found by its key; the user's own spacing is kept, and it passes validation now.
    assert fields["手机号码"].value == "139 1234 5678" and fields["手机号码"].valid is True
    assert fields["国籍"].value == "中国"  # a missing field filled by hand
    assert "国籍" not in state.values["answer"].missing
    assert state.values["approval"].decision == "edited"


@pytest.mark.slow
def test_a_resume_sent_with_other_settings_still_honours_the_approval() -> None:
    """The policy is the turn's: resuming with approve=auto must not skip the user's edit."""
    thread = Thread()
    thread.send({"messages": [form_message()]}, ASK)
    state = thread.send(Command(resume={"action": "edit", "values": {"职业": "教师"}}), AUTO)
    assert fields_of(state)["职业"].value == "教师"
    assert state.values["approval"].decision == "edited"


def test_reject_keeps_the_fields_but_writes_nothing() -> None:
    thread = Thread()
    thread.send({"messages": [form_message()]}, ASK)
    state = thread.send(Command(resume={"action": "reject", "reason": "wrong form"}), ASK)
    answer = state.values["answer"]
    assert answer.files == {} and answer.script == "" and answer.fields
    assert any("rejected" in w and "wrong form" in w for w in answer.warnings)
    assert "拒绝" in answer.suggestion


@pytest.mark.slow
def test_unknown_resume_value_asks_again() -> None:
    thread = Thread()
    thread.send({"messages": [form_message()]}, ASK)
    state = thread.send(Command(resume={"action": "maybe"}), ASK)
    assert state.next == ("approval",)
    assert "accept, edit" in state.interrupts[0].value["problems"][0]


@pytest.mark.slow
def test_follow_ups_reuse_perception_and_change_only_what_was_asked() -> None:
    thread = Thread()
    first = fields_of(thread.send({"messages": [form_message()]}))
    state = thread.send({"messages": [HumanMessage(content="把手机号改成13912345678")]})
    second = fields_of(state)
    assert state.values["plan"].task == "update"
    assert second["手机号码"].value == "13912345678"
    assert {k: v.value for k, v in second.items() if k != "手机号码"} == {
        k: v.value for k, v in first.items() if k != "手机号码"}
    state = thread.send({"messages": [HumanMessage(content="身份证号码填的是什么？")]})
    assert state.values["plan"].task == "question"
    reply = state.values["messages"][-1]
    assert isinstance(reply, AIMessage) and "证件号码" in reply.content
    assert "110***********0137" in reply.content  # masked, as everywhere in chat
    assert thread.ran["ocr"] == 1 and thread.ran["gui"] == 1
    assert thread.ran["data_mapping"] == 2  # the question changed nothing
    # The same image sent again (same sha256) is not perceived again either.
    thread.send({"messages": [form_message("邮箱改成 li@example.com")]})
    assert thread.ran["ocr"] == 1 and thread.ran["gui"] == 1


@pytest.mark.slow
def test_hand_edits_outlive_later_turns() -> None:
    thread = Thread()
    thread.send({"messages": [form_message()]}, ASK)
    thread.send(Command(resume={"action": "edit", "values": {"职业": "教师"}}), ASK)
    state = thread.send({"messages": [HumanMessage(content="also fill the address: "
                                                           "上海市浦东新区世纪大道100号")]})
    fields = fields_of(state)
    assert fields["职业"].value == "教师"
    assert fields["联系地址"].value == "上海市浦东新区世纪大道100号"


@pytest.mark.slow
def test_a_later_turn_overrides_a_hand_edit_of_the_same_field() -> None:
    thread = Thread()
    thread.send({"messages": [form_message()]}, ASK)
    thread.send(Command(resume={"action": "edit", "values": {"手机号码": "13700001111",
                                                            "职业": "教师"}}), ASK)
    state = thread.send({"messages": [HumanMessage(content="把手机号改成13912345678")]})
    assert fields_of(state)["手机号码"].value == "13912345678"
    assert fields_of(state)["职业"].value == "教师"  # the other edit still stands
    state = thread.send({"messages": [HumanMessage(content="把邮箱改成 li@example.com")]})
    assert fields_of(state)["手机号码"].value == "13912345678"  # not back to the old edit
    assert state.values["user_edits"] == {"职业": "教师"}


@pytest.mark.slow
def test_a_new_image_is_perceived_afresh() -> None:
    thread = Thread()
    thread.send({"messages": [form_message()]})
    other = base64.b64encode((EXAMPLES / "insurance_claim_en.png").read_bytes()).decode()
    request = (EXAMPLES / "insurance_claim_en.request.txt").read_text(encoding="utf-8")
    state = thread.send({"messages": [HumanMessage(content=[
        {"type": "text", "text": request},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{other}"}}])]})
    assert state.values["plan"].task == "form_fill" and thread.ran["ocr"] == 2
    labels = set(fields_of(state))
    assert "姓名" not in labels and labels  # nothing of the first form survives


@pytest.mark.slow
@pytest.mark.parametrize("follow_up", ["change the phone to 13912345678",
                                       "把手机号码改为13912345678"])
def test_whole_history_without_a_thread_works_too(follow_up: str) -> None:
    """An OpenAI client sends the conversation each time; the image is in turn one."""
    thread = Thread()
    state = thread.send({"messages": [form_message(), AIMessage(content="ok"),
                                      HumanMessage(content=follow_up)]})
    assert fields_of(state)["手机号码"].value == "13912345678"
    assert fields_of(state)["姓名"].value == "张三"


@pytest.mark.slow
def test_the_thread_keeps_a_thumbnail_not_the_full_screenshot() -> None:
    """Every checkpoint carries the chat: the full image lives in the store instead."""
    thread = Thread()
    state = thread.send({"messages": [form_message()]})
    human = state.values["messages"][0]
    url = next(p["image_url"]["url"] for p in human.content if p["type"] == "image_url")
    assert url.startswith("data:image/jpeg;base64,") and len(url) < 40_000 < len(PNG)
    assert human.content[0]["text"] == REQUEST and len(state.values["messages"]) == 2
    assert state.values["images"][0].width == 1000  # the original, from the store
