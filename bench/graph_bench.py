"""Benchmark the graph view (``nodeforge/graph``) on generated flows.

    python -m bench.graph_bench               # 1,000 and 5,000 nodes
    python -m bench.graph_bench 1000 -r 30    # one size, more repeats

For each size it reports medians (ms), on an analysis already made (the request joins
the one the server has), of: the view with every node positioned in the file; the view
of the same flow without positions (the automatic layout included); and the whole
answer as the server sends it (the view converted to JSON with UTF-16 ranges, without
positions); and the first view built on a fresh full analysis (which also expands
the parts of the JSON tree the view reads; after an edit, the server's incremental
analysis keeps the unchanged nodes' trees, so later requests cost like the others).

Then, after a one-node edit (a character typed into one node's message, in the middle
of the positioned flow, re-analysed incrementally as the server does): the view built
with the document's memo (``GraphMemo``: unchanged nodes' ports reused), the answer
relative to the previous one as sent (view with the memo, conversion of what changed,
JSON encoding) and its size, against the whole answer on the same analysis; in CPU
time of this process (``time.process_time``), which a shared, loaded machine inflates
far less than the wall clock.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.genflow import generate_flow
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.ide import GraphMemo, graph_view
from nodeforge.analysis.text import PositionEncoding
from nodeforge.analysis.workspace import load_workspace
from nodeforge.server.convert import lsp_graph, lsp_graph_answer


def median_ms(
    run: Callable[[Analysis], object], make: Callable[[], Analysis], repeats: int
) -> float:
    times = []
    for _ in range(repeats):
        analysis = make()
        gc.collect()
        gc.freeze()  # as the server does once an analysis is published (server/idlegc.py)
        start = time.perf_counter()
        run(analysis)
        times.append((time.perf_counter() - start) * 1000)
        gc.unfreeze()
    return statistics.median(times)


def texts(n: int) -> tuple[str, str]:
    """The generated flow with a position on every node, and without any."""
    flow = generate_flow(n)
    for i, node in enumerate(flow["nodes"]):
        node["position"] = {"x": 310 * (i % 40), "y": 140 * (i // 40)}
    placed = json.dumps(flow, indent=2)
    for node in flow["nodes"]:
        node.pop("position")
    return placed, json.dumps(flow, indent=2)


def answer(analysis: Analysis) -> str:
    view = graph_view(analysis)
    return json.dumps(lsp_graph(view, analysis.document.lines, PositionEncoding.UTF16))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("-r", "--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    workspace = load_workspace(None)
    edits: list[tuple[int, tuple[float, float, int, float, int]]] = []
    print(f"python {platform.python_version()}, {platform.machine()}")
    print(
        f"{'nodes':>6} {'positioned':>11} {'laid out':>9} {'answer':>8} {'first':>7}  (median ms)"
    )
    for n in args.sizes:
        placed, bare = texts(n)

        def fresh(text: str, warm: bool = True) -> Callable[[], Analysis]:
            def make() -> Analysis:
                analysis = analyze(text, "file:///bench.flow.json", 1, workspace)
                if warm:
                    graph_view(analysis)  # the first build expands what the view reads
                return analysis

            return make

        with_positions = median_ms(graph_view, fresh(placed), args.repeats)
        laid_out = median_ms(graph_view, fresh(bare), args.repeats)
        whole = median_ms(answer, fresh(bare), args.repeats)

        first = median_ms(graph_view, fresh(bare, warm=False), args.repeats)
        print(f"{n:>6} {with_positions:>11.1f} {laid_out:>9.1f} {whole:>8.1f} {first:>7.1f}")
        edits.append((n, one_node_edits(placed, workspace, args.repeats)))
    print()
    print("after a one-node edit (median CPU ms):")
    print(f"{'nodes':>6} {'view+memo':>10} {'relative':>9} {'bytes':>7} {'whole':>7} {'bytes':>9}")
    for n, (memo_view, relative, size, whole, whole_size) in edits:
        print(f"{n:>6} {memo_view:>10.1f} {relative:>9.1f} {size:>7} {whole:>7.1f} {whole_size:>9}")
    return 0


def one_node_edits(text: str, workspace: Any, repeats: int) -> tuple[float, float, int, float, int]:
    """Medians of the view with the memo, the relative answer, the whole answer (ms) and
    the sizes of both answers, over ``repeats`` edits typed into one node's message."""
    at = text.index('"customer {{ input.customer }}"', len(text) // 2) + 1
    texts = [text[:at] + "!" + text[at:], text]
    uri = "file:///bench.flow.json"
    analysis = analyze(text, uri, 1, workspace)
    memo = GraphMemo()
    utf16 = PositionEncoding.UTF16
    _, sent = lsp_graph_answer(graph_view(analysis, memo=memo), analysis.document.lines, utf16)
    views, relatives, wholes = [], [], []
    size = whole_size = 0
    for i in range(repeats):
        analysis = analyze(texts[i % 2], uri, i + 2, workspace, previous=analysis)
        lines = analysis.document.lines
        gc.collect()
        gc.freeze()
        start = time.process_time()
        view = graph_view(analysis, memo=memo)
        views.append((time.process_time() - start) * 1000)
        answer, signatures = lsp_graph_answer(view, lines, utf16, sent)
        size = len(json.dumps(answer))
        relatives.append((time.process_time() - start) * 1000)
        start = time.process_time()
        whole_size = len(json.dumps(lsp_graph(graph_view(analysis), lines, utf16)))
        wholes.append((time.process_time() - start) * 1000)
        gc.unfreeze()
        sent = signatures
    return (
        statistics.median(views),
        statistics.median(relatives),
        size,
        statistics.median(wholes),
        whole_size,
    )


if __name__ == "__main__":
    raise SystemExit(main())
