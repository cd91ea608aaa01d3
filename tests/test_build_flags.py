"""Release builds are stripped (no symbol table, no DWARF), ``--debug`` builds are not,
and a stripped binary keeps its function table (stack traces); both are static, with
SQLite in C where cgo is on (:mod:`nodeforge.sandbox.goflags`)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

from nodeforge.cli import build_parser
from nodeforge.codegen.build import build, go_build_flags, read_state
from nodeforge.sandbox.goflags import BUILD_TAGS, cgo_enabled
from tests.test_build_support import ROOT, needs_go


def elf_sections(path: Path) -> set[str]:
    """The section names of a 64-bit little-endian ELF file."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not an ELF64 LE file"
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_off = headers[shstrndx][4]
    out = set()
    for name, *_ in headers:
        end = data.index(b"\0", names_off + name)
        out.add(data[names_off + name : end].decode())
    return out


def test_release_flags_strip_and_debug_flags_do_not() -> None:
    assert go_build_flags() == ["-trimpath", "-ldflags=-s -w -extldflags=-static"]
    assert go_build_flags(debug=True) == ["-trimpath", "-ldflags=-extldflags=-static"]
    parser = build_parser()
    for verb in ("build", "run", "watch"):
        assert parser.parse_args([verb, "examples"]).debug is False
        assert parser.parse_args([verb, "examples", "--debug"]).debug is True


@needs_go
def test_release_build_is_stripped_and_debug_build_keeps_symbols(tmp_path: Path) -> None:
    ws = tmp_path / "quote"
    shutil.copytree(ROOT / "bench" / "http" / "quote", ws)
    release = build(ws, out_dir=tmp_path / "gen", binary=tmp_path / "release")
    assert release.ok and release.binary is not None, release.output
    debug = build(ws, out_dir=tmp_path / "gen", binary=tmp_path / "debug", debug=True)
    assert debug.ok and debug.binary is not None, debug.output
    assert read_state(ws)["debug"] is True
    rel, dbg = elf_sections(release.binary), elf_sections(debug.binary)
    assert ".symtab" not in rel and not any(s.startswith(".debug_") for s in rel), rel
    assert ".symtab" in dbg and ".debug_info" in dbg, dbg
    # The function table stays: stack traces keep working in a stripped binary.
    assert ".gopclntab" in rel
    assert release.binary.stat().st_size < debug.binary.stat().st_size
    # Static either way (no program interpreter), with the SQLite driver of the settings.
    assert ".interp" not in rel and ".interp" not in dbg
    info = subprocess.run(
        ["go", "version", "-m", str(release.binary)], capture_output=True, text=True, check=True
    ).stdout
    c_sqlite = "github.com/mattn/go-sqlite3" in info
    assert c_sqlite == cgo_enabled() and ("modernc.org/sqlite" in info) != c_sqlite, info
    assert f"-tags={BUILD_TAGS}" in info, info
