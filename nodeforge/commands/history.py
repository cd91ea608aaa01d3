"""``nodeforge history FLOW``: the saved versions of a flow, newest first."""

from __future__ import annotations

import argparse
import json
import sys

from nodeforge.commands.paths import exit_code, require_flow_or_history
from nodeforge.project.fsutil import ProjectError, relative_flow_path, require_root
from nodeforge.project.history import History


def run(args: argparse.Namespace) -> int:
    try:
        root = require_root(args.flow, explicit=args.workspace)
        if args.flow is not None:
            require_flow_or_history(root, args.flow)
        history = History(root)
        for note in history.recover():
            print(f"nodeforge: note: {note}", file=sys.stderr)
        path = relative_flow_path(root, args.flow) if args.flow is not None else None
        revisions = history.log(path, limit=args.limit) if history.exists() else []
    except ProjectError as exc:
        print(f"nodeforge history: {exc}", file=sys.stderr)
        return exit_code(exc)
    if args.json:
        print(json.dumps([r.to_json() for r in revisions], indent=2))
        return 0
    if not revisions:
        print(f"no saved versions{f' of {path}' if path else ''}")
        return 0
    for i, r in enumerate(revisions):
        ref = f"@{i}" if path else ""
        print(f"{r.short}  {ref:>4}  {r.time}  {r.author}  {r.message}")
    return 0
