"""The language server: thin handlers over ``analysis.ide`` and the session.

Each handler fetches the newest snapshot and its analysis from the session, calls
one ``analysis``/``ide`` function, and converts the result with ``convert.lsp_*``.
The position work runs on a worker thread with the feature itself, so the event
loop only routes messages even for a 10 MB document. :func:`create_server` builds
a fresh server (and session) per connection; which features exist is decided
there, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from nodeforge import __version__
from nodeforge.analysis import ide
from nodeforge.analysis.engine import Analysis
from nodeforge.server import (
    app_commands,
    commands,
    dev_commands,
    editor,
    llm_commands,
    project_commands,
    reports,
    runs_commands,
)
from nodeforge.server.convert import (
    ENCODINGS,
    SEMANTIC_LEGEND,
    SOURCE,
    analysis_diagnostic,
    code_action_kind,
    lsp_code_lens,
    lsp_completion_list,
    lsp_document_highlight,
    lsp_document_link,
    lsp_document_symbol,
    lsp_folding_range,
    lsp_hover,
    lsp_inlay_hint,
    lsp_location,
    lsp_range,
    lsp_selection_range,
    lsp_semantic_tokens,
    lsp_symbol_information,
    lsp_text_edits,
    lsp_workspace_edit,
    text_position,
    text_span,
)
from nodeforge.server.documents import Snapshot
from nodeforge.server.graphs import GraphAnswers
from nodeforge.server.protocol import NodeforgeProtocol
from nodeforge.server.protocol import RequestFailed as RequestFailed  # commands raise it
from nodeforge.server.session import (
    Session,
    SessionLimits,
    changes_from,
    is_workspace_config,
    uri_to_path,
)
from nodeforge.server.settings import SECTION, Settings, parse_settings

log = logging.getLogger(__name__)
T = TypeVar("T")

COMPLETION_TRIGGERS = ['"', ".", "/", ":", "{", " "]
WATCHERS = ("**/nodeforge.toml", "**/nodes/**", "**/*.flow.json")
GRAPH = "nodeforge/graph"  # the canvas' view of a flow; see docs/graph-view.md


class NodeforgeServer(LanguageServer):
    protocol: NodeforgeProtocol

    def __init__(self, limits: SessionLimits | None = None) -> None:
        super().__init__(
            name="nodeforge",
            version=__version__,
            protocol_cls=NodeforgeProtocol,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
        )
        self.session = Session(self, limits=limits)
        self.graphs = GraphAnswers()  # nodeforge/graph: memos and what was sent
        self.snippets = False
        self.markdown_completion = False
        self.markdown_hover = False
        self.document_changes = False
        self.disabled_code_actions = False
        self.settings_revision = 0
        self.initial_settings = Settings()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Notification handlers that fail are logged and shown; the server goes on."""
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)
        super().report_server_error(error, source)


def offset_of(snapshot: Snapshot, position: lsp.Position, session: Session) -> int:
    return snapshot.lines.offset(text_position(position), session.encoding)


async def with_document(
    ls: NodeforgeServer, uri: str, compute: Callable[[Snapshot, Analysis], T]
) -> T | None:
    """Run ``compute`` on a worker with the newest snapshot of ``uri`` and its analysis."""
    got = await ls.session.analysis(uri)
    if got is None:
        return None
    return await ls.session.run_on(uri, compute, *got)


def create_server(limits: SessionLimits | None = None) -> NodeforgeServer:
    """A new language server with every feature registered (one per connection)."""
    server = NodeforgeServer(limits)
    _register_lifecycle(server)
    _register_documents(server)
    _register_features(server)
    _register_structure_features(server)
    _register_commands(server)
    return server


# -- lifecycle, settings, workspace -----------------------------------------------------


