"""Small ``lsp_*`` converters between analysis data and LSP types.

Analysis speaks code-point offsets (:class:`Span`); the protocol speaks lines and
columns in the negotiated encoding. Everything crossing that line goes through
this module, so no handler does arithmetic on positions.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from nodeforge.analysis import ide
from nodeforge.analysis.diagnostics import Diagnostic, Related, Severity, Tag
from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.text import LineIndex, PositionEncoding, Span, units
from nodeforge.analysis.text import Position as TextPosition
from nodeforge.report import rule_url
from nodeforge.server.settings import Settings

SOURCE = "nodeforge"

ENCODINGS: dict[str, PositionEncoding] = {
    lsp.PositionEncodingKind.Utf8.value: PositionEncoding.UTF8,
    lsp.PositionEncodingKind.Utf16.value: PositionEncoding.UTF16,
    lsp.PositionEncodingKind.Utf32.value: PositionEncoding.UTF32,
}


def text_position(position: lsp.Position) -> TextPosition:
    return TextPosition(position.line, position.character)


class _FewPositions:
    """The positions of a few offsets of a text whose line table is not built yet, found
    by counting the newlines before them (one pass over the text, in C) rather than
    building that table (~15 ms for a 5,000-node flow) on the way to a just opened
    document's first diagnostics; the table waits for the first feature that needs it.
    Text with ``\\r`` line breaks, and other offsets, ask the table (``LineIndex``)."""

    __slots__ = ("_line_at", "lines", "text")

    def __init__(self, lines: LineIndex, offsets: Iterable[int]) -> None:
        self.lines, self.text = lines, lines.text
        text, size = self.text, len(self.text)
        self._line_at: dict[int, int] = {}
        line = last = 0
        for offset in sorted({max(0, min(offset, size)) for offset in offsets}):
            line += text.count("\n", last, offset)
            last = offset
            self._line_at[offset] = line

    def position(self, offset: int, encoding: PositionEncoding) -> TextPosition:
        """As ``LineIndex.position``: the line is the number of newlines before the
        offset (a line starts after each), the column counted from the last one."""
        text = self.text
        offset = max(0, min(offset, len(text)))
        line = self._line_at.get(offset)
        if line is None:
            return self.lines.position(offset, encoding)
        start = text.rfind("\n", 0, offset) + 1
        return TextPosition(line, units(text[start:offset], encoding))


def _positions_for(
    lines: LineIndex, diagnostics: list[tuple[Severity, Diagnostic]]
) -> LineIndex | _FewPositions:
    """What converts the diagnostics' offsets: the line table when built (or for text
    with ``\\r``), else :class:`_FewPositions` for their spans' ends."""
    if not diagnostics or getattr(lines, "_starts", None) is not None or "\r" in lines.text:
        return lines
    offsets: list[int] = []
    for _severity, d in diagnostics:
        offsets += (d.span.start, d.span.end)
        offsets += (end for r in d.related if r.path is None for end in (r.span.start, r.span.end))
    return _FewPositions(lines, offsets)


def lsp_position(
    lines: LineIndex | _FewPositions, offset: int, encoding: PositionEncoding
) -> lsp.Position:
    p = lines.position(offset, encoding)
    return lsp.Position(line=p.line, character=p.character)


def lsp_range(
    lines: LineIndex | _FewPositions, span: Span, encoding: PositionEncoding
) -> lsp.Range:
    return lsp.Range(
        start=lsp_position(lines, span.start, encoding),
        end=lsp_position(lines, span.end, encoding),
    )


def text_span(lines: LineIndex, r: lsp.Range, encoding: PositionEncoding) -> Span:
    start = lines.offset(text_position(r.start), encoding)
    end = lines.offset(text_position(r.end), encoding)
    return Span(start, max(start, end))


# -- diagnostics ------------------------------------------------------------------

_TAGS = {
    Tag.UNNECESSARY: lsp.DiagnosticTag.Unnecessary,
    Tag.DEPRECATED: lsp.DiagnosticTag.Deprecated,
}


