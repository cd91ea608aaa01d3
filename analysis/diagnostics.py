"""Diagnostics as plain data: what the CLI prints and the server converts to LSP."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from nodeforge.analysis.text import Span


class Severity(IntEnum):
    """Ordered like LSP's DiagnosticSeverity: lower is more severe."""

    ERROR = 1
    WARNING = 2
    INFO = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> Severity:
        return cls[name.upper()]


class Tag(IntEnum):
    UNNECESSARY = 1
    DEPRECATED = 2


@dataclass(frozen=True, slots=True)
class Related:
    """Another place that explains a diagnostic (e.g. the other end of a connection).

    ``span`` is in the diagnostic's own document, unless ``path`` names another file
    (a node kit's ``call.go.j2`` whose rendering failed): then the place is ``line``
    (1-based, the whole line; the file's start when None) of that file, and ``span``
    is unused."""

    span: Span
    message: str
    path: Path | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    severity: Severity
    span: Span
    related: tuple[Related, ...] = ()
    tags: tuple[Tag, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[int, int, str]:
        return (self.span.start, self.span.end, self.code)
