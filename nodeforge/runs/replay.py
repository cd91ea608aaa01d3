"""Replaying a recorded execution: its trigger input and the recorded outputs of its
I/O nodes become the simulator's input and fixtures (``nodeforge simulate --replay``,
the debugger's ``replay`` launch attribute), or a flow test (``nodeforge runs to-test``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge.analysis.engine import Analysis
from nodeforge.project.fsutil import ProjectError

from .store import Execution


@dataclass(frozen=True, slots=True)
class Replay:
    """What the simulator needs to run a recorded execution again."""

    trigger: str
    input: Any
    fixtures: dict[str, Any]
    notes: tuple[str, ...] = ()


def _pinned_kind(analysis: Analysis, node_id: str) -> bool:
    """Whether the simulator should take this node's output from the record: nodes doing
    I/O (their kit's simulation is ``io``, or none) and called flows."""
    node = analysis.document.node_by_id(node_id)
    if node is None or node.type is None:
        return False
    if node.type == "flow/subflow":
        return True
    manifest = analysis.workspace.catalog.get(node.type, node.version or "")
    if manifest is None or manifest.structural or manifest.kind == "trigger":
        return False
    sim = manifest.simulation
    return sim is None or sim.kind == "io"


def _clean_input(value: Any) -> Any:
    """The trigger's recorded output as simulator input: fields the app left empty
    (``query``/``headers`` when no expression reads them) are dropped."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    return value


def _truncated(value: Any) -> bool:
    return isinstance(value, dict) and "$truncated" in value


def replay_of(execution: Execution, analysis: Analysis) -> Replay:
    """The simulator's input and fixtures for ``execution`` of the flow ``analysis``
    holds; a located error when the record cannot be replayed."""
    flow_id = analysis.document.value.get("id")
    if flow_id != execution.flow:
        raise ProjectError(f"execution {execution.id} ran flow `{execution.flow}`, not `{flow_id}`")
    if analysis.document.node_by_id(execution.trigger) is None:
        raise ProjectError(
            f"execution {execution.id} started at `{execution.trigger}`, which is no longer "
            "a node of the flow"
        )
    if not execution.nodes and execution.input is None:
        raise ProjectError(
            f"execution {execution.id} has no recorded data (it was not sampled, or its "
            "request was rejected before the flow started)"
        )
    if _truncated(execution.input):
        raise ProjectError(
            f"execution {execution.id}: its input was over the record's size cap "
            "(NODEFORGE_RECORDS_MAX_VALUE) and cannot be replayed"
        )
    fixtures: dict[str, Any] = {}
    notes: list[str] = []
    for log in execution.nodes:
        if not _pinned_kind(analysis, log.node):
            continue
        if _truncated(log.output):
            raise ProjectError(
                f"execution {execution.id}: the output of node `{log.node}` was over the "
                "record's size cap and cannot be pinned"
            )
        if log.level == "error" and isinstance(log.output, dict):
            err = {k: log.output.get(k) for k in ("message", "code", "retryable")}
            fixtures[log.node] = {"$error": err}
        elif log.level == "error":
            # It failed before doing its I/O (an expression of its config): nothing to
            # pin; the simulator evaluates that config itself (pinning the missing
            # output would have sent null on as if the node had succeeded).
            fixtures.pop(log.node, None)
        else:
            fixtures[log.node] = log.output
        if "[redacted]" in json.dumps(log.output):
            notes.append(f"node `{log.node}`: the recorded output has redacted values")
    return Replay(execution.trigger, _clean_input(execution.input), fixtures, tuple(notes))


def load_replay(
    flow: Path,
    analysis: Analysis,
    run_id: str,
    *,
    db: Path | None = None,
    connector: str | None = None,
) -> Replay:
    """Execution ``run_id`` of the records of ``flow``'s workspace (``db``: a SQLite file;
    ``connector``: a sqlite or postgres connector; else where the app keeps them) as the
    simulator's inputs. ``nodeforge simulate --replay`` and the debugger's ``replay``
    launch attribute both come here."""
    from nodeforge.analysis.workspace import find_root

    from .store import open_records

    with open_records(find_root(flow), db=db, connector=connector) as store:
        return replay_of(store.get(run_id), analysis)


def replayed(
    replay: Replay,
    *,
    trigger: str | None,
    input_value: Any,
    input_given: bool,
    fixtures: dict[str, Any],
) -> tuple[str, Any, dict[str, Any]]:
    """The trigger, input and fixtures to simulate: what was given explicitly wins (a
    trigger, an input, a fixture for one node), the record gives the rest."""
    return (
        trigger or replay.trigger,
        input_value if input_given else replay.input,
        {**replay.fixtures, **fixtures},
    )


def flow_test_of(
    execution: Execution, analysis: Analysis, name: str | None = None
) -> dict[str, Any]:
    """A flow test (the flow file's ``tests`` entry) that replays ``execution`` and
    expects what it answered (status and body), or that it fails."""
    r = replay_of(execution, analysis)
    test: dict[str, Any] = {
        "name": name or f"replay of run {execution.id}",
        "trigger": r.trigger,
        "input": r.input,
    }
    if r.fixtures:
        test["fixtures"] = r.fixtures
    out = execution.output if isinstance(execution.output, dict) else None
    if execution.status == "failed" and (out is None or out.get("status") in (None, 500)):
        test["expect"] = {"error": execution.error_node or ""} if out is None else {"status": 500}
    elif out is not None and "status" in out:
        expect: dict[str, Any] = {"status": out["status"]}
        if out.get("body") is not None:
            expect["body"] = out["body"]
        test["expect"] = expect
    return test


def add_test(flow_path: Path, test: dict[str, Any]) -> str:
    """Append ``test`` to the flow file's ``tests`` (the file is rewritten in the
    canonical layout); returns the test's name (made unique in the file)."""
    from nodeforge.analysis.ide import format_document

    text = flow_path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProjectError(f"{flow_path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{flow_path} is not a flow file")
    tests = data.setdefault("tests", [])
    if not isinstance(tests, list):
        raise ProjectError(f"{flow_path}: `tests` is not a list")
    names = {t.get("name") for t in tests if isinstance(t, dict)}
    base, n = test["name"], 2
    while test["name"] in names:
        test["name"] = f"{base} ({n})"
        n += 1
    tests.append(test)
    out = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    formatted = format_document(out)
    flow_path.write_text(formatted if formatted is not None else out, encoding="utf-8")
    return str(test["name"])
