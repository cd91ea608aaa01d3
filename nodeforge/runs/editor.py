"""Execution records in the editor, as plain data (no I/O, no protocol types): lenses
with each node's recent runs, the selected execution's data on hover, and its error as
an information diagnostic on the failing node. The server reads the records
(``server/runs_commands.py``) and converts these to LSP."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nodeforge.analysis.diagnostics import Diagnostic, Severity
from nodeforge.analysis.flow import FlowDocument, parse_endpoint
from nodeforge.analysis.ide.model import HoverResult, Lens
from nodeforge.analysis.text import Span

from .store import Execution, NodeLog

#: The code and LSP source of diagnostics that come from a recorded execution.
RUN_CODE = "run"
RUN_SOURCE = "nodeforge run"
LIST_COMMAND = "nodeforge.runs.list"
SELECT_COMMAND = "nodeforge.runs.select"
MAX_VALUE = 1200


@dataclass(frozen=True, slots=True)
class NodeStats:
    """A node's runs among the last executions of its flow."""

    node: str
    runs: int
    failed: int
    total_us: int
    last_level: str

    @property
    def mean_ms(self) -> float:
        return self.total_us / self.runs / 1000 if self.runs else 0.0


def node_stats(executions: Sequence[Execution]) -> dict[str, NodeStats]:
    """Per node: runs, failures, mean duration and the level of its newest run, over
    ``executions`` (with their node logs, newest first)."""
    acc: dict[str, list[Any]] = {}
    for ex in executions:
        for log in ex.nodes:
            a = acc.setdefault(log.node, [0, 0, 0, ""])
            a[0] += 1
            a[1] += log.level == "error"
            a[2] += log.duration_us
            if not a[3]:
                a[3] = log.level
    return {n: NodeStats(n, a[0], a[1], a[2], a[3]) for n, a in acc.items()}


def _duration(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def run_lenses(
    doc: FlowDocument, executions: Sequence[Execution], selected: Execution | None
) -> list[Lens]:
    """A lens over the flow (its last executions, the selected one) and one over each
    node that ran in them (runs, failures, mean duration)."""
    if not executions and selected is None:
        return []
    uri = doc.uri
    lenses: list[Lens] = []
    root = doc.span_of(())
    failed = sum(1 for e in executions if e.status == "failed")
    title = f"runs: {len(executions)} recent, {failed} failed"
    if executions:
        last = executions[0]
        title += f"; last {last.status} in {_duration(last.duration_us / 1000)}"
    lenses.append(Lens(Span(root.start, root.start), title, LIST_COMMAND, [{"uri": uri}]))
    if selected is not None:
        lenses.append(
            Lens(
                Span(root.start, root.start),
                f"selected run {selected.id[:8]} ({selected.status}): deselect",
                SELECT_COMMAND,
                [{"uri": uri, "id": None}],
            )
        )
    stats = node_stats(executions)
    for node in doc.nodes:
        if node.id is None or node.id not in stats:
            continue
        s = stats[node.id]
        span = doc.span_of(node.path)
        mark = "failed" if s.last_level == "error" else "ok"
        text = f"{mark} · {s.runs} run{'s' if s.runs != 1 else ''}"
        if s.failed:
            text += f", {s.failed} failed"
        text += f" · {_duration(s.mean_ms)} avg"
        lenses.append(Lens(Span(span.start, span.start), text, LIST_COMMAND, [{"uri": uri}]))
    return lenses


def run_diagnostics(doc: FlowDocument, selected: Execution | None) -> list[Diagnostic]:
    """The selected execution's error on the node that failed (information)."""
    if selected is None or selected.status != "failed":
        return []
    node = doc.node_by_id(selected.error_node) if selected.error_node else None
    span = doc.span_of(node.path) if node is not None else doc.span_of(())
    if node is not None:
        key = doc.key_span((*node.path, "id"))
        if key.end > key.start:
            span = doc.span_of((*node.path, "id"))
    where = f"node `{selected.error_node}`" if selected.error_node else "the flow"
    code = f" ({selected.error_code})" if selected.error_code else ""
    return [
        Diagnostic(
            RUN_CODE,
            f"run {selected.id} failed at {where}{code}: {selected.error}",
            Severity.INFO,
            span,
            data={"source": RUN_SOURCE, "execution": selected.id},
        )
    ]


def _value(v: Any) -> str:
    text = json.dumps(v, indent=2, ensure_ascii=False, sort_keys=False)
    if len(text) > MAX_VALUE:
        text = text[:MAX_VALUE] + "\n..."
    return "```json\n" + text + "\n```"


def _log_of(selected: Execution, node_id: str) -> list[NodeLog]:
    return [log for log in selected.nodes if log.node == node_id]


def run_hover(doc: FlowDocument, selected: Execution | None, offset: int) -> HoverResult | None:
    """On a node: what it took and gave in the selected execution; on a connection: the
    value that went along it."""
    if selected is None:
        return None
    head = f"**run {selected.id}** ({selected.status})"
    for node in doc.nodes:
        span = doc.span_of(node.path)
        if node.id is None or not (span.start <= offset < span.end):
            continue
        logs = _log_of(selected, node.id)
        if not logs:
            return HoverResult(f"{head}: node `{node.id}` did not run", span)
        log = logs[-1]
        parts = [
            f"{head}: node `{node.id}` {'failed' if log.level == 'error' else 'ran'} in "
            f"{_duration(log.duration_us / 1000)}" + (f" (x{len(logs)})" if len(logs) > 1 else "")
        ]
        if log.message:
            parts.append(f"error: {log.message}")
        if log.input is not None:
            parts.append("input:\n" + _value(log.input))
        if log.port:
            parts.append(f"output on `{log.port}`:\n" + _value(log.output))
        return HoverResult("\n\n".join(parts), span)
    for conn in doc.connections:
        span = doc.span_of(conn.path)
        if not (span.start <= offset < span.end) or conn.source is None:
            continue
        src = parse_endpoint(conn.value.get("from")) or conn.source
        logs = _log_of(selected, src.node)
        port = src.port or "out"
        sent = [log for log in logs if log.port == port]
        if not sent:
            return HoverResult(f"{head}: nothing went along this connection", span)
        return HoverResult(f"{head}: `{src.node}.{port}` sent\n\n" + _value(sent[-1].output), span)
    return None
