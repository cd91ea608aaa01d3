"""What the fuzzers generate and what they check (issue 10: analysis never raises).

One module serves both drivers: ``tests/test_fuzz.py`` (hypothesis, bounded, in CI)
and ``bench/fuzz.py`` (a seeded random run of any length). Generators take a
:class:`Chooser`, so the same code draws from hypothesis (which then shrinks a
failure) or from :class:`random.Random` (which keeps going and counts them).

Documents are the examples, the broken test flows and a generated flow, mutated
with hostile pieces (brackets, quotes, escapes, lone surrogates, NUL, integers over
4,300 digits, deep nesting, expression fragments). Edit sequences apply what an
editor does (typing inside strings, renaming node ids, renaming schema fields,
undo) and compare the incremental analysis with a fresh one at every step.

The checks (``check_document``, ``check_sequence``) raise ``AssertionError`` or let
the analysis's own exception through: either is a failure.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bench.genflow import generate_text
from nodeforge.analysis import expressions, ide
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.jsontree import parse_json
from nodeforge.analysis.text import Span
from nodeforge.analysis.workspace import Workspace, load_workspace

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BROKEN = ROOT / "tests" / "flows" / "broken"

T = TypeVar("T")

HUGE_INT = "7" * 4301  # over Python's int max str digits
PIECES = (
    '"', "{", "}", "[", "]", ",", ":", " ", "\n", "\\", '\\"', "\\\\", "\\n", "\\t",
    "\\u00e9", "\\ud800", "\\u", "é", "👋", "\x00", "\ud800", "a", "1", "-", ".", "0x1f",
    "nodes.", "input.", "env.", "{{", "}}", "? :", "&&", "==", "(", ")", "'", "`",
    '"from"', '"to"', '"id"', '"nodes"', '"config"', "true", "null", "from", "frm",
    HUGE_INT, "1e999", "0x" + "f" * 40, "9" * 30,
    "[" * 400 + "]" * 400, '{"a": ' * 300 + "1" + "}" * 300, "[" * 1200,
)  # fmt: skip
EXPRESSION_PIECES = (
    "input", "nodes", "env", ".", "a", "b", "from", "size", "(", ")", "[", "]", "{", "}",
    ",", ":", "?", "!", "-", "+", "*", "/", "%", "==", "<=", "&&", "||", " in ", "1",
    "2.5", "1e999", "0x10", HUGE_INT, '"s"', "'t'", '"\\u00e9"', '"\\', "\\", "true",
    "null", "int", "string", " ", "{{", "}}", "(" * 120, "-" * 120, "!" * 150,
)  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_ID = re.compile(r'"id": "([A-Za-z0-9_]+)"')


class Chooser(Protocol):
    """Where the generators' choices come from."""

    def integer(self, lo: int, hi: int) -> int: ...

    def choice(self, items: Sequence[T]) -> T: ...


class RandomChooser:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]


@lru_cache(maxsize=1)
def workspace() -> Workspace:
    return load_workspace(EXAMPLES)


@lru_cache(maxsize=1)
def sources() -> tuple[str, ...]:
    """The documents mutations start from."""
    files = sorted([*EXAMPLES.glob("*.flow.json"), *BROKEN.glob("*.flow.json")])
    return (*(p.read_text(encoding="utf-8") for p in files), generate_text(30))


# -- generators -----------------------------------------------------------------------------


def mutate(ch: Chooser, text: str, steps: int | None = None) -> str:
    """``text`` after a few random insertions, deletions and duplications."""
    for _ in range(ch.integer(1, 4) if steps is None else steps):
        at = ch.integer(0, len(text))
        kind = ch.integer(0, 5)
        if kind == 0:  # delete a stretch
            text = text[:at] + text[min(len(text), at + ch.integer(1, 40)) :]
        elif kind == 1:  # duplicate a stretch
            end = min(len(text), at + ch.integer(1, 80))
            text = text[:end] + text[at:end] + text[end:]
        else:
            inserted = "".join(ch.choice(PIECES) for _ in range(ch.integer(1, 3)))
            text = text[:at] + inserted + text[at:]
    return text


def document(ch: Chooser) -> str:
    """A mutated source document."""
    return mutate(ch, ch.choice(sources()))


def expression(ch: Chooser) -> str:
    """A string of expression-language fragments, often not well formed."""
    return "".join(ch.choice(EXPRESSION_PIECES) for _ in range(ch.integer(0, 8)))


def edit(ch: Chooser, text: str, history: Sequence[str]) -> str:
    """The next text of an editing session: typing inside a string (an expression, a
    schema field, an endpoint), renaming a node id (everywhere, or only where it is
    defined), undo, or a hostile mutation."""
    kind = ch.integer(0, 9)
    if kind == 0 and history:  # undo, to any earlier version
        return ch.choice(history)
    if kind in (1, 2):  # rename a node id
        ids = _ID.findall(text)
        if ids:
            old = ch.choice(ids)
            new = ch.choice((old + "2", old[:-1], "renamed", ch.choice(ids)))
            if kind == 1:
                return re.sub(rf"\b{re.escape(old)}\b", new, text)
            return text.replace(f'"id": "{old}"', f'"id": "{new}"', 1)
    if kind == 3:
        return mutate(ch, text, 1)
    strings = list(_STRING.finditer(text))
    if not strings:
        return mutate(ch, text, 1)
    token = ch.choice(strings)
    start, end = token.start() + 1, token.end() - 1  # inside the quotes
    at = ch.integer(start, end)
    if ch.integer(0, 2) == 0 and end > start:  # delete inside the string
        cut = ch.integer(at, min(end, at + 6))
        return text[:at] + text[cut:]
    typed = ch.choice(
        ("a", "from", "frm", ".", "nodes.", "input.", " + 1", "\\n", '\\"', "\\\\", "{{", "é")
    )
    return text[:at] + typed + text[at:]


