"""``nodeforge runs``: the execution records of a built app (docs/runs.md).

    nodeforge runs list [--flow F] [--status S] [--since T] [--until T] [--limit N]
    nodeforge runs show RUN_ID
    nodeforge runs tail [--flow F] [--status S]
    nodeforge runs delete (--older-than AGE | --keep N)
    nodeforge runs to-test RUN_ID [--name NAME]

The records are read from the workspace's app (``.nodeforge/data/records.db``), the
connector of ``[records]`` in nodeforge.toml, or ``--db FILE`` / ``--connector NAME``.
Exit codes: 0 done, 1 nothing found (``show``/``to-test`` of an unknown run), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from nodeforge.analysis.workspace import WorkspaceError, find_root
from nodeforge.project.fsutil import ProjectError
from nodeforge.runs.store import Execution, RecordStore, open_records, parse_age, parse_time

EXIT_OK, EXIT_NOT_FOUND, EXIT_USAGE = 0, 1, 2


def _root(args: argparse.Namespace) -> Path | None:
    path = Path(args.path)
    return find_root(path) or (path if (path / "nodeforge.toml").is_file() else None)


def open_store(args: argparse.Namespace) -> RecordStore:
    db = Path(args.db) if getattr(args, "db", None) else None
    return open_records(
        _root(args),
        db=db,
        connector=getattr(args, "connector", None),
        writable=args.runs_action == "delete",
    )


def _line(e: Execution) -> str:
    started = e.to_json(nodes=False)["started"]
    took = f"{e.duration_us / 1000:.1f}ms" if e.ended_us else "-"
    err = f"  {e.error_node}: {e.error}" if e.status == "failed" else ""
    return f"{e.id}  {started}  {e.status:<9} {took:>9}  {e.flow}/{e.trigger}{err}"


def _short(v: Any, width: int = 100) -> str:
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def render(e: Execution) -> str:
    lines = [
        f"run {e.id}: flow {e.flow} from {e.trigger} ({e.trigger_type or '?'}"
        f", via {(e.trigger_info or {}).get('via', '?') if isinstance(e.trigger_info, dict) else '?'})",
        f"  status:  {e.status} in {e.duration_us / 1000:.2f} ms, started {e.to_json()['started']}",
    ]
    if e.flow_version:
        lines.append(f"  version: {e.flow_version}")
    if e.trace_id:
        lines.append(f"  trace:   {e.trace_id}")
    if e.parent_id:
        lines.append(f"  called by run {e.parent_id} (node {e.parent_node})")
    if e.status == "failed":
        lines.append(f"  error:   {e.error} (node {e.error_node}, {e.error_code or 'no code'})")
    lines.append(f"  input:   {_short(e.input)}")
    lines.append(f"  output:  {_short(e.output)}")
    lines.append("nodes:")
    for n in e.nodes:
        mark = "ERROR" if n.level == "error" else "ok"
        lines.append(
            f"  {n.seq:>3} {n.node:<20} {n.type}@{n.version:<8} {mark:<5} {n.duration_us / 1000:8.2f} ms"
        )
        if n.message:
            lines.append(f"        error:  {n.message}")
        if n.input is not None:
            lines.append(f"        input:  {_short(n.input)}")
        if n.port:
            lines.append(f"        {n.port + ':':<7} {_short(n.output)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (ProjectError, WorkspaceError, OSError) as exc:
        print(f"nodeforge runs: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND if "no execution `" in str(exc) else EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    action = args.runs_action
    as_json = args.format == "json"
    if action == "to-test":
        return _to_test(args)
    with open_store(args) as store:
        if action == "list":
            found = store.list(
                flow=args.flow,
                status=args.status,
                since_us=parse_time(args.since) if args.since else None,
                until_us=parse_time(args.until) if args.until else None,
                limit=args.limit,
            )
            if as_json:
                print(json.dumps([e.to_json(nodes=False) for e in found], indent=2))
            else:
                for e in found:
                    print(_line(e))
                if not found:
                    print("no executions", file=sys.stderr)
            return EXIT_OK
        if action == "show":
            e = store.get(args.id)
            print(json.dumps(e.to_json(), indent=2) if as_json else render(e))
            return EXIT_OK
        if action == "delete":
            if args.older_than is None and args.keep is None:
                raise ProjectError("delete needs --older-than AGE or --keep N")
            before = (
                int((time.time() - parse_age(args.older_than)) * 1e6) if args.older_than else None
            )
            n = store.delete(before_us=before, keep=args.keep)
            print(json.dumps({"deleted": n}) if as_json else f"deleted {n} execution(s)")
            return EXIT_OK
        if action == "tail":
            return _tail(store, args, as_json)
    raise ProjectError(f"unknown action {action}")


def _tail(store: RecordStore, args: argparse.Namespace, as_json: bool) -> int:
    """Print executions as they finish (polling), until interrupted or --count."""
    seen: set[str] = set()
    newest = int(time.time() * 1e6) - int(args.back * 1e6)
    printed = 0
    try:
        while True:
            found = store.list(
                flow=args.flow, status=args.status, since_us=newest - 60_000_000, limit=500
            )
            for e in reversed(found):
                if e.id in seen or e.status == "running":
                    continue
                seen.add(e.id)
                newest = max(newest, e.started_us)
                print(json.dumps(e.to_json(nodes=False)) if as_json else _line(e), flush=True)
                printed += 1
                if args.count and printed >= args.count:
                    return EXIT_OK
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return EXIT_OK


def _to_test(args: argparse.Namespace) -> int:
    from nodeforge.codegen.module import collect_flows
    from nodeforge.runs.replay import add_test, flow_test_of
    from nodeforge.sandbox.nodetest import load_flow

    with open_store(args) as store:
        e = store.get(args.id)
    root = _root(args)
    if root is None:
        raise ProjectError("to-test needs the workspace (run it inside one)")
    _, flows = collect_flows(root)
    for f in flows:
        try:
            flow_id = json.loads(f.text).get("id")
        except ValueError:
            continue
        if flow_id == e.flow:
            analysis = load_flow(f.path)
            test = flow_test_of(e, analysis, args.name)
            name = add_test(f.path, test)
            if args.format == "json":
                print(json.dumps({"flow": f.rel, "test": test}, indent=2))
            else:
                print(f"added test {name!r} to {f.rel} (nodeforge test {f.rel})")
            return EXIT_OK
    raise ProjectError(f"flow `{e.flow}` of run {e.id} is not in the workspace")
