"""The document's structure for the editor: folding ranges and selection ranges.

Folding comes from the text's brackets alone (strings skipped), so half-typed and
broken documents fold too and a 5,000-node flow costs one regular-expression pass.
Selection ranges walk the positioned JSON tree from the root down to the offset
and, inside an expression or template string, on into the expression's syntax tree.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.expressions import children, parse, parse_template
from nodeforge.analysis.expressions.tree import Call, Expr, Select
from nodeforge.analysis.flow import JsonPath
from nodeforge.analysis.jsontree import JsonNode, string_offsets
from nodeforge.analysis.text import Span

from .facts import expression_kind

# The next bracket outside strings (group 1), after everything before it: strings
# (unterminated ones end at the line's end) and other characters, consumed in C.
_NEXT_BRACKET = re.compile(r'(?:"(?:[^"\\\n\r]|\\.)*+"?|[^"{}\[\]]++)*+([{}\[\]])')
_CLOSING = {"}": "{", "]": "["}


@dataclass(frozen=True, slots=True)
class FoldingRange:
    """Lines ``start_line..end_line`` (0-based, inclusive) fold under ``start_line``."""

    start_line: int
    end_line: int


def folding_ranges(text: str) -> list[FoldingRange]:
    """Every object and array that spans lines: the nodes array, each node, its config
    and anything deeper. The closing bracket's line stays visible (the range ends on
    the line before it), and one range starts per line, the outermost, as VS Code's
    own JSON folding does. Unbalanced brackets are skipped, never an error. Lines
    end at ``\\n`` (a ``\\r\\n`` text has the same line numbers)."""
    stack: list[tuple[str, int]] = []  # opener, its line
    out: dict[int, int] = {}
    line = 0
    last = 0
    count = text.count
    for match in _NEXT_BRACKET.finditer(text):
        at = match.start(1)
        line += count("\n", last, at)
        last = at
        ch = text[at]
        if ch == "{" or ch == "[":
            stack.append((ch, line))
            continue
        opener = _CLOSING[ch]
        # Recover from a stray closer: pop back to its opener if there is one.
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][0] == opener:
                first = stack[depth][1]
                del stack[depth:]
                if line - 1 > first and line - 1 > out.get(first, -1):
                    out[first] = line - 1  # the outermost of those starting on a line
                break
    return [FoldingRange(s, e) for s, e in sorted(out.items())]


# -- selection ranges ----------------------------------------------------------------


def selection_range(analysis: Analysis, offset: int) -> list[Span]:
    """The spans a "expand selection" steps through at ``offset``, innermost first:
    a token of an expression (or template hole) inside a string, the larger
    expressions around it, the string's content, the string, its member
    (``"key": value``), the object, the member holding that object, ... up to the
    whole document. Each span contains the one before; none repeats."""
    doc = analysis.document
    root = doc.root
    text = doc.text
    offset = max(0, min(offset, len(text)))
    outer: list[Span] = [Span(0, len(text))]
    if root is None:
        return outer
    if not root.start <= offset <= root.end:
        return outer
    chain: list[Span] = [root.span]
    node = root
    path: list[str | int] = []
    while node.kind in ("object", "array"):
        if node.kind == "object":
            props = node.properties
            starts = [p.key_span.start for p in props]
            i = bisect.bisect_right(starts, offset) - 1
            if i < 0:
                break
            prop = props[i]
            if not prop.span.start <= offset <= prop.span.end:
                break
            chain.append(prop.span)
            if prop.key_span.start <= offset <= prop.key_span.end or prop.value is None:
                chain.append(prop.key_span)
                _string_content(chain, text, prop.key_span)
                break
            value = prop.value
            if not value.start <= offset <= value.end:
                break
            path.append(prop.key)
            chain.append(value.span)
            node = value
        else:
            items = node.items
            i = bisect.bisect_right([item.start for item in items], offset) - 1
            if i < 0 or not items[i].start <= offset <= items[i].end:
                break
            path.append(i)
            node = items[i]
            chain.append(node.span)
    if node.kind == "string" and node.start <= offset <= node.end and chain[-1] == node.span:
        inner = _string_content(chain, text, node.span)
        if inner is not None:
            chain += _expression_spans(analysis, tuple(path), node, offset)
    out: list[Span] = []
    for span in reversed(chain):
        if not out or span != out[-1]:
            out.append(span)
    if out[-1] != outer[0]:
        out.append(outer[0])
    return out


def _string_content(chain: list[Span], text: str, span: Span) -> Span | None:
    """Add the string's content (without its quotes) to ``chain``."""
    if span.end - span.start >= 2 and text[span.start] == '"' and text[span.end - 1] == '"':
        inner = Span(span.start + 1, span.end - 1)
        chain.append(inner)
        return inner
    return None


def _expression_spans(
    analysis: Analysis, path: JsonPath, token: JsonNode, offset: int
) -> list[Span]:
    """Expression spans around ``offset`` in the string ``token``, outermost first."""
    site = expression_kind(analysis, path)
    if site is None or not isinstance(token.value, str):
        return []
    source = token.value
    offsets = string_offsets(token.raw)
    at = bisect.bisect_right(offsets, offset - token.start) - 1
    found: list[tuple[int, int]] = []
    if site.is_template:
        for hole in parse_template(source).holes:
            if hole.start <= at <= hole.end:
                found.append((hole.start, hole.end))
                found.append((hole.offset, hole.offset + len(hole.source)))
                if hole.result.expr is not None:
                    found += _around(hole.result.expr, at - hole.offset, hole.offset)
                break
    else:
        expr = parse(source).expr
        if expr is not None:
            found += _around(expr, at, 0)
    last = len(offsets) - 1
    return [
        Span(token.start + offsets[min(s, last)], token.start + offsets[min(e, last)])
        for s, e in found
        if e > s
    ]


def _around(expr: Expr, at: int, shift: int) -> list[tuple[int, int]]:
    """The sub-expressions of ``expr`` holding ``at``, outermost first."""
    out: list[tuple[int, int]] = []
    node: Expr | None = expr
    while node is not None and node.start <= at <= node.end:
        out.append((node.start + shift, node.end + shift))
        inner = next((c for c in children(node) if c.start <= at <= c.end), None)
        if inner is None and isinstance(node, Select) and node.field_start <= at:
            out.append((node.field_start + shift, node.end + shift))  # the field's name
        if inner is None and isinstance(node, Call) and node.name_start <= at:
            out.append((node.name_start + shift, node.name_start + len(node.fn) + shift))
        node = inner
    return out
