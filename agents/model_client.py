"""The one way agents talk to the model server (vLLM's OpenAI-compatible API).

- :class:`ReasoningChatOpenAI` is ``langchain_openai.ChatOpenAI`` that keeps Qwen3's
  reasoning (dropped by the base class) in ``additional_kwargs["reasoning_content"]``,
  streamed too, merges per-call ``extra_body`` into the constructor's instead of replacing
  it, and turns transport failures into :class:`ModelError`.
- :func:`build_chat_model` makes one with Qwen3-VL's recommended sampling.
- :func:`image_part` is an image content part at the model-input size, byte-identical on
  every call (prefix caching only hits on identical bytes).
- :func:`call_structured` asks for JSON matching a pydantic schema (vLLM guided decoding),
  parses it leniently, retries once on bad output and never raises for bad model output.

Reasoning budget (vLLM 0.32, checked on a real server): the request field
``thinking_token_budget`` caps the reasoning tokens per request; when it is used up vLLM
forces ``</think>`` and the answer starts. It needs a reasoning parser on the server
(``--reasoning-parser qwen3``), else vLLM answers HTTP 400. Servers that ignore the field
are still bounded: without an explicit ``max_tokens`` the budget also sets
``max_tokens = budget + ANSWER_TOKENS``.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import functools
import io
import json
import os
import threading
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.exceptions import ModelError as _LangChainModelError
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, messages_to_dict
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from langchain_openai._compat import httpx as sdk_httpx  # httpx or httpx2, as openai uses
from PIL import Image
from pydantic import BaseModel, SecretStr, ValidationError

from agents.response_cache import ResponseCache
from tools.common.blobstore import open_image

REASONING_KEY = "reasoning_content"
"""Where the reasoning goes in ``AIMessage.additional_kwargs`` (the DeepSeek/Qwen convention)."""
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_TOKENS = 4096
"""Tokens left for the answer after the reasoning budget, when ``max_tokens`` is not given."""
NO_CONTENT_ERROR = "the model never finished reasoning (no content)"

# Qwen3-VL model cards' recommended sampling (top_k is not an OpenAI field: extra_body).
INSTRUCT_SAMPLING: dict[str, float] = {"temperature": 0.7, "top_p": 0.8, "presence_penalty": 1.5}
THINKING_SAMPLING: dict[str, float] = {"temperature": 0.6, "top_p": 0.95}
TOP_K = 20

__all__ = [
    "ANSWER_TOKENS", "NO_CONTENT_ERROR", "REASONING_KEY", "ModelError", "ReasoningChatOpenAI",
    "ResponseCache", "StructuredReply", "ThinkSplitter", "aimage_part", "build_chat_model",
    "call_structured", "image_part", "json_schema_format", "parse_reply",
    "split_inline_reasoning", "to_model_error",
]


class ModelError(_LangChainModelError):
    """The model server could not be used: unreachable, timed out, or answered an HTTP error.

    Bad *output* (invalid JSON, no content) is never a ModelError; see :func:`call_structured`.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status


# --------------------------------------------------------------------------------------
# Reasoning extraction
# --------------------------------------------------------------------------------------


