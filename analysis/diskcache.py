"""Files of Nodeforge's on-disk caches (the catalog's, gofmt's output, compiled
templates): one way to read, write and prune them.

A cache file may hold data whose loading runs code (a pickle, marshalled code), so it is
read only if it is a regular file this user owns and nobody else can write, opened
without following links. Writes go to a temporary file in the same folder, made 0600,
then renamed over the name, so readers see a whole file or none. Signed files start
with a header line ``<head><sha256 of the body>``: a truncated or changed body is
ignored. Each folder keeps at most a number of files, the least recently written go
first.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path

__all__ = ["prune", "read_owned", "read_signed", "write_atomic", "write_signed"]


def read_owned(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file this user owns and nobody else can
    write (not following a link), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.geteuid()
            or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600, its folder made 0700) by a rename; raises
    OSError."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    import tempfile  # (imported on a miss: it brings shutil, lzma and random)

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_signed(path: Path, head: bytes) -> bytes | None:
    """The body of a file written by :func:`write_signed` with ``head``, if it is owned
    as :func:`read_owned` asks and its digest matches."""
    data = read_owned(path)
    if data is None:
        return None
    first, sep, body = data.partition(b"\n")
    if not sep or not first.startswith(head):
        return None
    if first[len(head) :].decode("ascii", "replace") != hashlib.sha256(body).hexdigest():
        return None  # truncated or changed
    return body


def write_signed(path: Path, head: bytes, body: bytes) -> None:
    """:func:`write_atomic` of ``body`` after a header line of ``head`` and its digest."""
    write_atomic(path, head + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)


def prune(folder: Path, *, prefix: str = "", suffix: str = "", keep: int) -> None:
    """Remove all but the ``keep`` most recently written files of ``folder`` whose names
    have ``prefix`` and ``suffix``."""
    entries = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(prefix) and entry.name.endswith(suffix):
                with contextlib.suppress(OSError):
                    entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
    if len(entries) <= keep:
        return
    entries.sort(reverse=True)
    for _, stale in entries[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(stale)
