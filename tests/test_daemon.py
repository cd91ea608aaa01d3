"""The command daemon (nodeforge/daemon.py, nodeforge/launch.py): ``check`` and
``generate`` run by the real console script through a real daemon give what they give
in their own process (output, exit code, files, umask, working folder); a daemon whose
code changed is not used; only its identity and its user are served."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodeforge import daemon, launch
from tests.conftest import BROKEN, EXAMPLES, ROOT

SCRIPT = Path(sys.executable).with_name("nodeforge")
needs_script = pytest.mark.skipif(not SCRIPT.exists(), reason="no nodeforge console script")


def test_on_by_default_off_in_ci_and_by_setting() -> None:
    assert launch.enabled({})
    assert not launch.enabled({"CI": "true"})
    assert launch.enabled({"CI": "true", "NODEFORGE_DAEMON": "1"})
    assert not launch.enabled({"JENKINS_URL": "http://ci.example/"})
    assert not launch.enabled({"TF_BUILD": "True"})
    for off in ("0", "false", "no", "off", "OFF"):
        assert not launch.enabled({"NODEFORGE_DAEMON": off})


def test_socket_folder_must_be_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "d"
    monkeypatch.setenv("NODEFORGE_DAEMON_DIR", str(folder))
    assert launch.runtime_dir() == str(folder)
    assert folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o755)  # others may list or replace the socket: no daemon
    assert launch.runtime_dir() is None


@pytest.mark.parametrize("inotify", [True, False], ids=["inotify", "stat"])
def test_freshness_sees_edits_removals_and_installs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inotify: bool
) -> None:
    if not inotify:  # no inotify (or out of watches): every file compared each time
        monkeypatch.setattr(daemon, "_watch", lambda folders: None)
    pkg, site = tmp_path / "pkg", tmp_path / "site"
    pkg.mkdir()
    site.mkdir()
    a, b = pkg / "a.py", pkg / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 1\n")
    fresh = daemon.Freshness([str(a), str(b), str(site)])
    try:
        assert fresh.stale() == []
        (pkg / "unrelated.txt").write_text("an event, but no file of ours changed\n")
        assert fresh.stale() == []
        assert fresh.stale() == []
        a.write_text("x = 22\n")
        assert fresh.stale() == [str(a)]
        b.unlink()
        assert fresh.stale() == [str(a), str(b)]
        # What a `pip install` does to a folder of sys.path: a new entry, a new mtime.
        os.utime(site, ns=(1, 1))
        assert str(site) in fresh.stale()
    finally:
        fresh.close()


def _env(folder: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in launch.CI_VARIABLES}
    env.update(
        NODEFORGE_DAEMON="1",
        NODEFORGE_DAEMON_DIR=folder,
        NODEFORGE_DAEMON_IDLE="120",
        PYTHONIOENCODING="utf-8",
    )
    env.update(extra)
    return env


def _run(
    args: list[str], env: dict[str, str], cwd: Path = ROOT, *, shell_umask: str | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [str(SCRIPT), *args]
    if shell_umask is not None:
        cmd = ["sh", "-c", f'umask {shell_umask} && exec "$@"', "sh", *cmd]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _served(folder: str) -> int:
    states = daemon.status_all(folder)
    assert len(states) == 1, states
    return int(states[0]["served"])


@pytest.fixture
def running() -> Iterator[tuple[str, dict[str, str]]]:
    """A daemon in a private folder of its own (short: a socket's path is limited)."""
    folder = tempfile.mkdtemp(prefix="nfd-")
    env = _env(folder)
    try:
        started = _run(["daemon", "start"], env)
        assert started.returncode == 0, started.stderr
        assert "is serving on" in started.stdout
        yield folder, env
    finally:
        _run(["daemon", "stop"], env)
        shutil.rmtree(folder, ignore_errors=True)


@needs_script
def test_check_through_the_daemon_is_the_check_of_its_own_process(
    running: tuple[str, dict[str, str]],
) -> None:
    folder, env = running
    alone = {**env, "NODEFORGE_DAEMON": "0"}
    broken = str((BROKEN / "bad_expressions.flow.json").relative_to(ROOT))
    cases = [
        ["check", broken],  # problems: exit 1, relative path from the client's folder
        ["check", "--format", "json", broken],
        ["check", "examples"],  # no problems: exit 0
        ["check"],  # usage: argparse's error and exit 2
        ["check", "no/such/file.flow.json"],
    ]
    served = _served(folder)
    for args in cases:
        through, itself = _run(args, env), _run(args, alone)
        assert (through.returncode, through.stdout, through.stderr) == (
            itself.returncode,
            itself.stdout,
            itself.stderr,
        ), args
        served += 1
        assert _served(folder) == served, f"{args} did not go through the daemon"
    assert _run(["check", broken], env).returncode == 1


@needs_script
def test_generate_through_the_daemon_writes_the_same_files(
    running: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    folder, env = running
    alone = {**env, "NODEFORGE_DAEMON": "0"}
    served = _served(folder)
    # From the client's working folder, under its umask.
    through = _run(["generate", ".", "-o", str(tmp_path / "a")], env, EXAMPLES, shell_umask="077")
    itself = _run(["generate", ".", "-o", str(tmp_path / "b")], alone, EXAMPLES, shell_umask="077")
    assert through.returncode == itself.returncode == 0, through.stderr + itself.stderr
    assert _served(folder) == served + 1
    assert through.stdout.replace(str(tmp_path / "a"), "OUT") == itself.stdout.replace(
        str(tmp_path / "b"), "OUT"
    )
    a_files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    b_files = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    assert a_files == b_files and len(a_files) > 10
    for rel in a_files:
        a, b = tmp_path / "a" / rel, tmp_path / "b" / rel
        assert a.stat().st_mode == b.stat().st_mode, rel  # the client's umask, 077
        if a.is_file():
            assert filecmp.cmp(a, b, shallow=False), rel
    assert (tmp_path / "a" / "go.mod").stat().st_mode & 0o077 == 0


@needs_script
def test_a_daemon_whose_code_changed_is_not_used(tmp_path: Path) -> None:
    folder = tempfile.mkdtemp(prefix="nfd-")
    extra = tmp_path / "extra"  # a folder of the module path: a package installed there
    extra.mkdir()
    env = _env(folder, PYTHONPATH=str(extra))
    try:
        assert _run(["daemon", "start"], env).returncode == 0
        first = daemon.status_all(folder)
        assert len(first) == 1
        (extra / "newly_installed.py").write_text("x = 1\n")
        result = _run(["check", "examples"], env)
        assert result.returncode == 0, result.stderr  # run by the client itself
        assert "Checked 9 files: no problems" in result.stdout
        # The stale daemon exited; the client started a fresh one for the next command.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = daemon.status_all(folder)
            if states and states[0]["pid"] != first[0]["pid"]:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"no fresh daemon: {daemon.status_all(folder)}")
        assert states[0]["served"] == 0
        assert _run(["check", "examples"], env).returncode == 0
        assert _served(folder) == 1
    finally:
        _run(["daemon", "stop"], env)
        shutil.rmtree(folder, ignore_errors=True)


@needs_script
def test_the_daemon_refuses_another_identity(running: tuple[str, dict[str, str]]) -> None:
    folder, _env = running
    [state] = daemon.status_all(folder)
    other = {**launch.identity(), "path": ["/elsewhere"]}
    answer = daemon.ask(state["socket"], {"identity": other, "argv": ["check", "."]})
    assert answer == {"refused": "identity"}
    assert _served(folder) == 0


@needs_script
@pytest.mark.skipif(os.getuid() != 0, reason="needs root to become another user")
def test_another_user_cannot_reach_the_daemon(running: tuple[str, dict[str, str]]) -> None:
    folder, _env = running
    [state] = daemon.status_all(folder)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child reports through the pipe)
        try:
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(state["socket"])
            os.write(write, b"connected")
        except OSError as exc:
            os.write(write, json.dumps(exc.errno).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    said = os.read(read, 100)
    os.close(read)
    assert said != b"connected"
    assert _served(folder) == 0


def test_the_console_script_imports_next_to_nothing_before_the_daemon_answers() -> None:
    """What ``nodeforge.launch`` adds to a bare interpreter's modules: the client of a
    command the daemon runs pays for these alone."""
    show = "import sys; print(' '.join(sorted(sys.modules)))"
    bare = subprocess.run(
        [sys.executable, "-c", show], capture_output=True, text=True, check=True
    ).stdout.split()
    client = subprocess.run(
        [sys.executable, "-c", "import nodeforge.launch; " + show],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    added = set(client) - set(bare)
    allowed = {"nodeforge", "nodeforge.launch", "_socket", "zlib", "struct", "_struct"}
    allowed |= {"json", "json.decoder", "json.encoder", "json.scanner", "_json"}
    assert added <= allowed, sorted(added - allowed)


@pytest.mark.parametrize(
    ("says", "expected"),
    [
        ([], None),  # closed without a word: the client runs the command itself
        ([{"refused": "stale"}], None),
        ([{"pid": 4_000_000}], 2),  # taken, then gone: reported, never run twice
        ([{"pid": 4_000_000}, {"rc": 1}], 1),
    ],
)
def test_the_client_runs_a_command_once(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    says: list[dict[str, object]],
    expected: int | None,
) -> None:
    """The client's side of the protocol, against a listener that answers as told."""
    import signal
    import threading

    folder = tempfile.mkdtemp(prefix="nfd-")
    monkeypatch.setenv("NODEFORGE_DAEMON_DIR", folder)
    monkeypatch.setattr(launch, "start_daemon", lambda path: None)
    path = launch.socket_path(folder, launch.identity())
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            request, fds = daemon.read_request(conn)
            for fd in fds:
                os.close(fd)
            assert request["argv"] == ["check", "x.flow.json"]
            for answer in says:
                conn.sendall(json.dumps(answer).encode() + b"\n")

    thread = threading.Thread(target=serve)
    thread.start()
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        assert launch.run_through_daemon(["check", "x.flow.json"]) == expected
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
        thread.join(10)
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)
    stopped = "the daemon's process for this command stopped" in capsys.readouterr().err
    assert stopped == (says == [{"pid": 4_000_000}])
