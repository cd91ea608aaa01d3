"""What the web editor asks of the server, besides the standard LSP features.

Thin handlers (``docs/web-editor.md``):

- ``nodeforge.graph.<gesture>`` commands: a canvas gesture (addNode, deleteNodes,
  moveNodes, connect, disconnect, setConfig, renameNode, pasteNodes) becomes a text
  edit computed by :mod:`nodeforge.analysis.ide.graph_edits` on the newest analysis.
  A client that declares ``workspace.applyEdit`` is sent the edit
  (``workspace/applyEdit``) and the command answers ``{applied, edit, ...}`` once the
  client answered; a client without it applies the returned ``edit`` itself
  (``applied: false``). A stale ``version`` is refused.
- ``nodeforge/catalog {uri}``: the palette of the document's workspace
  (:mod:`nodeforge.analysis.ide.palette`): node types and connectors, no secrets.
- ``nodeforge/workspace``: the workspace folders with their flow files;
  ``nodeforge/file {uri}``: a file's text (a browser cannot read the disk);
  ``nodeforge.file.save {uri, version}`` writes an open document's text to its file
  (then as ``didSave``: history, the flow index); ``nodeforge.file.create {path}``
  makes a new flow file.
- ``nodeforge.inputs.list/save/delete``: saved simulation inputs per flow
  (:mod:`nodeforge.project.inputs`).

Every path a client names goes through ``Session.confine``; nothing under a
workspace's private ``.nodeforge/`` folder is read or written through these.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.protocol import default_converter

from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.ide.format import format_document
from nodeforge.analysis.ide.graph_edits import COMMANDS as GRAPH_COMMANDS
from nodeforge.analysis.ide.graph_edits import GraphEditError, graph_edit
from nodeforge.analysis.ide.palette import palette
from nodeforge.project import inputs
from nodeforge.project.fsutil import STATE_DIR, ProjectError, atomic_write
from nodeforge.server.confine import PathRefused
from nodeforge.server.convert import lsp_text_edits, lsp_workspace_edit
from nodeforge.server.documents import Snapshot
from nodeforge.server.protocol import RequestFailed
from nodeforge.server.session import uri_to_path

if TYPE_CHECKING:
    from nodeforge.server.lsp import NodeforgeServer

log = logging.getLogger(__name__)

GRAPH_PREFIX = "nodeforge.graph."
CATALOG = "nodeforge/catalog"
WORKSPACE = "nodeforge/workspace"
FILE = "nodeforge/file"
FILE_SAVE = "nodeforge.file.save"
FILE_CREATE = "nodeforge.file.create"
INPUTS = ("list", "save", "delete")
APPLY_EDIT_TIMEOUT = 10.0
MAX_FILE_CHARS = 16 * 1024 * 1024
#: Every command this module registers.
COMMAND_NAMES = (
    *(GRAPH_PREFIX + name for name in GRAPH_COMMANDS),
    *(f"nodeforge.inputs.{name}" for name in INPUTS),
    FILE_SAVE,
    FILE_CREATE,
)
_CONVERTER = default_converter()  # type: ignore[no-untyped-call]


def register(server: NodeforgeServer) -> None:
    for name in GRAPH_COMMANDS:
        server.command(GRAPH_PREFIX + name)(_graph_handler(name))
    server.command("nodeforge.inputs.list")(_refusing(inputs_list))
    server.command("nodeforge.inputs.save")(_refusing(inputs_save))
    server.command("nodeforge.inputs.delete")(_refusing(inputs_delete))
    server.command(FILE_SAVE)(_refusing(file_save))
    server.command(FILE_CREATE)(_refusing(file_create))
    server.feature(CATALOG)(_refusing(catalog))
    server.feature(WORKSPACE)(_refusing(workspace))
    server.feature(FILE)(_refusing(read_file))


# -- arguments --------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Params as plain JSON values (pygls hands unknown methods' params as objects)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) and not hasattr(value, "_asdict"):
        return [plain(v) for v in value]
    if hasattr(value, "_asdict"):
        return plain(value._asdict())
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return plain(vars(value))
    return value


def _argument(args: tuple[Any, ...]) -> dict[str, Any]:
    value = plain(args[0]) if args else None
    if not isinstance(value, dict):
        raise RequestFailed("the command's argument must be one JSON object")
    return value


def _uri(params: dict[str, Any]) -> str:
    uri = params.get("uri")
    if uri is None and isinstance(params.get("textDocument"), dict):
        uri = params["textDocument"].get("uri")
    if not isinstance(uri, str) or not uri:
        raise RequestFailed("`uri` is required")
    return uri


Handler = Callable[..., Awaitable[Any]]


def _refusing(handler: Handler) -> Handler:
    """Refusals of the layers below become ``RequestFailed`` answers (not faults)."""

    async def run(ls: Any, *args: Any) -> Any:
        try:
            return await handler(ls, *args)
        except (ProjectError, PathRefused, GraphEditError) as exc:
            raise RequestFailed(str(exc)) from exc

    run.__name__ = handler.__name__
    return run


# -- graph gestures ---------------------------------------------------------------------


def _graph_handler(name: str) -> Handler:
    async def command(ls: Any, *args: Any) -> dict[str, Any]:
        params = _argument(args)
        uri = _uri(params)
        version = params.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise RequestFailed("`version` (the document version the canvas shows) is required")
        return await graph_gesture(ls, name, uri, params)

    command.__name__ = "nodeforge_graph_" + name
    return _refusing(command)


async def graph_gesture(
    ls: NodeforgeServer, name: str, uri: str, params: dict[str, Any]
) -> dict[str, Any]:
    session = ls.session
    got = await session.analysis(uri)
    if got is None:
        raise RequestFailed(f"{uri} is not an open flow document")

    def compute(snapshot: Snapshot, analysis: Analysis) -> tuple[lsp.WorkspaceEdit, dict[str, Any]]:
        found = graph_edit(analysis, name, params)
        edits = lsp_text_edits(found.edits, snapshot.lines, session.encoding)
        edit = lsp_workspace_edit(uri, snapshot.version, edits, ls.document_changes)
        return edit, found.result

    edit, result = await session.run_on(uri, compute, *got)
    applied = False
    if _applies_edits(ls) and _has_edits(edit):
        applied = await _apply(ls, edit, f"Nodeforge: {name}")
    return {**result, "applied": applied, "edit": _CONVERTER.unstructure(edit)}


def _applies_edits(ls: NodeforgeServer) -> bool:
    ws = ls.session.client.workspace
    return bool(ws is not None and ws.apply_edit)


def _has_edits(edit: lsp.WorkspaceEdit) -> bool:
    if edit.document_changes:
        return any(getattr(c, "edits", None) for c in edit.document_changes)
    return any(edit.changes.values()) if edit.changes else False


async def _apply(ls: NodeforgeServer, edit: lsp.WorkspaceEdit, label: str) -> bool:
    try:
        answer = await asyncio.wait_for(
            ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(edit=edit, label=label)),
            APPLY_EDIT_TIMEOUT,
        )
    except Exception as exc:  # a client failing here gets the edit back to apply itself
        log.info("workspace/applyEdit failed: %s", exc)
        return False
    if not answer.applied:
        log.info("the client did not apply the edit: %s", answer.failure_reason)
    return bool(answer.applied)


# -- the palette --------------------------------------------------------------------------


async def catalog(ls: Any, params: Any) -> dict[str, Any]:
    """``nodeforge/catalog {uri}``: node types and connectors of the document's workspace."""
    uri = _uri(plain(params) or {})
    session = ls.session
    state = session.documents.get(uri)
    if state is not None:
        root = state.root
    else:
        if not session.document_allowed(uri):
            raise RequestFailed(f"{uri} lies outside {session.where()}")
        root = session.root_for(uri)
    found = await session.workspace(root)
    result: dict[str, Any] = await session.run(palette, found)
    return {"uri": uri, "root": root.as_uri() if root is not None else None, **result}


