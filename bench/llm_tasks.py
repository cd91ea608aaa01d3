"""The bundled task set for a real model: flows from a description, with acceptance checks.

    python -m bench.llm_tasks -w WORKSPACE [--connector NAME] [--max-rounds 3] [-k ID]

WORKSPACE must declare the connectors of ``bench/llm_tasks.json`` by name and type (the
examples workspace does: ``examples/``) and have an ``llm`` connector with real settings
(``nodeforge connector add assistant -t llm --set provider=... --set model=...``). Each
task runs the assistant (``nodeforge.assist.flows.assist_flow``, the code path of
``nodeforge assist``); nothing is written. Reported per task: rounds, check-clean or not,
the acceptance checks; in total: the share of check-clean first answers, of check-clean
answers after repair, and of flows that also pass their acceptance checks. The model's
answers are cached like any request (``[llm] cache`` in nodeforge.toml; ``--no-cache``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TASKS = Path(__file__).resolve().with_name("llm_tasks.json")


def load_tasks(path: Path = TASKS) -> dict[str, Any]:
    """The task file, checked: unique ids, a description and well-formed checks each."""
    data = json.loads(path.read_text(encoding="utf-8"))
    seen: set[str] = set()
    for task in data["tasks"]:
        tid = task["id"]
        if tid in seen:
            raise ValueError(f"{path}: task id `{tid}` twice")
        seen.add(tid)
        if not isinstance(task.get("description"), str) or not task["description"]:
            raise ValueError(f"{path}: task `{tid}` has no description")
        for check in task["checks"]:
            if not (
                (isinstance(check.get("node"), str) and isinstance(check.get("config", {}), dict))
                or (isinstance(check.get("edge"), list) and len(check["edge"]) == 2)
            ):
                raise ValueError(f"{path}: task `{tid}`: malformed check {check}")
    return data


def _holds(config: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(key in config and config[key] == value for key, value in wanted.items())


def failed_checks(flow: Mapping[str, Any], checks: Sequence[Mapping[str, Any]]) -> list[str]:
    """The acceptance checks ``flow`` does not pass, described."""
    nodes = [n for n in flow.get("nodes", []) if isinstance(n, dict)]
    types = {n.get("id"): n.get("type") for n in nodes}
    failed = []
    for check in checks:
        if "edge" in check:
            a, b = check["edge"]
            found = any(
                types.get(str(c.get("from", "")).split(".")[0]) == a
                and types.get(str(c.get("to", "")).split(".")[0]) == b
                for c in flow.get("connections", [])
                if isinstance(c, dict)
            )
            if not found:
                failed.append(f"no connection {a} -> {b}")
            continue
        wanted = check.get("config", {})
        if not any(
            n.get("type") == check["node"] and _holds(n.get("config") or {}, wanted) for n in nodes
        ):
            failed.append(
                f"no {check['node']} with {json.dumps(wanted)}" if wanted else f"no {check['node']}"
            )
    return failed


def run(args: argparse.Namespace) -> dict[str, Any]:
    from nodeforge.analysis.workspace import load_workspace
    from nodeforge.assist.flows import assist_flow
    from nodeforge.llm import client_for

    data = load_tasks(Path(args.tasks))
    root = Path(args.workspace).resolve()
    workspace = load_workspace(root)
    missing = {
        name: kind
        for name, kind in data["connectors"].items()
        if workspace.connectors.get(name) != kind
    }
    if missing:
        raise SystemExit(
            f"{root}: declare these connectors in nodeforge.toml first: "
            + ", ".join(f"{n} ({k})" for n, k in missing.items())
        )
    client = client_for(root, "assist", connector=args.connector, use_cache=not args.no_cache)
    results = []
    for task in data["tasks"]:
        if args.k and args.k not in task["id"]:
            continue
        result = assist_flow(
            client,
            workspace,
            task["description"],
            uri=(root / f"{task['id']}.flow.json").as_uri(),
            max_rounds=args.max_rounds,
        )
        failed: list[str] = []
        if result.proposal is not None:
            failed = failed_checks(json.loads(result.proposal.text), task["checks"])
        row = {
            "id": task["id"],
            "clean": result.ok,
            "rounds": result.outcome.rounds,
            "first_clean": result.ok and result.outcome.rounds == 1,
            "accepted": result.ok and not failed,
            "failed_checks": failed,
            "message": result.outcome.message,
            "input_tokens": result.outcome.input_tokens,
            "output_tokens": result.outcome.output_tokens,
        }
        results.append(row)
        if not args.json:
            mark = "ok " if row["accepted"] else ("cln" if row["clean"] else "---")
            extra = "; ".join(failed) if failed else ("" if result.ok else result.outcome.message)
            print(f"{mark} {task['id']}: {row['rounds']} round(s) {extra}", flush=True)
    total = len(results) or 1
    return {
        "tasks": len(results),
        "first_answer_clean": sum(r["first_clean"] for r in results) / total,
        "clean_after_repair": sum(r["clean"] for r in results) / total,
        "accepted": sum(r["accepted"] for r in results) / total,
        "input_tokens": sum(r["input_tokens"] for r in results),
        "output_tokens": sum(r["output_tokens"] for r in results),
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the bundled assistant task set")
    parser.add_argument("-w", "--workspace", required=True, help="workspace with an llm connector")
    parser.add_argument("--connector", help="the llm connector (default: as nodeforge assist)")
    parser.add_argument("--max-rounds", type=int, default=3)
    parser.add_argument("--tasks", default=str(TASKS), help="task file (default: bundled)")
    parser.add_argument("-k", help="only tasks whose id contains this")
    parser.add_argument("--no-cache", action="store_true", help="ask the model every time")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    summary = run(args)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"{summary['tasks']} tasks: check-clean first answers {summary['first_answer_clean']:.0%}, "
            f"after repair {summary['clean_after_repair']:.0%}, passing their acceptance "
            f"checks {summary['accepted']:.0%}; tokens {summary['input_tokens']} in, "
            f"{summary['output_tokens']} out",
            file=sys.stdout,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
