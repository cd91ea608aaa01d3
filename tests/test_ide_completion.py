"""Completion, data-driven: a flow with ``$0`` at the cursor and the labels expected there."""

from __future__ import annotations

import pytest

from nodeforge.analysis.ide import CompletionItem, completion, snippet_plain_text
from tests.test_ide_common import (
    CONNECTIONS,
    NODES,
    analysis_of,
    flow,
    is_json,
    split_cursor,
    with_node,
    workspace,
)


def labels(text: str) -> list[str]:
    source, offset = split_cursor(text)
    items = completion(analysis_of(source), offset).items
    return [i.label for i in sorted(items, key=lambda i: (i.sort_text or "", i.label))]


def check_completion(text: str, expected: list[str]) -> None:
    """The labels, in the order an editor shows them, are exactly ``expected``."""
    assert labels(text) == expected


def check_completion_has(text: str, first: list[str], absent: tuple[str, ...] = ()) -> None:
    """The first labels are ``first`` (in order) and none of ``absent`` is offered."""
    got = labels(text)
    assert got[: len(first)] == first, got
    for label in absent:
        assert label not in got, f"{label} offered in {got}"


def item(text: str, label: str) -> CompletionItem:
    source, offset = split_cursor(text)
    items = completion(analysis_of(source), offset).items
    found = [i for i in items if i.label == label]
    assert found, f"{label} not in {[i.label for i in items]}"
    return found[0]


def accept(text: str, label: str) -> str:
    """The document after accepting the item ``label`` at the cursor."""
    source, offset = split_cursor(text)
    chosen = item(text, label)
    span = chosen.edit_span
    assert span is not None and span.start <= offset <= span.end
    insert = chosen.insert_text if chosen.insert_text is not None else chosen.label
    if chosen.is_snippet:
        insert = snippet_plain_text(insert)
    return source[: span.start] + insert + source[span.end :]


def check_accept(text: str, label: str, expected: str) -> None:
    assert accept(text, label) == expected


# -- top level ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{$0}", ["nodeforge", "id", "name", "description", "nodes", "connections", "tests"]),
        ('{"nodeforge": "1", $0}', ["id", "name", "description", "nodes", "connections", "tests"]),
        (
            '{"nodeforge": "1", "id": "x", "nodes": [], "n$0"}',
            ["name", "description", "connections", "tests"],
        ),
        ('{"nodeforge": $0}', ["1"]),
        ('{"id": "$0"}', ["orders"]),
        ("$0", ["flow"]),
        ("  $0  ", ["flow"]),
    ],
)
def test_top_level(text: str, expected: list[str]) -> None:
    check_completion(text, expected)


def test_top_level_key_inserts_key_and_value() -> None:
    check_accept('{"nodeforge": "1", $0}', "nodes", '{"nodeforge": "1", "nodes": []}')
    check_accept('{"nodeforge": "1", "no$0"}', "nodes", '{"nodeforge": "1", "nodes": []}')
    check_accept('{"id": "x", "no$0": []}', "nodes", '{"id": "x", "nodes": []}')


def test_empty_document_gets_a_flow_skeleton() -> None:
    out = accept("$0", "flow")
    assert is_json(out)
    assert '"id": "orders"' in out


# -- node types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        with_node('{"id": "n", "type": "$0"}'),
        with_node('{"id": "n", "type": "ht$0"}'),
        with_node('{"id": "n", "type": $0}'),
        with_node('{"id": "n", "type": ht$0}'),
        # Half-typed: unclosed string, missing commas, unclosed braces.
        '{"nodeforge": "1", "nodes": [{"id": "n", "type": "ht$0',
        '{"nodeforge": "1", "nodes": [{"id": "n", "type": "ht$0\n}]}',
        '{"nodeforge": "1", "nodes": [{"id": "n" "type": "$0" "version": "1.0.0"}]}',
        '{"nodeforge": "1", "nodes": [{"id": "n", "type": $0',
        '{"nodeforge": "1", "nodes": [{"id": "n", "title": "Grüße 👋 日本", "type": "$0"}]}',
    ],
)
def test_node_types(text: str) -> None:
    check_completion_has(text, ["code/go", "data/map", "data/set"])
    assert len(labels(text)) == len(workspace().catalog.types())  # every type once


