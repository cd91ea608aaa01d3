"""Whole-process `nodeforge check` and `nodeforge generate`, in their own process and
handed to the command daemon (nodeforge/daemon.py), alternating run by run so that both
meet the same machine.

    python -m bench.daemon_bench            # 9 rounds
    python -m bench.daemon_bench -r 15 -n 1000

Each figure is the wall time of the ``nodeforge`` console script, from its start to its
exit, median (min-max) in ms, with the user's environment (PYTHONDONTWRITEBYTECODE
removed). Through the daemon, the work is done by the daemon's forked process, not the
client: CPU times of the client would not compare, so only wall times are given. The
daemon runs in a private socket folder, started before the first round and stopped after
the last; one unmeasured run of each command comes first (byte code, caches).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.genflow import generate_flow
from nodeforge import launch

ROOT = Path(__file__).resolve().parent.parent


def _script() -> str:
    exe = shutil.which("nodeforge", path=str(ROOT / ".venv" / "bin")) or shutil.which("nodeforge")
    if exe is None:
        raise SystemExit("no nodeforge console script: run ./scripts/setup")
    return exe


def _wall_ms(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, env=env, check=True, cwd=ROOT)
    return (time.perf_counter() - start) * 1000


def _figure(times: list[float]) -> str:
    return f"{statistics.median(times):.0f} ({min(times):.0f}-{max(times):.0f})"


def measure(rounds: int, nodes: int) -> list[tuple[str, list[float], list[float]]]:
    """(command, wall times in its own process, wall times through the daemon)."""
    exe = _script()
    with tempfile.TemporaryDirectory(prefix="nfbench-") as tmp:
        ws = Path(tmp) / "ws"
        ws.mkdir()
        (ws / "nodeforge.toml").write_text('[project]\nname = "bench"\n')
        flow = generate_flow(nodes, error_rate=0.0)
        (ws / "big.flow.json").write_text(json.dumps(flow, indent=2))
        commands = {
            "`nodeforge check` of one small example flow": [
                "check",
                "examples/tax_rate.flow.json",
            ],
            "`nodeforge check examples/` (9 flows)": ["check", "examples/"],
            "`nodeforge generate examples/` (9 flows, 76 nodes)": [
                "generate",
                "examples",
                "-o",
                str(Path(tmp) / "gen-examples"),
            ],
            f"`nodeforge generate` of a {nodes:,}-node flow": [
                "generate",
                str(ws),
                "-o",
                str(Path(tmp) / "gen"),
            ],
        }
        base = dict(os.environ)
        for name in ("PYTHONDONTWRITEBYTECODE", *launch.CI_VARIABLES):
            base.pop(name, None)
        folder = tempfile.mkdtemp(prefix="nfd-")
        alone = {**base, "NODEFORGE_DAEMON": "0"}
        served = {**base, "NODEFORGE_DAEMON": "1", "NODEFORGE_DAEMON_DIR": folder}
        try:
            subprocess.run([exe, "daemon", "start"], env=served, check=True, capture_output=True)
            results = []
            for name, args in commands.items():
                argv = [exe, *args]
                _wall_ms(argv, alone)
                _wall_ms(argv, served)
                own, through = [], []
                for _ in range(rounds):
                    own.append(_wall_ms(argv, alone))
                    through.append(_wall_ms(argv, served))
                results.append((name, own, through))
            status = subprocess.run(
                [exe, "daemon", "status"], env=served, check=True, capture_output=True, text=True
            )
            if "commands served" not in status.stdout:
                raise SystemExit(f"the daemon did not serve: {status.stdout}")
        finally:
            subprocess.run([exe, "daemon", "stop"], env=served, capture_output=True)
            shutil.rmtree(folder, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-r", "--rounds", type=int, default=9)
    ap.add_argument("-n", "--nodes", type=int, default=1000)
    args = ap.parse_args(argv)
    results = measure(args.rounds, args.nodes)
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores, {args.rounds} rounds")
    print("| command, whole process (wall, ms) | in its own process | through the daemon |")
    print("| --- | ---: | ---: |")
    for name, own, through in results:
        print(f"| {name} | {_figure(own)} | {_figure(through)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
