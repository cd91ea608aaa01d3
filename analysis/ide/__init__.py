"""Editor features over an :class:`~nodeforge.analysis.engine.Analysis`.

Invariant: this package is LSP-agnostic. It speaks code-point offsets
(:class:`~nodeforge.analysis.text.Span`) into the document text and returns plain
frozen dataclasses; ``server/`` converts them to the protocol. Nothing here
imports pygls or lsprotocol, and the only I/O is reading a manifest file for
go-to-definition (small and cached), and the workspace's flows for ``flow/subflow``
nodes (the flow index, read once; the called flow's file for go-to-definition).
"""

from __future__ import annotations

from .actions import code_actions, diagnostics_at
from .completion import completion
from .format import format_document, format_edits
from .graph_view import (
    GraphConnection,
    GraphDiagnostic,
    GraphEndpoint,
    GraphMemo,
    GraphNode,
    GraphPort,
    GraphView,
    graph_view,
)
from .highlights import Highlight, document_highlights
from .hover import hover
from .inlay import InlayHint, inlay_hints
from .links import DocumentLink, document_links
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
from .navigation import (
    code_lenses,
    definition,
    document_symbols,
    prepare_rename,
    references,
    rename,
    workspace_symbols,
)
from .rangeformat import format_range
from .snippets import snippet_plain_text
from .structure import FoldingRange, folding_ranges, selection_range
from .tokens import TOKEN_MODIFIERS, TOKEN_TYPES, SemanticToken, semantic_tokens

__all__ = [
    "TOKEN_MODIFIERS",
    "TOKEN_TYPES",
    "CodeAction",
    "CompletionItem",
    "CompletionList",
    "DocumentLink",
    "FoldingRange",
    "GraphConnection",
    "GraphDiagnostic",
    "GraphEndpoint",
    "GraphMemo",
    "GraphNode",
    "GraphPort",
    "GraphView",
    "Highlight",
    "HoverResult",
    "InlayHint",
    "Lens",
    "Location",
    "SemanticToken",
    "Symbol",
    "TextEdit",
    "WorkspaceSymbol",
    "code_actions",
    "code_lenses",
    "completion",
    "definition",
    "diagnostics_at",
    "document_highlights",
    "document_links",
    "document_symbols",
    "folding_ranges",
    "format_document",
    "format_edits",
    "format_range",
    "graph_view",
    "hover",
    "inlay_hints",
    "prepare_rename",
    "references",
    "rename",
    "selection_range",
    "semantic_tokens",
    "snippet_plain_text",
    "workspace_symbols",
]
