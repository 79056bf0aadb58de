"""The expert roster: the one table of the crew's experts.

Everything that must agree on who the experts are is derived from :data:`ROSTER`: the plan
step's ``agent`` type (``records.AgentName``), the enum of the planner's structured output
(``vlm_schemas.PlanStepOut.agent``), the planner prompt's list of experts, the nodes the
graph builds and routes to (``graph/builder.py``, ``graph/routing.py``). Adding an expert is
one row here plus its node function in the builder's map; a test checks that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal


@dataclass(frozen=True)
class Expert:
    """One expert node that plan steps can be sent to."""

    name: str
    """Node name, and the ``agent`` of a plan step."""
    duty: str
    """What the Thinking planner is told it does; '' when only rules plan it (its plans are
    fixed: a video's frames, a browser run)."""


ROSTER: tuple[Expert, ...] = (
    Expert("ocr", "read every text line with its box."),
    Expert("gui", "find the form's controls (text inputs, textareas, selects, checkboxes, "
                  "radios, date fields, buttons) with their labels and boxes."),
    Expert("data_mapping", "map the data the user gave onto the controls; never invent a "
                           "value."),
    Expert("vision", "describe the image and detect the objects the user asks about, with "
                     "boxes."),
    Expert("math", "solve printed problems or compute from numbers read (after ocr), step by "
                   "step."),
    Expert("frontend", "rebuild the screenshot as HTML/CSS (after ocr and gui)."),
    Expert("video", ""),
    Expert("executor", ""),
    Expert("feedback", "validate, list what is missing, and write the answer (always last)."),
)

EXPERT_NAMES: tuple[str, ...] = tuple(e.name for e in ROSTER)
"""Every expert node, in roster order."""
PLANNABLE: tuple[Expert, ...] = tuple(e for e in ROSTER if e.duty)
"""The experts the Thinking planner may put in a plan."""

if TYPE_CHECKING:
    AgentName = str
    PlannableAgent = str
else:
    # Literal types built from the table at run time: pydantic validates against them and
    # writes them as the enum of the JSON schema the model must answer in.
    AgentName = Literal[EXPERT_NAMES]
    PlannableAgent = Literal[tuple(e.name for e in PLANNABLE)]
