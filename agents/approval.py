"""Approval node: the user's say before anything is committed (the answer, a script, a run).

With ``approve="auto"`` it records an automatic approval and moves on. With ``"ask"`` it
stops the run with ``interrupt()`` and shows the fields it is about to use; the run resumes
with the user's verdict: ``{"action": "accept"}``, ``{"action": "edit", "values": {label:
value}}`` or ``{"action": "reject", "reason": "..."}``. Edited values are validated again;
while one fails, the user is asked again (a few rounds at most), with the problems shown.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.chat import writes_chinese
from agents.context import Context
from agents.messages import say
from agents.records import Approval
from agents.state import VLState
from tools.common.masking import mask_value
from tools.common.schema import FilledField, ImageRef
from tools.forms.edits import apply_edits

log = logging.getLogger(__name__)

MAX_ROUNDS = 3
ACTIONS = ("accept", "edit", "reject")


def approval_request(fields: list[FilledField], missing: list[str], images: list[ImageRef],
                     problems: list[str], zh: bool) -> dict[str, Any]:
    """What the interrupt shows: the fields about to be used and what is still wrong."""
    return {"kind": "approval", "question": say("approval.question", zh),
            "fields": [f.model_dump(mode="json") for f in fields], "missing": list(missing),
            "problems": list(problems), "actions": list(ACTIONS),
            "images": [{"id": i.id, "width": i.width, "height": i.height} for i in images]}


def parse_verdict(reply: Any) -> tuple[str, dict[str, str], str | None]:
    """(action, edits, reason) from a resume value; an unknown action is ``"invalid"``."""
    if isinstance(reply, str):
        reply = {"action": reply}
    if not isinstance(reply, dict):
        return "invalid", {}, None
    action = str(reply.get("action", "")).strip().lower()
    values = reply.get("values") or {}
    if action not in ACTIONS or not isinstance(values, dict):
        return "invalid", {}, None
    reason = reply.get("reason")
    return action, {str(k): str(v) for k, v in values.items()}, reason and str(reason)


async def approval(state: VLState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Record the user's verdict on the fields (asking when approve is "ask")."""
    ctx = runtime.context
    fields: list[FilledField] = list(state.get("fields", []))
    missing: list[str] = list(state.get("missing", []))
    if state.get("approve_mode", ctx.approve) != "ask":
        return {"approval": Approval(decision="auto")}
    zh = writes_chinese(state.get("request", ""))
    edits: dict[str, str] = {}
    problems: list[str] = []
    for _ in range(MAX_ROUNDS):
        # On resume LangGraph replays this node: each interrupt() returns its round's answer.
        action, values, reason = parse_verdict(interrupt(approval_request(
            fields, missing, state.get("images", []), problems, zh)))
        if action == "invalid":
            problems = ["answer with action accept, edit (with values) or reject"]
            continue
        if action == "reject":
            return {"approval": Approval(decision="rejected", reason=reason, edits=edits),
                    "warnings": ["approval: rejected by the user"
                                 + (f" ({reason})" if reason else "")]}
        if action == "accept" or not values:
            break
        result = apply_edits(fields, state.get("elements", []), missing, values,
                             ctx.match_threshold)
        fields, missing, problems = result.fields, result.missing, result.problems
        edits.update(result.applied)
        log.info("approval: edited %s", {k: mask_value(k, v) for k, v in result.applied.items()})
        if not problems:
            break
    update: dict[str, Any] = {"approval": Approval(
        decision="edited" if edits else "accepted", edits=edits, problems=problems)}
    if edits:
        update.update(fields=fields, missing=missing,
                      user_edits={**state.get("user_edits", {}), **edits})
    if problems:
        update["warnings"] = [f"approval: {p}" for p in problems]
    return update
