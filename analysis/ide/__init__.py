"""Editor features over an :class:`~nodeforge.analysis.engine.Analysis`.

Invariant: this package is LSP-agnostic. It speaks code-point offsets
(:class:`~nodeforge.analysis.text.Span`) into the document text and returns plain
frozen dataclasses; ``server/`` converts them to the protocol. Nothing here
imports pygls or lsprotocol, and the only I/O is reading a manifest file for
go-to-definition (small and cached).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nodeforge.analysis.diagnostics import Diagnostic
from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.text import LineIndex, Span

__all__ = [
    "CodeAction",
    "CompletionItem",
    "CompletionList",
    "HoverResult",
    "Lens",
    "Location",
    "Symbol",
    "TextEdit",
    "WorkspaceSymbol",
    "code_actions",
    "code_lenses",
    "completion",
    "definition",
    "document_symbols",
    "format_document",
    "format_edits",
    "hover",
    "prepare_rename",
    "references",
    "rename",
    "workspace_symbols",
]


# -- public data ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompletionItem:
    """One completion proposal.

    ``kind`` is one of "node-type", "version", "property", "value", "port",
    "node", "connector", "field", "function", "variable", "snippet", "keyword".
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
    """``kind`` is "quickfix", "refactor" or "source"."""

    title: str
    kind: str
    edits: list[TextEdit]
    diagnostic_codes: tuple[str, ...] = ()
    is_preferred: bool = False


@dataclass(frozen=True, slots=True)
class Lens:
    span: Span
    title: str
    command: str
    arguments: list[Any]


# -- features -------------------------------------------------------------------


def completion(analysis: Analysis, offset: int) -> CompletionList:
    raise NotImplementedError


def hover(analysis: Analysis, offset: int) -> HoverResult | None:
    raise NotImplementedError


def definition(analysis: Analysis, offset: int) -> list[Location]:
    raise NotImplementedError


def references(analysis: Analysis, offset: int, include_declaration: bool) -> list[Location]:
    raise NotImplementedError


def document_symbols(analysis: Analysis) -> list[Symbol]:
    raise NotImplementedError


def workspace_symbols(analyses: Iterable[Analysis], query: str) -> list[WorkspaceSymbol]:
    raise NotImplementedError


def prepare_rename(analysis: Analysis, offset: int) -> Span | str:
    """The span of the node id to rename, or the reason renaming is refused."""
    raise NotImplementedError


def rename(analysis: Analysis, offset: int, new_name: str) -> list[TextEdit] | str:
    """The edits renaming the node id at ``offset``, or the reason it is refused."""
    raise NotImplementedError


def code_actions(analysis: Analysis, span: Span, diagnostics: list[Diagnostic]) -> list[CodeAction]:
    raise NotImplementedError


def format_document(text: str) -> str | None:
    """The canonical layout of ``text``, or None when it is not valid JSON."""
    raise NotImplementedError


def format_edits(text: str) -> list[TextEdit]:
    """One whole-document edit to the canonical layout, or none."""
    raise NotImplementedError


def code_lenses(analysis: Analysis) -> list[Lens]:
    raise NotImplementedError
