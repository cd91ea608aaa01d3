"""Quick fixes, data-driven: a document, the diagnostic code, the action, the fixed document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.ide import CodeAction, code_actions, diagnostics_at
from nodeforge.analysis.text import Span
from tests.conftest import BROKEN
from tests.test_ide_common import (
    CONNECTIONS,
    NODES,
    analysis_of,
    apply_edits,
    flow,
    is_json,
    workspace,
)


def actions_for(text: str, code: str) -> tuple[Analysis, list[CodeAction]]:
    analysis = analysis_of(text)
    diagnostics = [d for d in analysis.diagnostics if d.code == code]
    assert diagnostics, f"no {code} in {[(d.code, d.message) for d in analysis.diagnostics]}"
    return analysis, code_actions(analysis, diagnostics[0].span, diagnostics)


def check_fix(text: str, code: str, title: str, expected: str) -> None:
    """Applying the action titled ``title`` for the first ``code`` diagnostic gives ``expected``;
    the result no longer has that diagnostic."""
    fixed = fix(text, code, title)
    assert fixed == expected
    assert code not in {d.code for d in analysis_of(fixed).diagnostics}


def fix(text: str, code: str, title: str) -> str:
    _analysis, actions = actions_for(text, code)
    chosen = [a for a in actions if a.title == title]
    assert chosen, f"{title!r} not in {[a.title for a in actions]}"
    assert chosen[0].diagnostic_codes == (code,)
    return apply_edits(text, chosen[0].edits)


# -- NF004, NF005, NF021 ----------------------------------------------------------------------


def test_did_you_mean_type() -> None:
    text = flow(NODES.replace('"flow/if"', '"flow/iff"'))
    check_fix(text, "NF004", "Change type to `flow/if`", flow())


def test_did_you_mean_type_also_fixes_the_version() -> None:
    node = '{"id": "r", "type": "http/requets", "version": "1.1.0", "config": {"method": "GET", "url": "https://x"}}'
    fixed = fix(flow(NODES + ", " + node), "NF004", "Change type to `http/request`")
    assert '"type": "http/request", "version": "1.1.0"' in fixed
    node = '{"id": "w", "type": "whatsap/send", "version": "1.9.0"}'
    fixed = fix(flow(NODES + ", " + node), "NF004", "Change type to `whatsapp/send`")
    assert '"type": "whatsapp/send", "version": "2.0.0"' in fixed


def test_unknown_version_to_newest() -> None:
    text = flow(NODES.replace('"flow/if", "version": "1.0.0"', '"flow/if", "version": "1.2.0"'))
    check_fix(text, "NF005", "Use version 1.0.0 (the newest)", flow())


def test_upgrade_with_migration() -> None:
    node = '{"id": "m", "type": "data/map", "version": "1.0.0", "config": {"mapping": {"a": "input.body.sku"}}}'
    text = flow(NODES + ", " + node, CONNECTIONS + ', {"from": "start.out", "to": "m.in"}')
    fixed = fix(text, "NF021", "Upgrade `data/map` to 1.1.0 (migrates the config)")
    assert '"version": "1.1.0"' in fixed
    assert json.loads(fixed)["nodes"][3]["config"] == {
        "mapping": {"a": "input.body.sku"},
        "keep_input": False,
    }
    assert "NF021" not in {d.code for d in analysis_of(fixed).diagnostics}


def test_upgrade_node_without_config() -> None:
    node = '{"id": "m", "type": "data/map", "version": "1.0.0"}'
    text = flow(NODES + ", " + node, CONNECTIONS + ', {"from": "start.out", "to": "m.in"}')
    fixed = fix(text, "NF021", "Upgrade `data/map` to 1.1.0 (migrates the config)")
    assert (
        '{"id": "m", "type": "data/map", "version": "1.1.0", "config": {"keep_input": false}}'
        in fixed
    )


def test_upgrade_on_multiline_node_keeps_layout() -> None:
    text = (BROKEN / "outdated.flow.json").read_text(encoding="utf-8")
    analysis = analysis_of(text)
    diagnostics = [d for d in analysis.diagnostics if d.code == "NF021"]
    for diagnostic in diagnostics:
        actions = code_actions(analysis, diagnostic.span, [diagnostic])
        assert actions, diagnostic
        fixed = apply_edits(text, actions[0].edits)
        assert fixed != text
        assert is_json(fixed) or not is_json(text)


# -- NF006 -------------------------------------------------------------------------------


def test_add_missing_required_config_inline() -> None:
    node = '{"id": "r", "type": "http/request", "version": "1.1.0", "config": {"method": "POST"}}'
    text = flow(NODES + ", " + node, CONNECTIONS + ', {"from": "start.out", "to": "r.in"}')
    expected = text.replace(
        '{"method": "POST"}',
        '{"method": "POST", "url": "https://api.example.com/orders/{{ input.id }}"}',
    )
    check_fix(text, "NF006", "Add missing required config `url`", expected)


def test_add_missing_required_config_multiline() -> None:
    text = (
        '{\n  "nodeforge": "1",\n  "id": "x",\n  "nodes": [\n    {\n      "id": "t",\n'
        '      "type": "http/trigger",\n      "version": "1.0.0",\n      "config": {\n'
        '        "body_schema": {}\n      }\n    }\n  ]\n}\n'
    )
    fixed = fix(text, "NF006", "Add missing required config `method`, `path`")
    assert fixed == text.replace(
        '        "body_schema": {}\n',
        '        "body_schema": {},\n        "method": "GET",\n        "path": "/orders/{id}"\n',
    )


def test_add_missing_config_into_empty_object_and_missing_config() -> None:
    text = flow(NODES.replace('{"condition": "input.body.qty > 1"}', "{}"))
    fixed = fix(text, "NF006", "Add missing required config `condition`")
    assert is_json(fixed)
    defaults = workspace().catalog.get("flow/if", "1.0.0").default_config()  # type: ignore[union-attr]
    assert json.loads(fixed)["nodes"][1]["config"] == defaults
    text = flow(NODES.replace(', "config": {"condition": "input.body.qty > 1"}', ""))
    fixed = fix(text, "NF006", "Add missing required config `condition`")
    assert json.loads(fixed)["nodes"][1]["config"] == defaults


def test_rename_unknown_config_key() -> None:
    text = flow(NODES.replace('{"status": 200}', '{"statuss": 200}'))
    check_fix(text, "NF006", "Rename `statuss` to `status`", flow())


def test_use_a_fitting_connector() -> None:
    node = (
        '{"id": "q", "type": "sql/query", "version": "1.0.0", '
        '"config": {"connector": "shop_db", "query": "SELECT 1"}}'
    )
    text = flow(NODES + ", " + node, CONNECTIONS + ', {"from": "start.out", "to": "q.in"}')
    _analysis, actions = actions_for(text, "NF020")
    assert [a.title for a in actions] == ["Use connector `shopdb`", "Use connector `reports_db`"]
    assert actions[0].is_preferred
    check_fix(text, "NF020", "Use connector `shopdb`", text.replace('"shop_db"', '"shopdb"'))


# -- NF007, NF023 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("connections", "expected"),
    [
        # first, middle and last element; the only element
        ('{"from": "ghost.out", "to": "check.in"}, ' + CONNECTIONS, CONNECTIONS),
        (
            '{"from": "start.out", "to": "check.in"}, {"from": "ghost.out", "to": "check.in"}, '
            '{"from": "check.true", "to": "reply.in"}',
            CONNECTIONS,
        ),
        (CONNECTIONS + ', {"from": "ghost.out", "to": "check.in"}', CONNECTIONS),
    ],
)
def test_remove_dangling_connection(connections: str, expected: str) -> None:
    check_fix(flow(NODES, connections), "NF007", "Remove the connection", flow(NODES, expected))


def test_remove_only_connection() -> None:
    text = flow(NODES, '{"from": "ghost.out", "to": "check.in"}')
    assert fix(text, "NF007", "Remove the connection") == flow(NODES, "")


def test_remove_connection_multiline() -> None:
    text = (
        '{\n  "nodeforge": "1",\n  "id": "x",\n  "nodes": [' + NODES + '],\n  "connections": [\n'
        '    {"from": "start.out", "to": "check.in"},\n'
        '    {"from": "ghost.out", "to": "check.in"},\n'
        '    {"from": "check.true", "to": "reply.in"}\n  ]\n}\n'
    )
    fixed = fix(text, "NF007", "Remove the connection")
    assert fixed == text.replace('    {"from": "ghost.out", "to": "check.in"},\n', "")
    last = text.replace(
        '    {"from": "check.true", "to": "reply.in"}\n',
        '    {"from": "check.true", "to": "reply.in"},\n    {"from": "ghost.out", "to": "check.in"}\n',
    ).replace(
        '    {"from": "ghost.out", "to": "check.in"},\n    {"from": "check.true"',
        '    {"from": "check.true"',
    )
    fixed = fix(last, "NF007", "Remove the connection")
    assert fixed == last.replace(',\n    {"from": "ghost.out", "to": "check.in"}', "")


def test_did_you_mean_endpoint() -> None:
    text = flow(NODES, CONNECTIONS.replace('"check.in"', '"chek.in"'))
    check_fix(text, "NF007", "Change to `check.in`", flow())
    text = flow(NODES, CONNECTIONS.replace('"check.true"', '"check.tru"'))
    check_fix(text, "NF007", "Change to `check.true`", flow())


def test_swap_backwards_connection() -> None:
    text = flow(
        NODES,
        CONNECTIONS.replace(
            '{"from": "start.out", "to": "check.in"}', '{"from": "check.in", "to": "start.out"}'
        ),
    )
    check_fix(text, "NF008", "Swap `from` and `to`", flow())


def test_remove_duplicate_connection() -> None:
    text = flow(NODES, CONNECTIONS + ', {"from": "start.out", "to": "check.in"}')
    check_fix(text, "NF023", "Remove the duplicate connection", flow())


# -- NF009, NF010: the adapter -----------------------------------------------------------------


def test_adapter_between_incompatible_ports() -> None:
    text = (BROKEN / "type_mismatch.flow.json").read_text(encoding="utf-8")
    fixed = fix(text, "NF009", "Insert a `data/map` adapter between `start.out` and `strict.in`")
    assert is_json(fixed), fixed
    doc = json.loads(fixed)
    adapter = doc["nodes"][-1]
    assert adapter["id"] == "map_start_to_strict"
    assert adapter["type"] == "data/map"
    assert adapter["config"]["mapping"] == {"name": "input.name", "age": "int(input.age)"}
    assert {"from": "start.out", "to": "map_start_to_strict.in"} in doc["connections"]
    assert {"from": "map_start_to_strict.out", "to": "strict.in"} in doc["connections"]
    assert {"from": "start.out", "to": "strict.in"} not in doc["connections"]
    codes = [d.code for d in analysis_of(fixed).diagnostics]
    assert "NF009" not in codes, [(d.code, d.message) for d in analysis_of(fixed).diagnostics]
    # The new connection sits right after the rewired one, on its own line.
    assert (
        '{"from": "start.out", "to": "map_start_to_strict.in"},\n    {"from": "map_start_to_strict.out", "to": "strict.in"},'
        in fixed
    )


def test_adapter_for_possible_mismatch_fills_placeholders() -> None:
    text = (BROKEN / "type_mismatch.flow.json").read_text(encoding="utf-8")
    fixed = fix(text, "NF010", "Insert a `data/map` adapter between `start.out` and `loose.in`")
    adapter = json.loads(fixed)["nodes"][-1]
    # `email` has no namesake: the one unused string field of the source fills it.
    assert adapter["config"]["mapping"] == {"name": "input.name", "email": "input.age"}
    assert "NF010" not in [d.code for d in analysis_of(fixed).diagnostics]


def test_adapter_id_is_unique_and_positioned() -> None:
    text = (BROKEN / "type_mismatch.flow.json").read_text(encoding="utf-8")
    text = text.replace(
        '{"id": "strict", "type": "code/go", "version": "1.0.0",',
        '{"id": "strict", "type": "code/go", "version": "1.0.0", "position": {"x": 100, "y": 50},',
    ).replace(
        '{"id": "start", "type": "trigger/manual", "version": "1.0.0",',
        '{"id": "start", "type": "trigger/manual", "version": "1.0.0", "position": {"x": 0, "y": 0},',
    )
    text = text.replace(
        '"nodes": [',
        '"nodes": [\n    {"id": "map_start_to_strict", "type": "trigger/manual", "version": "1.0.0"},',
        1,
    )
    fixed = fix(text, "NF009", "Insert a `data/map` adapter between `start.out` and `strict.in`")
    adapter = json.loads(fixed)["nodes"][-1]
    assert adapter["id"] == "map_start_to_strict_2"
    assert adapter["position"] == {"x": 50, "y": 25}
    assert '"position": {"x": 50, "y": 25}' in fixed


def test_adapter_nested_mapping_becomes_map_literal() -> None:
    from nodeforge.analysis.ide.actions import _nested_mapping

    assert _nested_mapping({"a": "input.a", "c.d": "input.x", "c.e": "0"}) == {
        "a": "input.a",
        "c": '{"d": input.x, "e": 0}',
    }


# -- general --------------------------------------------------------------------------------


def test_no_actions_without_diagnostics() -> None:
    analysis = analysis_of(flow())
    assert code_actions(analysis, Span(0, 10), []) == []


def test_diagnostics_at_selects_overlapping() -> None:
    text = flow(NODES.replace('"flow/if"', '"flow/iff"'))
    analysis = analysis_of(text)
    at = text.index('"flow/iff"')
    assert [d.code for d in diagnostics_at(analysis, Span(at + 2, at + 2))] == ["NF004"]
    assert diagnostics_at(analysis, Span(0, 1)) == []


def test_stale_diagnostic_data_is_ignored() -> None:
    from nodeforge.analysis.diagnostics import Diagnostic, Severity

    analysis = analysis_of(flow())
    stale = Diagnostic(
        "NF007", "x", Severity.ERROR, Span(0, 1), (), (), {"index": 99, "key": "from"}
    )
    foreign = Diagnostic("NF009", "x", Severity.ERROR, Span(0, 1), (), (), {})
    assert code_actions(analysis, Span(0, 1), [stale, foreign]) == []


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.flow.json")), ids=lambda p: p.name)
def test_every_action_on_broken_examples_applies_cleanly(path: Path) -> None:
    """Each fix edits without overlap, and never turns valid JSON invalid."""
    text = path.read_text(encoding="utf-8")
    analysis = analysis_of(text, path.as_uri())
    for diagnostic in analysis.diagnostics:
        for action in code_actions(analysis, diagnostic.span, [diagnostic]):
            fixed = apply_edits(text, action.edits)
            if is_json(text):
                assert is_json(fixed), (action.title, fixed)


def test_adapter_in_a_one_line_flow() -> None:
    nodes = (
        '{"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {"input_schema": '
        '{"type": "object", "required": ["n"], "properties": {"n": {"type": "string"}}}}}, '
        '{"id": "strict", "type": "code/go", "version": "1.0.0", "config": {"source": "x", '
        '"input_schema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}}}'
    )
    text = flow(nodes, '{"from": "start.out", "to": "strict.in"}')
    fixed = fix(text, "NF009", "Insert a `data/map` adapter between `start.out` and `strict.in`")
    assert "\n" not in fixed
    doc = json.loads(fixed)
    assert doc["nodes"][-1]["config"] == {"mapping": {"n": "int(input.n)"}}
    assert doc["connections"] == [
        {"from": "start.out", "to": "map_start_to_strict.in"},
        {"from": "map_start_to_strict.out", "to": "strict.in"},
    ]
    assert not [d for d in analysis_of(fixed).diagnostics if d.code in ("NF009", "NF010")]
