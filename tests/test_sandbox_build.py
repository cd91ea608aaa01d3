"""Untrusted code is compiled inside the sandbox, and node folders are read safely
(issue 10, items 1 and 2; docs/sandbox.md, "Compiling untrusted code")."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodeforge.analysis import nodefiles
from nodeforge.analysis.catalog import Catalog, CatalogError
from nodeforge.codegen import build as driver
from nodeforge.sandbox import gobuild
from nodeforge.sandbox import harness as hz
from nodeforge.sandbox.limits import Limits, MiB
from nodeforge.sandbox.nodetest import run_node_test
from nodeforge.sandbox.runner import Status
from nodeforge.sandbox.testing import code_node_analysis
from tests.sandbox_support import private_harness_cache, require_sandbox
from tests.test_broken_flows import run_cli

needs_go = pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")

# Each constant doubles the one before: 64 B * 2^23 = 512 MiB of constant, which the
# compiler builds and concatenates step by step: far past a 1 GiB limit.
DOUBLING = (
    'const c0 = "'
    + "x" * 64
    + '"\n'
    + "".join(f"const c{i} = c{i - 1} + c{i - 1}\n" for i in range(1, 24))
    + "func Run(ctx context.Context, in Input) (Output, error) {\n"
    + "\t_ = len(c23)\n\treturn Output{}, nil\n}\n"
)
LOW = Limits(
    wall_seconds=120.0,
    cpu_seconds=120,
    memory_bytes=1024 * MiB,
    file_bytes=64 * MiB,
    open_files=1024,
    processes=256,
)


@pytest.fixture
def cache() -> Iterator[Path]:
    with private_harness_cache("nf-build-cache-") as folder:
        yield folder


# -- item 1: compiled inside the sandbox ----------------------------------------------


@needs_go
def test_a_compile_bomb_ends_with_memory_limit_naming_the_node(cache: Path) -> None:
    require_sandbox()
    analysis = code_node_analysis(DOUBLING, node_id="bomb")
    result = run_node_test(analysis, "bomb", {}, build_limits=LOW)
    assert result.status == Status.MEMORY_LIMIT, result.as_dict()
    assert "node `bomb` (code/go)" in result.message
    assert not result.cached
    assert not any((cache / "harness").glob("*/harness"))  # nothing was cached


@needs_go
def test_the_harness_is_compiled_by_the_sandboxs_build_uid(cache: Path) -> None:
    require_sandbox()
    src = "func Run(ctx context.Context, in Input) (Output, error) { return Output{}, nil }"
    analysis = code_node_analysis(src)
    result = run_node_test(analysis, "code", {})
    assert result.status == Status.OK, result.as_dict()
    # The build cache of the compile is owned by a build uid, not root, and private.
    caches = list((cache / "gobuild").iterdir())
    assert len(caches) == 1
    st = caches[0].stat()
    assert st.st_uid >= gobuild.build_uid("") - 65536 and st.st_uid != 0
    assert stat.S_IMODE(st.st_mode) == 0o700
    # Cached harnesses are root's alone: folders 0700, the binary not readable by others.
    root = cache / "harness"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for folder in root.iterdir():
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "harness").stat().st_mode) & 0o077 == 0
    # ... and a warm test still runs it (the run gets its own copy).
    again = run_node_test(analysis, "code", {})
    assert again.status == Status.OK and again.cached, again.as_dict()


def test_untrusted_code_is_not_compiled_without_the_sandbox(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gobuild, "unavailable_reason", lambda: "no sandbox in this test")
    monkeypatch.setattr(gobuild, "go_available", lambda: None)
    with pytest.raises(hz.BuildError) as info:
        hz.build("code/go", "1.0.0", hz.code_go_files({"source": DOUBLING}), label="node `x`")
    assert info.value.status == Status.SANDBOX_UNAVAILABLE
    assert "node `x`" in str(info.value) and "no sandbox in this test" in str(info.value)


CODE_FLOW = {
    "nodeforge": "1",
    "id": "coded",
    "nodes": [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {
            "id": "double",
            "type": "code/go",
            "version": "1.0.0",
            "config": {
                "source": DOUBLING,
                "input_schema": {"type": "object"},
                "output_schema": {"type": "object"},
            },
        },
    ],
    "connections": [{"from": "start.out", "to": "double.in"}],
}


def _workspace(tmp_path: Path, flow: dict[str, object]) -> Path:
    assert run_cli("init", str(tmp_path), "--name", "untrusted").returncode == 0
    (tmp_path / "flows" / "coded.flow.json").write_text(json.dumps(flow, indent=2))
    return tmp_path


@needs_go
def test_an_app_build_with_code_go_fails_closed_without_the_sandbox(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(tmp_path, CODE_FLOW)
    monkeypatch.setattr(gobuild, "unavailable_reason", lambda: "no sandbox in this test")
    result = driver.build(ws)
    assert not result.ok and result.binary is None
    assert result.sandbox_status == "sandbox_unavailable"
    assert "node `double` (code/go)" in result.output
    assert driver.read_state(ws)["state"] == "failed"


@needs_go
def test_a_workspace_compile_bomb_hits_the_memory_limit(tmp_path: Path, cache: Path) -> None:
    require_sandbox()
    ws = _workspace(tmp_path, CODE_FLOW)
    built = gobuild.build_module(
        hz.code_go_files({"source": DOUBLING}),
        tmp_path / "bin",
        workspace=ws,
        label="node `double` (code/go)",
        limits=LOW,
    )
    assert built.status == Status.MEMORY_LIMIT, (built.message, built.output[-500:])
    assert built.message.startswith("compiling node `double` (code/go)")
    assert not (tmp_path / "bin").exists()


# -- item 2: node folders are read safely ---------------------------------------------


def test_the_safe_reader_refuses_links_special_files_and_big_files(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    folder.mkdir()
    (folder / "ok.go").write_text("package x\n")
    assert nodefiles.go_files(folder) == {"ok.go": b"package x\n"}
    (folder / "leak_windows.go").symlink_to("/etc/shadow")
    with pytest.raises(nodefiles.NodeFileError) as info:
        nodefiles.go_files(folder)
    assert info.value.path == folder / "leak_windows.go" and "symbolic link" in str(info.value)
    with pytest.raises(nodefiles.NodeFileError, match="symbolic link"):
        nodefiles.read_bytes(folder / "leak_windows.go")
    (folder / "leak_windows.go").unlink()
    (folder / "zero").symlink_to("/dev/zero")
    with pytest.raises(nodefiles.NodeFileError, match="zero: is a symbolic link"):
        nodefiles.read_folder(folder)
    (folder / "zero").unlink()
    os.mkfifo(folder / "pipe")
    with pytest.raises(nodefiles.NodeFileError, match="pipe: is not a regular file"):
        nodefiles.read_folder(folder)
    with pytest.raises(nodefiles.NodeFileError, match="not a regular file"):
        nodefiles.read_bytes(folder / "pipe")  # does not block on the FIFO
    (folder / "pipe").unlink()
    (folder / "big.go").write_bytes(b"/" * (nodefiles.MAX_FILE_BYTES + 1))
    with pytest.raises(nodefiles.NodeFileError, match="larger than"):
        nodefiles.read_folder(folder)


def _fork(tmp_path: Path) -> tuple[Path, Path]:
    assert run_cli("init", str(tmp_path), "--name", "forks").returncode == 0
    fork = run_cli("fork", "http/request@1.1.0", "--as", "acme/fetch", cwd=tmp_path)
    assert fork.returncode == 0, fork.stderr
    return tmp_path, next((tmp_path / "nodes").glob("*/request.go")).parent


def test_a_symlink_in_a_fork_is_refused_when_its_files_are_read(tmp_path: Path) -> None:
    from nodeforge.codegen.module import generate_module
    from nodeforge.project.fork import fork_status

    ws, folder = _fork(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("root's secret\n")
    (folder / "leak_windows.go").symlink_to(secret)
    (ws / "flows" / "f.flow.json").write_text(
        json.dumps(
            {
                "nodeforge": "1",
                "id": "f",
                "nodes": [
                    {"id": "t", "type": "trigger/manual", "version": "1.0.0", "config": {}},
                    {
                        "id": "call",
                        "type": "acme/fetch",
                        "version": "1.1.0",
                        "config": {"method": "GET", "url": "http://127.0.0.1:9/x"},
                    },
                ],
                "connections": [{"from": "t.out", "to": "call.in"}],
            }
        )
    )
    from nodeforge.codegen.module import collect_flows

    root, flows = collect_flows(ws)
    with pytest.raises(nodefiles.NodeFileError) as info:
        generate_module(root, flows)
    assert info.value.path == folder / "leak_windows.go"
    with pytest.raises(Exception, match=r"leak_windows\.go: is a symbolic link"):
        fork_status(ws)


def test_a_custom_manifest_that_links_elsewhere_is_a_located_catalog_error(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "nodes" / "evil"
    folder.mkdir(parents=True)
    (folder / "node.json").symlink_to("/dev/zero")
    with pytest.raises(CatalogError) as info:
        Catalog.load_standard().with_custom(tmp_path / "nodes")
    assert "node.json" in str(info.value) and "symbolic link" in str(info.value)
