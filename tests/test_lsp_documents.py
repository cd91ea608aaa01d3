"""Snapshots: incremental edits splice the text and the line table exactly as a full
rescan would, in every position encoding (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.text import LineIndex, PositionEncoding
from nodeforge.server.documents import TextChange, new_snapshot
from nodeforge.server.settings import Settings, parse_settings

ALPHABET = st.sampled_from(["a", "b", " ", "{", '"', "\n", "\r", "\r\n", "é", "😀", "€"])
TEXT = st.lists(ALPHABET, max_size=40).map("".join)


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]], PositionEncoding]:
    text = draw(TEXT)
    encoding = draw(st.sampled_from(list(PositionEncoding)))
    changes = []
    current = text
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(current)))
        end = draw(st.integers(start, len(current)))
        insert = draw(TEXT)
        changes.append((start, end, insert))
        current = current[:start] + insert + current[end:]
    return text, changes, encoding


@given(edits())
def test_incremental_edits_match_a_rescan(
    case: tuple[str, list[tuple[int, int, str]], PositionEncoding],
) -> None:
    text, changes, encoding = case
    snapshot = new_snapshot("file:///t.flow.json", 1, text)
    expected = text
    for version, (start, end, insert) in enumerate(changes, start=2):
        lines = LineIndex(expected)
        first, last = lines.position(start, encoding), lines.position(end, encoding)
        # An offset inside a surrogate pair (UTF-16/UTF-8) has no position of its own:
        # the oracle applies the edit where the positions point.
        s = lines.offset(first, encoding)
        e = max(s, lines.offset(last, encoding))
        expected = expected[:s] + insert + expected[e:]
        snapshot = snapshot.apply([TextChange(first, last, insert)], version, encoding)
        assert snapshot.text == expected
        assert snapshot.lines.line_starts == LineIndex(expected).line_starts
        assert snapshot.version == version


def test_whole_document_change_and_multiple_changes() -> None:
    snapshot = new_snapshot("file:///t.flow.json", 1, "ab\ncd\n")
    snapshot = snapshot.apply([TextChange(None, None, "x\ny")], 2, PositionEncoding.UTF16)
    assert snapshot.text == "x\ny" and list(snapshot.lines.line_starts) == [0, 2]
    p = LineIndex(snapshot.text).position
    changes = [
        TextChange(p(0), p(1), "X"),  # "X\ny"
        TextChange(p(3), p(3), "\nz"),  # appended on the (new) text's end
    ]
    snapshot = snapshot.apply(changes, 3, PositionEncoding.UTF16)
    assert snapshot.text == "X\ny\nz"
    assert snapshot.lines.line_starts == LineIndex(snapshot.text).line_starts


def test_settings_parse_and_report() -> None:
    settings, problems = parse_settings(
        {"nodeforge": {"debounceMs": 20, "rules": {"nf010": "OFF"}, "codeLens": "yes"}}
    )
    assert settings.debounce_ms == 20 and settings.rules == {"NF010": "off"}
    assert settings.code_lens is True and len(problems) == 1 and "codeLens" in problems[0]
    assert settings.severity_of("NF010", Severity.WARNING) is None
    assert settings.severity_of("NF001", Severity.ERROR) == Severity.ERROR
    assert parse_settings("nope")[1] and parse_settings(None) == (Settings(), [])
    assert parse_settings({"maxDiagnostics": 0})[1]