def _reasoning_field(message: Mapping[str, Any]) -> str:
    """Reasoning a parser put in its own field: ``reasoning`` (vLLM >= 0.15) or older name."""
    for key in ("reasoning", "reasoning_content"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _held_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that could be the start of ``tag``."""
    for n in range(min(len(text), len(tag) - 1), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0


class ThinkSplitter:
    """Splits content that carries reasoning inline (``[<think>]…</think>answer``).

    That is what a server without a reasoning parser sends. Fed piece by piece (streaming)
    or all at once, it gives the same split: text before ``</think>`` is reasoning (an
    optional leading ``<think>`` dropped), whitespace right after ``</think>`` is dropped,
    the rest is content. Tags split across pieces are held back until they are whole.

    ``wait_for_close``: when the text does not start with ``<think>``, hold it until
    ``</think>`` shows up (then it was reasoning) or the text ends (then it was content).
    Use it for Thinking models and for whole texts; an Instruct model never reasons, so
    its stream passes straight through.
    """

    def __init__(self, wait_for_close: bool) -> None:
        self._wait = wait_for_close
        self._state = "start"  # start | think | undecided | content
        self._buf = ""
        self._strip_ws = False

    def parser_seen(self) -> None:
        """The server sent reasoning in its own field, so content is plain content."""
        if self._state in ("start", "undecided") and not self._buf.strip():
            self._state = "content"

    def feed(self, text: str) -> tuple[str, str]:
        """(reasoning, content) that can be released after ``text``."""
        self._buf += text
        reasoning = content = ""
        while True:
            if self._state == "start":
                lead = self._buf.lstrip()
                if not lead:
                    return reasoning, content
                if lead.startswith(THINK_OPEN):
                    self._buf, self._state = lead[len(THINK_OPEN):], "think"
                    continue
                if THINK_OPEN.startswith(lead):
                    return reasoning, content  # maybe a "<thi" that is still coming
                self._state = "undecided" if self._wait else "content"
                continue
            if self._state in ("think", "undecided"):
                end = self._buf.find(THINK_CLOSE)
                if end >= 0:
                    reasoning += self._buf[:end]
                    self._buf = self._buf[end + len(THINK_CLOSE):]
                    self._state, self._strip_ws = "content", True
                    continue
                if self._state == "think":
                    keep = _held_suffix(self._buf, THINK_CLOSE)
                    reasoning += self._buf[:len(self._buf) - keep]
                    self._buf = self._buf[len(self._buf) - keep:]
                return reasoning, content
            # content
            if self._strip_ws:
                self._buf = self._buf.lstrip()
                if not self._buf:
                    return reasoning, content
                self._strip_ws = False
            content += self._buf
            self._buf = ""
            return reasoning, content

    def finish(self) -> tuple[str, str]:
        """What is left at the end: unclosed ``<think>`` text is reasoning, else content."""
        rest, self._buf = self._buf, ""
        if self._state == "think":
            return rest, ""
        return "", "" if self._strip_ws else rest


def split_inline_reasoning(text: str) -> tuple[str, str]:
    """(reasoning, content) of a whole content string that may hold ``…</think>`` inline."""
    splitter = ThinkSplitter(wait_for_close=True)
    r1, c1 = splitter.feed(text)
    r2, c2 = splitter.finish()
    return r1 + r2, c1 + c2


_Msg = TypeVar("_Msg", bound=AIMessage)


def _with_reasoning(message: _Msg, reasoning: str, content: str) -> _Msg:
    kwargs = dict(message.additional_kwargs)
    if reasoning:
        kwargs[REASONING_KEY] = reasoning
    else:
        kwargs.pop(REASONING_KEY, None)
    return message.model_copy(update={"content": content, "additional_kwargs": kwargs})


# --------------------------------------------------------------------------------------
# HTTP: one connection pool per event loop
# --------------------------------------------------------------------------------------


class _PerLoopTransport(sdk_httpx.AsyncBaseTransport):
    """An async transport that keeps one connection pool per event loop.

    Pooled connections belong to the loop that opened them; a model object reused under a
    second ``asyncio.run`` (CLI commands, tests) otherwise fails with "Event loop is closed".
    """

    def __init__(self, limits: Any) -> None:
        self._limits = limits
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def _pool(self) -> Any:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for old in [lp for lp in self._pools if lp.is_closed()]:
                del self._pools[old]  # their sockets died with their loop
            pool = self._pools[loop] = sdk_httpx.AsyncHTTPTransport(limits=self._limits)
        return pool

    async def handle_async_request(self, request: Any) -> Any:
        return await self._pool().handle_async_request(request)

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        pool = self._pools.pop(loop, None)
        if pool is not None:
            await pool.aclose()


# --------------------------------------------------------------------------------------
# The chat model
# --------------------------------------------------------------------------------------


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
                reasoning = _reasoning_field(choice.get("message") or {}) + inline
                if reasoning or content != msg.content:
                    gen = ChatGeneration(message=_with_reasoning(msg, reasoning, content),
                                         generation_info=gen.generation_info)
            generations.append(gen)
        result.generations = generations + list(result.generations[len(generations):])
        return result

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
    def _convert_chunk_to_generation_chunk(
        self, chunk: dict, default_chunk_class: type, base_generation_info: dict | None
    ) -> ChatGenerationChunk | None:
        gen = super()._convert_chunk_to_generation_chunk(
            chunk, default_chunk_class, base_generation_info)
        if gen is None or not isinstance(gen.message, AIMessageChunk):
            return gen
        choices = chunk.get("choices") or (chunk.get("chunk") or {}).get("choices") or []
        if choices:
            reasoning = _reasoning_field(choices[0].get("delta") or {})
            if reasoning:
                gen.message.additional_kwargs[REASONING_KEY] = reasoning
        return gen

    def _get_generation_chunk_from_completion(self, completion: openai.BaseModel
                                              ) -> ChatGenerationChunk:
        # The SDK's structured-output stream ends with the whole completion; its reasoning
        # was already streamed chunk by chunk.
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
        new = _with_reasoning(msg, field_reasoning + inline, content)
        return ChatGenerationChunk(message=new, generation_info=gen.generation_info)

    @staticmethod
    def _tail_chunk(splitter: ThinkSplitter) -> ChatGenerationChunk | None:
        reasoning, content = splitter.finish()
        if not reasoning and not content:
            return None
        kwargs = {REASONING_KEY: reasoning} if reasoning else {}
        return ChatGenerationChunk(message=AIMessageChunk(content=content,
                                                          additional_kwargs=kwargs))

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
        """Raise a :class:`ModelError` for a transport failure; return for anything else."""
        err = to_model_error(exc, self.openai_api_base or "https://api.openai.com/v1",
                             timeout=self.request_timeout, retries=self.max_retries)
        if err is not exc:
            raise err from exc


def _root_cause(exc: BaseException) -> str:
    """The underlying socket/HTTP error under the SDK's generic "Connection error."."""
    cause: BaseException | None = exc
    while isinstance(cause, openai.APIError) and (cause.__cause__ or cause.__context__):
        cause = cause.__cause__ or cause.__context__
    if cause is None or isinstance(cause, openai.APIError):
        return str(exc)
    return f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__


def to_model_error(exc: Exception, url: str, *, timeout: Any = None,
                   retries: int | None = None) -> Exception:
    """Map an openai/httpx/timeout exception to a clear :class:`ModelError`."""
    if isinstance(exc, ModelError):
        return exc
    tried = f" (tried {retries + 1} times)" if retries else ""
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        within = f" within {timeout:g} s" if isinstance(timeout, int | float) else ""
        return ModelError(f"model server at {url} did not answer{within}{tried}", url=url)
    if isinstance(exc, openai.APIConnectionError):
        detail = _root_cause(exc)
        return ModelError(f"model server at {url} is not reachable: {detail}{tried}", url=url)
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else None
        detail = str(message or body or exc.message)
        again = tried if exc.status_code >= 500 or exc.status_code in (408, 409, 429) else ""
        return ModelError(f"model server at {url} answered HTTP {exc.status_code}: "
                          f"{detail}{again}", url=url, status=exc.status_code)
    if isinstance(exc, openai.APIError):
        return ModelError(f"model server at {url} sent an unusable response: {exc}", url=url)
    return exc


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
    errors, 408/409/429 and 5xx. Transport failures raise :class:`ModelError`.
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
    # vLLM batches every request in flight (max_num_seqs 256 by default): a smaller pool
    # queues calls here, out of sight (bench/serve_load: 32 fills = 64 OCR+GUI calls at once).
    limits = sdk_httpx.Limits(max_connections=256, max_keepalive_connections=64)
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
        http_async_client=sdk_httpx.AsyncClient(transport=_PerLoopTransport(limits),
                                                timeout=timeout),
        temperature=sampling["temperature"],
        top_p=sampling["top_p"],
        presence_penalty=sampling.get("presence_penalty"),
    )


