"""The workspace lock of node versions, recorded with every saved commit.

``nodeforge.lock.json`` in each history commit (and ``.nodeforge/lock.json``, the newest):

.. code-block:: json

    {
      "format": 1,
      "flows": {"flows/orders.flow.json": ["flow/if@1.0.0", "http/trigger@1.0.0"]},
      "nodes": {
        "http/trigger@1.0.0": {"source": "standard", "digest": "sha256:..."},
        "acme/mailer@1.0.0": {"source": "workspace:nodes/mailer", "digest": "sha256:..."}
      }
    }

``digest`` hashes every file of the node's folder (manifest, Go executor, simulation), so
a build of that commit can check it uses exactly the node code the flow was saved with
(:func:`verify_lock`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

LOCK_FORMAT = 1


def node_digest(folder: Path) -> str:
    """sha256 over the relative paths and bytes of every file under ``folder``."""
    from nodeforge.analysis import nodefiles

    h = hashlib.sha256()
    files = nodefiles.read_folder(folder)
    for name, data in sorted(files.items(), key=lambda kv: kv[0].split("/")):
        rel = name.encode("utf-8")
        h.update(b"%d:%s\0%d:" % (len(rel), rel, len(data)))
        h.update(data)
    return "sha256:" + h.hexdigest()


def _source(root: Path, manifest_path: Path) -> str:
    try:
        rel = manifest_path.parent.resolve().relative_to(root.resolve())
    except ValueError:
        return "standard"
    return f"workspace:{rel.as_posix()}"


def build_lock(
    root: Path, flows: dict[str, list[str]], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The lock for ``flows`` (path -> type@version list) against the workspace's
    catalog now. Entries the catalog cannot resolve keep their previous record."""
    from nodeforge.analysis.catalog import CatalogError
    from nodeforge.analysis.workspace import WorkspaceError, load_workspace

    previous_nodes = previous.get("nodes", {}) if isinstance(previous, dict) else {}
    lock: dict[str, Any] = {"format": LOCK_FORMAT, "flows": {}, "nodes": {}}
    try:
        catalog = load_workspace(root).catalog
    except (CatalogError, WorkspaceError) as exc:
        catalog = None
        lock["warning"] = f"the workspace catalog did not load: {exc}"
    for path in sorted(flows):
        lock["flows"][path] = sorted(flows[path])
    wanted = sorted({v for versions in flows.values() for v in versions})
    for key in wanted:
        type_, _, version = key.rpartition("@")
        manifest = catalog.get(type_, version) if catalog is not None else None
        if manifest is None:
            old = previous_nodes.get(key) if isinstance(previous_nodes, dict) else None
            lock["nodes"][key] = old if isinstance(old, dict) else {"source": "unknown"}
            continue
        lock["nodes"][key] = {
            "source": _source(root, manifest.path),
            "digest": node_digest(manifest.path.parent),
        }
    return lock


def verify_lock(root: Path, lock: dict[str, Any], flow: str | None = None) -> list[str]:
    """Problems reproducing ``lock`` with the workspace's catalog now (``[]``: exact)."""
    current = build_lock(root, lock.get("flows", {}))
    problems = []
    flows = lock.get("flows", {})
    keys = set(flows.get(flow, [])) if flow is not None else set(lock.get("nodes", {}))
    for key in sorted(keys):
        want = lock.get("nodes", {}).get(key, {})
        have = current["nodes"].get(key, {})
        if "digest" not in have:
            problems.append(f"{key} is not in the catalog any more")
        elif want.get("digest") and want["digest"] != have["digest"]:
            problems.append(f"{key} changed since it was locked ({have['source']})")
    return problems
