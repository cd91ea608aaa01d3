"""What an analysis keeps per node, made small (issue 15 item 7), and still exact.

Facts share what is equal (a dict of port types per distinct mapping, no syntax-error
list for a site without any, a site's path made when asked), the memo keeps a constant
result as its key alone, and each shortcut still gives what a fresh analysis gives.
"""

from __future__ import annotations

import json
import sys

from bench.genflow import generate_text
from nodeforge.analysis.engine import MISSING, NO_ERRORS, Memo, analyze
from nodeforge.analysis.rules import checks
from nodeforge.analysis.workspace import load_workspace
from tests.test_incremental_gestures import CONNECTIONS_END, add_connection, add_node, walk

WORKSPACE = load_workspace(None)
SCHEMA = {"type": "object", "properties": {"total": {"type": "number"}}}


def _flow(first: list[dict[str, object]], expression: str = "input.totl") -> str:
    nodes = [
        *first,
        {"id": "start", "type": "trigger/manual", "version": "1.0.0"},
        {
            "id": "a",
            "type": "data/set",
            "version": "1.0.0",
            "config": {"values": {"f": expression}},
        },
        {"id": "b", "type": "util/log", "version": "1.0.0", "config": {"message": "x"}},
        {"id": "c", "type": "util/log", "version": "1.0.0", "config": {"message": "y"}},
    ]
    nodes[len(first)]["config"] = {"input_schema": SCHEMA}
    connections = [
        {"from": "start.out", "to": "a.in"},
        {"from": "a.out", "to": "b.in"},
        {"from": "a.out", "to": "c.in"},
    ]
    return json.dumps({"nodeforge": "1", "nodes": nodes, "connections": connections}, indent=1)


def _located(analysis: object) -> list[tuple[str, object, str]]:
    return [(d.code, d.span, d.message) for d in analysis.diagnostics]  # type: ignore[attr-defined]


def test_a_node_moved_reports_its_expression_where_it_now_is() -> None:
    before = _flow([])
    after = _flow([{"id": "z", "type": "util/log", "version": "1.0.0", "config": {}}])
    previous = analyze(before, workspace=WORKSPACE)
    current = analyze(after, workspace=WORKSPACE, previous=previous)
    fresh = analyze(after, workspace=WORKSPACE)
    assert "NF018" in {d.code for d in fresh.diagnostics}
    assert _located(current) == _located(fresh)
    site, was = current.facts["a"].expressions[0], previous.facts["a"].expressions[0]
    assert site.path == ("nodes", 2, "config", "values", "f")
    assert site.result is was.result  # not checked again: its previous facts' typing


def test_nodes_fed_the_same_type_share_their_port_mappings() -> None:
    analysis = analyze(_flow([], "input.total"), workspace=WORKSPACE)
    b, c = analysis.facts["b"], analysis.facts["c"]
    assert b.input_types is c.input_types
    assert b.output_types is c.output_types  # util/log passes its input on
    assert b.input_types == {"in": analysis.facts["a"].output_types["out"]}


def test_a_site_without_syntax_errors_shares_the_empty_sequence() -> None:
    analysis = analyze(_flow([], "input.total"), workspace=WORKSPACE)
    assert analysis.facts["a"].expressions[0].syntax_errors is NO_ERRORS
    broken = analyze(_flow([], "input.total +"), workspace=WORKSPACE)
    assert broken.facts["a"].expressions[0].syntax_errors
    assert "NF017" in {d.code for d in broken.diagnostics}


def test_a_memo_keeps_a_mark_as_its_key_alone() -> None:
    key, other = {"id": "a"}, {"id": "a"}
    memo = Memo()
    memo.put("kind", key, None, True)
    memo.put("kind", other, 3, (1,))
    assert memo._entries["kind"][id(key)] is key
    assert memo.get("kind", key) is True
    assert memo.get("kind", key, 7) is True  # a mark holds whatever the extra
    assert memo.get("kind", other, 3) == (1,)
    assert memo.get("kind", other, 4) is MISSING
    assert memo.get("kind", {"id": "a"}) is MISSING
    after = Memo(memo)
    assert after.get_all("kind", [key, other, {}], [5, 3, None]) == [True, (1,), MISSING]
    assert after.get_all("kind", [key, other], [None, 4]) == [True, MISSING]
    after.settle()
    assert after.get("kind", key) is True


def test_connections_of_a_node_whose_type_changes_resolve_again() -> None:
    """A connection's edge is taken over while neither end is a node added, removed or
    of another manifest (its value object the same): a wired node changing type or
    version, or going, re-resolves its connections as a fresh analysis does."""
    base = generate_text(60, error_rate=0)
    steps: list[str] = []
    log5 = '"id": "n5",\n      "type": "util/log",\n      "version": "1.0.0"'
    text = base.replace(log5, log5.replace("util/log", "flow/if"))
    steps.append(text)  # n5.out is no port of flow/if: its outgoing connection fails
    text = text.replace(log5.replace("util/log", "flow/if"), log5.replace("1.0.0", "7.0.0"))
    steps.append(text)  # no manifest at all
    text = add_node(text, {"id": "x", "type": "util/log", "version": "1.0.0", "config": {}})
    steps.append(text)
    text = text.replace('"id": "n8"', '"id": "n8b"', 1)
    steps.append(text)  # renamed: its connections name a node that is gone
    text = add_connection(text, "n7.true", "x.in")
    steps.append(text)
    assert "NF007" in {d.code for d in analyze(steps[0], workspace=WORKSPACE).diagnostics}
    walk(base, steps)


