"""Document links: a ``flow/subflow`` node's ``flow`` opens the flow it calls; the
type of a workspace's own node (a custom node or a fork) opens its manifest.

Only the nodes that can carry a link are looked at (their type decides), so a
5,000-node flow of standard nodes costs one catalog lookup per node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.flow import NodeInfo
from nodeforge.analysis.flowindex import SUBFLOW
from nodeforge.analysis.text import Span

from .facts import manifest_for
from .subflows import where


@dataclass(frozen=True, slots=True)
class DocumentLink:
    """``span`` (the characters inside a string's quotes) opens ``target`` (a URI)."""

    span: Span
    target: str
    tooltip: str


def document_links(analysis: Analysis) -> list[DocumentLink]:
    doc = analysis.document
    root = analysis.workspace.root
    out: list[DocumentLink] = []
    for info in doc.nodes:
        manifest = manifest_for(analysis, info.type, info.version)
        if manifest is None or not isinstance(info.type, str):
            continue
        if manifest.type == SUBFLOW:
            link = _flow_link(analysis, info)
            if link is not None:
                out.append(link)
        elif root is not None and _is_under(manifest.path, root):
            span = doc.string_span((*info.path, "type"), 0, len(info.type))
            kind = (
                "fork" if (manifest.type, manifest.version) in analysis.workspace.forks else "node"
            )
            relative = manifest.path.resolve().relative_to(root.resolve()).as_posix()
            out.append(
                DocumentLink(
                    span,
                    manifest.path.resolve().as_uri(),
                    f"Open the {kind}'s manifest ({relative})",
                )
            )
    return out


def _flow_link(analysis: Analysis, info: NodeInfo) -> DocumentLink | None:
    target = info.config.get("flow")
    if not isinstance(target, str) or not target:
        return None
    summary = analysis.workspace.flows.get(target)
    if summary is None or summary.uri == analysis.document.uri:
        return None
    span = analysis.document.string_span((*info.path, "config", "flow"), 0, len(target))
    return DocumentLink(span, summary.uri, f"Open flow `{target}` ({where(analysis, summary)})")


def _is_under(path: Path, root: Path) -> bool:
    if path == Path():
        return False  # an in-memory manifest
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False