def test_node_type_item_has_docs_and_replaces_whole_string() -> None:
    text = with_node('{"id": "n", "type": "ht$0tp"}')
    chosen = item(text, "http/request")
    assert chosen.kind == "node-type"
    assert chosen.detail == "HTTP request"
    assert chosen.documentation is not None and "**Outputs**" in chosen.documentation
    source, _offset = split_cursor(text)
    assert chosen.edit_span is not None
    assert source[chosen.edit_span.start : chosen.edit_span.end] == '"ht tp"'.replace(" ", "")
    assert chosen.filter_text == '"http/request"'


def test_deprecated_type_is_marked() -> None:
    # whatsapp/send's newest version is not deprecated; 1.0.0 is.
    assert not item(with_node('{"id": "n", "type": "$0"}'), "whatsapp/send").deprecated


def test_node_type_accept() -> None:
    check_accept(
        '{"nodes": [{"id": "n", "type": "ht$0", "version": "1.0.0"}]}',
        "http/request",
        '{"nodes": [{"id": "n", "type": "http/request", "version": "1.0.0"}]}',
    )
    check_accept(
        '{"nodes": [{"id": "n", "version": "1.0.0", "type": ht$0}]}',
        "http/request",
        '{"nodes": [{"id": "n", "version": "1.0.0", "type": "http/request"}]}',
    )
    # Without a version, the newest is pinned as well.
    check_accept(
        '{"nodes": [{"id": "n", "type": $0}]}',
        "flow/if",
        '{"nodes": [{"id": "n", "type": "flow/if", "version": "1.0.0"}]}',
    )
    check_accept(
        '{"nodes": [{"id": "n", "type": "ht$0"}]}',
        "http/request",
        '{"nodes": [{"id": "n", "type": "http/request", "version": "1.2.0"}]}',
    )
    # A following member without a comma gets one.
    check_accept(
        '{"nodes": [{"id": "n", "type": $0 "version": "1.0.0"}]}',
        "flow/if",
        '{"nodes": [{"id": "n", "type": "flow/if", "version": "1.0.0"}]}',
    )


def test_unclosed_string_is_replaced_up_to_the_cursor() -> None:
    out = accept('{"nodes": [{"id": "n", "version": "1.1.0", "type": "ht$0\n]}', "http/request")
    assert out == '{"nodes": [{"id": "n", "version": "1.1.0", "type": "http/request"\n]}'


# -- node skeletons ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"nodes": [$0]}',
        '{"nodes": [\n  $0\n]}',
        flow(NODES + ", $0"),
        flow(NODES + ", {$0}"),
        '{"nodes": [$0',
    ],
)
def test_node_skeleton_offered(text: str) -> None:
    assert "http/trigger" in labels(text)


def test_node_skeleton_inserts_required_config() -> None:
    out = accept('{"nodeforge": "1", "id": "x", "nodes": [\n  $0\n]}', "http/request")
    assert is_json(out), out
    assert out == (
        '{"nodeforge": "1", "id": "x", "nodes": [\n'
        "  {\n"
        '    "id": "request",\n'
        '    "type": "http/request",\n'
        '    "version": "1.2.0",\n'
        '    "config": {\n'
        '      "method": "GET",\n'
        '      "url": "https://api.example.com/orders/{{ input.id }}"\n'
        "    }\n"
        "  }\n"
        "]}"
    )


def test_node_skeleton_into_empty_object_replaces_it() -> None:
    out = accept(flow(NODES + ", {$0}"), "flow/if")
    assert is_json(out), out
    assert '"id": "if"' in out


def test_node_skeleton_picks_an_unused_id() -> None:
    out = accept(flow(NODES + ", $0"), "flow/if")
    assert '"id": "if"' in out
    taken = NODES.replace('"id": "check"', '"id": "if"')
    out = accept(flow(taken + ", $0"), "flow/if")
    assert '"id": "if_2"' in out


def test_node_skeleton_before_another_node_adds_comma() -> None:
    out = accept(
        '{"nodes": [$0 {"id": "a", "type": "flow/if", "version": "1.0.0"}]}', "trigger/manual"
    )
    assert is_json(out), out


