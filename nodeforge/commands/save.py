"""``nodeforge save FLOW...``: record flows in the workspace's internal history."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nodeforge.commands.paths import exit_code
from nodeforge.project.fsutil import ProjectError, require_root
from nodeforge.project.history import History, all_flow_files


def run(args: argparse.Namespace) -> int:
    flows: list[Path] = list(args.flows)
    try:
        root = require_root(flows[0] if flows else None, explicit=args.workspace)
        if not flows:
            flows = list(all_flow_files(root))
            if not flows:
                print(f"nodeforge save: no *.flow.json files in {root}", file=sys.stderr)
                return 1
        history = History(root)
        results = []
        failed = False
        for flow in flows:
            try:
                result = history.save(flow, args.message or "")
            except ProjectError as exc:
                print(f"nodeforge save: {exc}", file=sys.stderr)
                failed = True
                continue
            for note in result.notes:
                print(f"nodeforge: note: {note}", file=sys.stderr)
            results.append(result)
    except ProjectError as exc:
        print(f"nodeforge save: {exc}", file=sys.stderr)
        return exit_code(exc)
    if args.json:
        print(json.dumps([r.to_json() for r in results], indent=2))
    else:
        for r in results:
            state = "saved" if r.created else "unchanged"
            print(f"{state} {r.path} at {r.commit[:10]}")
    return 1 if failed else 0
