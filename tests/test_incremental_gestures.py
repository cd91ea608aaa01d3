"""The canvas' gestures re-analysed incrementally equal a fresh analysis (issue 15 item
7): a change of the graph re-types only the nodes downstream of it and re-resolves only
the connections it touched, so every shortcut is checked here against ``analyze``
without ``previous``."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.genflow import generate_text
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.workspace import load_workspace

WORKSPACE = load_workspace(None)
NODES_END = '\n  ],\n  "connections": ['
CONNECTIONS_END = "\n  ]\n}"


def add_node(text: str, node: dict[str, object]) -> str:
    at = text.index(NODES_END)
    return text[:at] + ",\n    " + json.dumps(node) + text[at:]


def add_connection(text: str, source: str, target: str) -> str:
    at = text.rindex(CONNECTIONS_END)
    return text[:at] + ",\n    " + json.dumps({"from": source, "to": target}) + text[at:]


def same(current: Analysis, fresh: Analysis) -> None:
    assert [(d.code, d.span, d.message) for d in current.diagnostics] == [
        (d.code, d.span, d.message) for d in fresh.diagnostics
    ]
    assert {k: (f.input_types, f.output_types) for k, f in current.facts.items()} == {
        k: (f.input_types, f.output_types) for k, f in fresh.facts.items()
    }
    assert current.graph.topological_order() == fresh.graph.topological_order()
    assert [(e.source, e.source_port, e.target, e.target_port, e.index) for e in (
        edge for nid in current.graph.nodes for edge in current.graph.successors[nid]
    )] == [(e.source, e.source_port, e.target, e.target_port, e.index) for e in (
        edge for nid in fresh.graph.nodes for edge in fresh.graph.successors[nid]
    )]  # fmt: skip


def walk(base: str, steps: list[str]) -> None:
    """Re-analyse each step incrementally from the one before, forth and back again to
    ``base``: every analysis equals a fresh one. Each step changes the text (an edit
    whose pattern no longer matches would make the walk test nothing)."""
    for before, after in zip([base, *steps], steps, strict=False):
        assert after != before
        json.loads(after)  # every step is a well-formed document
    previous = analyze(base, workspace=WORKSPACE)
    for version in [*steps, *reversed(steps[:-1]), base]:
        current = analyze(version, workspace=WORKSPACE, previous=previous)
        same(current, analyze(version, workspace=WORKSPACE))
        previous = current


def test_gestures_re_analysed_incrementally_equal_fresh_analyses() -> None:
    base = generate_text(200, error_rate=0)
    # A node naming another that does not exist yet, then that node: the id appears.
    asker = {
        "id": "asker",
        "type": "data/set",
        "version": "1.0.0",
        "config": {"values": {"seen": "nodes.later.out.total", "typo": "nodes.latr.out"}},
    }
    later = {
        "id": "later",
        "type": "data/set",
        "version": "1.0.0",
        "config": {"values": {"total": "input.total * 2"}},
    }
    steps: list[str] = []
    text = add_node(base, asker)
    steps.append(text)
    text = add_connection(text, "n2.out", "asker.in")
    steps.append(text)
    text = add_node(text, later)  # `nodes.later` now names a node, `latr` is close to it
    steps.append(text)
    assert "did you mean `later`" in str([d.message for d in analyze(text).diagnostics])
    text = add_connection(text, "n5.out", "later.in")  # typed: `total` exists
    steps.append(text)
    text = text.replace('"from": "n5.out", "to": "later.in"', '"from": "n5.out", "to": "n9.in"')
    steps.append(text)  # rewired: later loses its input, n9 gains one
    text = text.replace(",\n    " + json.dumps(later), "")
    steps.append(text)  # removed: the connection into it now dangles
    first = text.index('{"from": ')  # the first connection of the chain
    end = text.index("}", first) + 1
    text = text[:first] + text[end + 6 :]  # removed (with its comma and indentation)
    steps.append(text)
    text = text.replace('"id": "n3"', '"id": "n3x"', 1)
    steps.append(text)  # an id renamed: its connections dangle, downstream untyped
    walk(base, steps)


def test_type_mismatches_follow_gestures_and_edits() -> None:
    """The connections' type checks are reused per target node (its facts, edges and
    sources' types unchanged): mismatches appear, move and go as a fresh analysis says."""
    base = generate_text(200, error_rate=0)
    strict = {
        "id": "strict",
        "type": "code/go",
        "version": "1.0.0",
        "config": {
            "source": "return input, nil",
            "input_schema": {
                "type": "object",
                "required": ["f3"],
                "properties": {"f3": {"type": "string"}},
            },
        },
    }
    steps: list[str] = []
    text = add_node(base, strict)
    steps.append(text)
    text = add_connection(text, "n3.out", "strict.in")  # f3 is a number: NF009
    steps.append(text)
    assert "NF009" in {d.code for d in analyze(text).diagnostics}
    text = text.replace('"f3": "input.total * 2"', '"f3": "input.customer"')
    steps.append(text)  # the source's type changes, the graph does not: it fits now
    text = add_connection(text, "start.out", "strict.in")  # no f3 at all
    steps.append(text)
    text = text.replace('"required": ["f3"]', '"required": []')
    steps.append(text)  # the target accepts it now
    text = text.replace(',\n    {"from": "n3.out", "to": "strict.in"}', "")
    steps.append(text)
    walk(base, steps)