def _register_lifecycle(server: NodeforgeServer) -> None:
    @server.feature(lsp.INITIALIZE)
    def initialize(ls: NodeforgeServer, params: lsp.InitializeParams) -> None:
        session = ls.session
        session.client = params.capabilities
        chosen = ls.workspace.position_encoding  # pygls picks the client's first supported
        name = chosen.value if isinstance(chosen, lsp.PositionEncodingKind) else str(chosen)
        session.encoding = ENCODINGS.get(name, session.encoding)
        text = params.capabilities.text_document
        completion = text.completion if text is not None else None
        item = completion.completion_item if completion is not None else None
        ls.snippets = bool(item is not None and item.snippet_support)
        formats = (item.documentation_format if item is not None else None) or []
        ls.markdown_completion = lsp.MarkupKind.Markdown in formats
        hover = text.hover if text is not None else None
        ls.markdown_hover = lsp.MarkupKind.Markdown in (
            (hover.content_format if hover else None) or []
        )
        ws = params.capabilities.workspace
        edit = ws.workspace_edit if ws is not None else None
        ls.document_changes = bool(edit is not None and edit.document_changes)
        action_caps = text.code_action if text is not None else None
        ls.disabled_code_actions = bool(action_caps is not None and action_caps.disabled_support)
        session.graph_changes = _experimental(params.capabilities, "nodeforgeGraph")
        folders = [f.uri for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [params.root_uri]
        session.set_folders(folders)
        _apply_settings(ls, params.initialization_options, "initializationOptions")
        ls.initial_settings = session.settings
        if ws is None or not ws.configuration:
            session.configured.set()

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: NodeforgeServer, params: lsp.InitializedParams) -> None:
        try:
            await asyncio.gather(_pull_configuration(ls), _register_watchers(ls))
        finally:
            ls.session.configured.set()
        try:  # saves a killed process interrupted: reported, never fatal
            await project_commands.report_recovery(ls)
        except Exception:
            log.exception("history recovery check failed")

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: NodeforgeServer, params: lsp.DidChangeConfigurationParams
    ) -> None:
        if not await _pull_configuration(ls):
            _apply_settings(ls, params.settings, "didChangeConfiguration")
        ls.session.reanalyse_all()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(
        ls: NodeforgeServer, params: lsp.DidChangeWatchedFilesParams
    ) -> None:
        roots: set[Path | None] = set()
        reload_all = False
        flow_files: list[Path] = []
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path is None:
                continue
            ls.session.forget_disk(path)
            if path.name.endswith(".flow.json"):
                flow_files.append(path)  # a subflow target may have changed
            if is_workspace_config(path):
                affected = ls.session.roots_affected_by(path)
                roots |= affected
                # A new or deleted nodeforge.toml can move a document to another root.
                reload_all |= path.name == "nodeforge.toml" and event.type != (
                    lsp.FileChangeType.Changed
                )
        if reload_all:
            ls.session.invalidate_workspaces()
        elif roots:
            ls.session.invalidate_workspaces(roots)
        if reload_all or roots:
            _refresh_pull_diagnostics(ls)
        if flow_files and not reload_all:
            await ls.session.flow_files_changed(flow_files)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(
        ls: NodeforgeServer, params: lsp.DidChangeWorkspaceFoldersParams
    ) -> None:
        ls.session.set_folders(ls.workspace.folders.keys())
        ls.session.invalidate_workspaces()


def _experimental(capabilities: lsp.ClientCapabilities, name: str) -> bool:
    """Whether the client declared ``capabilities.experimental.<name>: true``."""
    declared = capabilities.experimental
    value = declared.get(name) if isinstance(declared, dict) else getattr(declared, name, None)
    return value is True


def _apply_settings(ls: NodeforgeServer, raw: Any, origin: str) -> None:
    """Settings from ``raw`` over those of ``initializationOptions`` (so a key the
    user removes from the configuration falls back to them, not to its last value)."""
    settings, problems = parse_settings(raw, ls.initial_settings)
    ls.session.settings = settings
    ls.settings_revision += 1
    if problems:
        ls.session.notify(
            lsp.MessageType.Warning,
            f"Nodeforge settings ({origin}): " + "; ".join(problems),
        )


