"""Incremental re-parse when whole top-level items are added, deleted or pasted over
(analysis/jsontree.py ``_reparse_between``): the items the edit did not touch keep
their value objects, whatever their new index, and the result equals a fresh parse."""

from __future__ import annotations

import json

import pytest

from nodeforge.analysis.jsontree import ParsedJson, parse_json, reparse_json

NODES = [{"id": f"n{i}", "type": "util/log", "version": "1.0.0"} for i in range(5)]
TEXT = json.dumps({"nodeforge": "1", "id": "f", "nodes": NODES, "connections": []}, indent=2)
NEW = '{"id": "x", "type": "util/log", "version": "1.0.0"}'


def _item_text(i: int) -> str:
    return json.dumps(NODES[i], indent=2).replace("\n", "\n    ")


def _check(old: ParsedJson, text: str) -> ParsedJson:
    new = reparse_json(old, text)
    fresh = parse_json(text)
    assert new.errors == fresh.errors == []
    assert new.root is not None and fresh.root is not None
    assert new.root.value == fresh.root.value
    got = [(x.start, x.end) for x in new.root.get("nodes").items]  # type: ignore[union-attr]
    want = [(x.start, x.end) for x in fresh.root.get("nodes").items]  # type: ignore[union-attr]
    assert got == want
    return new


def _kept(old: ParsedJson, new: ParsedJson) -> int:
    olds = old.root.value["nodes"]  # type: ignore[union-attr]
    return sum(any(v is o for o in olds) for v in new.root.value["nodes"])  # type: ignore[union-attr]


@pytest.mark.parametrize("where", [0, 2, 4])
def test_deleting_an_item_keeps_the_others(where: int) -> None:
    old = parse_json(TEXT)
    item = _item_text(where)
    at = TEXT.index(item)
    if where < 4:
        text = TEXT[:at] + TEXT[at + len(item) + len(",\n    ") :]
    else:
        text = TEXT[: at - len(",\n    ")] + TEXT[at + len(item) :]
    new = _check(old, text)
    assert _kept(old, new) == 4


@pytest.mark.parametrize("where", [0, 3, 5])
def test_inserting_an_item_keeps_the_others(where: int) -> None:
    old = parse_json(TEXT)
    if where < 5:
        at = TEXT.index(_item_text(where))
        text = TEXT[:at] + NEW + ",\n    " + TEXT[at:]
    else:
        last = _item_text(4)
        at = TEXT.index(last) + len(last)
        text = TEXT[:at] + ",\n    " + NEW + TEXT[at:]
    new = _check(old, text)
    assert _kept(old, new) == 5


def test_pasting_over_two_items_and_into_an_empty_array() -> None:
    old = parse_json(TEXT)
    start = TEXT.index(_item_text(1))
    end = TEXT.index(_item_text(2)) + len(_item_text(2))
    new = _check(old, TEXT[:start] + NEW + ", " + NEW + TEXT[end:])
    assert _kept(old, new) == 3
    empty = parse_json(TEXT.replace('"connections": []', '"connections": [ ]'))
    filled = reparse_json(empty, empty.text.replace("[ ]", '[{"from": "a.out", "to": "b.in"}]'))
    assert filled.errors == []
    assert filled.root.value == parse_json(filled.text).root.value  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "broken",
    [
        lambda t, a: t[:a] + NEW + " " + t[a:],  # missing comma
        lambda t, a: t[:a] + NEW + ",, " + t[a:],  # double comma
        lambda t, a: t[:a] + "42, " + t[a:],  # not an object
        lambda t, a: t[:a] + '{"id": ' + t[a:],  # unclosed
    ],
)
def test_a_malformed_middle_falls_back_to_a_full_parse(broken) -> None:  # type: ignore[no-untyped-def]
    old = parse_json(TEXT)
    at = TEXT.index(_item_text(2))
    text = broken(TEXT, at)
    new = reparse_json(old, text)
    fresh = parse_json(text)
    assert [e.message for e in new.errors] == [e.message for e in fresh.errors]
    assert new.root is not None and fresh.root is not None
    assert new.root.value == fresh.root.value


def test_a_trailing_comma_is_not_accepted() -> None:
    old = parse_json(TEXT)
    last = _item_text(4)
    at = TEXT.index(last) + len(last)
    text = TEXT[:at] + "," + TEXT[at:]
    new = reparse_json(old, text)
    assert new.errors, "a trailing comma is an error, as in a fresh parse"
