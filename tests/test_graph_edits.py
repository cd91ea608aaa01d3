"""The canvas' gestures as text edits (``analysis/ide/graph_edits.py``): each command
on the examples gives the expected text, edits are minimal and keep the layout,
refusals say why; and a random sequence of commands always yields a document that
parses and whose graph view is what the commands did (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.ide import graph_view
from nodeforge.analysis.ide.format import format_document
from nodeforge.analysis.ide.graph_edits import GraphEditError, graph_edit, parse_pointer
from nodeforge.analysis.workspace import Workspace, load_workspace
from tests.conftest import EXAMPLES

WORKSPACE = load_workspace(EXAMPLES)
ORDERS = (EXAMPLES / "orders_api.flow.json").read_text(encoding="utf-8")
URI = "file:///ws/orders_api.flow.json"


def analysis_of(text: str, version: int = 1, workspace: Workspace = WORKSPACE) -> Analysis:
    return analyze(text, URI, version, workspace)


def run(text: str, command: str, **params: Any) -> tuple[str, dict[str, Any]]:
    """The text after the command's edits, and its result."""
    found = graph_edit(analysis_of(text), command, params)
    out = text
    for edit in reversed(found.edits):
        out = out[: edit.span.start] + edit.new_text + out[edit.span.end :]
    return out, found.result


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """Lines only in ``before`` and lines only in ``after`` (a cheap diff)."""
    import difflib

    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def codes(text: str) -> list[str]:
    return sorted(d.code for d in analysis_of(text).diagnostics)


def test_add_node_picks_a_fresh_id_and_writes_the_canonical_layout() -> None:
    found = graph_edit(
        analysis_of(ORDERS), "addNode", {"type": "util/log", "position": {"x": 10.4, "y": 20.6}}
    )
    assert found.result == {"id": "log"}
    (edit,) = found.edits
    last_node_end = ORDERS.index('\n  ],\n  "connections"')
    assert edit.span.start == edit.span.end == last_node_end  # an insert, nothing rewritten
    message = json.dumps(WORKSPACE.catalog.latest("util/log").default_config()["message"])
    assert edit.new_text == (
        ",\n"
        "    {\n"
        '      "id": "log",\n'
        '      "type": "util/log",\n'
        '      "version": "1.0.0",\n'
        '      "position": {"x": 10, "y": 21},\n'
        '      "config": {\n'
        f'        "message": {message}\n'
        "      }\n"
        "    }"
    )
    out, _ = run(ORDERS, "addNode", type="util/log", position={"x": 10.4, "y": 20.6})
    assert format_document(out) == out  # still the canonical layout
    again, result = run(out, "addNode", type="util/log", position={"x": 0, "y": 0})
    assert result == {"id": "log_2"}
    assert not analysis_of(again).document.parsed.errors


def test_add_node_with_a_version_config_and_id() -> None:
    out, _result = run(
        ORDERS,
        "addNode",
        type="http/respond",
        typeVersion="1.0.0",
        position={"x": 1, "y": 2},
        config={"status": 204},
        id="no_content",
    )
    view = graph_view(analysis_of(out))
    node = next(n for n in view.nodes if n.id == "no_content")
    assert (node.type, node.version, node.position.x, node.positioned) == (
        "http/respond",
        "1.0.0",
        1.0,
        True,
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"type": "http/requst", "position": {"x": 0, "y": 0}}, "did you mean `http/request`"),
        ({"type": "util/log", "typeVersion": "9.9.9", "position": {"x": 0, "y": 0}}, "9.9.9"),
        ({"type": "util/log", "position": {"x": "a", "y": 0}}, "finite numbers"),
        ({"type": "util/log", "position": {"x": 0, "y": 0}, "id": "created"}, "already exists"),
        ({"type": "util/log", "position": {"x": 0, "y": 0}, "id": "Bad Id"}, "node id"),
        ({"position": {"x": 0, "y": 0}}, "`type` is required"),
    ],
)
def test_add_node_refusals(params: dict[str, Any], message: str) -> None:
    with pytest.raises(GraphEditError, match=message.replace("(", r"\(")):
        run(ORDERS, "addNode", **params)


def test_stale_version_is_refused() -> None:
    with pytest.raises(GraphEditError, match="stale edit: it was made on version 3"):
        graph_edit(analysis_of(ORDERS, version=4), "moveNodes", {"version": 3, "moves": []})
    found = graph_edit(
        analysis_of(ORDERS, version=4),
        "moveNodes",
        {"version": 4, "moves": [{"id": "created", "x": 1, "y": 2}]},
    )
    assert len(found.edits) == 1


