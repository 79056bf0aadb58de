"""The answers of form, question, describe and act turns (feedback picks them by task kind).

Every builder has one shape, ``(answer, turn) -> None``: it fills the parts of the answer
its task owns and a one-line suggestion in the user's language (``agents/messages.py``).
``Turn`` is what a builder reads besides the answer: the state, the user's language and the
configured output folder. The experts' builders are in ``agents/expert_answers.py``.

A form's answer is committed only with the user's approval: a rejected turn keeps the fields
but writes no overlay or scripts. A follow-up question ("what did you put in 身份证号码?") is
answered from the thread's fields, which stay in the answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agents.messages import listing, say
from agents.records import Answer, Approval
from agents.state import StepInput
from tools.common.blobstore import open_image, runs_root
from tools.common.masking import mask_value
from tools.common.schema import Element, FilledField, ImageRef
from tools.forms.lexicon import match_label, normalize_label
from tools.forms.mapping import element_name
from tools.forms.overlay import render_overlay
from tools.forms.script_export import playwright_script, pyautogui_script, values_json


@dataclass(frozen=True)
class Turn:
    """What a builder reads besides the answer it fills."""

    state: StepInput
    zh: bool  # the user writes Chinese: so does the answer
    out_dir: str  # the configured folder for files; "" = a folder named by the input

    def folder(self, fields: list[FilledField]) -> Path:
        """Where this turn's files go: the configured folder, or one named by a digest of
        the images and ``fields``."""
        if self.out_dir:
            return Path(self.out_dir)
        images: list[ImageRef] = list(self.state.get("images", []))
        digest = hashlib.sha256(
            ("".join(i.sha256 for i in images) + json.dumps([f.model_dump() for f in fields],
                                                             default=str)).encode()
        ).hexdigest()[:16]
        return runs_root() / digest


Builder = Callable[[Answer, Turn], None]


def suggestion_for(fields: list[FilledField], missing: list[str], zh: bool) -> str:
    """What the user should do next, in their language."""
    bad = [f for f in fields if f.valid is False]
    unsure = [f for f in fields if f.valid is not False and f.confidence < 0.5]
    parts = [say("form.found", zh, count=len(fields))]
    if missing:
        parts.append(say("form.missing", zh, count=len(missing), names=listing(missing, zh)))
    for f in bad:
        parts.append(say("form.invalid", zh, label=f.label, message=f.message))
    if unsure:
        parts.append(say("form.unsure", zh, labels=listing((f.label for f in unsure), zh)))
    if not missing and not bad:
        parts.append(say("form.ready", zh))
    return " ".join(parts)


def _missing_boxes(elements: list[Element], missing: list[str], image_id: str) -> list[list[int]]:
    """Regions of the controls whose labels are listed as missing."""
    wanted = set(missing)
    return [e.bbox for e in elements
            if e.image_id == image_id and e.editable and e.kind not in ("radio", "checkbox")
            and element_name(e) in wanted]


def _write_artifacts(out: Path, images: list[ImageRef], fields: list[FilledField],
                     missing: list[str], elements: list[Element], title: str,
                     lang: str) -> tuple[dict[str, str], str]:
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for ref in images:
        mine = [f for f in fields if f.image_id == ref.id]
        overlay = render_overlay(open_image(ref.path), mine, missing, title,
                                 _missing_boxes(elements, missing, ref.id), lang)
        name = "overlay.png" if len(images) == 1 else f"overlay_{ref.id}.png"
        overlay.save(out / name, compress_level=1)
        files.setdefault("overlay", str(out / name))
        files[f"overlay_{ref.id}"] = str(out / name)
    script = playwright_script(fields)
    (out / "fill_playwright.py").write_text(script, encoding="utf-8")
    (out / "values.json").write_text(values_json(fields), encoding="utf-8")
    files["playwright"] = str(out / "fill_playwright.py")
    files["values"] = str(out / "values.json")
    if images:
        size = (images[0].width, images[0].height)
        (out / "fill_pyautogui.py").write_text(pyautogui_script(fields, size), encoding="utf-8")
        files["pyautogui"] = str(out / "fill_pyautogui.py")
    return files, script


def fields_asked_about(question: str, fields: list[FilledField]) -> list[FilledField]:
    """The fields a question names, by label, or by a synonym the lexicon knows."""
    q = normalize_label(question)
    named = [f for f in fields if normalize_label(f.label) and normalize_label(f.label) in q]
    if named:
        return named
    # Every CJK run's substrings and every run of 1-3 English words, scored by the lexicon;
    # the best-scoring keys win, so "phone number" is the phone, not the ID number.
    spans = [run[i:i + n] for run in re.findall(r"[\u4e00-\u9fff]+", question)
             for n in range(2, 9) for i in range(len(run) - n + 1)]
    words = re.findall(r"[A-Za-z]+", question)
    spans += [" ".join(words[i:i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)]
    scored = [(score, key) for span in spans
              for key, score in [match_label(span)] if key is not None and score >= 0.9]
    best = max((score for score, _key in scored), default=0.0)
    keys = {key for score, key in scored if score == best}
    return [f for f in fields if f.key in keys]


def answer_question(question: str, fields: list[FilledField], missing: list[str],
                    zh: bool) -> str:
    """A reply from the thread's fields; personal data masked as everywhere in chat."""
    asked = fields_asked_about(question, fields)
    if not asked:
        names = [m for m in missing if normalize_label(m) and normalize_label(m) in
                 normalize_label(question)]
        if names:
            return say("question.not_filled", zh, label=names[0])
        return say("question.unknown", zh, labels=listing((f.label for f in fields), zh))
    lines = []
    for f in asked:
        verdict = ("" if f.valid is None else say("question.valid", zh) if f.valid else
                   say("question.invalid", zh, message=f.message))
        lines.append(say("question.value", zh, label=f.label, value=mask_value(f.key, f.value),
                         verdict=verdict))
    return "\n".join(lines)


