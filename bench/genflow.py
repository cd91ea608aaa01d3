"""Generate large, realistic flow files for benchmarks.

``python -m bench.genflow 1000 > big.flow.json`` (or :func:`generate_flow`) writes a
flow of ``n`` nodes built from catalog node types: one manual trigger, then chains
of ``data/set``, ``flow/if`` and ``util/log`` nodes wired in order, with about 1%
deliberate errors (an unknown field in an expression, a misspelled node type, a
dangling connection) so that diagnostics have work to do.
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any


def generate_flow(
    n: int, *, seed: int = 7, error_rate: float = 0.01, varied: bool = False
) -> dict[str, Any]:
    """A flow document (as plain data) with ``n`` nodes and about ``error_rate`` errors.
    ``varied``: every expression and message holds the node's number, so that no two
    nodes share a source (work shared between equal expressions then does not help)."""
    rng = random.Random(seed)
    nodes: list[dict[str, Any]] = [
        {
            "id": "start",
            "type": "trigger/manual",
            "version": "1.0.0",
            "title": "Start",
            "position": {"x": 0, "y": 0},
            "config": {
                "input_schema": {
                    "type": "object",
                    "required": ["customer", "total"],
                    "properties": {
                        "customer": {"type": "string"},
                        "total": {"type": "number"},
                        "items": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
        }
    ]
    connections: list[dict[str, str]] = []
    previous = "start.out"
    for i in range(1, n):
        node_id = f"n{i}"
        kind = i % 3
        broken = rng.random() < error_rate
        if kind == 0:
            node: dict[str, Any] = {
                "id": node_id,
                "type": "data/set",
                "version": "1.0.0",
                "config": {
                    "values": {
                        f"f{i}": (f"input.total * {i if varied else 2}")
                        if not broken
                        else "input.totl"
                    }
                },
            }
            out = f"{node_id}.out"
        elif kind == 1:
            node = {
                "id": node_id,
                "type": "flow/if" if not broken else "flow/iff",
                "version": "1.0.0",
                "config": {"condition": f"input.total > {i if varied else 100}"},
            }
            out = f"{node_id}.true"
        else:
            node = {
                "id": node_id,
                "type": "util/log",
                "version": "1.0.0",
                "config": {
                    "level": "info",
                    "message": "customer {{ input.customer }}" + (f" #{i}" if varied else ""),
                },
            }
            out = f"{node_id}.out"
        node["position"] = {"x": 250 * (i % 40), "y": 120 * (i // 40)}
        nodes.append(node)
        connections.append({"from": previous, "to": f"{node_id}.in"})
        if broken and kind == 2:
            connections.append({"from": previous, "to": f"missing_{i}.in"})
        previous = out
    return {
        "nodeforge": "1",
        "id": f"generated_{n}",
        "name": f"Generated flow with {n} nodes",
        "nodes": nodes,
        "connections": connections,
    }


def generate_text(n: int, *, seed: int = 7, error_rate: float = 0.01) -> str:
    return json.dumps(generate_flow(n, seed=seed, error_rate=error_rate), indent=2) + "\n"


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1000
    sys.stdout.write(generate_text(n))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