def test_unknown_node_and_command_are_refused() -> None:
    with pytest.raises(GraphEditError, match="there is no node `nope`"):
        run(ORDERS, "deleteNodes", ids=["nope"])
    with pytest.raises(GraphEditError, match="unknown graph command"):
        run(ORDERS, "explode")


def test_delete_nodes_removes_their_connections() -> None:
    out, result = run(ORDERS, "deleteNodes", ids=["insert_failed"])
    assert result == {"deleted": ["insert_failed"], "connections": 1}
    assert "insert_failed" not in out
    assert format_document(out) == out
    value = json.loads(out)
    assert [n["id"] for n in value["nodes"]] == [
        n["id"] for n in json.loads(ORDERS)["nodes"] if n["id"] != "insert_failed"
    ]
    # Deleting neighbours in one go: runs of elements, never overlapping edits.
    every = [n["id"] for n in json.loads(ORDERS)["nodes"]]
    out, _ = run(ORDERS, "deleteNodes", ids=every)
    value = json.loads(out)
    assert value["nodes"] == [] and value["connections"] == []


def test_move_nodes_replaces_or_inserts_the_position() -> None:
    out, _ = run(ORDERS, "moveNodes", moves=[{"id": "created", "x": 7, "y": -3.5}])
    removed, added = changed_lines(ORDERS, out)
    assert removed == ['      "position": {"x": 500, "y": 0},']
    assert added == ['      "position": {"x": 7, "y": -4},']
    text = '{"nodeforge": "1", "id": "f", "nodes": [\n  {\n    "id": "a",\n    "type": "util/log",\n    "version": "1.0.0",\n    "config": {"message": "m"}\n  }\n]}'
    out, _ = run(text, "moveNodes", moves=[{"id": "a", "x": 1, "y": 2}])
    assert out == text.replace(
        '"version": "1.0.0",\n', '"version": "1.0.0",\n    "position": {"x": 1, "y": 2},\n'
    )
    one_line = '{"nodes": [{"config": {}, "id": "a", "type": "util/log", "version": "1.0.0"}]}'
    out, _ = run(one_line, "moveNodes", moves=[{"id": "a", "x": 1, "y": 2}])
    assert json.loads(out)["nodes"][0]["position"] == {"x": 1, "y": 2}


def test_connect_and_disconnect() -> None:
    out, result = run(
        ORDERS,
        "connect",
        **{"from": {"node": "create_order", "port": "out"}, "to": {"node": "created"}},
    )
    _removed, added = changed_lines(ORDERS, out)
    assert added[-1] == '    {"from": "create_order.out", "to": "created.in"}'
    assert result["index"] == len(json.loads(ORDERS)["connections"])
    with pytest.raises(GraphEditError, match="already connected"):
        run(
            out,
            "connect",
            **{"from": {"node": "create_order", "port": "out"}, "to": {"node": "created"}},
        )
    with pytest.raises(GraphEditError, match="has no output port `nope`"):
        run(
            ORDERS,
            "connect",
            **{"from": {"node": "create_order", "port": "nope"}, "to": {"node": "created"}},
        )
    back, result = run(
        out,
        "disconnect",
        **{"from": {"node": "create_order", "port": "out"}, "to": {"node": "created"}},
    )
    assert back == ORDERS
    back, _ = run(out, "disconnect", index=result["removed"][0])
    assert back == ORDERS
    with pytest.raises(GraphEditError, match="no connection 99"):
        run(ORDERS, "disconnect", index=99)


def test_incompatible_connection_is_written_and_diagnosed() -> None:
    """The server's verdict comes from the analysis of the new text, as for typing."""
    text = (EXAMPLES / "quote_api.flow.json").read_text()
    ids = [n["id"] for n in json.loads(text)["nodes"]]
    found = None
    for a in ids:
        for b in ids:
            try:
                out, _ = run(
                    text, "connect", **{"from": {"node": a, "port": "out"}, "to": {"node": b}}
                )
            except GraphEditError:
                continue
            if {"NF009", "NF010"} & set(codes(out)):
                found = out
                break
        if found:
            break
    assert found is not None