async def _pull_configuration(ls: NodeforgeServer) -> bool:
    """Read the ``nodeforge`` section through ``workspace/configuration`` if supported."""
    ws = ls.session.client.workspace
    if ws is None or not ws.configuration:
        return False
    try:
        values = await asyncio.wait_for(
            ls.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section=SECTION)])
            ),
            timeout=10,
        )
    except Exception as exc:  # a client that fails here must not stop the server
        log.warning("workspace/configuration failed: %s", exc)
        return False
    if values:
        _apply_settings(ls, values[0], "workspace/configuration")
    return True


async def _register_watchers(ls: NodeforgeServer) -> None:
    ws = ls.session.client.workspace
    watched = ws.did_change_watched_files if ws is not None else None
    registrations = []
    if watched is not None and watched.dynamic_registration:
        registrations.append(
            lsp.Registration(
                id="nodeforge-watched-files",
                method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[lsp.FileSystemWatcher(glob_pattern=g) for g in WATCHERS]
                ),
            )
        )
    config = ws.did_change_configuration if ws is not None else None
    if config is not None and config.dynamic_registration:
        registrations.append(
            lsp.Registration(
                id="nodeforge-configuration", method=lsp.WORKSPACE_DID_CHANGE_CONFIGURATION
            )
        )
    if not registrations:
        return
    try:
        await asyncio.wait_for(
            ls.client_register_capability_async(
                lsp.RegistrationParams(registrations=registrations)
            ),
            timeout=10,
        )
    except Exception as exc:
        log.warning("client/registerCapability failed: %s", exc)


def _refresh_pull_diagnostics(ls: NodeforgeServer) -> None:
    ls.session.refresh_pull_diagnostics()


# -- document synchronisation -------------------------------------------------------------


