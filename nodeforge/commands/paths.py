"""Path arguments of the command line, checked before any command runs.

Every sub-command's path arguments are declared with one of the argparse types below
(``cli.py``), all built on :func:`check_path`. A path that does not exist, or is not the
kind of thing the argument needs, is a usage error: argparse prints
``nodeforge VERB: error: argument ...: <reason>`` on stderr and exits 2, before the
command has created anything (no ``.nodeforge/`` folder, no module, no binary).

| kind | accepts |
| --- | --- |
| ``flows`` | a flow file, or a folder holding at least one ``*.flow.json`` (recursively) |
| ``file`` | an existing regular file (a flow to simulate, a file to read) |
| ``input`` | an existing regular file, or ``-`` for stdin |
| ``folder`` | an existing folder (``--workspace``) |
| ``output_file`` | a file to write: its folder exists, and it is not a folder |
| ``output_folder`` | a folder to create or reuse: its parent exists, and it is no file |
| ``tracked`` | a flow that may have been deleted (history): its folder exists |

This module stays light (no analysis imports): ``cli.py`` imports it at start-up.
"""

from __future__ import annotations

import argparse
import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from nodeforge.project.fsutil import UsageError

FLOW_SUFFIX = ".flow.json"
SKIPPED_DIRS = {".git", ".nodeforge", "node_modules", "__pycache__", ".venv"}


class PathError(UsageError):
    """A path argument that cannot be used; the message says why."""


def iter_flow_files(folder: Path) -> Iterator[Path]:
    """``*.flow.json`` under ``folder``, sorted per folder, skipping private folders."""
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            if name.endswith(FLOW_SUFFIX):
                yield Path(parent) / name


def _stat(path: Path, raw: str) -> os.stat_result | None:
    """``os.stat`` of ``path``; None when it does not exist; a :class:`PathError` for a
    path that cannot even be looked up."""
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise PathError(f"{raw}: a part of the path is a file, not a folder") from None
    except PermissionError:
        raise PathError(f"{raw}: permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise PathError(f"{raw[:80]}...: the path is too long") from None
        if exc.errno == errno.ELOOP:
            raise PathError(f"{raw}: too many levels of symbolic links") from None
        raise PathError(f"{raw}: {exc.strerror or exc}") from None


def _parent_folder(path: Path, raw: str) -> None:
    parent = path.parent
    st = _stat(parent, str(parent))
    if st is None:
        raise PathError(f"{raw}: the folder {parent} does not exist")
    if not stat.S_ISDIR(st.st_mode):
        raise PathError(f"{raw}: {parent} is not a folder")


def check_path(raw: str, kind: str) -> Path:
    """``raw`` as a :class:`Path` when it fits ``kind`` (see the module's table), else a
    :class:`PathError` saying why. Creates nothing."""
    if raw == "":
        raise PathError("an empty path")
    if "\0" in raw:
        raise PathError(f"{raw!r}: a path cannot contain a NUL character")
    if kind == "input" and raw == "-":
        return Path(raw)
    path = Path(raw)
    st = _stat(path, raw)
    if kind in ("output_file", "output_folder", "tracked"):
        _parent_folder(path, raw)
        if st is not None and kind == "output_file" and stat.S_ISDIR(st.st_mode):
            raise PathError(f"{raw}: is a folder, not a file")
        if st is not None and kind == "output_folder" and not stat.S_ISDIR(st.st_mode):
            raise PathError(f"{raw}: is not a folder")
        if st is not None and kind == "tracked" and not stat.S_ISREG(st.st_mode):
            raise PathError(f"{raw}: is not a flow file")
        return path
    if st is None:
        raise PathError(f"{raw}: no such file or folder")
    is_dir, is_file = stat.S_ISDIR(st.st_mode), stat.S_ISREG(st.st_mode)
    if kind == "folder":
        if not is_dir:
            raise PathError(f"{raw}: is not a folder")
    elif kind in ("file", "input"):
        if is_dir:
            raise PathError(f"{raw}: is a folder, not a file")
        if not is_file:
            raise PathError(f"{raw}: is not a regular file")
    elif kind == "flows":
        if is_dir:
            if next(iter_flow_files(path), None) is None:
                raise PathError(f"{raw}: no *{FLOW_SUFFIX} files in this folder")
        elif not is_file:
            raise PathError(f"{raw}: is not a regular file")
    else:
        raise ValueError(f"unknown path kind {kind!r}")
    return path


def require_flow_or_history(root: Path, flow: Path) -> None:
    """The flow argument of ``history``, ``diff`` and ``restore``: a flow file, or one
    deleted since that has saved versions (restoring it is the point); else a
    :class:`PathError`."""
    if flow.is_file():
        return
    from nodeforge.project.fsutil import relative_flow_path
    from nodeforge.project.history import History

    rel = relative_flow_path(root, flow)
    history = History(root)
    if not history.exists() or not history.log(rel, limit=1):
        raise PathError(f"{flow}: no such flow file, and no saved versions of it")


def exit_code(exc: Exception) -> int:
    """The exit code of a refused command: 2 for a usage error, else 1."""
    return 2 if isinstance(exc, UsageError) else 1


def arg(kind: str) -> Callable[[str], Path]:
    """An argparse ``type=`` that checks a path argument (a failure is exit 2)."""

    def convert(raw: str) -> Path:
        try:
            return check_path(raw, kind)
        except PathError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = f"{kind} path"
    return convert
