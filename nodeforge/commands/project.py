"""``nodeforge project show|set``: the workspace's project metadata."""

from __future__ import annotations

import argparse
import json
import sys

from nodeforge.commands.paths import exit_code
from nodeforge.project.fsutil import ProjectError, require_root
from nodeforge.project.workspace_init import project_info, set_project


def run(args: argparse.Namespace) -> int:
    try:
        root = require_root(explicit=args.workspace)
        if args.action == "set":
            values = {k: getattr(args, k) for k in ("name", "description", "owner")}
            values = {k: v for k, v in values.items() if v is not None}
            if not values:
                print(
                    "nodeforge project set: give --name, --description or --owner", file=sys.stderr
                )
                return 2
            info = set_project(root, **values)
        else:
            info = project_info(root)
    except ProjectError as exc:
        print(f"nodeforge project: {exc}", file=sys.stderr)
        return exit_code(exc)
    if args.json:
        print(json.dumps(info.to_json(), indent=2, ensure_ascii=False))
        return 0
    print(f"workspace:   {info.root}")
    print(f"name:        {info.name}")
    print(f"description: {info.description}")
    print(f"owner:       {info.owner}")
    print(f"id:          {info.id or '(none yet)'}")
    if info.connectors:
        print("connectors:  " + ", ".join(f"{n} ({t})" for n, t in sorted(info.connectors.items())))
    return 0
