"""The loaded catalog, kept on disk keyed by its content.

Loading the standard catalog checks every manifest (its config schema against the JSON
Schema meta-schema, defaults, derivation operators, paths): ~100-150 ms, paid by every
``nodeforge check`` and every language server start. The result of loading a set of
manifest files (each file's manifest or its problems) depends only on the files' paths
and bytes and on the code that checks them, so it is pickled once under
:func:`cache_dir` and read back (~5 ms) while those are unchanged.

The key is a SHA-256 over the Nodeforge version, the Python version, the installed
versions of the libraries that judge a manifest file (pydantic, jsonschema,
fastjsonschema: read from their ``*.dist-info`` folders' names, without importing them),
the source of the loader and of what the pickle holds (``catalog.py``,
``manifest_model.py``, ``types.py`` and this module), the layout flag and every file's
path and bytes. The pickle holds plain objects only (:class:`catalog.NodeManifest` is no
pydantic model), so reading it imports none of those libraries.

A cache file that is missing, unreadable, corrupt, of another format, not owned by the
current user or writable by others is ignored (and rewritten); nothing here ever fails
a load. ``NODEFORGE_CATALOG_CACHE=0`` turns the cache off.

Only the standard catalog and installed node packs go through here: a workspace's own
custom nodes are few, change often, and are loaded directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .diskcache import prune, read_owned, write_atomic

#: Bump when the pickled shape changes in a way the source hash would not catch.
#: 2: manifests are plain slotted objects, no longer pydantic models.
#: 3: a manifest keeps its fast config validator's bytecode (compile_validator).
FORMAT = 3
#: At most this many cache files are kept (the least recently written go first).
MAX_FILES = 16
PREFIX = "catalog-"

T = TypeVar("T")


def cache_base() -> Path:
    """``$NODEFORGE_CACHE``; by default ``/var/cache/nodeforge`` as root, else the
    user's cache folder (``$XDG_CACHE_HOME/nodeforge``, ``~/.cache/nodeforge``)."""
    env = os.environ.get("NODEFORGE_CACHE")
    if env:
        return Path(env)
    if os.geteuid() == 0:
        return Path("/var/cache/nodeforge")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "nodeforge"


def cache_dir() -> Path:
    return cache_base() / "catalog"


def enabled() -> bool:
    return os.environ.get("NODEFORGE_CATALOG_CACHE", "1") not in ("0", "false", "no", "off")


def content_key(files: Sequence[Path], check_layout: bool) -> str | None:
    """The key of loading ``files``; ``None`` when a file cannot be read as a plain file
    (the loader then reports it, uncached)."""
    h = hashlib.sha256()
    from nodeforge import __version__

    h.update(f"{FORMAT}\0{__version__}\0{sys.version}\0{_checker_versions()}\0".encode())
    h.update(b"layout" if check_layout else b"any")
    here = Path(__file__).resolve().parent
    # The pickle holds the catalog and its port types: their classes are part of its
    # shape; the file format's models decide what loads and the problems' messages, and
    # schemas.py which references a kit's schema may hold.
    sources = ("catalog.py", "manifest_model.py", "catalog_cache.py", "types.py", "schemas.py")
    for source in (here / name for name in sources):
        try:
            h.update(source.read_bytes())
        except OSError:
            return None
    for path in files:
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):
                return None
            data = path.read_bytes()
        except OSError:
            return None
        h.update(b"\0file\0" + os.fsencode(path) + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    return h.hexdigest()


#: The libraries whose verdicts and messages a loaded catalog holds: pydantic (and its
#: core) checks a manifest file's structure, jsonschema (and its meta-schemas) and
#: fastjsonschema its schemas, defaults and examples.
_CHECKERS: tuple[str, ...] = ("pydantic", "pydantic_core", "fastjsonschema")
_CHECKERS += ("jsonschema", "jsonschema_specifications")
_checkers: str | None = None


def _checker_versions() -> str:
    """The installed :data:`_CHECKERS`, as the names of their ``*.dist-info`` folders
    (``pydantic-2.14.3.dist-info``), found without importing them (~0.3 ms): pydantic
    alone takes ~25 ms to import, which a start-up from the cache never needs."""
    global _checkers
    if _checkers is None:
        import importlib.util

        found: list[str] = []
        listings: dict[str, list[str]] = {}
        for name in _CHECKERS:
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            if spec is None or not spec.origin:
                found.append(f"{name}: not found")
                continue
            site = os.path.dirname(os.path.dirname(spec.origin))
            if site not in listings:
                try:
                    listings[site] = os.listdir(site)
                except OSError:
                    listings[site] = []
            found.extend(
                sorted(
                    entry
                    for entry in listings[site]
                    if entry.startswith(f"{name}-") and entry.endswith((".dist-info", ".egg-info"))
                )
                or [f"{name}: at {spec.origin}"]
            )
        _checkers = "\0".join(found)
    return _checkers


def cached(
    files: Sequence[Path],
    check_layout: bool,
    load: Callable[[], T],
    *,
    before_store: Callable[[T], None] | None = None,
) -> T:
    """``load()``'s result for ``files``, from the cache when it holds one for their
    current content, else computed and stored; ``before_store`` completes a result that
    is about to be stored (work worth keeping only with it: compiled validators)."""
    if not enabled():
        return load()
    key = content_key(files, check_layout)
    if key is None:
        return load()
    path = cache_dir() / f"{PREFIX}{key}.pickle"
    hit = _read(path)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    result = load()
    # Files changed while loading: the result may belong to newer bytes than the key.
    if content_key(files, check_layout) == key:
        if before_store is not None:
            before_store(result)
        _write(path, result)
    return result


def _read(path: Path) -> Any:
    # Unpickling runs code: only a file this user wrote and nobody else can change.
    data = read_owned(path)
    if data is None:
        return None
    try:
        payload = pickle.loads(data)
    except Exception:  # corrupt, truncated, or written by an incompatible version
        return None
    if not (isinstance(payload, tuple) and len(payload) == 2 and payload[0] == FORMAT):
        return None
    return payload[1]


def _write(path: Path, value: Any) -> None:
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        write_atomic(path, pickle.dumps((FORMAT, value), protocol=pickle.HIGHEST_PROTOCOL))
        prune(path.parent, prefix=PREFIX, keep=MAX_FILES)
