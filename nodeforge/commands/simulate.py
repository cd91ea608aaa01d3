"""``nodeforge simulate FLOW --input FILE``: run a flow in the Python simulator.

Exit codes: 0 the execution finished, 1 it failed (a node or expression error), 2 usage
(unreadable files, unknown trigger, a flow with errors).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.workspace import WorkspaceError
from nodeforge.sandbox.nodetest import load_flow
from nodeforge.sandbox.schemacheck import loads
from nodeforge.sandbox.simulate import Simulation, SimulationError, dumps

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def read_json(path: Path | None, what: str) -> Any:
    if path is None:
        return None
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    try:
        return loads(text)  # as the app reads JSON: a duplicate key is an error
    except ValueError as exc:
        raise SimulationError(f"{what} {path}: not JSON: {exc}") from exc


def replay_inputs(args: argparse.Namespace, analysis: Any) -> Any:
    """The recorded execution ``--replay`` names, as the simulator's inputs."""
    from nodeforge.project.fsutil import ProjectError
    from nodeforge.runs.replay import load_replay

    try:
        db = Path(args.db) if getattr(args, "db", None) else None
        return load_replay(
            Path(args.flow),
            analysis,
            args.replay,
            db=db,
            connector=getattr(args, "connector", None),
        )
    except ProjectError as exc:
        raise SimulationError(f"--replay {args.replay}: {exc}") from exc


def run(args: argparse.Namespace) -> int:
    try:
        analysis = load_flow(args.flow)
        errors = [d for d in analysis.diagnostics if d.severity == Severity.ERROR]
        if errors:
            first = errors[0]
            print(
                f"nodeforge simulate: {args.flow} has {len(errors)} error(s), "
                f"first: {first.code} {first.message} (run `nodeforge check`)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        fixtures = read_json(args.fixtures, "fixtures") or {}
        if not isinstance(fixtures, dict):
            raise SimulationError("fixtures: expected an object of node id -> output")
        input_value = read_json(args.input, "input")
        trigger = args.trigger
        if getattr(args, "replay", None):
            from nodeforge.runs.replay import replayed

            trigger, input_value, fixtures = replayed(
                replay_inputs(args, analysis),
                trigger=trigger,
                input_value=input_value,
                input_given=args.input is not None,
                fixtures=fixtures,
            )
        env = read_json(args.env, "env")
        if env is not None and not isinstance(env, dict):
            raise SimulationError("env: expected an object of NAME -> value")
        sim = Simulation(
            analysis,
            trigger=trigger,
            input_value=input_value,
            fixtures=fixtures,
            env={str(k): str(v) for k, v in env.items()} if env is not None else None,
            now=args.now,
            run_code=bool(getattr(args, "run_code", False)),
        )
        result = sim.run()
    except (OSError, SimulationError, WorkspaceError) as exc:
        print(f"nodeforge simulate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(dumps(result) if args.format == "json" else render_text(result))
    return EXIT_OK if result["status"] == "done" else EXIT_FAILED


def _short(value: Any, width: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 3] + "..."


def render_text(result: dict[str, Any]) -> str:
    lines = [
        f"flow {result['flow']} from {result['trigger']}: {result['status']}"
        f" in {result['duration_ms']:.2f} ms",
    ]
    if result["error"]:
        lines.append(f"  error: {result['error']}")
    response = result.get("response") or {}
    if response:
        lines.append(f"  response: {response.get('status')} {_short(response.get('body'))}")
    if not result["faithful"]:
        lines.append("  not faithful (nodes whose real behaviour was not run):")
        for u in result["unfaithful"]:
            lines.append(f"    {u['node']}: {u['reason']}")
    lines.append("nodes:")
    for node_id, n in result["nodes"].items():
        if not n["runs"]:
            lines.append(f"  {node_id:<20} not run")
            continue
        outs = ", ".join(f"{p}={_short(v, 60)}" for p, v in n["outputs"].items())
        lines.append(f"  {node_id:<20} {n['status']:<9} x{n['runs']}  {outs}")
        for log in n["logs"]:
            extra = {k: v for k, v in log.items() if k not in ("level", "msg")}
            lines.append(
                f"      [{log.get('level', 'INFO')}] {log.get('msg', '')}"
                + (f" {_short(extra, 80)}" if extra else "")
            )
    lines.append("connections:")
    for c in result["connections"]:
        last = _short(c["values"][-1], 70) if c.get("values") else "-"
        lines.append(f"  #{c['index']:<3} {c['from']} -> {c['to']}  x{c['count']}  {last}")
    return "\n".join(lines)