def test_set_config_replaces_inserts_and_removes() -> None:
    out, _ = run(ORDERS, "setConfig", id="created", path="/status", value=202)
    assert changed_lines(ORDERS, out) == (['        "status": 201,'], ['        "status": 202,'])
    out, _ = run(ORDERS, "setConfig", id="created", path="/headers", value={"x-a": "1"})
    _removed, added = changed_lines(ORDERS, out)
    assert added[-3:] == ['        "headers": {', '          "x-a": "1"', "        }"]
    assert json.loads(out)["nodes"][2]["config"]["headers"] == {"x-a": "1"}
    back, _ = run(out, "setConfig", id="created", path="/headers", value=None)
    assert back == ORDERS
    out, _ = run(ORDERS, "setConfig", id="insert_order", path="/params/1", value="2")
    assert json.loads(out)["nodes"][1]["config"]["params"][1] == "2"
    out, _ = run(ORDERS, "setConfig", id="insert_order", path="/params/-", value="input.x")
    assert json.loads(out)["nodes"][1]["config"]["params"][-1] == "input.x"
    out, _ = run(ORDERS, "setConfig", id="insert_order", path="/params/0")
    assert len(json.loads(out)["nodes"][1]["config"]["params"]) == 2
    out, _ = run(ORDERS, "setConfig", id="created", path="/a~1b/c", value=True)
    assert json.loads(out)["nodes"][2]["config"]["a/b"] == {"c": True}
    with pytest.raises(GraphEditError, match="not an element"):
        run(ORDERS, "setConfig", id="insert_order", path="/params/9", value=1)
    with pytest.raises(GraphEditError, match="not a JSON pointer"):
        run(ORDERS, "setConfig", id="created", path="status", value=1)


def test_parse_pointer() -> None:
    assert parse_pointer("") == []
    assert parse_pointer("/a/0/b~1c/~0") == ["a", "0", "b/c", "~"]


def test_rename_node_follows_connections_and_expressions() -> None:
    out, result = run(ORDERS, "renameNode", id="insert_order", newId="store")
    assert result == {"id": "store"}
    assert "insert_order" not in out
    assert "nodes.store.out.rows_affected" in out
    assert codes(out) == codes(ORDERS)
    with pytest.raises(GraphEditError, match="already exists"):
        run(ORDERS, "renameNode", id="insert_order", newId="created")


def test_paste_nodes_gets_fresh_ids_and_keeps_references() -> None:
    value = json.loads(ORDERS)
    nodes = [n for n in value["nodes"] if n["id"] in ("insert_order", "created")]
    conns = [
        c
        for c in value["connections"]
        if c["from"].split(".")[0] in ("create_order", "insert_order")
        and c["to"].split(".")[0] in ("insert_order", "created")
    ]
    out, result = run(
        ORDERS, "pasteNodes", nodes=nodes, connections=conns, offset={"x": 40, "y": 40}
    )
    assert result["ids"] == {"insert_order": "insert_order_2", "created": "created_2"}
    pasted = {n["id"]: n for n in json.loads(out)["nodes"]}
    assert pasted["created_2"]["position"] == {"x": 540, "y": 40}
    assert "nodes.insert_order_2.out.rows_affected" in pasted["created_2"]["config"]["body"]
    added = [c for c in json.loads(out)["connections"] if c not in value["connections"]]
    assert {"from": "insert_order_2.out", "to": "created_2.in"} in [
        {"from": c["from"], "to": c["to"]} for c in added
    ]
    # create_order (not pasted) still exists: its connection to the copy is kept.
    assert any(c["from"].startswith("create_order") for c in added)
    assert format_document(out) == out


def test_edits_refused_on_a_document_that_is_not_an_object() -> None:
    with pytest.raises(GraphEditError, match="fix the text first"):
        run('{"nodes": [', "addNode", type="util/log", position={"x": 0, "y": 0})


def test_add_node_to_an_empty_document_creates_the_member() -> None:
    out, _ = run(
        '{"nodeforge": "1", "id": "f"}', "addNode", type="util/log", position={"x": 0, "y": 0}
    )
    assert json.loads(out)["nodes"][0]["id"] == "log"


# -- property: random gesture sequences --------------------------------------------------

TYPES = ["util/log", "data/set", "http/respond", "flow/switch"]


@st.composite
def gestures(draw: st.DrawFn) -> list[tuple[str, dict[str, Any]]]:
    """Gestures named by node number (the n-th node created); resolved at run time."""
    steps = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(
            st.sampled_from(
                [
                    "addNode",
                    "addNode",
                    "deleteNodes",
                    "moveNodes",
                    "connect",
                    "disconnect",
                    "setConfig",
                    "renameNode",
                ]
            )
        )
        steps.append(
            (
                kind,
                {
                    "type": draw(st.sampled_from(TYPES)),
                    "a": draw(st.integers(0, 10)),
                    "b": draw(st.integers(0, 10)),
                    "x": draw(st.integers(-2000, 2000)),
                    "y": draw(st.integers(-2000, 2000)),
                    "value": draw(st.one_of(st.none(), st.text(max_size=8), st.integers())),
                },
            )
        )
    return steps


