"""The server's garbage-collection policy around analyses (server/idlegc.py)."""

from __future__ import annotations

import gc

import pytest

from nodeforge.server import idlegc


def test_what_an_analysis_allocated_is_frozen_when_it_is_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(idlegc, "_collector", object())  # as in the server
    before = gc.get_freeze_count()
    try:
        kept = idlegc.frozen_after(lambda n: [[i] for i in range(n)], 1000)
        assert len(kept) == 1000
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + 1000
    finally:
        gc.unfreeze()


def test_outside_the_server_nothing_is_frozen() -> None:
    before = gc.get_freeze_count()
    assert idlegc.frozen_after(lambda: [[1], [2]]) == [[1], [2]]
    assert gc.get_freeze_count() == before and gc.isenabled()
