"""Code generation speed: generating a 1,000-node flow, and a warm rebuild after a one-node
edit of a 50-node flow (docs/benchmarks.md, "Generated code").

    python -m bench.codegen_bench [--write-docs]

Targets (issue 4): codegen of a 1,000-node flow at most 200 ms; a warm rebuild after a
one-node edit of a 50-node flow at most 1.5 s. Issue 15 item 5: generation of a 1,000-node
flow after its analysis at most 100 ms in-process, ``nodeforge generate`` whole-process
at most 2x that.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.genflow import generate_flow

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Generated code"


def _workspace(folder: Path, flow: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nodeforge.toml").write_text('[project]\nname = "bench"\n')
    (folder / "big.flow.json").write_text(json.dumps(flow, indent=2))
    return folder


# gofmt's output and compiled templates are kept by content (codegen/gofmtcache.py,
# codegen/templatecache.py): repeated generations of one flow hit them. With these set,
# every generation formats and compiles anew, as the first one after a change would.
CACHES_OFF = {"NODEFORGE_GOFMT_CACHE": "0", "NODEFORGE_TEMPLATE_CACHE": "0"}


@contextlib.contextmanager
def _environment(extra: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def codegen_time(n: int, repeat: int = 5, *, caches: bool = True) -> dict[str, float]:
    """Analysis + Go generation (gofmt included) of an n-node flow, in ms; ``caches``
    False turns off the gofmt and template caches (:data:`CACHES_OFF`)."""
    from nodeforge.analysis.engine import analyze
    from nodeforge.analysis.workspace import load_workspace
    from nodeforge.codegen.module import collect_flows, generate_module

    with tempfile.TemporaryDirectory() as tmp, _environment({} if caches else CACHES_OFF):
        ws = _workspace(Path(tmp), generate_flow(n, error_rate=0.0))
        root, flows = collect_flows(ws)
        workspace = load_workspace(root)
        totals, analysis, generation, generation_cpu = [], [], [], []
        for _ in range(repeat):
            c0, t0 = _cpu(), time.perf_counter()
            analyze(flows[0].text, flows[0].path.as_uri(), None, workspace)
            c1, t1 = _cpu(), time.perf_counter()
            module = generate_module(root, flows)
            c2, t2 = _cpu(), time.perf_counter()
            assert module.ok, module.diagnostics
            analysis.append((t1 - t0) * 1000)
            totals.append((t2 - t1) * 1000)
            # generate_module analyses the flow again: generation is the rest
            generation.append(((t2 - t1) - (t1 - t0)) * 1000)
            generation_cpu.append(((c2 - c1) - (c1 - c0)) * 1000)
    return {
        "nodes": n,
        "generate_ms": statistics.median(totals),
        "analysis_ms": statistics.median(analysis),
        "generation_ms": statistics.median(generation),
        "generation_cpu_ms": statistics.median(generation_cpu),
    }


def _cpu() -> float:
    """CPU seconds of this process and its finished children (gofmt), user + system."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def generate_process_time(n: int, repeat: int = 5, *, caches: bool = True) -> dict[str, float]:
    """Wall and CPU time (user + system) of the whole ``nodeforge generate WORKSPACE -o
    DIR`` process (interpreter start, imports, workspace, analysis, generation, gofmt,
    writing) on an n-node flow, medians of ``repeat`` runs after one warm-up, in ms
    (``caches``: as for :func:`codegen_time`). As a shell runs it: without
    ``PYTHONDONTWRITEBYTECODE`` (with it, every changed module is compiled at each start)."""
    import resource
    import shutil
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        ws = _workspace(Path(tmp) / "ws", generate_flow(n, error_rate=0.0))
        exe = shutil.which("nodeforge")  # what a user runs; else the same through -m
        cmd = [exe] if exe else [sys.executable, "-m", "nodeforge"]
        cmd += ["generate", str(ws), "-o", str(Path(tmp) / "gen")]
        env = {**os.environ, **({} if caches else CACHES_OFF)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # The command in its own process: bench/daemon_bench.py measures it through the
        # command daemon too.
        env["NODEFORGE_DAEMON"] = "0"
        walls, cpus = [], []
        for i in range(repeat + 1):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            wall = (time.perf_counter() - t0) * 1000
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000
            if i:  # the first run also fills the OS's file cache
                walls.append(wall)
                cpus.append(cpu)
    return {"wall_ms": statistics.median(walls), "cpu_ms": statistics.median(cpus)}


def warm_rebuild(n: int = 50) -> dict[str, float]:
    """Build an n-node flow, edit one node, rebuild: seconds for each step."""
    from nodeforge.codegen.build import build

    with tempfile.TemporaryDirectory() as tmp:
        flow = generate_flow(n, error_rate=0.0)
        ws = _workspace(Path(tmp) / "ws", flow)
        t0 = time.perf_counter()
        first = build(ws)
        cold = time.perf_counter() - t0
        assert first.ok, first.output
        t0 = time.perf_counter()
        again = build(ws)  # nothing changed
        noop = time.perf_counter() - t0
        edited = next(nd for nd in flow["nodes"] if nd["type"] == "data/set")
        key = next(iter(edited["config"]["values"]))
        edited["config"]["values"][key] = "input.total * 3"
        (ws / "big.flow.json").write_text(json.dumps(flow, indent=2))
        t0 = time.perf_counter()
        rebuilt = build(ws)
        warm = time.perf_counter() - t0
        assert again.ok and rebuilt.ok and rebuilt.written, rebuilt.written
        size = rebuilt.binary.stat().st_size if rebuilt.binary else 0
    return {
        "nodes": n,
        "first_build_s": cold,
        "noop_build_s": noop,
        "one_node_edit_rebuild_s": warm,
        "files_rewritten": len(rebuilt.written),
        "binary_mb": size / 1e6,
    }


def write_docs_section(part: str, text: str) -> None:
    """Replace the ``<!-- part -->`` block of docs/benchmarks.md's "Generated code" section
    (creating the file or section if needed); other sections are left alone."""
    doc = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if SECTION not in doc:
        doc = (
            doc.rstrip("\n")
            + f"\n\n{SECTION}\n\nMeasured by `python -m bench.http_bench` and `python -m bench.codegen_bench`.\n"
        )
    start, end = f"<!-- {part}:start -->", f"<!-- {part}:end -->"
    block = f"{start}\n{text.strip()}\n{end}"
    head, _, rest = doc.partition(SECTION)
    nxt = re.search(r"^## ", rest, flags=re.M)
    body, tail = (rest[: nxt.start()], rest[nxt.start() :]) if nxt else (rest, "")
    if start in body:
        body = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, body, flags=re.S)
    else:
        body = body.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.write_text(
        head + SECTION + body + ("\n" + tail if tail and not body.endswith("\n\n") else tail)
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    big = codegen_time(1000)
    print(
        f"codegen of a {big['nodes']}-node flow: {big['generate_ms']:.0f} ms "
        f"(analysis before it: {big['analysis_ms']:.0f} ms; generation after analysis "
        f"{big['generation_ms']:.0f} ms, CPU {big['generation_cpu_ms']:.0f} ms)"
    )
    proc = generate_process_time(1000)
    whole = proc["wall_ms"]
    print(
        f"`nodeforge generate` of the {big['nodes']}-node flow, whole process: {whole:.0f} ms "
        f"(CPU {proc['cpu_ms']:.0f} ms)"
    )
    cold = codegen_time(1000, caches=False)
    proc_cold = generate_process_time(1000, caches=False)
    whole_cold = proc_cold["wall_ms"]
    print(
        f"with the gofmt and template caches off: generation after analysis "
        f"{cold['generation_ms']:.0f} ms (CPU {cold['generation_cpu_ms']:.0f} ms), "
        f"whole process {whole_cold:.0f} ms (CPU {proc_cold['cpu_ms']:.0f} ms)"
    )
    mid = codegen_time(50)
    rb = warm_rebuild(50)
    print(
        f"50-node flow: first build {rb['first_build_s']:.2f}s, no-op {rb['noop_build_s']:.2f}s, "
        f"one-node edit rebuild {rb['one_node_edit_rebuild_s']:.2f}s "
        f"({rb['files_rewritten']} files rewritten), binary {rb['binary_mb']:.1f} MB"
    )
    table = "\n".join(
        [
            "Code generation and builds (`python -m bench.codegen_bench`, median of 5 for "
            f"codegen; load average {os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} cores):",
            "",
            "| measure | result | target |",
            "| --- | ---: | ---: |",
            f"| analyse and generate Go for a 1,000-node flow (gofmt included), in-process | {big['generate_ms']:.0f} ms | 100 ms |",
            f"| of which analysis | {big['analysis_ms']:.0f} ms | |",
            f"| generation after analysis (gofmt where needed included), in-process | {big['generation_ms']:.0f} ms | 100 ms |",
            f"| its CPU time (the process and its gofmt runs) | {big['generation_cpu_ms']:.0f} ms | |",
            f"| `nodeforge generate` of that flow, whole process | {whole:.0f} ms | 200 ms |",
            f"| its CPU time | {proc['cpu_ms']:.0f} ms | |",
            f"| generation after analysis, gofmt and template caches off | {cold['generation_ms']:.0f} ms | |",
            f"| its CPU time | {cold['generation_cpu_ms']:.0f} ms | |",
            f"| `nodeforge generate`, whole process, caches off | {whole_cold:.0f} ms | |",
            f"| analyse and generate Go for a 50-node flow | {mid['generate_ms']:.0f} ms | |",
            f"| warm rebuild after a one-node edit of a 50-node flow | {rb['one_node_edit_rebuild_s']:.2f} s | 1.5 s |",
            f"| no-op rebuild (nothing changed) | {rb['noop_build_s']:.2f} s | |",
            f"| binary of the 50-node flow | {rb['binary_mb']:.1f} MB | |",
        ]
    )
    print(table)
    if args.write_docs:
        write_docs_section("codegen", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