@settings(max_examples=60, deadline=None)
@given(gestures())
def test_random_gesture_sequences(steps: list[tuple[str, dict[str, Any]]]) -> None:
    text = (EXAMPLES / "tax_rate.flow.json").read_text(encoding="utf-8")
    model: dict[str, Any] = json.loads(text)  # what the commands should have done
    version = 1
    for kind, draw in steps:
        ids = [n["id"] for n in model["nodes"]]
        pick = ids[draw["a"] % len(ids)] if ids else None
        other = ids[draw["b"] % len(ids)] if ids else None
        params: dict[str, Any]
        if kind == "addNode":
            params = {"type": draw["type"], "position": {"x": draw["x"], "y": draw["y"]}}
        elif pick is None:
            continue
        elif kind == "deleteNodes":
            params = {"ids": [pick]}
        elif kind == "moveNodes":
            params = {"moves": [{"id": pick, "x": draw["x"], "y": draw["y"]}]}
        elif kind == "connect":
            params = {"from": {"node": pick, "port": "out"}, "to": {"node": other, "port": "in"}}
        elif kind == "disconnect":
            if not model["connections"]:
                continue
            params = {"index": draw["a"] % len(model["connections"])}
        elif kind == "setConfig":
            params = {"id": pick, "path": "/note", "value": draw["value"]}
        else:
            params = {"id": pick, "newId": f"renamed_{version}"}
        params["version"] = version
        analysis = analyze(text, URI, version, WORKSPACE)
        try:
            found = graph_edit(analysis, kind, params)
        except GraphEditError as refused:
            # Only the refusals a canvas can cause: ports that do not exist, a duplicate.
            assert kind == "connect", refused
            continue
        for edit in reversed(found.edits):
            text = text[: edit.span.start] + edit.new_text + text[edit.span.end :]
        version += 1
        _apply_to_model(model, kind, params, found.result)
        parsed = analyze(text, URI, version, WORKSPACE)
        assert not parsed.document.parsed.errors, text
        assert json.loads(text)["nodes"] == model["nodes"]
        assert json.loads(text).get("connections", []) == model["connections"]
        view = graph_view(parsed)
        assert [n.id for n in view.nodes] == [n["id"] for n in model["nodes"]]
        for node, expected in zip(view.nodes, model["nodes"], strict=True):
            if "position" in expected:
                assert (node.position.x, node.position.y) == (
                    expected["position"]["x"],
                    expected["position"]["y"],
                )
        assert len(view.connections) == len(model["connections"])
    assert format_document(text) == text


def _apply_to_model(
    model: dict[str, Any], kind: str, params: dict[str, Any], result: dict[str, Any]
) -> None:
    nodes, conns = model["nodes"], model.setdefault("connections", [])
    if kind == "addNode":
        manifest = WORKSPACE.catalog.latest(params["type"])
        assert manifest is not None
        nodes.append(
            {
                "id": result["id"],
                "type": params["type"],
                "version": manifest.version,
                "position": params["position"],
                "config": manifest.default_config(),
            }
        )
    elif kind == "deleteNodes":
        gone = params["ids"][0]
        model["nodes"] = [n for n in nodes if n["id"] != gone]
        model["connections"] = [
            c for c in conns if c["from"].split(".")[0] != gone and c["to"].split(".")[0] != gone
        ]
    elif kind == "moveNodes":
        move = params["moves"][0]
        node = next(n for n in nodes if n["id"] == move["id"])
        node["position"] = {"x": move["x"], "y": move["y"]}
    elif kind == "connect":
        conns.append(
            {
                "from": f"{params['from']['node']}.out",
                "to": f"{params['to']['node']}.in",
            }
        )
    elif kind == "disconnect":
        del conns[params["index"]]
    elif kind == "setConfig":
        node = next(n for n in nodes if n["id"] == params["id"])
        config = node.setdefault("config", {})
        if params["value"] is None:
            config.pop("note", None)
        else:
            config["note"] = params["value"]
    else:
        old, new = params["id"], params["newId"]
        for n in nodes:
            if n["id"] == old:
                n["id"] = new
        for c in conns:
            for end in ("from", "to"):
                node, dot, port = c[end].partition(".")
                if node == old:
                    c[end] = new + dot + port
