"""Definition, references, rename, symbols and code lenses, data-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeforge.analysis.ide import (
    code_lenses,
    definition,
    document_symbols,
    prepare_rename,
    references,
    rename,
    workspace_symbols,
)
from tests.test_ide_common import (
    CONNECTIONS,
    NODES,
    analysis_of,
    apply_edits,
    flow,
    is_json,
    split_cursor,
)

EXPR_NODE = (
    '{"id": "log", "type": "util/log", "version": "1.0.0", "config": {"message": '
    '"Got {{ nodes.start.out.body.sku }} from {{ nodes.start.out.path }}", '
    '"fields": {"sku": "nodes.start.out.body.sku"}}}'
)
RICH = flow(
    NODES + ", " + EXPR_NODE,
    CONNECTIONS + ', {"from": "start.out", "to": "log.in"}',
    ', "tests": [{"name": "t", "trigger": "start", "fixtures": {"start": {}}}]',
)


def marked(text: str, target: str, nth: int = 0, inner: int = 1) -> str:
    """``text`` with ``$0`` placed ``inner`` characters into the ``nth`` occurrence of ``target``."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(target, at + 1)
    return text[: at + inner] + "$0" + text[at + inner :]


# -- definition ---------------------------------------------------------------------------


def check_definition(text: str, expected_text: str | None) -> None:
    """Go to definition lands on ``expected_text`` in this document (None: nowhere)."""
    source, offset = split_cursor(text)
    found = definition(analysis_of(source), offset)
    if expected_text is None:
        assert found == []
        return
    assert len(found) == 1
    location = found[0]
    assert location.lines.text[location.span.start : location.span.end] == expected_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (marked(RICH, '"start.out", "to": "check.in"', inner=3), "start"),
        (marked(RICH, '"check.in"', inner=2), "check"),
        (marked(RICH, "nodes.start.out.body.sku }}", inner=8), "start"),
        (marked(RICH, '"nodes.start.out.body.sku"', inner=8), "start"),
        (marked(RICH, '"trigger": "start"', inner=13), "start"),
        (marked(RICH, '"id": "check"', inner=9), "check"),
        (marked(RICH, '"fixtures": {"start"', inner=15), "start"),
        (marked(RICH, '"name": "t"', inner=10), None),
        (
            flow(NODES, '{"from": "ghost.o$0ut", "to": "check.in"}').replace(".o$0ut", "$0.out"),
            None,
        ),
    ],
)
def test_definition_of_node_mentions(text: str, expected: str | None) -> None:
    check_definition(text, expected)


def test_definition_of_type_opens_the_manifest() -> None:
    source, offset = split_cursor(marked(RICH, '"flow/if"', inner=3))
    (location,) = definition(analysis_of(source), offset)
    assert location.uri.endswith("/catalog/flow/if/1.0.0/node.json")
    assert location.uri.startswith("file://")
    assert location.lines.text[location.span.start : location.span.end] == '"flow/if"'
    assert location.lines.position(location.span.start).line == 1


def test_definition_of_config_key_and_port_opens_the_manifest() -> None:
    source, offset = split_cursor(marked(RICH, '"condition"', inner=3))
    (location,) = definition(analysis_of(source), offset)
    assert location.lines.text[location.span.start : location.span.end] == '"condition"'
    source, offset = split_cursor(marked(RICH, '"check.true"', inner=8))
    (location,) = definition(analysis_of(source), offset)
    assert location.uri.endswith("/flow/if/1.0.0/node.json")
    assert location.lines.text[location.span.start : location.span.end] == '"true"'


def test_definition_of_custom_node_type(tmp_path: Path) -> None:
    from nodeforge.analysis.engine import analyze
    from nodeforge.analysis.workspace import load_workspace

    manifest = Path("catalog/flow/if/1.0.0/node.json").read_text(encoding="utf-8")
    folder = tmp_path / "nodes" / "acme" / "check"
    folder.mkdir(parents=True)
    custom = manifest.replace('"flow/if"', '"acme/check"').replace(
        '"category": "flow"', '"category": "acme"'
    )
    (folder / "node.json").write_text(custom, encoding="utf-8")
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "t"\n', encoding="utf-8")
    workspace = load_workspace(tmp_path)
    text, offset = split_cursor(
        '{"nodeforge": "1", "id": "x", "nodes": [{"id": "a", "type": "acme/ch$0eck", "version": "1.0.0"}]}'
    )
    (location,) = definition(analyze(text, "file:///x.flow.json", 1, workspace), offset)
    assert location.uri == (folder / "node.json").resolve().as_uri()


# -- references -------------------------------------------------------------------------


def check_references(text: str, expected: list[str], include_declaration: bool = True) -> None:
    """The references, as the text around each span (``«id»`` marks the span)."""
    source, offset = split_cursor(text)
    found = references(analysis_of(source), offset, include_declaration)
    got = [
        source[loc.span.start - 1 : loc.span.start]
        + "«"
        + source[loc.span.start : loc.span.end]
        + "»"
        + source[loc.span.end : loc.span.end + 4]
        for loc in found
    ]
    assert got == expected


