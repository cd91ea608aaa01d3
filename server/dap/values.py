"""Values shown to a debugger: previews, kinds, and the ``variablesReference`` table that
lets a client expand nested objects and lists one level at a time."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from nodeforge.analysis.expressions.evaluator import value_kind

PREVIEW_CHARS = 200
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class Shown:
    """Text shown as a value that is not flow data (a failed rendering, a note)."""

    text: str
    kind: str = "note"


@dataclass(frozen=True, slots=True)
class Entry:
    """One named row: its value and, when it has one, the expression that reads it."""

    name: str
    value: Any
    expression: str | None = None


def preview(value: Any, limit: int = PREVIEW_CHARS) -> str:
    if isinstance(value, Shown):
        return value.text
    text = json.dumps(value, ensure_ascii=False, default=_shown_text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown_text(value: Any) -> str:
    return value.text if isinstance(value, Shown) else str(value)


def kind(value: Any) -> str:
    return value.kind if isinstance(value, Shown) else value_kind(value)


def member_expression(parent: str | None, key: str | int) -> str | None:
    """``input.a``, ``input["a b"]``, ``input.items[0]``: how the expression language
    reads a member (None where the parent has no expression)."""
    if parent is None:
        return None
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _IDENT.match(key):
        return f"{parent}.{key}"
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


class References:
    """``variablesReference`` numbers, valid while the session stays stopped."""

    def __init__(self) -> None:
        self._items: list[Any] = [None]  # 0 means "nothing to expand"

    def clear(self) -> None:
        del self._items[1:]

    def add(self, container: list[Entry] | tuple[Any, str | None]) -> int:
        """Register a list of rows, or a ``(value, expression)`` to expand; its number."""
        self._items.append(container)
        return len(self._items) - 1

    def get(self, ref: int) -> list[Entry] | tuple[Any, str | None] | None:
        if 0 < ref < len(self._items):
            item: list[Entry] | tuple[Any, str | None] = self._items[ref]
            return item
        return None

    def ref_of(self, value: Any, expression: str | None) -> int:
        """A number for a non-empty object or list, else 0."""
        if isinstance(value, dict | list) and value:
            return self.add((value, expression))
        return 0

    def variable(self, entry: Entry) -> dict[str, Any]:
        """The DAP ``Variable`` of one row."""
        var: dict[str, Any] = {
            "name": entry.name,
            "value": preview(entry.value),
            "type": kind(entry.value),
            "variablesReference": self.ref_of(entry.value, entry.expression),
        }
        if entry.expression is not None:
            var["evaluateName"] = entry.expression
        if isinstance(entry.value, list) and entry.value:
            var["indexedVariables"] = len(entry.value)
        return var

    def children(
        self, ref: int, *, start: int = 0, count: int = 0, filter_: str | None = None
    ) -> list[Entry] | None:
        """The rows under ``ref`` (None for an unknown number); lists page by
        ``start``/``count`` (``filter_`` ``indexed``/``named`` as DAP asks)."""
        item = self.get(ref)
        if item is None:
            return None
        if isinstance(item, list):
            rows = item
        else:
            value, expression = item
            if isinstance(value, dict):
                rows = [
                    Entry(str(k), v, member_expression(expression, str(k)))
                    for k, v in value.items()
                ]
            elif isinstance(value, list):
                if filter_ == "named":
                    return []
                end = len(value) if count <= 0 else min(len(value), start + count)
                return [
                    Entry(str(i), value[i], member_expression(expression, i))
                    for i in range(max(start, 0), end)
                ]
            else:
                rows = []
        if filter_ == "indexed":
            return []
        if count > 0 or start > 0:
            rows = rows[start : start + count] if count > 0 else rows[start:]
        return rows
