"""``nodeforge diff FLOW [A [B]]``: what changed between two versions of a flow.

Without revisions: the newest saved version against the file on disk; with one: that
revision against the file; with two: A against B. Revisions are commit ids or ``@N``.
"""

from __future__ import annotations

import argparse
import json
import sys

from nodeforge.commands.paths import require_flow_or_history
from nodeforge.project.fsutil import ProjectError, relative_flow_path, require_root
from nodeforge.project.history import require_history
from nodeforge.project.semantic_diff import diff_flows


def run(args: argparse.Namespace) -> int:
    try:
        root = require_root(args.flow, explicit=args.workspace)
        require_flow_or_history(root, args.flow)
        path = relative_flow_path(root, args.flow)
        history = require_history(root)
        a_rev = args.a or "@0"
        a_commit = history.resolve(path, a_rev)
        a_text = history.read(path, a_commit)
        if args.b is None:
            try:
                b_text = (root / path).read_text(encoding="utf-8")
            except FileNotFoundError:
                b_text = ""
            b_label = f"{path} (working file)"
        else:
            b_commit = history.resolve(path, args.b)
            b_text = history.read(path, b_commit)
            b_label = f"{path}@{b_commit[:10]}"
    except ProjectError as exc:
        print(f"nodeforge diff: {exc}", file=sys.stderr)
        return 2
    result = diff_flows(a_text, b_text, f"{path}@{a_commit[:10]}", b_label)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(result.render(text=not args.no_text))
    return 0
