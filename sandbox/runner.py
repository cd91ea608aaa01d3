"""Run one untrusted program confined: bubblewrap + seccomp + rlimits + a fresh uid
(+ per-run cgroups where root can make them).

The launch chain is ``python -> [sh -> setpriv] -> nice -> prlimit -> bwrap -> program``:

- Python's ``subprocess`` (no ``preexec_fn``, so it is safe from a threaded server)
  starts a new session (the process group the wall clock kills). With cgroups, the first
  process is a root shell that moves itself into the run's memory and pids groups and
  ``setpriv`` drops to the run's uid with no groups; without, ``subprocess`` switches to
  that uid itself. The uid is leased for this run alone (:mod:`uids`).
- ``nice`` lowers the run's priority; ``prlimit`` sets RLIMIT_CPU, AS, FSIZE, NOFILE,
  NPROC and CORE=0, then execs
- ``bwrap`` with every namespace unshared (no network, a private pid namespace whose
  processes die with it), user namespaces disabled inside, a read-only root holding only
  ``/usr`` (so no ``/etc``, ``/home``, ``/root`` or workspace), ``/proc``, a read-only
  minimal ``/dev``, a size-capped tmpfs ``/tmp`` with the work directory ``/tmp/work``,
  the program's directories bound read-only by file descriptor, every capability dropped
  and the seccomp filter of :mod:`seccomp_filter`.

Output (stdout + stderr) is read with a cap; past it, or past the wall clock, the whole
process group is killed, and after every run every process of the leased uid is swept.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from nodeforge.sandbox import cgroups
from nodeforge.sandbox.limits import DEFAULT_LIMITS, Limits, MiB
from nodeforge.sandbox.seccomp_filter import SeccompUnavailable, filter_bpf, filter_fd
from nodeforge.sandbox.uids import NoFreeUid, lease_uid, sweep

log = logging.getLogger(__name__)

WORK_DIR = "/tmp/work"
NICENESS = 10
GO_RUNTIME_RESERVE = 700 * MiB


class Status(enum.StrEnum):
    OK = "ok"
    NODE_ERROR = "node_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    KILLED = "killed"
    SANDBOX_UNAVAILABLE = "sandbox_unavailable"


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here; the message says why and what to install."""


@dataclass
class RunResult:
    status: Status
    exit_code: int | None = None
    signal: int | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    duration_ms: float = 0.0
    cpu_ms: float = 0.0
    message: str = ""
    confined: bool = True
    leftovers: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "exit_code": self.exit_code,
            "signal": self.signal,
            "duration_ms": round(self.duration_ms, 3),
            "cpu_ms": round(self.cpu_ms, 3),
            "message": self.message,
            "confined": self.confined,
        }


@dataclass(frozen=True)
class Mount:
    """A host directory bound at ``target`` inside the sandbox: read-only, or writable
    (for a sandboxed build: its work folder and build cache, owned by the build's uid)."""

    source: Path
    target: str
    writable: bool = False


@dataclass(frozen=True)
class Inject:
    """A host file copied into the sandbox's read-only root at ``target`` (by bwrap, from
    a descriptor opened without following links): the host file may stay private to
    root (0600) while the sandbox's uid gets its own copy with ``mode``."""

    source: Path
    target: str
    mode: int = 0o555


def unavailable_reason() -> str | None:
    """Why the sandbox cannot run here, or None when it can (probed once per process)."""
    return _probe()


@lru_cache(maxsize=1)
def _probe() -> str | None:
    if not os.path.exists("/proc/self/ns/user"):
        return "the kernel has no user namespaces"
    bwrap, prlimit = shutil.which("bwrap"), shutil.which("prlimit")
    if bwrap is None:
        return "bubblewrap is not installed (Debian package: bubblewrap)"
    if prlimit is None:
        return "prlimit is not installed (Debian package: util-linux)"
    if os.geteuid() != 0:
        return (
            "the sandbox runs each program as a fresh uid, which needs root; "
            "run nodeforge as root (or in a container as root)"
        )
    try:
        filter_bpf()
    except SeccompUnavailable as exc:
        return str(exc)
    try:
        result = _run(["/usr/bin/true"], mounts=(), stdin=b"", limits=DEFAULT_LIMITS, env={})
    except (OSError, NoFreeUid) as exc:
        return f"the sandbox probe failed: {exc}"
    if result.exit_code != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()
        return f"bubblewrap cannot create the sandbox here: {detail or result.status}"
    return None


