"""Memory an open document keeps in the language server, per byte of its text.

    python -m bench.memory_bench            # 1,000 and 5,000 nodes
    python -m bench.memory_bench 5000 --top 15

What the server keeps per open document is its newest text and that text's analysis
(parse tree, node facts, graph, diagnostics, the memo the next analysis reuses),
reached incrementally as in the editor: the document is analysed, then one node is
added and it is analysed again with the previous analysis, which is then dropped.
Measured with ``tracemalloc`` (Python allocations still alive after a garbage
collection, the text included), against the UTF-8 size of the text. Caches shared by
every document (the catalog, the expression and schema caches) are warmed first and
not counted. ``--top`` lists the source lines holding the most.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
import tracemalloc

from bench.analysis_bench import with_added_node
from bench.genflow import generate_text
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.workspace import load_workspace


def measure(n: int, top: int = 0) -> tuple[int, int]:
    """(bytes of text, bytes kept) for a generated flow of ``n`` nodes."""
    workspace = load_workspace(None)
    analyze(generate_text(n), workspace=workspace)  # warm the shared caches
    gc.collect()
    tracemalloc.start(1)
    base = tracemalloc.get_traced_memory()[0]
    text = generate_text(n)
    first = analyze(text, workspace=workspace)
    text = with_added_node(text, 0)
    kept = analyze(text, workspace=workspace, previous=first)
    del first
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    if top:
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:top]:
            print(f"    {stat}")
    tracemalloc.stop()
    assert kept.document.text is text
    return len(text.encode()), used


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(
        f"# {platform.node()}, Python {platform.python_version()} ({sys.executable}), "
        f"load {load[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    for n in args.sizes:
        size, used = measure(n, args.top)
        print(
            f"{n} nodes: text {size / 1e6:.2f} MB, kept {used / 1e6:.1f} MB, "
            f"{used / size:.1f}x the text",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
