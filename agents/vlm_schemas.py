"""Structured-output schemas the model must answer in (sent as json_schema to vLLM).

Bounded on purpose (lengths, counts, 0–1000 ranges): vLLM's guided decoding then cannot run
away, and even a confused model yields JSON that parses. Code reads model output only
through these models, never by regex.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from agents.roster import PlannableAgent

Rel = Annotated[int, Field(ge=0, le=1000)]
RelBox = Annotated[list[Rel], Field(min_length=4, max_length=4)]
ShortText = Annotated[str, Field(max_length=200)]


class PlanStepOut(BaseModel):
    """One step of the model's plan."""

    id: Annotated[str, Field(pattern=r"^s[0-9]{1,2}$")]
    agent: PlannableAgent
    instruction: Annotated[str, Field(max_length=300)]
    depends_on: Annotated[list[Annotated[str, Field(pattern=r"^s[0-9]{1,2}$")]],
                          Field(max_length=6)]


class PlanOut(BaseModel):
    """The planner's answer."""

    task: Literal["form_fill", "read_text", "describe", "math", "frontend", "compound"]
    steps: Annotated[list[PlanStepOut], Field(min_length=1, max_length=8)]


class TextLineOut(BaseModel):
    """One OCR line."""

    text: ShortText
    bbox_2d: RelBox


class PairOut(BaseModel):
    """A printed key and its value."""

    key: Annotated[str, Field(max_length=80)]
    value: ShortText


class TableOut(BaseModel):
    """A table: rows of cell texts, header first."""

    rows: Annotated[list[Annotated[list[ShortText], Field(max_length=20)]],
                    Field(min_length=1, max_length=60)]


class OcrOut(BaseModel):
    """The OCR expert's answer."""

    lines: Annotated[list[TextLineOut], Field(max_length=300)]
    pairs: Annotated[list[PairOut], Field(max_length=100)]
    tables: Annotated[list[TableOut], Field(max_length=10)]


class ElementOut(BaseModel):
    """One control found by the GUI expert."""

    kind: Literal["text_input", "textarea", "select", "checkbox", "radio", "button", "upload",
                  "date"]
    label: Annotated[str, Field(max_length=80)]
    option: Annotated[str, Field(max_length=80)] | None
    bbox_2d: RelBox


class GuiOut(BaseModel):
    """The GUI expert's answer."""

    elements: Annotated[list[ElementOut], Field(max_length=150)]


class MappingItemOut(BaseModel):
    """One control's value, with the user's words that justify it."""

    control: Annotated[int, Field(ge=0, le=999)]
    value: ShortText
    evidence: ShortText


class MappingOut(BaseModel):
    """The data-mapping expert's answer."""

    fields: Annotated[list[MappingItemOut], Field(max_length=150)]


class ObjectOut(BaseModel):
    """One detected object."""

    label: Annotated[str, Field(max_length=80)]
    bbox_2d: RelBox


class VisionOut(BaseModel):
    """The vision expert's answer."""

    description: Annotated[str, Field(max_length=2000)]
    objects: Annotated[list[ObjectOut], Field(max_length=100)]


class MathOut(BaseModel):
    """The math expert's answer: the problem as read, the steps, a checkable answer."""

    problem: Annotated[str, Field(max_length=400)]
    steps: Annotated[list[Annotated[str, Field(max_length=300)]], Field(max_length=20)]
    answer: Annotated[str, Field(max_length=200)]
    check: Annotated[str, Field(max_length=300, description=(
        "The problem in sympy syntax: an equation like 2*x + 3 = 11, equations separated "
        "by ';', or an arithmetic expression like 12*7 + 5; '' if it cannot be written so."))]


class FrontendOut(BaseModel):
    """The frontend expert's answer: one standalone HTML document."""

    html: Annotated[str, Field(max_length=20000)]


class VideoEventOut(BaseModel):
    """One event of a video."""

    time: Annotated[str, Field(pattern=r"^[0-9]{1,2}:[0-5][0-9]$")]
    event: ShortText


class VideoOut(BaseModel):
    """The video expert's answer: a summary and events with mm:ss times."""

    summary: Annotated[str, Field(max_length=600)]
    events: Annotated[list[VideoEventOut], Field(max_length=40)]


class ActActionOut(BaseModel):
    """One action on the page: the control (its number and its box), what to do, the value."""

    control: Annotated[int, Field(ge=0, le=400)]
    bbox_2d: RelBox
    do: Literal["fill", "select", "check", "uncheck", "choose", "upload", "pick", "focus",
                "press"]
    value: Annotated[str, Field(max_length=300)]
    evidence: Annotated[str, Field(max_length=300, description=(
        "The user's exact words that ask for this action or give this value."))]


class ActClickOut(BaseModel):
    """The one click that submits or navigates after the actions."""

    control: Annotated[int, Field(ge=0, le=400)]
    bbox_2d: RelBox
    reason: ShortText


class ActOut(BaseModel):
    """The executor's decision for one screen."""

    actions: Annotated[list[ActActionOut], Field(max_length=40)]
    click: ActClickOut | None
    finished: bool
