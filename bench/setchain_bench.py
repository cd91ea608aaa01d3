"""Issue 15 item 7: error-free ``data/set`` chains (each node sets one more field on what
it receives, so each output type extends the previous one by reference), full analysis
CPU time per node at several lengths; linear analysis keeps the per-node time flat.
``--codegen``: Go generation too (``generate_module``, which analyses, then generates;
its Go structs each embed the previous one), per node.

    python -m bench.setchain_bench [--codegen] [N ...]      # default 1000 2000 5000
"""

from __future__ import annotations

import json
import os
import sys
import time

from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.workspace import load_workspace


def chain_flow(n: int) -> str:
    """A manual trigger, then ``n`` data/set nodes in a row, node ``i`` setting ``f<i>``."""
    nodes: list[dict[str, object]] = [
        {
            "id": "start",
            "type": "trigger/manual",
            "version": "1.0.0",
            "position": {"x": 0, "y": 0},
            "config": {
                "input_schema": {
                    "type": "object",
                    "required": ["a"],
                    "properties": {"a": {"type": "integer"}},
                }
            },
        }
    ]
    connections = []
    prev = "start"
    for i in range(n):
        node = f"s{i}"
        nodes.append(
            {
                "id": node,
                "type": "data/set",
                "version": "1.0.0",
                "position": {"x": 10 * i, "y": 0},
                "config": {"values": {f"f{i}": "input.a + 1"}},
            }
        )
        connections.append({"from": f"{prev}.out", "to": f"{node}.in"})
        prev = node
    flow = {"nodeforge": "1", "id": "chain", "name": "chain", "nodes": nodes}
    flow["connections"] = connections
    return json.dumps(flow, indent=1)


def codegen_ms(text: str, n: int) -> float:
    """CPU ms of ``generate_module`` of the chain (analysis and generation), best of 3."""
    from pathlib import Path

    from nodeforge.codegen.module import FlowInput, generate_module

    flow = FlowInput(Path("/chain.flow.json"), "chain.flow.json", text)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        module = generate_module(None, [flow])
        best = min(best, time.process_time() - start)
        if not module.ok:
            sys.exit(f"the chain of {n} does not generate: {module.diagnostics}")
    return best * 1000


def main(argv: list[str]) -> None:
    codegen = "--codegen" in argv
    sizes = [int(a) for a in argv if a != "--codegen"] or [1000, 2000, 5000]
    workspace = load_workspace(None)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# data/set chains, Python {sys.version.split()[0]}, load {load}, CPU time, best of 3")
    if codegen:
        print("| nodes | full analysis | per node | analysis + Go generation | per node |")
        print("| ---: | ---: | ---: | ---: | ---: |")
    else:
        print("| nodes | full analysis | per node |")
        print("| ---: | ---: | ---: |")
    for n in sizes:
        text = chain_flow(n)
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            analysis = analyze(text, uri="file:///chain.flow.json", workspace=workspace)
            best = min(best, time.process_time() - start)
        errors = [d for d in analysis.diagnostics if d.severity == Severity.ERROR]
        if errors:
            sys.exit(f"the chain of {n} has errors: {errors[0].message}")
        row = f"| {n:,} | {best * 1000:.1f} ms | {best * 1e6 / n:.1f} µs |"
        if codegen:
            ms = codegen_ms(text, n)
            row += f" {ms:.0f} ms | {ms * 1000 / n:.0f} µs |"
        print(row)


if __name__ == "__main__":
    main(sys.argv[1:])
