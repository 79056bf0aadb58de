"""Data-mapping node: link labels to controls, read the user's data, map values onto fields.

Offline: labels come from OCR text positioned around each control (tools.layout), the user's
data from rule-based entity parsing of the request plus the optional profile, and the
mapping from the lexicon. A value the user did not give is never invented.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agents.records import StepError
from agents.settings import settings_of
from tools.blobstore import open_image
from tools.entities import load_profile, merge_user_data, parse_request
from tools.layout import link_labels
from tools.mapping import map_fields
from tools.schema import Element, ImageRef, TextBlock, UserDatum


def _link(images: list[ImageRef], elements: list[Element], blocks: list[TextBlock]) -> list[Element]:
    linked: list[Element] = []
    for ref in images:
        mine = [e for e in elements if e.image_id == ref.id]
        text = [b for b in blocks if b.image_id == ref.id]
        image = open_image(ref.path)
        for el in link_labels(mine, text, (ref.width, ref.height), image):
            linked.append(el.model_copy(update={"image_id": ref.id}))
    return linked


def user_data_of(request: str, profile: dict[str, str] | None) -> list[UserDatum]:
    """What the user supplied: the request wins over the profile, key by key."""
    from_profile = load_profile(profile) if profile else []
    return merge_user_data(from_profile, parse_request(request))


async def data_mapping(state: dict[str, Any], runtime: Any) -> dict[str, Any]:
    """Fields to fill and labels still missing."""
    ctx = settings_of(runtime)
    user_data = user_data_of(state.get("request", ""), state.get("profile"))
    elements = await asyncio.to_thread(
        _link, state.get("images", []), state.get("elements", []), state.get("ocr", [])
    )
    fields, missing = map_fields(elements, user_data, ctx.match_threshold)
    update: dict[str, Any] = {
        "elements": elements, "user_data": user_data, "fields": fields, "missing": missing,
    }
    if not user_data:
        update["errors"] = [StepError(
            step=state["step"].id if state.get("step") else "data_mapping", kind="no_data",
            message="the request gives no data to fill in (try: 我叫张三，手机13812345678 / "
                    "my name is Jane Doe, email jane@example.com)",
        )]
    return update