# -- node members, versions, ids ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            with_node("{$0}")[:0] + '{"nodes": [{"id": "a", $0}]}',
            ["type", "version", "title", "description", "position", "config"],
        ),
        (
            '{"nodes": [{"id": "a", "type": "flow/if", "version": "1.0.0", $0}]}',
            ["title", "description", "position", "config"],
        ),
        (
            '{"nodes": [{"id": "a" $0}]}',
            ["type", "version", "title", "description", "position", "config"],
        ),
        (
            '{"nodes": [{"id": "a", "ty$0"}]}',
            ["type", "version", "title", "description", "position", "config"],
        ),
    ],
)
def test_node_keys(text: str, expected: list[str]) -> None:
    check_completion(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"nodes": [{"id": "a", "type": "http/request", "version": "$0"}]}',
            ["1.2.0", "1.1.0", "1.0.0"],
        ),
        (
            '{"nodes": [{"id": "a", "type": "http/request", "version": $0}]}',
            ["1.2.0", "1.1.0", "1.0.0"],
        ),
        (
            '{"nodes": [{"id": "a", "type": "http/request", "version": "1.$0',
            ["1.2.0", "1.1.0", "1.0.0"],
        ),
        ('{"nodes": [{"id": "a", "type": "whatsapp/send", "version": "$0"}]}', ["2.0.0", "1.0.0"]),
        ('{"nodes": [{"id": "a", "type": "flow/if", "version": "$0"}]}', ["1.0.0"]),
        ('{"nodes": [{"id": "a", "type": "nope/nope", "version": "$0"}]}', []),
        ('{"nodes": [{"id": "a", "version": "$0"}]}', []),
    ],
)
def test_versions_newest_first(text: str, expected: list[str]) -> None:
    check_completion(text, expected)


def test_deprecated_version_is_marked() -> None:
    text = '{"nodes": [{"id": "a", "type": "whatsapp/send", "version": "$0"}]}'
    assert item(text, "1.0.0").deprecated
    assert item(text, "2.0.0").detail == "newest"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"nodes": [{"id": "$0", "type": "http/request"}]}', ["request"]),
        ('{"nodes": [{"id": "request"}, {"id": "$0", "type": "http/request"}]}', ["request_2"]),
        ('{"nodes": [{"id": $0}]}', ["node"]),
    ],
)
def test_node_id_suggestion(text: str, expected: list[str]) -> None:
    check_completion(text, expected)


def test_position_keys() -> None:
    check_completion('{"nodes": [{"id": "a", "position": {$0}}]}', ["x", "y"])
    check_completion('{"nodes": [{"id": "a", "position": {"x": 1, $0}}]}', ["y"])


def test_position_and_config_values() -> None:
    check_accept(
        '{"nodes": [{"id": "a", "position": $0}]}',
        '{"x": 0, "y": 0}',
        '{"nodes": [{"id": "a", "position": {"x": 0, "y": 0}}]}',
    )
    out = accept(
        '{"nodes": [{"id": "a", "type": "flow/if", "version": "1.0.0", "config": $0}]}', "{…}"
    )
    assert out == (
        '{"nodes": [{"id": "a", "type": "flow/if", "version": "1.0.0", "config": {\n'
        '  "condition": "input.ok"\n}}]}'
    ) or is_json(out)


# -- config keys and values ---------------------------------------------------------------

REQUEST = '{"id": "call", "type": "http/request", "version": "1.1.0", "config": {CONFIG}}'


def request(config: str) -> str:
    return with_node(REQUEST.replace("CONFIG", config))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Required keys first, then the others in schema order.
        (
            request("$0"),
            ["method", "url", "headers", "body", "response_schema", "timeout_ms", "retries"],
        ),
        (
            request('"method": "GET", $0'),
            ["url", "headers", "body", "response_schema", "timeout_ms", "retries"],
        ),
        (
            request('"method": "GET" $0'),
            ["url", "headers", "body", "response_schema", "timeout_ms", "retries"],
        ),
        (
            request('"ti$0"'),
            ["method", "url", "headers", "body", "response_schema", "timeout_ms", "retries"],
        ),
        (
            request('"ti$0'),
            ["method", "url", "headers", "body", "response_schema", "timeout_ms", "retries"],
        ),
        (
            request('"url": "x", "ti$0": 5'),
            ["method", "headers", "body", "response_schema", "timeout_ms", "retries"],
        ),
        # Half-typed: the node's closing braces are missing.
        (
            '{"nodes": [{"id": "call", "type": "http/request", "version": "1.1.0", "config": {"url": "x", $0',
            ["method", "headers", "body", "response_schema", "timeout_ms", "retries"],
        ),
        # Unknown version: the newest version's schema still helps.
        (
            '{"nodes": [{"id": "call", "type": "http/request", "version": "9.9.9", "config": {$0}}]}',
            [
                "method",
                "url",
                "headers",
                "body",
                "response_schema",
                "timeout_ms",
                "retries",
                "client_errors",
            ],
        ),
        (
            '{"nodes": [{"id": "call", "type": "nope/nope", "version": "1.0.0", "config": {$0}}]}',
            [],
        ),
        (
            with_node('{"id": "a", "type": "flow/merge", "version": "1.0.0", "config": {$0}}'),
            ["timeout_ms"],
        ),
    ],
)
def test_config_keys(text: str, expected: list[str]) -> None:
    check_completion(text, expected)