def run_sandboxed(
    argv: Sequence[str],
    *,
    mounts: Sequence[Mount] = (),
    stdin: bytes = b"",
    limits: Limits = DEFAULT_LIMITS,
    env: Mapping[str, str] | None = None,
    files: Sequence[Inject] = (),
    uid: int | None = None,
    loopback: bool = False,
    on_stderr: Callable[[bytes], None] | None = None,
) -> RunResult:
    """Run ``argv`` (paths as seen inside the sandbox) confined, with ``limits``.

    ``files`` are copied in; ``uid`` runs as that uid (a build's stable uid) instead of
    a fresh one; ``loopback`` lets the program open IPv4/IPv6 sockets, which reach only
    the loopback interface of its own network namespace (Go tests' ``httptest``
    servers). ``on_stderr`` gets the program's stderr as it comes, in chunks (a
    build's progress); it is also in the result. Never runs anything unconfined: when
    the sandbox is unavailable the result has status ``sandbox_unavailable`` and the
    reason in ``message``.
    """
    limits = limits.checked()
    reason = unavailable_reason()
    if reason is not None:
        return RunResult(Status.SANDBOX_UNAVAILABLE, message=reason, confined=False)
    try:
        return _run(
            argv,
            mounts=mounts,
            stdin=stdin,
            limits=limits,
            env=env or {},
            files=files,
            fixed_uid=uid,
            loopback=loopback,
            on_stderr=on_stderr,
        )
    except NoFreeUid as exc:
        return RunResult(Status.SANDBOX_UNAVAILABLE, message=str(exc), confined=False)


def run_unconfined(
    argv: Sequence[str],
    *,
    cwd: Path,
    stdin: bytes = b"",
    limits: Limits = DEFAULT_LIMITS,
    env: Mapping[str, str] | None = None,
    on_stderr: Callable[[bytes], None] | None = None,
) -> RunResult:
    """Run ``argv`` WITHOUT a sandbox (``--unsafe-no-sandbox`` on the command line only).

    Still a new session with the wall clock and the output cap, so a runaway program is
    stopped, but it can read and write whatever the caller can.
    """
    cmd = list(argv)
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), **(env or {})},
        start_new_session=True,
    )
    result = _supervise(proc, stdin, limits, uid=None, on_stderr=on_stderr)
    result.confined = False
    return result


def _bwrap_argv(
    argv: Sequence[str],
    mounts: Sequence[tuple[int, str, bool]],
    seccomp_fd: int,
    limits: Limits,
    env: Mapping[str, str],
    injected: Sequence[tuple[int, str, int]] = (),
) -> list[str]:
    cmd = [
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for name in ("bin", "lib", "lib64", "sbin"):
        link = os.readlink(f"/{name}") if os.path.islink(f"/{name}") else None
        if link is not None and link.lstrip("/").startswith("usr/"):
            cmd += ["--symlink", link, f"/{name}"]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.tmp_bytes)]
    cmd += ["--tmpfs", "/tmp", "--dir", WORK_DIR]
    for fd, target, writable in mounts:
        cmd += ["--bind-fd" if writable else "--ro-bind-fd", str(fd), target]
    for fd, target, mode in injected:
        cmd += ["--dir", os.path.dirname(target), "--perms", f"{mode:o}", "--file", str(fd)]
        cmd.append(target)
    # bwrap's /dev is a tmpfs without a size (and holds /dev/shm): read-only, so the
    # size-capped /tmp is the only place the program can write.
    cmd += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WORK_DIR]
    heap = max(limits.memory_bytes - GO_RUNTIME_RESERVE, 32 * MiB)
    base_env = {
        "HOME": WORK_DIR,
        "TMPDIR": "/tmp",
        "PATH": "/usr/bin:/bin",
        "GOMEMLIMIT": str(heap),
        "GOTRACEBACK": "single",
    }
    for key, value in {**base_env, **env}.items():
        cmd += ["--setenv", key, value]
    cmd += ["--cap-drop", "ALL", "--seccomp", str(seccomp_fd), "--", *argv]
    return cmd


