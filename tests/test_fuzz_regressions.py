"""Fuzz-found regressions: each bug the fuzzers found (issue 10, `bench/fuzz.py`,
`tests/test_fuzz.py`) stays fixed through one small, readable unit test here.

The invariants they protect: parsing and analysis never raise (bad input gets a
located diagnostic), every editor feature answers on any text at any offset, a
completion's edit range contains the cursor, and an incremental re-analysis
agrees with a fresh one.
"""

from __future__ import annotations

import pytest

from nodeforge.analysis import expressions
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.expressions.parser import tokenize
from nodeforge.analysis.ide import (
    completion,
    definition,
    format_document,
    format_edits,
    graph_view,
    hover,
    prepare_rename,
    references,
    rename,
)
from nodeforge.analysis.ide.format import MAX_LAYOUT_DEPTH
from nodeforge.analysis.jsontree import parse_json
from tests.test_ide_common import CONNECTIONS, NODES, flow, workspace

HUGE = "1" * 4301  # one digit over Python's int max str digits (4,300)


def node(nid: str, ntype: str, config: str) -> str:
    return f'{{"id": "{nid}", "type": "{ntype}", "version": "1.0.0", "config": {config}}}'


def every_feature(text: str, offset: int) -> None:
    analysis = analyze(text, workspace=workspace())
    completion(analysis, offset)
    hover(analysis, offset)
    definition(analysis, offset)
    references(analysis, offset, True)
    prepare_rename(analysis, offset)
    rename(analysis, offset, "renamed")
    format_edits(text)


# -- item 8: integers over 4,300 digits ---------------------------------------------------


@pytest.mark.parametrize("source", [HUGE, f"-{HUGE}", f"input.a + {HUGE}", f"[{HUGE}]"])
def test_a_huge_integer_literal_is_a_located_expression_error(source: str) -> None:
    parsed = expressions.parse(source)
    assert parsed.expr is None
    (error,) = parsed.errors
    assert error.message == "integer literal out of range"
    start = source.index(HUGE)
    assert (error.start, error.end) == (start - (source[start - 1] == "-"), start + len(HUGE))


def test_a_huge_integer_in_a_template_hole_is_a_located_error() -> None:
    template = expressions.parse_template("total: {{" + HUGE + "}}")
    assert [e.message for e in template.errors] == ["integer literal out of range"]


def test_the_tolerant_tokenizer_takes_a_huge_integer() -> None:
    tokens = tokenize(HUGE + ".", tolerant=True)
    assert [t.kind for t in tokens] == ["int", ".", "eof"]


@pytest.mark.parametrize(
    "member",
    [
        f'"name": {HUGE}',  # a member of the document (token-by-token path)
        f'"name": [{HUGE}]',  # inside a container the C scanner rejects
        f'"name": -{HUGE}',
    ],
)
def test_a_huge_json_integer_is_a_located_syntax_error(member: str) -> None:
    text = flow(extra=", " + member)
    parsed = parse_json(text)
    start = text.index(HUGE)
    assert [(e.span.start, e.span.end) for e in parsed.errors] == [
        (start - (text[start - 1] == "-"), start + len(HUGE))
    ]
    assert "4,300 digits" in parsed.errors[0].message
    found = analyze(text, workspace=workspace()).diagnostics
    assert [d.code for d in found if d.code in ("NF000", "NF001")] == ["NF001"]


def test_a_huge_json_integer_inside_a_node_is_located() -> None:
    text = flow(NODES + ", " + node("big", "data/set", '{"values": {"a": "1"}, "n": ' + HUGE + "}"))
    diagnostics = analyze(text, workspace=workspace()).diagnostics
    assert [(d.code, d.span.start) for d in diagnostics if d.code in ("NF000", "NF001")] == [
        ("NF001", text.index(HUGE))
    ]


def test_an_integer_of_4300_digits_is_still_a_number() -> None:
    parsed = parse_json('{"a": ' + "9" * 4300 + "}")
    assert parsed.errors == []
    assert parsed.root is not None and parsed.root.value["a"] == int("9" * 4300)


def test_a_huge_integer_in_an_expression_is_reported_and_every_feature_answers() -> None:
    extra = node("big", "data/set", '{"values": {"a": "input.x + ' + HUGE + '"}}')
    text = flow(NODES + ", " + extra, CONNECTIONS + ', {"from": "start.out", "to": "big.in"}')
    found = analyze(text, workspace=workspace()).diagnostics
    assert [(d.code, d.message) for d in found if d.code != "NF014"] == [
        ("NF017", "integer literal out of range")
    ]
    at = text.index(HUGE)
    for offset in (at - 3, at, at + 10, at + len(HUGE)):
        every_feature(text, offset)


