"""The model client against a REAL vLLM server (tiny random Qwen3-VL; see tests/realvllm/).

Skipped unless ``VLCREW_REALVLLM_URL`` is set (``http://127.0.0.1:PORT`` or ``…/v1``); the
CI script starts the server (tests/realvllm/serve.sh) and sets it. ``VLCREW_REALVLLM_MODEL_DIR``
(optional) is the model directory, for the tokenizer; else ids come from ``/tokenize``.

The model is random, so answers are nonsense: the tests check the protocol (where the
reasoning arrives, what is accepted, how failures read), steering the model with
``logit_bias`` on the ``</think>`` / ``<tool_call>`` token ids where a shape is needed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from PIL import Image, ImageDraw
from pydantic import BaseModel, Field

from agents.llm.chat_model import ReasoningChatOpenAI, build_chat_model
from agents.llm.errors import ModelError
from agents.llm.image_parts import image_part
from agents.llm.structured import NO_CONTENT_ERROR, call_structured

URL = os.environ.get("VLCREW_REALVLLM_URL", "").rstrip("/").removesuffix("/v1")
MODEL_DIR = os.environ.get("VLCREW_REALVLLM_MODEL_DIR", "")

pytestmark = [
    pytest.mark.realvllm,
    pytest.mark.skipif(not URL, reason="VLCREW_REALVLLM_URL is not set: no real vLLM server "
                                       "(start one with tests/realvllm/serve.sh)"),
]

# Errors a random model may legitimately produce; anything else is a client bug.
OUTPUT_ERRORS = (NO_CONTENT_ERROR, "invalid JSON", "JSON does not match", "the model returned")


class Field1(BaseModel):
    """Bounded, so guided decoding keeps even a random model's output short and valid."""

    label: str = Field(max_length=12)
    x: int = Field(ge=0, le=1000)


class Reading(BaseModel):
    fields: list[Field1] = Field(max_length=2)


@pytest.fixture(scope="module")
def server() -> dict[str, Any]:
    """Model name and the special-token ids of the running server."""
    models = httpx.get(f"{URL}/v1/models", timeout=10).json()
    name = models["data"][0]["id"]

    def token_id(text: str) -> int:
        tokenizer = Path(MODEL_DIR) / "tokenizer.json"
        if MODEL_DIR and tokenizer.exists():
            # Added tokens are listed by content in tokenizer.json: no tokenizer library needed.
            added = json.loads(tokenizer.read_text())["added_tokens"]
            ids = [t["id"] for t in added if t["content"] == text]
        else:
            ids = httpx.post(f"{URL}/tokenize", json={"model": name, "prompt": text,
                                                      "add_special_tokens": False},
                             timeout=10).json()["tokens"]
        assert len(ids) == 1, f"{text} is not one token: {ids}"
        return int(ids[0])

    return {"model": name, "think_end": token_id("</think>"), "tool_call": token_id("<tool_call>")}


def make(server: dict[str, Any], *, thinking: bool, **kw: Any) -> ReasoningChatOpenAI:
    kw.setdefault("timeout", 60.0)
    kw.setdefault("max_retries", 0)
    kw.setdefault("seed", 1)
    return build_chat_model(base_url=f"{URL}/v1", api_key="", model=server["model"],
                            thinking=thinking, **kw)


def bias(server: dict[str, Any], *, close: int) -> dict[str, Any]:
    """logit_bias: ``close`` on ``</think>``; ``<tool_call>`` banned (it also ends reasoning
    for the qwen3 parser, and xgrammar then rejects it: HTTP 500 on vLLM 0.32)."""
    return {"logit_bias": {str(server["think_end"]): close, str(server["tool_call"]): -100}}


@pytest.fixture
def screenshot(tmp_path: Path) -> str:
    path = tmp_path / "form.png"
    img = Image.new("RGB", (400, 260), "white")
    draw = ImageDraw.Draw(img)
    draw.text((20, 30), "Name", fill="black")
    draw.rectangle((90, 25, 360, 50), outline="black")
    img.save(path)
    return str(path)


def image_messages(path: str, instruction: str, n: int = 1) -> list[BaseMessage]:
    parts: list[str | dict[Any, Any]] = [image_part(path, (224, 160)) for _ in range(n)]
    parts.append({"type": "text", "text": instruction})
    return [SystemMessage(content="You read forms."), HumanMessage(content=parts)]


def test_call_structured_with_an_image(server: dict[str, Any], screenshot: str) -> None:
    model = make(server, thinking=True, reasoning_budget=8, max_tokens=160)
    model = model.bind(**bias(server, close=-100))  # type: ignore[assignment]
    reply = asyncio.run(call_structured(model, image_messages(screenshot, "List the fields."),
                                        Reading))
    assert reply.attempts in (1, 2)
    if reply.parsed is None:
        assert reply.error is not None and reply.error.startswith(OUTPUT_ERRORS), reply.error
    else:
        assert isinstance(reply.parsed, Reading) and reply.error is None
    # The budget forced </think> although the bias forbade it: reasoning, then content.
    assert reply.reasoning
    assert reply.content
    assert 0 < reply.usage["reasoning_tokens"] <= 8 * reply.attempts
    assert reply.usage["prompt_tokens"] > 0


CLOSE_BIAS = 1
"""+1 on ``</think>``: the random model closes its reasoning after a few tokens (0: it
never does in 48 tokens; +5 or more: it emits nothing but ``</think>``, which the qwen3
parser drops, so ``reasoning`` and ``content`` are both null)."""
THINK_PROMPT = [HumanMessage(content="Think, then answer.")]