# -- files ------------------------------------------------------------------------------


def _private(path: Path) -> bool:
    """Inside a workspace's private folder (history, encrypted connectors, inputs)."""
    return STATE_DIR in path.parts


def _confined_file(ls: NodeforgeServer, value: str) -> Path:
    path = ls.session.confine(value)
    if _private(path):
        raise RequestFailed(f"{value}: files under {STATE_DIR}/ are not served")
    return path


async def workspace(ls: Any, params: Any) -> dict[str, Any]:
    """``nodeforge/workspace``: each workspace folder, its name and its flow files."""
    session = ls.session

    def scan() -> list[dict[str, Any]]:
        folders = []
        files = session.flow_files()
        for folder in session.folders:
            flows = []
            for path in files:
                if not path.is_relative_to(folder) or _private(path):
                    continue
                flow_id, name = _flow_names(path)
                flows.append(
                    {
                        "uri": path.resolve().as_uri(),
                        "path": path.relative_to(folder).as_posix(),
                        "id": flow_id,
                        "name": name,
                    }
                )
            folders.append({"uri": folder.as_uri(), "name": folder.name, "flows": flows})
        return folders

    folders = await session.run(scan)
    return {"folders": folders}


def _flow_names(path: Path) -> tuple[str | None, str | None]:
    try:
        with path.open(encoding="utf-8") as handle:
            value = json.loads(handle.read(MAX_FILE_CHARS))
    except (OSError, ValueError):
        return None, None
    if not isinstance(value, dict):
        return None, None
    flow_id, name = value.get("id"), value.get("name")
    return (
        flow_id if isinstance(flow_id, str) else None,
        name if isinstance(name, str) else None,
    )


