"""The async HTTP client handed to the OpenAI SDK: a connection pool per event loop.

It is built from the httpx library the installed SDK runs on: ``httpx2`` (the same API)
for openai >= 3, ``httpx`` before; transports and limits of the other library do not mix.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import weakref
from typing import TYPE_CHECKING, Any

import openai


def _sdk_httpx_name() -> str:
    # First run of digits, so a tag-like "v3.0.0" parses too; unparseable means httpx.
    major = re.match(r"\D*(\d+)", str(getattr(openai, "__version__", "")))
    return "httpx2" if major is not None and int(major.group(1)) >= 3 else "httpx"


if TYPE_CHECKING:
    import httpx as sdk_httpx  # httpx2 mirrors its API; mypy checks against httpx
else:
    sdk_httpx = importlib.import_module(_sdk_httpx_name())


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


def async_http_client(timeout: float) -> sdk_httpx.AsyncClient:
    """An ``AsyncClient`` for the SDK (``http_async_client``), pooled per event loop."""
    # vLLM batches every request in flight (max_num_seqs 256 by default): a smaller pool
    # queues calls here, out of sight (bench/serve_load: 32 fills = 64 OCR+GUI calls at once).
    limits = sdk_httpx.Limits(max_connections=256, max_keepalive_connections=64)
    return sdk_httpx.AsyncClient(transport=_PerLoopTransport(limits), timeout=timeout)