def test_a_huge_json_integer_leaves_every_feature_answering() -> None:
    text = flow(extra=f', "name": {HUGE}')
    at = text.index(HUGE)
    for offset in (at, at + 2000, text.index('"check"') + 2):
        every_feature(text, offset)


# -- item 9: deep nesting -------------------------------------------------------------------


@pytest.mark.parametrize("depth", [334, 500, 999])
def test_formatting_valid_deep_json_neither_recurses_nor_changes_it(depth: int) -> None:
    text = flow(extra=', "deep": ' + "[" * depth + "1" + "]" * depth)
    formatted = format_document(text)
    assert formatted is not None
    assert "".join(formatted.split()) == "".join(text.split())  # only the layout changed
    assert format_document(formatted) == formatted
    (edit,) = format_edits(text)
    assert edit.new_text == formatted


def test_formatting_json_nested_ten_thousand_levels() -> None:
    deep = '{"a": ' * 10_000 + "[1, 2]" + "}" * 10_000
    text = flow(extra=', "deep": ' + deep)
    formatted = format_document(text)
    assert formatted is not None
    assert "".join(formatted.split()) == "".join(text.split())  # only the layout changed
    assert format_document(formatted) == formatted
    # Past MAX_LAYOUT_DEPTH levels the rest is on one line: the output stays linear.
    assert len(formatted) < len(text) + 4 * MAX_LAYOUT_DEPTH**2
    assert format_document(text[:-1]) is None  # broken deep JSON is still refused
    assert format_document(text.replace("[1, 2]", "[1, 2,]")) is None


@pytest.mark.parametrize("depth", [500, 999, 10_000])
def test_analysis_and_features_on_deep_nesting(depth: int) -> None:
    for value in ("[" * depth + "]" * depth, '{"a": ' * depth + "1" + "}" * depth):
        for text in (
            flow(extra=', "deep": ' + value),
            flow(NODES + ", " + node("deep", "data/set", '{"values": {"a": ' + value + "}}")),
            flow(NODES + ", " + node("deep", "data/set", '{"values": ' + value + "}")),
        ):
            analysis = analyze(text, workspace=workspace())
            assert all(d.code != "NF000" for d in analysis.diagnostics), analysis.diagnostics
            middle = text.index(value) + len(value) // 2
            every_feature(text, middle)


# -- item 10: completion inside a JSON escape sequence ------------------------------------


@pytest.mark.parametrize("expr", [r"x\\ty", r"input.a\"b", r"a\\\\b", r"\"abc\"", r"ab\ncd"])
def test_completion_ranges_contain_the_cursor_inside_escapes(expr: str) -> None:
    extra = node("s", "flow/if", '{"condition": "' + expr + '"}')
    text = flow(NODES + ", " + extra, CONNECTIONS + ', {"from": "start.out", "to": "s.in"}')
    analysis = analyze(text, workspace=workspace())
    base = text.index(expr)
    for offset in range(base, base + len(expr) + 1):
        for item in completion(analysis, offset).items:
            span = item.edit_span
            assert span is None or span.start <= offset <= span.end, (offset, item)


# -- item 11: incremental analysis used stale node references -----------------------------


def _reference_flow(field: str) -> str:
    trigger = node(
        "start",
        "http/trigger",
        '{"method": "POST", "path": "/o", "body_schema": {"type": "object", '
        f'"properties": {{"{field}": {{"type": "string"}}}}}}}}',
    )
    middle = node("mid", "data/map", '{"mapping": {"k": "1"}}')  # its output ignores its input
    last = node("last", "data/set", '{"values": {"x": "nodes.start.out.body.from"}}')
    return flow(
        ", ".join([trigger, middle, last]),
        '{"from": "start.out", "to": "mid.in"}, {"from": "mid.out", "to": "last.in"}',
    )


def _diagnostics(text: str, previous: object = None) -> list[tuple[str, str]]:
    analysis = analyze(text, workspace=workspace(), previous=previous)  # type: ignore[arg-type]
    return [(d.code, d.message) for d in analysis.diagnostics]


