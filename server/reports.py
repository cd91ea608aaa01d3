"""Pulled diagnostics: ``textDocument/diagnostic`` and ``workspace/diagnostic``.

Both answer with result ids, so that what did not change since the client's last
pull comes back as ``unchanged`` without being converted or sent again. An open
document's id is its version plus what else decides its diagnostics (the workspace
generation, the settings, the session's revision: builds, called flows); a file on
disk's id is its analysis (a new one whenever the file, the workspace or the flows
it calls change) plus the settings. The workspace report covers the open flows and
every flow file under the workspace folders (at most ``workspaceSymbolFiles``),
read from disk without being opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from nodeforge.analysis.engine import Analysis
from nodeforge.server.convert import lsp_diagnostics
from nodeforge.server.documents import Snapshot
from nodeforge.server.session import uri_to_path

if TYPE_CHECKING:
    from nodeforge.server.lsp import NodeforgeServer

FullReport = lsp.WorkspaceFullDocumentDiagnosticReport
UnchangedReport = lsp.WorkspaceUnchangedDocumentDiagnosticReport


def open_result_id(ls: NodeforgeServer, version: int, generation: int) -> str:
    return f"{version}:{generation}:{ls.settings_revision}:{ls.session.revision}"


async def document_report(
    ls: NodeforgeServer, params: lsp.DocumentDiagnosticParams
) -> lsp.DocumentDiagnosticReport:
    session = ls.session
    await session.settings_ready()
    generation = session.generation

    def compute(snapshot: Snapshot, analysis: Analysis) -> lsp.DocumentDiagnosticReport:
        result_id = open_result_id(ls, snapshot.version, generation)
        if params.previous_result_id == result_id:
            return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        items = session.lsp_diagnostics_of(snapshot, analysis)
        return lsp.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)

    uri = params.text_document.uri
    state = session.documents.get(uri)
    if state is not None and state.kit:  # a node kit's file: its own problems
        snapshot = state.snapshot
        result_id = open_result_id(ls, snapshot.version, generation)
        if params.previous_result_id == result_id:
            return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        items = await session.run(session.kit_diagnostics_of, snapshot)
        return lsp.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)
    got = await session.analysis(uri)
    if got is None:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[])
    return await session.run_on(uri, compute, *got)


async def workspace_report(
    ls: NodeforgeServer, params: lsp.WorkspaceDiagnosticParams
) -> lsp.WorkspaceDiagnosticReport:
    """Every flow's diagnostics: open documents at their newest version, the others
    as they are on disk; ``unchanged`` where the client's result id still holds."""
    session = ls.session
    await session.settings_ready()
    previous = {p.uri: p.value for p in params.previous_result_ids}
    items: list[lsp.WorkspaceDocumentDiagnosticReport] = []
    open_paths = set()
    for uri in list(session.documents):
        path = uri_to_path(uri)
        if path is not None:
            open_paths.add(path)
        generation = session.generation
        got = await session.analysis(uri)
        if got is None:
            continue
        snapshot, analysis = got
        result_id = open_result_id(ls, snapshot.version, generation)
        if previous.get(uri) == result_id:
            items.append(UnchangedReport(uri=uri, version=snapshot.version, result_id=result_id))
            continue
        diagnostics = await session.run_on(uri, session.lsp_diagnostics_of, snapshot, analysis)
        items.append(
            FullReport(uri=uri, version=snapshot.version, items=diagnostics, result_id=result_id)
        )
    for path in await session.run_analysis(session.flow_files):
        if path in open_paths:
            continue
        entry = await session.disk_entry(path)
        if entry is None:
            continue
        uri = from_fs_path(str(path)) or path.as_uri()
        result_id = f"disk:{entry.serial}:{ls.settings_revision}"
        if previous.get(uri) == result_id:
            items.append(UnchangedReport(uri=uri, version=None, result_id=result_id))
            continue
        diagnostics = (
            await session.run(
                lsp_diagnostics,
                entry.analysis.diagnostics,
                uri,
                entry.analysis.document.lines,
                session.encoding,
                session.settings,
            )
            if session.settings.diagnostics
            else []
        )
        items.append(FullReport(uri=uri, version=None, items=diagnostics, result_id=result_id))
    return lsp.WorkspaceDiagnosticReport(items=items)
