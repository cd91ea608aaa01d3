"""Creating a workspace and reading/editing its project metadata.

``nodeforge init`` writes ``nodeforge.toml`` (``[project]`` name, description, owner and a
random ``id``), the ``flows/`` and ``nodes/`` folders, and a ``.gitignore`` that keeps
``.nodeforge/`` (history, encrypted connectors, build state) out of the user's own git.

``nodeforge.toml`` is edited line by line so that comments and the user's layout survive;
every edit is re-parsed with :mod:`tomllib` before it is written (atomically).
"""

from __future__ import annotations

import json
import re
import tomllib
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nodeforge.analysis.workspace import CONFIG_FILE, CONNECTOR_TYPES
from nodeforge.project.fsutil import STATE_DIR, ProjectError, atomic_write, state_dir

PROJECT_FIELDS = ("name", "description", "owner")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")

EXAMPLE_FLOW = {
    "nodeforge": "1",
    "id": "hello",
    "name": "Hello",
    "nodes": [
        {
            "id": "hello",
            "type": "http/trigger",
            "version": "1.1.0",
            "config": {"method": "GET", "path": "/hello"},
        },
        {
            "id": "reply",
            "type": "http/respond",
            "version": "1.0.0",
            "config": {"status": 200},
        },
    ],
    "connections": [{"from": "hello.out", "to": "reply.in"}],
}


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    root: str
    id: str
    name: str
    description: str
    owner: str
    connectors: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML for these characters)."""
    return json.dumps(value, ensure_ascii=False)


def init_workspace(
    root: Path,
    *,
    name: str | None = None,
    description: str = "",
    owner: str = "",
    example: bool = False,
) -> list[Path]:
    """Create a workspace at ``root``; returns the files and folders created.

    Refuses when ``root`` already holds a ``nodeforge.toml``. An existing
    ``.gitignore`` gets ``.nodeforge/`` appended unless it already ignores it.
    """
    root = root.resolve()
    config = root / CONFIG_FILE
    if config.exists():
        raise ProjectError(f"{config} already exists: this is a workspace already")
    root.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    project_name = name if name is not None else root.name
    lines = [
        "# Nodeforge workspace: project metadata and connector names/types (never secrets).",
        "[project]",
        f"name = {toml_string(project_name)}",
        f"description = {toml_string(description)}",
        f"owner = {toml_string(owner)}",
        f"id = {toml_string(str(uuid.uuid4()))}",
        "",
    ]
    text = "\n".join(lines)
    tomllib.loads(text)
    for folder in ("flows", "nodes"):
        path = root / folder
        if not path.exists():
            path.mkdir()
            created.append(path)
    ignore = root / ".gitignore"
    entry = f"{STATE_DIR}/"
    if ignore.exists():
        current = ignore.read_text(encoding="utf-8")
        if not any(
            line.strip() in (STATE_DIR, entry, f"/{STATE_DIR}", f"/{entry}")
            for line in current.splitlines()
        ):
            sep = "" if current.endswith("\n") or not current else "\n"
            atomic_write(ignore, f"{current}{sep}{entry}\n")
    else:
        atomic_write(
            ignore, f"# Nodeforge's private state: history, encrypted connectors, builds\n{entry}\n"
        )
        created.append(ignore)
    if example:
        flow = root / "flows" / "hello.flow.json"
        if not flow.exists():
            from nodeforge.analysis.ide import format_document

            raw = json.dumps(EXAMPLE_FLOW, indent=2)
            atomic_write(flow, format_document(raw) or raw + "\n")
            created.append(flow)
    atomic_write(config, text)  # last: its presence marks a complete workspace
    created.insert(0, config)
    return created


# -- reading ------------------------------------------------------------------------------


def read_config(root: Path) -> dict[str, Any]:
    path = root / CONFIG_FILE
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"{path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path}: {exc}") from exc


def project_info(root: Path) -> ProjectInfo:
    data = read_config(root)
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise ProjectError(f"{root / CONFIG_FILE}: [project] must be a table")
    raw = data.get("connectors", {})
    connectors = (
        {n: str(e.get("type", "")) for n, e in raw.items() if isinstance(e, dict)}
        if isinstance(raw, dict)
        else {}
    )
    return ProjectInfo(
        root=str(root),
        id=str(project.get("id", "")),
        name=str(project.get("name", root.name)),
        description=str(project.get("description", "")),
        owner=str(project.get("owner", "")),
        connectors=connectors,
    )


def workspace_id(root: Path) -> str:
    """The workspace's stable id (``[project] id``), added to ``nodeforge.toml`` when a
    workspace made before ``init`` existed has none. Keys are filed under it."""
    info = project_info(root)
    if info.id:
        return info.id
    new = str(uuid.uuid4())
    _edit(root, lambda lines: _set_keys(lines, "project", {"id": new}))
    return new


# -- editing --------------------------------------------------------------------------------


def set_project(root: Path, **values: str) -> ProjectInfo:
    """Set ``name``, ``description`` and/or ``owner`` in ``[project]``."""
    unknown = [k for k in values if k not in PROJECT_FIELDS]
    if unknown:
        raise ProjectError(
            f"unknown project field {', '.join(unknown)} (one of {', '.join(PROJECT_FIELDS)})"
        )
    if "name" in values and not values["name"].strip():
        raise ProjectError("the project name must not be empty")
    _edit(root, lambda lines: _set_keys(lines, "project", values))
    return project_info(root)


def add_connector_entry(root: Path, name: str, kind: str) -> None:
    """Add ``[connectors.NAME] type = KIND`` (or change the type of an existing one)."""
    check_connector_name(name)
    if kind not in CONNECTOR_TYPES:
        raise ProjectError(f"unknown connector type `{kind}` (one of {', '.join(CONNECTOR_TYPES)})")
    _edit(root, lambda lines: _set_keys(lines, f"connectors.{name}", {"type": kind}))


def remove_connector_entry(root: Path, name: str) -> bool:
    """Remove ``[connectors.NAME]`` and its sub-tables; False when it was not there."""
    removed = False

    def edit(lines: list[str]) -> list[str]:
        nonlocal removed
        out: list[str] = []
        skipping = False
        for line in lines:
            m = _HEADER.match(line)
            if m:
                header = m.group(1).replace(" ", "")
                skipping = header == f"connectors.{name}" or header.startswith(
                    f"connectors.{name}."
                )
                removed = removed or skipping
            if not skipping:
                out.append(line)
        while len(out) >= 2 and out[-1] == "" and out[-2] == "":
            out.pop()
        return out

    _edit(root, edit)
    return removed


def check_connector_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise ProjectError(
            f"invalid connector name `{name}`: use lower-case letters, digits and `_`, "
            "starting with a letter (it becomes part of environment variable names)"
        )


def _edit(root: Path, change: Any) -> None:
    """Apply ``change`` (lines -> lines) to ``nodeforge.toml`` under a file lock, so that
    concurrent edits (two ``connector add`` runs) both land."""
    import fcntl
    import os

    lock = state_dir(root) / "config.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _edit_locked(root, change)
    finally:
        os.close(fd)


def _edit_locked(root: Path, change: Any) -> None:
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(f"{path} does not exist") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    new_text = "\n".join(change(lines)) + "\n"
    try:
        tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - a bug of ours, refuse it
        raise ProjectError(f"editing {path} would break it ({exc}); edit it by hand") from exc
    if new_text != text:
        atomic_write(path, new_text)


def _set_keys(lines: list[str], table: str, values: dict[str, str]) -> list[str]:
    """Set ``key = "value"`` lines inside ``[table]``, creating the table if needed."""
    start = end = None
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m is None:
            continue
        if start is not None and end is None:
            end = i
        if m.group(1).replace(" ", "") == table and start is None:
            start = i
    out = list(lines)
    if start is None:
        if table == "project":
            # before the first table so that top-level keys stay top-level
            first = next((i for i, line in enumerate(out) if _HEADER.match(line)), len(out))
            block = [f"[{table}]"] + [f"{k} = {toml_string(v)}" for k, v in values.items()]
            return [*out[:first], *block, "", *out[first:]]
        while out and out[-1] == "":
            out.pop()
        block = [f"[{table}]"] + [f"{k} = {toml_string(v)}" for k, v in values.items()]
        return [*out, "", *block] if out else block
    end = len(out) if end is None else end
    for key, value in values.items():
        new_line = f"{key} = {toml_string(value)}"
        for i in range(start + 1, end):
            m = _KEY.match(out[i])
            if m and m.group(1) == key:
                out[i] = new_line
                break
        else:
            last = start
            for i in range(start + 1, end):
                if out[i].strip():
                    last = i
            out.insert(last + 1, new_line)
            end += 1
    return out
