"""``nodeforge llm usage [--day YYYY-MM-DD] [--format text|json]``: token usage and
estimated cost per day, feature and model (docs/llm.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from nodeforge.commands.paths import exit_code
from nodeforge.project.fsutil import ProjectError, UsageError, require_root


def run(args: argparse.Namespace) -> int:
    from nodeforge.llm import LLMError, usage_summary
    from nodeforge.llm.usage import parse_day

    try:
        root = require_root(explicit=args.workspace)
        try:
            day = parse_day(args.day)
        except ValueError as exc:
            raise UsageError(f"--{exc}") from None
        summary = usage_summary(root, day=day)
    except (ProjectError, LLMError) as exc:
        print(f"nodeforge llm {args.llm_command}: {exc}", file=sys.stderr)
        return exit_code(exc) if isinstance(exc, ProjectError) else 1
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary))
    return 0


def _cost(value: float, unpriced: int) -> str:
    text = f"{value:.6f}"
    return text + (f" (+{unpriced} unpriced)" if unpriced else "")


def format_summary(summary: dict[str, Any]) -> str:
    rows = summary["rows"]
    if not rows:
        return "no LLM requests recorded" + (f" on {summary['day']}" if summary["day"] else "")
    header = ("day", "feature", "model", "requests", "cached", "input", "output", "cost USD")
    table = [header]
    for r in rows:
        table.append(
            (
                r["day"],
                r["feature"],
                r["model"],
                str(r["requests"]),
                str(r["cached"]),
                str(r["input_tokens"]),
                str(r["output_tokens"]),
                _cost(r["cost_usd"], r["unpriced"]),
            )
        )
    t = summary["total"]
    table.append(
        (
            "total",
            "",
            "",
            str(t["requests"]),
            str(t["cached"]),
            str(t["input_tokens"]),
            str(t["output_tokens"]),
            _cost(t["cost_usd"], t["unpriced"]),
        )
    )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [
            cell.ljust(widths[i]) if i < 3 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
