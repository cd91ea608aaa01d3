"""Small file-system helpers shared by the project modules: atomic writes, the
workspace's private folder, a clear error type."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

STATE_DIR = ".nodeforge"


class ProjectError(Exception):
    """A refused or failed project operation; the message is for the user as is."""


class UsageError(ProjectError):
    """The command was given something it cannot work with (a path that does not exist,
    a folder that is not a workspace): the command line's exit code 2, not 1."""


def state_dir(root: Path, *, create: bool = True) -> Path:
    """``<root>/.nodeforge`` (created, mode 0700, when ``create``)."""
    path = root / STATE_DIR
    if create and not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def require_root(start: Path | None = None, explicit: Path | None = None) -> Path:
    """The workspace root: ``explicit`` if given (must hold ``nodeforge.toml``), else the
    nearest folder at or above ``start`` (default: the current folder) holding one."""
    # Imported here: the command line imports this module at start-up (its error types),
    # and the workspace module brings the whole catalog.
    from nodeforge.analysis.workspace import CONFIG_FILE, find_root

    if explicit is not None:
        root = explicit.resolve()
        if not (root / CONFIG_FILE).is_file():
            raise UsageError(f"{root} is not a Nodeforge workspace (no {CONFIG_FILE})")
        return root
    found = find_root(start if start is not None else Path.cwd())
    if found is None:
        where = start if start is not None else Path.cwd()
        raise UsageError(
            f"{where} is not inside a Nodeforge workspace (no {CONFIG_FILE} here or above); "
            "create one with `nodeforge init`"
        )
    return found


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename inside it) to disk; best effort."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` all at once: a temporary file in the same folder,
    fsync'd, then renamed over the target. A crash leaves the old or the new content,
    never a torn file. ``mode`` sets the permissions (default: keep the old file's, else
    0644 minus umask)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = None
    import tempfile  # (with shutil and lzma: imported when something is written)

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o644 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def relative_flow_path(root: Path, flow: Path) -> str:
    """``flow`` relative to ``root`` in POSIX form; it must be inside the workspace."""
    full = flow if flow.is_absolute() else Path.cwd() / flow
    full = Path(os.path.abspath(full))
    try:
        rel = full.relative_to(root.resolve())
    except ValueError:
        try:
            rel = full.resolve().relative_to(root.resolve())
        except ValueError:
            raise UsageError(f"{flow} is outside the workspace {root}") from None
    if not rel.parts or rel.parts[0] == STATE_DIR:
        raise UsageError(f"{flow} is not a flow file of the workspace")
    return rel.as_posix()
