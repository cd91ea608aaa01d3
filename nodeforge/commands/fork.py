"""``nodeforge fork TYPE@VERSION --as NAME`` and ``nodeforge fork --status``."""

from __future__ import annotations

import argparse
import json
import sys

from nodeforge.analysis.catalog import CatalogError
from nodeforge.commands.paths import exit_code
from nodeforge.project.fork import fork_node, fork_status
from nodeforge.project.fsutil import ProjectError, require_root


def run(args: argparse.Namespace) -> int:
    try:
        root = require_root(explicit=args.workspace)
        if args.status or args.node is None:
            forks = fork_status(root)
            if args.json:
                print(json.dumps([f.to_json() for f in forks], indent=2))
                return 0
            if not forks:
                print("no forks in nodes/")
            for f in forks:
                note = f"; {f.base_type} {f.base_latest} is newer" if f.newer_base else ""
                changed = ", changed" if f.modified else ""
                print(
                    f"{f.type}@{f.version} ({f.folder}{changed}) "
                    f"from {f.base_type}@{f.base_version}{note}"
                )
            return 0
        if not args.as_name:
            print("nodeforge fork: give the new name with --as NAME", file=sys.stderr)
            return 2
        info = fork_node(root, args.node, args.as_name)
    except (ProjectError, CatalogError) as exc:
        print(f"nodeforge fork: {exc}", file=sys.stderr)
        return exit_code(exc)
    if args.json:
        print(json.dumps(info.to_json(), indent=2))
        return 0
    print(
        f"forked {info.base_type}@{info.base_version} as {info.type}@{info.version} in {info.folder}/"
    )
    print(f'use it in a flow as {{"type": "{info.type}", "version": "{info.version}"}}')
    if info.newer_base:
        print(f"note: {info.base_type} {info.base_latest} is newer than the version you forked")
    return 0