def test_references_of_a_node() -> None:
    expected = [
        '"«start»", "t',  # the definition
        '"«start».out',  # connection to check
        ".«start».out",  # template hole 1
        ".«start».out",  # template hole 2
        ".«start».out",  # expression in fields
        '"«start».out',  # connection to log
        '"«start»"}], ',  # test trigger... the exact neighbour text is checked loosely below
    ]
    source, offset = split_cursor(marked(RICH, '"id": "start"', inner=9))
    found = references(analysis_of(source), offset, True)
    names = [source[loc.span.start : loc.span.end] for loc in found]
    assert names == ["start"] * 8
    kinds_without_declaration = references(analysis_of(source), offset, False)
    assert len(kinds_without_declaration) == 7
    assert len(expected) == 7


@pytest.mark.parametrize(
    "text",
    [
        marked(RICH, '"id": "start"', inner=9),
        marked(RICH, '"start.out", "to": "check.in"', inner=2),
        marked(RICH, "nodes.start.out.path", inner=7),
        marked(RICH, '"trigger": "start"', inner=13),
        marked(RICH, '"fixtures": {"start"', inner=15),
    ],
)
def test_references_from_every_kind_of_mention(text: str) -> None:
    source, offset = split_cursor(text)
    assert len(references(analysis_of(source), offset, True)) == 8


def test_no_references_outside_mentions() -> None:
    source, offset = split_cursor(marked(RICH, '"flow/if"', inner=3))
    assert references(analysis_of(source), offset, True) == []


# -- rename -------------------------------------------------------------------------------


def check_rename(text: str, new_name: str, expected: str) -> None:
    source, offset = split_cursor(text)
    edits = rename(analysis_of(source), offset, new_name)
    assert not isinstance(edits, str), edits
    assert apply_edits(source, edits) == expected


def check_rename_refused(text: str, new_name: str, reason: str) -> None:
    source, offset = split_cursor(text)
    result = rename(analysis_of(source), offset, new_name)
    assert isinstance(result, str)
    assert reason in result


@pytest.mark.parametrize(
    "text",
    [
        marked(RICH, '"id": "start"', inner=9),
        marked(RICH, '"start.out", "to": "log.in"', inner=1),
        marked(RICH, "nodes.start.out.path", inner=11),
        marked(RICH, '"trigger": "start"', inner=12),
    ],
)
def test_rename_updates_every_mention(text: str) -> None:
    source, _offset = split_cursor(text)
    expected = (
        source.replace('"start"', '"begin"')
        .replace('"start.', '"begin.')
        .replace("nodes.start.", "nodes.begin.")
    )
    check_rename(text, "begin", expected)
    assert is_json(expected)
    assert "start" not in expected.replace('"/orders"', "")


def test_rename_respects_escapes() -> None:
    # `\u0073tart` is `start`, written with an escape; the span covers the escape.
    text = flow(
        NODES.replace('"id": "start"', '"id": "\\u0073t$0art"'),
        CONNECTIONS.replace('"start.out"', '"\\u0073tart.out"'),
    )
    source, offset = split_cursor(text)
    edits = rename(analysis_of(source), offset, "begin")
    assert not isinstance(edits, str)
    out = apply_edits(source, edits)
    assert '"id": "begin"' in out and '"from": "begin.out"' in out
    assert is_json(out)


def test_rename_in_expression_with_escaped_quotes_before() -> None:
    node = (
        '{"id": "c2", "type": "flow/if", "version": "1.0.0", "config": '
        '{"condition": "\\"é\\" == nodes.start.out.path"}}'
    )
    text = flow(NODES + ", " + node, CONNECTIONS + ', {"from": "start.out", "to": "c2.in"}')
    text = marked(text, '"id": "start"', inner=9)
    source, offset = split_cursor(text)
    edits = rename(analysis_of(source), offset, "begin")
    assert not isinstance(edits, str)
    out = apply_edits(source, edits)
    assert '"condition": "\\"é\\" == nodes.begin.out.path"' in out


@pytest.mark.parametrize(
    ("text", "new_name", "reason"),
    [
        (marked(RICH, '"id": "start"', inner=9), "Begin", "not a valid node id"),
        (marked(RICH, '"id": "start"', inner=9), "1x", "not a valid node id"),
        (marked(RICH, '"id": "start"', inner=9), "my-node", "not a valid node id"),
        (marked(RICH, '"id": "start"', inner=9), "check", "already exists"),
        (marked(RICH, '"flow/if"', inner=2), "x", "Only node ids can be renamed"),
        (marked(RICH, '"check.true"', inner=8), "x", "`true` is a port of `check`"),
        (marked(RICH, '"orders"', inner=2), "x", "Only node ids"),
    ],
)
def test_rename_refusals(text: str, new_name: str, reason: str) -> None:
    check_rename_refused(text, new_name, reason)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (marked(RICH, '"id": "start"', inner=9), "start"),
        (marked(RICH, '"check.in"', inner=1), "check"),
        (marked(RICH, "nodes.start.out.path", inner=6), "start"),
    ],
)
def test_prepare_rename_span(text: str, expected: str) -> None:
    source, offset = split_cursor(text)
    span = prepare_rename(analysis_of(source), offset)
    assert not isinstance(span, str), span
    assert source[span.start : span.end] == expected


