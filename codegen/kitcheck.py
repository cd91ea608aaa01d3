"""Problems of a node kit's own files, located in them: what the editor shows on an open
``node.json`` (the manifest) or ``call.go.j2`` (the call-site template).

The manifest goes through the catalog's loader (:func:`analysis.catalog.load_manifest_text`,
every problem at its key), the template through :func:`nodeapi.check_template` (syntax,
undefined names, names outside the generator's API). Both read the text given (an
editor's unsaved buffer), never the file. Diagnostics carry code ``NF901``.
"""

from __future__ import annotations

from pathlib import Path

from nodeforge.analysis.catalog import MANIFEST_FILE, load_manifest_text, problem_span
from nodeforge.analysis.diagnostics import Diagnostic, Severity
from nodeforge.analysis.kits import TEMPLATE_FILE
from nodeforge.analysis.text import LineIndex, Position, PositionEncoding, Span

from .nodeapi import check_template

__all__ = ["KIT_CODE", "check_kit_file", "is_kit_file"]

KIT_CODE = "NF901"


def is_kit_file(path: Path) -> bool:
    """Whether ``path`` is a kit file this module checks (by its name)."""
    return path.name in (MANIFEST_FILE, TEMPLATE_FILE)


def check_kit_file(path: Path, text: str) -> list[Diagnostic]:
    """The problems of the kit file ``path`` whose contents are ``text``, in document
    order; empty for a file that is not a kit file or has none."""
    if path.name == MANIFEST_FILE:
        return _manifest(path, text)
    if path.name == TEMPLATE_FILE:
        return _template(text)
    return []


def _manifest(path: Path, text: str) -> list[Diagnostic]:
    # A workspace's own nodes (custom nodes, forks) may live in any folder under
    # `nodes/`; kits of the standard catalog and of packs are laid out by type/version.
    _, problems = load_manifest_text(path, text, check_layout="nodes" not in path.parts[:-1])
    lines = LineIndex(text)
    found = []
    for p in problems:
        span = problem_span(text, p.where) if p.where else None
        if span is None and p.line is not None:
            start = lines.offset(Position(p.line - 1, (p.column or 1) - 1), PositionEncoding.UTF32)
            span = Span(start, _line_end(text, start))
        message = f"{p.where}: {p.message}" if p.where else p.message
        found.append(Diagnostic(KIT_CODE, message, Severity.ERROR, span or Span(0, 0)))
    return sorted(found, key=Diagnostic.sort_key)


def _template(text: str) -> list[Diagnostic]:
    lines = LineIndex(text)
    found = []
    for line, message in check_template(text):
        start = lines.offset(Position(max(line - 1, 0), 0), PositionEncoding.UTF32)
        end = _line_end(text, start)
        found.append(Diagnostic(KIT_CODE, message, Severity.ERROR, Span(start, end)))
    return found


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end
