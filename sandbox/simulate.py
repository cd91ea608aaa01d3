"""Simulate a whole flow in Python: instant feedback with I/O mocked.

One execution runs from a trigger with an input, depth first in connection order, as the
generated Go code does (a node's outputs go to its successors in the order of the
connections, each branch to its end before the next; a flow/foreach runs every item's
branch, then ``done``; a flow/merge fires once both inputs have arrived). Expressions and
templates are evaluated by ``analysis.expressions`` (the semantics the Go code follows).

Recorded: every value that crossed every connection, every node's input, outputs, logs
and time, the execution order, the HTTP answer. Nodes doing real I/O take their pinned
output from ``fixtures`` (node id -> output value, the format the compiled app's
``run --fixtures`` reads; ``{"$error": {"message", "code"}}`` pins a failure instead,
``{"$sequence": [...]}`` one response per call, see ``analysis.fixtures``) or a value made
from their output schema; the result then says ``faithful: false`` and why.

Breakpoints: :class:`Simulation` pauses *before* running a node listed in
``breakpoints``; :meth:`Simulation.resume` continues to the next breakpoint, or runs just
one node with ``step=True``.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.expressions import EvalScope
from nodeforge.analysis.expressions.errors import EvalError
from nodeforge.analysis.fixtures import FixtureCalls, FixtureExhausted, all_problems, is_error
from nodeforge.analysis.graph import Edge
from nodeforge.analysis.schedule import schedule_output
from nodeforge.analysis.schemas import param_kinds
from nodeforge.analysis.types import ANY, Type
from nodeforge.sandbox import simulations as sims
from nodeforge.sandbox.schemacheck import typed_params

MAX_VALUES_PER_CONNECTION = 100
MAX_STEPS = 100_000
MAX_CALL_DEPTH = 16  # flow/subflow calls (analysis refuses cycles; this bounds a broken one)
_LATER = "\x00later"  # the port of a stack entry that emits a loop's `done` (not a node run)
_ITEM = "\x00item"  # ... that makes an element the loop's current `item` (before its branch)
_COLLECT = "\x00collect"  # ... that evaluates the loop's `collect` (after an element's branch)
_MARKS = (_LATER, _ITEM, _COLLECT)


class SimulationError(Exception):
    """The request is wrong: no such trigger, the flow has errors that stop a run."""


@dataclass
class Delivery:
    node: str
    port: str  # input port ("" for a trigger)
    value: Any
    edge: int | None  # index of the connection it came through
    # The parallel branches it runs in, outermost first: (group, branch index) pairs.
    branch: tuple[tuple[int, int], ...] = ()


@dataclass
class _Group:
    """A fan-out whose branches meet again at a flow/merge: the app runs them at the same
    time (nf.Parallel), each to its end, then fails with the first failing branch's
    error (by branch order)."""

    path: tuple[tuple[int, int], ...]  # the branches the fan-out itself ran in
    pending: int = 0  # deliveries of the group still on the stack
    failure: tuple[int, str] | None = None  # (branch index, message) of the first failure


@dataclass
class NodeRecord:
    id: str
    type: str
    version: str
    status: str = "not_run"  # not_run | ok | error | pinned | simulated
    runs: int = 0
    inputs: dict[str, Any] = field(default_factory=dict)  # port -> last value
    outputs: dict[str, Any] = field(default_factory=dict)  # port -> last value
    logs: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: float = 0.0
    faithful: bool = True
    reason: str = ""
    # A mocked I/O node's config expressions and templates as evaluated (what it would
    # have sent: SQL parameters, URL, headers, bodies, prompts), by config path.
    rendered: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.type,
            "version": self.version,
            "status": self.status,
            "runs": self.runs,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "logs": self.logs,
            "duration_ms": round(self.duration_ms, 3),
            "faithful": self.faithful,
        }
        if self.reason:
            d["reason"] = self.reason
        if self.rendered:
            d["rendered"] = self.rendered
        return d


@dataclass
class ConnectionRecord:
    index: int
    source: str  # "node.port"
    target: str
    values: list[Any] = field(default_factory=list)
    count: int = 0

    def as_dict(self, with_values: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index,
            "from": self.source,
            "to": self.target,
            "count": self.count,
        }
        if with_values:
            d["values"] = self.values
            d["truncated"] = self.count > len(self.values)
        return d


def default_trigger(analysis: Analysis) -> str:
    if not analysis.graph.triggers:
        raise SimulationError("the flow has no trigger node")
    return analysis.graph.triggers[0]


class Simulation:
    """One simulated execution, pausable at breakpoints."""

    def __init__(
        self,
        analysis: Analysis,
        *,
        trigger: str | None = None,
        input_value: Any = None,
        fixtures: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        now: str | None = None,
        breakpoints: Iterable[str] = (),
        run_code: bool = False,
        depth: int = 0,
    ) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.depth = depth  # how many flow/subflow calls led here
        self.analysis = analysis
        self.graph = analysis.graph
        self.trigger = trigger or default_trigger(analysis)
        if self.trigger not in self.graph.triggers:
            known = ", ".join(self.graph.triggers) or "none"
            raise SimulationError(f"`{self.trigger}` is not a trigger of the flow ({known})")
        unknown = [n for n in (fixtures or {}) if analysis.document.node_by_id(n) is None]
        if unknown:
            raise SimulationError(f"fixtures for unknown node(s): {', '.join(sorted(unknown))}")
        problems = all_problems(fixtures or {})
        if problems:
            raise SimulationError(problems[0][1])
        self.fixtures = dict(fixtures or {})
        self._fixture_calls = FixtureCalls(self.fixtures)  # the next response of sequences
        self.env = dict(os.environ if env is None else env)
        self._env_given = env is not None
        self._given_env = dict(env or {})  # never the process environment for custom code
        self.now = now
        self.breakpoints = set(breakpoints)
        self.run_code = run_code  # code/go nodes run for real, in the sandbox
        self.nodes: dict[str, NodeRecord] = {}
        for n in analysis.document.nodes:
            if n.id is not None and n.id in self.graph.successors:
                self.nodes[n.id] = NodeRecord(n.id, n.type or "", n.version or "")
        self.raw = _raw_configs(analysis)
        self.connections: dict[int, ConnectionRecord] = {}
        for edges in self.graph.successors.values():
            for e in edges:
                self.connections[e.index] = ConnectionRecord(
                    e.index, f"{e.source}.{e.source_port}", f"{e.target}.{e.target_port}"
                )
        self.outputs: dict[str, dict[str, Any]] = {}  # node -> port -> last value (nodes.*)
        self.merge_state: dict[str, dict[str, Any]] = {}
        self._resolved: dict[str, tuple[sims.Simulation | None, str, str]] = {}
        self.trace: list[str] = []
        self.response: dict[str, Any] | None = None
        self.error: str | None = None
        self.status = "ready"  # ready | paused | done | failed
        self.stack: list[Delivery] = [Delivery(self.trigger, "", input_value, None)]
        self.elapsed_ms = 0.0
        self.steps = 0
        self.with_values = True  # include every connection's values in results
        self._resume_past: Delivery | None = None
        self._current: Delivery | None = None  # the delivery being run
        self._groups: dict[int, _Group] = {}  # open parallel fan-outs
        self._next_group = 0
        self._parallel: dict[tuple[str, str], bool] = {}  # (node, port): branches meet
        self._lock = threading.Lock()

    # -- running -------------------------------------------------------------------------

    def resume(self, *, step: bool = False) -> dict[str, Any]:
        """Run to the next breakpoint (or, with ``step``, run one node) and report."""
        with self._lock:  # a language server may get two requests for one session
            return self._resume(step)

    def _resume(self, step: bool) -> dict[str, Any]:
        if self.status in ("done", "failed"):
            return self.result(with_values=self.with_values)
        started = time.perf_counter()
        ran_one = False
        try:
            while self.stack:
                top = self.stack[-1]
                if ran_one and step:
                    self.status = "paused"
                    break
                if (
                    top.node in self.breakpoints
                    and top is not self._resume_past
                    and not (step and not ran_one)
                ):
                    self.status = "paused"
                    self._resume_past = top
                    break
                self.stack.pop()
                self._run_in_branch(top)
                ran_one = True
                self.steps += 1
                if self.steps > MAX_STEPS:
                    raise _Abort(f"the simulation ran more than {MAX_STEPS} node steps")
            else:
                self._finish(None)
        except _Abort as stop:
            self._finish(stop.message)
        self.elapsed_ms += (time.perf_counter() - started) * 1000
        return self.result(with_values=self.with_values)

    def _run_in_branch(self, d: Delivery) -> None:
        """Run one delivery; a failure inside a parallel branch ends that branch only,
        and fails the fan-out once all its branches have run (see :class:`_Group`)."""
        for gid, _ in d.branch:
            self._groups[gid].pending -= 1
        self._current = d
        try:
            self._run_node(d)
        except _Abort as stop:
            if not d.branch:
                raise
            self._branch_failed(d.branch, stop.message)
        finally:
            self._current = None
        self._settle(d.branch)
        while self.stack and self.stack[-1].port in _MARKS:
            self._loop_mark(self.stack.pop())

    def _loop_mark(self, d: Delivery) -> None:
        """A loop's step between its elements' branches (queued with them; a failure
        drops it with the rest of the run or branch, as in the app): `_ITEM` makes an
        element the current `nodes.<loop>.item` before its branch runs, `_COLLECT`
        evaluates `collect` once it has run, `_LATER` emits `done` after the last."""
        for gid, _ in d.branch:
            self._groups[gid].pending -= 1
        if d.port == _ITEM:
            self.nodes[d.node].outputs["item"] = d.value
            self.outputs.setdefault(d.node, {})["item"] = d.value
            return
        if d.port == _COLLECT:
            item, results = d.value
            self._collect(d.node, item, results)
            return
        self._current = d
        try:
            self._emit(d.node, [("done", d.value)])
        finally:
            self._current = None

    def _collect(self, node_id: str, item: Any, results: list[Any]) -> None:
        """Append the loop's `collect` for ``item`` (its branch has run) to ``results``."""
        rec = self.nodes[node_id]
        node = self.analysis.document.node_by_id(node_id)
        source = node.config.get("collect") if node is not None else None
        run = sims.NodeRun(
            node_id, rec.type, rec.version, {}, "in", item, self._scope(item), rec.logs
        )
        try:
            results.append(run.expr(source, "collect"))
        except EvalError as exc:
            rec.status = "error"
            rec.logs.append({"level": "ERROR", "msg": f"expression error: {exc.message}"})
            raise _Abort(exc.message) from None

    def _branch_failed(self, branch: tuple[tuple[int, int], ...], message: str) -> None:
        gid, idx = branch[-1]
        group = self._groups[gid]
        if group.failure is None or idx < group.failure[0]:
            group.failure = (idx, message)
        kept: list[Delivery] = []
        for x in self.stack:
            if (gid, idx) in x.branch:  # the rest of the failed branch does not run
                for g, _ in x.branch:
                    self._groups[g].pending -= 1
            else:
                kept.append(x)
        self.stack[:] = kept

    def _settle(self, branch: tuple[tuple[int, int], ...]) -> None:
        """Close the groups of ``branch`` that have run, innermost first; a closed group
        with a failure fails the branch it ran in (or the execution)."""
        for depth in range(len(branch) - 1, -1, -1):
            gid = branch[depth][0]
            group = self._groups.get(gid)
            if group is None or group.pending > 0:
                return
            del self._groups[gid]
            if group.failure is not None:
                if not group.path:
                    raise _Abort(group.failure[1])
                self._branch_failed(group.path, group.failure[1])

    def run(self) -> dict[str, Any]:
        """Run to the end, ignoring breakpoints."""
        self.breakpoints = set()
        return self.resume()

    def _finish(self, error: str | None) -> None:
        self.stack.clear()
        self.error = error
        self.status = "failed" if error else "done"
        if self.response is None:
            if error:
                self.response = {
                    "status": 500,
                    "body": {"error": "internal error", "execution_id": self.id},
                }
            else:
                self.response = {"status": 204}

    def _run_node(self, d: Delivery) -> None:
        rec = self.nodes[d.node]
        facts = self.analysis.facts.get(d.node)
        node = self.analysis.document.node_by_id(d.node)
        assert node is not None
        rec.runs += 1
        if d.port:
            rec.inputs[d.port] = d.value
        else:
            rec.inputs["trigger"] = d.value
        self.trace.append(d.node)
        started = time.perf_counter()
        try:
            self._dispatch(d, rec, node.config, facts)
        finally:
            rec.duration_ms += (time.perf_counter() - started) * 1000

    def _dispatch(self, d: Delivery, rec: NodeRecord, config: dict[str, Any], facts: Any) -> None:
        node_type, version = rec.type, rec.version
        if node_type == "flow/merge":
            state = self.merge_state.setdefault(d.node, {})
            state[d.port] = d.value
            ports = list(facts.manifest.inputs) if facts and facts.manifest else ["a", "b"]
            if all(p in state for p in ports):
                rec.status = "ok"
                self._emit(d.node, [("out", {p: state[p] for p in ports})])
            else:
                rec.logs.append(
                    {
                        "level": "DEBUG",
                        "msg": f"waiting for {', '.join(p for p in ports if p not in state)}",
                    }
                )
            return
        scope = self._scope(d.value)
        run = sims.NodeRun(d.node, node_type, version, config, d.port, d.value, scope, rec.logs)
        if node_type == "http/respond":
            self._respond(run, rec)
            return
        mocked = d.node in self.fixtures
        if not mocked and d.node != self.trigger and node_type not in _CORE_RUN:
            mocked = self._simulation(d.node, node_type, version, facts)[0] is None
        if mocked and not (d.node == self.trigger and not d.port):
            self._render(run, rec, facts)
        if d.node in self.fixtures:
            try:
                pinned = self._fixture_calls.take(d.node)
            except FixtureExhausted as exc:
                rec.status = "error"
                rec.logs.append({"level": "ERROR", "msg": exc.message})
                raise _Abort(exc.message) from None
            rec.status = "pinned"
            rec.logs.append({"level": "INFO", "msg": "output pinned by the fixtures"})
            if is_error(pinned):
                err = pinned["$error"] if isinstance(pinned["$error"], dict) else {}
                failure = sims.NodeFailure(
                    str(err.get("message", "pinned failure")),
                    str(err.get("code", "internal")),
                    bool(err.get("retryable", False)),
                )
                self._fail(d.node, rec, failure)
                return
            if node_type == "http/request":
                # a pinned 4xx/5xx takes the port a live answer with that status takes
                reply = sims.pinned_http_failure(config, rec.rendered.get("url"), pinned)
                if reply is not None:
                    self._fail(d.node, rec, reply)
                    return
            self._emit(d.node, [("out", copy.deepcopy(pinned))])
            return
        if d.node == self.trigger and not d.port:
            self._trigger(run, rec)
            return
        if self.run_code and node_type in ("code/go",):
            self._run_code(d, rec)
            return
        if node_type == "flow/subflow":
            self._subflow(run, rec)
            return
        simulate, faithful_note, reason = self._simulation(d.node, node_type, version, facts)
        if simulate is not None and faithful_note:
            rec.faithful, rec.reason = False, faithful_note
        if simulate is None:
            rec.status, rec.faithful = "simulated", False
            rec.reason = f"{node_type} {reason}: no fixture pins its output, so it emits a value made from its output schema"
            rec.logs.append({"level": "WARN", "msg": rec.reason})
            value = sims.sample(self._out_type(d.node, "out"))
            self._emit(d.node, [("out", value)])
            return
        try:
            emissions = simulate(run)
        except sims.NodeFailure as failure:
            self._fail(d.node, rec, failure)
            return
        except EvalError as exc:
            rec.status = "error"
            rec.logs.append({"level": "ERROR", "msg": f"expression error: {exc.message}"})
            raise _Abort(exc.message) from None
        rec.status = "ok"
        self._emit(d.node, emissions)

    def _render(self, run: sims.NodeRun, rec: NodeRecord, facts: Any) -> None:
        """Evaluate the config expressions and templates of a node whose output is mocked
        (pinned or sampled), as the app evaluates them before its I/O: the values are
        kept on the record, and one that fails fails the node (the app's 500)."""
        for site in facts.expressions if facts is not None else ():
            where = _config_path_text(site.config_path)
            try:
                value = run.template(site.source) if site.is_template else run.expr(site.source)
            except EvalError as exc:
                rec.status = "error"
                rec.logs.append({"level": "ERROR", "msg": f"expression error: {exc.message}"})
                raise _Abort(exc.message) from None
            rec.rendered[where] = value
        if rec.rendered:
            rec.logs.append({"level": "INFO", "msg": "would send", "values": rec.rendered})

    def _simulation(
        self, node_id: str, node_type: str, version: str, facts: Any
    ) -> tuple[sims.Simulation | None, str, str]:
        """(simulation, a note that makes it unfaithful, why there is none), resolved once
        per node and execution: the kit's simulation; a fork edited since it was copied
        still runs the simulation it carries, and says that its Go edits are not in it."""
        hit = self._resolved.get(node_id)
        if hit is not None:
            return hit
        manifest = facts.manifest if facts is not None else None
        simulate = sims.lookup(node_type, version, manifest)
        note = reason = ""
        if simulate is None:
            reason = sims.not_simulated_reason(node_type, manifest)
        elif manifest is not None:
            note = sims.fork_note(manifest)
        self._resolved[node_id] = (simulate, note, reason)
        return simulate, note, reason

    def _run_code(self, d: Delivery, rec: NodeRecord) -> None:
        """Custom Go code run for real: its harness, in the sandbox (never unconfined)."""
        from nodeforge.sandbox.nodetest import run_node_test
        from nodeforge.sandbox.runner import Status

        test = run_node_test(self.analysis, d.node, d.value, env=self.code_env())
        rec.logs.extend(test.logs)
        if test.status == Status.OK:
            rec.status = "ok"
            self._emit(d.node, list(test.outputs.items()))
            return
        if test.status == Status.NODE_ERROR and isinstance(test.outputs.get("error"), dict):
            err = test.outputs["error"]
            failure = sims.NodeFailure(
                str(err.get("message", "")),
                str(err.get("code", "internal")),
                bool(err.get("retryable")),
            )
            self._fail(d.node, rec, failure)
            return
        rec.status = "error"
        rec.logs.append({"level": "ERROR", "msg": f"{test.status}: {test.message}"})
        if test.status == Status.SANDBOX_UNAVAILABLE:
            rec.faithful = False
            rec.reason = test.message
        raise _Abort(f"node {d.node}: {test.status}: {test.message}")

    def _subflow(self, run: sims.NodeRun, rec: NodeRecord) -> None:
        """The called flow simulated in turn, from its first manual trigger, with the same
        environment and clock; answers as the Go runtime's ``CallFlow`` does."""
        target = str(run.config.get("flow", ""))
        summary = self.analysis.workspace.flows.get(target)
        if summary is None or not summary.manual_triggers or self.depth >= MAX_CALL_DEPTH:
            why = "is not in the workspace or has no manual trigger"
            if self.depth >= MAX_CALL_DEPTH:
                why = f"is more than {MAX_CALL_DEPTH} calls deep"
            raise _Abort(f"node {run.node_id}: flow `{target}` {why}")
        try:
            args = {
                str(k): run.expr(v, f"arguments.{k}")
                for k, v in (run.config.get("arguments") or {}).items()
            }
        except EvalError as exc:
            rec.status = "error"
            rec.logs.append({"level": "ERROR", "msg": f"expression error: {exc.message}"})
            raise _Abort(exc.message) from None
        text = summary.text
        if text is None and summary.path is not None:
            text = summary.path.read_text(encoding="utf-8")
        called = analyze(text or "", summary.uri, None, self.analysis.workspace)
        child = Simulation(
            called,
            trigger=summary.manual_triggers[0],
            input_value=args,
            # As given, so the called flow's custom code never sees the process environment.
            env=self._given_env if self._env_given else None,
            now=self.now,
            run_code=self.run_code,
            depth=self.depth + 1,
        )
        result = child.run()
        for item in result["unfaithful"]:
            rec.faithful = False
            rec.reason = f"in the called flow `{target}`, node {item['node']}: {item['reason']}"
        rec.logs.append(
            {"level": "INFO", "msg": f"called flow {target}", "status": result["status"]}
        )
        response = child.response or {}
        status = int(response.get("status", 204))
        body = response.get("body") if status != 204 else None
        if result["status"] == "failed":
            message = f"flow {target} failed: {child.error} (execution {child.id})"
            self._fail(run.node_id, rec, sims.NodeFailure(message, "subflow", False))
        elif status >= 400:
            # as the app writes it: a JSON value, object keys sorted
            text_body = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            if len(text_body) > 512:
                text_body = text_body[:512] + "..."
            message = f"flow {target} answered {status}: {text_body}"
            self._fail(run.node_id, rec, sims.NodeFailure(message, "subflow_status", False))
        else:
            rec.status = "ok"
            self._emit(run.node_id, [("out", body)])

    def code_env(self) -> dict[str, str]:
        """What custom code sees of the environment: the env given to the simulation (never
        the process environment), minus names the sandbox sets itself."""
        from nodeforge.sandbox.nodetest import RESERVED_ENV

        return {
            k: v for k, v in self._given_env.items() if k.isidentifier() and k not in RESERVED_ENV
        }

    def _trigger(self, run: sims.NodeRun, rec: NodeRecord) -> None:
        value = _as_app_values(run.input)
        if rec.type == "http/trigger":
            given = value if isinstance(value, dict) else {}
            cfg = run.config
            raw = self.raw.get(run.node_id, {})
            schema = raw.get("body_schema")
            value = {
                "method": given.get("method", cfg.get("method", "GET")),
                "path": given.get("path", cfg.get("path", "/")),
                "params": given.get("params", {}),
                "query": given.get("query", {}),
                "headers": given.get("headers", {}),
                "body": given.get("body", {} if schema is None else None),
            }
            # As the app: path parameters, the query string, then the body (without a
            # body_schema: any JSON object).
            for key, title in (("params", PATH_PARAMS), ("query", QUERY_PARAMS)):
                pschema = raw.get(f"{key}_schema")
                if pschema is None:
                    continue
                if isinstance(value[key], dict):
                    value[key] = typed_params(value[key], param_kinds(pschema))
                if self._rejected(rec, value[key], pschema, title):
                    return
            if self._rejected(rec, value["body"], OBJECT_BODY if schema is None else schema):
                return
        elif rec.type == "trigger/schedule":
            given = value if isinstance(value, dict) else {}
            tz = run.config.get("timezone")
            value = schedule_output(
                given.get("time", self.now or _utc_now()), tz if isinstance(tz, str) else "UTC"
            )
        elif rec.type == "trigger/queue":
            # As the Go app's `run` does: the input gives the message's fields.
            given = value if isinstance(value, dict) else {}
            schema = self.raw.get(run.node_id, {}).get("payload_schema", {"type": "object"})
            value = {
                "subject": given.get("subject", run.config.get("subject", "")),
                "payload": given.get("payload"),
                "headers": given.get("headers", {}),
                "idempotency_key": given.get("idempotency_key", f"run:{self.id}"),
                "delivery": given.get("delivery", 1),
                "stream_sequence": given.get("stream_sequence", 0),
                "published": given.get("published", self.now or _utc_now()),
            }
            if self._rejected(rec, value["payload"], schema):
                return
        else:
            schema = self.raw.get(run.node_id, {}).get("input_schema")
            if schema is not None and self._rejected(rec, value, schema):
                return
            if value is None:
                value = {}
        rec.status = "ok"
        self._emit(run.node_id, [("out", value)])

    def _rejected(
        self, rec: NodeRecord, value: Any, schema: Any, title: str = "Invalid request body"
    ) -> bool:
        """Answer 400 (as the Go runtime does) when the trigger's data breaks its schema;
        an HTTP trigger whose ``invalid`` port is connected runs the flow from that port
        with the problem instead (the flow shapes the answer)."""
        problems = _validate(value, schema)
        if not problems:
            return False
        rec.status = "ok"
        rec.logs.append({"level": "INFO", "msg": "request rejected", "errors": problems})
        if rec.type == "http/trigger" and any(
            e.source_port == "invalid" for e in self.graph.successors.get(rec.id, [])
        ):
            self._emit(rec.id, [("invalid", {"status": 400, "title": title, "errors": problems})])
            return True
        self.response = {
            "status": 400,
            "headers": {"Content-Type": "application/problem+json"},
            "body": {"title": title, "status": 400, "errors": problems, "execution_id": self.id},
        }
        self.stack.clear()
        return True

    def _respond(self, run: sims.NodeRun, rec: NodeRecord) -> None:
        cfg = run.config
        try:
            written = "body" in self.raw.get(run.node_id, {})
            body = run.expr(cfg["body"], "body") if written else run.input
            headers = {str(k): run.template(v) for k, v in (cfg.get("headers") or {}).items()}
        except EvalError as exc:
            rec.status = "error"
            rec.logs.append({"level": "ERROR", "msg": f"expression error: {exc.message}"})
            raise _Abort(exc.message) from None
        rec.status = "ok"
        answer: dict[str, Any] = {"status": int(cfg.get("status", 200))}
        if headers:
            answer["headers"] = headers
        if body is not None:
            answer["body"] = body
        rec.outputs["response"] = answer
        if self.response is None:
            self.response = answer
        else:
            rec.logs.append(
                {"level": "WARN", "msg": "response ignored: the execution has already answered"}
            )

    def _fail(self, node_id: str, rec: NodeRecord, failure: sims.NodeFailure) -> None:
        rec.status = "error"
        rec.logs.append(
            {"level": "WARN", "msg": "node error", "error": failure.message, "code": failure.code}
        )
        handled = any(e.source_port == "error" for e in self.graph.successors.get(node_id, []))
        if not handled:
            raise _Abort(f"node {node_id}: {failure.message}")
        self._emit(node_id, [("error", failure.as_value())])

    def _emit(self, node_id: str, emissions: list[tuple[str, Any]]) -> None:
        """Record each port's value and queue its deliveries, depth first in order."""
        queued: list[Delivery] = []
        rec = self.nodes[node_id]
        path = self._current.branch if self._current is not None else ()
        later = rec.type == "flow/foreach" and (
            self._current is None or self._current.port != _LATER
        )
        # flow/foreach 1.1.0 with `collect`: `done`'s results, filled element by element
        results = (
            next((raw["results"] for port, raw in emissions if port == "done"), None)
            if later and rec.version != "1.0.0" and "collect" in self.raw.get(node_id, {})
            else None
        )

        def mark(port: str, value: Any) -> None:
            for gid, _ in path:
                self._groups[gid].pending += 1
            queued.append(Delivery(node_id, port, value, None, path))

        for port, raw in emissions:
            if later and port == "done":  # recorded and sent on once the items have run
                mark(_LATER, raw)
                continue
            value = sims.shape(raw, self._out_type(node_id, port))
            if later and port == "item":  # the current item while its branch runs
                mark(_ITEM, value)
            rec.outputs[port] = value
            self.outputs.setdefault(node_id, {})[port] = value
            edges: list[Edge] = sorted(
                (e for e in self.graph.successors.get(node_id, []) if e.source_port == port),
                key=lambda e: e.index,
            )
            group = None
            if len(edges) > 1 and self._branches_meet(node_id, port, edges):
                group = self._next_group
                self._next_group += 1
                self._groups[group] = _Group(path)
            for i, e in enumerate(edges):
                conn = self.connections[e.index]
                conn.count += 1
                if len(conn.values) < MAX_VALUES_PER_CONNECTION:
                    conn.values.append(value)
                branch = path if group is None else (*path, (group, i))
                for gid, _ in branch:
                    self._groups[gid].pending += 1
                queued.append(Delivery(e.target, e.target_port, value, e.index, branch))
            if results is not None and port == "item":
                mark(_COLLECT, (value, results))
        # The stack runs its top first: push in reverse so the first edge runs first.
        self.stack.extend(reversed(queued))

    def _branches_meet(self, node_id: str, port: str, edges: list[Edge]) -> bool:
        key = (node_id, port)
        if key not in self._parallel:
            self._parallel[key] = self.graph.branches_meet(edges)
        return self._parallel[key]

    def _out_type(self, node_id: str, port: str) -> Type:
        facts = self.analysis.facts.get(node_id)
        if facts is None:
            return ANY
        return facts.output_types.get(port, ANY)

    def _scope(self, value: Any) -> EvalScope:
        return EvalScope(input=value, nodes=self.outputs, env=self.env, now=self.now)

    # -- reporting -----------------------------------------------------------------------

    def unfaithful(self) -> list[dict[str, str]]:
        return [
            {"node": r.id, "reason": r.reason}
            for r in self.nodes.values()
            if not r.faithful and r.runs
        ]

    def paused_at(self) -> dict[str, Any] | None:
        if self.status != "paused" or not self.stack:
            return None
        top = self.stack[-1]
        return {"node": top.node, "port": top.port, "value": top.value, "connection": top.edge}

    def result(self, *, with_values: bool = True) -> dict[str, Any]:
        unfaithful = self.unfaithful()
        return {
            "session": self.id,
            "flow": self.analysis.document.value.get("id"),
            "trigger": self.trigger,
            "status": self.status,
            "paused_at": self.paused_at(),
            "response": self.response,
            "error": self.error,
            "faithful": not unfaithful,
            "unfaithful": unfaithful,
            "trace": self.trace,
            "nodes": {k: v.as_dict() for k, v in self.nodes.items()},
            "connections": [
                c.as_dict(with_values)
                for c in sorted(self.connections.values(), key=lambda c: c.index)
            ],
            "duration_ms": round(self.elapsed_ms, 3),
        }

    def connection_data(self, selector: int | str) -> dict[str, Any] | None:
        """The values of one connection: by index, or ``"from->to"`` / ``"from"``."""
        for c in self.connections.values():
            if selector in (c.index, f"{c.source}->{c.target}", str(c.index)):
                return c.as_dict()
        return None


