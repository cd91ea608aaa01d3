"""One debugging session: a simulated execution of one flow, driven node by node.

No protocol I/O here: each request method takes the request's ``arguments`` and returns
the response body (or raises :class:`DapError` with the message the user sees); events go
out through ``emit``. The simulation is :class:`nodeforge.sandbox.simulate.Simulation`,
created by the language server's own ``new_simulation`` (the same checks as
``nodeforge.simulate``); it pauses before a breakpoint node or after one node (a step),
and runs on a worker thread so that the adapter keeps answering (``pause``, ``threads``).

Frames are the nodes executed so far, newest first, under the node the run is paused
before. Variables are the data of the flow: the node's input, its config rendered against
that input, its outputs per port, its logs, every connection's values.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge.analysis.catalog import iter_config_strings
from nodeforge.analysis.expressions import (
    EvalScope,
    evaluate,
    parse,
    parse_template,
    render_template,
)
from nodeforge.analysis.expressions.errors import EvalError
from nodeforge.server.dap.breakpoints import (
    Breakpoint,
    BreakpointError,
    make_breakpoint,
    read_spans,
)
from nodeforge.server.dap.launch import LaunchConfig, LaunchError, parse_launch
from nodeforge.server.dap.locations import NodeSpan, node_spans
from nodeforge.server.dap.values import Entry, References, Shown, member_expression, preview

Emit = Callable[[str, dict[str, Any]], None]
THREAD_ID = 1
FAILED_FILTER = "failed"
OTHER_FLOW = "not the flow being debugged (a called flow runs to its end inside its node)"
MAX_TRACE_LINES = 200  # nodes printed to the debug console per run, the rest counted


class DapError(Exception):
    """A request that cannot be done; the message is what the user sees."""


@dataclass
class Frame:
    node: str
    pending: bool  # the run is paused before this node (it has not run with this input)
    input: Any
    port: str = ""
    connection: int | None = None


def capabilities() -> dict[str, Any]:
    return {
        "supportsConfigurationDoneRequest": True,
        "supportsConditionalBreakpoints": True,
        "supportsHitConditionalBreakpoints": True,
        "supportsLogPoints": True,
        "supportsEvaluateForHovers": True,
        "supportsTerminateRequest": True,
        "supportsExceptionInfoRequest": True,
        "exceptionBreakpointFilters": [
            {
                "filter": FAILED_FILTER,
                "label": "Failed executions",
                "description": "Stop at the node where the execution failed, to look at its data",
                "default": True,
            }
        ],
        "supportsFunctionBreakpoints": False,
        "supportsStepBack": False,
        "supportsSetVariable": False,
        "supportsRestartRequest": False,
        "supportsRestartFrame": False,
        "supportsGotoTargetsRequest": False,
        "supportsStepInTargetsRequest": False,
        "supportsCompletionsRequest": False,
        "supportsModulesRequest": False,
        "supportsDataBreakpoints": False,
        "supportsReadMemoryRequest": False,
        "supportsDisassembleRequest": False,
        "supportsCancelRequest": False,
        "supportsBreakpointLocationsRequest": False,
        "supportsClipboardContext": False,
        "supportsSteppingGranularity": False,
        "supportsValueFormattingOptions": False,
        "supportsDelayedStackTraceLoading": True,
        "supportsSingleThreadExecutionRequests": False,
    }


class DebugSession:
    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.lines_start_at1 = True
        self.columns_start_at1 = True
        self.uri_paths = False
        self.state = "new"  # new | launched | running | stopped | ended
        self.config: LaunchConfig | None = None
        self.sim: Any = None
        self.flow_key: str | None = None
        self.spans: dict[str, NodeSpan] = {}
        self.breakpoints: dict[str, list[Breakpoint]] = {}  # real path -> breakpoints
        self.stop_on_failure = True
        self.configured = False
        self.refs = References()
        self.frames: list[Frame] = []
        self.stop_reason = ""
        self.ended = False  # disconnect asked
        self._next_id = 1
        self._lock = threading.RLock()
        self._deferred: list[Callable[[], None]] = []
        self._pause = False  # a pause asked while running
        self._terminate = False  # a terminate asked while running
        self._reported = 0  # trace entries already printed to the debug console
        self._logged: dict[str, int] = {}  # node -> its log entries already printed
        self._hits: list[int] = []  # breakpoints that stopped the run at its last pause
        self._worker: threading.Thread | None = None

    # -- deferred work (runs after the response is written) ------------------------------

    def run_deferred(self) -> None:
        jobs, self._deferred = self._deferred, []
        for job in jobs:
            job()

    # -- set-up ---------------------------------------------------------------------------

    def initialize(self, args: dict[str, Any]) -> dict[str, Any]:
        self.lines_start_at1 = args.get("linesStartAt1", True) is not False
        self.columns_start_at1 = args.get("columnsStartAt1", True) is not False
        self.uri_paths = args.get("pathFormat") == "uri"
        self._deferred.append(lambda: self.emit("initialized", {}))
        return capabilities()

    def launch(self, args: dict[str, Any]) -> None:
        from nodeforge.analysis.workspace import WorkspaceError
        from nodeforge.sandbox.nodetest import load_flow
        from nodeforge.server.dev_commands import DevError, new_simulation

        with self._lock:
            if self.state != "new":
                raise DapError("this session has already launched a flow")
            try:
                config = parse_launch(args)
                analysis = load_flow(config.flow)
                config.apply_replay(analysis)
                sim = new_simulation(analysis, config.simulate_params())
            except (LaunchError, DevError, WorkspaceError, OSError) as exc:
                raise DapError(f"cannot debug the flow: {exc}") from None
            self.config, self.sim, self.state = config, sim, "launched"
            self.flow_key = os.path.realpath(config.flow)
            self.spans = {s.node: s for s in node_spans(analysis.document)}
            self._deferred.append(self._after_launch)
            if self.configured:
                self._deferred.append(self._start)

    def _after_launch(self) -> None:
        assert self.config is not None and self.sim is not None
        for warning in self.config.warnings:
            self._console(f"nodeforge: {warning}\n", "important")
        self._console(
            f"Simulating flow {self.sim.analysis.document.value.get('id')} "
            f"from {self.sim.trigger} ({self.config.flow})\n"
        )
        # Breakpoints set before the launch: re-read against the launched text; those in
        # other files cannot stop (a called flow runs to its end inside its node).
        with self._lock:
            spans = list(self.spans.values())
            for key, bps in self.breakpoints.items():
                for i, bp in enumerate(bps):
                    if key == self.flow_key:
                        fresh = make_breakpoint(bp.id, bp.line, spans, bp.spec)
                    else:
                        fresh = make_breakpoint(bp.id, bp.line, [], bp.spec)
                        fresh.message = OTHER_FLOW
                    bps[i] = fresh
                    if (fresh.verified, fresh.node, fresh.message) != (
                        bp.verified,
                        bp.node,
                        bp.message,
                    ):
                        body = {"reason": "changed", "breakpoint": self._bp_body(fresh)}
                        self.emit("breakpoint", body)
            self._sync_breakpoints()

    def configuration_done(self, args: dict[str, Any]) -> None:
        with self._lock:
            self.configured = True
            if self.state == "launched":
                self._deferred.append(self._start)

    def set_exception_breakpoints(self, args: dict[str, Any]) -> dict[str, Any]:
        filters = args.get("filters") or []
        if not isinstance(filters, list):
            raise DapError("`filters` must be a list")
        unknown = [f for f in filters if f != FAILED_FILTER]
        if unknown:
            raise DapError(f"unknown exception filter(s): {', '.join(map(str, unknown))}")
        with self._lock:
            self.stop_on_failure = FAILED_FILTER in filters
        return {"breakpoints": [{"verified": True} for _ in filters]}

    def set_breakpoints(self, args: dict[str, Any]) -> dict[str, Any]:
        source = args.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("path"), str):
            raise DapError("`source.path` (the flow file) is required")
        specs = args.get("breakpoints")
        if specs is None:
            specs = [{"line": line} for line in args.get("lines") or []]
        if not isinstance(specs, list) or not all(
            isinstance(s, dict)
            and isinstance(s.get("line"), int)
            and not isinstance(s.get("line"), bool)
            for s in specs
        ):
            raise DapError(
                "`breakpoints` must be a list of {line, condition?, hitCondition?, logMessage?}"
            )
        key = os.path.realpath(self._server_path(source["path"]))
        with self._lock:
            problem = None
            if key == self.flow_key:
                spans = list(self.spans.values())
            elif self.flow_key is not None:
                spans, problem = [], OTHER_FLOW
            else:
                try:
                    spans = read_spans(Path(key))
                except BreakpointError as exc:
                    spans, problem = [], str(exc)
            made = []
            for spec in specs:
                line = spec["line"] - (1 if self.lines_start_at1 else 0)
                bp = make_breakpoint(self._next_id, line, spans, spec)
                self._next_id += 1
                if problem is not None:
                    bp.node, bp.message = None, problem
                made.append(bp)
            self.breakpoints[key] = made
            self._sync_breakpoints()
            return {"breakpoints": [self._bp_body(bp) for bp in made]}

    def _bp_body(self, bp: Breakpoint) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": bp.id,
            "verified": bp.verified,
            "line": bp.line + (1 if self.lines_start_at1 else 0),
        }
        if bp.message is not None:
            body["message"] = bp.message
        return body

    def _user_nodes(self) -> set[str]:
        if self.config is not None and self.config.no_debug:
            return set()
        bps = self.breakpoints.get(self.flow_key or "", [])
        return {bp.node for bp in bps if bp.verified and bp.node is not None}

    def _sync_breakpoints(self) -> None:
        """Tell the simulation where to pause (everywhere while a pause is asked)."""
        if self.sim is not None and not self._pause and not self._terminate:
            self.sim.breakpoints = self._user_nodes()

    # -- running --------------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self.state != "launched":
                return
            assert self.config is not None
            if self.config.stop_on_entry and not self.config.no_debug:
                self.sim.breakpoints = self._user_nodes() | {self.sim.trigger}
                self._go(lambda: self.sim.resume(), reason="entry")
            else:
                self._go(lambda: self.sim.resume(), reason="breakpoint")

    def _go(self, step: Callable[[], Any], *, reason: str) -> None:
        """Run ``step`` on the worker thread, then stop or end (lock held by the caller)."""
        self.state = "running"
        self.refs.clear()
        self.frames = []
        self._worker = threading.Thread(target=self._work, args=(step, reason), daemon=True)
        self._worker.start()

    def _work(self, step: Callable[[], Any], reason: str) -> None:
        try:
            step()
            while True:
                with self._lock:
                    interrupted = self._pause or self._terminate
                    if self.sim.status != "paused" or reason != "breakpoint" or interrupted:
                        break
                    stop, notes = self._check_breakpoints()
                self._report()
                for note in notes:
                    self._console(note + "\n", "console")
                if stop is not None:
                    break
                self._continue_past()  # every breakpoint here said "not this time"
        except Exception as exc:  # the adapter must outlive any failure of a run
            self._console(
                f"nodeforge dap: the simulation stopped: {type(exc).__name__}: {exc}\n", "stderr"
            )
            with self._lock:
                self.sim.status, self.sim.error = "failed", str(exc)
        self._report()
        with self._lock:
            pause, self._pause = self._pause, False
            if self._terminate:
                self.state = "ended"
                self.emit("terminated", {})
                return
            self._sync_breakpoints()
            if self.sim.status == "paused":
                hit = self._hits if not pause and reason == "breakpoint" else []
                self._stopped("pause" if pause else reason, hit)
            elif (
                self.sim.status == "failed"
                and self.stop_on_failure
                and self.sim.trace
                and not (self.config is not None and self.config.no_debug)
            ):
                self._stopped("exception", [], description=self.sim.error or "the execution failed")
            else:
                self._finish()

    def _continue_past(self) -> None:
        """From a pause, past the node it is paused before (even if it has a breakpoint),
        then to the next breakpoint."""
        self.sim.resume(step=True)
        if self.sim.status == "paused":
            self.sim.resume()

    def _check_breakpoints(self) -> tuple[str | None, list[str]]:
        """At a breakpoint pause: ``("stop", notes)`` when one of the node's breakpoints
        says stop, ``(None, notes)`` to run on; notes are log points' lines."""
        frame = self._current()
        scope = self._scope(frame.input)
        stop, notes = None, []
        self._hits = []
        for bp in self.breakpoints.get(self.flow_key or "", []):
            if bp.node != frame.node or not bp.verified:
                continue
            halt, note = bp.should_stop(scope)
            if note is not None:
                notes.append(f"{frame.node}: {note}")
            if halt:
                stop = "stop"
                self._hits.append(bp.id)
        return stop, notes

    def _stopped(self, reason: str, hit: list[int], description: str | None = None) -> None:
        self.state = "stopped"
        self.stop_reason = reason
        self.frames = self._frames(post_mortem=reason == "exception")
        self.refs.clear()
        top = self.frames[0].node if self.frames else ""
        body: dict[str, Any] = {
            "reason": reason,
            "threadId": THREAD_ID,
            "allThreadsStopped": True,
            "description": description or f"Paused before node {top}",
        }
        if reason == "exception":
            body["text"] = description
        if hit:
            body["hitBreakpointIds"] = hit
        self.emit("stopped", body)

    def _finish(self) -> None:
        sim = self.sim
        self.state = "ended"
        response = sim.response or {}
        answer = f"Flow answered {response['status']}" if response else "The flow did not answer"
        if "body" in response:
            answer += f": {preview(response['body'], 2000)}"
        self._console(answer + "\n", "console")
        if sim.error:
            self._console(f"Execution failed: {sim.error}\n", "stderr")
        for item in sim.unfaithful():
            self._console(f"not faithful: {item['node']}: {item['reason']}\n", "console")
        self.emit("exited", {"exitCode": 0 if sim.status == "done" else 1})
        self.emit("terminated", {})

    def _report(self) -> None:
        """The simulation log of the nodes run since the last report, into the console."""
        lines: list[tuple[str | None, str, str]] = []
        with self._lock:
            trace = self.sim.trace[self._reported :]
            self._reported = len(self.sim.trace)
            for node in trace[:MAX_TRACE_LINES]:
                rec = self.sim.nodes[node]
                lines.append((node, f"{node} ({rec.type}): {rec.status}\n", "console"))
                for log in rec.logs[self._logged.get(node, 0) :]:
                    extra = {k: v for k, v in log.items() if k not in ("level", "msg")}
                    text = f"  [{log.get('level', 'INFO')}] {log.get('msg', '')}"
                    if extra:
                        text += " " + preview(extra, 400)
                    level = str(log.get("level", "INFO")).upper()
                    category = "stderr" if level in ("WARN", "ERROR") else "stdout"
                    lines.append((node, text + "\n", category))
                self._logged[node] = len(rec.logs)
            if len(trace) > MAX_TRACE_LINES:
                more = len(trace) - MAX_TRACE_LINES
                lines.append(
                    (None, f"... and {more} more node runs (see Execution > trace)\n", "console")
                )
        for node, text, category in lines:
            self._console(text, category, node)

    def _console(self, text: str, category: str = "console", node: str | None = None) -> None:
        body: dict[str, Any] = {"category": category, "output": text}
        if node is not None and node in self.spans and self.config is not None:
            body["source"] = self._source()
            body["line"] = self._line(self.spans[node].start.line)
        self.emit("output", body)

    # -- control requests -----------------------------------------------------------------

    def _require_stopped(self) -> None:
        if self.state == "running":
            raise DapError("the flow is running; pause it first")
        if self.state != "stopped":
            raise DapError(
                "the simulation has ended"
                if self.state == "ended"
                else "no flow is being debugged yet"
            )

    def continue_(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._require_stopped()
            if self.stop_reason == "exception":
                self._deferred.append(self._end_after_failure)
            else:
                self._sync_breakpoints()
                self._deferred.append(lambda: self._resume_from_stop(step=False))
            self.state = "running"
        return {"allThreadsContinued": True}

    def step(self, args: dict[str, Any]) -> None:
        """``next``, ``stepIn``, ``stepOut``: run the node paused before, stop at the next."""
        with self._lock:
            self._require_stopped()
            if self.stop_reason == "exception":
                self._deferred.append(self._end_after_failure)
            else:
                self._deferred.append(lambda: self._resume_from_stop(step=True))
            self.state = "running"

    def _resume_from_stop(self, *, step: bool) -> None:
        with self._lock:
            if step:
                self._go(lambda: self.sim.resume(step=True), reason="step")
            else:
                self._go(self._continue_past, reason="breakpoint")

    def _end_after_failure(self) -> None:
        with self._lock:
            self._finish()

    def pause(self, args: dict[str, Any]) -> None:
        with self._lock:
            if self.state != "running":
                raise DapError("the flow is not running")
            self._pause = True
            self.sim.breakpoints = set(self.sim.nodes)

    def terminate(self, args: dict[str, Any]) -> None:
        """End the run where it is: at once when stopped, before the next node when
        running (``terminated`` follows in every state)."""
        with self._lock:
            if self.state == "running":
                self._terminate = True
                self.sim.breakpoints = set(self.sim.nodes)
            else:  # also when nothing runs: a client waits for `terminated`
                self.state = "ended"
                self._deferred.append(lambda: self.emit("terminated", {}))

    def disconnect(self, args: dict[str, Any]) -> None:
        with self._lock:
            self.ended = True
            if self.sim is not None:
                self.sim.breakpoints = set(self.sim.nodes)  # a running worker stops soon

    def threads(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.sim is None:
            return {"threads": []}
        name = f"flow {self.sim.analysis.document.value.get('id')} from {self.sim.trigger}"
        return {"threads": [{"id": THREAD_ID, "name": name}]}

    # -- frames and variables -------------------------------------------------------------

    def _current(self) -> Frame:
        paused = self.sim.paused_at()
        assert paused is not None
        return Frame(paused["node"], True, paused["value"], paused["port"], paused["connection"])

    def _frames(self, *, post_mortem: bool) -> list[Frame]:
        frames = [] if post_mortem else [self._current()]
        for node in reversed(self.sim.trace):
            rec = self.sim.nodes[node]
            inputs = rec.inputs
            value = next(iter(inputs.values())) if len(inputs) == 1 else dict(inputs)
            frames.append(
                Frame(node, False, value, next(iter(inputs), "") if len(inputs) == 1 else "")
            )
        return frames

    def stack_trace(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._require_stopped()
            self._thread(args)
            start = _int_arg(args, "startFrame", 0)
            levels = _int_arg(args, "levels", 0)
            chosen = self.frames[start : start + levels if levels > 0 else None]
            return {
                "stackFrames": [self._frame_body(start + i, f) for i, f in enumerate(chosen)],
                "totalFrames": len(self.frames),
            }

    def _frame_body(self, index: int, frame: Frame) -> dict[str, Any]:
        span = self.spans.get(frame.node)
        rec = self.sim.nodes[frame.node]
        name = f"{frame.node} ({rec.type})"
        if frame.pending and frame.connection is not None:
            conn = self.sim.connections[frame.connection]
            name += f" <- {conn.source}"
        body: dict[str, Any] = {
            "id": index + 1,
            "name": name,
            "source": self._source(),
            "line": 0,
            "column": 0,
        }
        if span is not None:
            body.update(
                line=self._line(span.start.line),
                column=span.start.character + (1 if self.columns_start_at1 else 0),
                endLine=self._line(span.end.line),
                endColumn=span.end.character + (1 if self.columns_start_at1 else 0),
            )
        if not frame.pending and index > 0:
            body["presentationHint"] = "subtle"
        return body

    def _frame(self, args: dict[str, Any], key: str = "frameId") -> Frame:
        frame_id = args.get(key)
        if not isinstance(frame_id, int) or not 1 <= frame_id <= len(self.frames):
            raise DapError(
                f"no frame {frame_id!r} (the session is stopped with {len(self.frames)} frames)"
            )
        return self.frames[frame_id - 1]

    def scopes(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._require_stopped()
            frame = self._frame(args)
            rec = self.sim.nodes[frame.node]
            input_rows = _rows(frame.input, "input")
            node_rows = [
                Entry("id", frame.node),
                Entry("type", rec.type),
                Entry("version", rec.version),
                Entry("status", rec.status),
                Entry("runs", rec.runs),
            ]
            if frame.pending:
                node_rows.append(Entry("port", frame.port or "(trigger)"))
                if frame.connection is not None:
                    conn = self.sim.connections[frame.connection]
                    node_rows.append(
                        Entry("connection", f"#{conn.index} {conn.source} -> {conn.target}")
                    )
            if not rec.faithful:
                node_rows.append(Entry("not faithful", rec.reason))
            scopes = [
                ("Input", input_rows, False),
                ("Node", node_rows, False),
                ("Config", _rows(self._rendered_config(frame), None), False),
                (
                    "Outputs",
                    [Entry(p, v, f"nodes.{frame.node}.{p}") for p, v in rec.outputs.items()],
                    False,
                ),
                ("Logs", [Entry(str(i), log) for i, log in enumerate(rec.logs)], False),
                ("Connections", self._connection_rows(), True),
                ("Execution", self._execution_rows(), True),
            ]
            body = []
            for name, rows, expensive in scopes:
                body.append(
                    {
                        "name": name,
                        "variablesReference": self.refs.add(rows),
                        "namedVariables": len(rows),
                        "expensive": expensive,
                        "presentationHint": "locals" if name == "Input" else None,
                    }
                )
                if body[-1]["presentationHint"] is None:
                    del body[-1]["presentationHint"]
            return {"scopes": body}

    def _connection_rows(self) -> list[Entry]:
        rows = []
        for conn in sorted(self.sim.connections.values(), key=lambda c: c.index):
            data = conn.as_dict()
            data.pop("index")
            rows.append(Entry(f"#{conn.index} {conn.source} -> {conn.target}", data))
        return rows

    def _execution_rows(self) -> list[Entry]:
        sim = self.sim
        rows = [
            Entry("flow", sim.analysis.document.value.get("id")),
            Entry("trigger", sim.trigger),
            Entry("status", sim.status),
            Entry("trace", list(sim.trace)),
            Entry("faithful", not sim.unfaithful()),
        ]
        if sim.response is not None:
            rows.append(Entry("response", sim.response))
        if sim.error:
            rows.append(Entry("error", sim.error))
        if sim.fixtures:
            rows.append(Entry("fixtures", sim.fixtures))
        return rows

    def _rendered_config(self, frame: Frame) -> Any:
        """The node's config with every expression and template evaluated against the
        frame's input (an error shows in its place)."""
        node = self.sim.analysis.document.node_by_id(frame.node)
        config = copy.deepcopy(node.config) if node is not None else {}
        facts = self.sim.analysis.facts.get(frame.node)
        manifest = facts.manifest if facts is not None else None
        if manifest is None:
            return config
        scope = self._scope(frame.input)
        for path, text, is_template in list(iter_config_strings(manifest, config)):
            try:
                if is_template:
                    value: Any = render_template(parse_template(text), scope)
                else:
                    parsed = parse(text)
                    if parsed.expr is None:
                        raise EvalError(parsed.errors[0].message if parsed.errors else "invalid")
                    value = evaluate(parsed.expr, scope)
            except EvalError as exc:
                value = Shown(f"error: {exc.message} (in {text!r})", "error")
            _set_path(config, path, value)
        return config

    def variables(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._require_stopped()
            ref = args.get("variablesReference")
            filter_ = args.get("filter")
            rows = self.refs.children(
                ref if isinstance(ref, int) else -1,
                start=_int_arg(args, "start", 0),
                count=_int_arg(args, "count", 0),
                filter_=filter_ if isinstance(filter_, str) else None,
            )
            if rows is None:
                raise DapError(f"no variables {ref!r} (they last while the session is stopped)")
            return {"variables": [self.refs.variable(row) for row in rows]}

    def evaluate(self, args: dict[str, Any]) -> dict[str, Any]:
        text = args.get("expression")
        if not isinstance(text, str) or not text.strip():
            raise DapError("`expression` is required")
        with self._lock:
            self._require_stopped()
            frame = self._frame(args) if args.get("frameId") is not None else self.frames[0]
            scope = self._scope(frame.input)
            try:
                if "{{" in text:
                    template = parse_template(text)
                    if template.errors:
                        raise DapError(template.errors[0].message)
                    value: Any = render_template(template, scope)
                else:
                    parsed = parse(text)
                    if parsed.expr is None or parsed.errors:
                        first = parsed.errors[0] if parsed.errors else None
                        where = f" (column {first.start + 1})" if first is not None else ""
                        raise DapError(f"{first.message if first else 'invalid expression'}{where}")
                    value = evaluate(parsed.expr, scope)
            except EvalError as exc:
                raise DapError(exc.message) from None
            expression = text.strip() if "{{" not in text else None
            var = self.refs.variable(Entry(text, value, expression))
            body = {
                "result": var["value"],
                "type": var["type"],
                "variablesReference": var["variablesReference"],
            }
            if "indexedVariables" in var:
                body["indexedVariables"] = var["indexedVariables"]
            return body

    def exception_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._require_stopped()
            if self.stop_reason != "exception":
                raise DapError("the session is not stopped at a failure")
            return {
                "exceptionId": "failed",
                "description": self.sim.error or "the execution failed",
                "breakMode": "always" if self.stop_on_failure else "never",
                "details": {"message": self.sim.error, "typeName": "execution failure"},
            }

    # -- helpers --------------------------------------------------------------------------

    def _scope(self, value: Any) -> EvalScope:
        return EvalScope(input=value, nodes=self.sim.outputs, env=self.sim.env, now=self.sim.now)

    def _thread(self, args: dict[str, Any]) -> None:
        thread = args.get("threadId", THREAD_ID)
        if thread != THREAD_ID:
            raise DapError(f"no thread {thread!r} (one simulation: thread {THREAD_ID})")

    def _line(self, line: int) -> int:
        return line + (1 if self.lines_start_at1 else 0)

    def _source(self) -> dict[str, Any]:
        assert self.config is not None
        path = self.config.flow
        return {"name": path.name, "path": path.as_uri() if self.uri_paths else str(path)}

    def _server_path(self, path: str) -> str:
        if self.uri_paths or path.startswith("file://"):
            from urllib.parse import unquote, urlparse

            return unquote(urlparse(path).path)
        return path


def _rows(value: Any, expression: str | None) -> list[Entry]:
    """A scope's rows for a value: its members, or the value itself as one row."""
    if isinstance(value, dict):
        return [Entry(str(k), v, member_expression(expression, str(k))) for k, v in value.items()]
    return [Entry("input" if expression == "input" else "value", value, expression)]


def _set_path(target: Any, path: tuple[str | int, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _int_arg(args: dict[str, Any], key: str, default: int) -> int:
    value = args.get(key, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DapError(f"`{key}` must be a non-negative integer")
    return value
