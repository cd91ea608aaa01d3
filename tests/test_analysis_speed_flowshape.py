"""The structure check's batch tests (``flowshape._all_nodes_surely_valid`` and
``_all_connections_surely_valid``: each test run over every node or connection at once)
are sure only of what the item-by-item tests are sure of, so the verdict stays the
models' own, on lists of many items where one odd item hides among plain ones."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from bench.genflow import generate_flow
from nodeforge.analysis import flowshape
from tests.test_flowshape import _model_flow, _model_nodes

# Values that the batch tests could take for plain ones: a newline inside an id or an
# endpoint (the ids are matched joined by newlines), ints at the model's bounds, bools
# among numbers, keys that are not strings, unhashable types and versions.
_ODD: list[Any] = [
    None, 0, -1, 2.5, float("inf"), float("nan"), 2**63 - 1, 2**63, -(2**63), -(2**63) - 1,
    10**400, True, False, "", "a", "a\nb", "a\n", "\na", "n1\nn2", "a.b\nc.d", "a.b\n",
    "a.", ".a", "a.b.c", "Bad", "data/set", "data/set\n", "1.0.0", "1.0.0\n", "1.0", [],
    ["a"], {}, {"x": 1, "y": 2}, {"x": 1, "y": 2**63}, {"x": -(2**63), "y": 0.5},
    {"x": 1.5, "y": 2**63}, {"x": True, "y": 1}, {"x": 1}, {"x": 1, "z": 2},
    {"x": 1, "y": 2, "z": 3}, {1: "a"}, {"a": 1, 2: "b"}, {"from": "a.b", "to": "c"},
]  # fmt: skip
_NODE_KEYS = ["id", "type", "version", "title", "description", "position", "config", "extra"]


def _plain_nodes(rng: random.Random) -> list[Any]:
    flow = json.loads(json.dumps(generate_flow(rng.randint(2, 12), seed=rng.randint(0, 99))))
    nodes: list[Any] = flow["nodes"]
    for node in nodes:
        if rng.random() < 0.3:
            node["position"] = {"x": rng.randint(-5, 5), "y": rng.choice([0, 1.5, -(2**63)])}
        if rng.random() < 0.2:
            node["title"] = rng.choice(["T", None])
    return nodes


def test_the_batch_test_of_nodes_is_sure_only_of_valid_nodes() -> None:
    rng = random.Random(11)
    sure = 0
    for _ in range(3000):
        nodes = _plain_nodes(rng)
        for _ in range(rng.randint(0, 2)):
            at = rng.randrange(len(nodes))
            node = nodes[at] = copy.deepcopy(nodes[at])
            key = rng.choice(_NODE_KEYS)
            if rng.random() < 0.2:
                node.pop(key, None)
            elif key == "position" and rng.random() < 0.5:
                node[key] = {"x": rng.choice(_ODD), "y": rng.choice(_ODD)}
            elif key == "config" and rng.random() < 0.5:
                node[key] = rng.choice([{}, {"a": 1}, {1: "a"}, {"a": 1, 2: "b"}])
            else:
                node[key] = copy.deepcopy(rng.choice(_ODD))
        if rng.random() < 0.05:
            nodes[rng.randrange(len(nodes))] = rng.choice([None, [], "x", 1])
        model = _model_nodes(nodes)
        batch = flowshape._all_nodes_surely_valid(nodes)
        sure += batch
        assert not batch or all(map(flowshape.surely_valid_node, nodes)), nodes
        assert not batch or model, nodes
        assert flowshape.nodes_valid(nodes) == model, nodes
    assert sure > 500  # the plain lists are judged by the batch test


def test_the_batch_test_of_connections_is_sure_only_of_valid_connections() -> None:
    rng = random.Random(12)
    sure = 0
    for _ in range(3000):
        flow = json.loads(json.dumps(generate_flow(rng.randint(2, 12), error_rate=0.0)))
        connections: list[Any] = flow["connections"]
        for _ in range(rng.randint(0, 2)):
            if not connections:
                break
            at = rng.randrange(len(connections))
            conn = connections[at] = dict(connections[at])
            key = rng.choice(["from", "to", "extra"])
            if rng.random() < 0.2:
                conn.pop(key, None)
            else:
                conn[key] = copy.deepcopy(rng.choice(_ODD))
        if connections and rng.random() < 0.05:
            connections[rng.randrange(len(connections))] = rng.choice([None, [], {}, "a.b"])
        batch = flowshape._all_connections_surely_valid(connections)
        sure += batch
        assert not batch or all(map(flowshape._surely_valid_connection, connections)), connections
        model = _model_flow(flow)
        assert flowshape.flow_valid(flow) == model, flow
        assert not flowshape.surely_valid_flow(flow) or model, flow
    assert sure > 500


def test_ids_and_endpoints_with_newlines_are_not_taken_for_several() -> None:
    node = {"id": "a\nb", "type": "data/set", "version": "1.0.0"}
    plain = {"id": "c", "type": "data/set", "version": "1.0.0"}
    assert not flowshape._all_nodes_surely_valid([plain, node])
    assert not flowshape.nodes_valid([plain, node])
    for end in ("a.b\nc.d", "a\nb", "a.b\n", "\na"):
        connections = [{"from": "x.out", "to": "y.in"}, {"from": end, "to": "y"}]
        assert not flowshape._all_connections_surely_valid(connections)
        assert not flowshape._all_connections_surely_valid(connections[::-1])


def test_ids_and_endpoints_joined_are_judged_as_one_by_one() -> None:
    rng = random.Random(13)
    alphabet = ["a", "z", "b", "0", "9", "_", ".", "\n", "A", "-", "é", " ", "..", "a.b"]
    for _ in range(20000):
        texts = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
            for _ in range(rng.randint(1, 4))
        ]
        ids = flowshape._ids(texts)
        assert ids == all(flowshape._NODE_ID.match(t) for t in texts), texts
        ends = flowshape._endpoints(texts)
        assert ends == all(flowshape._ENDPOINT.match(t) for t in texts), texts
