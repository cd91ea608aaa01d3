"""A workspace: the folder holding ``nodeforge.toml``, its flows and custom nodes.

``nodeforge.toml`` carries project metadata and the *names and types* of
connectors (never their secrets, which live encrypted under ``.nodeforge/``):

.. code-block:: toml

    [project]
    name = "shop"
    description = "Orders and support flows"
    owner = "ops@example.com"

    [connectors.shopdb]
    type = "sqlite"
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from nodeforge.analysis import nodefiles
from nodeforge.analysis.catalog import Catalog
from nodeforge.analysis.flowindex import FlowIndex

CONFIG_FILE = "nodeforge.toml"
CONNECTOR_TYPES = ("postgres", "sqlite", "smtp", "http", "whatsapp", "llm", "nats")


class WorkspaceError(Exception):
    """A broken ``nodeforge.toml`` or custom node; the message names the file."""


@dataclass
class Workspace:
    root: Path | None
    catalog: Catalog
    name: str = ""
    description: str = ""
    owner: str = ""
    connectors: dict[str, str] = field(default_factory=dict)  # name -> connector type
    # Custom nodes forked from a standard node (their `fork.json`): (type, version) ->
    # (base type, base version), so analysis can say when the base has moved on.
    forks: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # The workspace's flows by id, for flow/subflow calls: read lazily, on first use.
    flows: FlowIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.flows = FlowIndex(self.root)

    @property
    def config_path(self) -> Path | None:
        return self.root / CONFIG_FILE if self.root is not None else None


@lru_cache(maxsize=1)
def standard_catalog() -> Catalog:
    return Catalog.load_standard()


@lru_cache(maxsize=1)
def installed_catalog() -> Catalog:
    """The built-in pack plus the packs of installed distributions (entry point group
    ``nodeforge.nodes``, see ``analysis/kits.py``): every workspace's base catalog."""
    from nodeforge.analysis.kits import installed_packs

    catalog = standard_catalog()
    for pack in installed_packs():
        catalog = catalog.with_pack(pack.root)
    return catalog


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``nodeforge.toml``."""
    start = start.resolve()
    for folder in [start, *start.parents] if start.is_dir() else start.parents:
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def load_workspace(root: Path | None) -> Workspace:
    """Read the workspace at ``root``; ``None`` gives the standard catalog alone."""
    if root is None:
        return Workspace(root=None, catalog=installed_catalog())
    config_path = root / CONFIG_FILE
    data: dict[str, object] = {}
    if config_path.is_file():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise WorkspaceError(f"{config_path}: {exc}") from exc
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise WorkspaceError(f"{config_path}: [project] must be a table")
    connectors: dict[str, str] = {}
    raw_connectors = data.get("connectors", {})
    if not isinstance(raw_connectors, dict):
        raise WorkspaceError(f"{config_path}: [connectors] must be a table")
    for name, entry in raw_connectors.items():
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in CONNECTOR_TYPES:
            raise WorkspaceError(
                f"{config_path}: connector `{name}` needs a type, one of {', '.join(CONNECTOR_TYPES)}"
            )
        connectors[name] = str(kind)
    catalog = installed_catalog()
    nodes_dir = root / "nodes"
    if nodes_dir.is_dir():
        catalog = catalog.with_custom(nodes_dir)
    return Workspace(
        root=root,
        catalog=catalog,
        forks=_read_forks(catalog, nodes_dir),
        name=str(project.get("name", root.name)),
        description=str(project.get("description", "")),
        owner=str(project.get("owner", "")),
        connectors=connectors,
    )


FORK_FILE = "fork.json"


def _read_forks(catalog: Catalog, nodes_dir: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """The base of every forked custom node; a missing or broken record means no fork."""
    forks: dict[tuple[str, str], tuple[str, str]] = {}
    for manifest in catalog.all():
        folder = manifest.path.parent
        if nodes_dir not in folder.parents or not (folder / FORK_FILE).is_file():
            continue
        try:
            record = json.loads(nodefiles.read_text(folder / FORK_FILE))
            base = record["forked_from"]
            forks[(manifest.type, manifest.version)] = (str(base["type"]), str(base["version"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return forks
