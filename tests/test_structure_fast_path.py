"""The file-structure check validates nodes as dicts (``flowshape.nodes_valid``: plain
Python when surely valid, else ``model.NodeFields``): it must judge every node exactly
as the :class:`~nodeforge.analysis.model.Node` model does."""

from __future__ import annotations

import copy
import random
from typing import Any

from pydantic import TypeAdapter, ValidationError

from nodeforge.analysis.flowshape import nodes_valid
from nodeforge.analysis.model import Node

_MODEL = TypeAdapter(list[Node])

_BASE: list[dict[str, Any]] = [
    {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
    {
        "id": "n1",
        "type": "data/set",
        "version": "1.0.0",
        "title": "Set",
        "description": None,
        "position": {"x": 1, "y": 2.5},
        "config": {"values": {"a": "input.x"}},
    },
]
_VALUES: list[Any] = [
    None, 1, 1.5, True, "x", "Bad", "a/b", "1.0.0", [], {}, {"x": 1, "y": 2}, {"x": 1},
    {"x": 1, "y": 2, "z": 3}, {"x": "1", "y": 2}, {"x": True, "y": 1}, {"a": 1},
]  # fmt: skip
_KEYS = ["id", "type", "version", "title", "description", "position", "config", "extra"]


def _valid(adapter: TypeAdapter[Any], nodes: list[Any]) -> bool:
    try:
        adapter.validate_python(nodes, strict=True)
    except ValidationError:
        return False
    return True


def test_nodes_as_dicts_are_judged_as_the_model_judges_them() -> None:
    rng = random.Random(15)
    for _ in range(3000):
        node = copy.deepcopy(rng.choice(_BASE))
        for _ in range(rng.randint(1, 2)):
            key = rng.choice(_KEYS)
            if rng.random() < 0.3:
                node.pop(key, None)
            else:
                node[key] = rng.choice(_VALUES)
        assert nodes_valid([node]) == _valid(_MODEL, [node]), node
    for odd in ([1], ["x"], [None], [[]], [{}]):
        assert nodes_valid(odd) == _valid(_MODEL, odd), odd
