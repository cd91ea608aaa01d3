"""The Go side of the catalog: executors and the nf runtime are gofmt'd, vet clean, and
their Go unit tests pass (CI runs them through this test)."""

from __future__ import annotations

import shutil
import subprocess

from nodeforge.analysis.kits import kit_of
from nodeforge.analysis.workspace import standard_catalog
from nodeforge.codegen.flowgen import go_package
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


def test_every_executor_package_is_named_by_the_convention() -> None:
    """A kit's Go package is named after its type (``sqlquery`` for sql/query): the
    code generator imports it by that name."""
    found = 0
    for manifest in standard_catalog().all():
        kit = kit_of(manifest)
        sources = [p for p in kit.folder.glob("*.go") if not p.name.endswith("_test.go")]
        assert kit.has_executor() == bool(sources)
        package = go_package(manifest.type)
        assert all(f"package {package}\n" in p.read_text() for p in sources), kit.folder
        found += bool(sources)
    assert found >= 10  # sql, http, email, whatsapp, llm, log executors
