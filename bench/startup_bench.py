"""Start-up: how long a user waits for a fresh process to answer.

    python -m bench.startup_bench        # 7 runs of each
    python -m bench.startup_bench -r 15

Each figure is the wall time of a fresh process, median (min-max) in ms, and its CPU
time (user + system: less sensitive to a loaded machine), after one unmeasured warm-up
run (byte code and the catalog cache written), with the user's
environment (PYTHONDONTWRITEBYTECODE removed: a shell does not set it):

- ``python -c pass``: the interpreter alone, the floor of every figure below;
- ``nodeforge check`` of one small example flow;
- ``nodeforge lsp --stdio``: process start to the ``initialize`` answer, and to the
  first ``publishDiagnostics`` of a small flow opened right after ``initialized``;
- in-process: loading the standard catalog checked (cache off) and from the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLOW = ROOT / "examples" / "tax_rate.flow.json"


def user_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NODEFORGE_DAEMON"] = "0"  # a fresh process: bench/daemon_bench.py has the daemon
    env.update(extra)
    return env


def _children_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def process_ms(argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system) of fresh processes."""
    env = user_env()
    subprocess.run(argv, capture_output=True, env=env, check=False, cwd=ROOT)
    times, cpu = [], []
    for _ in range(runs):
        start, used = time.perf_counter(), _children_cpu_ms()
        subprocess.run(argv, capture_output=True, env=env, check=False, cwd=ROOT)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append(_children_cpu_ms() - used)
    return times, cpu


def _process_cpu_ms(pid: int) -> float:
    """CPU time (user + system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _send(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    body = json.dumps(message).encode()
    assert proc.stdin is not None
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()


def _read(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    assert proc.stdout is not None
    length = 0
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the language server closed its output")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    data: dict[str, Any] = json.loads(proc.stdout.read(length))
    return data


def lsp_once() -> tuple[float, float, float]:
    """(ms to the initialize answer, ms to the first diagnostics of FLOW, CPU ms the
    server had used when it answered initialize)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nodeforge", "lsp", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=user_env(),
        cwd=ROOT,
    )
    try:
        root = (ROOT / "examples").as_uri()
        _send(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": root, "capabilities": {}},
            },
        )
        while _read(proc).get("id") != 1:
            pass
        initialized = (time.perf_counter() - start) * 1000
        cpu = _process_cpu_ms(proc.pid)
        _send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
        doc = {"uri": FLOW.as_uri(), "languageId": "json", "version": 1, "text": FLOW.read_text()}
        _send(
            proc,
            {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": doc}},
        )
        while True:
            msg = _read(proc)
            if msg.get("method") == "textDocument/publishDiagnostics":
                break
            if "id" in msg and "method" in msg:  # a request from the server: answer it
                _send(proc, {"jsonrpc": "2.0", "id": msg["id"], "result": None})
        diagnosed = (time.perf_counter() - start) * 1000
        _send(proc, {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
        _send(proc, {"jsonrpc": "2.0", "method": "exit", "params": None})
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return initialized, diagnosed, cpu


def catalog_ms(runs: int) -> tuple[list[float], list[float]]:
    code = (
        "import time;from nodeforge.analysis.catalog import Catalog;"
        "t=time.perf_counter();Catalog.load_standard();"
        "print((time.perf_counter()-t)*1000)"
    )
    out: tuple[list[float], list[float]] = ([], [])
    for cache, bucket in (("0", out[0]), ("1", out[1])):
        env = user_env(NODEFORGE_CATALOG_CACHE=cache)
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
        for _ in range(runs):
            proc = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            bucket.append(float(proc.stdout.strip()))
    return out


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--runs", type=int, default=7)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(
        f"# {platform.node()} ({os.cpu_count()} cores), Python {platform.python_version()} "
        f"({sys.executable}), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    print("median (min-max) ms")
    wall, cpu = process_ms([sys.executable, "-c", "pass"], args.runs)
    print(f"python -c pass: {fmt(wall)}, CPU {fmt(cpu)}")
    check = [sys.executable, "-m", "nodeforge", "check", str(FLOW)]
    wall, cpu = process_ms(check, args.runs)
    print(f"nodeforge check (one small flow): {fmt(wall)}, CPU {fmt(cpu)}")
    lsp_once()  # warm-up
    runs = [lsp_once() for _ in range(args.runs)]
    print(f"lsp: initialize answered: {fmt([r[0] for r in runs])}, CPU {fmt([r[2] for r in runs])}")
    print(f"lsp: first diagnostics of a small flow: {fmt([r[1] for r in runs])}")
    checked, cached = catalog_ms(args.runs)
    print(f"standard catalog, checked (cache off): {fmt(checked)}")
    print(f"standard catalog, from the cache: {fmt(cached)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
