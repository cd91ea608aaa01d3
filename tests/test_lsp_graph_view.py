"""Unit tests of the graph view (``analysis/ide/graph_view.py``): what a canvas draws,
derived from an analysis, and the automatic layout of flows without positions."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.ide import GraphMemo, GraphView, graph_view
from nodeforge.analysis.ide.graph_view import (
    COMPONENT_GAP,
    NODE_WIDTH,
    Box,
    Point,
    auto_layout,
    node_height,
)
from nodeforge.analysis.text import PositionEncoding
from nodeforge.analysis.types import describe
from nodeforge.analysis.workspace import load_workspace
from nodeforge.server.convert import lsp_graph, lsp_graph_answer
from tests.conftest import EXAMPLES, ROOT

BROKEN = ROOT / "tests" / "flows" / "broken"


def analysed(path: Path, text: str | None = None) -> Analysis:
    text = path.read_text(encoding="utf-8") if text is None else text
    return analyze(text, path.as_uri(), 3, load_workspace(path.parent))


def view_of(path: Path, text: str | None = None) -> GraphView:
    return graph_view(analysed(path, text))


def chain_flow(nodes: list[dict[str, object]], connections: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            "nodeforge": "1",
            "id": "laid",
            "nodes": nodes,
            "connections": [{"from": f, "to": t} for f, t in connections],
        },
        indent=2,
    )


def log_node(node_id: str, **extra: object) -> dict[str, object]:
    return {
        "id": node_id,
        "type": "util/log",
        "version": "1.0.0",
        "config": {"message": node_id},
        **extra,
    }


START = {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}}


# -- the examples ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.flow.json")), ids=lambda p: p.name)
def test_examples_draw_every_node_and_connection_with_types(path: Path) -> None:
    analysis = analysed(path)
    view = graph_view(analysis)
    data = json.loads(path.read_text())
    assert view.version == 3 and view.flow_id == data["id"] and view.name == data.get("name")
    assert [n.id for n in view.nodes] == [n["id"] for n in data["nodes"]]
    assert len(view.connections) == len(data["connections"])
    assert not view.diagnostics
    text = analysis.document.text
    for node, raw in zip(view.nodes, data["nodes"], strict=True):
        assert node.key == node.id and node.type == raw["type"] and node.version == raw["version"]
        assert node.label == raw.get("title", raw["id"])
        assert node.positioned and node.position == Point(
            raw["position"]["x"], raw["position"]["y"]
        )
        manifest = analysis.workspace.catalog.get(raw["type"], raw["version"])
        assert manifest is not None
        assert node.type_title == manifest.title and node.category == manifest.category
        assert node.icon == manifest.icon and node.kind == manifest.kind
        assert [p.name for p in node.inputs] == list(manifest.inputs)
        assert [p.name for p in node.outputs] == list(manifest.outputs)
        assert all(p.type for p in (*node.inputs, *node.outputs))
        assert node.height == node_height(len(node.inputs), len(node.outputs))
        assert not node.diagnostics
        assert json.loads(text[node.span.start : node.span.end]) == raw
        assert text[node.selection_span.start : node.selection_span.end] == json.dumps(raw["id"])
    for conn in view.connections:
        assert conn.source.node is not None and conn.target.node is not None
        assert conn.source.port and conn.target.port
        facts = analysis.facts[conn.source.node]
        assert conn.type == describe(facts.output_types[conn.source.port])
        assert not conn.diagnostics
        raw_conn = data["connections"][conn.index]
        assert (conn.source.text, conn.target.text) == (raw_conn["from"], raw_conn["to"])


def test_connection_types_follow_the_analysis() -> None:
    view = view_of(EXAMPLES / "orders_api.flow.json")
    first = view.connections[0]
    assert (first.source.node, first.source.port) == ("create_order", "out")
    assert first.type is not None and "customer_email: string<email>" in first.type
    insert = next(n for n in view.nodes if n.id == "insert_order")
    assert insert.outputs[0].name == "out" and insert.outputs[0].type == "{rows_affected: integer}"


# -- diagnostics land on the node or connection they are about ------------------------------


def test_type_mismatches_mark_their_connections() -> None:
    view = view_of(BROKEN / "type_mismatch.flow.json")
    marks = [[(d.code, d.severity) for d in c.diagnostics] for c in view.connections]
    assert marks == [[("NF009", Severity.ERROR)], [("NF010", Severity.WARNING)]]
    assert all(not n.diagnostics for n in view.nodes) and not view.diagnostics
    assert "field `age`" in view.connections[0].diagnostics[0].message


def test_unknown_type_marks_its_node_and_keeps_what_the_text_says() -> None:
    view = view_of(BROKEN / "unknown_type.flow.json")
    bad = next(n for n in view.nodes if n.type == "http/reqest")
    assert [d.code for d in bad.diagnostics] == ["NF004"]
    assert bad.category == "http" and bad.type_title is None and bad.kind is None
    others = [n for n in view.nodes if n is not bad]
    assert all(not n.diagnostics for n in others)


def test_broken_connections_are_listed_and_drawn_where_they_can_be() -> None:
    view = view_of(BROKEN / "bad_connections.flow.json")
    codes = [[d.code for d in c.diagnostics] for c in view.connections]
    assert codes == [[], ["NF007"], ["NF008"], ["NF007"], [], ["NF023"]]
    wrong_port = view.connections[1]
    assert (wrong_port.source.node, wrong_port.source.port) == ("check", "yes")
    assert wrong_port.type is None  # `yes` is no output of flow/if: nothing typed flows
    check = next(n for n in view.nodes if n.id == "check")
    assert [(p.name, p.type) for p in check.outputs] == [
        ("true", check.outputs[0].type),
        ("false", check.outputs[1].type),
        ("yes", None),  # named only by the connection, so the canvas can still draw it
    ]
    unknown = view.connections[3]
    assert unknown.source.node == "check" and unknown.target.node is None
    assert unknown.target.text == "logger.in"
    duplicate = view.connections[5]  # the analysis keeps no edge for it; drawn all the same
    assert (duplicate.source.node, duplicate.target.node) == ("check", "log")
    assert (duplicate.source.port, duplicate.target.port) == ("true", "in")


def test_flow_level_diagnostics_stay_with_the_flow() -> None:
    view = view_of(BROKEN / "no_trigger.flow.json")
    assert [d.code for d in view.diagnostics] == ["NF013"]
    log = next(n for n in view.nodes if n.id == "log")
    assert [d.code for d in log.diagnostics] == ["NF016"]


def test_duplicate_ids_get_their_own_keys() -> None:
    view = view_of(BROKEN / "duplicate_ids.flow.json")
    assert [n.key for n in view.nodes] == ["start", "note", "#2"]
    assert [d.code for d in view.nodes[2].diagnostics] == ["NF003"]
    assert view.connections[0].target.node == "note"  # ids resolve to the first


def test_syntax_errors_still_give_a_view() -> None:
    analysis = analysed(BROKEN / "syntax_errors.flow.json")
    view = graph_view(analysis)
    assert len(view.nodes) == len(analysis.document.nodes)
    everywhere = [
        *view.diagnostics,
        *(d for n in view.nodes for d in n.diagnostics),
        *(d for c in view.connections for d in c.diagnostics),
    ]
    assert len(everywhere) == len(analysis.diagnostics)


def test_half_typed_nodes_are_shown() -> None:
    text = '{"nodeforge": "1", "id": "x", "nodes": [{"type": "util/log", "version": "1.0.0"}, {"id": "b", "ty'
    view = view_of(EXAMPLES / "new.flow.json", text)
    assert [n.key for n in view.nodes] == ["#0", "b"]
    assert view.nodes[0].label == "node 1" and view.nodes[0].id is None
    assert view.nodes[0].selection_span.start == view.nodes[0].span.start


def test_user_severities_apply_and_rules_can_be_switched_off() -> None:
    analysis = analysed(BROKEN / "type_mismatch.flow.json")

    def severity_of(code: str, default: Severity) -> Severity | None:
        return None if code == "NF010" else Severity.WARNING if code == "NF009" else default

    view = graph_view(analysis, severity_of=severity_of)
    marks = [[(d.code, d.severity) for d in c.diagnostics] for c in view.connections]
    assert marks == [[("NF009", Severity.WARNING)], []]


def test_extra_diagnostics_replace_the_analysis_own() -> None:
    analysis = analysed(EXAMPLES / "tax_rate.flow.json")
    from nodeforge.analysis.diagnostics import Diagnostic

    node = analysis.document.nodes[2]
    span = analysis.document.span_of((*node.path, "config"))
    build = Diagnostic("NF900", "go: undefined: x", Severity.ERROR, span)
    view = graph_view(analysis, [*analysis.diagnostics, build])
    assert [d.code for d in view.nodes[2].diagnostics] == ["NF900"]


# -- automatic layout --------------------------------------------------------------------------


def positions(view: GraphView) -> dict[str, Point]:
    return {n.key: n.position for n in view.nodes}


def test_flows_without_positions_are_laid_out_left_to_right() -> None:
    nodes = [START, log_node("a"), log_node("b"), log_node("c"), log_node("d")]
    text = chain_flow(
        nodes,
        [
            ("start.out", "a.in"),
            ("a.out", "b.in"),
            ("a.out", "c.in"),
            ("b.out", "d.in"),
            ("c.out", "d.in"),
        ],
    )
    view = view_of(EXAMPLES / "laid.flow.json", text)
    assert not any(n.positioned for n in view.nodes)
    at = positions(view)
    step = NODE_WIDTH + 90.0
    assert [at[k].x for k in ("start", "a", "b", "d")] == [0.0, step, 2 * step, 3 * step]
    assert at["b"].x == at["c"].x and at["b"].y != at["c"].y
    # The same text lays out the same way.
    assert positions(view_of(EXAMPLES / "laid.flow.json", text)) == at


def test_layers_follow_the_longest_path() -> None:
    nodes = [START, log_node("a"), log_node("b"), log_node("join")]
    text = chain_flow(
        nodes,
        [("start.out", "a.in"), ("a.out", "b.in"), ("b.out", "join.in"), ("start.out", "join.in")],
    )
    at = positions(view_of(EXAMPLES / "laid.flow.json", text))
    assert at["join"].x > at["b"].x > at["a"].x > at["start"].x


def test_cycles_and_self_loops_do_not_stop_the_layout() -> None:
    at = positions(view_of(BROKEN / "graph_problems.flow.json"))
    assert len(set(at.values())) == 5
    assert at["first"].x > at["start"].x and at["second"].x > at["first"].x


def test_nodes_of_one_layer_do_not_overlap() -> None:
    fan = [log_node(f"n{i}") for i in range(6)]
    text = chain_flow([START, *fan], [("start.out", f"n{i}.in") for i in range(6)])
    view = view_of(EXAMPLES / "laid.flow.json", text)
    column = sorted((n for n in view.nodes if n.key != "start"), key=lambda n: n.position.y)
    assert len({n.position.x for n in column}) == 1
    for upper, lower in itertools.pairwise(column):
        assert lower.position.y >= upper.position.y + upper.height


def test_unconnected_parts_are_stacked() -> None:
    text = chain_flow(
        [START, log_node("a"), log_node("other"), log_node("tail")],
        [("start.out", "a.in"), ("other.out", "tail.in")],
    )
    view = view_of(EXAMPLES / "laid.flow.json", text)
    at = positions(view)
    first_bottom = max(at[k].y + view.nodes[i].height for i, k in enumerate(("start", "a")))
    assert at["other"].y >= first_bottom + COMPONENT_GAP
    assert at["other"].x == 0.0 and at["tail"].x > at["other"].x


def test_nodes_without_positions_go_below_those_with_one() -> None:
    text = chain_flow(
        [
            dict(START, position={"x": 100, "y": 50}),
            log_node("a", position={"x": 400, "y": 80}),
            log_node("new"),
        ],
        [("start.out", "a.in"), ("a.out", "new.in")],
    )
    view = view_of(EXAMPLES / "laid.flow.json", text)
    at = positions(view)
    assert at["start"] == Point(100, 50) and at["a"] == Point(400, 80)
    new = view.nodes[2]
    assert not new.positioned
    assert at["new"].y >= max(n.position.y + n.height for n in view.nodes[:2]) + COMPONENT_GAP
    assert at["new"].x == 100


@pytest.mark.parametrize("bad", [{"x": "1", "y": 2}, {"x": 1}, [1, 2], {"x": True, "y": 0}])
def test_a_malformed_position_counts_as_none(bad: object) -> None:
    text = chain_flow([dict(START, position=bad)], [])
    view = view_of(EXAMPLES / "laid.flow.json", text)
    assert not view.nodes[0].positioned and view.nodes[0].position == Point(0, 0)


def test_barycenter_ordering_removes_a_crossing() -> None:
    # a -> y and b -> x, with x listed before y: ordering by barycenter uncrosses them.
    boxes = [Box(k, 60.0, None) for k in ("a", "b", "x", "y")]
    placed = auto_layout(boxes, [("a", "y"), ("b", "x")])
    assert placed["a"].y < placed["b"].y
    assert placed["y"].y < placed["x"].y


def test_layout_ignores_links_to_unknown_boxes_and_keeps_fixed_ones() -> None:
    boxes = [Box("fixed", 60.0, Point(5, 5)), Box("free", 60.0, None)]
    placed = auto_layout(boxes, [("fixed", "free"), ("free", "ghost"), ("free", "free")])
    assert set(placed) == {"free"}
    assert placed["free"] == Point(5, 5 + 60.0 + COMPONENT_GAP)


# -- incremental views: the memo and answers relative to the last one -------------------------


def _edits(text: str) -> list[str]:
    """A sequence of texts, each an edit of the one before (as typed in an editor)."""
    out = [text]
    out.append(out[-1].replace('"message": "b"', '"message": "b", "title": "Bee"'))  # one node
    out.append(out[-1].replace('"util/log"', '"util/lgo"', 1))  # a type that breaks
    out.append(out[-1].replace('"util/lgo"', '"util/log"'))  # and is fixed
    out.append(out[-1].replace('"id": "c",', '"id": "c", "position": {"x": 5, "y": 6},'))
    out.append(out[-1].replace('{\n      "from": "b.out",\n      "to": "c.in"\n    }', ""))
    out.append(out[-1].replace('"c"', '"c2"'))  # a node's id: its key changes
    return out


def test_the_memo_gives_the_same_view_and_reuses_unchanged_nodes() -> None:
    text = chain_flow(
        [START, log_node("a"), log_node("b"), log_node("c")],
        [("start.out", "a.in"), ("a.out", "b.in"), ("b.out", "c.in")],
    )
    workspace = load_workspace(EXAMPLES)
    memo = GraphMemo()
    previous = None
    for version, edited in enumerate(_edits(text), start=1):
        analysis = analyze(edited, "file:///m.flow.json", version, workspace, previous=previous)
        assert graph_view(analysis, memo=memo) == graph_view(analysis), f"edit {version}"
        if version == 2:  # one node changed: every other node's ports were reused
            assert memo.hits == len(analysis.document.nodes) - 1
        previous = analysis


def _merged(answer: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """A relative answer completed from ``old`` as a client does."""
    nodes = {n["key"]: n for n in old["nodes"]}
    connections = {c["index"]: c for c in old["connections"]}
    return {
        **answer,
        "nodes": [nodes[n] if isinstance(n, str) else n for n in answer["nodes"]],
        "connections": [connections[c] if isinstance(c, int) else c for c in answer["connections"]],
    }


def test_answers_relative_to_the_last_send_only_what_changed() -> None:
    text = chain_flow(
        [START, log_node("a"), log_node("b"), log_node("c")],
        [("start.out", "a.in"), ("a.out", "b.in"), ("b.out", "c.in")],
    )
    workspace = load_workspace(EXAMPLES)
    previous = None
    old: dict[str, Any] | None = None
    base = None
    for version, edited in enumerate(_edits(text), start=1):
        analysis = analyze(edited, "file:///m.flow.json", version, workspace, previous=previous)
        view = graph_view(analysis)
        lines = analysis.document.lines
        full = lsp_graph(view, lines, PositionEncoding.UTF16)
        answer, signatures = lsp_graph_answer(view, lines, PositionEncoding.UTF16, base)
        if old is None:
            assert answer == full
        else:
            assert _merged(answer, old) == full, f"edit {version}"
        if version == 2:  # only node b changed: the rest are named
            assert [n if isinstance(n, str) else n["key"] for n in answer["nodes"]] == [
                "start",
                "a",
                "b",
                "c",
            ]
            assert [isinstance(n, dict) for n in answer["nodes"]] == [False, False, True, False]
            assert all(isinstance(c, int) for c in answer["connections"])
        previous, old, base = analysis, full, signatures
    # Lines shift under a node: its ranges change, so it is sent again.
    shifted = "\n" + _edits(text)[-1]
    analysis = analyze(shifted, "file:///m.flow.json", 99, workspace, previous=previous)
    answer, _ = lsp_graph_answer(
        graph_view(analysis), analysis.document.lines, PositionEncoding.UTF16, base
    )
    assert all(isinstance(n, dict) for n in answer["nodes"])
