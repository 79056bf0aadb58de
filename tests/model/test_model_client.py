"""The model client through the real langchain-openai/openai stack against a loopback server.

Every test talks HTTP to :class:`tests.loopback_vllm.LoopbackVLLM` on 127.0.0.1 and asserts
both what came back and what the client SENT (``server.requests``).
"""

from __future__ import annotations

import asyncio
import base64
import importlib.metadata
import inspect
import io
import json
import os
import threading
import time
from pathlib import Path
from types import FunctionType
from typing import Any

import openai
import pytest
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from PIL import Image
from pydantic import BaseModel, Field

from agents.llm.chat_model import ANSWER_TOKENS, ReasoningChatOpenAI, build_chat_model
from agents.llm.errors import ModelError
from agents.llm.image_parts import image_part
from agents.llm.reasoning import ThinkSplitter, split_inline_reasoning
from agents.llm.structured import NO_CONTENT_ERROR, call_structured, json_schema_format
from agents.llm.transport import async_http_client
from agents.response_cache import ResponseCache
from tests import conftest_loopback
from tests.loopback_vllm import LoopbackVLLM, Reply, image_sizes, part_types

pytestmark = pytest.mark.server

# The shared fixture (tests/conftest.py may import it too; it is the same fixture).
loopback_vllm = conftest_loopback.loopback_vllm

# -- helpers ----------------------------------------------------------------------------


class Name(BaseModel):
    name: str = Field(max_length=40)


class Box(BaseModel):
    bbox_2d: list[int] = Field(min_length=4, max_length=4)
    label: str


class Boxes(BaseModel):
    elements: list[Box]


def model_for(server: LoopbackVLLM, *, thinking: bool = True, **kw: Any) -> ReasoningChatOpenAI:
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", 5.0)
    return build_chat_model(base_url=server.base_url, api_key="test", model=server.model,
                            thinking=thinking, **kw)


def ask(text: str = "hi") -> list[BaseMessage]:
    return [HumanMessage(content=text)]


async def collect(model: Any, messages: Any) -> tuple[list[AIMessageChunk], AIMessageChunk]:
    chunks = [c async for c in model.astream(messages)]
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    return chunks, total


INLINE = "<think>\nLet me look at the form.\n</think>\n\nThe answer."

# -- reasoning: three shapes, non-streaming and streaming ---------------------------------

