"""``nodeforge upgrade [FLOW...] [--to VERSION]``: newer node versions, config migrated."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nodeforge.analysis.catalog import CatalogError
from nodeforge.analysis.workspace import WorkspaceError, load_workspace
from nodeforge.commands.paths import exit_code
from nodeforge.project.fsutil import ProjectError, require_root
from nodeforge.project.history import all_flow_files
from nodeforge.project.upgrade import upgrade_file


def run(args: argparse.Namespace) -> int:
    flows: list[Path] = list(args.flows)
    try:
        root = require_root(flows[0] if flows else None, explicit=args.workspace)
        try:
            workspace = load_workspace(root)
        except (CatalogError, WorkspaceError) as exc:
            raise ProjectError(str(exc)) from exc
        if not flows:
            flows = list(all_flow_files(root))
        results = [
            upgrade_file(
                root,
                flow,
                workspace,
                to=args.to,
                node_type=args.node_type,
                node_ids=args.node or None,
                dry_run=args.dry_run,
                force=args.force,
            )
            for flow in flows
        ]
    except ProjectError as exc:
        print(f"nodeforge upgrade: {exc}", file=sys.stderr)
        return exit_code(exc)
    if args.json:
        print(json.dumps([r.to_json() for r in results], indent=2))
    failed = False
    for r in results:
        blocked_by_errors = bool(r.upgrades and r.new_errors and not args.force)
        blocked = bool(r.conflicts and not args.force) or blocked_by_errors
        failed = failed or blocked
        if args.json:
            continue
        for u in r.upgrades:
            extra = " (config migrated)" if u.config_migrated else ""
            print(f"{r.path}: {u.node} {u.type} {u.from_version} -> {u.to_version}{extra}")
        for c in r.conflicts:
            print(f"{r.path}: {c['node']} {c['type']}: conflict: {c['message']}")
        for note in r.skipped:
            print(f"{r.path}: skipped {note}")
        for err in r.new_errors:
            print(f"{r.path}: the upgrade adds an error: {err}")
        if args.dry_run and r.diff:
            sys.stdout.write(r.diff)
        if args.dry_run:
            continue
        if r.conflicts and not args.force:
            print(
                f"{r.path}: not written (a migration would overwrite values the flow sets; "
                "edit them, or --force applies the migrations as written)"
            )
        elif blocked_by_errors:
            print(f"{r.path}: not written (the upgrade adds errors; --force writes anyway)")
        elif r.written:
            print(f"{r.path}: written; `nodeforge save {r.path}` records it in the history")
    if not args.json and not any(r.upgrades or r.conflicts for r in results):
        print("every node is at its newest version" if not args.to else "nothing to upgrade")
    return 1 if failed else 0
