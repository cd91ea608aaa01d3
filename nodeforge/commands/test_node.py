"""``nodeforge test-node FLOW NODE_ID [--to NODE_ID] --input FILE``: run one node's real
Go code (or the segment of the flow from NODE_ID to the ``--to`` node) on an input,
inside the sandbox.

Exit codes: 0 the node ran and returned (status ok), 1 any other status (node error,
timeout, memory or output limit, killed, sandbox unavailable), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from nodeforge.analysis.workspace import WorkspaceError
from nodeforge.sandbox.limits import DEFAULT_LIMITS
from nodeforge.sandbox.nodetest import NodeTestError, load_flow, run_node_test
from nodeforge.sandbox.runner import Status

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def parse_limits(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--limit {item}: expected NAME=VALUE")
        try:
            out[name.strip()] = float(value) if "." in value else int(value)
        except ValueError:
            raise ValueError(f"--limit {item}: the value must be a number") from None
    return out


def run(args: argparse.Namespace) -> int:
    try:
        limits = DEFAULT_LIMITS.merged(parse_limits(args.limit))
        analysis = load_flow(args.flow)
        if args.input is None:
            value: Any = {}
        else:
            text = sys.stdin.read() if str(args.input) == "-" else args.input.read_text()
            value = json.loads(text)
        if args.unsafe_no_sandbox:
            print(
                "nodeforge test-node: WARNING: --unsafe-no-sandbox: if the sandbox is "
                "unavailable the node's code runs with your rights",
                file=sys.stderr,
            )
        result = run_node_test(
            analysis,
            args.node,
            value,
            limits=limits,
            unsafe_no_sandbox=args.unsafe_no_sandbox,
            to=getattr(args, "to", None),
            env=_read_env(getattr(args, "env", None)),
        )
    except (OSError, ValueError, NodeTestError, WorkspaceError) as exc:
        print(f"nodeforge test-node: {exc}", file=sys.stderr)
        return EXIT_USAGE
    data = result.as_dict()
    if args.format == "json":
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(render_text(data))
    return EXIT_OK if result.status == Status.OK else EXIT_FAILED


def _read_env(path: Any) -> dict[str, str] | None:
    if path is None:
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"--env {path}: expected a JSON object of NAME -> value")
    return {str(k): str(v) for k, v in data.items()}


def render_text(r: dict[str, Any]) -> str:
    where = "sandboxed" if r["confined"] else "NOT SANDBOXED"
    cache = "cached harness" if r["cached"] else f"built in {r['build_ms']:.0f} ms"
    what = f"segment {r['node']} -> {r['to']}" if r.get("to") else f"node {r['node']}"
    lines = [
        f"{what} ({r['type']} {r['version']}): {r['status']}"
        f" in {r['duration_ms']:.0f} ms ({where}, {cache}, run {r['run_ms']:.0f} ms)"
    ]
    if r["message"]:
        lines.append(f"  {r['message']}")
    if r["build_errors"]:
        lines.append("  build errors:")
        lines.extend("    " + line for line in r["build_errors"].splitlines())
    for port, value in r["outputs"].items():
        lines.append(f"  output {port}: {json.dumps(value, ensure_ascii=False)}")
    if r["logs"]:
        lines.append("  logs:")
        for log in r["logs"]:
            extra = {k: v for k, v in log.items() if k not in ("level", "msg", "time")}
            tail = f" {json.dumps(extra, ensure_ascii=False)}" if extra else ""
            lines.append(f"    [{log.get('level', 'INFO')}] {log.get('msg', '')}{tail}")
    return "\n".join(lines)
