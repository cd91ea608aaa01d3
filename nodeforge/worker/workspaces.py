"""The workspace folders a worker keeps between jobs, so that rebuilding a changed flow
is incremental there as it is on the editor's machine.

A job names its workspace's *lineage* (the editor's hash of its machine and the
workspace's path: the same for every job of that workspace, whatever its content) and
carries the content itself (the archive). The worker keeps one folder per lineage
(``<work dir>/workspaces/<lineage>/<root name>``) and brings it to the archive's
content: files that changed are replaced, files that are gone are deleted, unchanged
files are left alone, and what the build wrote (``.nodeforge/``: the generated module,
the binary, the build state) stays. The build driver then rewrites only the generated
files whose bytes changed, ``go build`` reuses its cache and skips linking an
unchanged binary, and a sandboxed build finds its per-workspace Go build cache (keyed
by the folder's path, :mod:`nodeforge.sandbox.gobuild`) seeded already.

A job without a lineage (an older editor) is keyed by its archive's sha256. A folder is
used by one job at a time (an exclusive ``flock`` on ``<lineage>.lock``, so several
worker processes may share one work dir); at most ``keep`` folders are kept, the least
recently used removed first (never one in use). ``keep = 0`` gives every job a fresh
folder, removed afterwards.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .protocol import SKIPPED_DIRS, JobError, unpack

__all__ = ["DEFAULT_KEEP", "LINEAGE", "Workspaces"]

DEFAULT_KEEP = 16
#: A lineage or archive name: lower-case hex, nothing a path could be made of.
LINEAGE = re.compile(r"^[0-9a-f]{16,64}$")


class Workspaces:
    def __init__(self, base: Path, keep: int = DEFAULT_KEEP) -> None:
        self.base = base
        self.keep = keep

    @contextlib.contextmanager
    def checkout(self, key: str, root_name: str, archive: bytes) -> Iterator[Path]:
        """The workspace folder of ``key`` holding exactly the archive's files (plus
        the ``.nodeforge/`` of earlier builds), locked for the caller (blocking)."""
        if not LINEAGE.match(key):
            raise JobError(f"a workspace lineage must be 16-64 hex digits, not {key!r}")
        self.base.mkdir(parents=True, exist_ok=True)
        if self.keep <= 0:
            folder = Path(tempfile.mkdtemp(prefix="nodeforge-job-", dir=self.base))
            try:
                unpack(archive, folder / root_name)
                yield folder / root_name
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            return
        with _locked(self.base / f"{key}.lock", block=True):
            folder = self.base / key
            folder.mkdir(exist_ok=True)
            os.utime(folder)  # least recently used go first
            root = folder / root_name
            sync(archive, root, folder)
            yield root
        self.prune()

    def prune(self) -> None:
        """Remove the least recently used folders beyond ``keep`` (not those in use)."""
        try:
            folders = [e for e in os.scandir(self.base) if e.is_dir(follow_symlinks=False)]
        except OSError:
            return
        folders = [e for e in folders if LINEAGE.match(e.name)]
        if len(folders) <= self.keep:
            return
        folders.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime)
        for entry in folders[: len(folders) - self.keep]:
            lock = self.base / f"{entry.name}.lock"
            try:
                with _locked(lock, block=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                    lock.unlink(missing_ok=True)
            except BlockingIOError:
                continue  # in use by a job: kept this time


@contextlib.contextmanager
def _locked(path: Path, *, block: bool) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        yield
    finally:
        os.close(fd)


def sync(archive: bytes, root: Path, scratch: Path) -> list[str]:
    """Bring ``root`` to the archive's files; the relative paths written or deleted.

    The archive is unpacked (with :func:`protocol.unpack`'s checks) into a scratch
    folder beside ``root`` first, then each file that differs is moved over; files of
    ``root`` that the archive lacks are deleted, except under the folders an archive
    never carries (:data:`SKIPPED_DIRS`: the build's own ``.nodeforge/``)."""
    scratch.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=".unpack-", dir=scratch))
    changed: list[str] = []
    try:
        unpack(archive, fresh)
        wanted = {p.relative_to(fresh).as_posix() for p in _files(fresh)}
        root.mkdir(parents=True, exist_ok=True)
        for path in _files(root):
            rel = path.relative_to(root).as_posix()
            if rel not in wanted:
                path.unlink()
                changed.append(rel)
        for rel in sorted(wanted):
            src, dest = fresh / rel, root / rel
            data = src.read_bytes()
            with contextlib.suppress(OSError):
                if not dest.is_symlink() and dest.read_bytes() == data:
                    continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            os.replace(src, dest)
            changed.append(rel)
        _remove_empty_dirs(root)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return changed


def _files(root: Path) -> Iterator[Path]:
    """Files and links under ``root`` outside :data:`SKIPPED_DIRS` (never followed)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        for name in filenames:
            yield Path(dirpath, name)
        for name in dirnames:
            p = Path(dirpath, name)
            if p.is_symlink():  # a link to a folder: listed as a file, removed as one
                yield p


def _remove_empty_dirs(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root, topdown=False, followlinks=False):
        here = Path(dirpath)
        if here == root or SKIPPED_DIRS & set(here.relative_to(root).parts):
            continue
        if not dirnames and not filenames:
            with contextlib.suppress(OSError):
                here.rmdir()
