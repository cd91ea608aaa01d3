"""Python simulations: the structural nodes' here, every other node's from its kit.

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

:data:`SIMULATIONS` holds the structural nodes' functions; :func:`lookup` finds any
other node's in its kit (the manifest's ``simulation``: a trusted ``simulation.py``, a
declared one, or ``io``). A node without one is treated like an I/O node. Workspace
packs cannot run Python simulations: that would run workspace code unconfined inside
the editor (see :func:`kit_simulation`).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeforge.analysis.catalog import DeclaredError, NodeManifest, SimulationSpec
from nodeforge.analysis.expressions import (
    EvalScope,
    evaluate,
    parse,
    parse_template,
    render_template,
)
from nodeforge.analysis.expressions.errors import EvalError
from nodeforge.analysis.kits import kit_of, simulation_digest, trusted_simulation_digests
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


def pinned_http_failure(config: dict[str, Any], url: Any, pinned: Any) -> NodeFailure | None:
    """The failure a pinned ``http/request`` output stands for, as the Go runtime's
    ``nf.PinnedReply`` reads it: a ``status`` >= 400 is the node error ``http_<status>``
    (retryable for 429 and 5xx) a live answer with that status gives, except a 4xx when
    ``client_errors`` is ``"out"`` (1.2.0). ``url`` is the rendered URL."""
    if not isinstance(pinned, dict):
        return None
    status = pinned.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or status < 400:
        return None
    if status < 500 and config.get("client_errors", "error") == "out":
        return None
    method = str(config.get("method", "GET"))
    target = str(url if url is not None else config.get("url", "")).split("?", 1)[0]
    message = f"{method} {target}: HTTP {status}"
    detail = _error_message(pinned.get("body"))
    if detail:
        message += ": " + detail
    return NodeFailure(message, f"http_{status}", status == 429 or status >= 500)


def _error_message(body: Any) -> str:
    """The error text of an HTTP error body (``nf.errorMessage``): ``error`` as a string
    or ``error.message``, else ``message``."""
    if not isinstance(body, dict):
        return ""
    err = body.get("error")
    if isinstance(err, str):
        return err
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return str(err["message"])
    if isinstance(body.get("message"), str):
        return str(body["message"])
    return ""


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
    if run.version == "1.0.0":
        return [*(("item", item) for item in items), ("done", run.input)]
    # 1.1.0: `done` carries the input, the results and the count; the simulator appends
    # the value of `collect` to `results` once each element's branch has run.
    done = {"input": run.input, "results": [], "count": len(items)}
    return [*(("item", item) for item in items), ("done", done)]


def _trigger(run: NodeRun) -> list[Emission]:
    return [("out", run.input)]


#: The structural nodes the simulator runs with these functions (the flow language);
#: every other node's simulation is declared by its kit (see :func:`lookup`).
SIMULATIONS: dict[str, Simulation] = {
    "flow/if": _if,
    "flow/switch": _switch,
    "flow/foreach": _foreach,
    "http/trigger": _trigger,
    "trigger/manual": _trigger,
    "trigger/schedule": _trigger,
    "trigger/queue": _trigger,
}

# Handled by the simulator itself: flow/merge (waits for both inputs), http/respond
# (the execution's answer) and flow/subflow (the called flow, simulated in turn).
ENGINE_NODES = frozenset({"flow/merge", "http/respond", "flow/subflow"})


def lookup(node_type: str, version: str, manifest: NodeManifest | None = None) -> Simulation | None:
    """The simulation of a node version: a structural node's function here, else what
    its kit declares (``manifest``, or the standard catalog's for the type). None: not
    simulated (I/O, no simulation, or a Python module this process may not run)."""
    found = SIMULATIONS.get(node_type)
    if found is not None:
        return found
    if manifest is None:
        from nodeforge.analysis.workspace import standard_catalog

        manifest = standard_catalog().get(node_type, version)
    if manifest is None:
        return None
    return kit_simulation(manifest)[0]


def kit_simulation(manifest: NodeManifest) -> tuple[Simulation | None, str]:
    """A kit's simulation and, when there is none, why (shown with ``faithful: false``).

    A Python module runs only for trusted kits (built-in and installed packs), or when
    its bytes are those of a trusted kit's module (a fork not edited since it was
    copied): a workspace pack's Python is never run inside the editor or the CLI."""
    spec = manifest.simulation
    if spec is None:
        return None, "is a custom node type with no simulation"
    if spec.kind == "io":
        return None, spec.reason
    if spec.kind == "declared":
        defaults = {
            key: copy.deepcopy(sub["default"])
            for key, sub in manifest.properties.items()
            if isinstance(sub, dict) and "default" in sub
        }
        return _declared(spec, defaults), ""
    kit = kit_of(manifest)
    path = kit.simulation
    if not kit.trusted:
        try:
            trusted = trusted_simulation_digests().get(simulation_digest(path))
        except OSError as exc:
            return None, f"has a simulation module that cannot be read ({exc})"
        if trusted is None:
            return None, (
                "ships a Python simulation, which a workspace pack may not run (declare the "
                'simulation as data: "kind": "declared", see docs/writing-nodes.md)'
            )
        path = trusted
    try:
        return _python_simulation(path), ""
    except (OSError, ImportError, SyntaxError, AttributeError) as exc:
        return None, f"has a simulation module that does not load ({exc})"


