"""Per-run cgroups (v1 memory and pids controllers), where the machine lets root make them.

RLIMIT_AS and RLIMIT_NPROC bound each process, not the run: 128 processes of 1 GiB of
address space each could still take the host's memory. A memory cgroup bounds the run's
resident memory (its tmpfs pages included) as a whole, and a pids cgroup its tasks. The
run's first process (a root shell) moves itself into the groups before it drops to the
run's uid and execs the sandbox, so every process of the run is inside from the start.

cgroup v2 is not writable on our machines; where no v1 controller is writable either, the
rlimits are the only bounds (``available()`` is False).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(os.environ.get("NODEFORGE_CGROUP_ROOT", "/sys/fs/cgroup"))
PARENT = "nodeforge-sandbox"
_counter = itertools.count()


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether root can make v1 memory and pids groups here (probed once)."""
    if os.geteuid() != 0:
        return False
    for controller in ("memory", "pids"):
        parent = ROOT / controller / PARENT
        try:
            parent.mkdir(exist_ok=True)
            probe = parent / f"probe-{os.getpid()}"
            probe.mkdir()
            probe.rmdir()
        except OSError:
            return False
    return True


@dataclass
class RunGroup:
    memory: Path
    pids: Path

    @property
    def procs_files(self) -> list[str]:
        return [str(self.memory / "cgroup.procs"), str(self.pids / "cgroup.procs")]

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the run for the memory limit."""
        try:
            for line in (self.memory / "memory.oom_control").read_text().splitlines():
                if line.startswith("oom_kill ") and int(line.split()[1]) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def remove(self, wait_seconds: float = 0.5) -> None:
        """Remove both groups; one still holding a zombie is left for :func:`tidy`."""
        end = time.monotonic() + wait_seconds
        for group in (self.memory, self.pids):
            while True:
                try:
                    group.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > end:
                        break
                    time.sleep(0.01)


def create(uid: int, memory_bytes: int, tasks: int) -> RunGroup:
    """The groups of one run, with its limits."""
    tidy()
    name = f"run-{uid}-{os.getpid()}-{next(_counter)}"
    memory = ROOT / "memory" / PARENT / name
    pids = ROOT / "pids" / PARENT / name
    memory.mkdir()
    try:
        pids.mkdir()
        (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
        swap = memory / "memory.memsw.limit_in_bytes"
        if swap.exists():
            with contextlib.suppress(OSError):
                swap.write_text(str(memory_bytes))  # no swapping past the limit either
        (pids / "pids.max").write_text(str(tasks))
    except OSError:
        RunGroup(memory, pids).remove(0)
        raise
    return RunGroup(memory, pids)


def tidy(min_age_seconds: float = 10.0) -> None:
    """Remove empty groups earlier runs could not (their zombies are reaped by now). Only
    old ones: a new group is empty until its run's first process moves in."""
    now = time.time()
    for controller in ("memory", "pids"):
        parent = ROOT / controller / PARENT
        try:
            entries = list(os.scandir(parent))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir() and entry.name.startswith("run-"):
                with contextlib.suppress(OSError):
                    if now - entry.stat().st_mtime > min_age_seconds:
                        os.rmdir(entry.path)
