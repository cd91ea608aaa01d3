"""The one way files of node folders (custom nodes and forks under ``nodes/``) are read.

A node folder is workspace content, which may come from anyone: a symlink in it
(``leak_windows.go -> /etc/shadow``, embeddable with ``//go:embed``) must not make a
root process read what it points at, and a link to ``/dev/zero`` or a FIFO must not make
it read without end or block. So: every entry of a node folder must be a regular file
or a folder (anything else is a :class:`NodeFileError` naming the file), files are
opened with ``O_NOFOLLOW`` (a link swapped in after the check is refused too) and
``O_NONBLOCK``, checked again on the open descriptor, and read up to a size cap.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: Largest file of a node folder that is read (manifests, Go sources, records).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Largest sum of the files of one node folder that is read.
MAX_FOLDER_BYTES = 32 * 1024 * 1024
#: Most entries one node folder may hold.
MAX_ENTRIES = 4096
SKIPPED = frozenset({"__pycache__"})


class NodeFileError(OSError):
    """A node folder holds something that is not read: the message names the file."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path``, never through a symbolic link (of the
    file itself) and at most ``limit`` of them."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            raise NodeFileError(
                path, "is a symbolic link; node folders may hold only regular files"
            ) from exc
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NodeFileError(path, "is not a regular file; node folders may hold only those")
        if st.st_size > limit:
            raise NodeFileError(path, f"is larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise NodeFileError(path, f"is larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a decoding error names the file)."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NodeFileError(path, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def list_files(folder: Path, *, recursive: bool = True) -> list[Path]:
    """The regular files of ``folder`` (and its sub-folders), sorted; raises
    :class:`NodeFileError` on the first symbolic link or special file, and for a
    folder that is itself a link."""
    if os.path.islink(folder):
        raise NodeFileError(folder, "is a symbolic link; node folders may not be links")
    out: list[Path] = []
    todo = [folder]
    seen = 0
    while todo:
        current = todo.pop()
        with os.scandir(current) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                raise NodeFileError(folder, f"holds more than {MAX_ENTRIES} entries")
            path = Path(entry.path)
            if entry.is_symlink():
                raise NodeFileError(
                    path, "is a symbolic link; node folders may hold only regular files"
                )
            if entry.is_dir(follow_symlinks=False):
                if recursive and entry.name not in SKIPPED:
                    todo.append(path)
                continue
            if not entry.is_file(follow_symlinks=False):
                raise NodeFileError(path, "is not a regular file; node folders may hold only those")
            out.append(path)
    return sorted(out)


def read_folder(folder: Path, *, recursive: bool = True) -> dict[str, bytes]:
    """Every file of ``folder`` by its path relative to it (``/``-separated), checked
    and capped as above (also :data:`MAX_FOLDER_BYTES` in all)."""
    out: dict[str, bytes] = {}
    total = 0
    for path in list_files(folder, recursive=recursive):
        data = read_bytes(path)
        total += len(data)
        if total > MAX_FOLDER_BYTES:
            raise NodeFileError(folder, f"holds more than {MAX_FOLDER_BYTES} bytes of files")
        out[path.relative_to(folder).as_posix()] = data
    return out


def go_files(folder: Path) -> dict[str, bytes]:
    """The Go files of the package in ``folder`` (tests left out), by name. The whole
    folder is checked: a link or special file anywhere in it is refused, even one the
    build would not compile (``//go:embed`` could still reach it)."""
    files = read_folder(folder)
    return {
        name: data
        for name, data in files.items()
        if "/" not in name and name.endswith(".go") and not name.endswith("_test.go")
    }


def copy_folder(src: Path, dest: Path) -> None:
    """Copy a node folder as :func:`read_folder` reads it (new files, no links)."""
    for rel, data in read_folder(src).items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
