"""``analysis/flowshape.py`` judges flow documents without pydantic when it is sure: its
verdict must be the models' own (``model.Node`` through ``NodeFields``, ``model.Flow``),
on valid, invalid and odd documents alike, and what it is sure of must be valid. (The
structure check, NF002, asks it; this replaces the test that the ``NodeFields`` fast
path judged nodes as ``model.Node`` does: unsure nodes still go that way.)"""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bench.genflow import generate_flow
from nodeforge.analysis import flowshape
from nodeforge.analysis.model import Flow, Node

_NODES = TypeAdapter(list[Node])

_NODE: dict[str, Any] = {
    "id": "n1",
    "type": "data/set",
    "version": "1.0.0",
    "title": "Set",
    "description": None,
    "position": {"x": 1, "y": 2.5},
    "config": {"values": {"a": "input.x"}},
}
_FLOW: dict[str, Any] = {
    "$schema": "https://nodeforge.dev/schemas/flow.schema.json",
    "nodeforge": "1",
    "id": "orders",
    "name": "Orders",
    "description": "d",
    "nodes": [{"id": "start", "type": "trigger/manual", "version": "1.0.0"}, _NODE],
    "connections": [{"from": "start.out", "to": "n1"}],
    "tests": [{"name": "t", "trigger": "start", "input": {}, "expect": 1, "fixtures": {}}],
}
_VALUES: list[Any] = [
    None, 0, 1, -1, 1.5, float("nan"), float("inf"), 2**63, 10**400, True, False,
    "", "x", "1", "Bad", "a/b", "a-b/c_d", "1.0.0", "1.0.0\n", "x\n", "\u0661.0.0", "a.b", "a.",
    "start.out", [], [1], {}, {"x": 1, "y": 2}, {"x": 1}, {"x": 1, "y": 2, "z": 3},
    {"x": "1", "y": 2}, {"x": True, "y": 1}, {"x": 10**400, "y": 1}, {"a": 1},
    {"from": "a.b", "to": "c"}, {"from_": "a.b", "to": "c"}, {"name": "t", "trigger": "a"},
]  # fmt: skip
_NODE_KEYS = ["id", "type", "version", "title", "description", "position", "config", "extra"]
_FLOW_KEYS = [
    "$schema", "schema_uri", "nodeforge", "id", "name", "description", "nodes",
    "connections", "tests", "extra",
]  # fmt: skip


def _model_nodes(nodes: list[Any]) -> bool:
    try:
        _NODES.validate_python(nodes, strict=True)
    except ValidationError:
        return False
    return True


def _model_flow(value: Any) -> bool:
    try:
        Flow.model_validate(value, strict=True)
    except ValidationError:
        return False
    return True


def _mutate(rng: random.Random, value: Any, keys: list[str]) -> None:
    for _ in range(rng.randint(1, 2)):
        key = rng.choice(keys)
        if rng.random() < 0.3:
            value.pop(key, None)
        else:
            value[key] = copy.deepcopy(rng.choice(_VALUES))


def test_nodes_are_judged_as_the_model_judges_them() -> None:
    rng = random.Random(5)
    for _ in range(4000):
        node = copy.deepcopy(_NODE)
        _mutate(rng, node, _NODE_KEYS)
        if rng.random() < 0.2 and isinstance(node.get("position"), dict):
            _mutate(rng, node["position"], ["x", "y", "z"])
        model = _model_nodes([node])
        assert flowshape.nodes_valid([node]) == model, node
        assert not flowshape.surely_valid_node(node) or model, node
    for odd in ([1], ["x"], [None], [[]], [{}], []):
        assert flowshape.nodes_valid(odd) == _model_nodes(odd), odd


def test_flows_are_judged_as_the_model_judges_them() -> None:
    rng = random.Random(15)
    for _ in range(4000):
        flow = copy.deepcopy(_FLOW)
        _mutate(rng, flow, _FLOW_KEYS)
        for key in ("nodes", "connections", "tests"):
            items = flow.get(key)
            if isinstance(items, list) and items and rng.random() < 0.3:
                item = items[rng.randrange(len(items))]
                if isinstance(item, dict):
                    _mutate(rng, item, [*item.keys(), "extra", "from_", "fixtures"])
        model = _model_flow(flow)
        assert flowshape.flow_valid(flow) == model, flow
        assert not flowshape.surely_valid_flow(flow) or model, flow
    for odd in (None, [], 1, "x", {}):
        assert flowshape.flow_valid(odd) == _model_flow(odd), odd


def test_generated_flows_are_surely_valid() -> None:
    for n in (1, 50, 300):
        flow = json.loads(json.dumps(generate_flow(n, error_rate=0.0)))
        assert flowshape.surely_valid_flow(flow)
        assert _model_flow(flow)


def test_sure_answers_import_no_pydantic() -> None:
    flow = json.dumps(generate_flow(20, error_rate=0.0))
    code = (
        "import json, sys\n"
        "from nodeforge.analysis import flowshape\n"
        f"flow = json.loads({flow!r})\n"
        "assert flowshape.flow_valid(flow) and flowshape.nodes_valid(flow['nodes'])\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