def test_a_node_of_invalid_structure_is_never_marked_sound() -> None:
    """One memo mark stands for a node value of valid structure without problems; a
    node failing either keeps its own entries, across edits elsewhere and back."""
    base = generate_text(40, error_rate=0)
    odd = {"id": "odd", "type": "util/log", "version": "1.0.0", "config": {}, "bogus": 1}
    steps = [add_node(base, odd)]
    assert "NF002" in {d.code for d in analyze(steps[0], workspace=WORKSPACE).diagnostics}
    steps.append(steps[-1].replace('"message": "customer', '"message": "client', 1))
    steps.append(steps[-1].replace(', "bogus": 1', ""))
    steps.append(add_node(steps[-1], {"id": "bad", "type": "util/log", "version": "9.9.9"}))
    steps.append(steps[-1].replace('"message": "client', '"message": "customer', 1))
    walk(base, steps)
    memo = analyze(steps[-1], workspace=WORKSPACE).memo
    assert len(memo._entries["sound-node"]) == 40  # every node but `bad`
    assert len(memo._entries["structure"]) == 2 + 1  # `odd`, `bad` (problems), connections


def test_a_node_named_only_by_a_connection_that_is_no_edge_counts_as_named() -> None:
    """Which ids the connections name is found from the graph's edges and from the
    connections that are no edge (kept apart: a few): a node alone but for a connection
    without `to`, or to an unknown node, changing type re-resolves that connection."""
    base = generate_text(30, error_rate=0)
    steps = [add_node(base, {"id": "iso", "type": "util/log", "version": "1.0.0", "config": {}})]
    at = steps[-1].rindex(CONNECTIONS_END)
    steps.append(steps[-1][:at] + ',\n    {"from": "iso.out"}' + steps[-1][at:])
    steps.append(add_connection(steps[-1], "iso.out", "ghost.in"))
    iso = '"id": "iso", "type": "util/log"'
    steps.append(steps[-1].replace(iso, iso.replace("util/log", "flow/if")))
    assert "NF007" in {d.code for d in analyze(steps[-1], workspace=WORKSPACE).diagnostics}
    steps.append(add_node(steps[-1], {"id": "ghost", "type": "util/log", "version": "1.0.0"}))
    steps.append(steps[-1].replace(iso.replace("util/log", "flow/if"), iso))
    walk(base, steps)


def test_a_type_mismatch_is_located_at_its_connection_after_an_insertion_before_it() -> None:
    """Nothing is kept for a node whose incoming edges fit (most nodes); a node with a
    mismatch keeps its comparisons, located again when its edges' indexes move."""
    base = generate_text(30, error_rate=0)
    schema = {"type": "object", "required": ["f3"], "properties": {"f3": {"type": "string"}}}
    strict = {
        "id": "strict",
        "type": "code/go",
        "version": "1.0.0",
        "config": {"source": "return input, nil", "input_schema": schema},
    }
    steps = [add_connection(add_node(base, strict), "n3.out", "strict.in")]
    assert "NF009" in {d.code for d in analyze(steps[0], workspace=WORKSPACE).diagnostics}
    at = steps[0].index('"connections": [') + len('"connections": [')
    steps.append(steps[0][:at] + '\n    {"from": "n5.out", "to": "n7.in"},' + steps[0][at:])
    walk(base, steps)
    kept = analyze(steps[1], workspace=WORKSPACE, previous=analyze(steps[0], workspace=WORKSPACE))
    assert list(kept.memo.get("edge-types", checks._LAST_FACTS)[1]) == ["strict"]


def test_the_second_node_of_an_id_becomes_its_first() -> None:
    """The connections' node table is the document's node list: a node at the same place
    is the same node, the first of its id unless that id was given twice."""
    base = generate_text(30, error_rate=0)
    one = {"id": "dup", "type": "util/log", "version": "1.0.0", "config": {}}
    two = {"id": "dup", "type": "flow/if", "version": "1.0.0", "config": {"condition": "true"}}
    steps = [add_connection(add_node(add_node(base, one), two), "dup.true", "n7.in")]
    steps.append(
        steps[0].replace('{"id": "dup", "type": "util/log"', '{"id": "solo", "type": "util/log"')
    )
    assert "NF007" in {d.code for d in analyze(steps[0], workspace=WORKSPACE).diagnostics}
    assert "NF007" not in {d.code for d in analyze(steps[1], workspace=WORKSPACE).diagnostics}
    walk(base, steps)


def test_equal_short_ints_of_a_document_are_one_object() -> None:
    text = json.dumps({"nodes": [{"position": {"x": 1250, "y": 1250}}, {"x": 1250, "big": 10**12}]})
    value = analyze(text, workspace=WORKSPACE).document.value
    first, second = value["nodes"]
    assert first["position"]["x"] is first["position"]["y"] is second["x"]
    assert second["big"] == 10**12


def test_a_discarded_entry_leaves_a_table_repacked() -> None:
    keys = [{"n": i} for i in range(200)]
    memo = Memo()
    for key in keys:
        memo.put("kind", key, None, True)
    big = sys.getsizeof(memo._entries["kind"])
    for key in keys[1:]:
        memo.discard("kind", key)
    memo.discard("other", keys[0])  # no such table: nothing
    assert memo.get("kind", keys[1]) is MISSING and memo.get("kind", keys[0]) is True
    memo.settle()
    assert sys.getsizeof(memo._entries["kind"]) < big / 10
    assert memo.get("kind", keys[0]) is True
