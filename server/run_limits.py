"""How many runs a server works on at once, and how long one may take (both HTTP APIs).

A run costs CPU (OCR, layout, parsing) and memory for its images, so the servers take at
most ``max_runs`` at a time across the thread API and the OpenAI endpoint: one more is
told to come back later (429 with Retry-After) instead of slowing every other run down.
A run that passes its time budget is stopped and says so; a run's worker threads may
finish their current step, but nothing more of the run happens.
"""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from agents.context import Context
from tools.common.images import SERVER_MAX_PIXELS

T = TypeVar("T")

MAX_RUNS = int(os.environ.get("VLCREW_MAX_RUNS", "4"))
RUN_SECONDS = float(os.environ.get("VLCREW_RUN_SECONDS", "600"))
RETRY_AFTER = "5"


def budget_message(seconds: float) -> str:
    return (f"the run took longer than this server's time budget ({seconds:.0f} s) and was "
            "stopped")


def busy_message(max_runs: int) -> str:
    return (f"the server is busy with {max_runs} runs (its limit); try again in a few "
            "seconds")


@dataclass
class RunLimits:
    """Slots for concurrent runs and the time budget of each (one object per server)."""

    max_runs: int = MAX_RUNS
    seconds: float = RUN_SECONDS
    running: int = field(default=0, init=False)

    def try_take(self) -> bool:
        """Take a slot if one is free (no await between the check and the count: the event
        loop runs one coroutine at a time, so this needs no lock)."""
        if self.running >= self.max_runs:
            return False
        self.running += 1
        return True

    def give_back(self) -> None:
        self.running = max(0, self.running - 1)


def with_server_caps(ctx: Context) -> Context:
    """``ctx`` with the servers' lower image cap (a copy: what the operator's code set beside
    the fields, such as injected models, is kept)."""
    capped = copy.copy(ctx)
    capped.max_image_pixels = min(ctx.max_image_pixels, SERVER_MAX_PIXELS)
    return capped


async def within(items: AsyncIterator[T], seconds: float) -> AsyncIterator[T]:
    """``items`` until they end, or TimeoutError once ``seconds`` have passed.

    Only the wait for the next item is under the timeout, never the consumer's work between
    items (a cancel delivered while the consumer sends a chunk would be nobody's to catch).
    """
    deadline = asyncio.get_running_loop().time() + seconds
    try:
        while True:
            async with asyncio.timeout_at(deadline):
                try:
                    item = await anext(items)
                except StopAsyncIteration:
                    return
            yield item
    finally:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            await aclose()


class ReleasingStream(StreamingResponse):
    """A streamed response that runs ``release`` once it has been sent, or cut off: the
    generator's own ``finally`` never runs if the client leaves before the first chunk."""

    def __init__(self, content: AsyncIterator[str], release: Callable[[], None],
                 **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()
