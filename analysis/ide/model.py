"""The plain data the editor features return; the server converts it to LSP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nodeforge.analysis.text import LineIndex, Span

# -- public data ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompletionItem:
    """One completion proposal.

    ``kind`` is one of "node-type", "version", "property", "value", "port",
    "node", "connector", "flow", "field", "function", "variable", "snippet", "keyword".
    ``edit_span`` is the document range the insert text replaces (None: the
    word at the cursor). ``documentation`` is markdown.
    """

    label: str
    kind: str
    detail: str | None = None
    documentation: str | None = None
    insert_text: str | None = None
    is_snippet: bool = False
    edit_span: Span | None = None
    sort_text: str | None = None
    filter_text: str | None = None
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class CompletionList:
    items: list[CompletionItem]
    is_incomplete: bool = False


@dataclass(frozen=True, slots=True)
class HoverResult:
    markdown: str
    span: Span


@dataclass(frozen=True, slots=True)
class Location:
    """A span in some text; ``lines`` indexes the TARGET text, for conversion."""

    uri: str
    span: Span
    lines: LineIndex


@dataclass(frozen=True, slots=True)
class Symbol:
    """An outline entry; ``kind`` is "trigger", "node", "connection", "test" or "flow"."""

    name: str
    detail: str | None
    kind: str
    span: Span
    selection_span: Span
    children: list[Symbol] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WorkspaceSymbol:
    name: str
    detail: str | None
    kind: str
    location: Location


@dataclass(frozen=True, slots=True)
class TextEdit:
    span: Span
    new_text: str


@dataclass(frozen=True, slots=True)
class CodeAction:
    """``kind`` is "quickfix", "refactor" or "source". ``disabled`` is the reason an
    action that cannot be applied is shown without edits (LSP's ``disabled``)."""

    title: str
    kind: str
    edits: list[TextEdit]
    diagnostic_codes: tuple[str, ...] = ()
    is_preferred: bool = False
    disabled: str | None = None


@dataclass(frozen=True, slots=True)
class Lens:
    span: Span
    title: str
    command: str
    arguments: list[Any]
