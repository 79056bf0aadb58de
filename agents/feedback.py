"""Feedback node: assemble the answer — common fields, the task's own parts, a summary.

It runs last (also after a fatal ingest error, so a bad input still gets an answer that says
what was wrong) and ends the chat turn with a short summary in the user's language. Personal
data is masked in that summary. The parts of the answer a task kind owns (a form's
suggestion, overlay and scripts; the reply to a question; an expert's text, tables, math or
HTML) come from that kind's builder in ``BUILDERS`` (``agents/answer_builders.py``,
``agents/expert_answers.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agents.answer_builders import (
    Builder,
    Turn,
    act_answer,
    describe_answer,
    form_answer,
    question_answer,
)
from agents.chat import writes_chinese
from agents.context import Context
from agents.expert_answers import (
    cite_parts,
    compound_answer,
    document_answer,
    frontend_answer,
    math_answer,
    video_answer,
)
from agents.records import Answer, MissingField, Plan, StepReport
from agents.state import StepInput
from tools.common.masking import mask_value
from tools.common.schema import Element
from tools.forms.mapping import element_name

# Task kind → (the builder of its answer, whether the builder writes files: it then runs in
# a worker thread). Every kind the planner can produce (records.TaskKind) has an entry.
BUILDERS: dict[str, tuple[Builder, bool]] = {
    "form_fill": (form_answer, True),
    "update": (form_answer, True),
    "question": (question_answer, False),
    "describe": (describe_answer, False),
    "act": (act_answer, False),
    "read_text": (document_answer, False),
    "math": (math_answer, False),
    "compound": (compound_answer, False),
    "frontend": (frontend_answer, True),
    "video": (video_answer, False),
}

# Answered in text; the others (form_fill, update) list their fields in the chat.
_TEXT_ANSWERS = ("read_text", "describe", "question", "act", "math", "compound", "frontend",
                 "video")


def _plan_rows(plan: Plan | None, reports: dict[str, StepReport], own: str | None,
               backend: str) -> list[dict]:
    rows = []
    for s in plan.steps if plan else []:
        report = reports.get(s.id)
        status = "done" if s.id == own else (report.status if report else "pending")
        row: dict[str, Any] = {"id": s.id, "agent": s.agent, "instruction": s.instruction,
                               "depends_on": s.depends_on, "status": status}
        if s.id == own:
            row["backend"] = backend  # this very step: it has no report yet
        elif report:
            row.update(backend=report.backend, seconds=round(report.seconds, 2))
            if report.message:
                row["message"] = report.message
        rows.append(row)
    return rows


def missing_fields(elements: list[Element], missing: list[str]) -> list[MissingField]:
    """Each missing label with the box of its control(s), in the order of ``missing``."""
    out = []
    for label in missing:
        mine = [e for e in elements if e.editable and e.kind != "button"
                and element_name(e) == label]
        if mine:
            box = [min(e.bbox[0] for e in mine), min(e.bbox[1] for e in mine),
                   max(e.bbox[2] for e in mine), max(e.bbox[3] for e in mine)]
            out.append(MissingField(label=label, bbox=box, image_id=mine[0].image_id or "img1",
                                    kind=mine[0].kind))
    return out


def _summary(answer: Answer, zh: bool) -> str:
    if any(e.fatal for e in answer.errors):
        return "; ".join(e.message for e in answer.errors if e.fatal)
    if answer.task in _TEXT_ANSWERS:
        failed = "; ".join(e.message for e in answer.errors)
        return answer.text or failed or answer.suggestion
    lines = [answer.suggestion]
    for f in answer.fields:
        lines.append(f"- {f.label}: {mask_value(f.key, f.value)} ({f.action}, {f.confidence:.2f})")
    return "\n".join(lines)  # the overlay's place is in the answer, not in the chat


async def feedback(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    """The answer and the assistant's closing message."""
    ctx = runtime.context
    plan: Plan | None = state.get("plan")
    step = state.get("step")
    zh = writes_chinese(state.get("request", ""))
    errors = list(state.get("errors", []))
    missing: list[str] = list(state.get("missing", []))
    answer = Answer(
        task=plan.task if plan else "form_fill", backend=state.get("backend", "offline"),
        plan=_plan_rows(plan, state.get("step_reports", {}), step.id if step else None,
                        state.get("backend", "offline")),
        fields=list(state.get("fields", [])), missing=missing,
        warnings=list(state.get("warnings", [])), errors=errors,
        missing_fields=missing_fields(list(state.get("elements", [])), missing),
        approval=verdict.decision if (verdict := state.get("approval")) else None,
    )
    answer.parts = cite_parts(plan, state.get("step_reports", {}), state)
    if not any(e.fatal for e in errors):
        build, writes_files = BUILDERS.get(answer.task, BUILDERS["form_fill"])
        turn = Turn(state=state, zh=zh, out_dir=ctx.out_dir)
        if writes_files:
            await asyncio.to_thread(build, answer, turn)
        else:
            build(answer, turn)
    return {"answer": answer, "messages": [AIMessage(content=_summary(answer, zh))]}
