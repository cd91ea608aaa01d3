"""``data/map`` adapters for incompatible connections (``NF009``, ``NF010``), with the model.

The deterministic matcher (:func:`nodeforge.analysis.types.propose_mapping`, the quick
fix of ``analysis/ide/actions.py``) runs first. Fields it can only fill with a typed
placeholder (an expression that does not read ``input``: ``""``, ``0``, ``[]``...) are
the ones no source field matches by name and type; only then is the model asked, for
a mapping of the target's fields. Its mapping (over the matcher's) is offered only if
the document with the adapter inserted analyses without an error or warning on the
adapter node or on its two connections, i.e. it type-checks against both ports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.ide.actions import adapter_edits, adapter_ports
from nodeforge.analysis.ide.model import TextEdit
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import describe, propose_mapping
from nodeforge.assist import prompts
from nodeforge.assist.catalog_context import RULES
from nodeforge.assist.flows import apply_edits, describe_diagnostic
from nodeforge.assist.repair import (
    DEFAULT_MAX_ROUNDS,
    Attempt,
    ChatClient,
    Checked,
    Outcome,
    run_loop,
)

FEATURE = "adapter"
ADAPTED_CODES = ("NF009", "NF010")
_READS_INPUT = re.compile(r"\binput\b")


class AdapterError(Exception):
    """The connection cannot get a ``data/map`` adapter (the message says why)."""


@dataclass
class Adapter:
    """A checked adapter: its mapping, the edits inserting it, and their title."""

    mapping: dict[str, str]
    title: str
    edits: list[TextEdit]
    text: str  # the document with the adapter inserted


@dataclass
class AdapterResult:
    outcome: Outcome[Adapter]
    unmatched: list[str]  # the fields the deterministic matcher could not fill
    asked_model: bool

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    def as_dict(self) -> dict[str, Any]:
        adapter = self.outcome.value
        return {
            "ok": self.ok,
            "rounds": self.outcome.rounds,
            "message": self.outcome.message,
            "error_kind": self.outcome.error_kind,
            "asked_model": self.asked_model,
            "unmatched": self.unmatched,
            "mapping": adapter.mapping if adapter is not None else None,
            "attempts": [a.as_dict() for a in self.outcome.attempts],
        }


def connection_data(analysis: Analysis, index: int) -> dict[str, Any]:
    """The ``data`` of the ``NF009``/``NF010`` diagnostic on connection ``index``."""
    for d in analysis.diagnostics:
        if d.code in ADAPTED_CODES and d.data.get("index") == index:
            return d.data
    raise AdapterError(f"connection {index} has no type mismatch (NF009 or NF010) to adapt")


def unmatched_fields(mapping: dict[str, str]) -> list[str]:
    """Target fields the matcher filled with a placeholder (not reading ``input``)."""
    return [field for field, expr in mapping.items() if not _READS_INPUT.search(expr)]


def check_adapter(analysis: Analysis, data: dict[str, Any], mapping: Any) -> Checked[Adapter]:
    """Insert a ``data/map`` with ``mapping`` and analyse: the adapter, or the problems on
    the adapter node and its connections."""
    if not isinstance(mapping, dict) or not mapping:
        return None, ['`mapping` must be a non-empty object of "field": "expression"']
    bad = [k for k, v in mapping.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        return None, [f"the expression of `{k}` must be a non-empty string" for k in bad]
    found = adapter_edits(analysis, data, mapping)
    if found is None:
        return None, ["the adapter cannot be inserted into this connection"]
    title, edits = found
    text = apply_edits(analysis.document.text, edits)
    after = analyze(text, uri=analysis.document.uri, workspace=analysis.workspace)
    before = {n.id for n in analysis.document.nodes}
    added = [n for n in after.document.nodes if n.id not in before]
    if len(added) != 1 or added[0].id is None:
        return None, ["the adapter node could not be found after inserting it"]
    node = added[0]
    spans = [after.document.span_of(node.path)]
    for conn in after.document.connections:
        ends = (conn.value.get("from"), conn.value.get("to"))
        if any(isinstance(e, str) and e.split(".")[0] == node.id for e in ends):
            spans.append(after.document.span_of(conn.path))
    problems = [
        describe_diagnostic(after, d)
        for d in after.diagnostics
        if d.severity <= Severity.WARNING and any(_inside(d.span, s) for s in spans)
    ]
    if problems:
        return None, problems
    return Adapter(dict(mapping), title, edits, text), []


def adapt(
    client: ChatClient | None,
    analysis: Analysis,
    index: int,
    *,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    show_prompt: Callable[[dict[str, Any]], None] | None = None,
    on_round: Callable[[int], None] | None = None,
) -> AdapterResult:
    """An adapter for connection ``index``: the matcher's when it matches every field
    (the model is not asked), else the model's, checked. ``client`` may be None only
    when the matcher suffices (else :class:`AdapterError`)."""
    data = connection_data(analysis, index)
    ports = adapter_ports(analysis, data)
    if ports is None:
        raise AdapterError(
            f"`{data['from']}` -> `{data['to']}`: the target does not take an object, "
            "so no data/map can adapt it"
        )
    src, dst = ports
    proposed = propose_mapping(src, dst)
    unmatched = unmatched_fields(proposed)
    if not unmatched:
        adapter, problems = check_adapter(analysis, data, proposed)
        attempt = Attempt(0, adapter is not None, problems)
        message = "the deterministic matcher matched every field"
        if adapter is None:
            message = "the deterministic adapter does not type-check: " + "; ".join(problems)
        return AdapterResult(Outcome(adapter is not None, adapter, [attempt], message), [], False)
    if client is None:
        raise AdapterError("fields cannot be matched by name and type, and no model is at hand")
    matched = {k: v for k, v in proposed.items() if k not in unmatched}
    messages = prompts.adapter_messages(
        RULES,
        source=data["from"],
        target=data["to"],
        source_type=describe(src, max_fields=40, max_depth=4),
        target_type=describe(dst, max_fields=40, max_depth=4),
        matched=matched,
        unmatched=unmatched,
    )

    def check(answer: Any) -> Checked[Adapter]:
        mapping = answer.get("mapping") if isinstance(answer, dict) else None
        if not isinstance(mapping, dict):
            return None, ['answer with {"mapping": {"<target field>": "<expression>"}}']
        # the model's fields win; a matched `a.b` gives way to the model's `a`
        kept = {k: v for k, v in matched.items() if k.split(".")[0] not in mapping}
        return check_adapter(analysis, data, {**kept, **mapping})

    outcome = run_loop(
        client,
        messages,
        check,
        feature=FEATURE,
        schema=prompts.ADAPTER_SCHEMA,
        schema_name="adapter",
        max_rounds=max_rounds,
        show_prompt=show_prompt,
        on_round=on_round,
    )
    return AdapterResult(outcome, unmatched, True)


def _inside(span: Span, outer: Span) -> bool:
    return outer.start <= span.start and span.end <= outer.end