def _register_documents(server: NodeforgeServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NodeforgeServer, params: lsp.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        if ls.session.open(doc.uri, doc.version, doc.text, doc.language_id) is not None:
            ls.session.schedule(doc.uri, delay=0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NodeforgeServer, params: lsp.DidChangeTextDocumentParams) -> None:
        doc = params.text_document
        if ls.session.change(doc.uri, doc.version, changes_from(params.content_changes)):
            ls.session.schedule(doc.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    async def did_save(ls: NodeforgeServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = uri_to_path(uri)
        if path is not None and is_workspace_config(path):
            ls.session.invalidate_workspaces(ls.session.roots_affected_by(path))
            _refresh_pull_diagnostics(ls)
        elif uri in ls.session.documents:
            ls.session.schedule(uri, delay=0)
            project_commands.record_save(ls, uri)  # one history commit per save
            if path is not None and path.name.endswith(".flow.json"):
                # For clients without watchers: the file under the document is new.
                await ls.session.flow_files_changed([path])

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NodeforgeServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.session.close(params.text_document.uri)
        ls.session.clear_diagnostics(params.text_document.uri)
        ls.graphs.forget(params.text_document.uri)


# -- editor features ---------------------------------------------------------------------


def _register_features(server: NodeforgeServer) -> None:
    @server.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(
            identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=False
        ),
    )
    async def diagnostic(
        ls: NodeforgeServer, params: lsp.DocumentDiagnosticParams
    ) -> lsp.DocumentDiagnosticReport:
        return await reports.document_report(ls, params)

    @server.feature(lsp.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(
        ls: NodeforgeServer, params: lsp.WorkspaceDiagnosticParams
    ) -> lsp.WorkspaceDiagnosticReport:
        return await reports.workspace_report(ls, params)

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=COMPLETION_TRIGGERS, resolve_provider=False),
    )
    async def completion(
        ls: NodeforgeServer, params: lsp.CompletionParams
    ) -> lsp.CompletionList | None:
        def compute(snapshot: Snapshot, analysis: Analysis) -> lsp.CompletionList:
            result = ide.completion(analysis, offset_of(snapshot, params.position, ls.session))
            return lsp_completion_list(
                result, snapshot.lines, ls.session.encoding, ls.snippets, ls.markdown_completion
            )

        return await with_document(ls, params.text_document.uri, compute)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: NodeforgeServer, params: lsp.HoverParams) -> lsp.Hover | None:
        def compute(snapshot: Snapshot, analysis: Analysis) -> lsp.Hover | None:
            offset = offset_of(snapshot, params.position, ls.session)
            result = ide.hover(analysis, offset)
            ran = runs_commands.hover(ls.session, analysis.document, offset)
            if ran is not None:  # the selected execution's data
                result = (
                    ran
                    if result is None
                    else ide.HoverResult(
                        ran.markdown + "\n\n---\n\n" + result.markdown, result.span
                    )
                )
            if result is None:
                return None
            return lsp_hover(result, snapshot.lines, ls.session.encoding, ls.markdown_hover)

        return await with_document(ls, params.text_document.uri, compute)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    async def definition(
        ls: NodeforgeServer, params: lsp.DefinitionParams
    ) -> list[lsp.Location] | None:
        def compute(snapshot: Snapshot, analysis: Analysis) -> list[lsp.Location]:
            found = ide.definition(analysis, offset_of(snapshot, params.position, ls.session))
            return [lsp_location(loc, ls.session.encoding) for loc in found]

        return await with_document(ls, params.text_document.uri, compute)

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    async def references(
        ls: NodeforgeServer, params: lsp.ReferenceParams
    ) -> list[lsp.Location] | None:
        def compute(snapshot: Snapshot, analysis: Analysis) -> list[lsp.Location]:
            offset = offset_of(snapshot, params.position, ls.session)
            found = ide.references(analysis, offset, params.context.include_declaration)
            return [lsp_location(loc, ls.session.encoding) for loc in found]

        return await with_document(ls, params.text_document.uri, compute)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(
        ls: NodeforgeServer, params: lsp.DocumentSymbolParams
    ) -> list[lsp.DocumentSymbol] | None:
        def compute(snapshot: Snapshot, analysis: Analysis) -> list[lsp.DocumentSymbol]:
            symbols = ide.document_symbols(analysis)
            return [lsp_document_symbol(s, snapshot.lines, ls.session.encoding) for s in symbols]

        return await with_document(ls, params.text_document.uri, compute)

    @server.feature(lsp.WORKSPACE_SYMBOL)
    async def workspace_symbol(
        ls: NodeforgeServer, params: lsp.WorkspaceSymbolParams
    ) -> list[lsp.SymbolInformation]:
        analyses = await ls.session.all_analyses()

        def compute() -> list[lsp.SymbolInformation]:
            found = ide.workspace_symbols(analyses, params.query)
            return [lsp_symbol_information(s, ls.session.encoding) for s in found]

        return await ls.session.run(compute)

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(
        ls: NodeforgeServer, params: lsp.PrepareRenameParams
    ) -> lsp.PrepareRenamePlaceholder | None:
        def compute(snapshot: Snapshot, analysis: Analysis) -> lsp.PrepareRenamePlaceholder:
            found = ide.prepare_rename(analysis, offset_of(snapshot, params.position, ls.session))
            if isinstance(found, str):
                raise RequestFailed(found)
            return lsp.PrepareRenamePlaceholder(
                range=lsp_range(snapshot.lines, found, ls.session.encoding),
                placeholder=snapshot.text[found.start : found.end],
            )

        return await with_document(ls, params.text_document.uri, compute)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    async def rename(ls: NodeforgeServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        def compute(snapshot: Snapshot, analysis: Analysis) -> lsp.WorkspaceEdit:
            offset = offset_of(snapshot, params.position, ls.session)
            edits = ide.rename(analysis, offset, params.new_name)
            if isinstance(edits, str):
                raise RequestFailed(edits)
            converted = lsp_text_edits(edits, snapshot.lines, ls.session.encoding)
            return lsp_workspace_edit(
                snapshot.uri, snapshot.version, converted, ls.document_changes
            )

        return await with_document(ls, params.text_document.uri, compute)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[
                lsp.CodeActionKind.QuickFix,
                lsp.CodeActionKind.Refactor,
                lsp.CodeActionKind.Source,
            ]
        ),
    )
    async def code_action(
        ls: NodeforgeServer, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction] | None:
        def compute(snapshot: Snapshot, analysis: Analysis) -> list[lsp.CodeAction]:
            encoding = ls.session.encoding
            span = text_span(snapshot.lines, params.range, encoding)
            sent = [
                analysis_diagnostic(d, analysis, snapshot.lines, encoding)
                for d in params.context.diagnostics
            ]
            ours = [d for d in sent if d is not None]
            actions = ide.code_actions(analysis, span, ours or ide.diagnostics_at(analysis, span))
            only = params.context.only
            out: list[lsp.CodeAction] = []
            for action in actions:
                kind = code_action_kind(action.kind)
                if only and not any(kind.value.startswith(_kind_value(k)) for k in only):
                    continue
                edits = lsp_text_edits(action.edits, snapshot.lines, encoding)
                fixed = [
                    d
                    for d in params.context.diagnostics
                    if d.source == SOURCE and d.code in action.diagnostic_codes
                ]
                if action.disabled is not None:  # e.g. an upgrade whose migration conflicts
                    if ls.disabled_code_actions:
                        out.append(
                            lsp.CodeAction(
                                title=action.title,
                                kind=kind,
                                diagnostics=fixed or None,
                                disabled=lsp.CodeActionDisabled(reason=action.disabled),
                            )
                        )
                    continue
                out.append(
                    lsp.CodeAction(
                        title=action.title,
                        kind=kind,
                        diagnostics=fixed or None,
                        is_preferred=action.is_preferred or None,
                        edit=lsp_workspace_edit(
                            snapshot.uri, snapshot.version, edits, ls.document_changes
                        ),
                    )
                )
            if not only or any(
                lsp.CodeActionKind.QuickFix.value.startswith(_kind_value(k)) for k in only
            ):
                found = ours or ide.diagnostics_at(analysis, span)
                out.extend(llm_commands.code_actions(snapshot.uri, analysis, found))
            return out

        return await with_document(ls, params.text_document.uri, compute)

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    async def formatting(
        ls: NodeforgeServer, params: lsp.DocumentFormattingParams
    ) -> list[lsp.TextEdit] | None:
        snapshot = ls.session.snapshot(params.text_document.uri)
        if snapshot is None:
            return None

        def compute() -> list[lsp.TextEdit]:
            edits = ide.format_edits(snapshot.text)
            return lsp_text_edits(edits, snapshot.lines, ls.session.encoding)

        return await ls.session.run(compute)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS, lsp.CodeLensOptions(resolve_provider=False))
    async def code_lens(
        ls: NodeforgeServer, params: lsp.CodeLensParams
    ) -> list[lsp.CodeLens] | None:
        if not ls.session.settings.code_lens:
            return []

        def compute(snapshot: Snapshot, analysis: Analysis) -> list[lsp.CodeLens]:
            lenses = [
                *ide.code_lenses(analysis),
                *runs_commands.lenses(ls.session, analysis.document),
            ]
            return [
                lsp_code_lens(
                    lens,
                    snapshot.lines,
                    ls.session.encoding,
                    commands.lens_arguments(lens.command, list(lens.arguments)),
                )
                for lens in lenses
            ]

        return await with_document(ls, params.text_document.uri, compute)

    @server.feature(GRAPH)
    async def graph(ls: NodeforgeServer, params: Any) -> dict[str, Any] | None:
        """``nodeforge/graph``: the canvas' view of a flow (``docs/graph-view.md``)."""
        uri, since = graph_params(params)
        session = ls.session

        def compute(snapshot: Snapshot, analysis: Analysis) -> dict[str, Any]:
            settings = session.settings
            found = session.diagnostics_of(snapshot, analysis) if settings.diagnostics else []
            return ls.graphs.answer(
                uri,
                since,
                lambda memo: ide.graph_view(analysis, found, settings.severity_of, memo),
                snapshot.lines,
                session.encoding,
            )

        await session.settings_ready()
        return await with_document(ls, uri, compute)


