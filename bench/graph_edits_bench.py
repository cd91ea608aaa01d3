"""Benchmark the canvas gestures (``nodeforge.graph.*``) on generated flows.

    python -m bench.graph_edits_bench               # 1,000 and 5,000 nodes
    python -m bench.graph_edits_bench 1000 -r 30    # one size, more repeats

For each size and gesture it reports the median (ms) of computing the edit
(``analysis/ide/graph_edits.py``) on an analysis already made (the command joins the
one the server has), and of the incremental re-analysis of the edited text (what
the server then does before the canvas is redrawn).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import time
from typing import Any

from bench.genflow import generate_flow
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.ide.graph_edits import graph_edit
from nodeforge.analysis.workspace import load_workspace


def gestures(flow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    nodes = flow["nodes"]
    middle = nodes[len(nodes) // 2]
    last = nodes[-1]
    return {
        "addNode": {"type": "util/log", "position": {"x": 10, "y": 20}},
        "moveNodes": {"moves": [{"id": middle["id"], "x": 5, "y": 6}]},
        "deleteNodes": {"ids": [middle["id"]]},
        "setConfig": {"id": middle["id"], "path": "/note", "value": "hello"},
        "renameNode": {"id": middle["id"], "newId": "renamed_node"},
        "pasteNodes": {"nodes": [middle, last], "connections": [], "offset": {"x": 40, "y": 40}},
        "disconnect": {"index": len(flow["connections"]) // 2},
    }


def run(n: int, repeats: int) -> dict[str, tuple[float, float]]:
    flow = generate_flow(n, error_rate=0.0)
    text = json.dumps(flow, indent=2)
    workspace = load_workspace(None)
    out: dict[str, tuple[float, float]] = {}
    for name, params in gestures(flow).items():
        edit_times, reanalysis_times = [], []
        for _ in range(repeats):
            analysis = analyze(text, "inmemory:///bench.flow.json", 1, workspace)
            gc.collect()
            start = time.perf_counter()
            found = graph_edit(analysis, name, {"version": 1, **params})
            edit_times.append((time.perf_counter() - start) * 1000)
            edited = text
            for e in reversed(found.edits):
                edited = edited[: e.span.start] + e.new_text + edited[e.span.end :]
            start = time.perf_counter()
            analyze(edited, "inmemory:///bench.flow.json", 2, workspace, analysis)
            reanalysis_times.append((time.perf_counter() - start) * 1000)
        out[name] = (statistics.median(edit_times), statistics.median(reanalysis_times))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("-r", "--repeats", type=int, default=9)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}")
    for n in args.sizes:
        print(f"\n{n:,} nodes: gesture, edit ms, incremental re-analysis ms (medians)")
        for name, (edit, again) in run(n, args.repeats).items():
            print(f"  {name:<12} {edit:8.2f} {again:8.2f}")


if __name__ == "__main__":
    main()
