"""The answer's parts for the document, math, frontend and video experts (feedback uses it).

Each function fills the fields of the answer its expert owns and a one-line suggestion in
the user's language; ``cite_parts`` says which expert produced which part, so a compound
answer ("read this table and compute the total") shows where each piece came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.records import Answer, Part, Plan, StepReport
from tools.common.expert_schema import HtmlRebuild, MathSolution, Reading
from tools.documents.tables import to_markdown


def document_answer(answer: Answer, state: dict[str, Any], zh: bool) -> None:
    """Text in reading order (paragraphs), printed key-value pairs and tables."""
    reading: Reading | None = state.get("reading")
    blocks = state.get("ocr", [])
    answer.text = reading.text if reading and reading.text else "\n".join(b.text for b in blocks)
    answer.pairs = list(state.get("ocr_pairs", []))
    answer.tables = list(state.get("ocr_tables", []))
    tables = f"，{len(answer.tables)} 个表格" if zh else f", {len(answer.tables)} table(s)"
    answer.suggestion = (f"读到 {len(blocks)} 行文字{tables}。" if zh
                         else f"Read {len(blocks)} line(s) of text{tables}.")


def math_answer(answer: Answer, state: dict[str, Any], zh: bool) -> None:
    """Each problem's steps and answer, and whether sympy verified it."""
    solutions: list[MathSolution] = list(state.get("math", []))
    answer.math = solutions
    lines = []
    for s in solutions:
        mark = ("✓ sympy 已验证" if zh else "✓ checked by sympy") if s.verified else (
            "未验证" if zh else "not verified")
        lines.append(f"{s.problem}: {s.answer or s.note} ({mark})")
    answer.text = "\n".join(x for x in (answer.text, *lines) if x)
    checked = sum(s.verified for s in solutions)
    answer.suggestion = (f"解出 {len(solutions)} 道题，其中 {checked} 道经 sympy 验证。" if zh
                         else f"Solved {len(solutions)} problem(s); {checked} checked by sympy.")


def frontend_answer(answer: Answer, state: dict[str, Any], zh: bool, out: Path) -> None:
    """The HTML, its similarity to the screenshot, and the page written to a file."""
    page: HtmlRebuild | None = state.get("html")
    if page is None:
        return
    answer.html = page.html
    score = state.get("similarity")
    answer.similarity = round(score.score, 3) if score is not None else None
    out.mkdir(parents=True, exist_ok=True)
    (out / "page.html").write_text(page.html, encoding="utf-8")
    answer.files["html"] = str(out / "page.html")
    answer.suggestion = (f"已生成 HTML（与截图的视觉相似度 {answer.similarity}）。" if zh else
                         f"HTML written (visual similarity to the screenshot: "
                         f"{answer.similarity}).")


def video_answer(answer: Answer, state: dict[str, Any], zh: bool) -> None:
    """Events with their mm:ss timestamps (and the model's summary, if any)."""
    answer.events = list(state.get("events", []))
    rows = [f"{e.timestamp} {e.text}".strip() for e in answer.events]
    answer.text = "\n".join(x for x in (state.get("description", ""), *rows) if x)
    answer.suggestion = (f"找到 {len(answer.events)} 个事件。" if zh
                         else f"Found {len(answer.events)} event(s).")


def tables_markdown(answer: Answer) -> str:
    """The answer's tables as Markdown, for a chat reply."""
    return "\n\n".join(to_markdown(t) for t in answer.tables)


_PRODUCED = {
    "ocr": lambda s: f"{len(s.get('ocr', []))} text lines, {len(s.get('ocr_tables', []))} "
                     "tables",
    "gui": lambda s: f"{len(s.get('elements', []))} controls",
    "data_mapping": lambda s: f"{len(s.get('fields', []))} fields",
    "vision": lambda s: f"description, {len(s.get('objects', []))} objects",
    "math": lambda s: "; ".join(f"{m.problem} = {m.answer}" for m in s.get("math", [])),
    "frontend": lambda s: "HTML/CSS and its similarity score",
    "video": lambda s: f"{len(s.get('events', []))} timed events",
}


def cite_parts(plan: Plan | None, reports: dict[str, StepReport], state: dict[str, Any]
               ) -> list[Part]:
    """Which expert produced which part, for every step that ended well."""
    parts = []
    for s in plan.steps if plan else []:
        report = reports.get(s.id)
        if s.agent == "feedback" or report is None or report.status != "done":
            continue
        produced = _PRODUCED.get(s.agent, lambda _s: "")(state)
        parts.append(Part(step=s.id, expert=s.agent, backend=report.backend, produced=produced))
    return parts
