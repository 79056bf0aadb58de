"""Routing: who runs next. Only reads the state; never calls a node."""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END
from langgraph.types import Send

from agents.records import Step
from agents.state import VLState

GATED_TASKS = ("form_fill", "update")
"""Tasks whose answer commits values (a script, later an executor): approval comes first."""


def after_ingest(state: VLState) -> Literal["planner", "feedback"]:
    """A fatal input error skips planning: feedback reports it."""
    if any(e.fatal for e in state.get("errors", [])):
        return "feedback"
    return "planner"


MAX_REPLANS = 1


def needs_replan(state: VLState) -> bool:
    """A step failed with nothing standing in for it, under the model, not yet re-planned."""
    reports = state.get("step_reports", {})
    return (state.get("backend") == "vllm" and state.get("replans", 0) < MAX_REPLANS
            and any(r.status == "failed" and not r.recovered for r in reports.values()))


def needs_approval(state: VLState, ready: list[Step]) -> bool:
    """Feedback is about to commit this turn's fields and the user has not had a say yet."""
    plan = state.get("plan")
    return (plan is not None and plan.task in GATED_TASKS and state.get("approval") is None
            and any(s.agent == "feedback" for s in ready)
            and not any(e.fatal for e in state.get("errors", [])))


def dispatch_ready(state: VLState) -> list[Send] | str:
    """Send every step whose dependencies have ended (in parallel); END when none is left.

    A dependency that failed still counts as ended: the dependent step runs with what the
    other steps produced, so one failure never loses the rest of the work. Under the model,
    a failure with no offline stand-in sends the run back to the planner once to re-plan.
    Before feedback commits a form's fields, the run passes the approval gate once.
    """
    plan = state.get("plan")
    if plan is None:
        return END
    if needs_replan(state):
        return "planner"
    ended = set(state.get("step_reports", {}))
    ready = [s for s in plan.steps
             if s.id not in ended and all(d in ended for d in s.depends_on)]
    if not ready:
        return END
    if needs_approval(state, ready):
        return "approval"
    # Experts never read the chat (ingest extracted what they need); leaving it out keeps
    # the base64 screenshots out of every Send that a checkpoint stores.
    payload = {k: v for k, v in state.items() if k != "messages"}
    return [Send(s.agent, {**payload, "step": s}) for s in ready]
