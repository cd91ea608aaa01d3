"""Hostile node code through the real test-node path, as root: every attempt is
contained with the right status, and the host is left as it was (no processes, files or
uids left behind).

The harnesses are built once per session (compiled inside the sandbox, as every build of
untrusted code is, with the workspace's build cache) into a session cache folder; each
test then only runs its binary in the sandbox.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nodeforge.sandbox import harness as hz
from nodeforge.sandbox import uids
from nodeforge.sandbox.limits import Limits
from nodeforge.sandbox.nodetest import NodeTestResult, run_node_test
from nodeforge.sandbox.runner import Status
from nodeforge.sandbox.testing import code_node_analysis
from tests.sandbox_support import private_harness_cache, require_sandbox

HOSTILE = Path(__file__).parent / "hostile"
FAST = Limits(wall_seconds=4.0, cpu_seconds=3, output_bytes=1024 * 1024)

pytestmark = [
    pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain"),
]


@pytest.fixture(scope="session", autouse=True)
def harness_cache() -> Iterator[Path]:
    """One harness cache for the session (world-traversable, removed at the end)."""
    with private_harness_cache("nf-hostile-cache-") as folder:
        yield folder


@pytest.fixture(scope="session", autouse=True)
def prebuilt(harness_cache: Path) -> None:
    """Compile every hostile program once, in parallel (trusted tooling, outside)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(path: Path) -> None:
        analysis = code_node_analysis(path.read_text())
        node = analysis.document.node_by_id("code")
        assert node is not None
        hz.build("code/go", "1.0.0", hz.code_go_files(node.config))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, sorted(HOSTILE.glob("*.go"))))


