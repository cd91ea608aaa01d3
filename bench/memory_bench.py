"""Memory an open document keeps in the language server, per byte of its text.

    python -m bench.memory_bench            # 1,000 and 5,000 nodes
    python -m bench.memory_bench 5000 --top 15
    python -m bench.memory_bench --owners   # what holds it: text, values, tree, facts, ...
    python -m bench.memory_bench --opened   # also a document just opened (not edited yet)

What the server keeps per open document is its newest text and that text's analysis
(parse tree, node facts, graph, diagnostics, the memo the next analysis reuses),
reached incrementally as in the editor: the document is analysed, then one node is
added and it is analysed again with the previous analysis, which is then dropped.
Measured with ``tracemalloc`` (Python allocations still alive after a garbage
collection, the text included), against the UTF-8 size of the text; ``--opened`` also
measures the first analysis alone, what a document opened and not edited yet keeps
(its memo holds what the first analysis found, not what an edit reused). Caches shared by
every document (the catalog, the expression and schema caches) are warmed first and
not counted. ``--top`` lists the source lines holding the most; ``--owners`` splits
what is kept by the part of the analysis that holds it (each object counted once, for
the first part listed that reaches it; the memo's part is split by kind of entry too).
The server also keeps each open document's
line table (``LineIndex``: its snapshot's, shared with the analysis); it is counted
apart, in the last column ("with lines").
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Iterable
from typing import Any

from bench.analysis_bench import with_added_node
from bench.genflow import generate_text
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.workspace import load_workspace

# Not walked into by ``--owners``: shared by every document, allocated before the count.
_SHARED = frozenset({"type", "module", "function", "code", "builtin_function_or_method"})
_SHARED_CLASSES = frozenset({"NodeManifest", "Workspace", "Catalog"})


def _walk(roots: Iterable[Any], seen: set[int]) -> tuple[int, int]:
    """(bytes, objects) allocated since ``tracemalloc`` started and reachable from
    ``roots`` through objects not in ``seen`` (which it extends)."""
    size = count = 0
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        name = type(obj).__name__
        if name in _SHARED or name in _SHARED_CLASSES:
            continue
        # Objects with a managed ``__dict__`` (plain classes) are not found by address:
        # walk through them anyway; what they hold is counted.
        if tracemalloc.get_object_traceback(obj) is not None:
            size += sys.getsizeof(obj)
            count += 1
        stack.extend(gc.get_referents(obj))
    return size, count


def owners(kept: Analysis) -> list[tuple[str, int, int]]:
    """(part, bytes, objects) of what ``kept`` holds, each object in the first part
    that reaches it, in this order."""
    doc = kept.document
    root = doc.parsed.root
    parts: list[tuple[str, list[Any]]] = [
        ("text", [doc.text]),
        ("decoded JSON values", [root.value if root is not None else None]),
        ("parse tree (JsonNode, Property, offsets)", [doc.parsed]),
        ("nodes (NodeInfo)", [doc.nodes]),
        ("connections (ConnectionInfo)", [doc._connections, doc._old_connections]),
        ("diagnostics", [kept.diagnostics]),
        ("graph", [kept.graph]),
        ("node facts", [kept.facts]),
        ("outputs, known nodes, environments", [kept.outputs, kept.known_nodes, kept._envs]),
        ("memo", [kept.memo]),
        ("the rest", [kept]),
    ]
    seen: set[int] = set()
    found = []
    for name, roots in parts:
        if name == "memo":  # by kind of entry, each in the order the analysis made it
            for kind, entries in kept.memo._entries.items():
                found.append((f"memo: {kind} ({len(entries):,})", *_walk([entries], seen)))
        found.append((name, *_walk(roots, seen)))
    return found


def measure(
    n: int, top: int = 0, by_owner: bool = False, opened: bool = False
) -> tuple[int, int, int]:
    """(bytes of text, bytes kept, bytes of the line table) for a generated flow of
    ``n`` nodes, edited once (``opened``: just opened, analysed once)."""
    workspace = load_workspace(None)
    analyze(generate_text(n), workspace=workspace)  # warm the shared caches
    gc.collect()
    tracemalloc.start(1)
    base = tracemalloc.get_traced_memory()[0]
    text = generate_text(n)
    kept = analyze(text, workspace=workspace)
    if not opened:
        text = with_added_node(text, 0)
        kept = analyze(text, workspace=workspace, previous=kept)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    if top:
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:top]:
            print(f"    {stat}")
    size = len(text.encode())
    if by_owner:
        for name, held, count in owners(kept):
            print(f"    {name:42s} {held / 1e6:6.2f} MB {held / size:5.2f}x {count:8,} objects")
    before_lines = tracemalloc.get_traced_memory()[0]
    _ = kept.document.lines.line_starts  # what the server's snapshot holds: built, kept
    lines = tracemalloc.get_traced_memory()[0] - before_lines
    tracemalloc.stop()
    assert kept.document.text is text
    return size, used, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--owners", action="store_true", help="split what is kept by owner")
    parser.add_argument(
        "--opened", action="store_true", help="also a document just opened, not edited yet"
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(
        f"# {platform.node()}, Python {platform.python_version()} ({sys.executable}), "
        f"load {load[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    for n in args.sizes:
        for opened in (True, False) if args.opened else (False,):
            size, used, lines = measure(n, args.top, args.owners, opened)
            print(
                f"{n} nodes{' (just opened)' if opened else ''}: text {size / 1e6:.2f} MB, "
                f"kept {used / 1e6:.1f} MB, {used / size:.1f}x the text; with lines "
                f"{(used + lines) / 1e6:.1f} MB, {(used + lines) / size:.1f}x",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
