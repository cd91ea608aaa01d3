"""Offsets, positions and ranges.

Analysis works in code-point offsets into the document's Python ``str``. Editors
want (line, column) pairs whose column unit depends on the negotiated position
encoding (UTF-16 by default in LSP). :class:`LineIndex` converts both ways.
"""

from __future__ import annotations

import bisect
import re
from array import array
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate

_NEWLINE = re.compile(r"\r\n|\r|\n")


class PositionEncoding(StrEnum):
    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"


@dataclass(frozen=True, slots=True)
class Position:
    """A zero-based line and column; the column unit is the encoding's."""

    line: int
    character: int


@dataclass(frozen=True, slots=True)
class Range:
    start: Position
    end: Position


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range of code-point offsets into a document's text."""

    start: int
    end: int

    def contains(self, offset: int) -> bool:
        return self.start <= offset <= self.end

    def shifted(self, delta: int) -> Span:
        return Span(self.start + delta, self.end + delta)


def _units(text: str, encoding: PositionEncoding) -> int:
    if encoding is PositionEncoding.UTF32 or text.isascii():
        return len(text)
    if encoding is PositionEncoding.UTF16:
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    return len(text.encode("utf-8", "surrogatepass"))


def units(text: str, encoding: PositionEncoding) -> int:
    """The length of ``text`` in ``encoding``'s code units (a column's width)."""
    return _units(text, encoding)


def offsets_array(size: int) -> str:
    """The ``array`` type code for offsets into a text of ``size`` code points: 4 bytes
    each (8 for texts of 4 Gi code points or more), not a Python int (32 bytes) each."""
    return "I" if size < 1 << 32 else "q"


class LineIndex:
    """Converts offsets to positions and back; built lazily, once per text.

    The line starts are an ``array`` of offsets: the server keeps one table per open
    document (a 5,000-node flow has ~85,000 lines: ~0.3 MB so, ~3.4 MB as a list)."""

    __slots__ = ("_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: array[int] | None = None

    @property
    def line_starts(self) -> array[int]:
        if self._starts is None:
            text = self.text
            code = offsets_array(len(text))
            if "\r" in text:
                self._starts = array(code, [0, *(m.end() for m in _NEWLINE.finditer(text))])
            else:  # `\n` only: each line starts one past the previous one's end, in C
                lines = text.split("\n")
                lines.pop()
                self._starts = array(code, accumulate(map((1).__add__, map(len, lines)), initial=0))
        return self._starts

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1

    def position(
        self, offset: int, encoding: PositionEncoding = PositionEncoding.UTF16
    ) -> Position:
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset)
        start = self.line_starts[line]
        return Position(line, _units(self.text[start:offset], encoding))

    def range(self, span: Span, encoding: PositionEncoding = PositionEncoding.UTF16) -> Range:
        return Range(self.position(span.start, encoding), self.position(span.end, encoding))

    def offset(
        self, position: Position, encoding: PositionEncoding = PositionEncoding.UTF16
    ) -> int:
        """The offset of a position; a column past the line's end clamps to it."""
        starts = self.line_starts
        if position.line >= len(starts):
            return len(self.text)
        start = starts[max(position.line, 0)]
        end = starts[position.line + 1] if position.line + 1 < len(starts) else len(self.text)
        line = self.text[start:end].rstrip("\r\n")
        if encoding is PositionEncoding.UTF32 or line.isascii():
            return start + min(position.character, len(line))
        units = 0
        for i, ch in enumerate(line):
            if units >= position.character:
                return start + i
            if encoding is PositionEncoding.UTF16:
                units += 2 if ord(ch) > 0xFFFF else 1
            else:
                units += len(ch.encode("utf-8", "surrogatepass"))
        return start + len(line)
