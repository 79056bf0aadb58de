"""The answers of the document, math, frontend and video experts (feedback picks them).

Each builder has the shape of ``agents/answer_builders.py``, ``(answer, turn) -> None``: it
fills the fields of the answer its expert owns and a one-line suggestion in the user's
language; ``cite_parts`` says which expert produced which part, so a compound answer ("read
this table and compute the total") shows where each piece came from.
"""

from __future__ import annotations

from agents.answer_builders import Turn
from agents.messages import say
from agents.records import Answer, Part, Plan, StepReport
from agents.state import StepInput
from tools.common.expert_schema import HtmlRebuild, MathSolution, Reading
from tools.documents.tables import to_markdown


def document_answer(answer: Answer, turn: Turn) -> None:
    """Text in reading order (paragraphs), printed key-value pairs and tables."""
    reading: Reading | None = turn.state.get("reading")
    blocks = turn.state.get("ocr", [])
    answer.text = reading.text if reading and reading.text else "\n".join(b.text for b in blocks)
    answer.pairs = list(turn.state.get("ocr_pairs", []))
    answer.tables = list(turn.state.get("ocr_tables", []))
    answer.suggestion = say("read_text.read", turn.zh, lines=len(blocks),
                            tables=len(answer.tables))


def math_answer(answer: Answer, turn: Turn) -> None:
    """Each problem's steps and answer, and whether sympy verified it."""
    solutions: list[MathSolution] = list(turn.state.get("math", []))
    answer.math = solutions
    lines = []
    for s in solutions:
        mark = say("math.verified" if s.verified else "math.unverified", turn.zh)
        lines.append(f"{s.problem}: {s.answer or s.note} ({mark})")
    answer.text = "\n".join(x for x in (answer.text, *lines) if x)
    checked = sum(s.verified for s in solutions)
    answer.suggestion = say("math.solved", turn.zh, count=len(solutions), checked=checked)


def compound_answer(answer: Answer, turn: Turn) -> None:
    """Read, then compute: the document's answer, then the math on it."""
    document_answer(answer, turn)
    math_answer(answer, turn)


def frontend_answer(answer: Answer, turn: Turn) -> None:
    """The HTML, its similarity to the screenshot, and the page written to a file."""
    page: HtmlRebuild | None = turn.state.get("html")
    if page is None:
        return
    answer.html = page.html
    score = turn.state.get("similarity")
    answer.similarity = round(score.score, 3) if score is not None else None
    out = turn.folder([])
    out.mkdir(parents=True, exist_ok=True)
    (out / "page.html").write_text(page.html, encoding="utf-8")
    answer.files["html"] = str(out / "page.html")
    answer.suggestion = say("frontend.written", turn.zh, similarity=answer.similarity)


def video_answer(answer: Answer, turn: Turn) -> None:
    """Events with their mm:ss timestamps (and the model's summary, if any)."""
    answer.events = list(turn.state.get("events", []))
    rows = [f"{e.timestamp} {e.text}".strip() for e in answer.events]
    answer.text = "\n".join(x for x in (turn.state.get("description", ""), *rows) if x)
    answer.suggestion = say("video.found", turn.zh, count=len(answer.events))


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


def cite_parts(plan: Plan | None, reports: dict[str, StepReport], state: StepInput
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
