"""Project commands for the language server, as plain functions.

Each command takes the workspace root and one JSON object of arguments and returns a
JSON-able value; failures raise :class:`~nodeforge.project.fsutil.ProjectError` whose
message is for the user. ``server/project_commands.py`` registers them as
``workspace/executeCommand`` commands named ``nodeforge.<name>`` (e.g.
``nodeforge.history.list``) and runs them on a worker thread.

Secrets never leave through here: connector commands return masked settings only.

=====================  ==================================================  =================
command                arguments                                           result
=====================  ==================================================  =================
project.info           {}                                                  ProjectInfo+build
project.set            {name?, description?, owner?}                       ProjectInfo
history.save           {flow, message?, text?}                             SaveResult
history.list           {flow?, limit?}                                     [Revision]
history.read           {flow, rev}                                         {text, commit}
history.diff           {flow, a?, b?, text?}                               FlowDiff
history.restore        {flow, rev, force?, dirty?}                         SaveResult
history.recover        {}                                                  {notes}
connector.types        {}                                                  {type: [field]}
connector.list         {}                                                  [ConnectorInfo]
connector.show         {name}                                              ConnectorInfo
connector.add          {name, type, settings, replace?}                    ConnectorInfo
connector.test         {name, timeout?}                                    TestResult
connector.remove       {name, force?}                                      {removed}
upgrade.plan           {flow?, to?, type?, nodes?}                         [FlowUpgrade]
upgrade.apply          {flow?, to?, type?, nodes?, force?}                 [FlowUpgrade]
fork.create            {node: "type@version", as}                          ForkInfo
fork.status            {}                                                  [ForkInfo]
=====================  ==================================================  =================

``flow`` is a path (absolute, or relative to the root) or a ``file://`` URI. For
``history.diff``, ``b`` defaults to ``text`` (the editor's buffer) when given, else to
the file on disk. For ``history.restore``, ``dirty`` says the editor holds unsaved
edits of the flow: the restore is then refused unless ``force``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nodeforge.project.fsutil import ProjectError, relative_flow_path

Args = dict[str, Any]
Command = Callable[[Path, Args], Any]


def _flow(root: Path, args: Args, key: str = "flow") -> Path:
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise ProjectError(f"missing argument `{key}` (a flow file path or URI)")
    if value.startswith("file:"):
        value = urllib.parse.unquote(urllib.parse.urlsplit(value).path)
    path = Path(value)
    return path if path.is_absolute() else root / path


def _str(args: Args, key: str, default: str | None = None) -> str | None:
    value = args.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ProjectError(f"argument `{key}` must be a string")
    return value


def _need(args: Args, key: str) -> str:
    value = _str(args, key)
    if not value:
        raise ProjectError(f"missing argument `{key}`")
    return value


# -- project -------------------------------------------------------------------------------


def project_info(root: Path, args: Args) -> Any:
    """The metadata plus the build state (``.nodeforge/build.json``, codegen's)."""
    from nodeforge.project.workspace_init import project_info as info

    out: dict[str, Any] = info(root).to_json()
    try:
        from nodeforge.codegen.build import read_state
    except ImportError:  # pragma: no cover - codegen not installed
        return out
    out["build"] = read_state(root)
    return out


def project_set(root: Path, args: Args) -> Any:
    from nodeforge.project.workspace_init import set_project

    values = {k: str(v) for k, v in args.items() if k in ("name", "description", "owner")}
    return set_project(root, **values).to_json()


# -- history -------------------------------------------------------------------------------


def history_save(root: Path, args: Args) -> Any:
    from nodeforge.project.history import History

    with History(root) as h:
        return h.save(
            _flow(root, args), _str(args, "message") or "", text=_str(args, "text")
        ).to_json()


def history_list(root: Path, args: Args) -> Any:
    from nodeforge.project.history import History

    limit = args.get("limit")
    with History(root) as h:
        h.recover()
        if not h.exists():
            return []
        path = relative_flow_path(root, _flow(root, args)) if args.get("flow") else None
        return [r.to_json() for r in h.log(path, limit=int(limit) if limit else None)]


def history_read(root: Path, args: Args) -> Any:
    from nodeforge.project.history import require_history

    with require_history(root) as h:
        path = relative_flow_path(root, _flow(root, args))
        commit = h.resolve(path, _str(args, "rev") or "@0")
        return {"path": path, "commit": commit, "text": h.read(path, commit)}


def history_diff(root: Path, args: Args) -> Any:
    from nodeforge.project.history import require_history
    from nodeforge.project.semantic_diff import diff_flows

    with require_history(root) as h:
        path = relative_flow_path(root, _flow(root, args))
        a = h.resolve(path, _str(args, "a") or "@0")
        a_text = h.read(path, a)
        b_rev = _str(args, "b")
        if b_rev:
            b = h.resolve(path, b_rev)
            b_text, b_label = h.read(path, b), f"{path}@{b[:10]}"
        elif _str(args, "text") is not None:
            b_text, b_label = str(args["text"]), f"{path} (editor)"
        else:
            try:
                b_text = (root / path).read_text(encoding="utf-8")
            except FileNotFoundError:
                b_text = ""
            b_label = f"{path} (working file)"
        return diff_flows(a_text, b_text, f"{path}@{a[:10]}", b_label).to_json()


def history_restore(root: Path, args: Args) -> Any:
    from nodeforge.project.history import require_history

    with require_history(root) as h:
        return h.restore(
            _flow(root, args),
            _need(args, "rev"),
            force=bool(args.get("force")),
            editor_dirty=bool(args.get("dirty")),
        ).to_json()


def history_recover(root: Path, args: Args) -> Any:
    from nodeforge.project.history import History

    with History(root) as h:
        return {"notes": h.recover()}


# -- connectors ----------------------------------------------------------------------------


def connector_types(root: Path, args: Args) -> Any:
    from nodeforge.project.connectors import types_table

    return types_table()


def connector_list(root: Path, args: Args) -> Any:
    from nodeforge.project.connectors import list_connectors

    return [i.to_json() for i in list_connectors(root)]


def connector_show(root: Path, args: Args) -> Any:
    from nodeforge.project.connectors import show

    return show(root, _need(args, "name")).to_json()


def connector_add(root: Path, args: Args) -> Any:
    from nodeforge.project.connectors import add, show

    settings = args.get("settings") or {}
    if not isinstance(settings, dict):
        raise ProjectError("argument `settings` must be an object")
    name = _need(args, "name")
    add(
        root,
        name,
        _need(args, "type"),
        {str(k): str(v) for k, v in settings.items()},
        replace=bool(args.get("replace")),
    )
    return show(root, name).to_json()


def connector_test(root: Path, args: Args) -> Any:
    from nodeforge.project.connectors import test

    return test(root, _need(args, "name"), timeout=float(args.get("timeout") or 10)).to_json()


def connector_remove(root: Path, args: Args) -> Any:
    from nodeforge.project.connectors import remove

    return {"removed": remove(root, _need(args, "name"), force=bool(args.get("force")))}


# -- upgrades and forks ----------------------------------------------------------------------


def _upgrade(root: Path, args: Args, *, apply: bool) -> Any:
    from nodeforge.analysis.catalog import CatalogError
    from nodeforge.analysis.workspace import WorkspaceError, load_workspace
    from nodeforge.project.history import all_flow_files
    from nodeforge.project.upgrade import upgrade_file

    try:
        workspace = load_workspace(root)
    except (CatalogError, WorkspaceError) as exc:
        raise ProjectError(str(exc)) from exc
    flows = [_flow(root, args)] if args.get("flow") else list(all_flow_files(root))
    nodes = args.get("nodes")
    return [
        upgrade_file(
            root,
            flow,
            workspace,
            to=_str(args, "to"),
            node_type=_str(args, "type"),
            node_ids=[str(n) for n in nodes] if isinstance(nodes, list) else None,
            dry_run=not apply,
            force=bool(args.get("force")),
        ).to_json()
        for flow in flows
    ]


def upgrade_plan(root: Path, args: Args) -> Any:
    return _upgrade(root, args, apply=False)


def upgrade_apply(root: Path, args: Args) -> Any:
    return _upgrade(root, args, apply=True)


def fork_create(root: Path, args: Args) -> Any:
    from nodeforge.project.fork import fork_node

    return fork_node(root, _need(args, "node"), _need(args, "as")).to_json()


def fork_status(root: Path, args: Args) -> Any:
    from nodeforge.project.fork import fork_status as status

    return [f.to_json() for f in status(root)]


def llm_usage(root: Path, args: Args) -> Any:
    """Token usage and estimated cost per day, feature and model (``nodeforge llm usage``)."""
    from nodeforge.llm.usage import parse_day, usage_summary

    try:
        day = parse_day(_str(args, "day"))
    except ValueError as exc:
        raise ProjectError(str(exc)) from None
    return usage_summary(root, day=day)


COMMANDS: dict[str, Command] = {
    "project.info": project_info,
    "project.set": project_set,
    "history.save": history_save,
    "history.list": history_list,
    "history.read": history_read,
    "history.diff": history_diff,
    "history.restore": history_restore,
    "history.recover": history_recover,
    "connector.types": connector_types,
    "connector.list": connector_list,
    "connector.show": connector_show,
    "connector.add": connector_add,
    "connector.test": connector_test,
    "connector.remove": connector_remove,
    "upgrade.plan": upgrade_plan,
    "upgrade.apply": upgrade_apply,
    "fork.create": fork_create,
    "fork.status": fork_status,
    "llm.usage": llm_usage,
}


def run_command(root: Path, name: str, args: Args | None = None) -> Any:
    """Run project command ``name`` (without the ``nodeforge.`` prefix)."""
    command = COMMANDS.get(name.removeprefix("nodeforge."))
    if command is None:
        raise ProjectError(f"unknown project command `{name}`")
    return command(root.resolve(), dict(args or {}))


def init_workspace_command(args: Args) -> Any:
    """``nodeforge.project.init`` {path, name?, description?, owner?, example?}: needs no root."""
    from nodeforge.project.workspace_init import init_workspace, project_info

    path = _flow(Path.cwd(), args, "path")
    init_workspace(
        path,
        name=_str(args, "name"),
        description=_str(args, "description") or "",
        owner=_str(args, "owner") or "",
        example=bool(args.get("example")),
    )
    return project_info(path.resolve()).to_json()
