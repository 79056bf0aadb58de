"""JSON replies matching a pydantic schema (vLLM guided decoding), parsed leniently.

:func:`call_structured` retries once on bad output and never raises for it: the reply then
says why. Only transport failures raise (:class:`~agents.llm.errors.ModelError`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from langchain_core.messages import BaseMessage, messages_to_dict
from pydantic import BaseModel, ValidationError

from agents.llm.errors import to_model_error
from agents.llm.reasoning import REASONING_KEY
from agents.response_cache import ResponseCache

NO_CONTENT_ERROR = "the model never finished reasoning (no content)"

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
    :class:`~agents.llm.errors.ModelError`. With ``cache``, a previous good answer under
    ``cache_key`` (or a key derived from the model settings, messages and schema) is used
    without a request.
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
