"""Unit tests of the structural editor features in analysis/ide (issue 19): folding,
selection ranges, highlights, links, inlay hints, semantic tokens, range formatting."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from nodeforge.analysis import ide
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.ide.inlay import MAX_LABEL, short_type
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import ArrayType, Field, ObjectType, StringType
from nodeforge.analysis.workspace import load_workspace

ROOT = Path(__file__).resolve().parent
PINGER = ROOT / "lsp" / "workspace" / "flows" / "pinger.flow.json"
BROKEN = ROOT / "flows" / "broken"
EXAMPLES = ROOT.parent / "examples"


def analysis_of(path: Path, text: str | None = None, root: Path | None = None) -> Analysis:
    source = path.read_text() if text is None else text
    workspace = load_workspace(root if root is not None else path.parent)
    return analyze(source, path.as_uri(), 1, workspace)


def pinger(text: str | None = None) -> Analysis:
    return analysis_of(PINGER, text, PINGER.parent.parent)


def test_folding_skips_brackets_in_strings_and_survives_broken_text() -> None:
    text = '{\n  "a": "{[",\n  "b": [\n    1,\n    2\n  ]\n}\n'
    folds = ide.folding_ranges(text)
    assert [(f.start_line, f.end_line) for f in folds] == [(0, 5), (2, 4)]
    # Stray closers, unterminated strings and unclosed containers: no error, sane ranges.
    broken = '{\n  "a": "x\n  ]]\n  "b": {\n    "c": [\n      1\n}\n'
    for fold in ide.folding_ranges(broken):
        assert 0 <= fold.start_line < fold.end_line


def test_selection_ranges_nest() -> None:
    analysis = pinger()
    text = analysis.document.text
    for needle in ('"ping.out"', "input.ms", '"example.com"', '"version"'):
        spans = ide.selection_range(analysis, text.index(needle) + 2)
        for inner, outer in itertools.pairwise(spans):
            assert outer.start <= inner.start and inner.end <= outer.end and inner != outer
        assert spans[-1] == Span(0, len(text))


def test_highlights_cover_every_mention() -> None:
    analysis = pinger()
    text = analysis.document.text
    found = ide.document_highlights(analysis, text.index('"start"') + 1)
    assert [(text[h.span.start : h.span.end], h.kind) for h in found] == [
        ("start", "write"),
        ("start", "read"),
    ]
    assert ide.document_highlights(analysis, text.index('"Pinger"') + 1) == []


def test_links_to_a_fork_manifest_and_a_called_flow() -> None:
    fork = analysis_of(BROKEN / "fork_outdated.flow.json")
    links = ide.document_links(fork)
    assert [(link.target, "fork" in link.tooltip) for link in links] == [
        ((BROKEN / "nodes" / "request" / "node.json").as_uri(), True)
    ]
    quote = analysis_of(EXAMPLES / "quote_api.flow.json")
    [link] = ide.document_links(quote)
    assert link.target == (EXAMPLES / "tax_rate.flow.json").as_uri()
    text = quote.document.text
    assert text[link.span.start : link.span.end] == "tax_rate"


def test_short_type_is_bounded() -> None:
    wide = ObjectType(
        tuple(Field(f"field_{i}", ArrayType(StringType()), True) for i in range(10)), None
    )
    label = short_type(wide)
    assert len(label) <= MAX_LABEL and label.endswith("…")
    assert short_type(StringType()) == "string"


def test_inlay_hints_only_in_the_span() -> None:
    analysis = pinger()
    text = analysis.document.text
    everything = ide.inlay_hints(analysis)
    start = text.index('"connections"')
    later = ide.inlay_hints(analysis, Span(start, len(text)))
    assert later == [h for h in everything if h.offset >= start]
    assert all(h.label.startswith(":") for h in later)


def token_texts(analysis: Analysis) -> list[tuple[str, str]]:
    text = analysis.document.text
    return [(text[t.start : t.end], t.type) for t in ide.semantic_tokens(analysis)]


def test_semantic_tokens_same_with_and_without_escapes_in_the_node() -> None:
    plain = pinger()
    # An escape elsewhere in the node makes the tokens come from the JSON tree instead.
    escaped = pinger(
        PINGER.read_text().replace('"id": "log",', '"id": "log", "title": "a\\u0020b",')
    )
    assert token_texts(plain) == [
        ("{{", "macro"),
        ("input", "variable"),
        ("ms", "property"),
        ("}}", "macro"),
    ]
    assert token_texts(escaped) == token_texts(plain)


def test_semantic_tokens_of_a_list_macro() -> None:
    from nodeforge.analysis.ide.tokens import _classified

    source = "input.l.map(x, x.a)"
    got = [(source[s:e], kind, mods) for s, e, kind, mods in _classified(source, 0)]
    assert got == [
        ("input", "variable", ("defaultLibrary",)),
        ("l", "property", ()),
        ("map", "method", ("defaultLibrary",)),  # a built-in macro
        ("x", "variable", ()),
        ("x", "variable", ()),
        ("a", "property", ()),
    ]


def test_semantic_tokens_when_the_string_repeats_elsewhere_in_the_node() -> None:
    text = PINGER.read_text().replace(
        '"config": {"message": "took {{ input.ms }} ms"}',
        '"title": "took {{ input.ms }} ms", "config": {"message": "took {{ input.ms }} ms"}',
    )
    analysis = pinger(text)
    tokens = ide.semantic_tokens(analysis)
    config = text.index('"config": {"message"')
    assert tokens and all(t.start > config for t in tokens)


def test_range_formatting_of_the_whole_document_is_formatting() -> None:
    text = (EXAMPLES / "quote_api.flow.json").read_text().replace("\n  ", "\n")
    analysis = analysis_of(EXAMPLES / "quote_api.flow.json", text)
    edits = ide.format_range(analysis.document, Span(0, len(text)))
    assert edits == ide.format_edits(text)


def test_range_formatting_leaves_invalid_elements_alone() -> None:
    text = (
        '{\n  "nodeforge": "1",\n  "nodes": [\n    {"id": "a" "type": "util/log"},\n'
        '    {"type": "util/log", "id": "b"}\n  ]\n}\n'
    )
    analysis = pinger(text)
    edits = ide.format_range(analysis.document, Span(text.index('"a"'), text.index('"b"')))
    assert len(edits) == 1  # only node b: node a is not valid JSON
    assert edits[0].span.start > text.index('"a"')


FLOW_TEXTS = [PINGER.read_text(), (EXAMPLES / "quote_api.flow.json").read_text()]


@pytest.mark.parametrize("source", FLOW_TEXTS, ids=["pinger", "quote_api"])
def test_every_prefix_answers_without_error(source: str) -> None:
    """Half-typed documents: every feature answers (maybe empty), none raises."""
    for cut in range(0, len(source), max(1, len(source) // 150)):
        text = source[:cut]
        analysis = pinger(text)
        middle = cut // 2
        ide.folding_ranges(text)
        ide.selection_range(analysis, middle)
        ide.document_highlights(analysis, middle)
        ide.document_links(analysis)
        ide.inlay_hints(analysis)
        ide.inlay_hints(analysis, Span(middle, cut))
        ide.semantic_tokens(analysis)
        ide.semantic_tokens(analysis, Span(middle, cut))
        ide.format_range(analysis.document, Span(middle, cut))
