"""Planner node: recognise the task and lay out the step DAG.

Offline this is a transparent rule-based planner: it recognises the task from the request's
words and writes a fixed, explained DAG. OCR and GUI detection have no dependencies, so the
dispatcher runs them in parallel; mapping waits for both; feedback comes last.
"""

from __future__ import annotations

import re
from typing import Any

from agents.records import Plan, Step

# Words that ask for text to be read rather than a form to be filled.
_READ_TEXT = re.compile(
    r"(识别|提取|读取|读出)(一下)?(图片|图中|上面|里面)?的?(文字|文本|内容)|"
    r"\b(ocr|extract (the )?text|read (the )?text|transcribe)\b",
    re.I,
)
_FILL = re.compile(r"填|表格|表单|申请表|登记表|\b(fill|form|complete|enter)\b", re.I)

FORM_FILL_STEPS = (
    ("ocr", "Read every text line on the form with its box.", ()),
    ("gui", "Find the form's input controls: boxes, underlines, table cells, "
            "selects, checkboxes, radios, buttons.", ()),
    ("data_mapping", "Link each control to its label, take the user's data from the request "
                     "and profile, and map values onto fields; never invent a value.",
     ("s1", "s2")),
    ("feedback", "Validate the values, list what is missing, draw the overlay and write "
                 "the automation scripts.", ("s3",)),
)
READ_TEXT_STEPS = (
    ("ocr", "Read every text line with its box.", ()),
    ("feedback", "Report the text in reading order.", ("s1",)),
)


def recognise_task(request: str) -> tuple[str, str]:
    """The task kind and the rule that decided it."""
    if _READ_TEXT.search(request) and not _FILL.search(request):
        return "read_text", "the request asks to read/extract text"
    if _FILL.search(request):
        return "form_fill", "the request mentions filling a form"
    return "form_fill", "default task for an image with a request: fill the form with the data given"


def make_plan(task: str) -> Plan:
    """The fixed DAG for a recognised task."""
    table = READ_TEXT_STEPS if task == "read_text" else FORM_FILL_STEPS
    steps = [
        Step(id=f"s{i}", agent=agent, instruction=text, depends_on=list(deps))  # type: ignore[arg-type]
        for i, (agent, text, deps) in enumerate(table, start=1)
    ]
    return Plan(task=task, steps=steps)  # type: ignore[arg-type]


async def planner(state: dict[str, Any], runtime: Any) -> dict[str, Any]:
    """Write the plan (offline rules); the trace says which rule fired."""
    task, why = recognise_task(state.get("request", ""))
    plan = make_plan(task)
    trace = f"[offline rule planner] task={task}: {why}; " + "; ".join(
        f"{s.id}={s.agent}" + (f"←{','.join(s.depends_on)}" if s.depends_on else "")
        for s in plan.steps
    )
    return {"plan": plan, "reasoning": [trace]}
