"""Builds and compiles the vlcrew graph.

``START → ingest → planner → dispatch ─Send→ experts (parallel when independent) → dispatch
… → END``; before feedback commits a form's fields, dispatch routes through ``approval``
(which interrupts for the user's verdict when ``approve="ask"``). The experts are the
roster's (``agents/roster.py``). ``build_graph`` lets tests and embedders swap nodes, inject
the chat models and pass a checkpointer; ``graph`` is the compiled default that
``langgraph.json`` points at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.graph import END, START, StateGraph

from agents.approval import approval
from agents.context import Context
from agents.data_mapping import data_mapping
from agents.executor import executor
from agents.feedback import feedback
from agents.frontend import frontend
from agents.gui import gui
from agents.ingest import ingest
from agents.math_expert import math
from agents.models import Models
from agents.ocr import ocr
from agents.planner import planner
from agents.roster import EXPERT_NAMES
from agents.state import InputState, OutputState, VLState
from agents.video import video
from agents.vision import vision
from graph.routing import after_ingest, dispatch_ready
from graph.steps import plain_node, step_node

EXPERT_NODES = {
    "ocr": ocr, "gui": gui, "data_mapping": data_mapping, "vision": vision, "math": math,
    "frontend": frontend, "video": video, "executor": executor, "feedback": feedback,
}
"""The node function of every expert in the roster (``agents/roster.py``)."""
DEFAULT_NODES = {"ingest": ingest, "planner": planner, "approval": approval, **EXPERT_NODES}


async def dispatch(state: VLState) -> dict[str, Any]:
    """No model call: the conditional edge after it sends the ready steps."""
    return {}


def build_graph(
    *, nodes: Mapping[str, Any] | None = None, models: Models | None = None,
    checkpointer: Any = None, name: str = "vlcrew", **compile_kwargs: Any,
) -> Any:
    """Compile the graph.

    ``nodes`` replaces node functions by name (tests, embedding); ``models`` gives the chat
    models every model call of a run uses (``agents.models.Models``: planner and expert), in
    place of clients built from the context's ``base_url`` (a run's own
    ``Context.using(...)`` still wins); ``checkpointer`` keeps threads.
    """
    impl = {**DEFAULT_NODES, **(nodes or {})}
    unknown = set(EXPERT_NAMES) - set(impl)
    if unknown:
        raise ValueError(f"experts in the roster without a node function: {sorted(unknown)}")
    builder = StateGraph(VLState, context_schema=Context, input_schema=InputState,
                         output_schema=OutputState)
    builder.add_node("ingest", plain_node(impl["ingest"], models))
    builder.add_node("planner", plain_node(impl["planner"], models))
    builder.add_node("dispatch", dispatch)
    builder.add_node("approval", plain_node(impl["approval"], models))
    builder.add_edge("approval", "dispatch")
    for expert in EXPERT_NAMES:
        builder.add_node(expert, step_node(impl[expert], models))
        builder.add_edge(expert, "dispatch")
    builder.add_edge(START, "ingest")
    builder.add_conditional_edges("ingest", after_ingest, ["planner", "feedback"])
    builder.add_edge("planner", "dispatch")
    builder.add_conditional_edges("dispatch", dispatch_ready,
                                  [*EXPERT_NAMES, "planner", "approval", END])
    return builder.compile(checkpointer=checkpointer, name=name, **compile_kwargs)


graph = build_graph()
