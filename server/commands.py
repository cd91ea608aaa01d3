"""``workspace/executeCommand``: build, run, and the commands of other layers.

``nodeforge.build`` runs the build driver (:func:`nodeforge.codegen.build.build`) on a
worker: generate the Go module, write what changed, ``go build``. Progress is shown
when the client supports work-done progress; the result is shown as a message and
returned as JSON; Go compiler errors mapped back to nodes (``NF900``) are published
with the flow's diagnostics for as long as the document is unchanged since the build.

``nodeforge.generate``, ``nodeforge.run`` and ``nodeforge.stop`` live in
:mod:`.app_commands`; ``nodeforge.testNode``, the simulation and the project commands
come from :mod:`.dev_commands` and :mod:`.project_commands`.

Code lenses carry positional arguments (``[uri, node_id]``); commands take one JSON
object. :func:`lens_arguments` converts, so a lens click and a direct call agree.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from nodeforge.analysis.diagnostics import Diagnostic
from nodeforge.server.confine import PathRefused

if TYPE_CHECKING:
    from nodeforge.server.lsp import NodeforgeServer

log = logging.getLogger(__name__)

BUILD = "nodeforge.build"
RUN = "nodeforge.run"
TEST_NODE = "nodeforge.testNode"
_tokens = itertools.count(1)


def lens_arguments(command: str, arguments: list[Any]) -> list[Any]:
    """A lens's ``[uri]`` / ``[uri, node_id]`` as the command's one JSON object."""
    if not arguments or isinstance(arguments[0], dict):
        return arguments
    uri = arguments[0]
    if command == TEST_NODE and len(arguments) > 1:
        return [{"uri": uri, "node": arguments[1]}]
    if command == RUN and len(arguments) > 1:
        return [{"uri": uri, "trigger": arguments[1]}]
    return [{"uri": uri}]


# Command handlers annotate ``ls`` as ``Any``: pygls resolves their annotations at call
# time, and NodeforgeServer is only imported for type checking (an import cycle).


def register(server: NodeforgeServer) -> None:
    server.command(BUILD)(build_command)
    server.command(TEST_NODE)(_not_available(TEST_NODE))  # dev_commands replaces it


def _argument(args: tuple[Any, ...]) -> dict[str, Any]:
    value = args[0] if args else None
    if isinstance(value, str):
        return {"uri": value}
    if isinstance(value, dict):
        return value
    if value is not None and hasattr(value, "__dict__"):
        return dict(vars(value))
    return {}


def _target(ls: NodeforgeServer, params: dict[str, Any]) -> Path:
    """The flow or folder to build, confined to the session's roots, and so is the
    workspace holding it (a build reads all of it)."""
    from nodeforge.server.lsp import RequestFailed

    session = ls.session
    for key in ("uri", "flow", "root"):
        value = params.get(key)
        if isinstance(value, str) and value:
            try:
                path = session.confine(value)
                if not path.exists():
                    raise RequestFailed(f"{value} is not a file or folder on disk")
                session.workspace_holding(path)
            except PathRefused as exc:
                raise RequestFailed(str(exc)) from exc
            return path
    roots = session.folder_workspaces()
    if len(roots) == 1:
        return roots.pop()
    raise RequestFailed("pass the flow to build (`uri`): no single workspace is open")


async def build_command(ls: Any, *args: Any) -> dict[str, Any]:
    from nodeforge.server import jobs
    from nodeforge.server.lsp import RequestFailed

    target = _target(ls, _argument(args))
    progress = await _begin(ls, f"Building {target.name}")
    try:
        result = await jobs.run_build(ls, target, lambda text: _report(ls, progress, text))
    except jobs.JobRefused as exc:
        _end(ls, progress, "refused")
        raise RequestFailed(f"build refused: {exc}") from exc
    except Exception as exc:
        log.exception("build of %s failed", target)
        _end(ls, progress, "failed")
        ls.session.notify(lsp.MessageType.Error, f"Nodeforge build failed: {exc}")
        raise
    problems = _publish_build_diagnostics(ls, result)
    if result.ok:
        message = f"Build succeeded in {result.seconds:.1f} s: {result.binary}"
        ls.session.notify(lsp.MessageType.Info, message)
    else:
        detail = f"{problems} problem(s) in the flows" if problems else result.output[:500]
        message = f"Build failed: {detail}"
        ls.session.notify(lsp.MessageType.Error, f"Nodeforge: {message}")
    _end(ls, progress, message)
    return {
        "state": result.state,
        "binary": str(result.binary) if result.binary else None,
        "seconds": round(result.seconds, 3),
        "problems": problems,
        "output": result.output,
        "connectors": result.connectors,
    }


def _publish_build_diagnostics(ls: NodeforgeServer, result: Any) -> int:
    """Attach build errors to the open flows they belong to (while unchanged)."""
    session = ls.session
    count = 0
    touched: set[str] = set()
    for rel, flow in result.flows.items():
        uri = flow.path.resolve().as_uri()
        found: list[Diagnostic] = list(result.diagnostics.get(rel, []))
        count += len(found)
        state = session.documents.get(uri)
        if state is None:
            continue
        if state.snapshot.text == flow.text:
            session.set_extra_diagnostics(uri, state.snapshot.version, found)
        else:
            session.set_extra_diagnostics(uri, state.snapshot.version, [])
        touched.add(uri)
    count += sum(len(ds) for rel, ds in result.diagnostics.items() if rel not in result.flows)
    for uri in touched:
        session.schedule(uri, delay=0)
    return count


def _not_available(name: str) -> Any:
    async def command(ls: Any, *args: Any) -> None:
        what = name.removeprefix("nodeforge.")
        ls.session.notify(
            lsp.MessageType.Info, f"Nodeforge: `{what}` is not available yet in this version."
        )

    return command


# -- work-done progress --------------------------------------------------------------------


async def _begin(ls: NodeforgeServer, title: str) -> str | None:
    window = ls.session.client.window
    if window is None or not window.work_done_progress:
        return None
    token = f"nodeforge-{next(_tokens)}"
    try:
        await ls.work_done_progress.create_async(token)
        ls.work_done_progress.begin(token, lsp.WorkDoneProgressBegin(title=title))
    except Exception as exc:  # a client refusing progress must not stop the command
        log.info("no progress: %s", exc)
        return None
    return token


def _report(ls: NodeforgeServer, token: str | None, message: str) -> None:
    if token is not None:
        ls.work_done_progress.report(token, lsp.WorkDoneProgressReport(message=message))


def _end(ls: NodeforgeServer, token: str | None, message: str) -> None:
    if token is not None:
        ls.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message=message))