def same_graph_facts(current: Analysis, fresh: Analysis) -> None:
    """Beyond :func:`same`: what a graph derived from the previous one keeps (its nodes,
    triggers, reachability, cycles)."""
    assert current.graph.nodes == fresh.graph.nodes
    assert current.graph.triggers == fresh.graph.triggers
    assert current.graph.joins == fresh.graph.joins
    assert current.graph.reachable() == fresh.graph.reachable()
    assert current.graph.cycles() == fresh.graph.cycles()


def test_nodes_dropped_and_deleted_keep_the_graph_equal_to_a_fresh_one() -> None:
    """A node added or removed that no connection names reuses the previous graph
    (its edges, Kahn's order, reachability) and connection problems: in a flow with
    dangling connections (unknown nodes, whose did-you-mean depends on every id), for
    nodes added last or in the middle, triggers, a node whose type changes."""
    base = generate_text(200)  # with errors: connections naming `missing_...` nodes
    assert "Unknown node `missing_107`" in str([d.message for d in analyze(base).diagnostics])
    steps: list[str] = []
    text = add_node(base, {"id": "lone", "type": "util/log", "version": "1.0.0", "config": {}})
    steps.append(text)
    near = {"id": "missing_10", "type": "util/log", "version": "1.0.0", "config": {}}
    text = add_node(text, near)  # close to `missing_107`: its did-you-mean changes
    steps.append(text)
    hook = {"id": "hook", "type": "trigger/manual", "version": "1.0.0", "config": {}}
    text = add_node(text, hook)  # a trigger: reachable by itself
    steps.append(text)
    text = text.replace(
        '"id": "lone", "type": "util/log"', '"id": "lone", "type": "trigger/manual"'
    )
    steps.append(text)  # an isolated node becomes a trigger
    text = text.replace(
        '"id": "lone", "type": "trigger/manual", "version": "1.0.0"',
        '"id": "lone", "type": "trigger/manual", "version": "9.0.0"',
    )
    steps.append(text)  # unknown version: still a trigger, no manifest
    first = text.index('    {\n      "id": "n1"')
    middle = json.dumps({"id": "mid", "type": "util/log", "version": "1.0.0", "config": {}})
    text = text[:first] + "    " + middle + ",\n" + text[first:]
    steps.append(text)  # a node inserted before others: ids in another order
    text = text.replace(",\n    " + json.dumps(near), "")
    steps.append(text)  # removed again
    text = add_node(
        text, {"id": "missing_107", "type": "util/log", "version": "1.0.0", "config": {}}
    )
    steps.append(text)  # the dangling connection resolves now
    text = add_connection(text, "hook.out", "lone.in")
    steps.append(text)
    text = add_connection(text, "hook.out", "lone.in")  # again: a duplicate (NF023)
    steps.append(text)
    text = add_connection(text, "n2.out", "n3.in")  # a duplicate of an earlier one
    steps.append(text)
    pad = {"id": "pad", "type": "util/log", "version": "1.0.0", "config": {}}
    text = add_node(text, pad)  # a node alone: the names connections give are known
    steps.append(text)
    text = add_connection(text, "n2.out", "nowhere.in")  # an unknown node
    steps.append(text)
    once = text
    text = add_connection(text, "n4.out", "nowhere.in")  # named twice
    steps.append(text)
    steps.append(once)  # the last connection removed: `nowhere` is still named
    nowhere = {"id": "nowhere", "type": "util/log", "version": "1.0.0", "config": {}}
    text = add_node(once, nowhere)  # the first connection resolves now
    steps.append(text)
    for name in ("u1", "u2"):
        text = add_node(text, {"id": name, "type": "util/log", "version": "1.0.0", "config": {}})
        steps.append(text)
    text = add_connection(text, "u1.out", "u2.in")  # unreachable, both
    steps.append(text)
    text = add_connection(text, "n2.out", "u1.in")  # u1 and, through it, u2 reached
    steps.append(text)
    walk(base, steps)
    previous = analyze(base, workspace=WORKSPACE)
    for version in [*steps, *reversed(steps[:-1]), base]:
        current = analyze(version, workspace=WORKSPACE, previous=previous)
        same_graph_facts(current, analyze(version, workspace=WORKSPACE))
        previous = current


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30)), min_size=1, max_size=8))
def test_random_gestures_equal_fresh_analyses(moves: list[tuple[int, int]]) -> None:
    """Random drops, deletions, wires and unwirings of nodes (at the end of the list or
    inside it), each re-analysed from the one before, equal fresh analyses."""
    text = generate_text(40, seed=3)
    added: list[str] = []
    wires: list[str] = []
    previous = analyze(text, workspace=WORKSPACE)
    for step, (move, k) in enumerate(moves):
        if move == 0 or not added:
            kind = ("util/log", "trigger/manual", "data/set")[k % 3]
            node = {"id": f"x{step}", "type": kind, "version": "1.0.0", "config": {}}
            if k % 2:
                text = add_node(text, node)
            else:
                first = text.index('    {\n      "id": "n1"')
                text = text[:first] + "    " + json.dumps(node) + ",\n" + text[first:]
            added.append(f"x{step}")
        elif move == 1:
            gone = added.pop(k % len(added))
            node_at = text.index(f'{{"id": "{gone}"')
            end = text.index("}}", node_at) + 2
            before, after = text[:node_at].rstrip(), text[end:]
            if before.endswith(","):
                text = before[:-1] + after if after.lstrip().startswith("]") else before + after[1:]
            else:
                text = before + after.lstrip(",")
        elif move == 2:
            wire = json.dumps({"from": f"n{k}.out", "to": f"{added[k % len(added)]}.in"})
            text = text[: text.rindex(CONNECTIONS_END)] + ",\n    " + wire + CONNECTIONS_END + "\n"
            wires.append(wire)
        elif move == 3 and wires:
            wire = wires.pop(k % len(wires))
            text = text.replace(",\n    " + wire, "", 1)
        else:
            text = text.replace('"id": "n', '"id": "n', 1)  # unchanged text
        json.loads(text)
        current = analyze(text, workspace=WORKSPACE, previous=previous)
        fresh = analyze(text, workspace=WORKSPACE)
        same(current, fresh)
        same_graph_facts(current, fresh)
        previous = current
