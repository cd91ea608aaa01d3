"""The generator's ``//line`` positions (``codegen.jsonpos``) agree with the document's
positioned tree (``FlowDocument.span_of``) for every value of every node's config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.genflow import generate_flow
from nodeforge.analysis.flow import load_document
from nodeforge.codegen.jsonpos import value_offset

ROOT = Path(__file__).resolve().parent.parent


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _check(text: str, *, unique: bool = True) -> int:
    """Every value's offset against the document's; ``unique`` (no key repeated in the
    text): the generator's first-member-found scan agrees too."""
    doc = load_document(text, "file:///t.flow.json")
    checked = 0
    for node in doc.nodes:
        start = doc.span_of(node.path).start
        raw = doc.root.find(node.path).value if doc.root is not None else None
        paths = _paths(raw) if isinstance(raw, dict) else []
        # and paths that are not there: the caller falls back to the document
        paths += [("config", "absent"), ("config", "absent", 0), ("config", 99), ("nope",)]
        for path in paths:
            got = value_offset(text, start, path)
            if unique:
                assert value_offset(text, start, path, unique_keys=True) == got, path
            fresh = load_document(text, "file:///t.flow.json")  # positions before expansion
            if got is None:
                assert fresh.root is not None and fresh.root.find((*node.path, *path)) is None
                continue
            assert got == fresh.span_of((*node.path, *path)).start, path
            assert got == doc.span_of((*node.path, *path)).start, path
            checked += 1
    return checked


def _flow_files() -> list[Path]:
    files = sorted((ROOT / "examples").rglob("*.flow.json"))
    files += sorted((ROOT / "tests" / "golden").rglob("*.flow.json"))
    return [f for f in files if "broken" not in f.parts]


@pytest.mark.parametrize("path", _flow_files(), ids=lambda p: p.name)
def test_positions_of_flow_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        json.loads(text)
    except ValueError:
        pytest.skip("not valid JSON")
    _check(text)


def test_positions_of_a_generated_flow() -> None:
    assert _check(json.dumps(generate_flow(60, error_rate=0.0), indent=2)) > 100


def test_positions_of_awkward_json() -> None:
    node = {
        "id": "a",
        "type": "data/set",
        "config": {
            # before the keys asked for: their names as a value, after an escaped quote
            "mode": "values",
            'say "list': "x",
            "values": {"x": "input.a", 'q"uo{te': "[1, {2}]", "é": "1", "config": {"values": 1}},
            "list": [[], [1, [2, {"k": [3]}]], {"values": "s,}]"}, "last"],
            "more": {"dup": "wins", "x": "2"},
            "empty": {},
        },
    }
    compact = json.dumps({"id": "f", "nodes": [node]}, separators=(",", ":"))
    spaced = json.dumps({"id": "f", "nodes": [node]}, indent=4, ensure_ascii=False)
    for text in (compact, spaced, spaced.replace("    ", "\t"), compact.replace(":", " :\r\n ")):
        assert _check(text) > 10


def test_positions_of_repeated_keys() -> None:
    # JSON's last-wins rule, as the document reads it
    text = '{"id": "f", "nodes": [{"id": "a", "config": {"v": {"x": 1}, "v": {"x": 2, "y": [3]}}}]}'
    assert _check(text, unique=False) > 4
    # (a repeated key is an error, so the generator never reads such a text; told that
    # keys are unique, the scan stops at the first member of the name)
    start = text.index('{"id": "a"')
    assert value_offset(text, start, ("config", "v"), unique_keys=True) == text.index('{"x": 1}')
