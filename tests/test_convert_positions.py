"""Diagnostics converted before a document's line table exists (counting newlines, see
``server.convert._FewPositions``) get the ranges the table gives."""

from __future__ import annotations

import random

import pytest

from nodeforge.analysis.diagnostics import Diagnostic, Related, Severity
from nodeforge.analysis.text import LineIndex, PositionEncoding, Span
from nodeforge.server.convert import lsp_diagnostics
from nodeforge.server.settings import Settings

PIECES = ["a", "bc", " ", "\n", "é", "😀", '"x"', "\n\n", "{", "}"]


def _text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(PIECES) for _ in range(size))


def _diagnostics(rng: random.Random, size: int, count: int) -> list[Diagnostic]:
    found = []
    for k in range(count):
        start = rng.randint(0, size + 2)  # a few past the end: clamped
        end = rng.randint(start, size + 3)
        related = tuple(
            Related(Span(a, max(a, rng.randint(a, size))), "here")
            for a in (rng.randint(0, size) for _ in range(rng.randint(0, 2)))
        )
        found.append(
            Diagnostic(
                code="NF018",
                message=f"problem {k}",
                severity=Severity.ERROR,
                span=Span(start, end),
                related=related,
            )
        )
    return found


@pytest.mark.parametrize("encoding", list(PositionEncoding))
@pytest.mark.parametrize("seed", range(8))
def test_ranges_without_the_line_table_are_those_of_the_table(
    encoding: PositionEncoding, seed: int
) -> None:
    rng = random.Random(seed)
    text = _text(rng, rng.randint(0, 400))
    if seed % 4 == 3:
        text = text.replace("\n", "\r\n", 2)  # `\r`: the table in both
    diagnostics = _diagnostics(rng, len(text), rng.randint(1, 30))
    built = LineIndex(text)
    assert built.line_starts is not None
    fresh = LineIndex(text)
    converted = lsp_diagnostics(diagnostics, "file:///f.flow.json", fresh, encoding, Settings())
    expected = lsp_diagnostics(diagnostics, "file:///f.flow.json", built, encoding, Settings())
    assert converted == expected
    if "\r" not in text:
        assert fresh._starts is None  # converted without building the table
    for d, lsp_d in zip(diagnostics, converted, strict=True):
        start = built.position(d.span.start, encoding)
        assert (lsp_d.range.start.line, lsp_d.range.start.character) == (
            start.line,
            start.character,
        )