_RAW_CACHE: dict[int, tuple[Any, dict[str, dict[str, Any]]]] = {}


def _raw_configs(analysis: Analysis) -> dict[str, dict[str, Any]]:
    """The node configs as written (analysis fills in defaults while validating)."""
    doc = analysis.document
    hit = _RAW_CACHE.get(id(doc))
    if hit is not None and hit[0] is doc:
        return hit[1]
    raw: dict[str, dict[str, Any]] = {}
    try:
        for n in json.loads(doc.text).get("nodes", []):
            if isinstance(n, dict) and isinstance(n.get("config"), dict):
                raw[str(n.get("id"))] = n["config"]
    except (ValueError, AttributeError):
        pass
    if len(_RAW_CACHE) > 64:
        _RAW_CACHE.clear()
    _RAW_CACHE[id(doc)] = (doc, raw)
    return raw


class _Abort(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _utc_now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_app_values(value: Any) -> Any:
    """The trigger's data as the app decodes it (integers beyond 64 bits are doubles)."""
    from nodeforge.sandbox.schemacheck import normalize

    return normalize(value)


_CORE_RUN = frozenset({"http/respond", "flow/subflow", "code/go"})  # run by the core


def _config_path_text(path: tuple[str | int, ...]) -> str:
    """``("params", 0)`` -> ``params[0]``; ``("headers", "X")`` -> ``headers.X``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


OBJECT_BODY = {"type": "object"}  # an HTTP trigger's body without a body_schema
PATH_PARAMS = "Invalid path parameters"  # the 400 titles of nf.PathParams, nf.QueryParams
QUERY_PARAMS = "Invalid query parameters"


def _validate(value: Any, schema: Any) -> list[dict[str, str]]:
    from nodeforge.sandbox.schemacheck import validate

    return validate(value, schema)


def simulate(
    analysis: Analysis,
    input_value: Any = None,
    *,
    trigger: str | None = None,
    fixtures: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    now: str | None = None,
) -> dict[str, Any]:
    """Run one whole simulated execution and return its result."""
    sim = Simulation(
        analysis, trigger=trigger, input_value=input_value, fixtures=fixtures, env=env, now=now
    )
    return sim.run()


def dumps(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, ensure_ascii=False, default=str)
