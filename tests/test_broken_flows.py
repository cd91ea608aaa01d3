"""Golden tests: each broken flow gives its pinned diagnostics, in every format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nodeforge.analysis.rules.registry import RULES
from tests.conftest import BROKEN, EXAMPLES, ROOT, assert_golden

BROKEN_FLOWS = sorted(BROKEN.glob("*.flow.json"))


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nodeforge", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        check=False,
    )


@pytest.mark.parametrize("flow", BROKEN_FLOWS, ids=lambda p: p.name.removesuffix(".flow.json"))
def test_broken_flow_diagnostics(flow: Path) -> None:
    result = run_cli("check", str(flow.relative_to(ROOT)))
    assert result.returncode in (0, 1), result.stderr
    assert (result.returncode == 1) == (": error NF" in result.stdout)
    assert_golden(flow.with_suffix("").with_suffix(".expected.txt"), result.stdout)


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_machine_formats_are_pinned(fmt: str) -> None:
    flow = BROKEN / "bad_expressions.flow.json"
    result = run_cli("check", str(flow.relative_to(ROOT)), "--format", fmt)
    assert result.returncode == 1, result.stderr
    output = result.stdout
    if fmt == "sarif":
        sarif = json.loads(output)
        sarif["runs"][0]["originalUriBaseIds"] = {}  # depends on the checkout folder
        output = json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
    assert_golden(BROKEN / f"bad_expressions.expected.{fmt}", output)


def test_examples_check_clean() -> None:
    result = run_cli("check", "examples/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems" in result.stdout


def test_every_rule_has_a_broken_example() -> None:
    emitted = set()
    for expected in BROKEN.glob("*.expected.txt"):
        for line in expected.read_text(encoding="utf-8").splitlines():
            parts = line.split(" ")
            if len(parts) > 2 and parts[2].startswith("NF"):
                emitted.add(parts[2])
    # NF000 is a crash, which no valid input may cause; NF900 comes from `go build`
    # (pinned by tests/test_codegen*.py), not from `nodeforge check`; NF901 is on a node
    # kit's files, not a flow (pinned by tests/test_kits_editor.py).
    missing = set(RULES) - emitted - {"NF000", "NF900", "NF901"}
    assert not missing, f"rules without a pinned broken example: {sorted(missing)}"
    for rule in RULES.values():
        if rule.example:
            assert (BROKEN / f"{rule.example}.flow.json").exists(), rule.code


def test_severity_threshold_and_exit_codes() -> None:
    outdated = str((BROKEN / "outdated.flow.json").relative_to(ROOT))
    hints = run_cli("check", outdated)
    assert "NF021" in hints.stdout and hints.returncode == 0
    quiet = run_cli("check", outdated, "--severity", "warning")
    assert "NF021" not in quiet.stdout and quiet.returncode == 0
    missing = run_cli("check", "no/such/file.flow.json")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_examples_workspace_is_picked_up_from_a_subfolder(tmp_path: Path) -> None:
    assert (EXAMPLES / "nodeforge.toml").exists()
    result = run_cli("check", str(EXAMPLES / "orders_api.flow.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