_MODULES: dict[Path, tuple[tuple[int, int], Simulation]] = {}


def _python_simulation(path: Path) -> Simulation:
    """``simulate`` of a trusted kit's ``simulation.py`` (loaded once per file version)."""
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _MODULES.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    name = "nodeforge_kit_" + hashlib.sha256(str(path).encode()).hexdigest()[:16]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, "simulate", None)
    if not callable(fn):
        raise AttributeError(f"{path} has no function simulate(run)")
    _MODULES[path] = (stamp, fn)
    return fn  # type: ignore[no-any-return]


def _declared(spec: SimulationSpec, defaults: dict[str, Any]) -> Simulation:
    """A simulation declared as data (see :class:`SimulationSpec`): its value, or the
    first of its ``errors`` whose config and condition hold (:class:`DeclaredError`)."""

    def run(r: NodeRun) -> list[Emission]:
        config = {**defaults, **r.config}  # as the executor gets it: defaults filled in
        value = _build(spec.value, r, config)
        if spec.errors:
            failure = _declared_failure(spec.errors, r, config, value)
            if failure is not None:
                raise failure
        return [(spec.port, value)]

    return run


def _declared_failure(
    cases: list[DeclaredError], r: NodeRun, config: dict[str, Any], value: Any
) -> NodeFailure | None:
    """The failure of the first case that applies: its ``config`` values equal the node's
    and its ``when`` is true, evaluated with ``nodes.self`` = the node's config and
    would-be output."""
    nodes = {**r.scope.nodes, "self": {"config": config, "out": value}}
    scope = dataclasses.replace(r.scope, nodes=nodes)
    local = dataclasses.replace(r, scope=scope)
    for i, case in enumerate(cases):
        if any(config.get(k) != v for k, v in case.config.items()):
            continue
        holds = local.expr(case.when, f"simulation.errors[{i}].when")
        if not isinstance(holds, bool):
            raise EvalError(
                f"simulation.errors[{i}].when: expected a boolean, got {json.dumps(holds)}"
            )
        if holds:
            return NodeFailure(local.template(case.message), case.code, case.retryable)
    return None


def _build(value: Any, run: NodeRun, config: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((op, arg),) = value.items()
            if op == "$input":
                cur = run.input
                for part in [p for p in str(arg).split(".") if p]:
                    cur = cur.get(part) if isinstance(cur, dict) else None
                return copy.deepcopy(cur)
            if op == "$config":
                return copy.deepcopy(config.get(str(arg)))
            if op == "$expr":
                return run.expr(config.get(str(arg)), str(arg))
            if op == "$template":
                return run.template(config.get(str(arg), ""))
        return {k: _build(v, run, config) for k, v in value.items()}
    if isinstance(value, list):
        return [_build(v, run, config) for v in value]
    return value


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


def fork_note(manifest: NodeManifest) -> str:
    """For a workspace fork changed since it was copied: why its simulation (the one it
    carries, its base's) may not show what its Go code does now. Empty otherwise."""
    base = fork_base(manifest.path)
    if base is None:
        return ""
    from nodeforge.project.fork import fork_modified

    if not fork_modified(manifest.path.parent):
        return ""
    return (
        f"{manifest.type} {manifest.version} is a fork of {base[0]} {base[1]} changed since "
        "it was copied: it runs the simulation it carries, so changes to its Go code are "
        "not reflected (test it with test-node or nodeforge node test)"
    )


def not_simulated_reason(node_type: str, manifest: NodeManifest | None = None) -> str:
    """Why a node is not simulated (its kit's ``io`` reason, or what keeps its
    simulation from running)."""
    if manifest is None:
        return "is a custom node type with no simulation"
    return kit_simulation(manifest)[1] or "is a custom node type with no simulation"


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
