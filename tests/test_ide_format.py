"""Formatting: the canonical layout, golden cases and idempotence (hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nodeforge.analysis.ide import format_document, format_edits
from tests.conftest import BROKEN, EXAMPLES
from tests.test_ide_common import apply_edits


def check_format(text: str, expected: str | None) -> None:
    assert format_document(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", "{}\n"),
        ("[]", "[]\n"),
        ("1", "1\n"),
        ('{"a": 1,}', None),
        ('{"a": ', None),
        ("", None),
        ("NaN", None),
        # Top-level order, then unknown keys in their order.
        (
            '{"zz": 1, "nodes": [], "id": "f", "nodeforge": "1", "aa": 2}',
            '{\n  "nodeforge": "1",\n  "id": "f",\n  "nodes": [],\n  "zz": 1,\n  "aa": 2\n}\n',
        ),
        # Numbers keep their spelling; strings are not ASCII-escaped.
        (
            '{"x": 1.50, "y": 1e3, "z": -0, "s": "\\u00e9\\u65e5"}',
            '{\n  "x": 1.50,\n  "y": 1e3,\n  "z": -0,\n  "s": "é日"\n}\n',
        ),
        # Duplicate keys are kept, not silently dropped.
        ('{"a": 1, "a": 2}', '{\n  "a": 1,\n  "a": 2\n}\n'),
        # A lone surrogate stays escaped.
        ('{"s": "\\ud800"}', '{\n  "s": "\\ud800"\n}\n'),
        ("\ufeff{}", "{}\n"),
    ],
)
def test_format(text: str, expected: str | None) -> None:
    check_format(text, expected)


def test_canonical_flow_layout() -> None:
    text = json.dumps(
        {
            "connections": [{"to": "b.in", "from": "a.out"}],
            "nodes": [
                {
                    "config": {"method": "GET", "path": "/x"},
                    "position": {"x": 1, "y": 2},
                    "version": "1.0.0",
                    "type": "http/trigger",
                    "id": "a",
                    "custom": True,
                },
                {"id": "b", "type": "http/respond", "version": "1.0.0"},
            ],
            "id": "f",
            "nodeforge": "1",
            "tests": [{"name": "t", "trigger": "a"}],
        }
    )
    expected = """{
  "nodeforge": "1",
  "id": "f",
  "nodes": [
    {
      "id": "a",
      "type": "http/trigger",
      "version": "1.0.0",
      "position": {"x": 1, "y": 2},
      "config": {
        "method": "GET",
        "path": "/x"
      },
      "custom": true
    },
    {
      "id": "b",
      "type": "http/respond",
      "version": "1.0.0"
    }
  ],
  "connections": [
    {"from": "a.out", "to": "b.in"}
  ],
  "tests": [
    {
      "name": "t",
      "trigger": "a"
    }
  ]
}
"""
    check_format(text, expected)


@pytest.mark.parametrize(
    "path",
    sorted([*EXAMPLES.glob("*.flow.json"), *BROKEN.glob("*.flow.json")]),
    ids=lambda p: p.name,
)
def test_examples_format_idempotently_and_keep_content(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    formatted = format_document(text)
    if formatted is None:
        with pytest.raises(ValueError):
            json.loads(text)
        return
    assert json.loads(formatted) == json.loads(text)
    assert format_document(formatted) == formatted


def test_format_edits() -> None:
    assert format_edits("{}\n") == []
    assert format_edits("{") == []
    (edit,) = format_edits('{"a":1}')
    assert apply_edits('{"a":1}', [edit]) == '{\n  "a": 1\n}\n'


# -- property: formatting is idempotent and keeps the value ---------------------------------

keys = st.sampled_from(
    [
        "nodeforge",
        "id",
        "name",
        "nodes",
        "connections",
        "tests",
        "type",
        "version",
        "position",
        "config",
        "from",
        "to",
        "x",
        "y",
        "é",
        "a b",
        "",
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=25,
)
flows = st.fixed_dictionaries(
    {},
    optional={
        "nodeforge": st.just("1"),
        "id": st.text(max_size=5),
        "nodes": st.lists(st.one_of(st.dictionaries(keys, values, max_size=6), values), max_size=4),
        "connections": st.lists(
            st.one_of(st.dictionaries(keys, values, max_size=3), values), max_size=4
        ),
        "tests": values,
        "extra": values,
    },
)


@given(st.one_of(flows, values), st.sampled_from([None, 0, 2, 4]))
def test_format_is_idempotent(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    formatted = format_document(text)
    assert formatted is not None
    assert json.loads(formatted) == value
    assert format_document(formatted) == formatted
    assert formatted.endswith("\n")
