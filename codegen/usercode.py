"""The Go of a ``code/go`` node, shared by its sandbox test harness and the compiled app:
the user's source completed into a file of a package (package clause and imports are
optional in the node's config), and the ``Input``/``Output`` types from its schemas."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from nodeforge.analysis.types import ObjectType, Type, type_from_schema

from .gotypes import pascal

STD_PACKAGES = {
    "bufio": "bufio",
    "bytes": "bytes",
    "context": "context",
    "errors": "errors",
    "fmt": "fmt",
    "io": "io",
    "json": "encoding/json",
    "base64": "encoding/base64",
    "hex": "encoding/hex",
    "csv": "encoding/csv",
    "log": "log",
    "slog": "log/slog",
    "math": "math",
    "rand": "math/rand/v2",
    "big": "math/big",
    "net": "net",
    "http": "net/http",
    "url": "net/url",
    "os": "os",
    "exec": "os/exec",
    "signal": "os/signal",
    "filepath": "path/filepath",
    "path": "path",
    "regexp": "regexp",
    "runtime": "runtime",
    "slices": "slices",
    "maps": "maps",
    "sort": "sort",
    "strconv": "strconv",
    "strings": "strings",
    "sync": "sync",
    "atomic": "sync/atomic",
    "syscall": "syscall",
    "time": "time",
    "unicode": "unicode",
    "utf8": "unicode/utf8",
    "sha256": "crypto/sha256",
    "hmac": "crypto/hmac",
    "md5": "crypto/md5",
}

_PACKAGE_RE = re.compile(r"^\s*package\s+\w+\s*$", re.M)
_IMPORT_RE = re.compile(r"^\s*import\b", re.M)
_COMMENTS_STRINGS = re.compile(r"//[^\n]*|/\*.*?\*/|`[^`]*`|\"(?:\\.|[^\"\\\n])*\"", re.S)


def user_source(source: str, package: str = "main", origin: str | None = "source") -> str:
    """The node's source as a file of ``package``: the package clause and the imports
    are optional in the node's config, so they are added when missing (imports of the
    standard packages the code names, like goimports would). A ``//line origin:1:1``
    directive before the source makes compiler errors and panics count lines from the
    node's own first line; without ``origin`` there is none (gofmt would move it into a
    doc comment), and :func:`source_offset` says where the source starts."""
    body = _PACKAGE_RE.sub("", source, count=1)  # keeps its line: line numbers hold
    directive = f"//line {origin}:1:1\n" if origin is not None else ""
    if _IMPORT_RE.search(body):
        return f"package {package}\n\n{directive}{body}"
    code = _COMMENTS_STRINGS.sub(" ", body)
    used = sorted(
        {
            path
            for name, path in STD_PACKAGES.items()
            if re.search(rf"(?<![\w.]){name}\.[A-Za-z_]", code)
        }
    )
    imports = "".join(f"\t{json.dumps(p)}\n" for p in used)
    head = f"package {package}\n\n" + (f"import (\n{imports})\n\n" if used else "")
    return head + directive + body


@dataclass(frozen=True)
class CodeField:
    """A field of a struct of a code/go node's ``types.go``."""

    name: str  # Go name
    json: str  # JSON key
    go: str  # Go type without the pointer
    pointer: bool  # optional scalar or struct, held through a pointer


def _go_type(
    t: Type,
    name: str,
    decls: list[str],
    seen: dict[str, str],
    structs: dict[str, list[CodeField]] | None = None,
) -> str:
    from nodeforge.analysis.types import (
        ArrayType,
        BoolType,
        IntType,
        NumberType,
        StringType,
        UnionType,
    )

    if isinstance(t, UnionType):
        opts = [o for o in t.options if type(o).__name__ != "NullType"]
        if (
            opts
            and all(type(o) is type(opts[0]) for o in opts)
            and not isinstance(opts[0], ObjectType | ArrayType)
        ):
            t = opts[0]
    scalars = {BoolType: "bool", IntType: "int64", NumberType: "float64", StringType: "string"}
    if type(t) in scalars:
        return scalars[type(t)]
    if isinstance(t, ArrayType):
        return "[]" + _go_type(t.items, name + "Item", decls, seen, structs)
    if isinstance(t, ObjectType) and t.fields:
        lines = [f"type {name} struct {{"]
        fields: list[CodeField] = []
        used: set[str] = set()
        for f in t.fields:
            fname = pascal(f.name) or "Field"
            base, n = fname, 2
            while fname in used:
                fname, n = f"{base}{n}", n + 1
            used.add(fname)
            inner = _go_type(f.type, name + fname, decls, seen, structs)
            scalar = inner in scalars.values() or inner in seen.values()
            go = "*" + inner if not f.required and scalar else inner
            fields.append(CodeField(fname, f.name, inner, go != inner))
            tag = json.dumps(f.name + ("" if f.required else ",omitempty"))
            lines.append(f"\t{fname} {go} `json:{tag}`")
        lines.append("}")
        seen[name] = name
        if structs is not None:
            structs[name] = fields
        decls.append("\n".join(lines))
        return name
    if isinstance(t, ObjectType):
        if t.additional is not None and type(t.additional).__name__ != "AnyType":
            return "map[string]" + _go_type(t.additional, name + "Value", decls, seen, structs)
        return "map[string]any"
    return "any"


@dataclass
class CodeTypes:
    """The Go types of a code/go node's package: ``Input`` and ``Output`` (each a struct
    or an alias of ``go``) and the structs by name."""

    input: str  # the Go type Input is (its own name when a struct)
    output: str
    structs: dict[str, list[CodeField]]
    decls: list[str]


def code_types(input_schema: Any, output_schema: Any) -> CodeTypes:
    """``Input`` and ``Output`` from the node's schemas (types of the JSON Schema subset)."""
    decls: list[str] = []
    seen: dict[str, str] = {}
    structs: dict[str, list[CodeField]] = {}
    gos: list[str] = []
    for name, schema in (("Input", input_schema), ("Output", output_schema)):
        t = type_from_schema(schema if isinstance(schema, dict) else {"type": "object"})
        go = _go_type(t, name, decls, seen, structs)
        if go != name:
            decls.append(f"type {name} = {go}")
        gos.append(go)
    return CodeTypes(gos[0], gos[1], structs, decls)


def types_source(input_schema: Any, output_schema: Any, package: str = "main") -> str:
    """The source of ``Input`` and ``Output`` (:func:`code_types`)."""
    decls = code_types(input_schema, output_schema).decls
    return f"package {package}\n\n" + "\n\n".join(decls) + "\n"


def source_offset(file_text: str, source: str) -> int:
    """How many lines of ``file_text`` (a :func:`user_source` result without directive)
    come before the node's source."""
    body = _PACKAGE_RE.sub("", source, count=1)
    return file_text[: len(file_text) - len(body)].count("\n")
