"""``nodeforge restore FLOW REV``: bring back a saved version as a new save."""

from __future__ import annotations

import argparse
import sys

from nodeforge.commands.paths import exit_code, require_flow_or_history
from nodeforge.project.fsutil import ProjectError, require_root
from nodeforge.project.history import require_history


def run(args: argparse.Namespace) -> int:
    try:
        root = require_root(args.flow, explicit=args.workspace)
        require_flow_or_history(root, args.flow)
        result = require_history(root).restore(args.flow, args.rev, force=args.force)
    except ProjectError as exc:
        print(f"nodeforge restore: {exc}", file=sys.stderr)
        return exit_code(exc)
    for note in result.notes:
        print(f"nodeforge: note: {note}", file=sys.stderr)
    if result.created:
        print(f"restored {result.path} to {args.rev}; recorded as {result.commit[:10]}")
    else:
        print(f"{result.path} already is that version ({result.commit[:10]})")
    return 0
