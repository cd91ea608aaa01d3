"""Small, layout-preserving JSON edits: add members or array elements, delete an element.

Each helper returns one :class:`TextEdit` that fits the surrounding style: a
multi-line container gets the new entry on its own line with the indentation of
its siblings, a one-line container gets it inline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from nodeforge.analysis.jsontree import JsonNode
from nodeforge.analysis.text import Span

from .model import TextEdit


def line_indent(text: str, offset: int) -> str:
    """The leading whitespace of the line holding ``offset``."""
    start = text.rfind("\n", 0, offset) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def starts_line(text: str, offset: int) -> bool:
    start = text.rfind("\n", 0, offset) + 1
    return text[start:offset].strip() == ""


def render(value: Any, indent: str) -> str:
    """``value`` as two-space-indented JSON whose continuation lines start with ``indent``."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)


def closed(text: str, node: JsonNode) -> bool:
    closer = "}" if node.kind == "object" else "]"
    return node.end - node.start >= 2 and text[node.end - 1] == closer


def _entries(node: JsonNode) -> list[Span]:
    if node.kind == "object":
        return [p.span for p in node.properties]
    return [item.span for item in node.items]


def insert_entry(
    text: str, node: JsonNode, entry: str, *, after: int | None = None
) -> TextEdit | None:
    """Insert ``entry`` (a member ``"k": v`` or an element, with newlines already indented
    for a sibling's column) into the container ``node``, after entry ``after`` (default last).

    Returns None for a container without its closing bracket, where no place is safe.
    """
    if not closed(text, node):
        return None
    entries = _entries(node)
    if not entries:
        outer = line_indent(text, node.start)
        inner = outer + "  "
        return TextEdit(
            Span(node.start + 1, node.end - 1), f"\n{inner}{_reindent(entry, inner)}\n{outer}"
        )
    k = len(entries) - 1 if after is None else max(0, min(after, len(entries) - 1))
    last = entries[k]
    if starts_line(text, last.start):
        indent = line_indent(text, last.start)
        return TextEdit(Span(last.end, last.end), f",\n{indent}{_reindent(entry, indent)}")
    return TextEdit(Span(last.end, last.end), f", {_one_line(entry, node.kind == 'object')}")


def _one_line(entry: str, member: bool) -> str:
    """``entry`` on one line: JSON re-written compactly (``{"a": 1, "b": [2]}``)."""
    try:
        value = json.loads("{" + entry + "}" if member else entry)
    except ValueError:
        return " ".join(part.strip() for part in entry.splitlines())
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text[1:-1] if member else text


def _reindent(entry: str, indent: str) -> str:
    """``entry`` is rendered with continuation lines relative to column 0."""
    return entry.replace("\n", "\n" + indent)


def member_text(key: str, value: Any) -> str:
    return (
        f"{json.dumps(key, ensure_ascii=False)}: {json.dumps(value, indent=2, ensure_ascii=False)}"
    )


def delete_element(text: str, array: JsonNode, index: int) -> TextEdit | None:
    """Delete element ``index`` of ``array`` with the comma that separates it."""
    if not 0 <= index < len(array.items):
        return None
    edits = delete_entries(text, array, [index])
    return edits[0] if edits else None


def delete_entries(text: str, node: JsonNode, indices: Iterable[int]) -> list[TextEdit]:
    """Delete entries (array elements, or object members by position) of ``node`` with
    the commas that separate them: one edit per run of consecutive entries, so the
    edits never overlap. Indices out of range are ignored."""
    entries = _entries(node)
    chosen = sorted({i for i in indices if 0 <= i < len(entries)})
    runs: list[tuple[int, int]] = []
    for i in chosen:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    edits = []
    for first, last in runs:
        if last + 1 < len(entries):  # up to the next entry: takes the comma after
            edits.append(TextEdit(Span(entries[first].start, entries[last + 1].start), ""))
        elif first > 0:  # the last entries: take the comma before
            edits.append(TextEdit(Span(entries[first - 1].end, entries[last].end), ""))
        elif closed(text, node):  # every entry: an empty container
            edits.append(TextEdit(Span(node.start + 1, node.end - 1), ""))
        else:
            edits.append(TextEdit(Span(entries[first].start, entries[last].end), ""))
    return edits


def node_text(node: dict[str, Any]) -> str:
    """A node in the canonical layout (``position`` on one line), relative to column 0."""
    lines = []
    for key, value in node.items():
        if key == "position":
            rendered = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        else:
            rendered = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        lines.append(f"  {json.dumps(key, ensure_ascii=False)}: {rendered}")
    return "{\n" + ",\n".join(lines) + "\n}"
