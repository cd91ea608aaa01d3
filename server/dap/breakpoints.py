"""Breakpoints on node lines: which node a line lands on, conditions in the flow's
expression language, hit counts, log points (a template printed instead of a stop)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge.analysis.expressions import (
    EvalScope,
    Expr,
    Template,
    evaluate,
    parse,
    parse_template,
    render_template,
)
from nodeforge.analysis.expressions.errors import EvalError
from nodeforge.analysis.flow import load_document
from nodeforge.server.dap.locations import NodeSpan, node_at_line, node_spans

_HIT = re.compile(r"\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*\Z")
_HIT_TESTS: dict[str, Callable[[int, int], bool]] = {
    "==": lambda hits, n: hits == n,
    ">=": lambda hits, n: hits >= n,
    "<=": lambda hits, n: hits <= n,
    ">": lambda hits, n: hits > n,
    "<": lambda hits, n: hits < n,
    "%": lambda hits, n: hits % n == 0,
}


class BreakpointError(Exception):
    pass


@dataclass
class Breakpoint:
    id: int
    line: int  # zero-based, as requested (not moved)
    spec: dict[str, Any]  # the client's SourceBreakpoint, to map it again
    node: str | None = None
    message: str | None = None  # why it is not verified
    condition: Expr | None = None
    hit_test: Callable[[int], bool] | None = None
    log: Template | None = None
    hits: int = 0

    @property
    def verified(self) -> bool:
        return self.node is not None and self.message is None

    def should_stop(self, scope: EvalScope) -> tuple[bool, str | None]:
        """Whether reaching its node stops here (the condition holds and the hit count is
        met), and what a log point prints; a condition that fails to evaluate stops with
        the reason, so that it can be looked at."""
        if self.condition is not None:
            try:
                holds = evaluate(self.condition, scope)
            except EvalError as exc:
                return True, f"breakpoint condition failed: {exc.message}"
            if not isinstance(holds, bool):
                return True, f"breakpoint condition is not a boolean: {holds!r}"
            if not holds:
                return False, None
        self.hits += 1
        if self.hit_test is not None and not self.hit_test(self.hits):
            return False, None
        if self.log is not None:
            try:
                return False, render_template(self.log, scope)
            except EvalError as exc:
                return False, f"log point failed: {exc.message}"
        return True, None


def parse_hit_condition(text: str) -> Callable[[int], bool]:
    """``N`` (from the Nth hit on), ``== N``, ``> N``, ``>= N``, ``< N``, ``<= N``,
    ``% N`` (every Nth hit)."""
    m = _HIT.match(text)
    if m is None or (m.group(1) == "%" and int(m.group(2)) == 0):
        raise BreakpointError(
            f"hit count {text!r}: expected N, == N, > N, >= N, < N, <= N or % N (N > 0 for %)"
        )
    test, n = _HIT_TESTS[m.group(1) or ">="], int(m.group(2))
    return lambda hits: test(hits, n)


def read_spans(path: Path) -> list[NodeSpan]:
    """The node spans of a flow file on disk (BreakpointError when it cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BreakpointError(f"cannot read {path}: {exc}") from None
    return node_spans(load_document(text, path.as_uri()))


def make_breakpoint(id_: int, line: int, spans: list[NodeSpan], spec: dict[str, Any]) -> Breakpoint:
    """A breakpoint at zero-based ``line`` from a DAP ``SourceBreakpoint``; problems make
    it unverified with a message, never an error of the whole request."""
    bp = Breakpoint(id_, line, spec)
    span = node_at_line(spans, line)
    if span is None:
        bp.message = (
            "not inside a node: a breakpoint stops before the node whose object spans its line"
        )
        return bp
    bp.node = span.node
    condition = spec.get("condition")
    if isinstance(condition, str) and condition.strip():
        parsed = parse(condition)
        if parsed.expr is None or parsed.errors:
            first = parsed.errors[0] if parsed.errors else None
            where = f" (column {first.start + 1})" if first is not None else ""
            why = first.message if first is not None else "invalid expression"
            bp.message = f"condition: {why}{where}"
            return bp
        bp.condition = parsed.expr
    hit = spec.get("hitCondition")
    if isinstance(hit, str) and hit.strip():
        try:
            bp.hit_test = parse_hit_condition(hit)
        except BreakpointError as exc:
            bp.message = str(exc)
            return bp
    log = spec.get("logMessage")
    if isinstance(log, str) and log:
        template = parse_template(log)
        if template.errors:
            bp.message = f"log message: {template.errors[0].message}"
            return bp
        bp.log = template
    return bp
