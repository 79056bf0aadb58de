"""The executor's decision made by Qwen3-VL (vllm backend), checked against the page.

The model sees the screenshot and the numbered DOM controls, and answers with actions that
name a control twice: by its number and by its box on the screenshot (0–1000). The box is
resolved to a DOM control by overlap — the model grounds on the pixels, the DOM gives the
element to act on — and the number must agree with it (else the box wins when it clearly
overlaps one control). Values must be the user's own words, as in data mapping: an action
whose evidence is not in the request is dropped. An unusable answer returns None and the
rules decide instead (the step says so).
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image

from agents.act_decide import IRREVERSIBLE, Decision, Planned
from agents.context import Context
from tools.browser.page_records import PageControl, PageSnapshot
from tools.common.blobstore import put_image
from tools.common.coords import pixels_to_rel, rel_to_pixels
from tools.common.images import model_input_size
from tools.common.schema import ImageRef
from tools.forms.mapping import in_words
from tools.perception.hybrid import iou

_DO = {"fill", "select", "check", "uncheck", "choose", "upload", "pick", "focus", "press"}


def _screen_ref(snap: PageSnapshot, max_pixels: int) -> tuple[ImageRef, tuple[int, int]]:
    """The screenshot, stored, as an image reference (and its pixel size)."""
    assert snap.screenshot is not None
    image = Image.open(io.BytesIO(snap.screenshot)).convert("RGB")
    sha = hashlib.sha256(snap.screenshot).hexdigest()
    path = put_image(image, sha)
    mw, mh = model_input_size(image.width, image.height, max_pixels)
    return ImageRef(id="screen", name="screenshot", path=str(path), sha256=sha,
                    width=image.width, height=image.height, model_width=mw,
                    model_height=mh), image.size


def controls_text(snap: PageSnapshot, size: tuple[int, int]) -> str:
    """The numbered controls the model may name."""
    rows = []
    for c in snap.controls:
        if not c.visible or not c.enabled:
            continue
        name = (f"{c.label} / option {c.option_text}" if c.option_text
                else c.label or c.placeholder or "(no label)")
        opts = f" options={[o.text for o in c.options][:12]}" if c.options else ""
        value = f" value={c.value!r}" if c.value and c.kind != "password" else ""
        state = " checked" if c.checked else ""
        rows.append(f"{c.index}. {c.kind}: {name}{opts}{value}{state} "
                    f"bbox_2d={pixels_to_rel(c.bbox, *size)}")
    return "\n".join(rows)


def ground(snap: PageSnapshot, index: int, rel_box: list[int], size: tuple[int, int]
           ) -> PageControl | None:
    """The DOM control the model means: its box's best overlap, checked against the number."""
    box = rel_to_pixels(rel_box, *size)
    named = snap.controls[index] if 0 <= index < len(snap.controls) else None
    if box is None:
        return named
    overlaps = sorted(((iou(box, c.bbox), c) for c in snap.controls if c.visible),
                      key=lambda t: t[0], reverse=True)
    best_iou, best = overlaps[0] if overlaps else (0.0, None)
    if named is not None and (best is named or iou(box, named.bbox) >= 0.3):
        return named
    return best if best_iou >= 0.3 else named


async def decide_with_model(ctx: Context, snap: PageSnapshot, request: str,
                            done: list[str]) -> tuple[Decision | None, str]:
    """The model's decision for this screen, checked; or None and why it was unusable."""
    from agents.prompts import ACT_INSTRUCTION
    from agents.vlm import ask_expert
    from agents.vlm_schemas import ActOut

    if snap.screenshot is None:
        return None, "no screenshot"
    ref, size = _screen_ref(snap, ctx.max_pixels)
    instruction = ACT_INSTRUCTION.format(request=request, done="\n".join(done) or "(nothing)",
                                         controls=controls_text(snap, size))
    reply = await ask_expert(ctx, [ref], instruction, ActOut)
    if reply.parsed is None:
        return None, reply.error or "no usable answer"
    out = reply.parsed
    decision = Decision()
    notes: list[str] = []
    for a in out.actions:
        control = ground(snap, a.control, a.bbox_2d, size)
        if control is None or a.do not in _DO:
            notes.append(f"control {a.control}: not on the page; ignored")
            continue
        value_ok = a.do in ("check", "uncheck", "choose", "focus", "press") or in_words(
            a.value, [request]) or in_words(a.value, [a.evidence])
        if not in_words(a.evidence, [request]) or not value_ok:
            notes.append(f"{control.label or a.control}: not in the user's words; dropped")
            continue
        value: Any = a.value
        if a.do == "pick":
            value = [a.value, a.value]
        elif a.do in ("check", "choose"):
            value = True
        elif a.do == "press":
            value = [a.value or "Enter"]
        decision.fills.append(Planned(a.do, control, value, None,  # type: ignore[arg-type]
                                      f"model: {a.evidence}"))
    if out.click is not None:
        control = ground(snap, out.click.control, out.click.bbox_2d, size)
        if control is not None:
            decision.commit = Planned("click", control, None, None, f"model: {out.click.reason}",
                                      commit=True,
                                      irreversible=bool(IRREVERSIBLE.search(control.label)))
    return decision, "; ".join(notes)
