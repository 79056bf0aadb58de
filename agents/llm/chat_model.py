"""The chat model for vLLM serving Qwen3(-VL): ``ChatOpenAI`` that keeps the reasoning.

- :class:`ReasoningChatOpenAI` keeps Qwen3's reasoning (dropped by the base class) in
  ``additional_kwargs["reasoning_content"]``, streamed too, merges per-call ``extra_body``
  into the constructor's instead of replacing it, and turns transport failures into
  :class:`~agents.llm.errors.ModelError`.
- :func:`build_chat_model` makes one with Qwen3-VL's recommended sampling.

Reasoning budget (vLLM 0.32, checked on a real server): the request field
``thinking_token_budget`` caps the reasoning tokens per request; when it is used up vLLM
forces ``</think>`` and the answer starts. It needs a reasoning parser on the server
(``--reasoning-parser qwen3``), else vLLM answers HTTP 400. Servers that ignore the field
are still bounded: without an explicit ``max_tokens`` the budget also sets
``max_tokens = budget + ANSWER_TOKENS``.

langchain-openai has no public hook for any of this, so the class overrides private
``ChatOpenAI`` methods (each says why). pyproject.toml pins the langchain-openai minor
versions this was checked against, and test_model_client.py fails, naming the method, when
an overridden method disappears or changes its signature.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from agents.llm.errors import to_model_error
from agents.llm.reasoning import (
    REASONING_KEY,
    ThinkSplitter,
    reasoning_field,
    split_inline_reasoning,
    with_reasoning,
)
from agents.llm.transport import async_http_client

ANSWER_TOKENS = 4096
"""Tokens left for the answer after the reasoning budget, when ``max_tokens`` is not given."""

# Qwen3-VL model cards' recommended sampling (top_k is not an OpenAI field: extra_body).
INSTRUCT_SAMPLING: dict[str, float] = {"temperature": 0.7, "top_p": 0.8, "presence_penalty": 1.5}
THINKING_SAMPLING: dict[str, float] = {"temperature": 0.6, "top_p": 0.95}
TOP_K = 20


def _deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``; nested dicts are merged, not replaced."""
    out = copy.deepcopy(dict(base))
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class ReasoningChatOpenAI(ChatOpenAI):
    """``ChatOpenAI`` for vLLM serving Qwen3(-VL): keeps reasoning, merges ``extra_body``.

    Reasoning comes from ``message.reasoning`` (vLLM >= 0.15), ``message.reasoning_content``
    (older) or inline before ``</think>`` in the content (no reasoning parser); it ends up
    in ``additional_kwargs["reasoning_content"]`` of the message (of every chunk when
    streaming) and out of the content. ``content: null`` becomes ``""``.
    """

    thinking: bool = False
    """A Thinking model with thinking on: inline reasoning may come without ``<think>``."""

    # -- request ------------------------------------------------------------------------
    # No public hook: the base class builds the body as {**defaults, **call kwargs}, so the
    # merge and the response_format move below can only happen here.
    def _get_request_payload(
        self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        # The base class lets a per-call extra_body replace the constructor's (losing top_k,
        # chat_template_kwargs, the thinking budget): merge them instead.
        extra = _deep_merge(self.extra_body or {}, kwargs.pop("extra_body", None) or {})
        if isinstance(kwargs.get("response_format"), Mapping):
            # A JSON-schema dict goes in the body as is, but via extra_body: with a top-level
            # response_format the base class calls the SDK's .parse(), which raises on
            # finish_reason="length" and hides the raw content we want to report on.
            extra["response_format"] = kwargs.pop("response_format")
        if extra:
            kwargs["extra_body"] = extra
        return super()._get_request_payload(input_, stop=stop, **kwargs)

    # -- non-streaming ------------------------------------------------------------------
    # No public hook: this is the only place the raw response is seen before the base class
    # turns it into a message, dropping non-OpenAI fields such as the reasoning
    # (langchain-openai's provider packages override the same method for the same reason).
    def _create_chat_result(
        self, response: dict | openai.BaseModel, generation_info: dict | None = None
    ) -> ChatResult:
        result = super()._create_chat_result(response, generation_info)
        raw = response if isinstance(response, dict) else response.model_dump(
            exclude={"choices": {"__all__": {"message": {"parsed"}}}}, warnings=False)
        choices = raw.get("choices") or []
        generations: list[ChatGeneration] = []
        for gen, choice in zip(result.generations, choices, strict=False):
            msg = gen.message
            if isinstance(msg, AIMessage) and isinstance(msg.content, str):
                inline, content = split_inline_reasoning(msg.content)
                reasoning = reasoning_field(choice.get("message") or {}) + inline
                if reasoning or content != msg.content:
                    gen = ChatGeneration(message=with_reasoning(msg, reasoning, content),
                                         generation_info=gen.generation_info)
            generations.append(gen)
        result.generations = generations + list(result.generations[len(generations):])
        return result

    # _generate/_agenerate/_stream/_astream are langchain-core's extension points for chat
    # models; there is no hook that replaces the exception a call raises, so they are
    # wrapped to raise ModelError.
    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        try:
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        except Exception as exc:
            self._reraise(exc)
            raise

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        try:
            return await super()._agenerate(messages, stop=stop, run_manager=run_manager,
                                            **kwargs)
        except Exception as exc:
            self._reraise(exc)
            raise

    # -- streaming ----------------------------------------------------------------------
    # No public hook: the raw delta (with its reasoning field) is only seen here.
    def _convert_chunk_to_generation_chunk(
        self, chunk: dict, default_chunk_class: type, base_generation_info: dict | None
    ) -> ChatGenerationChunk | None:
        gen = super()._convert_chunk_to_generation_chunk(
            chunk, default_chunk_class, base_generation_info)
        if gen is None or not isinstance(gen.message, AIMessageChunk):
            return gen
        choices = chunk.get("choices") or (chunk.get("chunk") or {}).get("choices") or []
        if choices:
            reasoning = reasoning_field(choices[0].get("delta") or {})
            if reasoning:
                gen.message.additional_kwargs[REASONING_KEY] = reasoning
        return gen

    # No public hook: the SDK's structured-output stream ends with the whole completion,
    # which the base class turns into a last chunk through _create_chat_result; its
    # reasoning was already streamed chunk by chunk and must not come a second time.
    def _get_generation_chunk_from_completion(self, completion: openai.BaseModel
                                              ) -> ChatGenerationChunk:
        gen = super()._get_generation_chunk_from_completion(completion)
        gen.message.additional_kwargs.pop(REASONING_KEY, None)
        return gen

    def _split_chunk(self, gen: ChatGenerationChunk, splitter: ThinkSplitter
                     ) -> ChatGenerationChunk:
        msg = gen.message
        if not isinstance(msg, AIMessageChunk) or not isinstance(msg.content, str):
            return gen
        field_reasoning = msg.additional_kwargs.get(REASONING_KEY) or ""
        if field_reasoning:
            splitter.parser_seen()
        inline, content = splitter.feed(msg.content)
        if not inline and content == msg.content:
            return gen
        new = with_reasoning(msg, field_reasoning + inline, content)
        return ChatGenerationChunk(message=new, generation_info=gen.generation_info)

    @staticmethod
    def _tail_chunk(splitter: ThinkSplitter) -> ChatGenerationChunk | None:
        reasoning, content = splitter.finish()
        if not reasoning and not content:
            return None
        kwargs = {REASONING_KEY: reasoning} if reasoning else {}
        return ChatGenerationChunk(message=AIMessageChunk(content=content,
                                                          additional_kwargs=kwargs))

    # Overridden (not only wrapped) because inline <think> splitting needs state that spans
    # the whole stream, and callbacks must see the split chunks.
    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        splitter = ThinkSplitter(wait_for_close=self.thinking)
        try:
            # run_manager=None: callbacks (LangGraph's "messages" stream) must see the split
            # chunks, so they are reported here rather than by the base class.
            for gen in super()._stream(messages, stop, None, **kwargs):
                out = self._split_chunk(gen, splitter)
                if run_manager:
                    run_manager.on_llm_new_token(out.text, chunk=out)
                yield out
        except Exception as exc:
            self._reraise(exc)
            raise
        tail = self._tail_chunk(splitter)
        if tail is not None:
            if run_manager:
                run_manager.on_llm_new_token(tail.text, chunk=tail)
            yield tail

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        splitter = ThinkSplitter(wait_for_close=self.thinking)
        try:
            async for gen in super()._astream(messages, stop, None, **kwargs):
                out = self._split_chunk(gen, splitter)
                if run_manager:
                    await run_manager.on_llm_new_token(out.text, chunk=out)
                yield out
        except Exception as exc:
            self._reraise(exc)
            raise
        tail = self._tail_chunk(splitter)
        if tail is not None:
            if run_manager:
                await run_manager.on_llm_new_token(tail.text, chunk=tail)
            yield tail

    # -- errors -------------------------------------------------------------------------
    def _reraise(self, exc: Exception) -> None:
        """Raise a ModelError for a transport failure; return for anything else."""
        err = to_model_error(exc, self.openai_api_base or "https://api.openai.com/v1",
                             timeout=self.request_timeout, retries=self.max_retries)
        if err is not exc:
            raise err from exc


def build_chat_model(
    *,
    base_url: str,
    api_key: str,
    model: str,
    thinking: bool,
    timeout: float = 60.0,
    max_retries: int = 2,
    max_tokens: int | None = None,
    reasoning_budget: int | None = None,
    seed: int | None = None,
    disable_thinking: bool = False,
) -> ReasoningChatOpenAI:
    """A chat model for a Qwen3-VL server with the model card's recommended sampling.

    ``thinking``: a Thinking model (temperature 0.6, top_p 0.95, top_k 20); else Instruct
    (temperature 0.7, top_p 0.8, top_k 20, presence_penalty 1.5).
    ``disable_thinking``: send ``chat_template_kwargs.enable_thinking=false`` (for a
    hybrid/Thinking model served as an expert; Instruct models have no such switch, so it
    is off by default). ``reasoning_budget``: reasoning-token cap per request (vLLM's
    ``thinking_token_budget``; see the module docstring); ignored when not thinking.
    ``max_retries``: the openai client's retries (exponential back-off) on connection
    errors, 408/409/429 and 5xx. Transport failures raise
    :class:`~agents.llm.errors.ModelError`.
    """
    if thinking and disable_thinking:
        raise ValueError("thinking=True and disable_thinking=True contradict each other")
    if reasoning_budget is not None and reasoning_budget < 0:
        raise ValueError(f"reasoning_budget must be >= 0, got {reasoning_budget}")
    sampling = THINKING_SAMPLING if thinking else INSTRUCT_SAMPLING
    extra_body: dict[str, Any] = {"top_k": TOP_K}
    if disable_thinking:
        extra_body["chat_template_kwargs"] = {"enable_thinking": False}
    if thinking and reasoning_budget is not None:
        extra_body["thinking_token_budget"] = reasoning_budget
        if max_tokens is None:
            max_tokens = reasoning_budget + ANSWER_TOKENS
    return ReasoningChatOpenAI(
        model=model,
        base_url=base_url,
        # vLLM without --api-key takes any key, but the SDK insists on one.
        api_key=SecretStr(api_key or "EMPTY"),
        timeout=timeout,
        max_retries=max_retries,
        max_completion_tokens=max_tokens,
        seed=seed,
        extra_body=extra_body,
        stream_usage=True,
        use_responses_api=False,
        thinking=thinking,
        http_async_client=async_http_client(timeout),
        temperature=sampling["temperature"],
        top_p=sampling["top_p"],
        presence_penalty=sampling.get("presence_penalty"),
    )
