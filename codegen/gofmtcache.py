"""gofmt's output, kept by content: in memory for the process, and on disk.

Each gofmt run is a process start (~5-10 ms) plus the formatting; a generation runs
several (``main.go``, ``models.go``, each flow file's start, node methods the Python
check cannot vouch for). Most of those texts are the same from one generation to the
next (an edit to one node leaves ``main.go``, usually ``models.go`` and the other runs
of node methods as they were), and gofmt's output depends only on its input and on the
gofmt binary. So the output is kept under a SHA-256 of the binary's path, size and
modification time and of the input text: in a dictionary for this process (a language
server or ``nodeforge watch`` generates again and again), and in files under
``<cache>/gofmt`` (``analysis.catalog_cache.cache_base``) for the next process.

Only successful runs are kept. A file is used only if it is a regular file this user
owns and nobody else can write, and its body matches the SHA-256 in its first line;
anything else is ignored (and rewritten). At most :data:`MAX_FILES` files are kept,
the least recently written go first. ``NODEFORGE_GOFMT_CACHE=0`` turns both off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path

from nodeforge.analysis.diskcache import prune, read_signed, write_signed

__all__ = ["MAX_FILES", "enabled", "get", "key", "put"]

MAX_FILES = 512
_MEMO_MAX = 256  # texts kept in memory (a 1,000-node flow makes ~10)
_HEAD = b"nodeforge-gofmt 1 "

_memo: dict[str, str] = {}
_lock = threading.Lock()  # gofmt runs on a thread pool
_binary: dict[str, bytes] = {}  # gofmt path -> its identity, once per process


def enabled() -> bool:
    return os.environ.get("NODEFORGE_GOFMT_CACHE", "1") not in ("0", "false", "no", "off")


def key(exe: str, data: bytes) -> str:
    """The key of formatting ``data`` with the gofmt at ``exe``."""
    ident = _binary.get(exe)
    if ident is None:
        try:
            st = os.stat(exe)
            ident = f"{exe}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0".encode()
        except OSError:
            ident = f"{exe}\0?\0".encode()
        _binary[exe] = ident
    return hashlib.sha256(ident + data).hexdigest()


def _folder() -> Path:
    from nodeforge.analysis.catalog_cache import cache_base

    return cache_base() / "gofmt"


def get(k: str) -> str | None:
    """gofmt's output for key ``k``, or ``None``."""
    hit = _memo.get(k)
    if hit is not None:
        return hit
    text = _read(_folder() / f"{k}.go")
    if text is not None:
        _remember(k, text)
    return text


def put(k: str, output: str) -> None:
    """Keep gofmt's ``output`` under key ``k`` (in memory, and on disk)."""
    _remember(k, output)
    _write(_folder() / f"{k}.go", output)


def _remember(k: str, text: str) -> None:
    with _lock:
        if len(_memo) >= _MEMO_MAX:
            _memo.pop(next(iter(_memo)))  # the oldest
        _memo[k] = text


def _read(path: Path) -> str | None:
    body = read_signed(path, _HEAD)
    if body is None:
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def _write(path: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        write_signed(path, _HEAD, text.encode())
        prune(path.parent, suffix=".go", keep=MAX_FILES)