SHAPES = {
    "reasoning field (vLLM >= 0.15)": Reply(content="The answer.", reasoning="Let me look."),
    "reasoning_content field (older vLLM)": Reply(content="The answer.",
                                                  reasoning_content="Let me look."),
    "inline with <think>": Reply(content="<think>Let me look.</think>\n\nThe answer."),
    "inline without <think>": Reply(content="Let me look.</think>\n\nThe answer."),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_reasoning_kept_non_streaming(loopback_vllm: LoopbackVLLM, shape: str) -> None:
    loopback_vllm.push(SHAPES[shape])
    msg = asyncio.run(model_for(loopback_vllm).ainvoke(ask()))
    assert msg.content == "The answer."
    assert msg.additional_kwargs["reasoning_content"] == "Let me look."
    assert msg.response_metadata["finish_reason"] == "stop"


@pytest.mark.parametrize("shape", list(SHAPES))
def test_reasoning_kept_streaming(loopback_vllm: LoopbackVLLM, shape: str) -> None:
    loopback_vllm.push(SHAPES[shape])
    chunks, total = asyncio.run(collect(model_for(loopback_vllm), ask()))
    assert total.content == "The answer."
    assert total.additional_kwargs["reasoning_content"] == "Let me look."
    assert sum(bool(c.additional_kwargs.get("reasoning_content")) for c in chunks) >= 1
    assert all("think>" not in str(c.content) for c in chunks)
    assert total.usage_metadata is not None  # stream_usage on: the usage chunk arrived
    assert loopback_vllm.requests[0]["stream"] is True


def test_inline_think_split_at_every_chunk_boundary(loopback_vllm: LoopbackVLLM) -> None:
    model = model_for(loopback_vllm)
    cuts = list(range(1, len(INLINE)))
    for i in cuts:
        loopback_vllm.push(Reply(content=INLINE, content_chunks=[INLINE[:i], INLINE[i:]]))
    loopback_vllm.push(Reply(content=INLINE, content_chunks=list(INLINE)))  # 1 char per chunk

    async def run_all() -> list[AIMessageChunk]:
        return [(await collect(model, ask()))[1] for _ in range(len(cuts) + 1)]

    for total in asyncio.run(run_all()):
        assert total.content == "The answer."
        assert total.additional_kwargs["reasoning_content"] == "\nLet me look at the form.\n"


def test_think_splitter_streams_like_whole_text() -> None:
    texts = [INLINE, "no tags at all", "  <think>open only", "a</think>b</think>c",
             "<thi", "</think>", "<think></think>x", "\n\n", "r</thi", "x <think> y"]
    for text in texts:
        whole = split_inline_reasoning(text)
        for size in (1, 2, 3, 7):
            sp = ThinkSplitter(wait_for_close=True)
            parts = [sp.feed(text[i:i + size]) for i in range(0, len(text), size)]
            parts.append(sp.finish())
            assert ("".join(p[0] for p in parts), "".join(p[1] for p in parts)) == whole, text
    assert split_inline_reasoning("plain answer") == ("", "plain answer")
    assert split_inline_reasoning("<think>never closed") == ("never closed", "")


def test_instruct_stream_passes_through_without_waiting(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(content="plain answer text", content_chunks=["plain ", "answer ",
                                                                         "text"]))
    chunks, total = asyncio.run(collect(model_for(loopback_vllm, thinking=False), ask()))
    assert [c.content for c in chunks if c.content] == ["plain ", "answer ", "text"]
    assert "reasoning_content" not in total.additional_kwargs


def test_callbacks_see_split_chunks(loopback_vllm: LoopbackVLLM) -> None:
    """LangGraph's "messages" stream mode reads on_llm_new_token: it must get split chunks."""
    seen: list[AIMessageChunk] = []

    class Spy(AsyncCallbackHandler):
        async def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
            seen.append(kwargs["chunk"].message)

    loopback_vllm.push(Reply(content=INLINE))
    model = model_for(loopback_vllm)
    asyncio.run(collect(model.with_config(callbacks=[Spy()]), ask()))
    assert "".join(str(m.content) for m in seen) == "The answer."
    assert "".join(m.additional_kwargs.get("reasoning_content", "") for m in seen) \
        == "\nLet me look at the form.\n"


def test_sync_invoke_and_stream(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(content="A", reasoning="R"), Reply(content="R2</think>A2"))
    model = model_for(loopback_vllm)
    msg = model.invoke(ask())
    assert (msg.content, msg.additional_kwargs["reasoning_content"]) == ("A", "R")
    total = None
    for c in model.stream(ask()):
        total = c if total is None else total + c
    assert total is not None
    assert (total.content, total.additional_kwargs["reasoning_content"]) == ("A2", "R2")


def test_content_null_keeps_reasoning(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(content=None, reasoning="still thinking", finish_reason="length"),
                       Reply(content=None, reasoning="still thinking", finish_reason="length"))
    model = model_for(loopback_vllm)
    msg = asyncio.run(model.ainvoke(ask()))
    assert msg.content == ""
    assert msg.additional_kwargs["reasoning_content"] == "still thinking"
    _, total = asyncio.run(collect(model, ask()))
    assert total.content == ""
    assert total.additional_kwargs["reasoning_content"] == "still thinking"


def test_same_model_across_event_loops(loopback_vllm: LoopbackVLLM) -> None:
    """Pooled connections belong to a loop; a second asyncio.run must not reuse them."""
    model = model_for(loopback_vllm, thinking=False)
    for _ in range(3):
        assert asyncio.run(model.ainvoke(ask())).content == "ok"


# -- what is sent ---------------------------------------------------------------------


def test_sampling_settings_arrive(loopback_vllm: LoopbackVLLM) -> None:
    instruct = model_for(loopback_vllm, thinking=False, seed=7, max_tokens=300)
    thinking = model_for(loopback_vllm, thinking=True)
    asyncio.run(instruct.ainvoke(ask()))
    asyncio.run(thinking.ainvoke(ask()))
    sent_i, sent_t = loopback_vllm.requests
    assert {k: sent_i.get(k) for k in ("temperature", "top_p", "top_k", "presence_penalty",
                                       "seed", "max_completion_tokens")} == {
        "temperature": 0.7, "top_p": 0.8, "top_k": 20, "presence_penalty": 1.5, "seed": 7,
        "max_completion_tokens": 300}
    assert "chat_template_kwargs" not in sent_i  # Instruct models have no thinking switch
    assert {k: sent_t.get(k) for k in ("temperature", "top_p", "top_k")} == {
        "temperature": 0.6, "top_p": 0.95, "top_k": 20}
    assert "presence_penalty" not in sent_t
    assert "thinking_token_budget" not in sent_t
    assert sent_t["model"] == loopback_vllm.model


def test_reasoning_budget_and_disable_thinking(loopback_vllm: LoopbackVLLM) -> None:
    budget = model_for(loopback_vllm, thinking=True, reasoning_budget=256)
    capped = model_for(loopback_vllm, thinking=True, reasoning_budget=256, max_tokens=1000)
    off = model_for(loopback_vllm, thinking=False, disable_thinking=True, reasoning_budget=256)
    for m in (budget, capped, off):
        asyncio.run(m.ainvoke(ask()))
    b, c, o = loopback_vllm.requests
    assert b["thinking_token_budget"] == 256
    assert b["max_completion_tokens"] == 256 + ANSWER_TOKENS
    assert (c["thinking_token_budget"], c["max_completion_tokens"]) == (256, 1000)
    assert o["chat_template_kwargs"] == {"enable_thinking": False}
    assert "thinking_token_budget" not in o
    with pytest.raises(ValueError):
        model_for(loopback_vllm, thinking=True, disable_thinking=True)


def test_extra_body_is_merged_not_replaced(loopback_vllm: LoopbackVLLM) -> None:
    model = model_for(loopback_vllm, thinking=False, disable_thinking=True)
    per_call = {"chat_template_kwargs": {"custom_flag": 1}, "repetition_penalty": 1.05}
    asyncio.run(model.bind(extra_body=per_call).ainvoke(ask()))
    asyncio.run(model.ainvoke(ask(), extra_body={"chat_template_kwargs": {"enable_thinking":
                                                                           True}}))
    bound, kwarg = loopback_vllm.requests
    assert bound["top_k"] == 20  # from the constructor
    assert bound["repetition_penalty"] == 1.05  # from the call
    assert bound["chat_template_kwargs"] == {"enable_thinking": False, "custom_flag": 1}
    assert kwarg["top_k"] == 20
    assert kwarg["chat_template_kwargs"] == {"enable_thinking": True}  # the call wins per key
    assert model.extra_body == {"top_k": 20, "chat_template_kwargs": {"enable_thinking": False}}


def test_image_parts_arrive_at_model_size(loopback_vllm: LoopbackVLLM, tmp_path: Path) -> None:
    path = tmp_path / "shot.png"
    Image.new("RGB", (1000, 640), "white").save(path)
    model = model_for(loopback_vllm, thinking=False)

    def messages(instruction: str) -> list[BaseMessage]:
        return [SystemMessage(content="You are a careful expert."),
                HumanMessage(content=[image_part(str(path), (512, 320)),
                                      {"type": "text", "text": instruction}])]

    asyncio.run(model.ainvoke(messages("read the text")))
    asyncio.run(model.ainvoke(messages("find the inputs")))
    first, second = loopback_vllm.requests
    assert image_sizes(first) == [(512, 320)]
    assert part_types(first) == [["text"], ["image_url", "text"]]
    # Same system text and same image bytes before the instruction: a prefix-cache hit.
    assert first["messages"][0] == second["messages"][0]
    assert first["messages"][1]["content"][0] == second["messages"][1]["content"][0]


# -- image_part -----------------------------------------------------------------------


def test_image_part_size_and_determinism(tmp_path: Path) -> None:
    path = tmp_path / "form.png"
    Image.new("RGB", (333, 222), (200, 10, 10)).save(path)
    part = image_part(str(path), (320, 224))
    assert part["type"] == "image_url"
    url = part["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as img:
        assert img.size == (320, 224)
        assert img.format == "PNG"
    again = image_part(str(path), (320, 224))
    assert again == part and again is not part  # same bytes, a fresh dict per call
    again["image_url"]["url"] = "mutated"
    assert image_part(str(path), (320, 224))["image_url"]["url"] == url
    assert image_part(str(path), (160, 96))["image_url"]["url"] != url
    Image.new("RGB", (333, 222), (10, 200, 10)).save(path)  # a new file at the same path
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    assert image_part(str(path), (320, 224))["image_url"]["url"] != url
    with pytest.raises(ValueError):
        image_part(str(path), (0, 10))


# -- structured output ----------------------------------------------------------------


def test_json_schema_response_format_arrives_and_parses(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply.json({"name": "张三"}, reasoning="The name is on the card."))
    reply = asyncio.run(call_structured(model_for(loopback_vllm), ask(), Name))
    assert reply.error is None and reply.attempts == 1
    assert isinstance(reply.parsed, Name) and reply.parsed.name == "张三"
    assert reply.reasoning == "The name is on the card."
    assert reply.usage["completion_tokens"] > 0 and reply.usage["reasoning_tokens"] > 0
    sent = loopback_vllm.requests[0]
    assert sent["response_format"] == json_schema_format(Name)
    rf = sent["response_format"]
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["name"] == "Name" and rf["json_schema"]["strict"] is True
    assert rf["json_schema"]["schema"]["properties"]["name"]["maxLength"] == 40
    assert rf["json_schema"]["schema"]["additionalProperties"] is False
    assert sent["top_k"] == 20  # the constructor's extra_body survives response_format


@pytest.mark.parametrize("n", [0, 1, 1000])
def test_grounding_boxes_parse(loopback_vllm: LoopbackVLLM, n: int) -> None:
    loopback_vllm.push(Reply.boxes(n, seed=n))
    reply = asyncio.run(call_structured(model_for(loopback_vllm, thinking=False), ask(), Boxes))
    assert isinstance(reply.parsed, Boxes)
    assert len(reply.parsed.elements) == n
    assert all(0 <= v <= 1000 for b in reply.parsed.elements for v in b.bbox_2d)


def test_raw_control_characters_in_strings_parse(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(content='{"name": "a\x01b\tc"}'))  # as xgrammar lets through
    reply = asyncio.run(call_structured(model_for(loopback_vllm), ask(), Name))
    assert isinstance(reply.parsed, Name) and reply.parsed.name == "a\x01b\tc"


def test_malformed_json_is_retried_once_then_reported(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(content='{"name": "x'), Reply(content="not json at all"))
    reply = asyncio.run(call_structured(model_for(loopback_vllm, seed=11), ask(), Name))
    assert reply.parsed is None and reply.attempts == 2
    assert reply.error is not None and reply.error.startswith("invalid JSON")
    assert reply.content == "not json at all"
    assert len(loopback_vllm.requests) == 2
    assert [r["seed"] for r in loopback_vllm.requests] == [11, 12]  # a retry samples anew


def test_retry_can_succeed(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(content="{oops"), Reply.json({"name": "ok"}))
    reply = asyncio.run(call_structured(model_for(loopback_vllm), ask(), Name))
    assert isinstance(reply.parsed, Name) and reply.attempts == 2 and reply.error is None


def test_truncated_and_mismatching_json(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(content='{"na', finish_reason="length"),
                       Reply(content='{"na', finish_reason="length"),
                       Reply.json({"nom": 1}), Reply.json({"name": 3}))
    model = model_for(loopback_vllm)
    cut = asyncio.run(call_structured(model, ask(), Name))
    assert cut.parsed is None and cut.error is not None and "cut off at max_tokens" in cut.error
    wrong = asyncio.run(call_structured(model, ask(), Name))
    assert wrong.parsed is None and wrong.error is not None
    assert wrong.error.startswith("JSON does not match Name") and "name" in wrong.error


def test_content_null_is_an_error_not_an_exception(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(content=None, reasoning="hmm", finish_reason="length"),
                       Reply(content=None, reasoning="hmm more", finish_reason="length"))
    reply = asyncio.run(call_structured(model_for(loopback_vllm), ask(), Name, retries=1))
    assert reply.parsed is None and reply.content is None
    assert reply.error == NO_CONTENT_ERROR
    assert reply.reasoning == "hmm more" and reply.attempts == 2


def test_no_retry_when_retries_zero(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(content="bad"))
    reply = asyncio.run(call_structured(model_for(loopback_vllm), ask(), Name, retries=0))
    assert reply.attempts == 1 and reply.parsed is None
    assert len(loopback_vllm.requests) == 1


def test_concurrent_calls(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.responder = lambda body: Reply.json({"name": body["messages"][-1]["content"]},
                                                      delay=0.05)
    model = model_for(loopback_vllm, thinking=False)

    async def many() -> list[Any]:
        return await asyncio.gather(*(call_structured(model, ask(f"n{i}"), Name)
                                      for i in range(8)))

    replies = asyncio.run(many())
    assert [r.parsed.name for r in replies] == [f"n{i}" for i in range(8)]


# -- transport failures -----------------------------------------------------------------


def test_http_500_is_retried_then_model_error(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(*[Reply(status=500, error="engine died")] * 2)
    model = model_for(loopback_vllm, max_retries=1)
    with pytest.raises(ModelError) as info:
        asyncio.run(call_structured(model, ask(), Name))
    assert info.value.status == 500
    assert "HTTP 500: engine died" in str(info.value)
    assert loopback_vllm.base_url in str(info.value)
    assert len(loopback_vllm.requests) == 2  # one retry by the client, then the error


def test_http_400_is_not_retried(loopback_vllm: LoopbackVLLM, tmp_path: Path) -> None:
    loopback_vllm.max_images = 2
    path = tmp_path / "a.png"
    Image.new("RGB", (64, 64)).save(path)
    parts = [image_part(str(path), (64, 64)) for _ in range(3)]
    model = model_for(loopback_vllm, max_retries=2)
    with pytest.raises(ModelError) as info:
        asyncio.run(model.ainvoke([HumanMessage(content=[*parts, {"type": "text",
                                                                   "text": "x"}])]))
    assert info.value.status == 400
    assert "At most 2 image(s) may be provided" in str(info.value)
    assert len(loopback_vllm.requests) == 1


def test_timeout_is_model_error(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(delay=5.0))
    model = model_for(loopback_vllm, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(ModelError, match=r"did not answer within 0.3 s"):
        asyncio.run(call_structured(model, ask(), Name))
    assert time.monotonic() - start < 3.0


def test_server_down_is_model_error_with_url() -> None:
    with LoopbackVLLM() as server:
        url = server.base_url
    model = build_chat_model(base_url=url, api_key="", model="m", thinking=False,
                             max_retries=0, timeout=2.0)
    with pytest.raises(ModelError) as info:
        asyncio.run(call_structured(model, ask(), Name))
    assert str(info.value).startswith(f"model server at {url} is not reachable: ")
    assert info.value.url == url
    with pytest.raises(ModelError, match="not reachable"):
        model.invoke(ask())  # the sync path too


def test_streaming_transport_error(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.push(Reply(status=503, error="overloaded"))
    with pytest.raises(ModelError, match="HTTP 503: overloaded"):
        asyncio.run(collect(model_for(loopback_vllm), ask()))


# -- cache ------------------------------------------------------------------------------


def test_cache_hit_makes_no_second_request(loopback_vllm: LoopbackVLLM, tmp_path: Path) -> None:
    loopback_vllm.push(Reply.json({"name": "cached"}, reasoning="why"))
    cache = ResponseCache(str(tmp_path / "replies.sqlite"))
    key = cache.key(loopback_vllm.model, ["ab" * 32], "read the name", {"max_pixels": 1})
    model = model_for(loopback_vllm)
    first = asyncio.run(call_structured(model, ask(), Name, cache=cache, cache_key=key))
    second = asyncio.run(call_structured(model, ask(), Name, cache=cache, cache_key=key))
    assert len(loopback_vllm.requests) == 1
    assert (first.cached, first.attempts) == (False, 1)
    assert (second.cached, second.attempts) == (True, 0)
    assert second.parsed == first.parsed and second.reasoning == "why"
    assert second.usage == first.usage
    # A new process (new cache object on the same file) hits too.
    reopened = ResponseCache(str(tmp_path / "replies.sqlite"))
    third = asyncio.run(call_structured(model, ask(), Name, cache=reopened, cache_key=key))
    assert third.cached and len(loopback_vllm.requests) == 1


def test_cache_keys_by_content_and_skips_failures(loopback_vllm: LoopbackVLLM) -> None:
    loopback_vllm.responder = lambda body: Reply.json({"name": body["messages"][-1]["content"]})
    cache = ResponseCache()
    model = model_for(loopback_vllm)
    a1 = asyncio.run(call_structured(model, ask("a"), Name, cache=cache))
    a2 = asyncio.run(call_structured(model, ask("a"), Name, cache=cache))
    b = asyncio.run(call_structured(model, ask("b"), Name, cache=cache))
    assert (a1.cached, a2.cached, b.cached) == (False, True, False)
    assert len(loopback_vllm.requests) == 2
    loopback_vllm.push(Reply(content="bad"), Reply(content="bad"))
    bad = asyncio.run(call_structured(model, ask("c"), Name, cache=cache))
    assert bad.parsed is None
    again = asyncio.run(call_structured(model, ask("c"), Name, cache=cache))
    assert not again.cached and len(loopback_vllm.requests) == 5  # failures are not cached


def test_response_cache_unit(tmp_path: Path) -> None:
    k1 = ResponseCache.key("m", ["s1"], "text", {"a": 1, "b": {"c": 2}})
    k2 = ResponseCache.key("m", ["s1"], "text", {"b": {"c": 2}, "a": 1})
    assert k1 == k2 and len(k1) == 64
    assert k1 != ResponseCache.key("m", ["s2"], "text", {"a": 1, "b": {"c": 2}})
    cache = ResponseCache(str(tmp_path / "sub" / "c.sqlite"))
    assert cache.get(k1) is None
    cache.put(k1, {"content": "x", "usage": {"total_tokens": 3}})
    got = cache.get(k1)
    assert got == {"content": "x", "usage": {"total_tokens": 3}}
    assert got is not None
    got["content"] = "changed"
    assert cache.get(k1) == {"content": "x", "usage": {"total_tokens": 3}}

    def writer(n: int) -> None:
        for i in range(25):
            cache.put(f"{n}-{i}", {"i": i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 101
    cache.close()
    assert json.loads(json.dumps(ResponseCache(str(tmp_path / "sub" / "c.sqlite")).get("3-24"))) \
        == {"i": 24}


# -- the langchain-openai internals the chat model relies on -------------------------------

# ReasoningChatOpenAI's own private helpers; every other private method it defines overrides
# a ChatOpenAI one.
OWN_HELPERS = {"_split_chunk", "_tail_chunk", "_reraise"}


def _upstream(name: str) -> Any:
    """ChatOpenAI's implementation of ``name``, past routers that only take (*args, **kwargs)."""
    for klass in ChatOpenAI.__mro__:
        fn = vars(klass).get(name)
        if fn is None:
            continue
        rest = list(inspect.signature(fn).parameters.values())[1:]
        if rest and all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in rest):
            continue  # e.g. ChatOpenAI._stream, which picks an API and passes everything on
        return fn
    return None


def _signature_problem(ours: Any, theirs: Any) -> str | None:
    """Why ``ours`` can no longer stand in for ``theirs``, or None."""
    if inspect.isasyncgenfunction(ours) != inspect.isasyncgenfunction(theirs) or \
            inspect.iscoroutinefunction(ours) != inspect.iscoroutinefunction(theirs):
        return "it changed between sync, async and generator"
    mine, up = inspect.signature(ours).parameters, inspect.signature(theirs).parameters

    def positional(params: Any) -> list[str]:
        return [n for n, p in params.items() if p.kind in (p.POSITIONAL_ONLY,
                                                           p.POSITIONAL_OR_KEYWORD)]

    def keyword_only(params: Any) -> set[str]:
        return {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}

    def var_keyword(params: Any) -> bool:
        return any(p.kind is p.VAR_KEYWORD for p in params.values())

    if positional(mine) != positional(up):  # both sides pass these by position
        return f"positional parameters {positional(up)}, we rely on {positional(mine)}"
    if not keyword_only(mine) <= keyword_only(up):
        return f"keyword-only {sorted(keyword_only(mine) - keyword_only(up))} are gone"
    if (keyword_only(up) - keyword_only(mine) or var_keyword(up)) and not var_keyword(mine):
        return "it takes more keywords than our override accepts"
    return None


def test_overridden_langchain_openai_internals_still_match() -> None:
    """ReasoningChatOpenAI overrides private ChatOpenAI methods (no public hooks exist): when
    a langchain-openai release drops or reshapes one, fail here, naming it."""
    version = importlib.metadata.version("langchain-openai")
    ours = {name: fn for name, fn in vars(ReasoningChatOpenAI).items()
            if name.startswith("_") and not name.startswith("__")
            and isinstance(fn, FunctionType | staticmethod)}
    assert set(ours) >= OWN_HELPERS, "OWN_HELPERS lists a helper ReasoningChatOpenAI lost"
    overrides = sorted(set(ours) - OWN_HELPERS)
    problems = []
    for name in sorted(OWN_HELPERS):
        if _upstream(name) is not None:
            problems.append(f"ChatOpenAI.{name} now exists: our helper of that name overrides "
                            "it by accident; rename ours")
    for name in overrides:
        theirs = _upstream(name)
        if theirs is None:
            problems.append(f"ChatOpenAI.{name} is gone: agents/llm/chat_model.py overrides "
                            "it (if it is a new helper of ours, add it to OWN_HELPERS)")
            continue
        why = _signature_problem(ours[name], theirs)
        if why:
            problems.append(f"ChatOpenAI.{name}{inspect.signature(theirs)} changed: {why}; "
                            f"re-check the override in agents/llm/chat_model.py")
    assert not problems, (f"langchain-openai {version} no longer fits ReasoningChatOpenAI "
                          "(pinned in pyproject.toml):\n" + "\n".join(problems))


def test_the_http_client_is_built_from_the_sdks_httpx() -> None:
    """openai >= 3 runs on httpx2, older SDKs on httpx: the client we hand it must match."""
    client = async_http_client(5.0)
    assert issubclass(openai.DefaultAsyncHttpxClient, type(client))
    asyncio.run(client.aclose())
