"""Transport failures of the model server (openai/httpx/timeouts) as one clear ModelError."""

from __future__ import annotations

from typing import Any

import openai
from langchain_core.exceptions import ModelError as _LangChainModelError


class ModelError(_LangChainModelError):
    """The model server could not be used: unreachable, timed out, or answered an HTTP error.

    Bad *output* (invalid JSON, no content) is never a ModelError; see
    :func:`agents.llm.structured.call_structured`.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status


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
