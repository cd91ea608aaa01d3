"""Names of generated files and folders that the go command takes at face value.

A flow id becomes part of a file name (``flow_<id>.go``) and of a folder name (its
``code/go`` packages live under ``code/<id>/``). Some ids would change what the go
command does with them:

* a file name ending in ``_test`` is a test file (left out of ``go build``); one ending in
  ``_<GOOS>``, ``_<GOARCH>`` or ``_<GOOS>_<GOARCH>`` builds only on that system
  (``flow_report_windows.go`` is left out on Linux);
* a folder named ``internal`` may only be imported from below its parent, ``vendor`` not
  at all, ``testdata`` is skipped by ``./...`` patterns, and Windows device names
  (``con``, ``aux``, ``lpt1`` ...) are refused as import path elements.

Those names get ``-flow`` appended: ``flow_node_test-flow.go``, ``code/internal-flow/``.
A hyphen cannot appear in a flow id (``[a-z][a-z0-9_]*``), so the result never collides
with another flow's name; every other id keeps its plain name.
"""

from __future__ import annotations

__all__ = ["GO_ARCHES", "GO_OSES", "code_folder_name", "flow_file_name"]

# The go command's lists (go/build/syslist.go, Go 1.26), including the values it reserves
# for systems it does not support (yet): a file suffix naming any of them is a constraint.
GO_OSES = frozenset(
    [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "linux",
        "nacl",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "wasip1",
        "windows",
        "zos",
    ]
)
GO_ARCHES = frozenset(
    [
        "386",
        "amd64",
        "amd64p32",
        "arm",
        "armbe",
        "arm64",
        "arm64be",
        "loong64",
        "mips",
        "mipsle",
        "mips64",
        "mips64le",
        "mips64p32",
        "mips64p32le",
        "ppc",
        "ppc64",
        "ppc64le",
        "riscv",
        "riscv64",
        "s390",
        "s390x",
        "sparc",
        "sparc64",
        "wasm",
    ]
)
_SPECIAL_FOLDERS = frozenset({"internal", "vendor", "testdata"})
# golang.org/x/mod/module: path elements refused because Windows reserves them.
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{n}" for d in ("com", "lpt") for n in range(10)]
)
SUFFIX = "-flow"


def _constrained(stem: str) -> bool:
    """Whether the go command reads a meaning into a ``.go`` file named ``stem.go``:
    a test file, or a GOOS/GOARCH build constraint (go/build's goodOSArchFile looks at
    the last ``_`` element, after dropping a final ``_test``)."""
    parts = stem.split("_")[1:]  # go/build ignores everything before the first _
    if not parts:
        return False
    return parts[-1] == "test" or parts[-1] in GO_OSES or parts[-1] in GO_ARCHES


def flow_file_name(flow_id: str) -> str:
    """The generated Go file of flow ``flow_id``: ``flow_<id>.go``, or
    ``flow_<id>-flow.go`` when the plain name would be a test file or carry a build
    constraint."""
    stem = f"flow_{flow_id}"
    return f"{stem}{SUFFIX if _constrained(stem) else ''}.go"


def code_folder_name(flow_id: str) -> str:
    """The folder (under ``code/``) of a flow's ``code/go`` packages: the id, or
    ``<id>-flow`` for names the go command treats specially as path elements."""
    special = flow_id in _SPECIAL_FOLDERS or flow_id.split(".")[0] in _WINDOWS_DEVICES
    return f"{flow_id}{SUFFIX}" if special else flow_id