def _run(
    argv: Sequence[str],
    *,
    mounts: Sequence[Mount],
    stdin: bytes,
    limits: Limits,
    env: Mapping[str, str],
    files: Sequence[Inject] = (),
    fixed_uid: int | None = None,
    loopback: bool = False,
    on_stderr: Callable[[bytes], None] | None = None,
) -> RunResult:
    fds: list[int] = []
    try:
        seccomp_fd = filter_fd(loopback)
        fds.append(seccomp_fd)
        bound: list[tuple[int, str, bool]] = []
        for m in mounts:
            fd = os.open(m.source, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            fds.append(fd)
            bound.append((fd, m.target, m.writable))
        injected: list[tuple[int, str, int]] = []
        for f in files:
            fd = os.open(f.source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            fds.append(fd)
            injected.append((fd, f.target, f.mode))
        bwrap = _bwrap_argv(argv, bound, seccomp_fd, limits, env, injected)
        # Below the editor's priority: a spinning node must not make the server lag.
        nice = ["nice", "-n", str(NICENESS)] if shutil.which("nice", path="/usr/bin:/bin") else []
        prlimit = [
            *nice,
            "prlimit",
            f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
            f"--as={limits.memory_bytes}",
            f"--fsize={limits.file_bytes}",
            f"--nofile={limits.open_files}",
            f"--nproc={limits.processes}",
            "--core=0",
            "--",
        ]
        setpriv = shutil.which("setpriv", path="/usr/bin:/bin")
        with lease_uid(fixed_uid) as uid:
            group = None
            if cgroups.available() and setpriv is not None:
                try:
                    group = cgroups.create(uid, limits.memory_bytes, limits.processes)
                except OSError as exc:  # the rlimits still hold
                    log.warning("no cgroups for this sandbox run: %s", exc)
            try:
                if group is not None:
                    # A root shell moves itself into the run's cgroups, then drops to the
                    # run's uid: every process of the run starts inside them.
                    argv0 = [
                        "/bin/sh",
                        "-c",
                        'echo $$ > "$1" && echo $$ > "$2" && shift 2 && exec "$@"',
                        "nodeforge-sandbox",
                        *group.procs_files,
                        str(setpriv),
                        f"--reuid={uid}",
                        f"--regid={uid}",
                        "--clear-groups",
                        "--",
                    ]
                    ids: dict[str, Any] = {}
                else:
                    argv0 = []
                    ids = {"user": uid, "group": uid, "extra_groups": []}
                proc = subprocess.Popen(
                    argv0 + prlimit + bwrap,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    pass_fds=fds,
                    cwd="/",
                    env={"PATH": "/usr/bin:/bin"},  # visible in the sandbox as pid 1's environ
                    start_new_session=True,
                    **ids,
                )
                try:
                    result = _supervise(
                        proc,
                        stdin,
                        limits,
                        uid=uid,
                        oom=group.oom_killed if group else None,
                        on_stderr=on_stderr,
                    )
                finally:
                    if proc.returncode is None:  # not reaped: its group id is still ours
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.killpg(proc.pid, signal.SIGKILL)
                    result_leftovers = sweep(uid)
                result.leftovers = result_leftovers
                return result
            finally:
                if group is not None:
                    group.remove()
    finally:
        for fd in fds:
            os.close(fd)


def _supervise(
    proc: subprocess.Popen[bytes],
    stdin: bytes,
    limits: Limits,
    uid: int | None,
    oom: Callable[[], bool] | None = None,
    on_stderr: Callable[[bytes], None] | None = None,
) -> RunResult:
    """Feed stdin, collect capped output (stderr also to ``on_stderr`` as it comes),
    enforce the wall clock, reap and classify."""
    started = time.monotonic()
    deadline = started + limits.wall_seconds
    assert proc.stdin and proc.stdout and proc.stderr
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    out: dict[int, list[bytes]] = {out_fd: [], err_fd: []}
    total = 0
    timed_out = over_output = False
    sel = selectors.DefaultSelector()
    pending = memoryview(stdin)
    if pending:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin, selectors.EVENT_WRITE)
    else:
        proc.stdin.close()
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    open_readers = 2
    try:
        while open_readers:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in sel.select(timeout=min(left, 0.5)):
                fobj: Any = key.fileobj
                if fobj is proc.stdin:
                    try:
                        n = os.write(fobj.fileno(), pending[:65536])
                        pending = pending[n:]
                    except (BrokenPipeError, BlockingIOError) as exc:
                        if isinstance(exc, BrokenPipeError):
                            pending = pending[:0]
                    if not pending:
                        sel.unregister(fobj)
                        fobj.close()
                    continue
                chunk = os.read(fobj.fileno(), 65536)
                if not chunk:
                    sel.unregister(fobj)
                    open_readers -= 1
                    continue
                room = limits.output_bytes - total
                if on_stderr is not None and fobj is proc.stderr and room > 0:
                    on_stderr(chunk[:room])
                out[fobj.fileno()].append(chunk[: max(room, 0)])
                total += len(chunk)
                if total > limits.output_bytes:
                    over_output = True
                    break
            if over_output:
                break
        if timed_out or over_output:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            if uid is not None:
                sweep(uid)
        # The program closed its output: give it the rest of the wall clock to exit.
        status, rusage = _wait(proc, max(deadline - time.monotonic(), 0.0))
        if status is None:
            timed_out = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            if uid is not None:
                sweep(uid)
            status, rusage = _wait(proc, None)
    finally:
        sel.close()
        for f in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                f.close()
    duration = (time.monotonic() - started) * 1000
    stdout, stderr = b"".join(out[out_fd]), b"".join(out[err_fd])
    cpu = (rusage.ru_utime + rusage.ru_stime) * 1000 if rusage is not None else 0.0
    assert status is not None
    code = os.waitstatus_to_exitcode(status)
    oom_killed = oom() if oom is not None else False
    return _classify(
        code, stdout, stderr, duration, cpu, limits, timed_out, over_output, oom_killed
    )


def _wait(proc: subprocess.Popen[bytes], timeout: float | None) -> tuple[int | None, Any]:
    end = None if timeout is None else time.monotonic() + timeout
    delay = 0.0005
    while True:
        pid, status, rusage = os.wait4(proc.pid, 0 if end is None else os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, rusage
        if end is not None and time.monotonic() >= end:
            return None, None
        time.sleep(delay)
        delay = min(delay * 2, 0.01)


def _cpu_floor_ms(limits: Limits) -> float:
    """The least wall time in which a program can use its CPU limit (on every core)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return limits.cpu_seconds * 1000 * 0.9 / max(cores, 1)


OOM_MARKERS = (b"out of memory", b"cannot allocate memory", b"memory limit")


def _classify(
    code: int,
    stdout: bytes,
    stderr: bytes,
    duration: float,
    cpu: float,
    limits: Limits,
    timed_out: bool,
    over_output: bool,
    oom_killed: bool = False,
) -> RunResult:
    # bwrap reports a program killed by signal N as exit code 128+N; Popen gives -N.
    sig = -code if code < 0 else (code - 128 if code > 128 else None)
    result = RunResult(
        Status.OK,
        exit_code=None if code < 0 else code,
        signal=sig,
        stdout=stdout,
        stderr=stderr,
        duration_ms=duration,
        cpu_ms=cpu,
    )
    lower = (stderr[:4096] + stderr[-4096:]).lower()
    if over_output:
        result.status = Status.OUTPUT_LIMIT
        result.message = f"the program wrote more than {limits.output_bytes} bytes of output"
    elif oom_killed:  # before the wall clock: a run that lost processes to it then hung
        result.status = Status.MEMORY_LIMIT
        result.message = (
            f"the program used more than {limits.memory_bytes // MiB} MiB of memory "
            "(the run's memory cgroup)"
        )
    elif timed_out:
        result.status = Status.TIMEOUT
        result.message = f"the program ran longer than {limits.wall_seconds:g} s (wall clock)"
    # RLIMIT_CPU sends SIGXCPU, then SIGKILL a second later. The CPU time of the killed
    # program is not in the rusage we get (bwrap's pid 1 dies with it), so a SIGKILL after
    # long enough to use the CPU limit on every core counts as the CPU limit.
    elif sig in (signal.SIGXCPU, signal.SIGKILL) and max(cpu, duration) >= _cpu_floor_ms(limits):
        result.status = Status.TIMEOUT
        result.message = f"the program used more than {limits.cpu_seconds} s of CPU time"
    elif code != 0 and any(m in lower for m in OOM_MARKERS):
        result.status = Status.MEMORY_LIMIT
        result.message = (
            f"the program ran out of memory (limit {limits.memory_bytes // MiB} MiB "
            "of address space)"
        )
    elif sig == signal.SIGXFSZ:
        result.status = Status.NODE_ERROR
        result.message = f"the program wrote a file larger than {limits.file_bytes} bytes"
    elif sig is not None:
        name = signal.Signals(sig).name if sig in signal.valid_signals() else str(sig)
        result.status = Status.KILLED
        result.message = f"the program was killed by {name}"
    elif code != 0:
        result.status = Status.NODE_ERROR
        result.message = f"the program exited with {code}"
    return result