# --------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)  # a screenshot's data URI is ~1–3 MB
def _png_data_uri(path: str, size: tuple[int, int], _stamp: tuple[int, int]) -> str:
    image = open_image(path)
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    # Level 1: half the CPU of the default 6 on screenshots for ~2 % more bytes (measured
    # by bench/serve_load on the bank form); the bytes are still the same on every call.
    image.save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


_uri_guard = threading.Lock()
_uri_locks: dict[tuple[Any, ...], list[Any]] = {}  # key -> [lock, waiters]


def _png_data_uri_once(key: tuple[str, tuple[int, int], tuple[int, int]]) -> str:
    """``_png_data_uri(*key)``, encoded by one thread per key: the OCR and GUI experts ask
    for the same image at the same moment from worker threads; the second waits for the
    first's (cached) result instead of encoding it again."""
    with _uri_guard:
        entry = _uri_locks.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            return _png_data_uri(*key)
    finally:
        with _uri_guard:
            entry[1] -= 1
            if not entry[1]:
                del _uri_locks[key]


def image_part(path: str, size: tuple[int, int]) -> dict[str, Any]:
    """An ``image_url`` content part: the stored image resized (LANCZOS) to ``size`` as PNG.

    Cached per (path, size, file version), so the same bytes go out on every call and
    the server's prefix cache hits across experts. The first call for an image decodes,
    resizes and encodes it (tens of ms of CPU): async code should use
    :func:`aimage_part`, which does that in a worker thread.
    """
    width, height = int(size[0]), int(size[1])
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {size}")
    st = os.stat(path)
    url = _png_data_uri_once((os.path.abspath(path), (width, height),
                              (st.st_mtime_ns, st.st_size)))
    return {"type": "image_url", "image_url": {"url": url}}


