"""The expert roster is the one source: the plan step type, the planner's output schema, the
planner prompt's list, routing and the graph's nodes all agree with it."""

from __future__ import annotations

import re
import typing

import pytest

from agents.prompts import PLANNER_SYSTEM
from agents.records import Step
from agents.roster import EXPERT_NAMES, PLANNABLE, ROSTER, AgentName
from agents.vlm_schemas import PlanOut
from graph.builder import DEFAULT_NODES, EXPERT_NODES, build_graph, graph


def test_the_step_type_and_the_plan_schema_come_from_the_roster() -> None:
    assert typing.get_args(AgentName) == EXPERT_NAMES == tuple(e.name for e in ROSTER)
    assert Step.model_json_schema()["properties"]["agent"]["enum"] == list(EXPERT_NAMES)
    plan_step = PlanOut.model_json_schema()["$defs"]["PlanStepOut"]
    assert plan_step["properties"]["agent"]["enum"] == [e.name for e in PLANNABLE]


def test_the_planner_prompt_lists_exactly_the_plannable_experts() -> None:
    listed = re.findall(r"^- (\w+): (.+)$", PLANNER_SYSTEM, re.M)
    assert listed == [(e.name, e.duty) for e in PLANNABLE]


def test_every_expert_is_a_node_the_dispatcher_can_send_to() -> None:
    assert set(EXPERT_NODES) == set(EXPERT_NAMES)
    nodes = set(graph.get_graph().nodes)
    assert set(EXPERT_NAMES) <= nodes
    edges = {(e.source, e.target) for e in graph.get_graph().edges}
    assert all(("dispatch", name) in edges for name in EXPERT_NAMES)


def test_a_roster_expert_without_a_node_function_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("graph.builder.DEFAULT_NODES",
                        {k: v for k, v in DEFAULT_NODES.items() if k != "video"})
    with pytest.raises(ValueError, match="video"):
        build_graph()
