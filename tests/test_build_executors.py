"""The Go side of the catalog: executors and the nf runtime are gofmt'd, vet clean, and
their Go unit tests pass (CI runs them through this test)."""

from __future__ import annotations

import shutil
import subprocess

from nodeforge.codegen.flowgen import EXECUTORS
from nodeforge.codegen.module import catalog_dir
from tests.test_build_support import go, needs_go


@needs_go
def test_catalog_go_is_formatted_vetted_and_tested() -> None:
    cat = catalog_dir()
    gofmt = shutil.which("gofmt") or "gofmt"
    listed = subprocess.run([gofmt, "-l", "."], cwd=cat, capture_output=True, text=True)
    assert listed.stdout == "", f"not gofmt'd: {listed.stdout}"
    vet = go("vet", "./...", cwd=cat)
    assert vet.returncode == 0, vet.stderr
    tests = go("test", "-count=1", "./...", cwd=cat)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_every_executor_package_exists_with_its_package_name() -> None:
    cat = catalog_dir()
    for node_type, package in EXECUTORS.items():
        versions = [p.parent for p in (cat / node_type).glob("*/node.json")]
        with_go = [v for v in versions if any(v.glob("*.go"))]
        assert with_go, f"{node_type} has no Go executor"
        for v in with_go:
            sources = [p for p in v.glob("*.go") if not p.name.endswith("_test.go")]
            assert all(f"package {package}\n" in p.read_text() for p in sources), v