def test_config_key_item() -> None:
    chosen = item(request("$0"), "timeout_ms")
    assert chosen.kind == "property"
    assert chosen.detail == "integer ≥ 1 ≤ 600000"
    assert chosen.documentation is not None
    assert "per attempt" in chosen.documentation and "Default: `30000`" in chosen.documentation
    assert item(request("$0"), "url").detail == "string (required)"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("method", '"method": "GET"'),
        ("timeout_ms", '"timeout_ms": 30000'),
        ("headers", '"headers": {}'),
        ("url", '"url": ""'),
    ],
)
def test_config_key_accept(label: str, expected: str) -> None:
    out = accept(request("$0"), label)
    assert expected in out
    assert is_json(out)


def test_config_key_in_string_with_value_inserts_only_the_key() -> None:
    out = accept(request('"ti$0": 5'), "timeout_ms")
    assert '"timeout_ms": 5' in out and is_json(out)


def test_half_typed_key_above_another_member_gets_a_value() -> None:
    text = request('"method": "GET",\n  "$0\n  "url": "x"')
    out = accept(text, "timeout_ms")
    assert '"timeout_ms": 30000,\n  "url": "x"' in out, out
    assert is_json(out)


def test_config_key_before_another_key_adds_comma() -> None:
    out = accept(request('$0 "url": "x"'), "method")
    assert is_json(out), out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (request('"method": $0'), ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        (request('"method": "P$0"'), ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        (request('"method": "P$0'), ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        (request('"method": P$0'), ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        (request('"timeout_ms": $0'), ["30000"]),
        (request('"headers": $0'), ["{}"]),
        # A template outside its holes: the schema's examples.
        (request('"url": "$0"'), ["https://api.example.com/orders/{{ input.id }}"]),
        (
            with_node(
                '{"id": "a", "type": "data/map", "version": "1.1.0", "config": {"keep_input": $0}}'
            ),
            ["false", "true"],
        ),
        (
            with_node(
                '{"id": "a", "type": "util/log", "version": "1.0.0", "config": {"level": $0}}'
            ),
            ["info", "debug", "warn", "error"],
        ),
    ],
)
def test_config_values(text: str, expected: list[str]) -> None:
    check_completion(text, expected)


def test_config_value_accept() -> None:
    assert '"method": "POST"' in accept(request('"method": "P$0"'), "POST")
    assert '"method": "POST"' in accept(request('"method": P$0'), "POST")
    assert '"method": "POST"' in accept(request('"method": $0'), "POST")
    out = accept(
        with_node(
            '{"id": "a", "type": "data/map", "version": "1.1.0", "config": {"keep_input": $0}}'
        ),
        "true",
    )
    assert '"keep_input": true' in out


def test_nested_config_follows_properties_and_items() -> None:
    switch = '{"id": "sw", "type": "flow/switch", "version": "1.0.0", "config": {"cases": [CASE]}}'
    case_keys = labels(with_node(switch.replace("CASE", "{$0}")))
    assert case_keys[:1] == ["when"] or "when" in case_keys
    assert labels(with_node(switch.replace("CASE", "$0"))) == ["{}"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            with_node(
                '{"id": "q", "type": "sql/query", "version": "1.0.0", "config": {"connector": "$0"}}'
            ),
            ["reports_db", "shopdb"],
        ),
        (
            with_node(
                '{"id": "q", "type": "sql/query", "version": "1.0.0", "config": {"connector": $0}}'
            ),
            ["reports_db", "shopdb"],
        ),
        (
            with_node(
                '{"id": "m", "type": "email/send", "version": "1.0.0", "config": {"connector": "$0"}}'
            ),
            ["mailer"],
        ),
        (
            with_node(
                '{"id": "l", "type": "llm/generate", "version": "1.0.0", "config": {"connector": "a$0"}}'
            ),
            ["assistant"],
        ),
    ],
)
def test_connectors_filtered_by_type(text: str, expected: list[str]) -> None:
    check_completion(text, expected)


