"""The fuzz suite, bounded for CI (issue 10): hypothesis over the parser, the
expression language, the analysis, every editor feature and the incremental path.

The generators and the checks live in ``bench/fuzz_cases.py``; ``python3 -m
bench.fuzz --documents 50000`` runs the same checks for as long as asked. Each
bug either finds becomes a unit test in ``tests/test_fuzz_regressions.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import fuzz_cases
from nodeforge.analysis.ide.format import _load_iteratively, _Number, _Object

T = TypeVar("T")


def fuzz(examples: int) -> settings:
    """Bounded for CI: about 10 s for the whole file on 2 cores."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))


class DataChooser:
    """The generators' choices, drawn by hypothesis (which shrinks a failure)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))

    def choice(self, items: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(items))


@fuzz(300)
@given(st.data())
def test_documents_parse_analyse_and_answer_every_feature(data: st.DataObject) -> None:
    chooser = DataChooser(data)
    text = fuzz_cases.document(chooser)
    fuzz_cases.check_document(text, fuzz_cases.offsets(chooser, text))


@fuzz(100)
@given(st.data())
def test_incremental_analysis_equals_a_fresh_one(data: st.DataObject) -> None:
    chooser = DataChooser(data)
    texts = fuzz_cases.sequence(chooser)
    fuzz_cases.check_sequence(texts, [fuzz_cases.offsets(chooser, t, 2) for t in texts])


@fuzz(300)
@given(st.data())
def test_expressions_never_raise(data: st.DataObject) -> None:
    chooser = DataChooser(data)
    source = fuzz_cases.expression(chooser)
    probes = [chooser.integer(0, len(source)) for _ in range(2)]
    fuzz_cases.check_expression(source, probes)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


def _plain(value: object) -> object:
    """A value of the formatter's decoder as plain data (numbers as written)."""
    if isinstance(value, _Object):
        return [(k, _plain(v)) for k, v in value.pairs]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, _Number):
        return ("number", value.text)
    return value


@fuzz(300)
@given(json_values, st.data())
def test_the_iterative_decoder_agrees_with_the_standard_one(
    value: object, data: st.DataObject
) -> None:
    """Deep documents are decoded by the formatter's own decoder: on any text, valid
    or broken, it accepts what ``json.loads`` accepts and decodes it the same."""
    text = json.dumps(value, indent=data.draw(st.sampled_from([None, 1])))
    if data.draw(st.booleans()):
        text = fuzz_cases.mutate(DataChooser(data), text, 1)

    def standard() -> object:
        return json.loads(
            text,
            object_pairs_hook=_Object,
            parse_int=_Number,
            parse_float=_Number,
            parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)),
        )

    try:
        expected: object = _plain(standard())
    except (ValueError, RecursionError):
        expected = ValueError
    try:
        found: object = _plain(_load_iteratively(text))
    except ValueError:
        found = ValueError
    assert found == expected, text
