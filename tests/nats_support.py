"""A real ``nats-server`` with JetStream for the tests and benchmarks of the worker
pool, and ``nodeforge worker`` processes around it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def nats_server_binary() -> str | None:
    """``$(go env GOPATH)/bin/nats-server`` (where scripts/setup builds it), else PATH."""
    go = shutil.which("go")
    if go is not None:
        gopath = subprocess.run(
            [go, "env", "GOPATH"], capture_output=True, text=True, check=False
        ).stdout.strip()
        candidate = Path(gopath) / "bin" / "nats-server"
        if gopath and candidate.is_file():
            return str(candidate)
    return shutil.which("nats-server")


def require_nats_server() -> str:
    found = nats_server_binary()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("nats-server is missing: scripts/setup installs it")
        pytest.skip("nats-server is not installed (scripts/setup installs it)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


@contextmanager
def nats_server(store: Path, binary: str | None = None) -> Iterator[str]:
    """A JetStream-enabled server on a free loopback port; yields its URL."""
    binary = binary or require_nats_server()
    port = free_port()
    proc = subprocess.Popen(
        [binary, "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_worker(
    url: str, name: str, *, ack_wait: float = 2.0, log: Path | None = None
) -> subprocess.Popen[str]:
    """``nodeforge worker`` with its own harness cache (a fresh world-traversable
    folder: the sandbox binds it; :func:`stop_worker` removes it); returns once it
    takes jobs."""
    cache = Path(tempfile.mkdtemp(prefix=f"nf-worker-{name}-"))
    cache.chmod(0o755)
    env = {**os.environ, "NODEFORGE_CACHE": str(cache)}
    command = [
        sys.executable, "-m", "nodeforge", "worker", "--nats", url, "--name", name,
        "--ack-wait", str(ack_wait),
    ]  # fmt: skip
    if log is not None:
        command += ["--log-file", str(log)]
    errors = cache / "worker.stderr"
    with errors.open("w") as stderr:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "taking jobs" not in line:
        proc.kill()
        proc.wait(10)
        raise RuntimeError(f"worker {name} did not start: {line}{errors.read_text()}")
    _caches[proc.pid] = cache
    return proc


def stop_worker(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    cache = _caches.pop(proc.pid, None)
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)


_caches: dict[int, Path] = {}
