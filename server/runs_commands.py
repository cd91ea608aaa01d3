"""Execution records in the editor (docs/runs.md): thin LSP commands over
:mod:`nodeforge.runs`.

* ``nodeforge.runs.list {uri, limit?, status?}``: the open flow's last executions;
  they also become code lenses (the flow's, and each node's runs, failures, mean time).
* ``nodeforge.runs.select {uri, id}``: select one (``id`` null deselects): its error
  becomes an information diagnostic on the failing node (source ``nodeforge run``),
  hover on a node or connection shows its data; the selection lasts until deselected.

The records are read on a worker thread from the workspace of the document (the app's
file, or the ``[records]`` connector), never by the analysis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodeforge.analysis.diagnostics import Diagnostic
from nodeforge.analysis.flow import FlowDocument
from nodeforge.analysis.ide.model import HoverResult, Lens
from nodeforge.project.fsutil import ProjectError
from nodeforge.runs.editor import (
    LIST_COMMAND,
    SELECT_COMMAND,
    run_diagnostics,
    run_hover,
    run_lenses,
)
from nodeforge.runs.store import Execution, RecordStore, open_records

if TYPE_CHECKING:
    from nodeforge.server.lsp import NodeforgeServer

COMMAND_NAMES = (LIST_COMMAND, SELECT_COMMAND)
#: Executions behind the lenses.
RECENT = 20


@dataclass
class RunsView:
    """What the editor shows of one document's executions."""

    recent: list[Execution] = field(default_factory=list)
    selected: Execution | None = None


def views(session: Any) -> dict[str, RunsView]:
    found: dict[str, RunsView] | None = getattr(session, "runs_views", None)
    if found is None:
        found = {}
        session.runs_views = found
    return found


def lenses(session: Any, doc: FlowDocument) -> list[Lens]:
    v = views(session).get(doc.uri)
    return [] if v is None else run_lenses(doc, v.recent, v.selected)


def diagnostics(session: Any, doc: FlowDocument) -> list[Diagnostic]:
    v = views(session).get(doc.uri)
    return [] if v is None else run_diagnostics(doc, v.selected)


def hover(session: Any, doc: FlowDocument, offset: int) -> HoverResult | None:
    v = views(session).get(doc.uri)
    return None if v is None else run_hover(doc, v.selected, offset)


def _records_of(root: Path) -> RecordStore:
    return open_records(root)


def _flow_id(session: Any, uri: str) -> tuple[Path, str]:
    from nodeforge.server.session import uri_to_path

    path = uri_to_path(uri)
    if path is None:
        raise ProjectError(f"{uri} is not a file")
    path = session.confine(uri)
    root = session.workspace_holding(path)
    if root is None:
        raise ProjectError(f"{path} is not in a Nodeforge workspace")
    state = session.documents.get(uri)
    try:
        value = json.loads(state.snapshot.text if state is not None else path.read_text("utf-8"))
    except ValueError:
        value = {}
    flow = value.get("id") if isinstance(value, dict) else None
    if not isinstance(flow, str) or not flow:
        raise ProjectError(f"{path.name} has no flow id")
    return root, flow


def load_recent(root: Path, flow: str, limit: int, status: str | None) -> list[Execution]:
    with _records_of(root) as store:
        found = store.list(flow=flow, status=status, limit=limit)
        return [store.get(e.id) for e in found]


def load_one(root: Path, execution_id: str) -> Execution:
    with _records_of(root) as store:
        return store.get(execution_id)


def _refresh(ls: Any, uri: str) -> None:
    session = ls.session
    session.revision += 1
    session.schedule(uri, delay=0)  # re-publishes the diagnostics with the run's
    session.refresh_pull_diagnostics()
    ws = session.client.workspace
    if ws is not None and ws.code_lens is not None and ws.code_lens.refresh_support:
        ls.workspace_code_lens_refresh(None)


def _params(args: tuple[Any, ...]) -> dict[str, Any]:
    value = args[0] if args else None
    if isinstance(value, list) and value:
        value = value[0]
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if hasattr(value, "__dict__"):
        return dict(vars(value))
    raise ProjectError("the command's argument must be a JSON object")


async def list_runs(ls: Any, *args: Any) -> Any:
    from nodeforge.server.lsp import RequestFailed

    try:
        p = _params(args)
        uri = str(p.get("uri") or "")
        root, flow = _flow_id(ls.session, uri)
        limit = int(p.get("limit") or RECENT)
        status = p.get("status")
        recent = await ls.session.run(load_recent, root, flow, limit, status)
    except (ProjectError, OSError, ValueError) as exc:
        raise RequestFailed(str(exc)) from exc
    v = views(ls.session).setdefault(uri, RunsView())
    v.recent = recent
    _refresh(ls, uri)
    return {"flow": flow, "executions": [e.to_json(nodes=False) for e in recent]}


async def select_run(ls: Any, *args: Any) -> Any:
    from nodeforge.server.lsp import RequestFailed

    try:
        p = _params(args)
        uri = str(p.get("uri") or "")
        root, flow = _flow_id(ls.session, uri)
        ident = p.get("id")
        v = views(ls.session).setdefault(uri, RunsView())
        if ident is None:
            v.selected = None
            _refresh(ls, uri)
            return {"selected": None}
        e = await ls.session.run(load_one, root, str(ident))
        if e.flow != flow:
            raise ProjectError(f"run {e.id} is of flow `{e.flow}`, not `{flow}`")
    except (ProjectError, OSError) as exc:
        raise RequestFailed(str(exc)) from exc
    v.selected = e
    _refresh(ls, uri)
    return {"selected": e.to_json()}


def register(server: NodeforgeServer) -> None:
    registered = server.protocol.fm.commands
    if LIST_COMMAND not in registered:
        server.command(LIST_COMMAND)(list_runs)
    if SELECT_COMMAND not in registered:
        server.command(SELECT_COMMAND)(select_run)