async def read_file(ls: Any, params: Any) -> dict[str, Any]:
    """``nodeforge/file {uri}``: the text of a file inside the session's roots."""
    uri = _uri(plain(params) or {})
    path = _confined_file(ls, uri)

    def read() -> str:
        if not path.is_file():
            raise RequestFailed(f"{uri} is not a file")
        if path.stat().st_size > MAX_FILE_CHARS:
            raise RequestFailed(f"{uri} is larger than {MAX_FILE_CHARS:,} bytes")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise RequestFailed(f"{uri} is not UTF-8 text") from None

    text = await ls.session.run(read)
    return {"uri": path.as_uri(), "text": text}


async def file_save(ls: Any, *args: Any) -> dict[str, Any]:
    """``nodeforge.file.save {uri, version}``: write the open document's text (of that
    version) to its file, then what ``didSave`` does (history, the flow index)."""
    from nodeforge.server import project_commands

    params = _argument(args)
    uri = _uri(params)
    session = ls.session
    snapshot = session.snapshot(uri)
    if snapshot is None:
        raise RequestFailed(f"{uri} is not open")
    version = params.get("version")
    if version is not None and version != snapshot.version:
        raise RequestFailed(
            f"stale save: the document is at version {snapshot.version}, not {version}"
        )
    if uri_to_path(uri) is None:
        raise RequestFailed(f"{uri} has no file behind it")
    path = _confined_file(ls, uri)
    await session.run(atomic_write, path, snapshot.text)
    session.forget_disk(path)
    session.schedule(uri, delay=0)
    saved = await project_commands.record_save_async(ls, uri)
    if path.name.endswith(".flow.json"):
        await session.flow_files_changed([path])
    return {"uri": uri, "version": snapshot.version, "history": saved}


async def file_create(ls: Any, *args: Any) -> dict[str, Any]:
    """``nodeforge.file.create {path, name?}``: a new, empty flow file (never overwrites)."""
    params = _argument(args)
    value = params.get("path") or params.get("uri")
    if not isinstance(value, str) or not value:
        raise RequestFailed("`path` is required (relative to the workspace, ending .flow.json)")
    path = _confined_file(ls, value)
    if not path.name.endswith(".flow.json") or len(path.name) <= len(".flow.json"):
        raise RequestFailed(f"{value}: a flow file's name ends with .flow.json")
    stem = path.name[: -len(".flow.json")]
    name = params.get("name")
    flow = {
        "nodeforge": "1",
        "id": "".join(c if c.isalnum() or c in "_-" else "_" for c in stem),
        "name": name if isinstance(name, str) and name else stem.replace("_", " "),
        "nodes": [],
        "connections": [],
    }
    text = format_document(json.dumps(flow, ensure_ascii=False)) or ""

    def create() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # never overwrite
            handle.write(text)

    try:
        await ls.session.run(create)
    except FileExistsError:
        raise RequestFailed(f"{value} already exists") from None
    await ls.session.flow_files_changed([path])
    return {"uri": path.as_uri(), "text": text}


# -- saved inputs --------------------------------------------------------------------------


async def _flow_of(ls: NodeforgeServer, params: dict[str, Any]) -> tuple[Path, Any]:
    """The workspace root and the flow id of ``params['uri']``."""
    uri = _uri(params)
    session = ls.session
    state = session.documents.get(uri)
    path = uri_to_path(uri)
    if path is not None:
        root = session.workspace_holding(session.confine(path))
    else:
        root = state.root if state is not None else None
    if root is None:
        raise RequestFailed(f"{uri} is not inside a Nodeforge workspace")
    root = session.confine(root)
    got = await session.analysis(uri) if state is not None else None
    if got is not None:
        flow_id = got[1].document.value.get("id")
    elif path is not None:
        flow_id = _flow_names(path)[0]
    else:
        flow_id = None
    return root, flow_id


async def inputs_list(ls: Any, *args: Any) -> dict[str, Any]:
    root, flow_id = await _flow_of(ls, _argument(args))
    found = await ls.session.run(inputs.list_inputs, root, flow_id)
    return {"flow": flow_id, "inputs": found}


async def inputs_save(ls: Any, *args: Any) -> dict[str, Any]:
    params = _argument(args)
    if "input" not in params:
        raise RequestFailed("`input` is required (any JSON value)")
    root, flow_id = await _flow_of(ls, params)
    saved: dict[str, Any] = await ls.session.run(
        inputs.save_input, root, flow_id, params.get("name"), params["input"]
    )
    return {"flow": flow_id, **saved}


async def inputs_delete(ls: Any, *args: Any) -> dict[str, Any]:
    params = _argument(args)
    root, flow_id = await _flow_of(ls, params)
    done: dict[str, Any] = await ls.session.run(
        inputs.delete_input, root, flow_id, params.get("name")
    )
    return {"flow": flow_id, **done}
