"""Data-mapping node: link labels to controls, read the user's data, map values onto fields.

offline: labels come from OCR text positioned around each control (tools.perception.layout), the
user's data from rule-based entity parsing of the request plus the optional profile, and
the mapping from the lexicon. vllm: the Instruct expert maps the user's words onto the
numbered controls, quoting its evidence; an answer whose evidence is not in what the user
said is dropped. Either way a value the user did not give is never invented.

The user's data is read from every human turn of the thread, oldest first, so a follow-up
("change the phone to 139…") overrides what an earlier turn said and keeps the rest; values
the user set by hand at approval are applied last.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph.runtime import Runtime

from agents.context import Context
from agents.records import StepError
from agents.state import StepInput
from tools.common.blobstore import open_image
from tools.common.schema import Element, FilledField, ImageRef, TextBlock, UserDatum
from tools.forms.edits import apply_edits
from tools.forms.entities import load_profile, merge_user_data, parse_request
from tools.forms.lexicon import match_label
from tools.forms.mapping import assign_fields, element_name, map_fields
from tools.perception.layout import link_labels


def _link(images: list[ImageRef], elements: list[Element], blocks: list[TextBlock]) -> list[Element]:
    """Label every control that has none yet (model-grounded ones keep the model's label)."""
    linked: list[Element] = []
    for ref in images:
        mine = [e for e in elements if e.image_id == ref.id]
        if all(e.label for e in mine):
            linked.extend(mine)
            continue
        text = [b for b in blocks if b.image_id == ref.id]
        image = open_image(ref.path)
        for el in link_labels(mine, text, (ref.width, ref.height), image):
            linked.append(el.model_copy(update={"image_id": ref.id}))
    return linked


def user_data_of(requests: str | list[str], profile: dict[str, str] | None) -> list[UserDatum]:
    """What the user supplied: each turn wins over earlier ones and the profile, key by key."""
    data = load_profile(profile) if profile else []
    for text in [requests] if isinstance(requests, str) else requests:
        data = merge_user_data(data, parse_request(text))
    return data


def _requests(state: StepInput) -> list[str]:
    """Every human turn's text (ingest keeps them); else just the current request."""
    return state.get("requests") or [state.get("request", "")]


def _standing_edits(edits: dict[str, str], fields: list[FilledField], request: str,
                    threshold: float) -> dict[str, str]:
    """Hand edits this turn's request does not override (it names their field anew)."""
    said = {d.key for d in parse_request(request)}
    if not edits or not said:
        return edits
    keys = {f.label: f.key for f in fields}

    def key_of(label: str) -> str:
        key, score = match_label(label)
        return keys.get(label) or (key if key is not None and score >= threshold else label)

    return {label: value for label, value in edits.items() if key_of(label) not in said}


def _controls_text(elements: list[Element]) -> str:
    rows = []
    for i, el in enumerate(elements):
        if not el.editable or el.kind == "button":
            continue
        option = f" option={el.option!r}" if el.option else ""
        rows.append(f"{i}. {el.kind}: {element_name(el) or '(no label)'}{option}")
    return "\n".join(rows)


async def _map_vlm(ctx: Context, state: StepInput, elements: list[Element]
                   ) -> tuple[list[FilledField], list[str], list[str]] | str:
    """Fields, missing, notes from the model; or why its answer was unusable."""
    from agents.prompts import MAPPING_INSTRUCTION, PROFILE_BLOCK
    from agents.vlm import ask_expert
    from agents.vlm_schemas import MappingOut

    turns = _requests(state)
    # Later turns override earlier ones; the model sees them in order.
    request = turns[-1] if len(turns) == 1 else "\n".join(
        f"({n}) {t}" for n, t in enumerate(turns, start=1))
    profile: dict[str, str] = state.get("profile") or {}
    profile_text = PROFILE_BLOCK.format(
        items="\n".join(f"{k}: {v}" for k, v in profile.items())) if profile else ""
    instruction = MAPPING_INSTRUCTION.format(request=request, profile=profile_text,
                                             controls=_controls_text(elements))
    reply = await ask_expert(ctx, state.get("images", []), instruction, MappingOut)
    if reply.parsed is None:
        return reply.error or "no usable answer"
    words = [request, *(f"{k}: {v}" for k, v in profile.items())]
    return assign_fields(elements, [(f.control, f.value, f.evidence) for f in reply.parsed.fields],
                         words, ctx.match_threshold)


async def data_mapping(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    """Fields to fill and labels still missing."""
    ctx = runtime.context
    step = state.get("step")
    step_id = step.id if step else "data_mapping"
    # Parsing is CPU work that grows with the request: off the event loop, so the server
    # keeps answering others meanwhile.
    user_data = await asyncio.to_thread(user_data_of, _requests(state), state.get("profile"))
    elements = await asyncio.to_thread(
        _link, state.get("images", []), state.get("elements", []), state.get("ocr", []))
    update: dict[str, Any] = {"elements": elements, "user_data": user_data, "errors": [],
                              "warnings": []}
    mapped = await _map_vlm(ctx, state, elements) if state.get("backend") == "vllm" else None
    if isinstance(mapped, tuple):
        fields, missing, notes = mapped
        update["warnings"] = [f"data_mapping: {n}" for n in notes]
    else:
        if isinstance(mapped, str):
            update["errors"].append(StepError(
                step=step_id, kind="fallback",
                message=f"data_mapping: model answer unusable ({mapped}); using the offline "
                        "rules"))
        fields, missing = map_fields(elements, user_data, ctx.match_threshold)
    edits = await asyncio.to_thread(_standing_edits, state.get("user_edits") or {}, fields,
                                    state.get("request", ""), ctx.match_threshold)
    if edits != (state.get("user_edits") or {}):
        update["user_edits"] = edits  # this turn gave a new value: it wins over the edit
    if edits:  # what the user set by hand on an earlier turn outlives re-mapping
        edited = apply_edits(fields, elements, missing, edits, ctx.match_threshold)
        fields, missing = edited.fields, edited.missing
    update["fields"], update["missing"] = fields, missing
    if not user_data and not fields:
        update["errors"].append(StepError(
            step=step_id, kind="no_data",
            message="the request gives no data to fill in (try: 我叫张三，手机13812345678 / "
                    "my name is Jane Doe, email jane@example.com)"))
    return update
