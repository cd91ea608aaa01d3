"""Path confinement: every path or ``file://`` URI a client hands the server.

A path is resolved (``..`` and symbolic links followed, ``Path.resolve(strict=False)``,
so it need not exist yet) and refused unless what it leads to lies inside one of the
session's roots. Which roots a session has is decided in :class:`Session.roots`
(``server/session.py``): the server's base directory over the network transports,
the client's workspace folders over stdio; ``docs/lsp.md`` ("Who can reach what")
explains why. Every command goes through :meth:`Session.confine`, which calls
:func:`confine` here; nothing else checks paths.

What this cannot stop: someone who can write inside a root swapping a checked path
for a link between the check and its use (the server opens paths by name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pygls.uris import to_fs_path

# A URI scheme of two letters or more (``untitled:``, ``inmemory:``, ``https:``).
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


class PathRefused(Exception):
    """A path outside the session's roots, or not a path at all (message for the user)."""


def as_path(value: str | Path, relative_to: Path | None = None) -> Path:
    """``value`` (a path or a ``file://`` URI) as a path, made absolute against
    ``relative_to``; not resolved."""
    if isinstance(value, str):
        if value.startswith("file:"):
            fs = to_fs_path(value)
            if not fs:
                raise PathRefused(f"not a file URI: {value}")
            value = fs
        elif _SCHEME.match(value):
            raise PathRefused(f"not a file path or file:// URI: {value}")
    path = Path(value)
    if not path.is_absolute():
        if relative_to is None:
            raise PathRefused(
                f"`{value}` is relative and there is no single workspace to read it "
                "against: give an absolute path or a file:// URI"
            )
        path = relative_to / path
    return path


def resolved_roots(roots: Sequence[Path]) -> list[Path]:
    return [root.resolve() for root in roots]


def inside(path: Path, roots: Sequence[Path]) -> bool:
    """Does ``path``, resolved, lie in one of ``roots`` (already resolved)?"""
    try:
        real = path.resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    return any(real.is_relative_to(root) for root in roots)


def confine(
    value: str | Path,
    roots: Sequence[Path],
    *,
    where: str,
    relative_to: Path | None = None,
) -> Path:
    """The resolved path ``value`` leads to, if it lies inside one of ``roots``
    (resolved already); else :class:`PathRefused` saying it lies outside ``where``."""
    path = as_path(value, relative_to)
    try:
        real = path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a NUL byte, a link loop
        raise PathRefused(f"not a valid path: {value!r} ({exc})") from None
    if not any(real.is_relative_to(root) for root in roots):
        raise PathRefused(f"`{value}` lies outside {where}")
    return real