def lsp_diagnostics(
    diagnostics: Iterable[Diagnostic],
    uri: str,
    lines: LineIndex,
    encoding: PositionEncoding,
    settings: Settings,
) -> list[lsp.Diagnostic]:
    """Convert, apply per-rule severities, and keep at most ``max_diagnostics``."""
    kept: list[tuple[Severity, Diagnostic]] = []
    for d in diagnostics:
        severity = settings.severity_of(d.code, d.severity)
        if severity is not None:
            kept.append((severity, d))
    if len(kept) > settings.max_diagnostics:
        kept = sorted(kept, key=lambda sd: (sd[0], sd[1].sort_key()))[: settings.max_diagnostics]
        kept.sort(key=lambda sd: sd[1].sort_key())
    positions = _positions_for(lines, kept)
    return [lsp_diagnostic(d, severity, uri, positions, encoding) for severity, d in kept]


def lsp_diagnostic(
    d: Diagnostic,
    severity: Severity,
    uri: str,
    lines: LineIndex | _FewPositions,
    encoding: PositionEncoding,
) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=lsp_range(lines, d.span, encoding),
        message=d.message,
        severity=lsp.DiagnosticSeverity(int(severity)),
        code=d.code,
        code_description=lsp.CodeDescription(href=rule_url(d.code)),
        source=str(d.data.get("source") or SOURCE) if d.data else SOURCE,
        tags=[_TAGS[t] for t in d.tags] or None,
        related_information=[
            lsp.DiagnosticRelatedInformation(
                location=lsp_related_location(r, uri, lines, encoding), message=r.message
            )
            for r in d.related
        ]
        or None,
        data=json_safe(d.data) if d.data else None,
    )


def lsp_related_location(
    r: Related, uri: str, lines: LineIndex | _FewPositions, encoding: PositionEncoding
) -> lsp.Location:
    """Where a related place is: in the diagnostic's document (``uri``), or in the other
    file it names (``r.path``), as that file's whole line ``r.line``."""
    if r.path is None:
        return lsp.Location(uri=uri, range=lsp_range(lines, r.span, encoding))
    line = max((r.line or 1) - 1, 0)
    return lsp.Location(
        uri=from_fs_path(str(r.path)) or r.path.as_uri(),
        range=lsp.Range(start=lsp.Position(line, 0), end=lsp.Position(line + 1, 0)),
    )


