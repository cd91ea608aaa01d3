"""Every editor feature answers on any text at any offset: half-typed JSON never crashes them."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nodeforge.analysis.ide import (
    code_actions,
    code_lenses,
    completion,
    definition,
    document_symbols,
    format_document,
    hover,
    prepare_rename,
    references,
    rename,
)
from nodeforge.analysis.text import Span
from tests.conftest import BROKEN, EXAMPLES
from tests.test_ide_common import analysis_of

SOURCES = [
    p.read_text(encoding="utf-8")
    for p in sorted([*EXAMPLES.glob("*.flow.json"), *BROKEN.glob("*.flow.json")])
]
PIECES = st.sampled_from(
    ['"', "{", "}", "[", "]", ",", ":", " ", "\n", "\\", "é", "👋", "a", "1", "nodes.", "{{"]
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, int]:
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            end = draw(st.integers(at, min(len(text), at + 40)))
            text = text[:at] + text[end:]
        else:
            text = text[:at] + "".join(draw(st.lists(PIECES, max_size=4))) + text[at:]
    return text, draw(st.integers(0, len(text)))


@settings(max_examples=120, deadline=None)
@given(mutated())
def test_features_never_raise(case: tuple[str, int]) -> None:
    text, offset = case
    analysis = analysis_of(text)
    completion(analysis, offset)
    hover(analysis, offset)
    definition(analysis, offset)
    references(analysis, offset, True)
    prepare_rename(analysis, offset)
    result = rename(analysis, offset, "renamed_node")
    if not isinstance(result, str):
        for edit in result:
            assert 0 <= edit.span.start <= edit.span.end <= len(text)
    document_symbols(analysis)
    code_lenses(analysis)
    code_actions(analysis, Span(offset, offset), analysis.diagnostics)
    format_document(text)


def test_every_offset_of_an_example() -> None:
    """Completion and hover at every offset of a real flow (exhaustive, not sampled)."""
    text = (EXAMPLES / "orders_api.flow.json").read_text(encoding="utf-8")
    analysis = analysis_of(text)
    for offset in range(0, len(text) + 1):
        completion(analysis, offset)
        hover(analysis, offset)
        definition(analysis, offset)


def test_sources_exist() -> None:
    assert len(SOURCES) >= 10
    assert all(isinstance(p, Path) for p in EXAMPLES.glob("*.flow.json"))
