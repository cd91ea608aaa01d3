"""The canvas' gestures re-analysed incrementally equal a fresh analysis (issue 15 item
7): a change of the graph re-types only the nodes downstream of it and re-resolves only
the connections it touched, so every shortcut is checked here against ``analyze``
without ``previous``."""

from __future__ import annotations

import json

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