def live_processes_of(watched: set[int]) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry.name}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if "Z" in fields.get("State", ""):
            continue
        if int(fields.get("Uid", "0").split()[0]) in watched:
            found.append(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def host_unaffected() -> Iterator[None]:
    """After each test: nothing runs as, and no lease holds, a uid this test used. (Only
    this process's uids: other test runs on the machine may be using the sandbox too.)"""
    before = uids.LEASE_COUNT
    before_stage = set(Path(tempfile.gettempdir()).glob("nodeforge-stage-*"))
    yield
    made = uids.LEASE_COUNT - before
    used = set(list(uids.LEASED)[-made:]) if made else set()
    assert live_processes_of(used) == [], "a sandboxed process outlived its run"
    locks = [uids.LOCK_DIR / f"{uid}.lock" for uid in used]
    assert [p for p in locks if p.exists()] == [], "uid leases left behind"
    assert set(Path(tempfile.gettempdir()).glob("nodeforge-stage-*")) <= before_stage


def run_hostile(name: str, input_value: Any = None, limits: Limits = FAST) -> NodeTestResult:
    require_sandbox()
    analysis = code_node_analysis((HOSTILE / f"{name}.go").read_text(), timeout_ms=60_000)
    return run_node_test(
        analysis, "code", input_value if input_value is not None else {}, limits=limits
    )


def outputs_text(result: NodeTestResult) -> str:
    return repr(result.outputs) + repr(result.logs) + result.message


# -- baseline ------------------------------------------------------------------------------


def test_well_behaved_node_runs_confined_with_outputs_and_logs() -> None:
    leases = uids.LEASE_COUNT
    r = run_hostile("well_behaved", {"a": 1})
    assert leases < uids.LEASE_COUNT  # so the host checks after each test see its uid
    assert r.status == Status.OK, r.message
    assert r.confined
    assert r.outputs["out"]["echo"] == {"a": 1}
    assert r.outputs["out"]["uid"] >= uids.UID_BASE  # a fresh uid, not root
    messages = [entry.get("msg") for entry in r.logs]
    assert "plain log line" in messages and "structured" in messages
    assert r.cached


def test_returned_error_is_a_node_error_on_the_error_port() -> None:
    r = run_hostile("well_behaved", {"fail": True})
    assert r.status == Status.NODE_ERROR
    assert r.outputs["error"]["message"] == "asked to fail"


def test_panic_is_a_node_error() -> None:
    r = run_hostile("well_behaved", {"panic": True})
    assert r.status == Status.NODE_ERROR
    assert "asked to panic" in r.outputs["error"]["message"]


# -- network -------------------------------------------------------------------------------


def test_network_outside_is_unreachable() -> None:
    r = run_hostile("net_outside")
    assert r.status == Status.NODE_ERROR
    text = outputs_text(r)
    assert "connected" not in text and "resolved" not in text and "fetched" not in text
    assert "operation not permitted" in text


def test_loopback_of_the_host_is_unreachable() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list[bytes] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        r = run_hostile("net_loopback", {"port": server.getsockname()[1]})
    finally:
        done.set()
        thread.join(timeout=5)
        server.close()
    assert r.status == Status.NODE_ERROR, r.outputs
    assert accepted == []


# -- resources -----------------------------------------------------------------------------


def test_fork_bomb_is_contained() -> None:
    before = len(os.listdir("/proc"))
    r = run_hostile("fork_bomb", limits=Limits(wall_seconds=3.0, cpu_seconds=3, processes=64))
    assert r.status in (Status.TIMEOUT, Status.NODE_ERROR, Status.KILLED), r.message
    assert r.run_ms < 6000
    # The host still forks fine, and nothing of the bomb is left.
    assert subprocess.run(["true"], check=False).returncode == 0
    assert len(os.listdir("/proc")) < before + 200


def test_endless_allocation_hits_the_memory_limit() -> None:
    r = run_hostile("alloc", limits=Limits(wall_seconds=20.0, cpu_seconds=20))
    assert r.status == Status.MEMORY_LIMIT, (r.status, r.message)


def test_cpu_spin_hits_the_cpu_limit() -> None:
    r = run_hostile("cpu_spin", limits=Limits(wall_seconds=8.0, cpu_seconds=1))
    assert r.status == Status.TIMEOUT, (r.status, r.message)
    # Contained: ended by the CPU limit, or at worst by the wall clock (8 s) when a loaded
    # machine gives it less than a CPU second in that time; the margin is for the kill.
    assert r.run_ms < 12000


def test_sleep_forever_hits_the_wall_clock() -> None:
    started = time.monotonic()
    r = run_hostile("sleep_forever", limits=Limits(wall_seconds=1.0))
    assert r.status == Status.TIMEOUT
    assert time.monotonic() - started < 4
    assert "wall clock" in r.message


def test_printing_gigabytes_hits_the_output_limit() -> None:
    r = run_hostile("print_gigabytes", limits=Limits(wall_seconds=20, output_bytes=256 * 1024))
    assert r.status == Status.OUTPUT_LIMIT
    assert sum(len(str(e)) for e in r.logs) < 2 * 1024 * 1024


def test_filling_the_disk_stops_at_the_work_dir_quota() -> None:
    df_before = shutil.disk_usage("/")
    r = run_hostile("fill_disk", limits=Limits(wall_seconds=10, tmp_bytes=32 * 1024 * 1024))
    assert r.status == Status.NODE_ERROR, (r.status, r.message)
    assert "no space left" in r.message or "file too large" in r.message
    assert shutil.disk_usage("/").used - df_before.used < 16 * 1024 * 1024


# -- files ---------------------------------------------------------------------------------


def test_host_secrets_are_not_readable(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / ".nodeforge").mkdir(parents=True)
    secret = workspace / ".nodeforge" / "secrets.key"
    secret.write_text("TOP-SECRET-KEY-42")
    home_file = Path.home() / ".nodeforge-hostile-probe"
    home_file.write_text("HOME-SECRET-43")
    try:
        r = run_hostile("read_secrets", {"paths": [str(secret), str(workspace), str(home_file)]})
    finally:
        home_file.unlink()
    assert r.status == Status.OK, r.message
    text = outputs_text(r)
    assert "TOP-SECRET-KEY-42" not in text and "HOME-SECRET-43" not in text
    assert "root:" not in text  # neither /etc/shadow nor /etc/passwd
    out = r.outputs["out"]
    # pid 1 inside is bubblewrap, started with an environment of PATH (and PWD) alone
    environ = out.pop("/proc/1/environ")
    assert set(environ.removeprefix("read: ").split("\x00")) <= {"PATH=/usr/bin:/bin", "PWD=/", ""}
    assert not any(str(v).startswith(("read:", "listed:")) for v in out.values()), out


def test_writes_outside_the_work_dir_fail(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    os.chmod(tmp_path, 0o777)
    r = run_hostile("write_outside", {"paths": [str(target)]})
    assert r.status == Status.OK, r.message
    out = r.outputs["out"]
    assert out.pop("work") == "written"
    assert all(v.startswith("error:") for v in out.values()), out
    for path in ("/usr/pwned", "/etc/pwned", "/root/pwned", "/var/tmp/pwned", "/pwned", target):
        assert not Path(path).exists()


# -- processes and the kernel --------------------------------------------------------------


def test_signalling_the_parent_and_everyone_kills_only_the_sandbox() -> None:
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        r = run_hostile("signal_parent", {"pid": bystander.pid})
        assert bystander.poll() is None, "a host process was killed"
        assert os.getpid() > 0  # and we are still here
    finally:
        bystander.send_signal(signal.SIGKILL)
        bystander.wait()
    assert r.status in (Status.KILLED, Status.OK), (r.status, r.message)


def test_escape_syscalls_are_denied() -> None:
    r = run_hostile("escape_syscalls")
    assert r.status == Status.OK, r.message
    out = r.outputs["out"]
    assert "allowed" not in out.values(), out


# -- refusal -------------------------------------------------------------------------------


def test_refuses_without_a_sandbox_and_never_runs_the_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import nodeforge.sandbox.nodetest as nodetest

    monkeypatch.setattr(nodetest, "unavailable_reason", lambda: "bubblewrap is not installed")
    marker = tmp_path / "ran"
    source = f'func Run(ctx context.Context, in Input) (Output, error) {{\n\tos.WriteFile("{marker}", nil, 0o644)\n\treturn Output{{}}, nil\n}}\n'
    r = run_node_test(code_node_analysis(source), "code", {})
    assert r.status == Status.SANDBOX_UNAVAILABLE
    assert "bubblewrap is not installed" in r.message and "refusing" in r.message
    assert not marker.exists()


def test_hostile_code_through_the_command_line(tmp_path: Path) -> None:
    """The way the suite is checked from outside: `nodeforge test-node` as root."""
    require_sandbox()
    import json
    import sys

    from nodeforge.sandbox.testing import code_node_flow

    flow = tmp_path / "hostile.flow.json"
    flow.write_text(code_node_flow((HOSTILE / "sleep_forever.go").read_text()))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nodeforge",
            "test-node",
            str(flow),
            "code",
            "--limit",
            "wall_seconds=1",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "timeout" and out["confined"]


def test_memory_backed_file_systems_outside_the_work_dir_are_read_only() -> None:
    r = run_hostile("fill_memory_fs")
    assert r.status == Status.OK, r.message
    for where, what in r.outputs["out"].items():
        assert what.startswith("stopped after 0 MiB"), (where, what)


def test_many_processes_share_one_memory_limit() -> None:
    from nodeforge.sandbox import cgroups

    if not cgroups.available():
        pytest.skip("no writable memory cgroup here: only per-process address-space limits")
    r = run_hostile("alloc_many", limits=Limits(wall_seconds=8, cpu_seconds=20))
    assert r.status == Status.MEMORY_LIMIT, (r.status, r.message)
    assert "cgroup" in r.message
