"""What the sandbox test modules share: the CI rule for a missing sandbox, and a
private harness cache per test module or session."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from nodeforge.sandbox.runner import unavailable_reason


def require_sandbox() -> None:
    """Skip where the sandbox cannot be set up, but fail in CI as root: there it must work."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI") and os.geteuid() == 0:
        pytest.fail(f"the sandbox must work in CI (as root): {reason}")
    pytest.skip(f"sandbox unavailable here: {reason}")


@contextmanager
def private_harness_cache(prefix: str) -> Iterator[Path]:
    """``NODEFORGE_CACHE`` pointed at a fresh world-traversable folder, removed after."""
    old = os.environ.get("NODEFORGE_CACHE")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(folder, 0o755)
    os.environ["NODEFORGE_CACHE"] = str(folder)
    try:
        yield folder
    finally:
        if old is None:
            os.environ.pop("NODEFORGE_CACHE", None)
        else:
            os.environ["NODEFORGE_CACHE"] = old
        shutil.rmtree(folder, ignore_errors=True)