async def aimage_part(path: str, size: tuple[int, int]) -> dict[str, Any]:
    """:func:`image_part` off the event loop, so concurrent requests are not held up."""
    return await asyncio.to_thread(image_part, path, size)


# --------------------------------------------------------------------------------------
# Structured output
# --------------------------------------------------------------------------------------


SchemaT = TypeVar("SchemaT", bound=BaseModel)


@dataclass
class StructuredReply(Generic[SchemaT]):
    """What :func:`call_structured` got: a parsed object, or why not."""

    parsed: SchemaT | None
    reasoning: str
    content: str | None
    error: str | None
    attempts: int
    """Requests sent (0 when the answer came from the cache)."""
    usage: dict[str, int] = field(default_factory=dict)
    """prompt_tokens, completion_tokens, reasoning_tokens, total_tokens over all attempts."""
    cached: bool = False


def _closed_objects(node: Any) -> Any:
    """The schema with ``additionalProperties: false`` on every object that lists properties."""
    if isinstance(node, dict):
        out = {k: _closed_objects(v) for k, v in node.items()}
        if (out.get("type") == "object" and "properties" in out
                and "additionalProperties" not in out):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed_objects(v) for v in node]
    return node


@functools.lru_cache(maxsize=256)
def _schema_format(schema: type[BaseModel]) -> str:
    return json.dumps({"type": "json_schema", "json_schema": {
        "name": schema.__name__, "schema": _closed_objects(schema.model_json_schema()),
        "strict": True}})


def json_schema_format(schema: type[BaseModel]) -> dict[str, Any]:
    """The ``response_format`` for ``schema``: what ``with_structured_output(schema,
    method="json_schema")`` sends (pydantic's JSON schema, objects closed, strict)."""
    return json.loads(_schema_format(schema))  # type: ignore[no-any-return]


def _strip_fences(text: str) -> str:
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()


def parse_reply(content: str | None, reasoning: str, schema: type[SchemaT],
                finish_reason: str | None = None) -> tuple[SchemaT | None, str | None]:
    """(parsed, None) or (None, why not) for one answer's content."""
    if not content or not content.strip():
        return None, NO_CONTENT_ERROR if reasoning else "the model returned no content"
    cut = " (cut off at max_tokens)" if finish_reason == "length" else ""
    try:
        # strict=False: xgrammar lets raw control characters into JSON strings.
        data = json.loads(_strip_fences(content), strict=False)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON{cut}: {exc.msg} at char {exc.pos}"
    try:
        return schema.model_validate(data), None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()[:3])
        more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        return None, f"JSON does not match {schema.__name__}{cut}: {problems}{more}"