def _rejected(approval: Approval | None) -> bool:
    return approval is not None and approval.decision == "rejected"


def rejected_answer(answer: Answer, turn: Turn) -> None:
    """The user rejected the fields: they stay in the answer, but no file is written."""
    answer.suggestion = say("form.rejected", turn.zh)


def form_answer(answer: Answer, turn: Turn) -> None:
    """form_fill / update: the suggestion, the overlay and the automation scripts (unless
    the user rejected the fields)."""
    if _rejected(turn.state.get("approval")):
        rejected_answer(answer, turn)
        return
    answer.suggestion = suggestion_for(answer.fields, answer.missing, turn.zh)
    title = say("form.overlay_title", turn.zh, backend=answer.backend)
    answer.files, answer.script = _write_artifacts(
        turn.folder(answer.fields), list(turn.state.get("images", [])), answer.fields,
        answer.missing, list(turn.state.get("elements", [])), title, "zh" if turn.zh else "en")
    answer.overlay = answer.files.get("overlay")


def question_answer(answer: Answer, turn: Turn) -> None:
    """A follow-up question: the reply, and the previous answer's files and suggestion."""
    previous: Answer | None = turn.state.get("answer")
    answer.text = answer_question(turn.state.get("request", ""), answer.fields, answer.missing,
                                  turn.zh)
    answer.files = dict(previous.files) if previous else {}
    answer.overlay, answer.script = (previous.overlay, previous.script) if previous else (
        None, "")
    answer.suggestion = previous.suggestion if previous else ""


def describe_answer(answer: Answer, turn: Turn) -> None:
    """The image's description and the objects found."""
    answer.text = turn.state.get("description", "")
    answer.objects = list(turn.state.get("objects", []))
    answer.suggestion = say("describe.found", turn.zh, count=len(answer.objects))


def act_answer(answer: Answer, turn: Turn) -> None:
    """The browser run: every action with its read-back, and whether all was done."""
    report = turn.state.get("act")
    answer.actions = list(turn.state.get("actions", []))
    answer.act = report
    if report is None:
        return
    answer.files.update(report.files)
    done = sum(1 for a in answer.actions if a.get("ok"))
    answer.text = "\n".join(
        f"{'✓' if a.get('ok') else '✗'} {a['action']} {a.get('target') or ''} "
        f"{a.get('readback') if a.get('readback') is not None else ''}".rstrip()
        for a in answer.actions)
    answer.suggestion = (say("act.done", turn.zh, count=done) if report.ok else
                         say("act.not_done", turn.zh, message=report.message))
