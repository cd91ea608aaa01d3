"""The assistant over LSP: thin handlers over :mod:`nodeforge.assist` (docs/llm.md).

``nodeforge.assist`` ``{uri?, description, target?, connector?, maxRounds?, apply?}``
    With ``uri`` (an open flow): the flow changed as described, answered as a
    WorkspaceEdit of minimal text edits plus the unified ``diff``. Without: a new flow,
    answered as a WorkspaceEdit creating ``target`` (a path or URI; default
    ``flows/<flow id>.flow.json`` of the only root's workspace). Work-done progress
    reports each round. ``apply: true`` also sends the edit (``workspace/applyEdit``).
``nodeforge.generateAdapter`` ``{uri, index, connector?, maxRounds?}``
    A ``data/map`` adapter for the mismatched connection ``index`` (``NF009``/``NF010``):
    the deterministic matcher first, the model for the fields it cannot match; the edit
    is sent to the client (``workspace/applyEdit``) when it type-checks, and returned.
    Offered as the quick fix "Generate adapter with the model" (:func:`code_actions`)
    where the workspace has an ``llm`` connector.
``nodeforge.customizeNode`` ``{uri, node, description, tests?, connector?, maxRounds?, apply?}``
    New Go code for a ``code/go`` node, built and tested in the sandbox (never
    unconfined): the edit, the Go ``diff`` and the model's test, or nothing. On a forked
    or custom node (a kit of the workspace's ``nodes/``): its kit's Go files, vetted and
    tested in the sandbox with the kit's ``*_test.go`` and the model's new test file,
    offered as one edit of the kit's files (the new test file created) and their diff.

Every answer carries ``ok``, ``rounds`` and ``message``; a proposal that never passed its
checks is answered ``ok: false`` with no edit. Refusals (bad arguments, no ``llm``
connector, no sandbox) answer ``RequestFailed`` with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.protocol import default_converter

from nodeforge.server import commands, editor
from nodeforge.server.convert import lsp_text_edits, lsp_workspace_edit
from nodeforge.server.dev_commands import DevError, _analysis, _command

ASSIST = "nodeforge.assist"
GENERATE_ADAPTER = "nodeforge.generateAdapter"
CUSTOMIZE_NODE = "nodeforge.customizeNode"
COMMAND_NAMES = (ASSIST, GENERATE_ADAPTER, CUSTOMIZE_NODE)
ADAPTER_TITLE = "Generate adapter with the model"
_CONVERTER = default_converter()  # type: ignore[no-untyped-call]


def _text(params: dict[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DevError(f"`{key}` is required")
    return value


def _rounds(params: dict[str, Any]) -> int:
    from nodeforge.assist.repair import DEFAULT_MAX_ROUNDS, check_rounds

    try:
        return check_rounds(params.get("maxRounds", DEFAULT_MAX_ROUNDS))
    except ValueError as exc:
        raise DevError(f"`maxRounds`: {exc}") from None


class _Progress:
    """Work-done progress of one command, reported from the worker thread."""

    def __init__(self, ls: Any, token: str | None) -> None:
        self.ls, self.token = ls, token
        self.loop = asyncio.get_running_loop()

    def round(self, number: int) -> None:
        if self.token is None:
            return
        report = lsp.WorkDoneProgressReport(message=f"round {number}: asking the model")
        self.loop.call_soon_threadsafe(self.ls.work_done_progress.report, self.token, report)


async def _run_with_model(ls: Any, title: str, job: Callable[[Callable[[int], None]], Any]) -> Any:
    """Run ``job(on_round)`` on a worker with progress; provider errors become refusals."""
    from nodeforge.llm.types import LLMError

    token = await commands._begin(ls, title)
    progress = _Progress(ls, token)
    try:
        result = await ls.session.run(lambda: job(progress.round))
    except LLMError as exc:
        commands._end(ls, token, "failed")
        raise DevError(str(exc)) from exc
    except Exception:
        commands._end(ls, token, "failed")
        raise
    o = result.outcome
    commands._end(ls, token, f"{'offered' if o.ok else 'nothing offered'} ({o.rounds} round(s))")
    return result


def _root(analysis: Any) -> Path:
    root = analysis.workspace.root
    if root is None:
        raise DevError("the flow is not inside a workspace (no nodeforge.toml): no llm connector")
    return Path(root)


async def _offer(ls: Any, edit: lsp.WorkspaceEdit, apply: bool, label: str) -> dict[str, Any]:
    applied = False
    if apply and editor._applies_edits(ls):
        applied = await editor._apply(ls, edit, label)
    return {"applied": applied, "edit": _CONVERTER.unstructure(edit)}


async def assist(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    from nodeforge.assist.flows import assist_flow
    from nodeforge.llm import client_for

    description = _text(params, "description")
    rounds = _rounds(params)
    connector = params.get("connector") if isinstance(params.get("connector"), str) else None
    if params.get("uri"):
        analysis = await _analysis(ls, params)
        uri = analysis.document.uri
        snapshot = ls.session.snapshot(uri)
        root, workspace, current = _root(analysis), analysis.workspace, analysis.document.text
        target: Path | None = None
    else:
        root, workspace, target = await _new_target(ls, params)
        uri, snapshot, current = (target or root / "assist.flow.json").as_uri(), None, None

    def job(on_round: Callable[[int], None]) -> Any:
        client = client_for(root, "assist", connector=connector)
        return assist_flow(
            client,
            workspace,
            description,
            uri=uri,
            current_text=current,
            max_rounds=rounds,
            on_round=on_round,
        )

    result = await _run_with_model(ls, "Assistant: writing the flow", job)
    answer: dict[str, Any] = result.as_dict()
    if not result.ok:
        return answer
    if snapshot is not None:
        edits = lsp_text_edits(result.edits(), snapshot.lines, ls.session.encoding)
        edit = lsp_workspace_edit(uri, snapshot.version, edits, ls.document_changes)
        answer["diff"] = result.diff(Path(uri.removeprefix("file://")).name)
    else:
        if target is None:
            target = _confined(ls, root / "flows" / f"{result.proposal.flow_id}.flow.json")
        if target.exists():
            raise DevError(f"{target} exists: open it and ask for the change there")
        uri = target.as_uri()
        edit = lsp.WorkspaceEdit(
            document_changes=[
                lsp.CreateFile(uri=uri, options=lsp.CreateFileOptions(overwrite=False)),
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri),
                    edits=[lsp.TextEdit(range=_START, new_text=result.proposal.text)],
                ),
            ]
        )
        answer["text"] = result.proposal.text
    answer["uri"] = uri
    answer.update(await _offer(ls, edit, params.get("apply") is True, "Nodeforge: assistant"))
    return answer


_START = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))


def _confined(ls: Any, path: Path | str) -> Path:
    from nodeforge.server.confine import PathRefused

    try:
        return Path(ls.session.confine(path))
    except PathRefused as exc:
        raise DevError(str(exc)) from exc


async def _new_target(ls: Any, params: dict[str, Any]) -> tuple[Path, Any, Path | None]:
    """The workspace a new flow goes into, and its file when ``target`` names one."""
    from nodeforge.analysis.workspace import find_root

    raw = params.get("target")
    if raw is not None and not isinstance(raw, str):
        raise DevError("`target` must be a path or a file:// URI")
    target = _confined(ls, raw) if raw else None
    if target is not None:
        if not target.name.endswith(".flow.json"):
            raise DevError("`target` must name a *.flow.json file")
        root = find_root(target.parent)
    else:
        roots = ls.session.roots()
        root = find_root(roots[0]) if len(roots) == 1 else None
    if root is None:
        raise DevError("no workspace (nodeforge.toml) for the new flow: give `target`")
    root = _confined(ls, root)
    return root, await ls.session.workspace(root), target


async def generate_adapter(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    from nodeforge.assist.adapters import AdapterError, adapt
    from nodeforge.llm import client_for
    from nodeforge.llm.types import LLMError

    analysis = await _analysis(ls, params)
    index = params.get("index")
    if isinstance(index, bool) or not isinstance(index, int):
        raise DevError("`index` (the connection's index) is required")
    rounds = _rounds(params)
    connector = params.get("connector") if isinstance(params.get("connector"), str) else None
    root = _root(analysis)
    snapshot = ls.session.snapshot(analysis.document.uri)

    def job(on_round: Callable[[int], None]) -> Any:
        try:
            client: Any = client_for(root, "adapter", connector=connector)
        except LLMError as exc:
            if exc.kind != "config":
                raise
            client = None  # the matcher may not need it
        try:
            return adapt(client, analysis, index, max_rounds=rounds, on_round=on_round)
        except AdapterError as exc:
            raise DevError(str(exc)) from exc

    result = await _run_with_model(ls, "Assistant: generating the adapter", job)
    answer: dict[str, Any] = result.as_dict()
    if not result.ok or result.outcome.value is None:
        return answer
    edits = lsp_text_edits(result.outcome.value.edits, snapshot.lines, ls.session.encoding)
    edit = lsp_workspace_edit(snapshot.uri, snapshot.version, edits, ls.document_changes)
    answer.update(await _offer(ls, edit, params.get("apply", True) is not False, ADAPTER_TITLE))
    return answer


async def customize_node(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    from nodeforge.assist.customize import (
        CustomizeError,
        customize_node,
        editable_kit,
        parse_tests,
    )
    from nodeforge.llm import client_for

    analysis = await _analysis(ls, params)
    node = _text(params, "node")
    change = _text(params, "description")
    rounds = _rounds(params)
    if editable_kit(analysis, node) is not None:
        return await _customize_kit(ls, params, analysis, node, change, rounds)
    try:
        tests = parse_tests(params.get("tests") or [])
    except ValueError as exc:
        raise DevError(f"`tests`: {exc}") from None
    connector = params.get("connector") if isinstance(params.get("connector"), str) else None
    root = _root(analysis)
    snapshot = ls.session.snapshot(analysis.document.uri)

    def job(on_round: Callable[[int], None]) -> Any:
        client = client_for(root, "customize", connector=connector)
        try:  # the sandbox's runner: never unconfined from the server
            return customize_node(
                client, analysis, node, change, tests=tests, max_rounds=rounds, on_round=on_round
            )
        except CustomizeError as exc:
            raise DevError(str(exc)) from exc

    result = await _run_with_model(ls, f"Assistant: changing node {node}", job)
    answer: dict[str, Any] = result.as_dict()
    if not result.ok or result.outcome.value is None:
        return answer
    edits = lsp_text_edits(result.outcome.value.edits, snapshot.lines, ls.session.encoding)
    edit = lsp_workspace_edit(snapshot.uri, snapshot.version, edits, ls.document_changes)
    answer.update(await _offer(ls, edit, params.get("apply") is True, "Nodeforge: node change"))
    return answer


async def _customize_kit(
    ls: Any, params: dict[str, Any], analysis: Any, node: str, change: str, rounds: int
) -> dict[str, Any]:
    """``nodeforge.customizeNode`` on a forked or custom node: its kit's Go files."""
    from nodeforge.assist.customize import CustomizeError, customize_kit
    from nodeforge.llm import client_for

    if params.get("tests"):
        raise DevError("`tests` is for code/go nodes: a kit's tests are its *_test.go")
    connector = params.get("connector") if isinstance(params.get("connector"), str) else None
    root = _root(analysis)

    def job(on_round: Callable[[int], None]) -> Any:
        client = client_for(root, "customize", connector=connector)
        try:  # the sandbox's tester: never unconfined from the server
            return customize_kit(
                client, analysis, node, change, max_rounds=rounds, on_round=on_round
            )
        except CustomizeError as exc:
            raise DevError(str(exc)) from exc

    result = await _run_with_model(ls, f"Assistant: changing the Go code of {node}", job)
    answer: dict[str, Any] = result.as_dict()
    kit_change = result.outcome.value
    if not result.ok or kit_change is None:
        return answer
    edit = _files_edit(ls, kit_change.paths(), kit_change.old)
    answer.update(await _offer(ls, edit, params.get("apply") is True, "Nodeforge: node change"))
    return answer


