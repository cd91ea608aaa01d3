"""Benchmark full and incremental analysis on generated flows (issue: foundation).

    python -m bench.analysis_bench            # 100, 1,000 and 5,000 nodes
    python -m bench.analysis_bench 1000 -r 30 # one size, more repeats

For each size it reports medians (ms) of: stdlib ``json.loads``; a plain
``jsonschema`` validation of the whole document against the flow file schema plus
every node's config schema (what a generic schema-driven tool does); Nodeforge's
full analysis (parse and all rules) on a fresh engine and with warm expression and
schema caches; and re-analysis after a one-node edit given the previous analysis
(as the language server does on ``didChange``), and after the canvas' gestures one at
a time: dropping a node, wiring it, removing the wire, removing the node (incrementally
too).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import jsonschema

from bench.genflow import generate_text
from nodeforge.analysis import types as nf_types
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.expressions import parser as expr_parser
from nodeforge.analysis.model import flow_json_schema
from nodeforge.analysis.workspace import load_workspace

#: What the figures measure: wall time, or with ``--cpu`` this process' CPU time (user
#: + system), which a loaded machine inflates far less.
CLOCK: list[Callable[[], float]] = [time.perf_counter]


def median_ms(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = CLOCK[0]()
        run()
        times.append((CLOCK[0]() - start) * 1000)
    return statistics.median(times)


def plain_jsonschema(text: str) -> None:
    """A whole-document jsonschema validation, as a generic tool would run it."""
    workspace = load_workspace(None)
    document = json.loads(text)
    jsonschema.Draft202012Validator(flow_json_schema()).is_valid(document)
    for node in document["nodes"]:
        manifest = workspace.catalog.get(node["type"], node["version"])
        if manifest is not None:
            jsonschema.Draft202012Validator(manifest.config_schema).is_valid(node["config"])


def edits(text: str, count: int) -> list[str]:
    """Successive versions of ``text``, each changing one expression in one node."""
    versions, current = [], text
    needle = '"input.total * 2"'
    positions = [i for i in range(len(text)) if text.startswith(needle, i)]
    for k in range(count):
        at = positions[(k * 7919) % len(positions)]
        replacement = f'"input.total * {3 + k % 5}"'[: len(needle)].ljust(len(needle))
        replacement = replacement[:-1] + '"' if not replacement.endswith('"') else replacement
        current = current[:at] + replacement + current[at + len(needle) :]
        versions.append(current)
    return versions


_NODES_END = '\n  ],\n  "connections": ['
_CONNECTIONS_END = "\n  ]\n}"


def with_added_node(text: str, k: int) -> str:
    """``text`` plus one `util/log` node at the end of the nodes: a palette drop."""
    node = (
        f',\n    {{"id": "added_{k}", "type": "util/log", "version": "1.0.0", '
        f'"config": {{"level": "info", "message": "added {k}"}}}}'
    )
    at = text.index(_NODES_END)
    return text[:at] + node + text[at:]


def with_connection(text: str, k: int) -> str:
    """``text`` plus a connection into ``added_k`` from a node of the chain: a wire."""
    link = f',\n    {{"from": "n{k % 50 * 3 + 2}.out", "to": "added_{k}.in"}}'
    at = text.rindex(_CONNECTIONS_END)
    return text[:at] + link + text[at:]


def add_remove_ms(text: str, workspace: Any, repeats: int) -> dict[str, float]:
    """Medians of re-analysing incrementally (the previous analysis given, as the server
    does on each ``didChange``) after the editor's gestures, one at a time: drop a node,
    wire it, remove the wire, remove the node."""
    times: dict[str, list[float]] = {
        "add a node": [],
        "add a connection": [],
        "remove a connection": [],
        "remove a node": [],
    }
    previous = analyze(text, workspace=workspace)
    for k in range(repeats):
        dropped = with_added_node(text, k)
        wired = with_connection(dropped, k)
        steps = zip(times.values(), (dropped, wired, dropped, text), strict=True)
        for bucket, version in steps:
            gc.collect()
            start = CLOCK[0]()
            previous = analyze(version, workspace=workspace, previous=previous)
            bucket.append((CLOCK[0]() - start) * 1000)
    wired = with_connection(with_added_node(text, 0), 0)
    fresh = analyze(wired, workspace=workspace)
    again = analyze(wired, workspace=workspace, previous=previous)
    assert [(d.code, d.span) for d in fresh.diagnostics] == [
        (d.code, d.span) for d in again.diagnostics
    ], "incremental and fresh analyses differ"
    return {name: statistics.median(values) for name, values in times.items()}


def bench(n: int, repeats: int) -> dict[str, float]:
    text = generate_text(n)
    workspace = load_workspace(None)
    results: dict[str, float] = {"kb": len(text.encode()) / 1024}
    results["json.loads"] = median_ms(lambda: json.loads(text), repeats)
    results["jsonschema"] = median_ms(lambda: plain_jsonschema(text), max(3, repeats // 4))

    def cold() -> Analysis:
        expr_parser.parse.cache_clear()
        nf_types.clear_schema_cache()
        return analyze(text, workspace=workspace)

    results["full (cold caches)"] = median_ms(cold, max(3, repeats // 2))
    results["full"] = median_ms(lambda: analyze(text, workspace=workspace), repeats)

    previous = analyze(text, workspace=workspace)
    versions = edits(text, repeats + 1)
    previous = analyze(versions[0], workspace=workspace, previous=previous)  # warms expansion
    times = []
    for version in versions[1:]:
        gc.collect()
        start = CLOCK[0]()
        current = analyze(version, workspace=workspace, previous=previous)
        times.append((CLOCK[0]() - start) * 1000)
        previous = current
    results["one-node edit"] = statistics.median(times)
    results.update(add_remove_ms(text, workspace, repeats))
    results["full / json.loads"] = results["full"] / results["json.loads"]
    results["jsonschema / full"] = results["jsonschema"] / results["full"]
    check = analyze(versions[-1], workspace=workspace)
    assert [d.code for d in check.diagnostics] == [d.code for d in previous.diagnostics]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 5000])
    parser.add_argument("-r", "--repeats", type=int, default=15)
    parser.add_argument("--cpu", action="store_true", help="CPU time instead of wall time")
    args = parser.parse_args()
    if args.cpu:
        CLOCK[0] = time.process_time
    print(
        f"# {platform.node()} {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"load {os.getloadavg()[0]:.1f}, {'CPU' if args.cpu else 'wall'} time"
    )
    header = None
    for n in args.sizes:
        results = bench(n, args.repeats)
        if header is None:
            header = ["nodes", *results]
            print("| " + " | ".join(header) + " |")
            print("|" + " --- |" * len(header))
        cells = [str(n), *(f"{v:.1f}" for v in results.values())]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
