"""``nodeforge upgrade``: move nodes to newer versions, applying the catalog's config
migrations, then check the flow again.

Each node upgrade is the editor's own quick fix for ``NF021``
(``analysis.ide.actions.upgrade_node``, which calls ``plan_migration``), applied one node
at a time and re-analysed in between, so the CLI and the editor always produce the same
edit. A flow whose upgrade would add errors, or whose migrations would replace values
the user set (conflicts, reported with both values), is not written unless forced; a
forced upgrade applies the migrations as the catalog writes them.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nodeforge.analysis.catalog import semver_key
from nodeforge.analysis.diagnostics import Diagnostic, Severity
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.workspace import Workspace
from nodeforge.project.fsutil import ProjectError, atomic_write


@dataclass(frozen=True, slots=True)
class NodeUpgrade:
    node: str
    type: str
    from_version: str
    to_version: str
    config_migrated: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class FlowUpgrade:
    path: str
    upgrades: list[NodeUpgrade] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    new_errors: list[str] = field(default_factory=list)
    # values the migrations would replace: {node, type, key, flow_value, migration_value, ...}
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""  # the upgraded text
    diff: str = ""
    written: bool = False

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("text")
        return out


def _errors(diagnostics: list[Diagnostic]) -> Counter[str]:
    return Counter(f"{d.code} {d.message}" for d in diagnostics if d.severity == Severity.ERROR)


def upgrade_text(
    text: str,
    workspace: Workspace,
    *,
    uri: str = "",
    to: str | None = None,
    node_type: str | None = None,
    node_ids: list[str] | None = None,
    force: bool = False,
) -> FlowUpgrade:
    """Upgrade the matching nodes of one flow's ``text`` (default: every outdated node
    to its type's newest version). Returns the new text and what was done. A node whose
    migration conflicts with its config is left as it is unless ``force``."""
    from nodeforge.analysis.ide.actions import upgrade_node

    result = FlowUpgrade(uri)
    catalog = workspace.catalog
    try:
        json.loads(text)
    except json.JSONDecodeError:
        raise ProjectError(
            f"{uri or 'the flow'} is not valid JSON: fix it before upgrading"
        ) from None
    first = analyze(text, uri, None, workspace)
    before = _errors(first.diagnostics)
    if to is not None:
        kinds = {
            n.type
            for n in first.document.nodes
            if n.type
            and (node_type is None or n.type == node_type)
            and (not node_ids or n.id in node_ids)
        }
        if len(kinds) > 1:
            raise ProjectError(
                f"--to {to} needs one node type; this flow has {', '.join(sorted(kinds))}: "
                "pick one with --type"
            )
    current, analysis = text, first
    done: set[int] = set()
    while True:
        target = None
        for node in analysis.document.nodes:
            if node.index in done or not node.type or not node.version:
                continue
            if node_type is not None and node.type != node_type:
                continue
            if node_ids and node.id not in node_ids:
                continue
            versions = catalog.versions(node.type)
            if node.version not in versions:
                continue  # unknown version: NF005's business
            goal = to if to is not None else (versions[-1] if versions else None)
            if goal is None or goal == node.version:
                continue
            if goal not in versions:
                raise ProjectError(
                    f"`{node.type}` has no version {goal} (known: {', '.join(versions)})"
                )
            if semver_key(goal) < semver_key(node.version):
                result.skipped.append(
                    f"{node.id}: {node.type} {node.version} is newer than {goal} (no downgrades)"
                )
                done.add(node.index)
                continue
            target = (node, goal)
            break
        if target is None:
            break
        node, goal = target
        done.add(node.index)
        upgrade = upgrade_node(analysis, node.index, goal, force=force)
        if upgrade is not None:
            result.conflicts.extend(
                {"node": str(node.id), "type": node.type or "", **c.to_json()}
                for c in upgrade.conflicts
            )
        if upgrade is None or not upgrade.edits:
            if upgrade is None:
                result.skipped.append(f"{node.id}: no upgrade edit could be made")
            continue
        for edit in sorted(upgrade.edits, key=lambda e: e.span.start, reverse=True):
            current = current[: edit.span.start] + edit.new_text + current[edit.span.end :]
        result.upgrades.append(
            NodeUpgrade(
                str(node.id),
                node.type or "",
                node.version or "",
                goal,
                upgrade.config_migrated,
            )
        )
        analysis = analyze(current, uri, None, workspace)
    after = _errors(analysis.diagnostics)
    result.new_errors = sorted((after - before).elements())
    result.text = current
    result.diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            current.splitlines(keepends=True),
            fromfile=uri or "before",
            tofile=uri or "after",
        )
    )
    return result


def upgrade_file(
    root: Path,
    flow: Path,
    workspace: Workspace,
    *,
    to: str | None = None,
    node_type: str | None = None,
    node_ids: list[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> FlowUpgrade:
    try:
        text = flow.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(f"{flow} does not exist") from None
    try:
        rel = flow.resolve().relative_to(root).as_posix()
    except ValueError:
        rel = str(flow)
    result = upgrade_text(
        text, workspace, uri=rel, to=to, node_type=node_type, node_ids=node_ids, force=force
    )
    blocked = bool(result.new_errors or result.conflicts) and not force
    if result.upgrades and not dry_run and not blocked:
        atomic_write(flow, result.text)
        result.written = True
    return result
