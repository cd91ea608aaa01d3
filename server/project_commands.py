"""Project commands over LSP: history, connectors, upgrades, forks, project metadata.

Thin wrappers over :mod:`nodeforge.project.commands`: each ``workspace/executeCommand``
named ``nodeforge.<name>`` takes one JSON object argument, runs on a worker thread,
and returns JSON. A refused operation answers ``RequestFailed`` with the reason.

Wiring (in ``server/lsp.py``)::

    from nodeforge.server import project_commands
    ...
    def create_server():
        ...
        project_commands.register(server)      # the commands

    # in did_save, for a flow document:
        project_commands.record_save(ls, uri)  # one history commit per save

    # in initialized:
        project_commands.report_recovery(ls)   # saves a killed process interrupted

What the server adds to the plain functions: the workspace root from the ``flow``
argument (or ``root``, or the only workspace folder), every path confined to the
session's roots (``Session.confine``: the gateway's base directory, or the client's
workspace folders over stdio; the workspace found above a path too), the editor state of the flow for
``history.restore`` (an open document whose text differs from the file is dirty, and
the restore is refused unless ``force``) and for ``history.diff`` (the buffer is the
default right-hand side).
"""

from __future__ import annotations

import logging
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from nodeforge.project.commands import COMMANDS, init_workspace_command, run_command
from nodeforge.project.fsutil import ProjectError
from nodeforge.server.confine import PathRefused
from nodeforge.server.session import uri_to_path

if TYPE_CHECKING:
    from nodeforge.server.lsp import NodeforgeServer

log = logging.getLogger(__name__)
PREFIX = "nodeforge."
#: Every command this module registers (for the client's command list and docs).
COMMAND_NAMES = (*(PREFIX + name for name in COMMANDS), PREFIX + "project.init")


def register(server: NodeforgeServer) -> None:
    """Register every project command (idempotent: names already there are kept)."""
    registered = server.protocol.fm.commands
    for name in COMMANDS:
        if PREFIX + name not in registered:
            server.command(PREFIX + name)(_handler(name))
    if PREFIX + "project.init" not in registered:
        server.command(PREFIX + "project.init")(_init)


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    if hasattr(value, "__dict__"):
        return dict(vars(value))
    raise ProjectError("the command's argument must be a JSON object")


def _flow_uri(path: Path) -> str:
    return path.resolve().as_uri()


def workspace_root(ls: NodeforgeServer, params: dict[str, Any]) -> Path:
    """The workspace a command acts on (inside the session's roots, or PathRefused)."""
    session = ls.session
    for key in ("root", "flow"):
        value = params.get(key)
        if isinstance(value, str) and value:
            if key == "flow" and not value.startswith("file:") and not Path(value).is_absolute():
                continue  # relative to the root found otherwise
            root = session.workspace_holding(session.confine(value))
            if root is not None:
                return root
    roots = session.folder_workspaces()
    if len(roots) == 1:
        return roots.pop()
    if not roots:
        raise ProjectError("no Nodeforge workspace is open (no nodeforge.toml)")
    raise ProjectError("several workspaces are open: pass `root` or an absolute `flow`")


def _open_text(ls: NodeforgeServer, path: Path) -> str | None:
    uri = _flow_uri(path)
    for doc_uri, state in ls.session.documents.items():
        if doc_uri == uri or urllib.parse.unquote(doc_uri) == urllib.parse.unquote(uri):
            return state.snapshot.text
    return None


def editor_dirty(ls: NodeforgeServer, path: Path) -> bool:
    """The flow is open and its buffer differs from the file: unsaved edits."""
    text = _open_text(ls, path)
    if text is None:
        return False
    try:
        return text != path.read_text(encoding="utf-8")
    except OSError:
        return True


def _handler(name: str) -> Any:
    # ``ls`` is not annotated: pygls resolves the handler's annotations at call time,
    # and NodeforgeServer is only imported for type checking (an import cycle otherwise).
    async def command(ls: Any, *args: Any) -> Any:
        from nodeforge.server.lsp import RequestFailed

        try:
            params = _as_dict(args[0] if args else None)
            root = workspace_root(ls, params)
            flow = params.get("flow")
            if isinstance(flow, str) and flow:
                path = ls.session.confine(flow, relative_to=root)
                params["flow"] = str(path)
                if name == "history.restore" and not params.get("dirty"):
                    params["dirty"] = editor_dirty(ls, path)
                if name == "history.diff" and "text" not in params and not params.get("b"):
                    text = _open_text(ls, path)
                    if text is not None:
                        params["text"] = text
            return await ls.session.run(run_command, root, name, params)
        except (ProjectError, PathRefused) as exc:
            raise RequestFailed(str(exc)) from exc

    command.__name__ = "nodeforge_" + name.replace(".", "_")
    return command


async def _init(ls: Any, *args: Any) -> Any:
    from nodeforge.server.lsp import RequestFailed

    try:
        params = _as_dict(args[0] if args else None)
        if not params.get("path") and len(ls.session.folders) == 1:
            params["path"] = str(ls.session.folders[0])
        path = params.get("path")
        if isinstance(path, str) and path:
            params["path"] = str(ls.session.confine(path))
        result = await ls.session.run(init_workspace_command, params)
    except (ProjectError, PathRefused) as exc:
        raise RequestFailed(str(exc)) from exc
    ls.session.invalidate_workspaces({Path(result["root"])})
    return result


async def record_save_async(ls: NodeforgeServer, uri: str) -> dict[str, Any] | None:
    """Commit a saved flow document to the internal history; None when not applicable.
    Problems are shown, never raised: a save in the editor must not fail because of us."""
    path = uri_to_path(uri)
    if path is None or not path.name.endswith(".flow.json"):
        return None
    try:
        root = ls.session.workspace_holding(ls.session.confine(path))
    except PathRefused as exc:
        ls.session.log_message(lsp.MessageType.Warning, f"Nodeforge history: {exc}")
        return None
    if root is None:
        return None
    try:
        result = await ls.session.run(
            run_command, root, "history.save", {"flow": str(path), "message": "saved in the editor"}
        )
    except ProjectError as exc:
        ls.session.log_message(lsp.MessageType.Warning, f"Nodeforge history: {exc}")
        return None
    except Exception as exc:  # never break the editor's save
        log.exception("history save of %s failed", uri)
        ls.session.notify(lsp.MessageType.Error, f"Nodeforge could not record the save: {exc}")
        return None
    for note in result.get("notes", []):
        ls.session.notify(lsp.MessageType.Warning, f"Nodeforge history: {note}")
    saved: dict[str, Any] = result
    return saved


def record_save(ls: NodeforgeServer, uri: str) -> None:
    """Fire-and-forget :func:`record_save_async` from a (sync) didSave handler."""
    import asyncio

    task = asyncio.get_running_loop().create_task(record_save_async(ls, uri))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


_TASKS: set[Any] = set()


async def report_recovery(ls: NodeforgeServer) -> list[str]:
    """Report saves that a killed process interrupted, once per workspace folder."""
    notes: list[str] = []
    for root in sorted(ls.session.folder_workspaces()):
        if not (root / ".nodeforge" / "history.git").exists():
            continue
        try:
            found = await ls.session.run(run_command, root, "history.recover", {})
        except ProjectError as exc:
            ls.session.log_message(lsp.MessageType.Warning, f"Nodeforge history: {exc}")
            continue
        for note in found.get("notes", []):
            notes.append(note)
            ls.session.notify(lsp.MessageType.Warning, f"Nodeforge history: {note}")
    return notes
