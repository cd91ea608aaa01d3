"""What the generator needs for execution records and metrics (docs/runs.md).

* ``records_settings``: the ``[records]`` table of nodeforge.toml (where an app keeps its
  records: its own SQLite file by default, or a connector's database);
* ``sensitive_names``: the schema properties whose values records never hold (marked
  ``"x-sensitive": true`` or ``"writeOnly": true`` anywhere in a flow's node configs);
* ``flow_version``: the flow's version in the internal history (``nodeforge save``), put
  in the app at build time so that every record names the version that ran.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .expr_go import CodegenError


@dataclass(frozen=True, slots=True)
class RecordsSettings:
    enabled: bool = True
    connector: str = ""  # "": the app's own SQLite file (NODEFORGE_RECORDS_PATH)
    kind: str = "sqlite"


def records_settings(root: Path | None, connector_kinds: dict[str, str]) -> RecordsSettings:
    """``[records]`` of nodeforge.toml: ``enabled = false`` leaves records out of the app,
    ``connector = "NAME"`` keeps them in that sqlite or postgres connector's database."""
    if root is None:
        return RecordsSettings()
    try:
        data = tomllib.loads((root / "nodeforge.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return RecordsSettings()
    table = data.get("records", {})
    if not isinstance(table, dict):
        raise CodegenError("nodeforge.toml: [records] must be a table")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise CodegenError("nodeforge.toml: [records] enabled must be true or false")
    connector = table.get("connector", "")
    if not isinstance(connector, str):
        raise CodegenError("nodeforge.toml: [records] connector must be a connector's name")
    if not connector:
        return RecordsSettings(enabled=enabled)
    kind = connector_kinds.get(connector)
    if kind is None:
        raise CodegenError(
            f"nodeforge.toml: [records] connector = {connector!r} is not a connector of "
            "nodeforge.toml"
        )
    if kind not in ("sqlite", "postgres"):
        raise CodegenError(
            f"nodeforge.toml: [records] connector = {connector!r} is a {kind} connector; "
            "records go to a sqlite or postgres connector"
        )
    return RecordsSettings(enabled=enabled, connector=connector, kind=kind)


def is_sensitive(schema: Any) -> bool:
    """Whether a property's schema marks its value as a secret."""
    return isinstance(schema, dict) and (
        schema.get("x-sensitive") is True or schema.get("writeOnly") is True
    )


def sensitive_names(configs: Iterable[Any]) -> list[str]:
    """Names of the properties marked sensitive in any schema inside ``configs``."""
    found: set[str] = set()
    todo = list(configs)
    while todo:
        v = todo.pop()
        if isinstance(v, dict):
            props = v.get("properties")
            if isinstance(props, dict):
                found.update(str(k) for k, p in props.items() if is_sensitive(p))
            # (only the containers: most values are strings, taken out again for nothing)
            todo += [x for x in v.values() if isinstance(x, dict | list)]
        elif isinstance(v, list):
            todo.extend(v)
    return sorted(found)


def flow_version(root: Path | None, rel: str, text: str) -> str:
    """The commit of the newest save of flow ``rel`` in the workspace's history, with
    ``+modified`` when the text built differs from it; "" when never saved."""
    if root is None:
        return ""
    from nodeforge.project.fsutil import ProjectError, state_dir

    # Never saved: answered without importing the history (and its git library, ~30 ms
    # of a `nodeforge generate`). The same test as ``History.exists``.
    if not (state_dir(root.resolve(), create=False) / "history.git" / "HEAD").is_file():
        return ""
    from nodeforge.project.history import History, canonical_text

    history = History(root, record_lock=False)
    try:
        if not history.exists():
            return ""
        revs = history.log(rel, limit=1)
        if not revs:
            return ""
        commit = revs[0].commit
        try:
            same = canonical_text(text, rel) == history.read(rel, commit)
        except ProjectError:
            same = False
        return commit if same else commit + "+modified"
    except ProjectError:
        return ""
    finally:
        history.close()
