"""Feedback node: assemble the answer — fields, missing, suggestion, overlay, scripts.

It runs last (also after a fatal ingest error, so a bad input still gets an answer that says
what was wrong), writes the overlay and the automation scripts, and ends the chat turn with a
short summary in the user's language. Personal data is masked in that summary.

A form's answer is committed only with the user's approval (``approval`` state): a rejected
turn keeps the fields but writes no overlay or scripts. A follow-up question ("what did you
put in 身份证号码?") is answered from the thread's fields, which stay in the answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage

from agents.chat import writes_chinese
from agents.expert_answers import (
    cite_parts,
    document_answer,
    frontend_answer,
    math_answer,
    video_answer,
)
from agents.records import Answer, Approval, MissingField, Plan, StepReport
from agents.settings import settings_of
from tools.common.blobstore import default_root, open_image
from tools.common.masking import mask_value
from tools.common.schema import Element, FilledField, ImageRef
from tools.forms.lexicon import match_label, normalize_label
from tools.forms.mapping import element_name
from tools.forms.overlay import render_overlay
from tools.forms.script_export import playwright_script, pyautogui_script, values_json

EXPERT_TASKS = ("read_text", "math", "compound", "frontend", "video")


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


def suggestion_for(fields: list[FilledField], missing: list[str], zh: bool) -> str:
    """What the user should do next, in their language."""
    bad = [f for f in fields if f.valid is False]
    unsure = [f for f in fields if f.valid is not False and f.confidence < 0.5]
    parts = []
    if zh:
        parts.append(f"已为 {len(fields)} 个字段找到要填写的内容。")
        if missing:
            parts.append(f"缺少 {len(missing)} 项信息：{'、'.join(missing)}，请补充后再提交。")
        for f in bad:
            parts.append(f"「{f.label}」校验未通过：{f.message}，请核对。")
        if unsure:
            parts.append(f"请核对置信度较低的字段：{'、'.join(f.label for f in unsure)}。")
        if not missing and not bad:
            parts.append("所有字段均已填写并通过校验，可以提交。")
    else:
        parts.append(f"Found values for {len(fields)} field(s).")
        if missing:
            parts.append(f"Missing {len(missing)}: {', '.join(missing)} — please provide them "
                         "before submitting.")
        for f in bad:
            parts.append(f"'{f.label}' failed validation: {f.message}; please check it.")
        if unsure:
            parts.append(f"Check the low-confidence fields: {', '.join(f.label for f in unsure)}.")
        if not missing and not bad:
            parts.append("Every field is filled and valid; ready to submit.")
    return " ".join(parts)


def _out_dir(configured: str, images: list[ImageRef], fields: list[FilledField]) -> Path:
    if configured:
        return Path(configured)
    digest = hashlib.sha256(
        ("".join(i.sha256 for i in images) + json.dumps([f.model_dump() for f in fields],
                                                         default=str)).encode()
    ).hexdigest()[:16]
    return default_root().parent / "runs" / digest


def _missing_boxes(elements: list[Element], missing: list[str], image_id: str) -> list[list[int]]:
    """Regions of the controls whose labels are listed as missing."""
    wanted = set(missing)
    return [e.bbox for e in elements
            if e.image_id == image_id and e.editable and e.kind not in ("radio", "checkbox")
            and element_name(e) in wanted]


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
            return (f"「{names[0]}」还没有填写：请提供它的值。" if zh
                    else f"'{names[0]}' is not filled yet: please give its value.")
        listing = "、".join(f.label for f in fields) if zh else ", ".join(f.label for f in fields)
        return (f"没找到你问的字段。已填写：{listing}。" if zh
                else f"I could not tell which field you mean. Filled: {listing}.")
    lines = []
    for f in asked:
        verdict = ("" if f.valid is None else
                   ("（校验通过）" if f.valid else f"（校验未通过：{f.message}）") if zh else
                   (" (valid)" if f.valid else f" (invalid: {f.message})"))
        lines.append(f"{f.label}：{mask_value(f.key, f.value)}{verdict}" if zh
                     else f"{f.label}: {mask_value(f.key, f.value)}{verdict}")
    return "\n".join(lines)


def _summary(answer: Answer, zh: bool) -> str:
    if any(e.fatal for e in answer.errors):
        return "; ".join(e.message for e in answer.errors if e.fatal)
    if answer.task in ("read_text", "describe", "question", "act", *EXPERT_TASKS):
        failed = "; ".join(e.message for e in answer.errors)
        return answer.text or failed or answer.suggestion
    lines = [answer.suggestion]
    for f in answer.fields:
        lines.append(f"- {f.label}: {mask_value(f.key, f.value)} ({f.action}, {f.confidence:.2f})")
    return "\n".join(lines)  # the overlay's place is in the answer, not in the chat


def _rejected(approval: Approval | None) -> bool:
    return approval is not None and approval.decision == "rejected"


async def feedback(state: dict[str, Any], runtime: Any) -> dict[str, Any]:
    """The answer and the assistant's closing message."""
    ctx = settings_of(runtime)
    plan: Plan | None = state.get("plan")
    step = state.get("step")
    request = state.get("request", "")
    zh = writes_chinese(request)
    errors = list(state.get("errors", []))
    fields: list[FilledField] = list(state.get("fields", []))
    missing: list[str] = list(state.get("missing", []))
    images: list[ImageRef] = list(state.get("images", []))
    warnings = list(state.get("warnings", []))
    answer = Answer(
        task=plan.task if plan else "form_fill", backend=state.get("backend", "offline"),
        plan=_plan_rows(plan, state.get("step_reports", {}), step.id if step else None,
                        state.get("backend", "offline")),
        fields=fields, missing=missing, warnings=warnings, errors=errors,
        missing_fields=missing_fields(list(state.get("elements", [])), missing),
        approval=verdict.decision if (verdict := state.get("approval")) else None,
    )
    fatal = any(e.fatal for e in errors)
    answer.parts = cite_parts(plan, state.get("step_reports", {}), state)
    if not fatal and answer.task in EXPERT_TASKS:
        if answer.task in ("read_text", "compound"):
            document_answer(answer, state, zh)
        if answer.task in ("math", "compound"):
            math_answer(answer, state, zh)
        if answer.task == "frontend":
            out = _out_dir(ctx.out_dir, images, [])
            await asyncio.to_thread(frontend_answer, answer, state, zh, out)
        if answer.task == "video":
            video_answer(answer, state, zh)
    elif not fatal and answer.task == "act":
        report = state.get("act")
        answer.actions = list(state.get("actions", []))
        answer.act = report
        if report is not None:
            answer.files.update(report.files)
            done = sum(1 for a in answer.actions if a.get("ok"))
            answer.text = "\n".join(
                f"{'✓' if a.get('ok') else '✗'} {a['action']} {a.get('target') or ''} "
                f"{a.get('readback') if a.get('readback') is not None else ''}".rstrip()
                for a in answer.actions)
            answer.suggestion = (
                (f"已完成：{done} 个操作均已回读确认。" if zh else
                 f"Done: {done} action(s), each read back.") if report.ok else
                (f"未完成：{report.message}" if zh else f"Not done: {report.message}"))
    elif not fatal and answer.task == "describe":
        answer.text = state.get("description", "")
        answer.objects = list(state.get("objects", []))
        answer.suggestion = (f"找到 {len(answer.objects)} 个对象。" if zh
                             else f"Found {len(answer.objects)} object(s).")
    elif not fatal and answer.task == "question":
        previous: Answer | None = state.get("answer")
        answer.text = answer_question(request, fields, missing, zh)
        answer.files = dict(previous.files) if previous else {}
        answer.overlay, answer.script = (previous.overlay, previous.script) if previous else (
            None, "")
        answer.suggestion = previous.suggestion if previous else ""
    elif not fatal and _rejected(state.get("approval")):
        answer.suggestion = ("你拒绝了这些字段：未生成脚本。可以修改请求后重试。" if zh else
                             "You rejected these fields: no scripts were written. Change the "
                             "request and try again.")
    elif not fatal:
        answer.suggestion = suggestion_for(fields, missing, zh)
        out = _out_dir(ctx.out_dir, images, fields)
        title = ("待填写字段" if zh else "Fields to fill") + f" · {answer.backend}"
        answer.files, answer.script = await asyncio.to_thread(
            _write_artifacts, out, images, fields, missing, list(state.get("elements", [])), title,
            "zh" if zh else "en")
        answer.overlay = answer.files.get("overlay")
    return {"answer": answer, "messages": [AIMessage(content=_summary(answer, zh))]}
