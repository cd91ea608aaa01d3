"""``Memo.get_all`` tests whether every key has a mark in one pass (in C) before looking
key by key: what it returns and what it takes over from the previous analysis must be
what :meth:`Memo.get` finds key by key, with marks, entries with extras, keys without
entries (None and small ints among them) and keys repeated."""

from __future__ import annotations

import random
from typing import Any

from nodeforge.analysis.engine import MISSING, Memo


def _keys(rng: random.Random, pool: list[Any]) -> list[Any]:
    return [rng.choice(pool) for _ in range(rng.randint(0, 8))]


def _fill(rng: random.Random, memo: Memo, pool: list[Any], kind: str) -> None:
    for key in pool:
        roll = rng.random()
        if roll < 0.5:
            memo.put(kind, key, None, True)  # a mark
        elif roll < 0.7:
            memo.put(kind, key, rng.choice([None, 1, "x"]), rng.choice(["v", 0, None]))


def test_get_all_finds_what_get_finds_key_by_key() -> None:
    rng = random.Random(4)
    marked_all = 0
    for _ in range(3000):
        pool: list[Any] = [{"n": i} for i in range(6)] + [None, 1, "s"]
        before = Memo()
        _fill(rng, before, pool[:6], "k")
        # The same state twice: one looked up all at once, one key by key.
        fast, slow = Memo(before), Memo(before)
        if rng.random() < 0.5:
            entries = [k for k in pool[:6] if rng.random() < 0.7]
            fast.mark_all("k", entries)
            slow.mark_all("k", entries)
        for _ in range(3):
            if rng.random() < 0.5:  # often, keys that all have marks
                keys = [k for k in pool[:6] if before.get("k", k) is True] or _keys(rng, pool)
            else:
                keys = _keys(rng, pool)
            extras = [rng.choice([None, 1, "x"]) for _ in keys] if rng.random() < 0.5 else None
            got = fast.get_all("k", keys, extras)
            want = [
                slow.get("k", key, extras[i] if extras is not None else None)
                for i, key in enumerate(keys)
            ]
            assert got == want, (keys, extras, got, want)
            marked_all += bool(keys) and all(hit is True for hit in got)
            assert fast._entries.get("k", {}) == slow._entries.get("k", {})
        assert fast.get_all("none", pool) == [MISSING] * len(pool)
    assert marked_all > 500
