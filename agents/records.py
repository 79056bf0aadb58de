"""Records the agents exchange through the state: the plan, step reports, errors, the answer.

They are plain pydantic models with no graph knowledge, so agents can build them and the
graph's state schema (``agents/state.py``) can hold them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from agents.roster import AgentName
from tools.common.expert_schema import MathSolution, VideoEvent
from tools.common.schema import FilledField, KeyValue, Table

TaskKind = Literal["form_fill", "read_text", "describe", "update", "question", "math",
                   "frontend", "video", "compound", "act"]
"""update / question: follow-ups on a thread that reuse what earlier turns perceived."""
StepStatus = Literal["pending", "done", "failed", "skipped"]
Backend = Literal["offline", "vllm"]


class TurnList(list):  # type: ignore[type-arg]
    """A list that replaces, instead of extends, a reduced state key: a new turn's start.

    A plain list subclass, so whoever reads a streamed update still sees a list.
    """


class TurnDict(dict):  # type: ignore[type-arg]
    """A dict that replaces, instead of merges into, a reduced state key (a new turn)."""


class DetectedObject(BaseModel):
    """One object the vision expert found."""

    label: str = Field(description="What it is.")
    bbox: list[int] = Field(description="Box in original-image pixels.")
    image_id: str = Field(default="img1", description="Which image it is on.")


class Step(BaseModel):
    """One node of the plan's DAG."""

    id: str = Field(description="Step id, s1, s2, …")
    agent: AgentName = Field(description="Which expert node runs it.")
    instruction: str = Field(description="What the expert is asked to do.")
    depends_on: list[str] = Field(default_factory=list, description="Steps that must end first.")


class Plan(BaseModel):
    """The planner's decomposition of the request."""

    task: TaskKind = Field(description="The kind of task recognised.")
    steps: list[Step] = Field(description="The steps, a DAG through depends_on.")


class StepReport(BaseModel):
    """How one step ended."""

    status: StepStatus = Field(description="done, failed, or skipped.")
    backend: Backend = Field(description="Which engine produced the step's output.")
    seconds: float = Field(default=0.0, description="Wall time the step took.")
    attempts: int = Field(default=1, description="How many times it was tried.")
    message: str | None = Field(default=None, description="Summary or the failure reason.")
    recovered: bool = Field(
        default=False, description="Failed, but the offline engine's result stands in.")


Decision = Literal["auto", "accepted", "edited", "rejected"]


class Approval(BaseModel):
    """The user's verdict on the fields before the answer is committed."""

    decision: Decision = Field(description="auto (approve=auto), accepted, edited, rejected.")
    edits: dict[str, str] = Field(default_factory=dict, description="Label → value the user set.")
    reason: str | None = Field(default=None, description="Why the user rejected, if said.")
    problems: list[str] = Field(
        default_factory=list, description="Edited values that still fail validation.")


class StepError(BaseModel):
    """A failure, kept beside everything other steps produced."""

    step: str = Field(description="Step id, or the node name for non-plan nodes (ingest).")
    message: str = Field(description="One line a user can act on.")
    fatal: bool = Field(default=False, description="True when no answer can be made.")
    kind: str = Field(default="error", description="bad_input | no_data | error.")


class MissingField(BaseModel):
    """A control the user gave no value for, where it is (to draw it)."""

    label: str
    bbox: list[int] = Field(description="The control's box (a radio group's union), pixels.")
    image_id: str = "img1"
    kind: str = Field(description="The control's kind.")


class ActReport(BaseModel):
    """How a run in the browser ended."""

    start_url: str
    final_url: str = ""
    title: str = ""
    ok: bool = Field(default=False, description="Everything asked was done and read back.")
    message: str = ""
    screenshots: list[str] = Field(default_factory=list, description="One per screen seen.")
    blocked: list[str] = Field(default_factory=list, description="Requests the host fence "
                                                                 "refused.")
    pending: list[str] = Field(default_factory=list, description="Instructions not done.")
    not_on_screen: list[str] = Field(
        default_factory=list, description="Controls acted on whose name the DOM gives but OCR "
                                          "of the screenshot does not show near them.")
    files: dict[str, str] = Field(default_factory=dict, description="Replay script, values.")


class Part(BaseModel):
    """Which expert produced which part of a compound answer."""

    step: str = Field(description="The plan step.")
    expert: str = Field(description="The expert (agent) that ran it.")
    backend: str = Field(description="offline or vllm.")
    produced: str = Field(description="What it contributed, in a few words.")


class Answer(BaseModel):
    """The run's answer (DESIGN.md 'Answer JSON'; keys are stable)."""

    task: str
    backend: str
    plan: list[dict[str, Any]] = Field(default_factory=list)
    fields: list[FilledField] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    missing_fields: list[MissingField] = Field(
        default_factory=list, description="Where the missing controls are.")
    approval: str | None = Field(
        default=None, description="The user's verdict: auto, accepted, edited, rejected.")
    suggestion: str = ""
    script: str = ""
    overlay: str | None = None
    warnings: list[str] = Field(default_factory=list)
    errors: list[StepError] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict, description="Artefacts written.")
    text: str = Field(default="", description="read_text: the text; describe: the description.")
    pairs: list[KeyValue] = Field(
        default_factory=list, description="read_text: printed key-value pairs.")
    tables: list[Table] = Field(
        default_factory=list, description="read_text: tables, rows of cell texts.")
    objects: list[DetectedObject] = Field(
        default_factory=list, description="describe: objects found, boxes in original pixels.")
    math: list[MathSolution] = Field(
        default_factory=list, description="math: each problem, its steps and checked answer.")
    html: str = Field(default="", description="frontend: the page rebuilt as HTML/CSS.")
    similarity: float | None = Field(
        default=None, description="frontend: how alike the rendered HTML and the input look.")
    events: list[VideoEvent] = Field(
        default_factory=list, description="video: events with mm:ss timestamps.")
    parts: list[Part] = Field(
        default_factory=list, description="Which expert produced which part of the answer.")
    actions: list[dict[str, Any]] = Field(
        default_factory=list, description="act: every browser action, its read-back and "
                                          "outcome (secrets masked).")
    act: ActReport | None = Field(default=None, description="act: how the browser run ended.")
