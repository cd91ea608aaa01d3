"""How every ``go`` command of Nodeforge is configured: apps, sandboxed builds of user
code, node harnesses, kit tests, the warm-up of ``scripts/setup`` and the benchmarks.

One environment for all of them, because the Go build cache is keyed by it: a package
compiled by the trusted side (or by the warm-up) with these settings is reused by the
next build only when that build has the same settings.

- **SQLite in C when a C compiler is here.** The ``sqlite`` driver of generated apps
  (``nf/sqlite/driver``) is SQLite's own C code through cgo (``mattn/go-sqlite3``)
  when cgo is on, and the pure-Go transpilation (``modernc.org/sqlite``) when it is
  off. The C build is 2.3 MB smaller (it leaves out FTS5, R*Tree, Geopoly and the
  extension loader that the transpilation carries) and faster. cgo is on when ``gcc``
  (or ``$CC``) runs and a static C library is installed (Debian's ``libc6-dev``), and
  ``NODEFORGE_CGO`` is not ``0``; otherwise every build is pure Go, as before.
- **Still one static binary.** ``-extldflags=-static`` links the C library into
  binaries that use cgo (Go links the others itself and ignores the flag), and the
  ``netgo`` and ``osusergo`` tags keep name resolution and user lookup in Go, as they
  are with cgo off: the binary runs on a bare image (distroless ``static``).
- **Pure Go for what runs inside the sandbox.** Node-test harnesses and kit test
  binaries are built with cgo off (``cgo=False``), as before cgo was used at all: the
  sandbox caps address space, a cgo binary's threads reserve more of it (pthread stacks,
  C malloc arenas), and a harness run out of its 1 GiB under load in the test suite.
  Their size does not matter, and SQLite behaves the same through either driver.
- **SQLite compiled for size** (``CGO_CFLAGS=-Os``): 0.4 MB smaller than ``-O2`` and
  compiled in 18 s instead of 30 on this machine; the build cache keeps it after the
  first time (``scripts/warm`` does that during setup).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

__all__ = ["BUILD_TAGS", "cgo_enabled", "go_env_vars", "link_flags", "shell_exports"]

# netgo/osusergo: the pure-Go resolver and user lookup, as with cgo off (a static binary
# that does not read /etc/nsswitch.conf through the C library); the extension loader of
# go-sqlite3 would call dlopen, which a static binary cannot use.
BUILD_TAGS = "netgo,osusergo,sqlite_omit_load_extension"


@lru_cache(maxsize=1)
def cgo_enabled() -> bool:
    """Whether builds use cgo: a C compiler that can link a static binary is here."""
    if os.environ.get("NODEFORGE_CGO", "") == "0":
        return False
    cc = shutil.which(os.environ.get("CC") or "gcc")
    if cc is None:
        return False
    try:
        found = subprocess.run(
            [cc, "-print-file-name=libc.a"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return False
    return os.path.isabs(found) and os.path.exists(found)


def go_env_vars(cgo: bool = True) -> dict[str, str]:
    """The variables every ``go`` command runs with (added to its environment; a
    ``GOFLAGS`` of the user's is replaced: it would change the build cache's keys).
    ``cgo=False`` for programs that run inside the sandbox."""
    vars = {"GOTOOLCHAIN": "local", "GOFLAGS": f"-mod=readonly -tags={BUILD_TAGS}"}
    if cgo and cgo_enabled():
        vars.update(CGO_ENABLED="1", CGO_CFLAGS="-Os")
    else:
        vars["CGO_ENABLED"] = "0"
    return vars


def link_flags(strip: bool = True) -> str:
    """``-ldflags`` of a binary: static if it links C; stripped of the symbol table and
    DWARF unless a debug build (stack traces keep names and lines: the pclntab stays)."""
    static = "-extldflags=-static"
    return f"-s -w {static}" if strip else static


def shell_exports() -> str:
    """``export`` lines for scripts that run ``go`` themselves (``scripts/warm``,
    ``scripts/test``): ``eval "$(python -m nodeforge.sandbox.goflags)"``."""
    return "".join(f"export {k}='{v}'\n" for k, v in sorted(go_env_vars().items()))


if __name__ == "__main__":
    print(shell_exports(), end="")
