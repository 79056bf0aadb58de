"""Step bookkeeping around every node: a context is always there, and an expert's outcome
(done or failed, seconds, backend) lands in ``step_reports`` without the expert knowing.

A failing expert never takes the run down: its error is recorded against its step and the
steps that depend on it still run with whatever the others produced.

Each step also announces itself on the ``custom`` stream (``{"event": "step", "step", "agent",
"status": "started" | "done" | "failed", ...}``), so a UI shows progress while a long step runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from langgraph.errors import GraphBubbleUp
from langgraph.runtime import Runtime

from agents.context import Context
from agents.models import Models
from agents.records import StepError, StepReport, StepStatus
from tools.common.masking import mask_text

log = logging.getLogger("vlcrew.steps")

NodeFn = Callable[[Any, Runtime[Context]], Awaitable[dict[str, Any]]]
"""A node body: its typed state (``VLState`` or ``StepInput``) and the run-time context."""


def with_context(runtime: Runtime[Context], models: Models | None = None) -> Runtime[Context]:
    """The runtime with default settings (env fallbacks) when the caller passed none, and
    the graph's injected models when the caller's context brings none of its own."""
    ctx = runtime.context if runtime.context is not None else Context()
    if models is not None and ctx.injected_models is None:
        ctx = ctx.using(models)
    return runtime if ctx is runtime.context else runtime.override(context=ctx)


def plain_node(fn: NodeFn, models: Models | None = None
               ) -> Callable[..., Awaitable[dict[str, Any]]]:
    """A non-step node (ingest, planner) that still gets default settings."""

    # The wrapper's state stays a plain dict: LangGraph reads a node's first annotation as
    # its input schema, and the graph's channels must come from VLState alone.
    async def node(state: dict[str, Any], runtime: Runtime[Context]) -> dict[str, Any]:
        return await fn(state, with_context(runtime, models))

    node.__name__ = fn.__name__
    node.__doc__ = fn.__doc__
    return node


def step_node(fn: NodeFn, models: Models | None = None
              ) -> Callable[..., Awaitable[dict[str, Any]]]:
    """An expert node run for one plan step: report its status, contain its failure."""

    async def node(state: dict[str, Any], runtime: Runtime[Context]) -> dict[str, Any]:
        step = state.get("step")
        backend = state.get("backend", "offline")
        started = time.perf_counter()
        progress = {"event": "step", "step": step.id if step else fn.__name__,
                    "agent": fn.__name__}
        runtime.stream_writer({**progress, "status": "started"})
        try:
            update = await fn(state, with_context(runtime, models))
            status: StepStatus = "done"
            message: str | None = None
        except GraphBubbleUp:
            raise  # interrupts and other control flow belong to LangGraph
        except Exception as exc:
            log.exception("step %s (%s) failed", step.id if step else "-", fn.__name__)
            message = mask_text(f"{fn.__name__} failed: {type(exc).__name__}: {exc}")
            update = {"errors": [StepError(step=step.id if step else fn.__name__,
                                           message=message)]}
            status = "failed"
        fallbacks = [e for e in update.get("errors", [])
                     if e.kind == "fallback" and step is not None and e.step == step.id]
        if fallbacks:
            # The model's answer was unusable: the step failed, the offline result stands in.
            status, backend, message = "failed", "offline", "; ".join(e.message for e in fallbacks)
        seconds = time.perf_counter() - started
        if step is not None:
            update["step_reports"] = {step.id: StepReport(
                status=status, backend=backend, seconds=seconds,
                message=message, recovered=bool(fallbacks))}
        runtime.stream_writer({**progress, "status": status, "backend": backend,
                               "seconds": round(seconds, 3), "message": message})
        return update

    node.__name__ = fn.__name__
    node.__doc__ = fn.__doc__
    return node
