"""What an open document keeps: a compact line table, shared strings, one analysis.

No sizes are asserted (they vary with the interpreter); the layout is: line starts in
an ``array`` equal to a plain rescan, node ids, types and versions interned in the
document's values (equal to what ``json.loads`` reads), endpoints naming a node by the
very string its id is.
"""

from __future__ import annotations

import json
import re
import sys
from array import array

from hypothesis import given
from hypothesis import strategies as st

from bench import memory_bench
from nodeforge.analysis.flow import load_document
from nodeforge.analysis.jsontree import ParsedJson, parse_json, reparse_json
from nodeforge.analysis.text import LineIndex, PositionEncoding, offsets_array
from nodeforge.server.documents import TextChange, new_snapshot

FLOW = """{
  "nodeforge": "1",
  "nodes": [
    {"id": "start", "type": "trigger/manual", "version": "1.0.0"},
    {"id": "log", "type": "util/log", "version": "1.0.0",
     "config": {"level": "info", "message": "hi"}},
    {"id": "log2", "type": "util/log", "version": "1.0.0"}
  ],
  "connections": [{"from": "start.out", "to": "log.in"}, {"from": "log.out", "to": "log2.in"}]
}
"""


def _rescan(text: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]


def _texts(*pieces: str, max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


@given(_texts("a", "é", "😀", "\n", "\r", "\r\n", " ", max_size=60))
def test_line_starts_are_an_array_equal_to_a_rescan(text: str) -> None:
    starts = LineIndex(text).line_starts
    assert isinstance(starts, array) and starts.typecode == offsets_array(len(text))
    assert list(starts) == _rescan(text)


def test_offsets_array_widens_for_huge_texts() -> None:
    assert offsets_array(10) == "I" and offsets_array(1 << 32) == "q"


@given(
    _texts("a", "\n", "\r\n", max_size=40),
    st.data(),
)
def test_spliced_line_table_stays_an_array(text: str, data: st.DataObject) -> None:
    snapshot = new_snapshot("file:///t.flow.json", 1, text)
    lines = snapshot.lines
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    insert = data.draw(st.text(alphabet=st.sampled_from(["b", "\n", "\r"]), max_size=5))
    change = TextChange(lines.position(start), lines.position(end), insert)
    after = snapshot.apply([change], 2, PositionEncoding.UTF16)
    assert isinstance(after.lines.line_starts, array)
    assert list(after.lines.line_starts) == _rescan(after.text)


def test_ids_types_and_versions_are_interned_and_equal() -> None:
    doc = load_document(FLOW)
    assert doc.value == json.loads(FLOW)
    log, log2 = doc.nodes[1], doc.nodes[2]
    assert log.type is log2.type is sys.intern("util/log")
    assert log.version is log2.version is sys.intern("1.0.0")
    assert log.value["type"] is log.type and log.value["id"] is log.id
    # The endpoints name a node by its id's very string.
    connection = doc.connections[0]
    assert connection.target is not None and connection.target.node is log.id


def test_reused_nodes_keep_their_interned_strings() -> None:
    doc = load_document(FLOW)
    text = FLOW.replace('"message": "hi"', '"message": "hello"')
    after = load_document(text, previous=doc)
    assert after.value == json.loads(text)
    assert after.nodes[1].id is doc.nodes[1].id
    assert after.nodes[0] is doc.nodes[0]


def test_memory_bench_splits_what_is_kept_by_owner() -> None:
    size, kept, lines = memory_bench.measure(30, by_owner=True)
    assert size > 0 and kept > size and lines > 0


# -- top-level items placed, made on demand ----------------------------------------------

ITEMS_FLOW = json.dumps(
    {
        "nodeforge": "1",
        "id": "f",
        "nodes": [
            {"id": f"n{i}", "type": "util/log", "config": {"message": f"m{i}", "n": [i, i]}}
            for i in range(6)
        ],
        "connections": [{"from": f"n{i}.out", "to": f"n{i + 1}.in"} for i in range(5)],
    },
    indent=2,
)


def _spans(parsed: ParsedJson, member: str) -> list[tuple[int, int]]:
    assert parsed.root is not None
    array_node = parsed.root.get(member)
    assert array_node is not None
    return [(x.start, x.end) for x in array_node.items]


def test_top_level_items_are_made_one_at_a_time() -> None:
    parsed = parse_json(ITEMS_FLOW)
    assert parsed.root is not None
    nodes = parsed.root.get("nodes")
    assert nodes is not None
    third = nodes.child(2)
    assert third is not None and third.value is nodes.value[2]
    assert json.loads(third.raw) == nodes.value[2]
    assert nodes.child(2) is third and nodes.child(6) is None and nodes.child(-1) is None
    span = parsed.root.find(("nodes", 2, "config", "message"))
    assert span is not None and span.raw == '"m2"'
    items = nodes.items  # all of them, the one made before among them
    assert items[2] is third and nodes.items is items
    assert [x.value for x in items] == nodes.value
    assert all(x.value is v for x, v in zip(items, nodes.value, strict=True))


def _edits(text: str) -> st.SearchStrategy[str]:
    """Texts after one edit: inside a node, of whole items, or anywhere."""
    first, last = text.index('"nodes"'), text.rindex("]")

    def typed(data: tuple[int, int, str]) -> str:
        start, length, insert = data
        return text[:start] + insert + text[start + length :]

    return st.tuples(
        st.integers(first, last), st.integers(0, 40), st.sampled_from(["x", "", '"', "},{", ","])
    ).map(typed)


@given(st.data(), st.sampled_from(["none", "some", "all"]))
def test_reparse_with_items_placed_or_made_equals_a_fresh_parse(
    data: st.DataObject, made: str
) -> None:
    old = parse_json(ITEMS_FLOW)
    assert old.root is not None
    for member in ("nodes", "connections"):
        array_node = old.root.get(member)
        assert array_node is not None
        if made == "all":
            _ = array_node.items
        elif made == "some":
            for i in data.draw(st.lists(st.integers(0, 5), max_size=3)):
                item = array_node.child(i)
                if item is not None:
                    _ = item.properties  # expanded: it must move with the edit
    text = data.draw(_edits(ITEMS_FLOW))
    new, fresh = reparse_json(old, text), parse_json(text)
    assert new.errors == fresh.errors
    if fresh.errors or fresh.root is None or new.root is None:
        return
    assert new.root.value == fresh.root.value
    for member in ("nodes", "connections"):
        if fresh.root.get(member) is None or fresh.root.get(member).kind != "array":  # type: ignore[union-attr]
            continue
        assert _spans(new, member) == _spans(fresh, member)
        for item in new.root.get(member).items:  # type: ignore[union-attr]
            assert item.raw == text[item.start : item.end]
            for prop in item.properties:
                assert prop.value is not None and json.loads(prop.value.raw) == prop.value.value


def test_made_items_are_kept_through_an_edit_in_another_item() -> None:
    old = parse_json(ITEMS_FLOW)
    assert old.root is not None
    nodes = old.root.get("nodes")
    assert nodes is not None
    before, edited, after = nodes.child(1), nodes.child(3), nodes.child(5)
    assert before is not None and edited is not None and after is not None
    _ = before.properties, after.properties
    text = ITEMS_FLOW.replace('"m3"', '"m33"')
    new = reparse_json(old, text)
    assert new.root is not None
    new_nodes = new.root.get("nodes")
    assert new_nodes is not None and new_nodes.value[0] is nodes.value[0]
    assert new_nodes.child(1) is before  # the same node, reading the new text
    assert new_nodes.child(3) is not edited and new_nodes.value[3]["config"]["message"] == "m33"
    moved = new_nodes.child(5)
    assert moved is not None and moved is not after and moved.start == after.start + 1
    assert moved.raw == after.raw and moved.get("id") is not None
    assert _spans(new, "nodes") == _spans(parse_json(text), "nodes")


def test_indexes_are_shared_ints() -> None:
    nodes = [{"id": f"n{i}", "type": "util/log", "version": "1.0.0"} for i in range(1500)]
    links = [{"from": f"n{i}.out", "to": f"n{i + 1}.in"} for i in range(1400)]
    text = json.dumps({"nodeforge": "1", "nodes": nodes, "connections": links})
    one, two = load_document(text), load_document(text)
    assert [n.index for n in one.nodes] == list(range(1500))
    assert [c.index for c in one.connections] == list(range(1400))
    assert one.nodes[1300].index is two.nodes[1300].index is two.connections[1300].index
