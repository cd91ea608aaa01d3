"""``nodeforge format``: canonical layout on disk, ``--check`` for CI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import BROKEN, EXAMPLES
from tests.test_broken_flows import run_cli


def test_format_rewrites_then_check_passes(tmp_path: Path) -> None:
    flow = tmp_path / "orders.flow.json"
    shutil.copy(EXAMPLES / "orders_api.flow.json", flow)
    flow.write_text(json.dumps(json.loads(flow.read_text()), separators=(",", ":")))
    before = json.loads(flow.read_text())
    assert run_cli("format", "--check", str(flow)).returncode == 1
    assert run_cli("format", str(flow)).returncode == 0
    assert json.loads(flow.read_text()) == before  # same content, new layout
    assert '"position": {"x": 0, "y": 0}' in flow.read_text()
    again = run_cli("format", "--check", str(flow))
    assert again.returncode == 0, again.stdout
    assert "0 files would be reformatted" in again.stdout


def test_format_refuses_invalid_json(tmp_path: Path) -> None:
    broken = tmp_path / "broken.flow.json"
    shutil.copy(BROKEN / "syntax_errors.flow.json", broken)
    original = broken.read_text()
    result = run_cli("format", str(broken))
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr
    assert broken.read_text() == original  # nothing lost