def test_prepare_rename_refuses_unknown_node() -> None:
    source, offset = split_cursor(flow(NODES, '{"from": "gh$0ost.out", "to": "check.in"}'))
    assert prepare_rename(analysis_of(source), offset) == "No node has the id `ghost`"


def test_rename_same_name_is_no_op() -> None:
    source, offset = split_cursor(marked(RICH, '"id": "start"', inner=9))
    assert rename(analysis_of(source), offset, "start") == []


def test_rename_a_later_duplicate_renames_only_it() -> None:
    nodes = (
        NODES
        + ', {"id": "check", "type": "flow/if", "version": "1.0.0", "config": {"condition": "true"}}'
    )
    text = marked(flow(nodes), '"id": "check"', nth=1, inner=9)
    source, offset = split_cursor(text)
    edits = rename(analysis_of(source), offset, "check_2")
    assert not isinstance(edits, str)
    out = apply_edits(source, edits)
    assert out.count('"check_2"') == 1 and '"check.in"' in out


# -- symbols ------------------------------------------------------------------------------


def test_document_symbols_outline() -> None:
    nodes = (
        '{"id": "reply", "type": "http/respond", "version": "1.0.0", "title": "Answer"}, '
        '{"id": "start", "type": "http/trigger", "version": "1.0.0"}, '
        '{"id": "tick", "type": "trigger/schedule", "version": "1.0.0"}'
    )
    text = flow(
        nodes,
        '{"from": "start.out", "to": "reply.in"}',
        ', "tests": [{"name": "smoke", "trigger": "start"}]',
    )
    symbols = document_symbols(analysis_of(text))
    assert [(s.name, s.kind, s.detail) for s in symbols] == [
        ("start", "trigger", "http/trigger"),
        ("tick", "trigger", "trigger/schedule"),
        ("reply", "node", "http/respond · Answer"),
        ("connections", "connection", "1"),
        ("tests", "test", "1"),
    ]
    assert [c.name for c in symbols[3].children] == ["start.out → reply.in"]
    assert [(c.name, c.detail) for c in symbols[4].children] == [("smoke", "fires start")]
    for symbol in symbols:
        assert (
            symbol.span.start
            <= symbol.selection_span.start
            <= symbol.selection_span.end
            <= symbol.span.end
        )
    assert text[symbols[0].selection_span.start : symbols[0].selection_span.end] == '"start"'


def test_document_symbols_of_broken_text() -> None:
    text = '{"nodes": [{"id": "a", "type": "flow/if", "version": "1.0.0"}, {"type": "ht'
    symbols = document_symbols(analysis_of(text))
    assert [s.name for s in symbols] == ["a", "(node 1)"]
    assert document_symbols(analysis_of("")) == []


def test_workspace_symbols() -> None:
    a = analysis_of(flow(), "file:///a.flow.json")
    b = analysis_of(
        flow(NODES.replace('"check"', '"checkout"').replace('"check.', '"checkout.')),
        "file:///b.flow.json",
    )
    found = workspace_symbols([a, b], "check")
    assert [(s.name, s.location.uri) for s in found] == [
        ("check", "file:///a.flow.json"),
        ("checkout", "file:///b.flow.json"),
    ]
    assert [s.name for s in workspace_symbols([a], "rpl")] == ["reply"]  # fuzzy
    assert [s.kind for s in workspace_symbols([a], "orders")] == ["flow"]
    assert len(workspace_symbols([a], "")) == 4


# -- code lenses --------------------------------------------------------------------------


def test_code_lenses() -> None:
    text = flow()
    lenses = code_lenses(analysis_of(text))
    assert [(lens.title, lens.command, lens.arguments[1:]) for lens in lenses] == [
        ("Build", "nodeforge.build", []),
        ("▶ Run", "nodeforge.run", ["start"]),
        ("Test node", "nodeforge.testNode", ["start"]),
        ("Test node", "nodeforge.testNode", ["check"]),
        ("Test node", "nodeforge.testNode", ["reply"]),
    ]
    assert all(lens.arguments[0] == "file:///work/flows/orders.flow.json" for lens in lenses)
    assert text[lenses[2].span.start] == "{"


def test_symbol_selection_is_the_id_wherever_it_is() -> None:
    nodes = (
        '{ "id" : "first", "type": "flow/if", "version": "1.0.0"}, '
        '{"type": "flow/if", "config": {"id": "not me"}, "id": "late", "version": "1.0.0"}'
    )
    text = flow(nodes, "")
    symbols = document_symbols(analysis_of(text))
    selected = [text[s.selection_span.start : s.selection_span.end] for s in symbols[:2]]
    assert selected == ['"first"', '"late"']