def json_safe(value: dict[str, Any]) -> Any:
    """``value`` if JSON can encode it, else a copy with odd values as strings: one
    diagnostic's odd ``data`` must not make the whole publish fail to serialise."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str, skipkeys=True))
    return value


def analysis_diagnostic(
    d: lsp.Diagnostic, analysis: Analysis, lines: LineIndex, encoding: PositionEncoding
) -> Diagnostic | None:
    """The analysis diagnostic a client sent back (code action context), or None if
    it is not ours. The analysis's own copy wins (full ``data`` even for clients that
    drop it); else it is rebuilt from what the client kept."""
    if d.source != SOURCE or not isinstance(d.code, str):
        return None
    span = text_span(lines, d.range, encoding)
    for own in analysis.diagnostics:
        if own.code == d.code and own.span == span:
            return own
    severity = Severity(int(d.severity)) if d.severity is not None else Severity.ERROR
    data = d.data if isinstance(d.data, dict) else {}
    return Diagnostic(code=d.code, message=d.message, severity=severity, span=span, data=data)


# -- completion -------------------------------------------------------------------

_COMPLETION_KINDS = {
    "node-type": lsp.CompletionItemKind.Class,
    "version": lsp.CompletionItemKind.Constant,
    "property": lsp.CompletionItemKind.Property,
    "value": lsp.CompletionItemKind.Value,
    "port": lsp.CompletionItemKind.Interface,
    "node": lsp.CompletionItemKind.Reference,
    "connector": lsp.CompletionItemKind.Module,
    "flow": lsp.CompletionItemKind.File,
    "field": lsp.CompletionItemKind.Field,
    "function": lsp.CompletionItemKind.Function,
    "variable": lsp.CompletionItemKind.Variable,
    "snippet": lsp.CompletionItemKind.Snippet,
    "keyword": lsp.CompletionItemKind.Keyword,
}


def lsp_completion_list(
    result: ide.CompletionList,
    lines: LineIndex,
    encoding: PositionEncoding,
    snippets: bool,
    markdown: bool = True,
) -> lsp.CompletionList:
    return lsp.CompletionList(
        is_incomplete=result.is_incomplete,
        items=[
            lsp_completion_item(item, lines, encoding, snippets, markdown) for item in result.items
        ],
    )


def markup(text: str, markdown: bool) -> lsp.MarkupContent:
    kind = lsp.MarkupKind.Markdown if markdown else lsp.MarkupKind.PlainText
    return lsp.MarkupContent(kind=kind, value=text)


def lsp_completion_item(
    item: ide.CompletionItem,
    lines: LineIndex,
    encoding: PositionEncoding,
    snippets: bool,
    markdown: bool = True,
) -> lsp.CompletionItem:
    insert = item.insert_text if item.insert_text is not None else item.label
    is_snippet = item.is_snippet and snippets
    if item.is_snippet and not snippets:
        insert = ide.snippet_plain_text(insert)
    edit = (
        lsp.TextEdit(range=lsp_range(lines, item.edit_span, encoding), new_text=insert)
        if item.edit_span is not None
        else None
    )
    return lsp.CompletionItem(
        label=item.label,
        kind=_COMPLETION_KINDS.get(item.kind, lsp.CompletionItemKind.Text),
        detail=item.detail,
        documentation=(
            (markup(item.documentation, True) if markdown else item.documentation)
            if item.documentation
            else None
        ),
        insert_text=None if edit is not None else insert,
        insert_text_format=(
            lsp.InsertTextFormat.Snippet if is_snippet else lsp.InsertTextFormat.PlainText
        ),
        # Multi-line inserts come indented for the cursor's line: no re-indenting.
        insert_text_mode=lsp.InsertTextMode.AsIs if "\n" in insert else None,
        text_edit=edit,
        sort_text=item.sort_text,
        filter_text=item.filter_text,
        tags=[lsp.CompletionItemTag.Deprecated] if item.deprecated else None,
    )


# -- hover, locations, symbols ------------------------------------------------------


def lsp_hover(
    result: ide.HoverResult, lines: LineIndex, encoding: PositionEncoding, markdown: bool = True
) -> lsp.Hover:
    return lsp.Hover(
        contents=markup(result.markdown, markdown),
        range=lsp_range(lines, result.span, encoding),
    )


def lsp_location(location: ide.Location, encoding: PositionEncoding) -> lsp.Location:
    return lsp.Location(uri=location.uri, range=lsp_range(location.lines, location.span, encoding))


_SYMBOL_KINDS = {
    "trigger": lsp.SymbolKind.Event,
    "node": lsp.SymbolKind.Class,
    "connection": lsp.SymbolKind.Interface,
    "test": lsp.SymbolKind.Method,
    "flow": lsp.SymbolKind.Module,
}


def symbol_kind(kind: str) -> lsp.SymbolKind:
    return _SYMBOL_KINDS.get(kind, lsp.SymbolKind.Object)


def lsp_document_symbol(
    symbol: ide.Symbol, lines: LineIndex, encoding: PositionEncoding
) -> lsp.DocumentSymbol:
    full = lsp_range(lines, symbol.span, encoding)
    selection = lsp_range(lines, symbol.selection_span, encoding)
    if not _range_contains(full, selection):  # the protocol requires containment
        selection = lsp.Range(start=full.start, end=full.start)
    return lsp.DocumentSymbol(
        name=symbol.name or "?",
        detail=symbol.detail,
        kind=symbol_kind(symbol.kind),
        range=full,
        selection_range=selection,
        children=[lsp_document_symbol(c, lines, encoding) for c in symbol.children] or None,
    )


def _range_contains(outer: lsp.Range, inner: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(outer.start) <= key(inner.start) and key(inner.end) <= key(outer.end)


def lsp_symbol_information(
    symbol: ide.WorkspaceSymbol, encoding: PositionEncoding
) -> lsp.SymbolInformation:
    return lsp.SymbolInformation(
        name=symbol.name,
        kind=symbol_kind(symbol.kind),
        location=lsp_location(symbol.location, encoding),
        container_name=symbol.detail,
    )


# -- edits, actions, lenses -------------------------------------------------------------


def lsp_text_edits(
    edits: Iterable[ide.TextEdit], lines: LineIndex, encoding: PositionEncoding
) -> list[lsp.TextEdit]:
    return [
        lsp.TextEdit(range=lsp_range(lines, e.span, encoding), new_text=e.new_text) for e in edits
    ]


def lsp_workspace_edit(
    uri: str,
    version: int,
    edits: list[lsp.TextEdit],
    document_changes: bool,
) -> lsp.WorkspaceEdit:
    """A versioned edit when the client supports it, so a stale edit is refused."""
    if document_changes:
        return lsp.WorkspaceEdit(
            document_changes=[
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=list(edits),
                )
            ]
        )
    return lsp.WorkspaceEdit(changes={uri: list(edits)})


_ACTION_KINDS = {
    "quickfix": lsp.CodeActionKind.QuickFix,
    "refactor": lsp.CodeActionKind.Refactor,
    "source": lsp.CodeActionKind.Source,
}


def code_action_kind(kind: str) -> lsp.CodeActionKind:
    return _ACTION_KINDS.get(kind, lsp.CodeActionKind.QuickFix)


def lsp_code_lens(
    lens: ide.Lens,
    lines: LineIndex,
    encoding: PositionEncoding,
    arguments: list[Any] | None = None,
) -> lsp.CodeLens:
    return lsp.CodeLens(
        range=lsp_range(lines, lens.span, encoding),
        command=lsp.Command(
            title=lens.title,
            command=lens.command,
            arguments=arguments if arguments is not None else list(lens.arguments),
        ),
    )


# -- graph view ---------------------------------------------------------------------------


def lsp_graph(view: ide.GraphView, lines: LineIndex, encoding: PositionEncoding) -> dict[str, Any]:
    """The ``nodeforge/graph`` result: the view as JSON, ranges in the client's encoding
    (``docs/graph-view.md`` describes every member)."""
    return lsp_graph_answer(view, lines, encoding)[0]


#: A node's or connection's content as the client receives it (ranges converted):
#: equal signatures give equal JSON. Tuples of the view's own immutable objects, so
#: comparing an unchanged item with what was sent before is cheap.
ItemSignature = tuple[Any, ...]


def lsp_graph_answer(
    view: ide.GraphView,
    lines: LineIndex,
    encoding: PositionEncoding,
    base: tuple[dict[str, ItemSignature], dict[int, ItemSignature]] | None = None,
) -> tuple[dict[str, Any], tuple[dict[str, ItemSignature], dict[int, ItemSignature]]]:
    """The ``nodeforge/graph`` result and the signature of each node (by key) and
    connection (by index) in it.

    With ``base``, the signatures of an answer the client has: a node whose signature
    is the one sent under its key there is written as its key alone (a string), a
    connection equal to the one sent under its index as its index (a number), so
    only what changed is converted and encoded (``docs/graph-view.md``, "Answers
    relative to the last one")."""

    text = lines.text
    size = len(text)
    starts = lines.line_starts
    # Every column of an ASCII text (or of any text in UTF-32) is its code-point
    # distance from the line's start: one bisection per position, no slicing.
    plain = encoding is PositionEncoding.UTF32 or text.isascii()
    line_of = bisect.bisect_right

    def rng(span: Span) -> tuple[int, int, int, int]:
        if plain:
            a = min(max(span.start, 0), size)
            b = min(max(span.end, 0), size)
            la = line_of(starts, a) - 1
            lb = line_of(starts, b, la if b >= a else 0) - 1
            return (la, a - starts[la], lb, b - starts[lb])
        start = lines.position(span.start, encoding)
        end = lines.position(span.end, encoding)
        return (start.line, start.character, end.line, end.character)

    def diagnostics(found: Iterable[ide.GraphDiagnostic]) -> tuple[Any, ...]:
        return tuple((int(d.severity), d.code, d.message, rng(d.span)) for d in found)

    old_nodes, old_connections = base if base is not None else ({}, {})
    node_sigs: dict[str, ItemSignature] = {}
    nodes: list[Any] = []
    for n in view.nodes:
        sig: ItemSignature = (
            n.key,
            n.index,
            n.id,
            n.type,
            n.version,
            n.label,
            n.type_title,
            n.category,
            n.icon,
            n.kind,
            n.deprecated,
            n.position,
            n.positioned,
            n.width,
            n.height,
            rng(n.span),
            rng(n.selection_span),
            n.inputs,
            n.outputs,
            diagnostics(n.diagnostics),
        )
        node_sigs[n.key] = sig
        nodes.append(n.key if old_nodes.get(n.key) == sig else _graph_node_json(sig))
    conn_sigs: dict[int, ItemSignature] = {}
    connections: list[Any] = []
    for c in view.connections:
        sig = (c.index, c.source, c.target, c.type, rng(c.span), diagnostics(c.diagnostics))
        conn_sigs[c.index] = sig
        connections.append(
            c.index if old_connections.get(c.index) == sig else _graph_connection_json(sig)
        )
    answer = {
        "uri": view.uri,
        "version": view.version,
        "flow": {"id": view.flow_id, "name": view.name},
        "nodes": nodes,
        "connections": connections,
        "diagnostics": _graph_diagnostics_json(diagnostics(view.diagnostics)),
    }
    return answer, (node_sigs, conn_sigs)


def _range_json(r: tuple[int, int, int, int]) -> dict[str, Any]:
    return {"start": {"line": r[0], "character": r[1]}, "end": {"line": r[2], "character": r[3]}}


def _graph_diagnostics_json(found: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [
        {"severity": severity, "code": code, "message": message, "range": _range_json(r)}
        for severity, code, message, r in found
    ]


def _graph_ports_json(found: Iterable[ide.GraphPort]) -> list[dict[str, Any]]:
    return [
        {"name": p.name, "type": p.type, "required": p.required, "description": p.description}
        for p in found
    ]


def _graph_node_json(sig: ItemSignature) -> dict[str, Any]:
    (
        key,
        index,
        node_id,
        type_,
        version,
        label,
        type_title,
        category,
        icon,
        kind,
        deprecated,
        position,
        positioned,
        width,
        height,
        span,
        selection,
        inputs,
        outputs,
        found,
    ) = sig
    return {
        "key": key,
        "index": index,
        "id": node_id,
        "type": type_,
        "version": version,
        "label": label,
        "typeTitle": type_title,
        "category": category,
        "icon": icon,
        "kind": kind,
        "deprecated": deprecated,
        "position": {"x": position.x, "y": position.y},
        "positioned": positioned,
        "size": {"width": width, "height": height},
        "range": _range_json(span),
        "selectionRange": _range_json(selection),
        "inputs": _graph_ports_json(inputs),
        "outputs": _graph_ports_json(outputs),
        "diagnostics": _graph_diagnostics_json(found),
    }


def _graph_connection_json(sig: ItemSignature) -> dict[str, Any]:
    index, source, target, type_, span, found = sig
    return {
        "index": index,
        "source": {"node": source.node, "port": source.port, "text": source.text},
        "target": {"node": target.node, "port": target.port, "text": target.text},
        "type": type_,
        "range": _range_json(span),
        "diagnostics": _graph_diagnostics_json(found),
    }


# -- structure, highlights, links, hints, semantic tokens ---------------------------------

SEMANTIC_LEGEND = lsp.SemanticTokensLegend(
    token_types=list(ide.TOKEN_TYPES), token_modifiers=list(ide.TOKEN_MODIFIERS)
)
_TOKEN_TYPE_INDEX = {name: i for i, name in enumerate(ide.TOKEN_TYPES)}
_TOKEN_MODIFIER_BIT = {name: 1 << i for i, name in enumerate(ide.TOKEN_MODIFIERS)}


def lsp_folding_range(fold: ide.FoldingRange) -> lsp.FoldingRange:
    return lsp.FoldingRange(start_line=fold.start_line, end_line=fold.end_line)


def lsp_selection_range(
    spans: list[Span], lines: LineIndex, encoding: PositionEncoding
) -> lsp.SelectionRange:
    """Spans innermost first, as the protocol's chain of parents."""
    node: lsp.SelectionRange | None = None
    for span in reversed(spans):
        node = lsp.SelectionRange(range=lsp_range(lines, span, encoding), parent=node)
    assert node is not None, "a selection range has at least the whole document"
    return node


_HIGHLIGHT_KINDS = {
    "write": lsp.DocumentHighlightKind.Write,
    "read": lsp.DocumentHighlightKind.Read,
}


def lsp_document_highlight(
    highlight: ide.Highlight, lines: LineIndex, encoding: PositionEncoding
) -> lsp.DocumentHighlight:
    return lsp.DocumentHighlight(
        range=lsp_range(lines, highlight.span, encoding),
        kind=_HIGHLIGHT_KINDS.get(highlight.kind, lsp.DocumentHighlightKind.Text),
    )


def lsp_document_link(
    link: ide.DocumentLink, lines: LineIndex, encoding: PositionEncoding, tooltip: bool = True
) -> lsp.DocumentLink:
    return lsp.DocumentLink(
        range=lsp_range(lines, link.span, encoding),
        target=link.target,
        tooltip=link.tooltip if tooltip else None,
    )


def lsp_inlay_hint(
    hint: ide.InlayHint, lines: LineIndex, encoding: PositionEncoding, markdown: bool = True
) -> lsp.InlayHint:
    return lsp.InlayHint(
        position=lsp_position(lines, hint.offset, encoding),
        label=hint.label,
        kind=lsp.InlayHintKind.Type,
        tooltip=markup(hint.tooltip, markdown),
        padding_left=not hint.label.startswith(":"),
    )


def lsp_semantic_tokens(
    tokens: Iterable[ide.SemanticToken], lines: LineIndex, encoding: PositionEncoding
) -> lsp.SemanticTokens:
    """The protocol's relative encoding: per token ``deltaLine, deltaStart (from the
    previous token on the same line, else the line's start), length, type,
    modifiers``, columns and lengths in the negotiated encoding. Tokens are single
    lines (JSON strings are); anything spanning lines or overlapping the previous
    token is dropped, as clients without ``multilineTokenSupport`` require."""
    data: list[int] = []
    text = lines.text
    starts = lines.line_starts
    wide = encoding is not PositionEncoding.UTF32
    line = column = 0
    previous_end = (-1, -1)
    for token in tokens:
        kind = _TOKEN_TYPE_INDEX.get(token.type)
        at = bisect.bisect_right(starts, token.start) - 1
        first = starts[at]
        after = starts[at + 1] if at + 1 < len(starts) else len(text) + 1
        if kind is None or token.end >= after or token.end <= token.start:
            continue  # unknown, empty, or spanning lines
        before = text[first : token.start]
        inside = text[token.start : token.end]
        if wide and not (before.isascii() and inside.isascii()):
            start_col, length = units(before, encoding), units(inside, encoding)
        else:
            start_col, length = token.start - first, token.end - token.start
        if (at, start_col) < previous_end:
            continue  # overlapping the previous token
        modifiers = 0
        for name in token.modifiers:
            modifiers |= _TOKEN_MODIFIER_BIT.get(name, 0)
        delta_start = start_col - column if at == line else start_col
        data += [at - line, delta_start, length, kind, modifiers]
        line, column = at, start_col
        previous_end = (at, start_col + length)
    return lsp.SemanticTokens(data=data)
