"""The generator's ``//line`` positions (``codegen.jsonpos``) agree with the document's
positioned tree (``FlowDocument.span_of``) for every value of every node's config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.genflow import generate_flow
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.flow import load_document
from nodeforge.analysis.workspace import load_workspace
from nodeforge.codegen.jsonpos import object_item_starts, root_array_items, value_offset

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


def _starts_agree(text: str) -> bool:
    """Whether ``object_item_starts`` answered (and with the scan's starts) for the nodes."""
    doc = load_document(text, "file:///t.flow.json")
    items = doc.root.get("nodes") if doc.root is not None else None
    assert items is not None and isinstance(items.value, list)
    found = object_item_starts(text, items.start, items.end, len(items.value))
    scanned = root_array_items(text, "nodes")
    assert scanned is not None
    assert found is None or found == scanned[0]
    return found is not None


def test_object_item_starts_are_the_scans_or_none() -> None:
    answered = [_starts_agree(p.read_text(encoding="utf-8")) for p in _flow_files()]
    assert _starts_agree(json.dumps(generate_flow(60, error_rate=0.0), indent=2))
    assert _starts_agree(json.dumps(generate_flow(60, error_rate=0.0), separators=(",", ":")))
    assert any(answered)
    # `}, {` inside a string, and a nested array of objects: more runs than boundaries
    for tricky in ('"a}, {b"', '[{"x": 1}, {"y": 2}]'):
        text = '{"nodes": [{"id": "a", "v": ' + tricky + '}, {"id": "b"}]}'
        assert not _starts_agree(text)


def test_analysis_leaves_node_configs_as_written() -> None:
    """The generator reads the configs as written from the analysed document itself."""
    root = ROOT / "examples"
    ws = load_workspace(root)
    for path in sorted(root.glob("*.flow.json")):
        text = path.read_text(encoding="utf-8")
        a = analyze(text, path.as_uri(), None, ws)
        written = {n["id"]: n.get("config") for n in json.loads(text)["nodes"]}
        for node in a.document.nodes:
            assert node.config == written[node.id], (path.name, node.id)