def test_an_edit_upstream_reaches_a_node_that_reads_it_by_name() -> None:
    before = _reference_flow("from")
    after = _reference_flow("frm")
    previous = analyze(before, workspace=workspace())
    assert all(code != "NF018" for code, _ in _diagnostics(before))
    incremental = _diagnostics(after, previous)
    assert incremental == _diagnostics(after)
    assert any(code == "NF018" and "no field `from`" in msg for code, msg in incremental)


def test_completion_and_hover_after_an_upstream_edit_see_the_new_types() -> None:
    before, after = _reference_flow("from"), _reference_flow("frm")
    previous = analyze(before, workspace=workspace())
    incremental = analyze(after, workspace=workspace(), previous=previous)
    fresh = analyze(after, workspace=workspace())
    at = after.index("nodes.start.out.body.") + len("nodes.start.out.body.")
    labels = [sorted(i.label for i in completion(a, at).items) for a in (incremental, fresh)]
    assert labels[0] == labels[1] and "frm" in labels[0]
    hovers = [hover(a, at - 3) for a in (incremental, fresh)]
    assert hovers[0] == hovers[1]


def test_a_node_id_renamed_into_existence_clears_unknown_node() -> None:
    """An expression naming an unknown node was memoized by its node alone: renaming
    another node to that id left the stale `unknown node` error (fuzz, seed 3)."""
    reader = node("log", "util/log", '{"message": "{{ nodes.order.out }}"}')
    before = flow(NODES.replace('"id": "start"', '"id": "renamed"') + ", " + reader)
    after = flow(NODES.replace('"id": "start"', '"id": "order"') + ", " + reader)
    previous = analyze(before, workspace=workspace())
    assert any("unknown node `order`" in m for _, m in _diagnostics(before))
    assert _diagnostics(after, previous) == _diagnostics(after)
    assert not any("unknown node" in m for _, m in _diagnostics(after))


# -- completion edit ranges stay on the cursor's line -------------------------------------

BROKEN_NODES = (
    '{\n  "nodeforge": "1",\n  "id": "bad",\n  "nodes": [\n'
    '{{==    {"id"`frm: "start", "type": "trigger/manual", "version": "1.0.0"},\n'
    '    {"type": "util/log", "version": "1.0.0", "config": {"message": "no id"}}\n'
    '  ],\n  "connections": []\n}\n'
)


@pytest.mark.parametrize("text", [BROKEN_NODES, flow(NODES + ", {\n\n}")])
def test_completion_edit_ranges_are_on_one_line_and_hold_the_cursor(text: str) -> None:
    """A value recovered from broken JSON may run over lines; LSP wants an item's
    range on one line, holding the cursor (fuzz, seed 1: a node skeleton replaced
    three lines)."""
    analysis = analyze(text, workspace=workspace())
    for offset in range(len(text) + 1):
        for item in completion(analysis, offset).items:
            span = item.edit_span
            if span is not None:
                assert span.start <= offset <= span.end, (offset, item.label, span)
                assert "\n" not in text[span.start : span.end], (offset, item.label, span)


# -- duplicate members ------------------------------------------------------------------------

DUPLICATE_NODES = (
    '{\n  "nodeforge": "1",\n  "id": "dup",\n  "nodes": [\n'
    '    {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}}\n'
    '  ],\n  "nodes"."config""connections": []\n}\n'
)


def test_hover_in_a_nodes_member_that_a_later_one_overrides() -> None:
    """The cursor's path named node 0 of the first `nodes`, the document's nodes come
    from the last one (empty): hover on the id indexed past them (fuzz, seed 2026)."""
    analysis = analyze(DUPLICATE_NODES, workspace=workspace())
    assert analysis.document.nodes == []
    for offset in range(len(DUPLICATE_NODES) + 1):
        every_feature(DUPLICATE_NODES, offset) if offset % 7 == 0 else hover(analysis, offset)


def test_a_position_too_large_for_a_float_is_laid_out() -> None:
    """`math.isfinite` of an integer of 309+ digits raises OverflowError: the graph
    view of a node placed there failed (fuzz, seed 2027)."""
    text = flow(
        NODES.replace(
            '"version": "1.0.0", "config": {"method"',
            '"version": "1.0.0", "position": {"x": ' + "9" * 400 + ', "y": 0}, "config": {"method"',
            1,
        )
    )
    analysis = analyze(text, workspace=workspace())
    view = graph_view(analysis)
    assert len(view.nodes) == 3
