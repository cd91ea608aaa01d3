"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BROKEN = ROOT / "tests" / "flows" / "broken"

# The commands the tests start run in their own process: a daemon (nodeforge/daemon.py)
# serving them would outlive the test run. tests/test_daemon.py turns it on where it is
# the subject.
os.environ["NODEFORGE_DAEMON"] = "0"

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def update_golden() -> bool:
    """``UPDATE_GOLDEN=1 pytest`` rewrites golden files instead of comparing."""
    return os.environ.get("UPDATE_GOLDEN") == "1"


def assert_golden(path: Path, actual: str) -> None:
    if update_golden() or not path.exists():
        path.write_text(actual, encoding="utf-8")
        if not update_golden():
            pytest.fail(f"golden file {path} was missing and has been written; rerun")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path} differs; rerun with UPDATE_GOLDEN=1 if intended"
