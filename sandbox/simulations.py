"""Python simulations of the standard nodes, one function per node type.

A simulation gets a :class:`NodeRun` (the node, its config, the value that arrived and
on which port, expression helpers, a log) and returns what it emits: a list of
``(port, value)``. It raises :class:`NodeFailure` for a failure that goes to the node's
``error`` port (or fails the execution when that port is unconnected), and lets
:class:`~nodeforge.analysis.expressions.EvalError` through for a failing expression
(which fails the execution, as a panic does in the generated Go).

The semantics are those of the generated Go code (``codegen/flowgen.py``); the
differential tests hold the two together. Nodes that do real I/O (SQL, HTTP calls,
email, WhatsApp, LLMs), run custom Go code or call another flow are not simulated: they
take their pinned output from the fixtures, or a value made from their output schema,
and the result says that it is not faithful and why.

Registry: :data:`SIMULATIONS` maps a node type (or ``type@version`` for a behaviour of
one version) to its function. A custom node type without an entry is treated like an
I/O node. (Custom nodes cannot ship Python simulations: that would run workspace code
unconfined inside the editor.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeforge.analysis.expressions import (
    EvalScope,
    evaluate,
    parse,
    parse_template,
    render_template,
)
from nodeforge.analysis.expressions.errors import EvalError
from nodeforge.analysis.types import (
    AnyType,
    ArrayType,
    BoolType,
    IntType,
    NullType,
    NumberType,
    ObjectType,
    StringType,
    Type,
    UnionType,
)

Emission = tuple[str, Any]


class NodeFailure(Exception):
    """The node failed; the value of its ``error`` port is ``as_value()``."""

    def __init__(self, message: str, code: str = "internal", retryable: bool = False) -> None:
        super().__init__(message)
        self.message, self.code, self.retryable = message, code, retryable

    def as_value(self) -> dict[str, Any]:
        return {"message": self.message, "code": self.code, "retryable": self.retryable}


@dataclass
class NodeRun:
    node_id: str
    type: str
    version: str
    config: dict[str, Any]
    port: str  # the input port the value arrived on
    input: Any
    scope: EvalScope
    logs: list[dict[str, Any]] = field(default_factory=list)

    def expr(self, source: Any, what: str = "") -> Any:
        if not isinstance(source, str):
            raise EvalError(f"{what or 'expression'} is not a string")
        parsed = parse(source)
        if parsed.expr is None:
            msg = parsed.errors[0].message if parsed.errors else "invalid expression"
            raise EvalError(f"{what}: {msg}" if what else msg)
        return evaluate(parsed.expr, self.scope)

    def template(self, source: Any) -> str:
        if source is None:
            return ""
        return render_template(parse_template(str(source)), self.scope)

    def log(self, level: str, message: str, **fields: Any) -> None:
        self.logs.append({"level": level.upper(), "msg": message, **fields})


Simulation = Callable[[NodeRun], list[Emission]]


# -- control and data nodes ----------------------------------------------------------------


def _if(run: NodeRun) -> list[Emission]:
    cond = run.expr(run.config.get("condition"), "condition")
    if not isinstance(cond, bool):
        raise EvalError(f"condition: expected a boolean, got {json.dumps(cond)}")
    return [("true" if cond else "false", run.input)]


def _switch(run: NodeRun) -> list[Emission]:
    for i, case in enumerate(run.config.get("cases") or []):
        when = run.expr(case.get("when") if isinstance(case, dict) else None, f"cases[{i}].when")
        if when is True:
            return [(f"case{i + 1}", run.input)]
        if not isinstance(when, bool):
            raise EvalError(f"cases[{i}].when: expected a boolean, got {json.dumps(when)}")
    return [("default", run.input)]


def _foreach(run: NodeRun) -> list[Emission]:
    items = run.expr(run.config.get("list"), "list")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise EvalError(f"list: expected a list, got {type(items).__name__}")
    return [*(("item", item) for item in items), ("done", run.input)]


def _map(run: NodeRun) -> list[Emission]:
    mapping = run.config.get("mapping") or {}
    out: dict[str, Any] = {}
    if run.config.get("keep_input") and isinstance(run.input, dict):
        out.update(run.input)
    for key, source in mapping.items():
        out[key] = run.expr(source, f"mapping.{key}")
    return [("out", out)]


def _set(run: NodeRun) -> list[Emission]:
    out: dict[str, Any] = dict(run.input) if isinstance(run.input, dict) else {}
    for key, source in (run.config.get("values") or {}).items():
        out[key] = run.expr(source, f"values.{key}")
    return [("out", out)]


def _template(run: NodeRun) -> list[Emission]:
    return [("out", {"text": run.template(run.config.get("template", ""))})]


def _validate(run: NodeRun) -> list[Emission]:
    from nodeforge.sandbox.schemacheck import validate

    problems = validate(run.input, run.config.get("schema") or {})
    if problems:
        errors = [{"path": p["pointer"], "message": p["message"]} for p in problems]
        return [("invalid", {"errors": errors, "input": run.input})]
    return [("valid", run.input)]


def _log(run: NodeRun) -> list[Emission]:
    message = run.template(run.config.get("message", ""))
    fields = {
        str(k): run.expr(v, f"fields.{k}") for k, v in (run.config.get("fields") or {}).items()
    }
    run.log(str(run.config.get("level", "info")), message, **fields)
    return [("out", run.input)]


def _trigger(run: NodeRun) -> list[Emission]:
    return [("out", run.input)]


SIMULATIONS: dict[str, Simulation] = {
    "flow/if": _if,
    "flow/switch": _switch,
    "flow/foreach": _foreach,
    "data/map": _map,
    "data/set": _set,
    "data/template": _template,
    "data/validate": _validate,
    "util/log": _log,
    "http/trigger": _trigger,
    "trigger/manual": _trigger,
    "trigger/schedule": _trigger,
}

# Handled by the simulator itself: flow/merge (waits for both inputs), http/respond
# (the execution's answer) and flow/subflow (the called flow, simulated in turn).
ENGINE_NODES = frozenset({"flow/merge", "http/respond", "flow/subflow"})

# Why each I/O node type is not simulated (the reason shown with faithful: false).
NOT_SIMULATED: dict[str, str] = {
    "sql/query": "runs SQL against a database",
    "sql/exec": "runs SQL against a database",
    "http/request": "calls an HTTP service",
    "email/send": "sends email",
    "whatsapp/send": "sends a WhatsApp message",
    "llm/generate": "calls a language model",
    "llm/classify": "calls a language model",
    "llm/extract": "calls a language model",
    "code/go": "runs custom Go code (test it with test-node)",
}


def lookup(node_type: str, version: str) -> Simulation | None:
    return SIMULATIONS.get(f"{node_type}@{version}") or SIMULATIONS.get(node_type)


_FORK_CACHE: dict[str, tuple[float, tuple[str, str] | None]] = {}


def fork_base(manifest_path: Path | None) -> tuple[str, str] | None:
    """The type and version a workspace fork was copied from (its ``fork.json``)."""
    if manifest_path is None or not str(manifest_path):
        return None
    record = manifest_path.parent / "fork.json"
    try:
        mtime = record.stat().st_mtime
    except OSError:
        return None
    hit = _FORK_CACHE.get(str(record))
    if hit is not None and hit[0] == mtime:
        return hit[1]
    from nodeforge.project.fork import fork_base as project_fork_base

    found = project_fork_base(manifest_path)
    base = (found.base_type, found.base_version) if found is not None else None
    _FORK_CACHE[str(record)] = (mtime, base)
    return base


def not_simulated_reason(node_type: str) -> str:
    return NOT_SIMULATED.get(node_type, "is a custom node type with no simulation")


# -- values made from schemas ------------------------------------------------------------

_FORMAT_EXAMPLES = {
    "email": "user@example.com",
    "date-time": "1970-01-01T00:00:00Z",
    "date": "1970-01-01",
    "time": "00:00:00",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def sample(t: Type, depth: int = 0) -> Any:
    """A plain value of type ``t``: zero values, the first enum value, format examples,
    every known field of an object."""
    if depth > 8:
        return None
    if isinstance(t, UnionType):
        options = [o for o in t.options if not isinstance(o, NullType)]
        return sample(options[0], depth + 1) if options else None
    if isinstance(t, BoolType):
        return False
    if isinstance(t, IntType):
        return 0
    if isinstance(t, NumberType):
        return 0.0
    if isinstance(t, StringType):
        if t.enum:
            return t.enum[0]
        return _FORMAT_EXAMPLES.get(t.format or "", "")
    if isinstance(t, ArrayType):
        return []
    if isinstance(t, ObjectType):
        return {f.name: sample(f.type, depth + 1) for f in t.fields}
    return None


def complete(value: Any, t: Type, depth: int = 0) -> Any:
    """``value`` with each missing required field of an object filled with
    :func:`sample` (a test input may leave out what the node does not read)."""
    if depth > 16:
        return value
    if isinstance(t, UnionType):
        options = [o for o in t.options if not isinstance(o, NullType)]
        return complete(value, options[0], depth + 1) if len(options) == 1 else value
    if isinstance(t, ObjectType) and isinstance(value, dict):
        out = dict(value)
        for f in t.fields:
            if f.name in out:
                out[f.name] = complete(out[f.name], f.type, depth + 1)
            elif f.required:
                out[f.name] = sample(f.type, depth + 1)
        return out
    if isinstance(t, ArrayType) and isinstance(value, list):
        return [complete(v, t.items, depth + 1) for v in value]
    return value


def shape(value: Any, t: Type, depth: int = 0) -> Any:
    """``value`` as the generated Go code holds it in a variable of type ``t``: objects
    typed with known fields (Go structs) keep only those fields."""
    if depth > 32:
        return value
    if isinstance(t, UnionType):
        options = [o for o in t.options if not isinstance(o, NullType)]
        if len(options) == 1:
            return shape(value, options[0], depth + 1)
        return value
    if isinstance(t, ObjectType) and isinstance(value, dict):
        if t.fields:  # a Go struct: unknown fields are dropped
            out = {}
            for f in t.fields:
                if f.name in value and not (value[f.name] is None and not f.required):
                    out[f.name] = shape(value[f.name], f.type, depth + 1)
            return out
        if t.additional is not None and not isinstance(t.additional, AnyType):
            return {k: shape(v, t.additional, depth + 1) for k, v in value.items()}
        return value
    if isinstance(t, ArrayType) and isinstance(value, list):
        return [shape(v, t.items, depth + 1) for v in value]
    if isinstance(t, NumberType) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(t, AnyType):
        return value
    return value
