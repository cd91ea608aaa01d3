"""Issue 15 item 5: Go generation of a flow after its analysis, in-process, CPU time.

    python -m bench.generation_bench [--varied] [-r REPEATS] [N]     # default 1000 nodes

Writes a ``bench/genflow.py`` flow of N nodes (``--varied``: no two expressions alike)
into a temporary workspace, generates it three times to warm the caches, then REPEATS
times: ``analyze()`` of the flow, and ``generate_module`` (which analyses it again and
generates). Generation is the difference of the two medians. CPU time (user + system of
this process; gofmt's runs are cached), which a loaded machine inflates less than wall
time. To compare two trees, run each from its own checkout with ``PYTHONPATH`` pointing
at it (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.genflow import generate_flow


def measure(n: int, repeats: int, *, varied: bool) -> dict[str, float]:
    from nodeforge.analysis.engine import analyze
    from nodeforge.analysis.workspace import load_workspace
    from nodeforge.codegen.module import collect_flows, generate_module

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        (ws / "nodeforge.toml").write_text('[project]\nname = "bench"\n')
        flow = generate_flow(n, error_rate=0.0, varied=varied)
        (ws / "big.flow.json").write_text(json.dumps(flow, indent=2))
        root, flows = collect_flows(ws)
        workspace = load_workspace(root)
        for _ in range(3):
            assert generate_module(root, flows).ok
        analysis, total = [], []
        for _ in range(repeats):
            start = time.process_time()
            analyze(flows[0].text, flows[0].path.as_uri(), None, workspace)
            analysis.append(time.process_time() - start)
            start = time.process_time()
            generate_module(root, flows)
            total.append(time.process_time() - start)
    a, t = statistics.median(analysis) * 1000, statistics.median(total) * 1000
    return {"analysis_ms": a, "generate_module_ms": t, "generation_ms": t - a}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("nodes", nargs="?", type=int, default=1000)
    ap.add_argument("-r", "--repeats", type=int, default=15)
    ap.add_argument("--varied", action="store_true")
    args = ap.parse_args(argv)
    got = measure(args.nodes, args.repeats, varied=args.varied)
    load = os.getloadavg()[0]
    print(
        f"{args.nodes} nodes{' (varied)' if args.varied else ''}, Python "
        f"{sys.version.split()[0]}, load {load:.1f}: analysis {got['analysis_ms']:.1f} ms, "
        f"generate_module {got['generate_module_ms']:.1f} ms, generation "
        f"{got['generation_ms']:.1f} ms (CPU, medians of {args.repeats})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
