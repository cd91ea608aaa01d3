"""``nodeforge init``: create a workspace."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nodeforge.commands.paths import exit_code
from nodeforge.project.fsutil import ProjectError
from nodeforge.project.workspace_init import init_workspace


def run(args: argparse.Namespace) -> int:
    root: Path = args.path
    try:
        created = init_workspace(
            root,
            name=args.name,
            description=args.description,
            owner=args.owner,
            example=args.example,
        )
    except ProjectError as exc:
        print(f"nodeforge init: {exc}", file=sys.stderr)
        return exit_code(exc)
    base = root.resolve()
    print(f"Created a Nodeforge workspace in {base}")
    for path in created:
        rel = path.relative_to(base)
        print(f"  {rel}{'/' if path.is_dir() else ''}")
    return 0
