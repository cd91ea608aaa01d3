"""What the editor features know of ``flow/subflow`` nodes: the flow one calls, its
docs, and where its file is (``workspace.flows``, :mod:`..flowindex`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.flowindex import SUBFLOW, FlowSummary
from nodeforge.analysis.jsontree import parse_json
from nodeforge.analysis.text import LineIndex, Span

from .facts import manifest_of_node, node_info, schema_label
from .model import Location


def is_subflow_node(analysis: Analysis, index: int) -> bool:
    manifest = manifest_of_node(analysis, index)
    return manifest is not None and manifest.type == SUBFLOW


def called_flow(analysis: Analysis, index: int) -> FlowSummary | None:
    """The flow that the ``flow/subflow`` node at ``index`` calls, if the workspace has it."""
    info = node_info(analysis, index)
    if info is None or not is_subflow_node(analysis, index):
        return None
    target = info.config.get("flow")
    return analysis.workspace.flows.get(target) if isinstance(target, str) else None


def input_properties(summary: FlowSummary) -> tuple[dict[str, Any], set[str]]:
    """The called flow's inputs (``properties`` of its input_schema) and the required ones."""
    schema = summary.input_schema if isinstance(summary.input_schema, dict) else {}
    props = schema.get("properties")
    required = schema.get("required")
    return (
        {k: v for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) else {},
        {r for r in required if isinstance(r, str)} if isinstance(required, list) else set(),
    )


def where(analysis: Analysis, summary: FlowSummary) -> str:
    """The flow's file, relative to the workspace root when it is under it."""
    root = analysis.workspace.root
    if summary.path is None:
        return summary.uri
    if root is not None and summary.path.is_relative_to(root):
        return summary.path.relative_to(root).as_posix()
    return summary.path.name


def flow_markdown(analysis: Analysis, summary: FlowSummary) -> str:
    """Docs of a callable flow: name, description, how it starts and what it takes."""
    title = f"**{summary.id}**" + (f" · {summary.name}" if summary.name else "")
    lines = [title, "", f"Flow in `{where(analysis, summary)}`"]
    if summary.description:
        lines += ["", summary.description]
    if not summary.manual_triggers:
        lines += ["", "No `trigger/manual` node: it cannot be called."]
        return "\n".join(lines)
    lines += ["", f"Started at its manual trigger `{summary.manual_triggers[0]}`."]
    props, required = input_properties(summary)
    if props:
        lines += ["", "Arguments:"]
        for name, sub in props.items():
            mark = " (required)" if name in required else ""
            lines.append(f"- `{name}`: `{schema_label(sub)}`{mark}")
    return "\n".join(lines)


def flow_location(summary: FlowSummary) -> list[Location]:
    """The called flow's ``"id"`` in its file (or in its open document's text)."""
    text = summary.text
    if text is None:
        if summary.path is None:
            return []
        text = _read(summary.path)
        if text is None:
            return []
    root = parse_json(text).root
    found = root.find(("id",)) if root is not None else None
    span = Span(0, 0)
    if found is not None:
        span = found.span
        if found.kind == "string" and span.end - span.start >= 2:
            span = Span(span.start + 1, span.end - 1)
    return [Location(summary.uri, span, LineIndex(text))]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
