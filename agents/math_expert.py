"""Math node: printed problems solved step by step, each answer checked by sympy.

offline: the OCR lines are re-read whole and parsed into equations or arithmetic for sympy;
a request to total a table adds its amount column exactly. vllm: the Instruct expert solves
and also writes the problem in sympy syntax; sympy solves that too, and the answer counts
as verified only when both agree. A problem that cannot be parsed says why, never guesses.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from langgraph.runtime import Runtime

from agents.context import Context
from agents.records import StepError
from agents.state import StepInput
from tools.common.blobstore import open_image
from tools.common.expert_schema import MathSolution
from tools.common.schema import ImageRef, Table, TextBlock
from tools.maths.math_solver import solve_image, solve_text
from tools.maths.table_math import column_total

_TOTAL = re.compile(r"合计|总计|总额|总和|求和|加起来|\b(total|sum|add up)\b", re.I)


def solve_offline(images: list[ImageRef], blocks: list[TextBlock], tables: list[Table],
                  request: str) -> list[MathSolution]:
    """Table totals when asked for, else the problems printed on the images."""
    if _TOTAL.search(request) and tables:
        totals = [t for t in (column_total(table) for table in tables) if t is not None]
        if totals:
            return totals
    found: list[MathSolution] = []
    for ref in images:
        mine = [b for b in blocks if b.image_id == ref.id]
        if mine:
            found.extend(solve_image(open_image(ref.path), mine))
    return found


def _numbers(text: str) -> set[str]:
    return {n.rstrip("0").rstrip(".") if "." in n else n
            for n in re.findall(r"-?\d+(?:\.\d+)?", text.replace(",", ""))}


async def _solve_vlm(ctx: Context, state: StepInput) -> MathSolution | str:
    from agents.prompts import MATH_CONTEXT, MATH_INSTRUCTION
    from agents.vlm import ask_expert
    from agents.vlm_schemas import MathOut

    text = "\n".join(b.text for b in state.get("ocr", []))
    tables = "\n".join(" | ".join(row) for t in state.get("ocr_tables", []) for row in t.rows)
    context = MATH_CONTEXT.format(text="\n".join(x for x in (text, tables) if x)) if (
        text or tables) else ""
    reply = await ask_expert(ctx, state.get("images", []), MATH_INSTRUCTION.format(
        request=state.get("request", ""), context=context), MathOut)
    if reply.parsed is None:
        return reply.error or "no usable answer"
    out = reply.parsed
    check = solve_text(out.check) if out.check.strip() else None
    agree = bool(check and check.verified and _numbers(check.answer)
                 and _numbers(check.answer) <= _numbers(out.answer))
    note = None if agree else (
        f"sympy's answer differs: {check.answer}" if check and check.verified
        else f"sympy could not check it ({check.note if check else 'no sympy form given'})")
    return MathSolution(problem=out.problem, normalized=out.check, kind=check.kind if check
                        else "unparsed", steps=list(out.steps), answer=out.answer,
                        solutions=check.solutions if check else {}, verified=agree, note=note)


async def math(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    """The solutions, each with its steps and whether sympy verified the answer."""
    ctx = runtime.context
    step = state.get("step")
    args = (state.get("images", []), state.get("ocr", []), state.get("ocr_tables", []),
            state.get("request", ""))
    if state.get("backend") != "vllm":
        solutions = await asyncio.to_thread(solve_offline, *args)
        if not solutions:
            raise RuntimeError("no problem found to solve (nothing on the image parses as "
                               "an equation or arithmetic, and no table to total)")
        return {"math": solutions}
    found = await _solve_vlm(ctx, state)
    if isinstance(found, MathSolution):
        return {"math": [found]}
    solutions = await asyncio.to_thread(solve_offline, *args)
    return {"math": solutions, "errors": [StepError(
        step=step.id if step else "math", kind="fallback",
        message=f"math: model answer unusable ({found}); using the offline solver")]}
