"""Flow simulation speed (issue 5): budget 50 ms for a 100-node flow.

    python -m bench.simulate_bench            # 100 and 1,000 nodes
    python -m bench.simulate_bench --sizes 100 -n 50

Per size: a chain of data and control nodes (set, if, template, map, switch, log,
foreach over three items) from an HTTP trigger to a respond node. Reports the median of
``Simulation.run()`` alone (analysis done), and of ``nodeforge.simulate`` through an
in-process language server session (request to response: command dispatch, the run on
a worker thread, the JSON result with every connection's data).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from nodeforge.analysis.engine import analyze
from nodeforge.sandbox.simulate import simulate
from nodeforge.server import dev_commands

KINDS = ("set", "if", "template", "map", "switch", "log", "foreach")


def chain(size: int) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {
            "id": "req",
            "type": "http/trigger",
            "version": "1.0.0",
            "config": {
                "method": "POST",
                "path": "/bench",
                "body_schema": {
                    "type": "object",
                    "required": ["n", "items"],
                    "properties": {
                        "n": {"type": "integer"},
                        "items": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        }
    ]
    conns: list[dict[str, str]] = []
    prev = "req.out"

    def add(nid: str, type_: str, config: dict[str, Any], into: str = "in") -> None:
        nodes.append({"id": nid, "type": type_, "version": "1.0.0", "config": config})
        conns.append({"from": prev, "to": f"{nid}.{into}"})

    i = 0
    while len(nodes) < size - 1:
        kind = KINDS[i % len(KINDS)]
        nid = f"{kind}_{i}"
        if kind == "set":
            add(nid, "data/set", {"values": {f"v{i}": "input.body.n * 2 + 1"}})
            prev = f"{nid}.out"
        elif kind == "if":
            add(nid, "flow/if", {"condition": "input.body.n >= 0 && size(input.body.items) > 0"})
            prev = f"{nid}.true"
        elif kind == "template":
            add(nid, "data/template", {"template": "n={{ input.body.n }} {{ upper('x') }}"})
            prev = "req.out"  # fan out again from the trigger, keeps input typed
        elif kind == "map":
            add(nid, "data/map", {"mapping": {"body": "nodes.req.out.body", "k": "'v'"}})
            prev = f"{nid}.out"
        elif kind == "switch":
            add(
                nid,
                "flow/switch",
                {"cases": [{"when": "input.body.n < 0"}, {"when": "input.body.n >= 0"}]},
            )
            prev = f"{nid}.case2"
        elif kind == "log":
            add(nid, "util/log", {"message": "at {{ input.body.n }}", "level": "debug"})
            prev = f"{nid}.out"
        else:
            add(nid, "flow/foreach", {"list": "input.body.items"})
            prev = f"{nid}.done"
        i += 1
    add("reply", "http/respond", {"status": 200, "body": '{"ok": true, "n": input.body.n}'})
    return {"nodeforge": "1", "id": "bench", "name": "bench", "nodes": nodes, "connections": conns}


INPUT = {"body": {"n": 3, "items": ["a", "b", "c"]}}


def direct(size: int, repeats: int) -> tuple[float, int]:
    analysis = analyze(json.dumps(chain(size)))
    errors = [d for d in analysis.diagnostics if d.severity.name == "ERROR"]
    if errors:
        raise SystemExit(f"bench flow has errors: {errors[:3]}")
    result = simulate(analysis, INPUT, env={})
    assert result["status"] == "done", result["error"]
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        simulate(analysis, INPUT, env={})
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), len(result["trace"])


async def through_server(size: int, repeats: int) -> float:
    from bench.sandbox_bench import Client

    folder = Path(tempfile.mkdtemp(prefix="nf-bench-sim-"))
    path = folder / "bench.flow.json"
    path.write_text(json.dumps(chain(size)))
    client = Client()
    await client.start(folder)
    try:
        uri = client.open(path)
        await client.published(uri)
        samples = []
        for _ in range(repeats + 1):
            t = time.perf_counter()
            r = await client.request(
                "workspace/executeCommand",
                {"command": dev_commands.SIMULATE, "arguments": [{"uri": uri, "input": INPUT}]},
            )
            samples.append((time.perf_counter() - t) * 1000)
            assert r["result"]["status"] == "done"
        return statistics.median(samples[1:])
    finally:
        await client.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("-n", type=int, default=30)
    args = parser.parse_args(argv)
    print(
        "| flow | nodes run | simulate() median ms | nodeforge.simulate via LSP median ms | budget |"
    )
    print("| --- | --- | --- | --- | --- |")
    for size in args.sizes:
        ms, ran = direct(size, args.n)
        lsp_ms = asyncio.run(through_server(size, max(5, args.n // 3)))
        budget = "50" if size == 100 else "-"
        print(f"| {size} nodes | {ran} | {ms:.1f} | {lsp_ms:.1f} | {budget} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
