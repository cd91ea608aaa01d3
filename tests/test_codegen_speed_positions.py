"""codegen/jsonpos.LineColumns counts lines between the //line positions asked for: it
must answer what LineIndex.position answers, whatever the order of the offsets, the line
breaks or the characters, before and after it falls back to the line table."""

from __future__ import annotations

import random

import pytest

from nodeforge.analysis.text import LineIndex
from nodeforge.codegen.jsonpos import LineColumns

TEXTS = {
    "lf": "".join(f'{{\n  "id": "n{i}",\n  "config": {{"x": {i}}}\n}},\n' for i in range(60)),
    "crlf": "a\r\nbb\r\n\r\nccc\r\n" * 20,
    "cr": "a\rbb\n\rccc\r\n" * 20,
    "wide": "é\n😀x\n\n  ü😀😀\nabc\n" * 25,
    "one line": "x" * 3000,
    "empty lines": "\n" * 200,
    "no end": "ab\ncd",
}


def _orders(size: int, rnd: random.Random) -> dict[str, list[int]]:
    every = list(range(size + 1))
    shuffled = every[:]
    rnd.shuffle(shuffled)
    return {
        "forward": every,
        "backward": every[::-1],
        "random": shuffled,
        "repeated": [o for o in every[::7] for _ in range(3)],
        "zigzag": [o for i in range(0, size + 1, 11) for o in (i, size - i)],
    }


@pytest.mark.parametrize("budget", [None, 0, 50, 1000])
@pytest.mark.parametrize("name", sorted(TEXTS))
def test_line_columns_agree_with_the_line_index(name: str, budget: int | None) -> None:
    text = TEXTS[name]
    index = LineIndex(text)
    rnd = random.Random(f"{name}{budget}")
    for order, offsets in _orders(len(text), rnd).items():
        got = LineColumns(text, lambda: index.line_starts, budget)
        for offset in offsets:
            want = index.position(offset)
            assert got.position(offset) == (want.line, want.character), (order, offset)


def test_the_line_table_is_taken_only_past_the_budget() -> None:
    text = TEXTS["lf"]
    asked: list[int] = []

    def starts() -> list[int]:
        asked.append(1)
        return list(LineIndex(text).line_starts)

    in_order = LineColumns(text, starts)
    for offset in range(0, len(text), 5):
        in_order.position(offset)
    assert not asked  # counted forward: no table
    far = LineColumns(text, starts, budget=100)
    for offset in (len(text), 0, len(text), 0):
        far.position(offset)
    assert asked == [1]  # taken once, then kept
    crlf = LineIndex("a\r\nb")
    assert LineColumns("a\r\nb", lambda: asked.append(2) or crlf.line_starts).position(3) == (1, 0)
    assert asked == [1, 2]  # `\r`: the table at once
