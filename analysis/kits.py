"""Node kits and node packs.

A **node kit** is one folder per node version holding everything that version is:

=================  ==================================================================
``node.json``      the manifest (config, ports, expressions; ``structural``,
                   ``simulation`` and ``examples``)
``*.go``           the Go executor package, with its ``_test.go`` tests
``call.go.j2``     the call-site template the code generator renders for each node
                   (see ``codegen/nodeapi.py``); structural nodes have none
``simulation.py``  the simulation, when the manifest says ``"kind": "python"``
``doc.md``         the documentation page source ``docs/catalog.md`` is made from
=================  ==================================================================

A **node pack** is a folder of kits. The catalog is the built-in pack
(``catalog/<category>/<name>/<version>/``), the packs of installed Python distributions
(entry point group ``nodeforge.nodes``: the entry point names a package whose folder
is the pack, laid out like the built-in one) and the workspace pack (``nodes/``, any
layout: forks and custom nodes). The built-in and installed packs are **trusted** (the
user installed them); the workspace pack is not: its templates render in jinja2's
sandbox and it may not run Python simulations (see docs/sandbox.md).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from nodeforge.analysis import nodefiles
from nodeforge.analysis.catalog import Catalog, NodeManifest

__all__ = [
    "DOC_FILE",
    "ENTRY_POINT_GROUP",
    "SIMULATION_FILE",
    "TEMPLATE_FILE",
    "Kit",
    "Pack",
    "installed_packs",
    "kit_of",
    "trusted_simulation_digests",
]

TEMPLATE_FILE = "call.go.j2"
SIMULATION_FILE = "simulation.py"
DOC_FILE = "doc.md"
ENTRY_POINT_GROUP = "nodeforge.nodes"

Origin = Literal["builtin", "installed", "workspace"]


@dataclass(frozen=True)
class Pack:
    """A folder of kits: ``name`` (``builtin``, the distribution's name, or
    ``workspace``), where it is, where it comes from and whether its code is trusted."""

    name: str
    root: Path
    origin: Origin

    @property
    def trusted(self) -> bool:
        return self.origin != "workspace"


@dataclass(frozen=True)
class Kit:
    """One node version's folder, as the code generator and the simulator use it."""

    manifest: NodeManifest
    pack: Pack

    @property
    def folder(self) -> Path:
        return self.manifest.path.parent

    @property
    def template(self) -> Path:
        return self.folder / TEMPLATE_FILE

    @property
    def simulation(self) -> Path:
        return self.folder / SIMULATION_FILE

    @property
    def doc(self) -> Path:
        return self.folder / DOC_FILE

    @property
    def trusted(self) -> bool:
        return self.pack.trusted

    def has_executor(self) -> bool:
        """Whether the kit has Go code (non-test ``*.go`` files) to call."""
        try:
            return any(not n.endswith("_test.go") for n in nodefiles.go_files(self.folder))
        except OSError:
            return False


def builtin_pack() -> Pack:
    return Pack("builtin", Catalog.standard_dir(), "builtin")


@lru_cache(maxsize=1)
def installed_packs() -> tuple[Pack, ...]:
    """The packs of installed distributions: each entry point of group
    ``nodeforge.nodes`` names a package (``acme_nodes`` or ``acme_nodes.kits``) whose
    folder holds kits as ``<category>/<name>/<version>/``. The package is located, not
    imported (its parent packages are, by Python's rules). Cached for the process."""
    packs: list[Pack] = []
    seen: set[Path] = set()
    if not _may_declare(ENTRY_POINT_GROUP):
        return ()
    from importlib.metadata import entry_points  # ~15 ms: only when there may be packs

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=str):
        module = ep.value.split(":", 1)[0].strip()
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        if spec.submodule_search_locations:
            root = Path(next(iter(spec.submodule_search_locations)))
        elif spec.origin:
            root = Path(spec.origin).parent
        else:
            continue
        root = root.resolve()
        if root in seen or not root.is_dir():
            continue
        seen.add(root)
        dist = ep.dist.name if ep.dist is not None else ep.name
        packs.append(Pack(dist, root, "installed"))
    return tuple(packs)


def _may_declare(group: str) -> bool:
    """Whether an installed distribution may declare entry points of ``group``: false
    only when every place ``importlib.metadata`` would look is a folder of the path and
    none of their ``*.dist-info``/``*.egg-info`` ``entry_points.txt`` names the group (a
    look at the files, instead of importing ``importlib.metadata`` for nothing)."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:  # other finders may find distributions of their own
        if getattr(finder, "find_distributions", None) is not None and finder is not PathFinder:
            return True
    needle = os.fsencode(group)
    for entry in sys.path:
        folder = entry or "."
        if folder.lower().endswith(".egg"):
            return True  # an egg's metadata is read in its own way: let importlib do it
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return True  # a zip file on the path: let importlib.metadata read it
        except OSError:
            continue
        for name in names:
            if not name.lower().endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), "rb") as f:
                    if needle in f.read():
                        return True
            except OSError:
                continue
    return False


@lru_cache(maxsize=1)
def _builtin_pack_resolved() -> tuple[Pack, Path]:
    """The built-in pack and its folder with links resolved: where the package is, for
    the life of the process (resolving it took a system call per folder on every call)."""
    builtin = builtin_pack()
    return builtin, builtin.root.resolve()


def kit_of(manifest: NodeManifest) -> Kit:
    """The kit of a manifest and the pack it belongs to (by where its file is, links
    resolved: a kit is trusted only where it really is)."""
    folder = manifest.path.parent.resolve() if str(manifest.path) not in ("", ".") else Path()
    builtin, builtin_root = _builtin_pack_resolved()
    if builtin_root in folder.parents:
        return Kit(manifest, builtin)
    for pack in installed_packs():
        if pack.root in folder.parents:
            return Kit(manifest, pack)
    return Kit(manifest, Pack("workspace", folder.parent, "workspace"))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def trusted_simulation_digests() -> dict[str, Path]:
    """sha256 of every trusted kit's ``simulation.py`` -> that file. A workspace kit's
    simulation module with the same bytes (a fork not edited since it was copied) is
    that trusted code, and runs as it."""
    out: dict[str, Path] = {}
    roots = [builtin_pack().root, *(p.root for p in installed_packs())]
    for root in roots:
        for path in sorted(root.rglob(SIMULATION_FILE)):
            if path.is_file() and not path.is_symlink():
                out.setdefault(_digest(path.read_bytes()), path)
    return out


def simulation_digest(path: Path) -> str:
    """sha256 of a kit's simulation module, read through :mod:`nodefiles`."""
    return _digest(nodefiles.read_bytes(path, limit=1024 * 1024))
