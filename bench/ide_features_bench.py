"""Latency of the structural editor features (issue 19) on big flows.

    python -m bench.ide_features_bench                 # 1,000 and 5,000 nodes
    python -m bench.ide_features_bench --sizes 5000 -r 20

Each feature runs as the server runs it on a worker thread: the ``analysis/ide``
function and the conversion to LSP (``server/convert.py``, UTF-16), on the
analysis of a flow from ``bench.genflow`` (json.dumps layout: every node spans
many lines). Every sample starts from a *fresh* analysis of the text (not timed),
so the lazily expanded JSON tree is cold, as after opening the file; a client
editing the flow gets the incremental analysis, which keeps the untouched nodes
expanded and so answers at most this slowly. "visible" means a 60-line range in
the middle of the file: what a client asks for inlay hints and range semantic
tokens. Reported: median and worst of the samples, in ms.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.genflow import generate_text
from nodeforge.analysis import ide
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.text import PositionEncoding, Span
from nodeforge.analysis.workspace import load_workspace
from nodeforge.server import convert

UTF16 = PositionEncoding.UTF16


def features(text: str) -> dict[str, Callable[[Analysis], Any]]:
    """Each feature with its conversion, at places in the middle of the file."""
    middle = len(text) // 2
    node_id = text.index('"id": "n', middle) + len('"id": "')
    expression = text.index("input.total", middle) + len("input.to")
    first_line = text.count("\n", 0, middle)

    def visible(a: Analysis) -> Span:
        lines = a.document.lines
        return Span(lines.line_starts[first_line], lines.line_starts[first_line + 60])

    def lines(a: Analysis) -> Any:
        return a.document.lines

    return {
        "folding ranges": lambda a: [
            convert.lsp_folding_range(f) for f in ide.folding_ranges(a.document.text)
        ],
        "selection range (expression)": lambda a: convert.lsp_selection_range(
            ide.selection_range(a, expression), lines(a), UTF16
        ),
        "document highlight (node id)": lambda a: [
            convert.lsp_document_highlight(h, lines(a), UTF16)
            for h in ide.document_highlights(a, node_id)
        ],
        "document links": lambda a: [
            convert.lsp_document_link(k, lines(a), UTF16) for k in ide.document_links(a)
        ],
        "inlay hints, visible": lambda a: [
            convert.lsp_inlay_hint(h, lines(a), UTF16) for h in ide.inlay_hints(a, visible(a))
        ],
        "inlay hints, whole file": lambda a: [
            convert.lsp_inlay_hint(h, lines(a), UTF16) for h in ide.inlay_hints(a)
        ],
        "semantic tokens, range (visible)": lambda a: convert.lsp_semantic_tokens(
            ide.semantic_tokens(a, visible(a)), lines(a), UTF16
        ),
        "semantic tokens, full": lambda a: convert.lsp_semantic_tokens(
            ide.semantic_tokens(a), lines(a), UTF16
        ),
        "range formatting (one node)": lambda a: convert.lsp_text_edits(
            ide.format_range(a.document, Span(node_id, node_id)), lines(a), UTF16
        ),
    }


def bench_size(nodes: int, repeats: int) -> dict[str, tuple[float, float]]:
    text = generate_text(nodes)
    workspace = load_workspace(None)
    analyze(text, "file:///bench.flow.json", 1, workspace)  # warm the caches
    out: dict[str, tuple[float, float]] = {}
    for name, run in features(text).items():
        samples = []
        for _ in range(repeats):
            analysis = analyze(text, "file:///bench.flow.json", 1, workspace)
            gc.collect()
            start = time.perf_counter()
            run(analysis)
            samples.append((time.perf_counter() - start) * 1000)
        out[name] = (statistics.median(samples), max(samples))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("-r", "--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    results = {n: bench_size(n, args.repeats) for n in args.sizes}
    print(f"Python {platform.python_version()}, {args.repeats} samples per cell (median / worst)")
    header = "| feature | " + " | ".join(f"{n:,} nodes" for n in args.sizes) + " |"
    print(header)
    print("| --- |" + " --- |" * len(args.sizes))
    for name in next(iter(results.values())):
        cells = [f"{results[n][name][0]:.1f} / {results[n][name][1]:.1f}" for n in args.sizes]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
