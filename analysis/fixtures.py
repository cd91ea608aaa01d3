"""Fixtures: pinned outputs of nodes, for the simulator, flow tests and ``app run``.

A fixture is the output a node emits instead of running (``node id -> value``). Two
forms are not plain values, each an object with exactly one ``$`` key:

* ``{"$error": {"message", "code", "retryable"}}`` pins a failure (simulator only);
* ``{"$sequence": [r1, r2, ...]}`` pins one response per call: the node's first run
  takes ``r1``, its second ``r2``, and so on (a node inside a ``flow/foreach`` runs once
  per item). Each response is a value or an ``$error``. A call beyond the last response
  fails the execution (:func:`exhausted_message`): a test that makes more calls than it
  pinned is told so rather than handed a repeated answer.

The Go runtime reads the same format (``nf.CheckFixtures``, ``Exec.Fixture``) with the
same messages, so the simulator and the compiled app agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SEQUENCE = "$sequence"
ERROR = "$error"

FixturePath = tuple[str | int, ...]


def sequence_of(value: Any) -> list[Any] | None:
    """The responses of a ``{"$sequence": [...]}`` fixture, or None for another value
    (a malformed sequence is returned as is: :func:`fixture_problems` reports it)."""
    if isinstance(value, dict) and len(value) == 1 and SEQUENCE in value:
        seq = value[SEQUENCE]
        return seq if isinstance(seq, list) else []
    return None


def is_error(value: Any) -> bool:
    """Whether a fixture (or one response of a sequence) pins a failure."""
    return isinstance(value, dict) and set(value) == {ERROR}


def fixture_problems(node: str, value: Any) -> list[tuple[FixturePath, str]]:
    """What is wrong with one node's fixture: (path inside the fixture, message)."""
    if not (isinstance(value, dict) and len(value) == 1 and SEQUENCE in value):
        return []
    seq = value[SEQUENCE]
    if not isinstance(seq, list):
        return [((SEQUENCE,), f"fixture of node `{node}`: `$sequence` must be a list of responses")]
    if not seq:
        return [
            (
                (SEQUENCE,),
                f"fixture of node `{node}`: `$sequence` is empty: give one response per call",
            )
        ]
    return [
        (
            (SEQUENCE, i),
            f"fixture of node `{node}`: a response of `$sequence` cannot be a `$sequence` itself",
        )
        for i, item in enumerate(seq)
        if isinstance(item, dict) and len(item) == 1 and SEQUENCE in item
    ]


def all_problems(fixtures: Mapping[str, Any]) -> list[tuple[FixturePath, str]]:
    """Problems of every fixture, with paths from the fixtures object (node id first)."""
    return [
        ((node, *path), message)
        for node, value in fixtures.items()
        for path, message in fixture_problems(node, value)
    ]


def exhausted_message(node: str, call: int, responses: int) -> str:
    """The failure of a call beyond a sequence (the Go runtime says the same)."""
    plural = "response" if responses == 1 else "responses"
    return f"fixture of node {node}: call {call}, but its $sequence has {responses} {plural}"


class FixtureCalls:
    """Which response of each node's fixture comes next, for one execution."""

    def __init__(self, fixtures: Mapping[str, Any]) -> None:
        self.fixtures = fixtures
        self.calls: dict[str, int] = {}

    def take(self, node: str) -> Any:
        """The pinned output of ``node``'s next call; raises :class:`FixtureExhausted`
        past the end of a sequence."""
        value = self.fixtures[node]
        seq = sequence_of(value)
        if seq is None:
            return value
        call = self.calls.get(node, 0) + 1
        self.calls[node] = call
        if call > len(seq):
            raise FixtureExhausted(exhausted_message(node, call, len(seq)))
        return seq[call - 1]


class FixtureExhausted(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


__all__ = [
    "ERROR",
    "SEQUENCE",
    "FixtureCalls",
    "FixtureExhausted",
    "all_problems",
    "exhausted_message",
    "fixture_problems",
    "is_error",
    "sequence_of",
]
