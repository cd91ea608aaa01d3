"""The sandbox's parts: limits, the seccomp filter, the runner, harness generation and its
cache key, the refusal when the sandbox cannot be set up."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nodeforge.sandbox import harness as hz
from nodeforge.sandbox import runner
from nodeforge.sandbox.limits import DEFAULT_LIMITS, MAXIMA, Limits
from nodeforge.sandbox.runner import Status, run_sandboxed


def needs_sandbox() -> None:
    reason = runner.unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") and os.geteuid() == 0:
            pytest.fail(f"the sandbox must work in CI (as root): {reason}")
        pytest.skip(reason)


# -- limits --------------------------------------------------------------------------------


def test_limits_merge_and_check() -> None:
    merged = DEFAULT_LIMITS.merged({"wall_seconds": 2, "output_bytes": 4096})
    assert merged.wall_seconds == 2.0 and merged.output_bytes == 4096
    assert merged.cpu_seconds == DEFAULT_LIMITS.cpu_seconds


@pytest.mark.parametrize(
    "overrides",
    [
        {"wall_seconds": MAXIMA["wall_seconds"] + 1},
        {"memory_bytes": 10 * 1024**3},
        {"processes": 100_000},
        {"nope": 1},
        {"cpu_seconds": "10"},
        {"open_files": True},
        {"memory_bytes": 64 * 1024 * 1024},  # a Go program cannot start with that
    ],
)
def test_limits_refuse_values_outside_the_safe_range(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DEFAULT_LIMITS.merged(overrides)


# -- seccomp -------------------------------------------------------------------------------


def test_seccomp_filter_compiles() -> None:
    pytest.importorskip("pyseccomp")
    from nodeforge.sandbox.seccomp_filter import filter_bpf, filter_fd

    data = filter_bpf()
    assert len(data) % 8 == 0 and len(data) > 100  # BPF instructions are 8 bytes
    fd = filter_fd()
    try:
        assert os.read(fd, len(data) + 1) == data
    finally:
        os.close(fd)


# -- runner --------------------------------------------------------------------------------


def test_runner_confines_a_shell() -> None:
    needs_sandbox()
    script = "id -u; ls /; cat /etc/hostname 2>&1; echo x > /tmp/work/f && cat /tmp/work/f; touch /usr/x 2>&1; exit 3"
    r = run_sandboxed(["/bin/sh", "-c", script])
    assert r.status == Status.NODE_ERROR and r.exit_code == 3
    out = r.stdout.decode()
    lines = out.split()
    assert int(lines[0]) >= 1_000_000  # not root: a fresh uid
    assert "etc" not in lines and "home" not in lines and "root" not in lines
    assert "x" in lines
    assert "Read-only file system" in out
    assert r.leftovers == []


def test_runner_passes_stdin_and_caps_output() -> None:
    needs_sandbox()
    r = run_sandboxed(["/bin/cat"], stdin=b"hello" * 1000)
    assert r.status == Status.OK and r.stdout == b"hello" * 1000
    big = Limits(output_bytes=2048)
    r = run_sandboxed(["/bin/sh", "-c", "yes"], limits=big)
    assert r.status == Status.OUTPUT_LIMIT
    assert len(r.stdout) <= 2048


def test_runner_wall_clock_kills_the_process_group() -> None:
    needs_sandbox()
    r = run_sandboxed(
        ["/bin/sh", "-c", "sleep 100 & sleep 100 & sleep 100"], limits=Limits(wall_seconds=0.5)
    )
    assert r.status == Status.TIMEOUT
    assert r.duration_ms < 3000
    assert r.leftovers == []


def test_runner_refuses_without_bubblewrap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runner._probe.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        r = run_sandboxed(["/bin/sh", "-c", f"touch {tmp_path}/ran"])
        assert r.status == Status.SANDBOX_UNAVAILABLE
        assert "bubblewrap" in r.message
        assert not r.confined
        assert not (tmp_path / "ran").exists()
    finally:
        monkeypatch.undo()
        runner._probe.cache_clear()


def test_runner_refuses_when_not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    runner._probe.cache_clear()
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    try:
        reason = runner.unavailable_reason()
        if shutil.which("bwrap") and shutil.which("prlimit"):
            assert reason is not None and "root" in reason
    finally:
        monkeypatch.undo()
        runner._probe.cache_clear()


# -- harness generation ----------------------------------------------------------------------


def test_user_source_gets_package_and_imports() -> None:
    src = hz.user_source(
        "func Run(ctx context.Context, in Input) (Output, error) {\n"
        "\t// fmt.Println in a comment does not count\n"
        '\ts := strings.ToUpper("json.Marshal")\n'
        "\treturn Output{S: s}, nil\n}\n"
    )
    assert src.startswith("package main\n")
    assert '"context"' in src and '"strings"' in src
    assert '"fmt"' not in src and '"encoding/json"' not in src


def test_user_source_keeps_its_own_imports() -> None:
    src = hz.user_source('package node\n\nimport "context"\n\nfunc Run() {}\n')
    assert src.count("package") == 1 and src.startswith("package main")
    assert src.count("import") == 1


def test_types_from_schemas() -> None:
    code = hz.types_source(
        {
            "type": "object",
            "required": ["order_id", "items"],
            "properties": {
                "order_id": {"type": "string"},
                "qty": {"type": "integer"},
                "items": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"sku": {"type": "string"}}},
                },
            },
        },
        {"type": "object"},
    )
    assert "type Input struct {" in code
    assert '\tOrderID string `json:"order_id"`' in code
    assert '\tQty *int64 `json:"qty,omitempty"`' in code
    assert "[]InputItemsItem" in code
    assert "type Output = map[string]any" in code


def test_harness_key_changes_with_code_and_version() -> None:
    files = hz.code_go_files({"source": "func Run() {}"})
    k1 = hz.harness_key("code/go", "1.0.0", files)
    assert k1 == hz.harness_key("code/go", "1.0.0", dict(files))
    assert k1 != hz.harness_key("code/go", "1.0.1", files)
    other = hz.code_go_files({"source": "func Run() { }"})
    assert k1 != hz.harness_key("code/go", "1.0.0", other)
    assert k1.startswith("code-go-1-0-0-")


def test_parse_logs() -> None:
    logs = hz.parse_logs(b'plain\n{"level":"INFO","msg":"hi","n":1}\n\n{broken\n')
    assert logs == [
        {"level": "INFO", "msg": "plain"},
        {"level": "INFO", "msg": "hi", "n": 1},
        {"level": "INFO", "msg": "{broken"},
    ]


def test_prune_keeps_the_newest_harnesses(tmp_path: Path) -> None:
    for i in range(5):
        d = tmp_path / f"h{i}"
        d.mkdir()
        os.utime(d, (1000 + i, 1000 + i))
    (tmp_path / "build-x").mkdir()  # a build in progress is never pruned
    hz.prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build-x", "h3", "h4"]


def test_concurrent_runs_get_distinct_uids() -> None:
    needs_sandbox()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: run_sandboxed(["/bin/sh", "-c", "id -u"]), range(16)))
    assert all(r.status == Status.OK for r in results)
    assert len({r.stdout for r in results}) == 16
