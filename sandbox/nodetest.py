"""Test one node of a flow with a given input: its real Go code, built into a harness and
run inside the sandbox. Used by ``nodeforge test-node`` and the ``nodeforge.testNode``
language server command.

Custom code (``code/go`` nodes) gets a generated harness that calls the node's ``Run``;
harness binaries are cached by node type, version and the hash of the code, so a warm
test does not compile.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.workspace import Workspace, find_root, load_workspace
from nodeforge.sandbox import harness as hz
from nodeforge.sandbox import stdnode
from nodeforge.sandbox.gobuild import BUILD_LIMITS
from nodeforge.sandbox.limits import DEFAULT_LIMITS, Limits
from nodeforge.sandbox.runner import (
    Inject,
    RunResult,
    Status,
    run_sandboxed,
    run_unconfined,
    unavailable_reason,
)

HARNESS_DIR = "/sandbox/harness"
CODE_TYPES = ("code/go",)  # custom code: the generated harness calls its Run


class NodeTestError(Exception):
    """The request is wrong (unknown node, a node type that cannot be tested)."""


@dataclass
class NodeTestResult:
    status: Status
    node: str
    type: str = ""
    to: str | None = None  # the last node of a segment test
    version: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: float = 0.0  # end to end: build (if any) + run
    run_ms: float = 0.0
    build_ms: float = 0.0
    cached: bool = False
    message: str = ""
    build_errors: str = ""
    confined: bool = True
    limits: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "node": self.node,
            "to": self.to,
            "type": self.type,
            "version": self.version,
            "outputs": self.outputs,
            "logs": self.logs,
            "duration_ms": round(self.duration_ms, 3),
            "run_ms": round(self.run_ms, 3),
            "build_ms": round(self.build_ms, 3),
            "cached": self.cached,
            "message": self.message,
            "build_errors": self.build_errors,
            "confined": self.confined,
            "limits": self.limits,
        }


def load_flow(path: Path) -> Analysis:
    path = path.resolve()
    workspace: Workspace = load_workspace(find_root(path.parent))
    return analyze(path.read_text(encoding="utf-8"), uri=path.as_uri(), workspace=workspace)


@dataclass
class Plan:
    """What to build and how to call it for one node test."""

    node_type: str
    version: str
    files: dict[str, str] | dict[str, bytes]
    content_hash: str | None
    argv_tail: list[str]  # arguments after the harness binary
    kind: str  # "code" (custom code harness) | "flow" (compiled one-node flow)
    trusted_packages: list[str] | None = None  # None: the harness's standard packages


def plan(analysis: Analysis, node_id: str, to: str | None = None) -> Plan:
    node = analysis.document.node_by_id(node_id)
    if node is None:
        ids = ", ".join(n.id for n in analysis.document.nodes if n.id)
        raise NodeTestError(f"the flow has no node `{node_id}` (nodes: {ids})")
    if node.type is None or node.version is None:
        raise NodeTestError(f"node `{node_id}` has no type or version")
    facts = analysis.facts.get(node_id)
    if facts is None or facts.manifest is None:
        raise NodeTestError(f"node `{node_id}`: unknown node type {node.type} {node.version}")
    if to is not None and analysis.document.node_by_id(to) is None:
        raise NodeTestError(f"the flow has no node `{to}`")
    if node.type in CODE_TYPES and (to is None or to == node_id):
        # Code the build would refuse (cgo, NF035) would be left out of the harness, which
        # then reports only that `Run` is undefined: say why instead.
        where = analysis.document.span_of(node.path)
        for d in analysis.diagnostics:
            if d.code == "NF035" and where.start <= d.span.start <= where.end:
                raise NodeTestError(f"node `{node_id}`: {d.message}")
        return Plan(node.type, node.version, hz.code_go_files(node.config), None, [], "code")
    try:
        files, content_hash, trusted = stdnode.module_files(analysis, node_id, to)
    except stdnode.Unsupported as exc:
        raise NodeTestError(
            f"node `{node_id}` ({node.type} {node.version}) cannot be tested alone: {exc}"
        ) from exc
    return Plan(
        node.type,
        node.version,
        files,
        content_hash,
        ["run", stdnode.FLOW_ID, "--input", "-"],
        "flow",
        trusted,
    )


def run_node_test(
    analysis: Analysis,
    node_id: str,
    input_value: Any,
    *,
    limits: Limits = DEFAULT_LIMITS,
    unsafe_no_sandbox: bool = False,
    to: str | None = None,
    env: Mapping[str, str] | None = None,
    build_limits: Limits = BUILD_LIMITS,
) -> NodeTestResult:
    """Build (or reuse) the node's harness and run it on ``input_value``.

    Refuses (status ``sandbox_unavailable``) when the sandbox cannot be set up, unless
    ``unsafe_no_sandbox``: only the command line may pass that, never the server.
    With ``to``, the segment of the flow from ``node_id`` to ``to`` runs, and the
    outputs are those of ``to``. ``env`` is the program's environment (`env.NAME` in
    expressions; nothing of the caller's environment goes in otherwise). The harness is
    compiled inside the sandbox with ``build_limits``.
    """
    env = _checked_env(env)
    started = time.monotonic()
    p = plan(analysis, node_id, to)
    result = NodeTestResult(
        Status.OK, node_id, type=p.node_type, version=p.version, to=to, limits=limits.as_dict()
    )
    reason = unavailable_reason()
    if reason is not None and not unsafe_no_sandbox:
        result.status, result.message, result.confined = (
            Status.SANDBOX_UNAVAILABLE,
            f"refusing to run untrusted code: the sandbox is unavailable: {reason} "
            "(the command line's --unsafe-no-sandbox runs it unconfined)",
            False,
        )
        return result
    try:
        built = hz.build(
            p.node_type,
            p.version,
            p.files,
            content_hash=p.content_hash,
            workspace=analysis.workspace.root,
            label=_label(analysis, node_id, to),
            trusted_packages=p.trusted_packages,
            limits=build_limits,
            unsafe_no_sandbox=unsafe_no_sandbox,
        )
    except hz.BuildError as exc:
        result.status, result.message = exc.status, str(exc)
        result.build_errors = exc.output if exc.status == Status.NODE_ERROR else ""
        result.duration_ms = (time.monotonic() - started) * 1000
        return result
    result.cached, result.build_ms = built.cached, built.build_ms
    node = analysis.document.node_by_id(node_id)
    assert node is not None
    if p.kind == "code":
        timeout_ms = node.config.get("timeout_ms", 5000)
        request = json.dumps({"input": input_value, "timeout_ms": timeout_ms}).encode()
    else:
        request = json.dumps(_completed(analysis, node_id, input_value)).encode()
    if reason is None:
        # The cached binary is root's alone (0700): the run gets its own copy.
        run = run_sandboxed(
            [f"{HARNESS_DIR}/harness", *p.argv_tail],
            files=[Inject(built.binary, f"{HARNESS_DIR}/harness", 0o555)],
            stdin=request,
            limits=limits,
            env=env,
        )
    else:
        with tempfile.TemporaryDirectory(prefix="nodeforge-unsafe-") as work:
            run = run_unconfined(  # in a scratch folder, not in the harness cache
                [str(built.binary), *p.argv_tail],
                cwd=Path(work),
                stdin=request,
                limits=limits,
                env=env,
            )
    if p.kind == "code":
        _fill(result, run)
    else:
        last = analysis.document.node_by_id(to or node_id)
        _fill_flow(result, run, last.type if last is not None else None)
    result.duration_ms = (time.monotonic() - started) * 1000
    return result


def _label(analysis: Analysis, node_id: str, to: str | None) -> str:
    """What a node test compiles, for messages: ``node `x` (code/go)``."""
    node = analysis.document.node_by_id(node_id)
    kind = node.type if node is not None and node.type else "?"
    what = f"node `{node_id}` ({kind})"
    return what + (f" to `{to}`" if to and to != node_id else "")


RESERVED_ENV = frozenset({"HOME", "TMPDIR", "PATH", "GOMEMLIMIT", "GOTRACEBACK"})


def _checked_env(env: Mapping[str, str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (env or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(key)) or str(key) in RESERVED_ENV:
            raise NodeTestError(f"environment variable name not allowed: {key!r}")
        out[str(key)] = str(value)
    return out


def _completed(analysis: Analysis, node_id: str, value: Any) -> Any:
    """The input with the required fields it leaves out filled with zero values."""
    from nodeforge.sandbox.simulations import complete

    facts = analysis.facts[node_id]
    ports = list(facts.manifest.inputs) if facts.manifest is not None else []
    if len(ports) != 1:
        return value
    t = facts.input_types.get(ports[0]) or facts.declared_inputs.get(ports[0])
    return complete(value, t) if t is not None else value


def _fill_flow(result: NodeTestResult, run: RunResult, last_type: str | None) -> None:
    """Outputs from the compiled one-node flow's captured answer."""
    result.run_ms, result.confined = run.duration_ms, run.confined
    result.logs = hz.parse_logs(run.stderr)
    result.status, result.message = run.status, run.message
    if run.status not in (Status.OK, Status.NODE_ERROR):
        return
    captured = stdnode.parse_captured(run.stdout)
    if captured is None:
        result.status = Status.NODE_ERROR
        tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        result.message = "the node's harness wrote no result: " + " | ".join(tail)
        return
    body = captured.get("body")
    if (
        captured.get("status") == 400
        and isinstance(body, dict)
        and body.get("title") == "Invalid request body"
    ):
        problems = "; ".join(
            f"{p.get('pointer') or p.get('path') or '/'}: {p.get('message', '')}"
            for p in body.get("errors") or []
            if isinstance(p, dict)
        )
        result.status = Status.NODE_ERROR
        result.message = f"the input does not match what the node receives: {problems}"
        return
    if last_type == "http/respond":
        result.outputs = {"response": {k: v for k, v in captured.items() if k != "execution_id"}}
    elif isinstance(body, dict) and set(body) == {"port", "value"}:
        result.outputs = {str(body["port"]): body["value"]}
    if captured.get("error"):
        result.status = Status.NODE_ERROR
        result.message = str(captured["error"])
    elif "error" in result.outputs:
        result.status = Status.NODE_ERROR
        err = result.outputs["error"]
        result.message = err.get("message", "") if isinstance(err, dict) else str(err)
    else:
        result.status, result.message = Status.OK, ""
        if not result.outputs:
            result.message = f"the execution did not reach `{result.to or result.node}`'s outputs"


def _fill(result: NodeTestResult, run: RunResult) -> None:
    result.run_ms, result.confined = run.duration_ms, run.confined
    result.logs = hz.parse_logs(run.stderr)
    result.status, result.message = run.status, run.message
    if run.status != Status.OK:
        if run.status == Status.NODE_ERROR:
            tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
            result.message = run.message + (": " + " | ".join(tail) if tail else "")
        return
    try:
        data = json.loads(run.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        outputs = data["outputs"]
        assert isinstance(outputs, dict)
    except (ValueError, KeyError, IndexError, AssertionError):
        result.status = Status.NODE_ERROR
        result.message = "the node's code wrote no result (did it exit early?)"
        return
    result.outputs = outputs
    if "error" in outputs:
        result.status = Status.NODE_ERROR
        err = outputs["error"]
        result.message = err.get("message", "") if isinstance(err, dict) else str(err)
