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
    GraphNode,
    GraphPort,
    GraphView,
    graph_view,
)
from .hover import hover
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
from .snippets import snippet_plain_text

__all__ = [
    "CodeAction",
    "CompletionItem",
    "CompletionList",
    "GraphConnection",
    "GraphDiagnostic",
    "GraphEndpoint",
    "GraphNode",
    "GraphPort",
    "GraphView",
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
    "diagnostics_at",
    "document_symbols",
    "format_document",
    "format_edits",
    "graph_view",
    "hover",
    "prepare_rename",
    "references",
    "rename",
    "snippet_plain_text",
    "workspace_symbols",
]