@pytest.fixture(scope="module")
def closing_seed(server: dict[str, Any]) -> int:
    """A seed for which some reasoning (>= 4 tokens) and content both arrive (the model is
    random; the search is deterministic for one server build)."""

    async def find() -> int:
        for seed in range(1, 41):
            model = make(server, thinking=True, max_tokens=48, seed=seed)
            msg = await model.bind(**bias(server, close=CLOSE_BIAS)).ainvoke(THINK_PROMPT)
            usage: dict[str, Any] = dict(msg.usage_metadata or {})
            thought = usage.get("output_token_details", {}).get("reasoning", 0)
            if thought >= 4 and msg.additional_kwargs.get("reasoning_content") and msg.content:
                return seed
        raise AssertionError("no seed in 1..40 gave reasoning and content")

    return asyncio.run(find())


def test_reasoning_field_with_logit_bias(server: dict[str, Any], closing_seed: int) -> None:
    model = make(server, thinking=True, max_tokens=48, seed=closing_seed)
    msg = asyncio.run(model.bind(**bias(server, close=CLOSE_BIAS)).ainvoke(THINK_PROMPT))
    assert msg.additional_kwargs.get("reasoning_content"), "vLLM 0.32 sends message.reasoning"
    assert isinstance(msg.content, str) and msg.content
    assert "</think>" not in msg.content
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["output_token_details"].get("reasoning", 0) > 0


def test_content_none_when_thinking_never_ends(server: dict[str, Any]) -> None:
    model = make(server, thinking=True, max_tokens=24).bind(**bias(server, close=-100))
    msg = asyncio.run(model.ainvoke([HumanMessage(content="Think.")]))
    assert msg.content == ""
    assert msg.additional_kwargs["reasoning_content"]
    reply = asyncio.run(call_structured(model, [HumanMessage(content="Think.")], Reading))
    assert reply.parsed is None and reply.error == NO_CONTENT_ERROR
    assert reply.content is None and reply.reasoning and reply.attempts == 2


def test_streaming_reasoning_chunks(server: dict[str, Any], closing_seed: int) -> None:
    model = make(server, thinking=True, max_tokens=48, seed=closing_seed)
    model = model.bind(**bias(server, close=CLOSE_BIAS))  # type: ignore[assignment]
    messages = THINK_PROMPT

    async def both() -> tuple[list[AIMessageChunk], Any]:
        chunks = [c async for c in model.astream(messages)]
        return chunks, await model.ainvoke(messages)

    chunks, whole = asyncio.run(both())
    with_reasoning = [c for c in chunks if c.additional_kwargs.get("reasoning_content")]
    assert len(with_reasoning) >= 2  # token by token, not one block at the end
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    # Same seed, same request: streaming splits exactly like the non-streaming answer.
    assert total.additional_kwargs["reasoning_content"] == whole.additional_kwargs[
        "reasoning_content"]
    # vLLM 0.32 quirk: streamed content keeps special tokens the random model emits after
    # reasoning ended (more "</think>", "<|video_pad|>"); non-streamed content skips them.
    assert re.sub(r"</think>|<\|[a-z_]+\|>", "", str(total.content)) == whole.content
    assert total.usage_metadata is not None and total.usage_metadata["output_tokens"] == 48


def test_disable_thinking(server: dict[str, Any]) -> None:
    model = make(server, thinking=False, disable_thinking=True, max_tokens=24)
    msg = asyncio.run(model.bind(**bias(server, close=0)).ainvoke(
        [HumanMessage(content="Answer.")], extra_body={"repetition_penalty": 1.0}))
    assert "reasoning_content" not in msg.additional_kwargs
    assert msg.content
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["output_token_details"].get("reasoning", 0) == 0


def test_thinking_token_budget_is_honoured(server: dict[str, Any]) -> None:
    """vLLM 0.32 has a per-request reasoning budget: ``thinking_token_budget``."""
    model = make(server, thinking=True, reasoning_budget=5, max_tokens=40)
    msg = asyncio.run(model.bind(**bias(server, close=-100)).ainvoke(
        [HumanMessage(content="Think.")]))
    assert msg.usage_metadata is not None
    reasoning_tokens = msg.usage_metadata["output_token_details"].get("reasoning", 0)
    assert 0 < reasoning_tokens <= 5
    assert msg.content  # the forced </think> let the answer start


def test_too_many_images_is_a_clear_error(server: dict[str, Any], screenshot: str) -> None:
    model = make(server, thinking=False, disable_thinking=True, max_tokens=4)
    with pytest.raises(ModelError) as info:
        asyncio.run(model.ainvoke(image_messages(screenshot, "Read.", n=3)))
    assert info.value.status == 400
    assert "At most 2 image(s) may be provided" in str(info.value)
    assert f"{URL}/v1" in str(info.value)


def test_eight_concurrent_calls(server: dict[str, Any], screenshot: str) -> None:
    model = make(server, thinking=False, disable_thinking=True, max_tokens=96)
    model = model.bind(**bias(server, close=0))  # type: ignore[assignment]

    async def eight() -> list[Any]:
        return await asyncio.gather(*(
            call_structured(model, image_messages(screenshot, f"Field {i}?"), Reading)
            for i in range(8)))

    start = time.monotonic()
    replies = asyncio.run(eight())
    elapsed = time.monotonic() - start
    assert len(replies) == 8
    for r in replies:
        assert r.parsed is not None or (r.error or "").startswith(OUTPUT_ERRORS), r.error
    assert elapsed < 60, elapsed
    print(f"8 concurrent structured calls: {elapsed:.2f} s, "
          f"{sum(r.parsed is not None for r in replies)} parsed; "
          f"sample: {json.dumps(replies[0].content)[:80]}")