def graph_params(params: Any) -> tuple[str, str | None]:
    """The ``textDocument.uri`` and the optional ``since`` (the tag of the answer the
    client shows) of a ``nodeforge/graph`` request, or InvalidParams."""

    def get(name: str) -> Any:
        return params.get(name) if isinstance(params, dict) else getattr(params, name, None)

    document = get("textDocument")
    uri = document.get("uri") if isinstance(document, dict) else getattr(document, "uri", None)
    if not isinstance(uri, str) or not uri:
        raise JsonRpcInvalidParams("nodeforge/graph needs {textDocument: {uri}}")
    since = get("since")
    if since is not None and not isinstance(since, str):
        raise JsonRpcInvalidParams(
            "nodeforge/graph: `since` is the `tag` of an earlier answer (a string)"
        )
    return uri, since


# -- structure, highlights, links, hints, semantic tokens, range formatting -----------------


async def answer_or_empty(
    ls: NodeforgeServer, uri: str, empty: T, compute: Callable[[Snapshot, Analysis], T]
) -> T:
    """:func:`with_document` for features that have an empty answer: a document that
    is not open, or one the feature fails on (a bug: logged), answers ``empty``."""

    def guarded(snapshot: Snapshot, analysis: Analysis) -> T:
        try:
            return compute(snapshot, analysis)
        except Exception:
            log.exception("%s failed on %s (version %s)", compute.__name__, uri, snapshot.version)
            return empty

    found = await with_document(ls, uri, guarded)
    return empty if found is None else found