# -- connections ------------------------------------------------------------------------


def conn(connection: str) -> str:
    return flow(NODES, CONNECTIONS + ", " + connection)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (conn('{"from": "$0"}'), ["start.out", "start.invalid", "check.true", "check.false"]),
        (conn('{"from": "check.$0"}'), ["true", "false"]),
        (conn('{"from": "check.t$0"}'), ["true", "false"]),
        (conn('{"to": "$0"}'), ["check.in", "reply.in"]),
        (conn('{"to": "reply.$0"}'), ["in"]),
        (conn('{"to": "start.$0"}'), []),
        (conn('{"from": "nobody.$0"}'), []),
        (conn('{"from": "check.$0'), ["true", "false"]),
        (flow(NODES, '{"from": "check.$0'), ["true", "false"]),
        (conn("{$0}"), ["from", "to"]),
        (conn('{"from": "a.out", $0}'), ["to"]),
        (flow(NODES, CONNECTIONS + ", $0"), ["connection"]),
    ],
)
def test_endpoints(text: str, expected: list[str]) -> None:
    check_completion(text, expected)


def test_port_item_replaces_the_whole_endpoint() -> None:
    out = accept(conn('{"from": "check.t$0"}'), "true")
    assert '{"from": "check.true"}' in out
    out = accept(conn('{"from": $0}'), "check.false")
    assert '{"from": "check.false"}' in out


def test_compatible_ports_first() -> None:
    nodes = (
        NODES
        + ', {"id": "strict", "type": "code/go", "version": "1.0.0", "config": {"source": "x", '
        '"input_schema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}}}'
        + ', {"id": "loose", "type": "code/go", "version": "1.0.0", "config": {"source": "x"}}'
    )
    got = labels(flow(nodes, '{"from": "start.out", "to": "$0"}'))
    assert got.index("loose.in") < got.index("strict.in")
    assert got[-1] == "strict.in"
    source, offset = split_cursor(flow(nodes, '{"from": "start.out", "to": "$0"}'))
    details = {i.label: i.detail for i in completion(analysis_of(source), offset).items}
    assert details["strict.in"] is not None and "incompatible" in details["strict.in"]


# -- tests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (flow(extra=', "tests": [{"trigger": "$0"}]'), ["start"]),
        (flow(extra=', "tests": [{$0}]'), ["name", "trigger", "input", "expect", "fixtures"]),
        (flow(extra=', "tests": [{"name": "x", "fixtures": {$0}}]'), ["start", "check", "reply"]),
        (flow(extra=', "tests": [$0]'), ["test"]),
    ],
)
def test_flow_tests(text: str, expected: list[str]) -> None:
    check_completion(text, expected)


# -- expressions and templates ------------------------------------------------------------


def cond(expression: str) -> str:
    node = '{"id": "c2", "type": "flow/if", "version": "1.0.0", "config": {"condition": "EXPR"}}'
    return flow(
        NODES + ", " + node.replace("EXPR", expression),
        CONNECTIONS + ', {"from": "start.out", "to": "c2.in"}',
    )


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (cond("input.$0"), ["method", "path", "params", "query", "headers", "body"]),
        (cond("input.body.$0"), ["sku", "qty"]),
        (cond("input.body.q$0 > 1"), ["sku", "qty"]),
        (cond("nodes.$0"), ["c2", "check", "reply", "start"]),
        (cond("nodes.start.$0"), ["out"]),
        (cond("$0"), ["input", "nodes", "env"]),
        (cond('input.body.sku == \\"é\\" && input.body.$0'), ["sku", "qty"]),
    ],
)
def test_expression_completion(text: str, first: list[str]) -> None:
    check_completion_has(text, first)


def test_expression_edit_stays_inside_the_string() -> None:
    out = accept(cond("input.body.q$0 > 1"), "qty")
    assert '"condition": "input.body.qty > 1"' in out


def test_expression_after_escape_maps_offsets() -> None:
    out = accept(cond('\\"x\\" == input.body.s$0'), "sku")
    assert '"condition": "\\"x\\" == input.body.sku"' in out


