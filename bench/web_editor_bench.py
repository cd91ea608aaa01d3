"""The web editor's speed in a real browser (issue 13's budgets): first render of a
200-node flow after the page loads (<= 1 s), a keystroke in a config field to the
updated badge on the canvas (<= 150 ms), and frames while dragging a node on a
500-node flow (median < 33 ms).

    python -m bench.web_editor_bench [--runs N]

Generates the flows (bench/genflow.py) into a temporary workspace, starts ``nodeforge
serve`` on it, runs ``bench/web_editor_bench.mjs`` (playwright-core from web/editor,
Debian's chromium) and prints the figures as JSON. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.genflow import generate_text

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    token = "bench-" + os.urandom(8).hex()
    load_before = [round(x, 1) for x in os.getloadavg()]  # the machine may be shared
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        flows = {}
        for n in (200, 500):
            path = ws / f"big{n}.flow.json"
            path.write_text(generate_text(n), encoding="utf-8")
            flows[n] = path.as_uri()
        server = subprocess.Popen(
            [sys.executable, "-m", "nodeforge", "serve", str(ws), "--addr", "127.0.0.1:0"],
            env={**os.environ, "NODEFORGE_WS_TOKEN": token},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            found = re.search(r"(http://127\.0\.0\.1:\d+/)", server.stdout.readline())
            if not found:
                print("nodeforge serve did not start", file=sys.stderr)
                return 1
            done = subprocess.run(
                ["node", str(ROOT / "bench" / "web_editor_bench.mjs")],
                env={
                    **os.environ,
                    "BENCH_URL": f"{found.group(1)}?token={token}",
                    "BENCH_FLOW200": flows[200],
                    "BENCH_FLOW500": flows[500],
                    "BENCH_RUNS": str(args.runs),
                },
                capture_output=True,
                text=True,
                timeout=900,
            )
        finally:
            server.terminate()
            server.wait(20)
    if done.returncode != 0:
        print(done.stdout, done.stderr, file=sys.stderr)
        return done.returncode
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["load"] = {"before": load_before, "after": [round(x, 1) for x in os.getloadavg()]}
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
