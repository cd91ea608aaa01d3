"""Helpers to build small flows around one node, for node tests, benchmarks and the
hostile-code suite."""

from __future__ import annotations

import json
from typing import Any

from nodeforge.analysis.engine import Analysis, analyze


def code_node_flow(
    source: str,
    *,
    input_schema: dict[str, Any] | None = None,
    output_schema: dict[str, Any] | None = None,
    timeout_ms: int | None = None,
    node_id: str = "code",
) -> str:
    """The text of a flow: a manual trigger into one ``code/go`` node with ``source``."""
    config: dict[str, Any] = {
        "source": source,
        "input_schema": input_schema or {"type": "object"},
        "output_schema": output_schema or {"type": "object"},
    }
    if timeout_ms is not None:
        config["timeout_ms"] = timeout_ms
    flow = {
        "nodeforge": "1",
        "id": "node_test",
        "name": "node test",
        "nodes": [
            {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {"id": node_id, "type": "code/go", "version": "1.0.0", "config": config},
        ],
        "connections": [{"from": "start.out", "to": f"{node_id}.in"}],
    }
    return json.dumps(flow, indent=2)


def code_node_analysis(source: str, **kwargs: Any) -> Analysis:
    return analyze(code_node_flow(source, **kwargs), uri="file:///node_test.flow.json")
