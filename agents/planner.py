"""Planner node: recognise the task and lay out the step DAG.

Offline this is a transparent rule-based planner: it recognises the task from the request's
words and writes a fixed, explained DAG. OCR and GUI detection have no dependencies, so the
dispatcher runs them in parallel; mapping waits for both; feedback comes last.

A follow-up turn on the same images is planned by the rules under either backend, because
what can be reused is a fact of the state, not a judgement: steps whose output is already
there (OCR, layout) are left out, new data becomes an ``update`` of the fields, and a
question about them is answered by feedback alone.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from langgraph.runtime import Runtime

from agents.context import Context
from agents.records import Plan, Step
from agents.state import VLState
from tools.forms.entities import parse_request

# Words that ask for text to be read rather than a form to be filled.
_READ_TEXT = re.compile(
    r"(识别|提取|读取|读出|转写).{0,8}(文字|文本|内容|表格)|"
    r"\b(ocr|extract (the |all )?(text|tables?)|read (the |all )?(text|tables?)|transcribe)\b",
    re.I,
)
_DESCRIBE = re.compile(
    r"描述|看看|图里|图中有|有什么|是什么|找出|框出|检测|识别出.{0,6}(物体|对象|目标)|"
    r"\b(describe|what('s| is) (in|on|this)|detect|find (the|all|every)|locate|caption)\b",
    re.I,
)
_FILL = re.compile(r"填|表格|表单|申请表|登记表|\b(fill|form|complete|enter)\b", re.I)
_MATH = re.compile(
    r"解方程|方程|计算|求解|算一下|算出|等于多少|合计|总计|总额|总和|求和|"
    r"\b(solve|compute|calculate|equations?|total|sum|math|arithmetic)\b", re.I)
_FRONTEND = re.compile(
    r"前端|html|css|网页代码|页面代码|代码还原|还原.{0,6}(页面|界面|网页)|复刻|"
    r"生成.{0,8}(代码|网页)|\b(frontend|front-end|rebuild (the|this) (page|ui|screen)|"
    r"code (for|of) (this|the) (page|ui|screen)|to html|web ?page code)\b", re.I)
_TABLE = re.compile(r"表格|\btables?\b|invoice|发票|账单|receipt|收据", re.I)
_FILL_VERB = re.compile(r"填|\b(fill|complete)\b", re.I)
_QUESTION = re.compile(
    r"[?？]\s*$|什么|多少|哪个|哪些|是否|吗\s*$|"
    r"^\s*(what|which|did|do|does|is|was|how|where|show|tell)\b", re.I)
_EDIT = re.compile(r"改|换成|更正|更新|补充|加上|也填|\b(change|update|set|correct|also|add)\b",
                   re.I)

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
MATH_STEPS = (
    ("ocr", "Read the printed problem(s), line by line.", ()),
    ("math", "Solve step by step; check the final answer with sympy.", ("s1",)),
    ("feedback", "Report the steps and the checked answer.", ("s2",)),
)
READ_AND_COMPUTE_STEPS = (
    ("ocr", "Read the document: text in reading order, key-value pairs and tables.", ()),
    ("math", "Compute what the user asks from the numbers read (e.g. a column's total); "
             "check it with sympy.", ("s1",)),
    ("feedback", "Report the text, the tables and the computed result, citing each "
                 "expert.", ("s1", "s2")),
)
FRONTEND_STEPS = (
    ("ocr", "Read every text with its box.", ()),
    ("gui", "Find the controls (inputs, buttons, selects) with their boxes.", ()),
    ("frontend", "Rebuild the screenshot as HTML/CSS, render it in Chromium and score how "
                 "alike it looks.", ("s1", "s2")),
    ("feedback", "Report the HTML and its similarity score.", ("s3",)),
)
ACT_STEPS = (
    ("executor", "Open the page in Chromium; perceive, fill, click and verify each action "
                 "until the request is done; export a replay script.", ()),
    ("feedback", "Report the actions, their read-back values and the outcome.", ("s1",)),
)
VIDEO_STEPS = (
    ("video", "Sample frames with their times, find the events and read their text, "
              "indexed by mm:ss.", ()),
    ("feedback", "Report the events with their timestamps.", ("s1",)),
)
DESCRIBE_STEPS = (
    ("vision", "Describe the image and detect the objects asked about, with boxes.", ()),
    ("feedback", "Report the description and the objects.", ("s1",)),
)
READ_TEXT_STEPS = (
    ("ocr", "Read every text line with its box.", ()),
    ("feedback", "Report the text in reading order.", ("s1",)),
)
QUESTION_STEPS = (
    ("feedback", "Answer the question from what the earlier turns found and filled.", ()),
)


def recognise_task(request: str, has_video: bool = False) -> tuple[str, str]:
    """The task kind and the rule that decided it."""
    if has_video:
        return "video", "the input is a video"
    if _FRONTEND.search(request):
        return "frontend", "the request asks for the page as HTML/CSS code"
    # 表格 is both "table" and "form": only a verb to fill makes it a form here.
    if _MATH.search(request) and not _FILL_VERB.search(request):
        if _READ_TEXT.search(request) or _TABLE.search(request):
            return "compound", "the request asks to read a document and compute from it"
        return "math", "the request asks to solve or compute"
    if _READ_TEXT.search(request) and not _FILL.search(request):
        return "read_text", "the request asks to read/extract text"
    if _DESCRIBE.search(request) and not _FILL.search(request):
        return "describe", "the request asks to describe the image or find objects"
    if _FILL.search(request):
        return "form_fill", "the request mentions filling a form"
    return "form_fill", "default task for an image with a request: fill the form with the data given"


def make_plan(task: str, reuse: frozenset[str] = frozenset()) -> Plan:
    """The fixed DAG for a recognised task, without the agents whose output is reused."""
    table = {"read_text": READ_TEXT_STEPS, "describe": DESCRIBE_STEPS,
             "question": QUESTION_STEPS, "math": MATH_STEPS,
             "compound": READ_AND_COMPUTE_STEPS, "frontend": FRONTEND_STEPS,
             "video": VIDEO_STEPS, "act": ACT_STEPS}.get(task, FORM_FILL_STEPS)
    kept = [(f"s{i}", row) for i, row in enumerate(table, start=1) if row[0] not in reuse]
    new_id = {old: f"s{n}" for n, (old, _row) in enumerate(kept, start=1)}
    steps = [
        Step(id=new_id[old], agent=agent, instruction=text,  # type: ignore[arg-type]
             depends_on=[new_id[d] for d in deps if d in new_id])
        for old, (agent, text, deps) in kept
    ]
    return Plan(task=task, steps=steps)  # type: ignore[arg-type]


def follow_up_plan(request: str, state: VLState) -> tuple[Plan, str]:
    """The plan for a turn on images the thread has already perceived, and why."""
    reuse = frozenset(agent for agent, key in (("ocr", "ocr"), ("gui", "elements"))
                      if state.get(key))
    # A question about the fields (its words are not data), unless it asks for a change.
    asks = bool(_QUESTION.search(request)) and not _EDIT.search(request)
    if state.get("elements") and asks and not parse_request(request):
        return make_plan("question"), "a question about this thread's fields"
    task, why = recognise_task(request)
    if task == "form_fill" and state.get("elements"):
        task, why = "update", "new data for the form this thread has already read"
    words = f"reusing {', '.join(sorted(reuse))} of the same image" if reuse else "nothing reused"
    return make_plan(task, reuse), f"{why} ({words})"


def check_plan(plan: Plan) -> str | None:
    """Why a model-made plan cannot run (None when it can): ids, dependencies, order."""
    ids = [s.id for s in plan.steps]
    if len(set(ids)) != len(ids):
        return "duplicate step ids"
    seen: set[str] = set()
    for s in plan.steps:
        unknown = [d for d in s.depends_on if d not in seen]
        if unknown:
            return f"{s.id} depends on {unknown}, which do not come before it"
        seen.add(s.id)
    if plan.steps[-1].agent != "feedback":
        return "the plan does not end with feedback"
    if plan.task == "form_fill" and {"gui", "data_mapping"} - {s.agent for s in plan.steps}:
        return "a form_fill plan needs gui and data_mapping steps"
    return None


def _trace(plan: Plan, why: str) -> str:
    return f"[offline rule planner] task={plan.task}: {why}; " + "; ".join(
        f"{s.id}={s.agent}" + (f"←{','.join(s.depends_on)}" if s.depends_on else "")
        for s in plan.steps
    )


def _progress(plan: Plan, reports: dict[str, Any]) -> str:
    """The plan as the re-planner sees it: each step with how it ended."""
    rows = []
    for s in plan.steps:
        r = reports.get(s.id)
        status = f"{r.status}" + (f" ({r.message})" if r and r.message else "") if r else "not run"
        deps = f" after {','.join(s.depends_on)}" if s.depends_on else ""
        rows.append(f"{s.id} {s.agent}{deps}: {s.instruction} -> {status}")
    return "\n".join(rows)


async def _plan_vlm(state: VLState, ctx: Context) -> tuple[Plan | None, str, str | None]:
    """The Thinking model's plan (or re-plan), its reasoning, and why it was refused."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from agents.prompts import PLANNER_SYSTEM, PLANNER_USER, REPLAN_USER
    from agents.vlm import aimage_parts, models_for, structured
    from agents.vlm_schemas import PlanOut

    old: Plan | None = state.get("plan")
    request = state.get("request", "")
    text = (REPLAN_USER.format(request=request,
                               progress=_progress(old, state.get("step_reports", {})))
            if old is not None else PLANNER_USER.format(request=request))
    content: list[str | dict[Any, Any]] = [
        # Planning needs the gist of the screen, not its detail: a smaller image.
        *await aimage_parts(state.get("images", []), ctx.planner_max_pixels),
        {"type": "text", "text": text}]
    messages = [SystemMessage(content=PLANNER_SYSTEM), HumanMessage(content=content)]
    models = models_for(ctx)
    reply = await structured(models.planner, messages, PlanOut, cache=models.cache)
    if reply.parsed is None:
        return None, reply.reasoning, reply.error or "no usable answer"
    plan = Plan(task=reply.parsed.task, steps=[
        Step(id=s.id, agent=s.agent, instruction=s.instruction, depends_on=s.depends_on)
        for s in reply.parsed.steps])
    refused = check_plan(plan)
    if refused is None and old is not None:
        lost = {s.id for s in old.steps} & set(state.get("step_reports", {})) - {
            s.id for s in plan.steps}
        refused = f"the revised plan drops steps that have ended: {sorted(lost)}" if lost else None
    return plan, reply.reasoning, refused