def _usage_of(message: BaseMessage) -> dict[str, int]:
    meta = getattr(message, "usage_metadata", None) or {}
    details = meta.get("output_token_details") or {}
    return {"prompt_tokens": int(meta.get("input_tokens") or 0),
            "completion_tokens": int(meta.get("output_tokens") or 0),
            "reasoning_tokens": int(details.get("reasoning") or 0),
            "total_tokens": int(meta.get("total_tokens") or 0)}


def _add_usage(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    return {k: total.get(k, 0) + more.get(k, 0) for k in set(total) | set(more)}


def _auto_cache_key(model: Any, messages: Sequence[BaseMessage],
                    schema: type[BaseModel]) -> str:
    settings = {name: getattr(model, name, None) for name in (
        "temperature", "top_p", "presence_penalty", "max_tokens", "seed", "extra_body")}
    settings["schema"] = json_schema_format(schema)
    text = json.dumps(messages_to_dict(list(messages)), sort_keys=True, default=str)
    return ResponseCache.key(str(getattr(model, "model_name", "")), [], text, settings)


async def call_structured(
    model: Any,
    messages: Sequence[BaseMessage],
    schema: type[SchemaT],
    *,
    retries: int = 1,
    cache: ResponseCache | None = None,
    cache_key: str | None = None,
) -> StructuredReply[SchemaT]:
    """Ask ``model`` for JSON matching ``schema`` (vLLM guided decoding) and parse it.

    Sends ``response_format={"type": "json_schema", ...}``; retries ``retries`` times on
    invalid, truncated or mismatching JSON and on ``content: null`` (reasoning that never
    ended), with a different seed when the model has one. Bad output never raises: the
    reply then has ``parsed=None`` and ``error`` set. Transport failures raise
    :class:`ModelError`. With ``cache``, a previous good answer under ``cache_key`` (or a
    key derived from the model settings, messages and schema) is used without a request.
    """
    if cache is not None and cache_key is None:
        cache_key = _auto_cache_key(model, messages, schema)
    if cache is not None and cache_key is not None:
        hit = cache.get(cache_key)
        if hit is not None:
            parsed, _ = parse_reply(hit.get("content"), hit.get("reasoning", ""), schema)
            if parsed is not None:  # a hit for another schema is a miss
                return StructuredReply(parsed=parsed, reasoning=hit.get("reasoning", ""),
                                       content=hit.get("content"), error=None, attempts=0,
                                       usage=dict(hit.get("usage") or {}), cached=True)

    bound = model.bind(response_format=json_schema_format(schema))
    seed = getattr(model, "seed", None)
    url = str(getattr(model, "openai_api_base", None) or "the model server")
    usage: dict[str, int] = {}
    reasoning, content, error = "", None, None
    for attempt in range(1 + max(0, retries)):
        runnable = bound.bind(seed=seed + attempt) if attempt and isinstance(seed, int) else bound
        try:
            message = await runnable.ainvoke(list(messages))
        except Exception as exc:
            err = to_model_error(exc, url)
            if err is exc:
                raise
            raise err from exc
        this_usage = _usage_of(message)
        usage = _add_usage(usage, this_usage)
        reasoning = str(message.additional_kwargs.get(REASONING_KEY) or "")
        content = message.content if isinstance(message.content, str) else None
        finish = message.response_metadata.get("finish_reason")
        parsed, error = parse_reply(content, reasoning, schema, finish)
        if parsed is not None:
            if cache is not None and cache_key is not None:
                cache.put(cache_key, {"content": content, "reasoning": reasoning,
                                      "usage": this_usage})
            return StructuredReply(parsed=parsed, reasoning=reasoning, content=content,
                                   error=None, attempts=attempt + 1, usage=usage)
    return StructuredReply(parsed=None, reasoning=reasoning, content=content or None,
                           error=error, attempts=1 + max(0, retries), usage=usage)
