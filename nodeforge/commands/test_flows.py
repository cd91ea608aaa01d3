"""``nodeforge test PATH``: run the tests written in flow files against the compiled app.

Each test fires its trigger with its ``input`` (the trigger's output data) through
``app run FLOW --trigger T --input FILE --fixtures FILE``: the real binary, the real
generated code, with a fresh SQLite database per test (created from ``db/<name>.sql``
when the workspace has one) and the test's ``fixtures`` pinning node outputs instead of
real I/O. ``expect`` may check ``status``, ``body`` (a subset: listed keys must match,
lists compare element by element) and ``error`` (a substring of the execution's error,
or ``true``). A test without ``expect`` passes when the execution does not fail.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge.analysis.catalog import CatalogError
from nodeforge.analysis.workspace import WorkspaceError
from nodeforge.codegen.build import BuildResult, app_environment, build

from .generate import print_diagnostics, progress_printer


@dataclass
class TestOutcome:
    flow: str
    name: str
    passed: bool
    message: str
    seconds: float
    result: dict[str, Any] | None


def run(args: argparse.Namespace) -> int:
    try:
        result = build(
            args.path, unsafe_no_sandbox=args.unsafe_no_sandbox, progress=progress_printer("test")
        )
    except (OSError, CatalogError, WorkspaceError) as exc:
        print(f"nodeforge test: {exc}", file=sys.stderr)
        return 2
    if not result.ok or result.binary is None:
        print_diagnostics(result)
        return 1
    outcomes = run_flow_tests(result, name_filter=args.k)
    if args.json:
        print(json.dumps([o.__dict__ for o in outcomes], indent=2))
    else:
        for o in outcomes:
            status = "PASS" if o.passed else "FAIL"
            line = f"{status} {o.flow}: {o.name} ({o.seconds * 1000:.0f} ms)"
            if not o.passed:
                line += f"\n     {o.message}"
            print(line)
        passed = sum(o.passed for o in outcomes)
        print(f"{passed} passed, {len(outcomes) - passed} failed")
    return 0 if all(o.passed for o in outcomes) else 1


def run_flow_tests(result: BuildResult, name_filter: str | None = None) -> list[TestOutcome]:
    assert result.binary is not None
    outcomes: list[TestOutcome] = []
    for rel, flow in sorted(result.flows.items()):
        if result.requested and rel not in result.requested:
            continue  # a flow compiled in because one asked for calls it
        try:
            data = json.loads(flow.text)
        except ValueError:
            continue
        flow_id = str(data.get("id", ""))
        for test in data.get("tests", []) or []:
            name = str(test.get("name", ""))
            if name_filter and name_filter not in name:
                continue
            outcomes.append(_run_one(result, flow_id, test))
    return outcomes


def _run_one(result: BuildResult, flow_id: str, test: dict[str, Any]) -> TestOutcome:
    assert result.binary is not None
    name = str(test.get("name", ""))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nodeforge-test-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "input.json").write_text(json.dumps(test.get("input")), encoding="utf-8")
        (tmpdir / "fixtures.json").write_text(
            json.dumps(test.get("fixtures") or {}), encoding="utf-8"
        )
        env = app_environment(result.root, result.connectors, data_dir=tmpdir / "data")
        env.setdefault("NODEFORGE_LOG_LEVEL", "error")
        cmd = [
            str(result.binary),
            "run",
            flow_id,
            "--trigger",
            str(test.get("trigger", "")),
            "--input",
            str(tmpdir / "input.json"),
            "--fixtures",
            str(tmpdir / "fixtures.json"),
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)
    seconds = time.monotonic() - started
    try:
        got = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        msg = f"the app printed no result (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
        return TestOutcome(flow_id, name, False, msg, seconds, None)
    ok, msg = check_expectation(test.get("expect"), got)
    return TestOutcome(flow_id, name, ok, msg, seconds, got)


def check_expectation(expect: Any, got: dict[str, Any]) -> tuple[bool, str]:
    """Compare a test's ``expect`` with what the execution answered."""
    error = got.get("error") or ""
    if expect is None:
        return (not error, f"the execution failed: {error}" if error else "")
    if not isinstance(expect, dict):
        return False, "`expect` must be an object with status, body or error"
    if "error" in expect:
        want = expect["error"]
        if want is False and error:
            return False, f"the execution failed: {error}"
        if want is True and not error:
            return False, "expected the execution to fail"
        if isinstance(want, str) and want not in error:
            return False, f"expected an error containing {want!r}, got {error!r}"
    elif error and "status" not in expect:
        return False, f"the execution failed: {error}"
    if "status" in expect and got.get("status") != expect["status"]:
        body = got.get("body")
        extra = f": {json.dumps(body)}" if body is not None else ""
        extra += f" ({error})" if error else ""
        return False, f"expected status {expect['status']}, got {got.get('status')}{extra}"
    if "body" in expect:
        problem = _subset(expect["body"], got.get("body"), "body")
        if problem:
            return False, problem
    return True, ""


def _subset(want: Any, have: Any, where: str) -> str:
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return f"{where}: expected an object, got {json.dumps(have)}"
        for k, v in want.items():
            if k not in have:
                return f"{where}.{k}: missing"
            p = _subset(v, have[k], f"{where}.{k}")
            if p:
                return p
        return ""
    if isinstance(want, list):
        if not isinstance(have, list) or len(have) != len(want):
            return f"{where}: expected {json.dumps(want)}, got {json.dumps(have)}"
        for i, (w, h) in enumerate(zip(want, have, strict=True)):
            p = _subset(w, h, f"{where}[{i}]")
            if p:
                return p
        return ""
    if want != have or (type(want) is bool and type(have) is not bool):
        return f"{where}: expected {json.dumps(want)}, got {json.dumps(have)}"
    return ""
