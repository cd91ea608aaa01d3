"""Nodeforge's analysis against VS Code's JSON validation on the same flow files.

    python -m bench.jsonls_bench              # 1,000 and 5,000 nodes
    python -m bench.jsonls_bench 1000 -r 15   # one size, more runs

The anchor is vscode-json-languageservice (pinned in ``bench/jsonls/package.json``;
``npm ci`` there on first use), parsing and validating each file against three schemas
written by ``nodeforge schema``: the structure only, ``--catalog`` (``oneOf``: every
node's config by type and version) and ``--catalog --style if-then``. Each file is
associated with its schema the way an editor does it: by ``fileMatch`` against its
absolute ``file:///`` URI. The benchmark makes sure the schema really applies: a broken
document (a config with an unknown key, a node of an unknown type) must get
diagnostics from both catalog schemas, and so must the generated flows (their ~1%
errors include misspelled node types), or the run stops.

Figures (medians over the runs, ms):

- in-process: one ``parseJSONDocument`` + ``doValidation`` in a warm Node.js process
  (the schema already resolved), against one ``analyze()`` of Nodeforge in this process
  with cold expression and schema caches (nothing learnt from the same text before);
- whole-process: ``node validate.mjs`` (start, load, resolve the schema, one
  validation) against ``nodeforge check FILE``, each a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.genflow import generate_text
from nodeforge.analysis import types as nf_types
from nodeforge.analysis.catalog_schema import flow_schema_with_catalog
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.expressions import parser as expr_parser
from nodeforge.analysis.model import flow_json_schema
from nodeforge.analysis.workspace import load_workspace

HERE = Path(__file__).resolve().parent
JSONLS = HERE / "jsonls"
OUT = HERE / "out" / "jsonls"
SCHEMAS = ("structure", "oneOf", "if-then")


def ensure_node_modules() -> None:
    if (JSONLS / "node_modules" / "vscode-json-languageservice").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("jsonls_bench: npm is needed (scripts/setup installs Node.js)")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JSONLS, check=True
    )


def write_schemas() -> dict[str, Path]:
    catalog = load_workspace(None).catalog.all()
    schemas: dict[str, Any] = {
        "structure": flow_json_schema(),
        "oneOf": flow_schema_with_catalog(catalog, style="oneOf"),
        "if-then": flow_schema_with_catalog(catalog, style="if-then"),
    }
    paths = {}
    for name, schema in schemas.items():
        path = OUT / f"{name}.schema.json"
        path.write_text(json.dumps(schema), encoding="utf-8")
        paths[name] = path
    return paths


def broken_document() -> str:
    doc = json.loads(generate_text(10, error_rate=0.0))
    log = next(n for n in doc["nodes"] if n["type"] == "util/log")
    log["config"]["colour"] = "red"  # not a util/log config key
    doc["nodes"].append({"id": "odd", "type": "data/nothing", "version": "1.0.0", "config": {}})
    return json.dumps(doc, indent=2) + "\n"


def jsonls(schema: Path, files: list[Path], runs: int) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("jsonls_bench: node is needed")
    proc = subprocess.run(
        [node, "validate.mjs", "--schema", str(schema), "--runs", str(runs), *map(str, files)],
        cwd=JSONLS,
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def user_env() -> dict[str, str]:
    """The environment a user's shell gives: byte code cached (a session that sets
    PYTHONDONTWRITEBYTECODE would recompile every module on every start)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wall_ms(argv: list[str], runs: int, cwd: Path | None = None) -> list[float]:
    """Wall time of ``runs`` fresh processes, after one unmeasured warm-up run."""
    times = []
    env = user_env()
    subprocess.run(argv, cwd=cwd, capture_output=True, check=False, env=env)
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=False, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return times


def nodeforge_in_process(text: str, runs: int) -> list[float]:
    workspace = load_workspace(None)
    analyze(text, workspace=workspace)  # warm the catalog's compiled validators
    times = []
    for _ in range(runs):
        expr_parser.parse.cache_clear()
        nf_types.clear_schema_cache()
        start = time.perf_counter()
        analyze(text, workspace=workspace)
        times.append((time.perf_counter() - start) * 1000)
    return times


def fmt(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:.0f} ({min(values):.0f}-{max(values):.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("-r", "--runs", type=int, default=9, help="in-process runs")
    parser.add_argument("-p", "--process-runs", type=int, default=5, help="whole-process runs")
    args = parser.parse_args(argv)
    ensure_node_modules()
    OUT.mkdir(parents=True, exist_ok=True)
    schemas = write_schemas()
    broken = OUT / "broken.flow.json"
    broken.write_text(broken_document(), encoding="utf-8")
    flows = {}
    for n in args.sizes:
        path = OUT / f"generated_{n}.flow.json"
        path.write_text(generate_text(n), encoding="utf-8")
        flows[n] = path

    # The schema must really apply: diagnostics on the broken document and on the
    # generated flows (misspelled node types) with both catalog schemas.
    for name in ("oneOf", "if-then"):
        for result in jsonls(schemas[name], [broken, *flows.values()], 0):
            if result["diagnostics"] == 0:
                raise SystemExit(
                    f"jsonls_bench: the {name} schema did not apply to {result['uri']}"
                )
    nf_broken = analyze(broken.read_text(), workspace=load_workspace(None))
    assert nf_broken.diagnostics, "Nodeforge found nothing wrong in the broken document"

    load = os.getloadavg()
    print(
        f"# {platform.node()} ({os.cpu_count()} cores), Python {platform.python_version()}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    print("median (min-max) ms; diagnostics found in brackets")
    for n, path in flows.items():
        text = path.read_text()
        print(f"\n## {n} nodes ({len(text.encode()) / 1024:.0f} KB)")
        for name in SCHEMAS:
            (res,) = jsonls(schemas[name], [path], args.runs)
            print(f"jsonls {name:>9} in-process: {fmt(res['ms'])} [{res['diagnostics']}]")
        nf = nodeforge_in_process(text, args.runs)
        count = len(analyze(text, workspace=load_workspace(None)).diagnostics)
        print(f"nodeforge analyze() in-process: {fmt(nf)} [{count}]")
        node = shutil.which("node") or "node"
        for name in SCHEMAS:
            argv_js = [
                node,
                "validate.mjs",
                "--schema",
                str(schemas[name]),
                "--runs",
                "0",
                str(path),
            ]
            print(
                f"jsonls {name:>9} whole process: {fmt(wall_ms(argv_js, args.process_runs, JSONLS))}"
            )
        argv_nf = [sys.executable, "-m", "nodeforge", "check", str(path)]
        print(f"nodeforge check whole process: {fmt(wall_ms(argv_nf, args.process_runs))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
