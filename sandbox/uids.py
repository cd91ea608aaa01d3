"""A fresh uid per sandbox: leased under a file lock, checked empty, swept after the run.

RLIMIT_NPROC counts every process of a uid across the machine and does nothing for uid
0, so each run gets a uid that nothing else uses: a process limit then holds for that
run alone, and every process the run left behind can be found by its uid and killed.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

UID_BASE = 1_640_000_000
UID_COUNT = 65_536
LOCK_DIR = Path(os.environ.get("NODEFORGE_SANDBOX_LOCKS", "/run/nodeforge-sandbox"))


class NoFreeUid(RuntimeError):
    pass


#: The uids this process leased, oldest first (the last 1,000; for tests and audits), and
#: how many leases it made in all.
LEASED: collections.deque[int] = collections.deque(maxlen=1000)
LEASE_COUNT = 0


def processes_of(uid: int) -> list[int]:
    """Pids of every live process whose real or effective uid is ``uid``.

    Zombies are left out: they run nothing and hold no resources, and the ones a sandbox
    leaves (bwrap's pid-1 process, orphaned when the outer bwrap exits) are reaped by init.
    """
    return [int(e.name) for e in os.scandir("/proc") if e.name.isdigit() and _runs_as(e.name, uid)]


def _runs_as(pid: str | int, uid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"State:") and b"Z" in line:
                    return False
                if line.startswith(b"Uid:"):
                    fields = line.split()
                    return int(fields[1]) == uid or int(fields[2]) == uid
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        pass
    return False


def _kill(pid: int, uid: int) -> None:
    """SIGKILL ``pid`` if it still runs as ``uid``: through a pidfd, so a pid reused by
    another process between the check and the signal is never hit."""
    try:
        fd = os.pidfd_open(pid)
    except (ProcessLookupError, OSError):
        return
    try:
        if _runs_as(pid, uid):
            signal.pidfd_send_signal(fd, signal.SIGKILL)
    except (ProcessLookupError, OSError):
        pass
    finally:
        os.close(fd)


def sweep(uid: int, deadline_seconds: float = 2.0) -> list[int]:
    """SIGKILL every process of ``uid`` until none is left; returns those that survived."""
    end = time.monotonic() + deadline_seconds
    while True:
        pids = processes_of(uid)
        if not pids:
            return []
        for pid in pids:
            _kill(pid, uid)
        if time.monotonic() > end:
            return processes_of(uid)
        time.sleep(0.005)


#: Build uids (:func:`build_uid`) come from a range of their own, after the run uids.
BUILD_UID_BASE = UID_BASE + UID_COUNT


def build_uid(key: str) -> int:
    """The uid that owns one workspace's sandboxed Go build cache: stable for ``key``, so
    the cache needs no chown between builds, and outside the range of run uids."""
    digest = hashlib.sha256(key.encode()).digest()
    return BUILD_UID_BASE + int.from_bytes(digest[:4], "big") % UID_COUNT


@contextlib.contextmanager
def lease_uid(fixed: int | None = None, wait_seconds: float = 600.0) -> Iterator[int]:
    """Hold a uid no other sandbox holds and no process runs as, for one run; the caller
    must :func:`sweep` it before leaving the block. With ``fixed``, that uid is held
    (waiting up to ``wait_seconds`` for another holder to finish)."""
    LOCK_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    if fixed is not None:
        with _lease_fixed(fixed, wait_seconds) as uid:
            yield uid
        return
    start = random.randrange(UID_COUNT)
    for i in range(256):
        uid = UID_BASE + (start + i * 7919) % UID_COUNT
        fd = os.open(LOCK_DIR / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # The holder before us may have unlinked the file after we opened it: the lock
            # counts only if the name still points at the file we locked.
            if os.stat(LOCK_DIR / f"{uid}.lock").st_ino != os.fstat(fd).st_ino:
                raise BlockingIOError
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            continue
        try:
            if sweep(uid):  # a leftover of a crashed run that will not die: skip it
                continue
            global LEASE_COUNT
            LEASED.append(uid)
            LEASE_COUNT += 1
            yield uid  # the caller sweeps the uid after its run (and reports survivors)
            return
        finally:
            with contextlib.suppress(OSError):
                os.unlink(LOCK_DIR / f"{uid}.lock")
            os.close(fd)
    raise NoFreeUid("no free sandbox uid")


@contextlib.contextmanager
def _lease_fixed(uid: int, wait_seconds: float) -> Iterator[int]:
    end = time.monotonic() + wait_seconds
    while True:
        fd = os.open(LOCK_DIR / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(LOCK_DIR / f"{uid}.lock").st_ino == os.fstat(fd).st_ino:
                break
        except (BlockingIOError, FileNotFoundError):
            pass
        os.close(fd)
        if time.monotonic() > end:
            raise NoFreeUid(f"sandbox uid {uid} stayed busy for {wait_seconds:g} s")
        time.sleep(0.05)
    try:
        if sweep(uid):
            raise NoFreeUid(f"sandbox uid {uid} has processes that will not die")
        global LEASE_COUNT
        LEASED.append(uid)
        LEASE_COUNT += 1
        yield uid
    finally:
        with contextlib.suppress(OSError):
            os.unlink(LOCK_DIR / f"{uid}.lock")
        os.close(fd)
