"""Editor features over an :class:`~nodeforge.analysis.engine.Analysis`.

Invariant: this package is LSP-agnostic. It speaks code-point offsets
(:class:`~nodeforge.analysis.text.Span`) into the document text and returns plain
frozen dataclasses; ``server/`` converts them to the protocol. Nothing here
imports pygls or lsprotocol, and the only I/O is reading a manifest file for
go-to-definition (small and cached).
"""

from __future__ import annotations

from collections.abc import Iterable

from nodeforge.analysis.diagnostics import Diagnostic
from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.text import Span

from .completion import completion
from .model import (
    CodeAction,
    CompletionItem,
    CompletionList,
    HoverResult,
    Lens,
    Location,
    Symbol,
    TextEdit,
    WorkspaceSymbol,
)

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


# -- features -------------------------------------------------------------------


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
