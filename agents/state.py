"""The shared, typed blackboard every node reads and writes.

Nodes return only the keys they change. Keys that parallel branches write (step reports,
errors, warnings, reasoning) have reducers; every other key has one writer per turn, except
that ingest resets the per-turn keys when a new turn starts on a thread (and the perception
keys when the images change), approval may revise the fields mapping wrote, and mapping
drops a hand edit that a later turn overrides. Boxes are
``[x1, y1, x2, y2]`` integer pixels of the original image; images are referenced by path in
a content-addressed store, never embedded as base64.

It lives beside the nodes, not in graph/, so that every node can take it as its type
(``state: StepInput``) without an import pointing up; the graph compiles over it.
"""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict

from agents.records import (
    ActReport,
    Answer,
    Approval,
    Backend,
    DetectedObject,
    Plan,
    Step,
    StepError,
    StepReport,
    TurnDict,
    TurnList,
)
from tools.common.expert_schema import HtmlRebuild, MathSolution, Reading, Similarity, VideoEvent
from tools.common.schema import (
    Element,
    FilledField,
    ImageRef,
    KeyValue,
    Table,
    TextBlock,
    UserDatum,
    VideoRef,
)


def merge_reports(left: dict[str, StepReport], right: dict[str, StepReport]) -> dict[str, StepReport]:
    """Parallel steps each report their own id; later reports for an id win; a new turn
    (``TurnDict``) starts afresh."""
    if isinstance(right, TurnDict):
        return dict(right)
    return {**(left or {}), **(right or {})}


def extend(left: list[Any], right: list[Any]) -> list[Any]:
    """Parallel steps append; a new turn (``TurnList``) starts the list afresh."""
    if isinstance(right, TurnList):
        return list(right)
    return [*(left or []), *(right or [])]


class InputState(TypedDict):
    """What a caller sends: the chat, optionally a profile of the user's data."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation; the last human message holds the request text and image parts."""
    profile: NotRequired[dict[str, str]]
    """Optional user data (label or key → value) besides what the request says."""
    url: NotRequired[str]
    """A live page to act on in the browser (vlcrew act): the executor's start URL."""


class OutputState(TypedDict):
    """What a caller gets back."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation, ending with the assistant's summary."""
    answer: Answer
    """The structured answer."""


class VLState(InputState):
    """The whole blackboard."""

    request: NotRequired[str]
    """The request text of the last human message."""
    requests: NotRequired[list[str]]
    """Every human turn's text, oldest first (later turns override earlier data)."""
    backend: NotRequired[Backend]
    """The engine this run uses, decided once at ingest."""
    images: NotRequired[list[ImageRef]]
    """Normalised input images (a follow-up without images keeps the thread's)."""
    videos: NotRequired[list[VideoRef]]
    """Input videos (the video expert samples their frames)."""
    fresh_images: NotRequired[bool]
    """This turn brought images not seen before on the thread: perceive them again."""
    turn: NotRequired[int]
    """How many human turns this thread has had (1 on the first)."""
    plan: NotRequired[Plan | None]
    """The planner's DAG."""
    replans: NotRequired[int]
    """How many times the planner revised the plan after a failure (at most once)."""
    reasoning: Annotated[list[str], extend]
    """The planner's thinking trace(s); shown, never parsed."""
    step_reports: Annotated[dict[str, StepReport], merge_reports]
    """Status of every step that has ended, by step id."""
    ocr: NotRequired[list[TextBlock]]
    """Text lines found on the images."""
    ocr_pairs: NotRequired[list[KeyValue]]
    """Printed key-value pairs (filled forms, receipts, ID cards)."""
    ocr_tables: NotRequired[list[Table]]
    """Tables read off the images (the model's, or offline ruled/aligned grids for documents)."""
    elements: NotRequired[list[Element]]
    """UI controls found on the images (labels linked by data mapping)."""
    user_data: NotRequired[list[UserDatum]]
    """Values the user supplied (request and profile)."""
    fields: NotRequired[list[FilledField]]
    """The mapping of user data onto the form."""
    missing: NotRequired[list[str]]
    """Labels of form fields the user gave no value for."""
    description: NotRequired[str]
    """What the vision expert says the image shows."""
    objects: NotRequired[list[DetectedObject]]
    """Objects the vision expert found (original pixels)."""
    approve_mode: NotRequired[str]
    """The approval policy this turn started with (auto or ask); a resume keeps it."""
    approval: NotRequired[Approval | None]
    """The user's verdict on this turn's fields (None until asked)."""
    user_edits: NotRequired[dict[str, str]]
    """Values the user set by hand at approval (label → value); later turns keep them."""
    reading: NotRequired[Reading | None]
    """Document reading: columns, lines and paragraphs in reading order (offline OCR)."""
    math: NotRequired[list[MathSolution]]
    """Problems the math expert solved, each checked by sympy where it could be parsed."""
    html: NotRequired[HtmlRebuild | None]
    """The frontend expert's HTML/CSS rebuild of the screenshot."""
    similarity: NotRequired[Similarity | None]
    """How alike the rendered rebuild and the screenshot look."""
    events: NotRequired[list[VideoEvent]]
    """What happens in the video, indexed by time."""
    actions: NotRequired[list[dict[str, Any]]]
    """What the executor did in the browser, each action read back (secrets masked)."""
    act: NotRequired[ActReport | None]
    """How the browser run ended."""
    answer: NotRequired[Answer]
    """The assembled answer."""
    warnings: Annotated[list[str], extend]
    """Things the user should know (fallbacks, low confidence)."""
    errors: Annotated[list[StepError], extend]
    """Per-step failures; never erase what other steps produced."""


class StepInput(VLState):
    """What dispatch sends to an expert: the blackboard plus the step to run."""

    step: NotRequired[Step]
    """The step this invocation runs (absent when feedback runs straight after a fatal
    ingest error)."""