def sequence(ch: Chooser, length: int | None = None) -> list[str]:
    """The texts of one editing session, the first a source document."""
    texts = [ch.choice(sources())]
    for _ in range(ch.integer(2, 8) if length is None else length):
        texts.append(edit(ch, texts[-1], texts[:-1]))
    return texts


def offsets(ch: Chooser, text: str, count: int = 3) -> list[int]:
    """Cursor offsets to probe: random ones, and some inside string tokens."""
    found = [ch.integer(0, len(text)) for _ in range(count)]
    strings = list(_STRING.finditer(text))
    if strings:
        token = ch.choice(strings)
        found.append(ch.integer(token.start(), token.end()))
    return found


# -- checks -----------------------------------------------------------------------------------


def _in_document(span: Span, text: str, what: Any) -> None:
    assert 0 <= span.start <= span.end <= len(text), (what, span, len(text))


def check_expression(source: str, probes: Sequence[int]) -> None:
    """The expression language's entry points never raise and locate their errors."""
    env = expressions.TypeEnv()
    parsed = expressions.parse(source)
    for error in parsed.errors:
        assert 0 <= error.start <= error.end <= len(source), (source, error)
    if parsed.expr is not None:
        expressions.check(parsed.expr, env)
    template = expressions.parse_template(source)
    expressions.check_template(template, env)
    for offset in probes:
        expressions.completions_at(source, offset, env)
        expressions.type_at(source, offset, env)


def check_document(text: str, probes: Sequence[int]) -> Analysis:
    """Parsing, the analysis and every editor feature on ``text`` (at each of the
    ``probes`` offsets for the positional ones) answer, in bounds."""
    parse_json(text)
    analysis = analyze(text, uri="file:///fuzz/x.flow.json", workspace=workspace())
    for diagnostic in analysis.diagnostics:
        assert diagnostic.code != "NF000", diagnostic.message  # a check crashed
        _in_document(diagnostic.span, text, diagnostic)
    for offset in probes:
        check_at(analysis, offset)
    whole = Span(0, len(text))
    ide.document_symbols(analysis)
    ide.code_lenses(analysis)
    ide.folding_ranges(text)
    ide.inlay_hints(analysis)
    ide.semantic_tokens(analysis)
    ide.document_links(analysis)
    ide.graph_view(analysis)
    for edit in ide.format_range(analysis.document, whole):
        _in_document(edit.span, text, edit)
    formatted = ide.format_document(text)
    if formatted is not None:
        assert ide.format_document(formatted) == formatted, "formatting is not idempotent"
    for edit in ide.format_edits(text):
        _in_document(edit.span, text, edit)
    return analysis


def check_at(analysis: Analysis, offset: int) -> None:
    """The positional features at ``offset``."""
    text = analysis.document.text
    for item in ide.completion(analysis, offset).items:
        span = item.edit_span
        if span is not None:
            _in_document(span, text, item)
            assert span.start <= offset <= span.end, ("edit range misses the cursor", item)
            assert "\n" not in text[span.start : span.end], ("edit range spans lines", item)
    found = ide.hover(analysis, offset)
    if found is not None:
        _in_document(found.span, text, found)
    for location in ide.definition(analysis, offset):
        if location.uri == analysis.document.uri:
            _in_document(location.span, text, location)
    ide.references(analysis, offset, True)
    ide.prepare_rename(analysis, offset)
    renamed = ide.rename(analysis, offset, "renamed_node")
    if not isinstance(renamed, str):
        for edit in renamed:
            _in_document(edit.span, text, edit)
    ide.document_highlights(analysis, offset)
    ide.selection_range(analysis, offset)
    here = Span(offset, offset)
    for action in ide.code_actions(analysis, here, ide.diagnostics_at(analysis, here)):
        for edit in action.edits:
            _in_document(edit.span, text, edit)


def _diagnostics(analysis: Analysis) -> list[tuple[Any, ...]]:
    return [(d.code, d.span, d.severity, d.message) for d in analysis.diagnostics]


def _at(analysis: Analysis, offset: int) -> tuple[Any, ...]:
    items = ide.completion(analysis, offset).items
    return (
        [(i.label, i.kind, i.detail, i.edit_span, i.insert_text) for i in items],
        ide.hover(analysis, offset),
    )


def check_sequence(texts: Sequence[str], probes: Sequence[Sequence[int]]) -> None:
    """Analysing ``texts`` one after the other, each with the previous analysis,
    gives what a fresh analysis of each gives: diagnostics, and completion and hover
    at ``probes[i]`` (offsets into ``texts[i]``)."""
    previous: Analysis | None = None
    for step, (text, here) in enumerate(zip(texts, probes, strict=True)):
        current = analyze(text, workspace=workspace(), previous=previous)
        fresh = analyze(text, workspace=workspace())
        assert _diagnostics(current) == _diagnostics(fresh), ("diagnostics differ", step)
        for offset in here:
            assert _at(current, offset) == _at(fresh, offset), ("features differ", step, offset)
        previous = current
