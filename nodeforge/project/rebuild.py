"""Rebuild a flow exactly as it was saved: ``nodeforge build FLOW --at REV``.

Each save records the node version lock (versions and a digest of each node's folder).
A rebuild reads the flow's text at that save, refuses when the workspace's catalog or
custom nodes no longer match the lock (the binary would not be the same), and builds
it in a scratch workspace under ``.nodeforge/rebuild/<commit>/`` that shares the
workspace's ``nodeforge.toml``, custom nodes and database schemas.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from nodeforge.analysis.nodefiles import copy_folder
from nodeforge.codegen.build import BuildResult, build
from nodeforge.project.fsutil import ProjectError, state_dir
from nodeforge.project.history import History
from nodeforge.project.lockfile import verify_lock

SHARED = ("nodeforge.toml", "nodes", "db")


def rebuild_at(root: Path, flow: Path, rev: str) -> tuple[str, BuildResult]:
    """Build ``flow`` as saved at ``rev``; returns the commit id and the build."""
    root = root.resolve()
    rel = flow.resolve().relative_to(root).as_posix()
    history = History(root)
    if not history.exists():
        raise ProjectError(f"no history yet in {root}: save the flow first (`nodeforge save`)")
    commit = history.resolve(rel, rev)
    text = history.read(rel, commit)
    problems = verify_lock(root, history.lock_at(commit), flow=rel)
    if problems:
        raise ProjectError(
            f"cannot rebuild {rel} as of {commit[:10]} exactly: " + "; ".join(problems)
        )
    scratch = state_dir(root) / "rebuild" / commit[:12]
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    for name in SHARED:
        source = root / name
        if name == "nodes" and source.is_dir():
            copy_folder(source, scratch / name)  # no links, no special files
        elif source.is_dir():
            shutil.copytree(source, scratch / name)
        elif source.is_file():
            shutil.copy2(source, scratch / name)
    target = scratch / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    binary = state_dir(root) / "bin" / f"{flow.name.removesuffix('.flow.json')}-{commit[:10]}"
    return commit, build(target, binary=binary)