def _register_structure_features(server: NodeforgeServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
    async def folding_range(
        ls: NodeforgeServer, params: lsp.FoldingRangeParams
    ) -> list[lsp.FoldingRange]:
        def folds(snapshot: Snapshot, analysis: Analysis) -> list[lsp.FoldingRange]:
            return [lsp_folding_range(f) for f in ide.folding_ranges(snapshot.text)]

        return await answer_or_empty(ls, params.text_document.uri, [], folds)

    @server.feature(lsp.TEXT_DOCUMENT_SELECTION_RANGE)
    async def selection_range(
        ls: NodeforgeServer, params: lsp.SelectionRangeParams
    ) -> list[lsp.SelectionRange]:
        def ranges(snapshot: Snapshot, analysis: Analysis) -> list[lsp.SelectionRange]:
            encoding = ls.session.encoding
            return [
                lsp_selection_range(
                    ide.selection_range(analysis, offset_of(snapshot, p, ls.session)),
                    snapshot.lines,
                    encoding,
                )
                for p in params.positions
            ]

        return await answer_or_empty(ls, params.text_document.uri, [], ranges)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    async def document_highlight(
        ls: NodeforgeServer, params: lsp.DocumentHighlightParams
    ) -> list[lsp.DocumentHighlight]:
        def highlights(snapshot: Snapshot, analysis: Analysis) -> list[lsp.DocumentHighlight]:
            offset = offset_of(snapshot, params.position, ls.session)
            found = ide.document_highlights(analysis, offset)
            return [lsp_document_highlight(h, snapshot.lines, ls.session.encoding) for h in found]

        return await answer_or_empty(ls, params.text_document.uri, [], highlights)

    @server.feature(
        lsp.TEXT_DOCUMENT_DOCUMENT_LINK, lsp.DocumentLinkOptions(resolve_provider=False)
    )
    async def document_link(
        ls: NodeforgeServer, params: lsp.DocumentLinkParams
    ) -> list[lsp.DocumentLink]:
        text = ls.session.client.text_document
        link = text.document_link if text is not None else None
        tooltips = bool(link is not None and link.tooltip_support)

        def links(snapshot: Snapshot, analysis: Analysis) -> list[lsp.DocumentLink]:
            found = ide.document_links(analysis)
            encoding = ls.session.encoding
            return [lsp_document_link(k, snapshot.lines, encoding, tooltips) for k in found]

        return await answer_or_empty(ls, params.text_document.uri, [], links)

    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintOptions(resolve_provider=False))
    async def inlay_hint(ls: NodeforgeServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
        def hints(snapshot: Snapshot, analysis: Analysis) -> list[lsp.InlayHint]:
            encoding = ls.session.encoding
            span = text_span(snapshot.lines, params.range, encoding)
            return [
                lsp_inlay_hint(h, snapshot.lines, encoding, ls.markdown_hover)
                for h in ide.inlay_hints(analysis, span)
            ]

        return await answer_or_empty(ls, params.text_document.uri, [], hints)

    @server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, SEMANTIC_LEGEND)
    async def semantic_tokens_full(
        ls: NodeforgeServer, params: lsp.SemanticTokensParams
    ) -> lsp.SemanticTokens:
        def tokens(snapshot: Snapshot, analysis: Analysis) -> lsp.SemanticTokens:
            found = ide.semantic_tokens(analysis)
            return lsp_semantic_tokens(found, snapshot.lines, ls.session.encoding)

        empty = lsp.SemanticTokens(data=[])
        return await answer_or_empty(ls, params.text_document.uri, empty, tokens)

    @server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE, SEMANTIC_LEGEND)
    async def semantic_tokens_range(
        ls: NodeforgeServer, params: lsp.SemanticTokensRangeParams
    ) -> lsp.SemanticTokens:
        def tokens(snapshot: Snapshot, analysis: Analysis) -> lsp.SemanticTokens:
            span = text_span(snapshot.lines, params.range, ls.session.encoding)
            found = [t for t in ide.semantic_tokens(analysis, span) if t.end > span.start]
            return lsp_semantic_tokens(found, snapshot.lines, ls.session.encoding)

        empty = lsp.SemanticTokens(data=[])
        return await answer_or_empty(ls, params.text_document.uri, empty, tokens)

    @server.feature(lsp.TEXT_DOCUMENT_RANGE_FORMATTING)
    async def range_formatting(
        ls: NodeforgeServer, params: lsp.DocumentRangeFormattingParams
    ) -> list[lsp.TextEdit]:
        def edits(snapshot: Snapshot, analysis: Analysis) -> list[lsp.TextEdit]:
            encoding = ls.session.encoding
            span = text_span(snapshot.lines, params.range, encoding)
            return lsp_text_edits(
                ide.format_range(analysis.document, span), snapshot.lines, encoding
            )

        return await answer_or_empty(ls, params.text_document.uri, [], edits)


def _kind_value(kind: lsp.CodeActionKind | str) -> str:
    return kind.value if isinstance(kind, lsp.CodeActionKind) else kind


# -- commands -----------------------------------------------------------------------------


def _register_commands(server: NodeforgeServer) -> None:
    commands.register(server)  # build (and a testNode placeholder)
    app_commands.register(server)  # generate, run, stop
    dev_commands.register(server)  # testNode, simulate, continue, step, ...
    project_commands.register(server)  # history, connectors, upgrades, forks
    llm_commands.register(server)  # assist, generateAdapter, customizeNode
    runs_commands.register(server)  # execution records: list, select
    editor.register(server)  # the web editor: graph gestures, palette, files, saved inputs
