"""Every build shows its progress (issue 15 item 4): packages compiled and time elapsed,
from ``go build -v``, on the command line's stderr, as the language server's work-done
progress, and from the sandboxed compile of user code."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodeforge.codegen.build import build
from nodeforge.sandbox import gobuild
from nodeforge.sandbox import harness as hz
from nodeforge.sandbox.goprogress import BuildProgress, GoProgress
from nodeforge.sandbox.runner import Status
from tests.lsp.inprocess import MemoryClient
from tests.sandbox_support import private_harness_cache, require_sandbox
from tests.test_broken_flows import run_cli
from tests.test_build_support import make_workspace, needs_go


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_package_lines_are_counted_once_and_kept_out_of_the_output() -> None:
    seen: list[tuple[str, int, str]] = []
    clock = Clock()
    progress = GoProgress(
        lambda s: seen.append((s.stage, s.packages, s.message())), interval=1.0, clock=clock
    )
    progress.stage("compiling")
    # Chunks split anywhere, even inside a line; -v may name a package twice.
    for chunk in (b"internal/go", b"arch\ninternal/abi\nint", b"ernal/abi\nnet/http\n"):
        progress.feed(chunk)
    clock.now += 0.5
    progress.feed(b"# example.com/app\n./main.go:3:2: declared and not used: x\n")
    clock.now += 1.0
    progress.feed(b"example.com/app")  # the last line may come without a newline
    assert progress.state.packages == 3  # before the line ends it is not counted
    assert progress.take_output() == ("# example.com/app\n./main.go:3:2: declared and not used: x")
    assert progress.state.packages == 4 and progress.state.last == "example.com/app"
    progress.state.stage = "failed"
    progress.finish()
    # Throttled: the stage (forced), nothing within the second, one after it, the end.
    assert [(stage, count) for stage, count, _ in seen] == [
        ("compiling", 0),
        ("compiling", 3),
        ("failed", 4),
    ]
    assert seen[0][2] == "compiling, 0.0 s"
    assert seen[-1][2] == "failed: 4 packages compiled, 1.5 s"


def test_messages_name_the_last_package_while_compiling() -> None:
    state = BuildProgress(started=0.0, stage="compiling", packages=1, last="net/http")
    state._now = lambda: 2.25
    assert state.message() == "compiling: 1 package compiled, 2.2 s (net/http)"


def _flow(nonce: str) -> dict[str, object]:
    # A fresh string constant: the flow's package must be compiled, not found cached.
    return {
        "nodeforge": "1",
        "id": "progress",
        "nodes": [
            {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {"id": "say", "type": "util/log", "version": "1.0.0", "config": {"message": nonce}},
        ],
        "connections": [{"from": "start.out", "to": "say.in"}],
    }


@needs_go
def test_a_build_reports_packages_compiled_and_the_cli_prints_them(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", _flow(f"progress {uuid.uuid4()}"))
    states: list[tuple[str, int, bool]] = []
    result = build(ws, progress=lambda s: states.append((s.stage, s.packages, s.done)))
    assert result.ok, result.output
    stages = [stage for stage, _, _ in states]
    assert stages[0] == "generating Go" and "compiling" in stages
    assert states[-1][0] == "built" and states[-1][2] and states[-1][1] >= 1
    assert not any(line.startswith("progress") for line in result.output.splitlines())
    # The command line: stderr lines (not a terminal here), the last one the total.
    (ws / "progress.flow.json").write_text(json.dumps(_flow(f"again {uuid.uuid4()}")))
    proc = run_cli("build", str(ws))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("nodeforge build:")]
    assert lines[0].startswith("nodeforge build: generating Go, ")
    assert any(line.startswith("nodeforge build: compiling") for line in lines)
    assert lines[-1].startswith("nodeforge build: built: ") and " packages compiled, " in (
        lines[-1].replace(" package compiled, ", " packages compiled, ")
    )


@pytest.fixture
def cache() -> Iterator[Path]:
    with private_harness_cache("nf-progress-cache-") as folder:
        yield folder


@needs_go
def test_a_sandboxed_build_reports_its_progress(tmp_path: Path, cache: Path) -> None:
    require_sandbox()
    nonce = uuid.uuid4().hex
    source = (
        f'const tag = "{nonce}"\n'
        "func Run(ctx context.Context, in Input) (Output, error) {\n"
        "\t_ = tag\n\treturn Output{}, nil\n}\n"
    )
    states: list[tuple[str, int]] = []
    built = gobuild.build_module(
        hz.code_go_files({"source": source}),
        tmp_path / "bin",
        workspace=tmp_path,
        label="node `x` (code/go)",
        progress=GoProgress(lambda s: states.append((s.stage, s.packages)), interval=0),
    )
    assert built.status == Status.OK, (built.message, built.output)
    assert (tmp_path / "bin").is_file()
    inside = [count for stage, count in states if stage == "compiling in the sandbox"]
    assert inside and inside[-1] > inside[0], states  # packages counted from inside
    assert built.output == ""  # a clean compile: -v's package lines are not output


@pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")
async def test_the_lsp_build_sends_work_done_progress(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", _flow(f"lsp {uuid.uuid4()}"))
    client = MemoryClient()
    await client.start(ws, capabilities={"window": {"workDoneProgress": True}})
    uri = client.open(ws / "progress.flow.json")
    await client.published(uri)
    answer = await client.request(
        "workspace/executeCommand",
        {"command": "nodeforge.build", "arguments": [{"uri": uri}]},
        timeout=300,
    )
    assert answer["result"]["state"] == "succeeded", answer
    events = [m["params"] for m in client.notifications if m["method"] == "$/progress"]
    kinds = [e["value"]["kind"] for e in events]
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds, kinds
    assert len({e["token"] for e in events}) == 1
    reports = [e["value"]["message"] for e in events if e["value"]["kind"] == "report"]
    assert reports[0].startswith("generating Go")
    assert any(r.startswith("built: ") and "compiled" in r for r in reports), reports
    assert events[-1]["value"]["message"].startswith("Build succeeded")
    await client.stop()
