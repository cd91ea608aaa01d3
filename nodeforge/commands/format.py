"""``nodeforge format [--check] PATH...``: the canonical, diff-friendly layout of flow files.

The same layout the editor's "Format Document" applies (``analysis.ide.format``).
"""

from __future__ import annotations

import argparse
import sys

from nodeforge.analysis.flow import decode_source
from nodeforge.analysis.ide.format import format_document
from nodeforge.commands.check import find_flow_files


def run(args: argparse.Namespace) -> int:
    try:
        files = find_flow_files(args.paths)
    except FileNotFoundError as exc:
        print(f"nodeforge format: {exc}", file=sys.stderr)
        return 2
    changed = invalid = 0
    for path in files:
        text, bad_bytes = decode_source(path.read_bytes())
        formatted = None if bad_bytes is not None else format_document(text)
        if formatted is None:
            invalid += 1
            print(f"{path}: not valid JSON; run `nodeforge check` to see why", file=sys.stderr)
            continue
        if formatted == text:
            continue
        changed += 1
        if args.check:
            print(f"would reformat {path}")
        else:
            path.write_text(formatted, encoding="utf-8")
            print(f"reformatted {path}")
    verb = "would be reformatted" if args.check else "reformatted"
    print(
        f"{changed} file{'s' if changed != 1 else ''} {verb}, {len(files) - changed - invalid} unchanged"
    )
    if invalid:
        return 2
    return 1 if args.check and changed else 0
