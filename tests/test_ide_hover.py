"""Hover, data-driven: the markdown at ``$0`` contains the expected fragments."""

from __future__ import annotations

import pytest

from nodeforge.analysis.ide import hover
from tests.test_ide_common import CONNECTIONS, NODES, analysis_of, flow, split_cursor, with_node
from tests.test_ide_completion import big_flow


def hover_at(text: str) -> tuple[str, str] | None:
    """The hover's markdown and the text of its span."""
    source, offset = split_cursor(text)
    result = hover(analysis_of(source), offset)
    if result is None:
        return None
    return result.markdown, source[result.span.start : result.span.end]


def check_hover(text: str, fragments: list[str], span_text: str | None = None) -> None:
    found = hover_at(text)
    assert found is not None, "no hover"
    markdown, covered = found
    for fragment in fragments:
        assert fragment in markdown, f"{fragment!r} not in:\n{markdown}"
    if span_text is not None:
        assert covered == span_text


def check_no_hover(text: str) -> None:
    assert hover_at(text) is None


@pytest.mark.parametrize(
    ("text", "fragments", "span_text"),
    [
        # Node type: title, description, ports with types.
        (
            flow(NODES.replace('"type": "flow/if"', '"type": "flow/$0if"')),
            ["### If", "`flow/if@1.0.0`", "**Outputs**", "`true`", "`false`", "**Inputs**"],
            '"flow/if"',
        ),
        (
            flow(NODES.replace('"type": "http/trigger"', '"type": $0"http/trigger"')),
            [
                "`http/trigger@1.1.0`",
                "`out`: `{method: string",
                "body: {sku: string, qty?: integer}",
            ],
            '"http/trigger"',
        ),
        # Version: newest and migration notes.
        (
            with_node('{"id": "m", "type": "data/map", "version": "1.0$0.0"}'),
            ["`data/map@1.0.0`", "Versions: `1.1.0`, `1.0.0`"],
            '"1.0.0"',
        ),
        (
            with_node('{"id": "m", "type": "data/map", "version": "1.1$0.0"}'),
            ["(newest)", "From 1.0.0: Adds `keep_input`"],
            None,
        ),
        # Config key: description, type, default.
        (
            with_node(
                '{"id": "r", "type": "http/request", "version": "1.1.0", "config": {"time$0out_ms": 5}}'
            ),
            ["**timeout_ms**: `integer ≥ 1 ≤ 600000`", "per attempt", "Default: `30000`"],
            '"timeout_ms"',
        ),
        (
            with_node(
                '{"id": "r", "type": "http/request", "version": "1.1.0", "config": {"ur$0l": "x"}}'
            ),
            ["**url**: `string` (required)"],
            None,
        ),
        # Config value (not an expression): the key's docs.
        (
            with_node(
                '{"id": "r", "type": "http/request", "version": "1.1.0", "config": {"method": "G$0ET"}}'
            ),
            ["**method**", '"GET" | "POST"'],
            '"GET"',
        ),
        # A node id: its type and ports.
        (
            flow(NODES.replace('"id": "check"', '"id": "ch$0eck"')),
            ["**check**: `flow/if@1.0.0`", "`true`"],
            '"check"',
        ),
        # Connection endpoints: both ends' types and whether they fit.
        (
            flow(NODES, CONNECTIONS.replace('"start.out"', '"start.o$0ut"')),
            ["**from** `start.out`", "**to** `check.in`", "The source fits the target."],
            '"start.out"',
        ),
        # A test's trigger.
        (
            flow(extra=', "tests": [{"name": "t", "trigger": "st$0art"}]'),
            ["**start**: `http/trigger@1.1.0`"],
            None,
        ),
        # Keys of the format itself.
        (flow().replace('"connections"', '"conn$0ections"'), ["Directed edges"], '"connections"'),
        (
            flow(
                NODES.replace(
                    '"version": "1.0.0", "config": {"status"',
                    '"ver$0sion": "1.0.0", "config": {"status"',
                )
            ),
            ["Exact version"],
            None,
        ),
    ],
)
def test_hover(text: str, fragments: list[str], span_text: str | None) -> None:
    check_hover(text, fragments, span_text)


def cond(expression: str) -> str:
    node = '{"id": "c2", "type": "flow/if", "version": "1.0.0", "config": {"condition": "EXPR"}}'
    return flow(
        NODES + ", " + node.replace("EXPR", expression),
        CONNECTIONS + ', {"from": "start.out", "to": "c2.in"}',
    )


@pytest.mark.parametrize(
    ("text", "fragments", "span_text"),
    [
        (cond("input.bo$0dy.qty > 1"), ["input.body: {sku: string, qty?: integer}"], "input.body"),
        (cond("input.body.q$0ty > 1"), ["input.body.qty: integer"], "input.body.qty"),
        (cond("$0input.body.qty > 1"), ["input: {method: string"], "input"),
        (cond('nodes.st$0art.out.path == \\"/\\"'), ["nodes.start"], None),
        # Escapes before the cursor: the span still covers the right characters.
        (cond('\\"é\\" == input.body.s$0ku'), ["input.body.sku: string"], "input.body.sku"),
        # List macros: the name explains the macro, the variable shows the element type.
        (
            cond("[input.body].ex$0ists(b, b.qty > 1)"),
            ["exists: boolean", "list<T>.exists(x, p: boolean) -> boolean", "at least one"],
            "exists",
        ),
        (
            cond("[input.body].exists(b, $0b.qty > 1)"),
            ["b: {sku: string, qty?: integer}", "the variable of `exists`", "`[input.body]`"],
            "b",
        ),
        (cond("[input.body].exists(b, b.q$0ty > 1)"), ["b.qty: integer"], "b.qty"),
    ],
)
def test_expression_hover(text: str, fragments: list[str], span_text: str | None) -> None:
    check_hover(text, fragments, span_text)


def test_template_hole_hover() -> None:
    node = '{"id": "log", "type": "util/log", "version": "1.0.0", "config": {"message": "Order {{ input.body.s$0ku }}"}}'
    text = flow(NODES + ", " + node, CONNECTIONS + ', {"from": "start.out", "to": "log.in"}')
    check_hover(text, ["input.body.sku: string"], "input.body.sku")


@pytest.mark.parametrize(
    "text",
    [
        flow(NODES.replace('"nodeforge"', '"nodeforge"')).replace('"orders"', '"ord$0ers"', 1),
        flow().replace("[{", "[$0 {", 1),
        with_node('{"id": "x", "type": "nope/nope", "version": "1.0.0", "config": {"a$0": 1}}'),
        '{"nodes": [{"type": "ht$0',
    ],
)
def test_no_hover(text: str) -> None:
    check_no_hover(text)


def test_hover_on_a_1000_node_flow() -> None:
    text = big_flow(1000)
    analysis = analysis_of(text)
    middle = text.index('"id": "n600"')
    offsets = [
        text.index('"data/map"', middle) + 3,
        text.index('"input.body"', middle) + 4,
        text.index('"to": "n800.in"') + 9,
        middle + 8,
    ]
    hover(analysis, offsets[0])  # the first query expands the node list once
    for offset in offsets:
        result = hover(analysis, offset)
        assert result is not None