def _files_edit(ls: Any, files: dict[Path, str], old: dict[str, str]) -> lsp.WorkspaceEdit:
    """Whole-file edits of existing files (``old`` by name) and creations of new ones."""
    from nodeforge.analysis.text import LineIndex, Span
    from nodeforge.server.convert import lsp_range

    changes: list[Any] = []
    for path, text in files.items():
        uri = path.as_uri()
        before = old.get(path.name)
        if before is None:
            changes.append(lsp.CreateFile(uri=uri, options=lsp.CreateFileOptions(overwrite=False)))
            edits = [lsp.TextEdit(range=_START, new_text=text)]
        else:
            whole = lsp_range(LineIndex(before), Span(0, len(before)), ls.session.encoding)
            edits = [lsp.TextEdit(range=whole, new_text=text)]
        changes.append(
            lsp.TextDocumentEdit(
                text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri), edits=edits
            )
        )
    return lsp.WorkspaceEdit(document_changes=changes)


def code_actions(uri: str, analysis: Any, diagnostics: list[Any]) -> list[lsp.CodeAction]:
    """ "Generate adapter with the model" for each ``NF009``/``NF010`` in ``diagnostics``
    (analysis diagnostics), where the workspace has an ``llm`` connector."""
    from nodeforge.assist.adapters import ADAPTED_CODES

    if "llm" not in analysis.workspace.connectors.values():
        return []
    out = []
    for d in diagnostics:
        if d.code not in ADAPTED_CODES or not isinstance(d.data.get("index"), int):
            continue
        argument = {"uri": uri, "index": d.data["index"]}
        out.append(
            lsp.CodeAction(
                title=ADAPTER_TITLE,
                kind=lsp.CodeActionKind.QuickFix,
                command=lsp.Command(
                    title=ADAPTER_TITLE, command=GENERATE_ADAPTER, arguments=[argument]
                ),
            )
        )
    return out


def register(server: Any) -> None:
    """Add the assistant's commands to ``server``."""
    handlers = {ASSIST: assist, GENERATE_ADAPTER: generate_adapter, CUSTOMIZE_NODE: customize_node}
    for name, fn in handlers.items():
        server.protocol.fm.commands.pop(name, None)
        server.command(name)(_command(fn))
