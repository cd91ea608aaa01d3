"""The recovering JSON parser: exact spans, recovery, and never raising."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nodeforge.analysis.jsontree import (
    JsonNode,
    Property,
    _Parser,
    _trusted_members,
    parse_json,
    string_offsets,
)


def errors(text: str) -> list[tuple[str, str]]:
    """Each syntax error as (the text it covers or the 5 chars after it, message)."""
    result = parse_json(text)
    out = []
    for e in result.errors:
        covered = text[e.span.start : e.span.end] or text[e.span.start : e.span.start + 5]
        out.append((covered, e.message))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1, "b": [1, 2,]}', [(",", "Trailing comma before `]`")]),
        ('{"a": 1,}', [(",", "Trailing comma before `}`")]),
        ('{"a": 1 "b": 2}', [(' "b":', "Missing `,` between properties")]),
        (
            '{"a": "x',
            [
                ('"x', 'Unterminated string: add the closing `"`'),
                ("{", "Unclosed `{`: add the closing `}`"),
            ],
        ),
        ('{"a": {"b": 1, "b": 2}}', [('"b"', "Duplicate property `b`")]),
        ("{a: 1}", [("a", 'Property names must be in double quotes: `"a"`')]),
        ('{"a": tru}', [("tru", "Invalid value `tru`; strings must be in double quotes")]),
        ('{"a": NaN}', [("NaN", "Invalid value `NaN` (JSON has only true, false and null)")]),
        ('{"a": }', [("}", "Missing value for `a`")]),
        ('{"a" 1}', [(" 1}", "Missing `:` after `a`")]),
        ('{"a": 1}}', [("}", "Unexpected content after the end of the JSON document")]),
        ("", [("", "Empty document: expected a JSON object")]),
    ],
)
def test_syntax_errors_are_located(text: str, expected: list[tuple[str, str]]) -> None:
    assert errors(text) == expected


def test_recovery_keeps_everything_that_parses() -> None:
    text = '{"nodes": [{"id": "a"} {"id": "b",}], "connections": [{"from": "a.out"'
    result = parse_json(text)
    assert result.root is not None
    assert result.root.value["nodes"] == [{"id": "a"}, {"id": "b"}]
    assert result.root.value["connections"] == [{"from": "a.out"}]


def test_a_closing_bracket_of_an_outer_container_closes_the_inner_ones() -> None:
    text = '{"nodes": [{"id": "a", "config": {"m": "x}}\n], "connections": []}'
    result = parse_json(text)
    assert result.root is not None
    assert result.root.value["connections"] == []


def test_valid_documents_expand_lazily_with_exact_spans() -> None:
    text = '{\n  "nodes": [\n    {"id": "é", "config": {"k": [1, "two"]}}\n  ]\n}'
    root = parse_json(text).root
    assert root is not None and root.value == json.loads(text)
    node = root.find(("nodes", 0, "config", "k", 1))
    assert node is not None and text[node.start : node.end] == '"two"'
    member = root.find(("nodes", 0))
    assert member is not None
    prop = member.member("id")
    assert prop is not None and text[prop.key_span.start : prop.key_span.end] == '"id"'


def test_top_level_arrays_are_positioned_while_parsing() -> None:
    text = '{"nodes": [ {"id": "a"} ,\n {"id": "b", "n": [1, 2]} ], "empty": [ ], "name": "x"}'
    result = parse_json(text)
    root = result.root
    assert result.errors == [] and root is not None and root.value == json.loads(text)
    nodes, empty = root.get("nodes"), root.get("empty")
    assert nodes is not None and empty is not None
    assert nodes._array is not None  # split by the parse, not re-scanned on first use
    spans = [text[item.start : item.end] for item in nodes.items]
    assert spans == ['{"id": "a"}', '{"id": "b", "n": [1, 2]}']
    assert all(i.value is v for i, v in zip(nodes.items, root.value["nodes"], strict=True))
    assert empty.items == [] and text[empty.start : empty.end] == "[ ]"


@pytest.mark.parametrize(
    "body",
    [
        '{"id": "a"}, {"id": "b",}',
        '{"id": "a"} {"id": "b"}',
        '{"id": "a"}, {"id": "a", "id": "b"}',
        '{"id": "a"},',
        '{"id": "a"}, tru',
        '{"id": "a"}, {"id": "b"}, ]',
    ],
)
def test_errors_in_a_top_level_array_are_located_as_deeper_down(body: str) -> None:
    top = errors('{"nodes": [' + body + "]}")
    nested = errors('{"x": {"nodes": [' + body + "]}}")
    assert top and top == nested


def test_deep_nesting_is_reported_not_crashed() -> None:
    for text in ["[" * 10000, "[" * 3000 + "]" * 3000, '{"a":' * 5000]:
        result = parse_json(text)
        assert any("Nesting deeper" in e.message for e in result.errors)


def test_string_offsets_follow_escapes() -> None:
    raw = '"a\\nb\\u00e9\\ud83d\\ude00c"'
    decoded = json.loads(raw)
    offsets = string_offsets(raw)
    assert len(offsets) == len(decoded) + 1
    assert [raw[o] for o in offsets[:-1]] == ["a", "\\", "b", "\\", "\\", "c"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(json_values)
def test_valid_json_round_trips(value: object) -> None:
    text = json.dumps(value)
    result = parse_json(text)
    assert result.errors == []
    assert result.root is not None and result.root.value == value


@given(json_values, st.data())
def test_mutated_json_never_raises(value: object, data: st.DataObject) -> None:
    text = json.dumps({"nodes": [value]}, indent=1)
    position = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.sampled_from(["", ",", "}", "]", "{", "[", '"', ":", "\\", "\x00", "é"]))
    cut = data.draw(st.integers(0, 3))
    mutated = text[:position] + junk + text[position + cut :]
    result = parse_json(mutated)
    for error in result.errors:
        assert 0 <= error.span.start <= error.span.end <= len(mutated)


@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    parse_json(text)


def _members(props: list[Property]) -> list[tuple[str, int, int, str, int, int, object]]:
    return [
        (p.key, p.key_span.start, p.key_span.end, v.kind, v.start, v.end, v.value)
        for p in props
        if (v := p.value) is not None
    ]


@given(json_values, st.sampled_from([None, 0, 2, "\t"]), st.booleans())
def test_objects_expanded_on_demand_match_the_token_by_token_parse(
    value: object, indent: int | str | None, ascii_only: bool
) -> None:
    """Members found when an object is first asked for (a fast path over the text the
    checked scanner accepted) are those, with the same spans and values, that the
    recovering parser finds token by token."""
    text = json.dumps(
        {"v": value, 'k"\\ey': [value, {"é": value}]}, indent=indent, ensure_ascii=ascii_only
    )
    root = parse_json(text).root
    assert root is not None
    todo: list[JsonNode] = [root]
    while todo:
        node = todo.pop()
        if node.kind == "object":
            expected = _Parser(text, [], trusted=True).object_members(node.start, 0)[0]
            assert _members(_trusted_members(text, node.start)) == _members(expected)
            assert _members(node.properties) == _members(expected)
            todo.extend(p.value for p in node.properties if p.value is not None)
        elif node.kind == "array":
            todo.extend(node.items)
