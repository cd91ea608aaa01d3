"""Progress of a ``go build``: packages compiled and time elapsed.

Every build (the trusted one of catalog-only apps, the trusted warm-up before a
sandboxed build, the sandboxed compile of user code) runs ``go build -v``, which names
each package on stderr as it compiles it (cached packages are not named). A
:class:`GoProgress` reads that stream in chunks, counts the packages, keeps the other
lines (the compiler's messages) as the build's output, and hands a
:class:`BuildProgress` to the caller's callback, at most every ``interval`` seconds
and once more when the build ends. One source for every consumer: the command line
prints it on stderr, the language server sends it as work-done progress, a worker
publishes it to the editor that queued the job.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BuildProgress", "GoProgress", "ProgressFn", "run_go"]

#: A line ``go build -v`` prints for a package it compiles: an import path alone.
_PACKAGE = re.compile(r"^[A-Za-z0-9_.~+\-]+(?:/[A-Za-z0-9_.~+\-]+)*$")


@dataclass
class BuildProgress:
    """Where a build is: its stage, the packages compiled so far, time elapsed."""

    started: float = field(default_factory=time.monotonic)
    stage: str = "generating Go"
    packages: int = 0
    last: str = ""  # the package compiled last
    done: bool = False
    _now: Callable[[], float] = field(default=time.monotonic, repr=False)

    @property
    def elapsed(self) -> float:
        return self._now() - self.started

    def message(self) -> str:
        """One line for people: ``compiling: 37 packages compiled, 12.3 s (net/http)``."""
        if not self.packages and not self.done:
            return f"{self.stage}, {self.elapsed:.1f} s"
        count = f"{self.packages} package{'' if self.packages == 1 else 's'} compiled"
        where = f" ({self.last})" if self.last and not self.done else ""
        return f"{self.stage}: {count}, {self.elapsed:.1f} s{where}"


ProgressFn = Callable[[BuildProgress], None]


class GoProgress:
    """Reads the stderr of ``go build -v``; calls ``on_progress`` (throttled)."""

    def __init__(
        self,
        on_progress: ProgressFn | None,
        *,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_progress = on_progress
        self.interval = interval
        self.clock = clock
        self.state = BuildProgress(started=clock(), _now=clock)
        self._seen: set[str] = set()
        self._partial = b""
        self._lines: list[str] = []
        self._reported = float("-inf")
        self._lock = threading.Lock()

    def stage(self, name: str) -> None:
        """Enter a stage (``generating Go``, ``preparing``, ``compiling``) and say so."""
        self.state.stage = name
        self.report(force=True)

    def feed(self, chunk: bytes) -> None:
        """A chunk of the build's stderr, split anywhere."""
        with self._lock:
            data = self._partial + chunk
            *lines, self._partial = data.split(b"\n")
            for raw in lines:
                self._line(raw.decode("utf-8", "replace").rstrip("\r"))
        self.report()

    def _line(self, line: str) -> None:
        if _PACKAGE.match(line):
            if line not in self._seen:  # -v may name a package twice (assembly headers)
                self._seen.add(line)
                self.state.packages += 1
            self.state.last = line
        else:
            self._lines.append(line)

    def report(self, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = self.clock()
        if not force and now - self._reported < self.interval:
            return
        self._reported = now
        self.on_progress(self.state)

    def flush(self) -> None:
        """One go command ended: its last line, even without a newline."""
        with self._lock:
            if self._partial:
                self._line(self._partial.decode("utf-8", "replace"))
                self._partial = b""

    def finish(self) -> None:
        """The build ended: a final report."""
        self.flush()
        self.state.done = True
        self.report(force=True)

    def take_output(self) -> str:
        """The output read since the last call, without the package lines (the
        compiler's messages)."""
        self.flush()
        with self._lock:
            lines, self._lines = self._lines, []
        return "\n".join(lines).strip()


def run_go(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    progress: GoProgress,
) -> tuple[int | None, str]:
    """Run a ``go`` command outside the sandbox (trusted code), its stdout and stderr
    merged and read as they come through ``progress`` (not finished: a build may run
    several commands). Returns the exit code (None when
    ``timeout`` seconds passed and it was killed) and the output without package lines."""
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    fired = threading.Event()

    def kill() -> None:
        fired.set()
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        assert proc.stdout is not None
        while chunk := os.read(proc.stdout.fileno(), 65536):
            progress.feed(chunk)
        code = proc.wait()
    finally:
        timer.cancel()
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return (None if fired.is_set() else code), progress.take_output()