def test_list_macros_are_offered_after_a_list_as_snippets() -> None:
    text = cond("[input.body.qty, 1].$0 == []")
    check_completion_has(text, ["size", "join", "map", "filter", "exists", "all", "exists_one"])
    chosen = item(text, "map")
    assert chosen.is_snippet and chosen.insert_text == "map(${1:x}, ${2:x})"
    assert chosen.detail is not None and "list<T>.map(x, e: U) -> list<U>" in chosen.detail
    assert '"condition": "[input.body.qty, 1].filter(x, true) == []"' in accept(text, "filter")
    assert "map" not in labels(cond("input.body.sku.$0"))  # a string is no list


def test_macro_variable_completes_with_the_element_type() -> None:
    check_completion_has(cond("[input.body].exists(b, b.$0)"), ["sku", "qty"])
    check_completion_has(cond("[input.body].exists(b, $0)"), ["b", "input"])
    assert "b" not in labels(cond("[input.body].exists(b, true) && $0"))  # out of scope


def test_template_hole_completion() -> None:
    node = '{"id": "log", "type": "util/log", "version": "1.0.0", "config": {"message": "Order {{ input.body.$0 }}"}}'
    text = flow(NODES + ", " + node, CONNECTIONS + ', {"from": "start.out", "to": "log.in"}')
    check_completion_has(text, ["sku", "qty"])
    outside = text.replace("Order {{ input.body.$0 }}", "Ord$0er {{ input.body }}")
    assert "input" not in labels(outside)


def test_plain_config_string_is_not_an_expression() -> None:
    text = with_node(
        '{"id": "t", "type": "http/trigger", "version": "1.0.0", "config": {"path": "/x$0"}}'
    )
    assert labels(text) == ["/orders/{id}"]  # the schema's example, no expression items


# -- speed --------------------------------------------------------------------------------


def big_flow(n: int) -> str:
    nodes = [
        '{"id": "start", "type": "http/trigger", "version": "1.0.0", "config": {"method": "POST", "path": "/x"}}'
    ]
    connections = []
    for i in range(1, n):
        nodes.append(
            f'{{"id": "n{i}", "type": "data/map", "version": "1.1.0", "position": {{"x": {i}, "y": 0}}, '
            f'"config": {{"mapping": {{"a": "input.body", "i": "{i}", "s": "input.path"}}}}}}'
        )
        connections.append(f'{{"from": "start.out", "to": "n{i}.in"}}')
    return (
        '{\n"nodeforge": "1",\n"id": "big",\n"nodes": [\n'
        + ",\n".join(nodes)
        + '\n],\n"connections": [\n'
        + ",\n".join(connections)
        + "\n]\n}\n"
    )


def test_completion_on_a_1000_node_flow() -> None:
    text = big_flow(1000)
    assert len(text) > 200_000
    analysis = analysis_of(text)
    middle = text.index('"id": "n500"')
    cases = [
        text.index('"type": "data/map"', middle) + len('"type": "da'),
        text.index('"config": {', middle) + len('"config": {'),
        text.index('"input.body"', middle) + len('"input.bo'),
        text.index('"to": "n700.in"') + len('"to": "n700.'),
        text.index('"to": "n700.in"') - len('.out", '),
        text.index('"to": "n700.in"') - len('start.out", '),
    ]
    completion(analysis, cases[0])  # the first query expands the node list once
    for offset in cases:
        result = completion(analysis, offset)
        assert result.items


def test_endpoints_on_big_flows_are_cut_and_incomplete() -> None:
    text = big_flow(1000)
    analysis = analysis_of(text)
    at = text.index('"to": "n700.in"') - len('start.out", ')
    result = completion(analysis, at)
    assert result.is_incomplete
    assert 0 < len(result.items) <= 300
    # Typing narrows the list on the next request.
    source, offset = split_cursor(text[:at] + "n70$0" + text[at + len("start") :])
    narrowed = completion(analysis_of(source), offset)
    assert not narrowed.is_incomplete
    assert {i.label for i in narrowed.items} == {f"n{i}.out" for i in [70, *range(700, 710)]}


@pytest.mark.parametrize(
    ("snippet", "text"),
    [
        ('"${1:GET}"', '"GET"'),
        ('"${1|GET,POST|}"', '"GET"'),
        ("${1|false,true|}", "false"),
        ('{"x": ${1:0}, "y": ${2:0}}$0', '{"x": 0, "y": 0}'),
        ("[$1]", "[]"),
        ("${1:a\\}b}", "a}b"),
        ("\\$HOME ${1|a\\,b,c|}", "$HOME a,b"),
    ],
)
def test_snippet_plain_text(snippet: str, text: str) -> None:
    assert snippet_plain_text(snippet) == text