async def planner(state: VLState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write the plan: the Thinking model's under vllm (reasoning kept), else the rules'.

    Called again after a step failed with nothing to stand in for it (vllm only, once):
    then it revises the plan, keeping what has ended; an unusable revision keeps the old.
    """
    request = state.get("request", "")
    task, why = recognise_task(request, bool(state.get("videos")))
    if state.get("url"):
        # A live page: the executor perceives it itself (DOM + screenshot), rule by rule.
        act = make_plan("act")
        return {"plan": act, "reasoning": [_trace(act, "a live page to act on")]}
    if state.get("plan") is None and state.get("turn", 1) > 1 and not state.get(
            "fresh_images", True) and not state.get("videos"):
        # (it parses the request: CPU work, off the event loop)
        follow_up, why = await asyncio.to_thread(follow_up_plan, request, state)
        return {"plan": follow_up, "reasoning": [_trace(follow_up, why)]}
    if state.get("plan") is not None:
        plan, reasoning, refused = await _plan_vlm(state, runtime.context)
        update: dict[str, Any] = {"replans": state.get("replans", 0) + 1,
                                  "reasoning": [reasoning] if reasoning else []}
        if plan is not None and refused is None:
            update["plan"] = plan
        else:
            update["warnings"] = [f"planner: the revised plan was not usable ({refused}); "
                                  "keeping the plan"]
        return update
    if state.get("backend") == "vllm" and not state.get("videos"):
        # (a video's plan is one fixed step: nothing for the Thinking model to decide)
        plan, reasoning, refused = await _plan_vlm(state, runtime.context)
        if plan is not None and refused is None:
            return {"plan": plan, "reasoning": [reasoning] if reasoning else []}
        rules = make_plan(task)
        return {"plan": rules,
                "reasoning": [r for r in (reasoning, _trace(rules, why)) if r],
                "warnings": [f"planner: the model's plan was not usable ({refused}); "
                             "using the rule-based plan"]}
    plan = make_plan(task)
    return {"plan": plan, "reasoning": [_trace(plan, why)]}
