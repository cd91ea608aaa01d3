"""Harness programs for node tests: generation, trusted ``go build`` outside the sandbox,
and a cache of the binaries by node type, version and the hash of the custom code.

A harness reads one JSON request on stdin (``{"input": ..., "config": ...}``), calls the
node's code and writes one JSON result on its stdout::

    {"outputs": {"out": ...} | {"error": {"message", "code", "retryable"}},
     "duration_ms": 1.2}

Everything the node's code prints (``fmt.Println``, ``log``, ``slog``) goes to stderr:
the harness moves file descriptor 1 onto 2 before the node runs, and keeps the real
stdout for its result. Stderr lines are the node's logs (JSON lines from ``slog``'s
JSON handler are parsed into fields).

``go build`` is trusted tooling and runs outside the sandbox, with the shared Go build
cache; only the built binary runs inside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge.analysis.types import ObjectType, Type, type_from_schema

HARNESS_VERSION = "1"
GO_VERSION_LINE = "go 1.26"


class BuildError(Exception):
    """The node's code does not compile; ``output`` has the compiler's messages."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


@dataclass
class Harness:
    binary: Path  # the harness executable; its folder is bound into the sandbox
    key: str
    cached: bool
    build_ms: float = 0.0


def cache_root() -> Path:
    """``$NODEFORGE_CACHE/harness``; by default ``/var/cache/nodeforge/harness`` as root
    (its folders are world-traversable, so the sandbox's uid can reach a bound binary),
    else the user's cache folder."""
    env = os.environ.get("NODEFORGE_CACHE")
    if env:
        return Path(env) / "harness"
    if os.geteuid() == 0:
        return Path("/var/cache/nodeforge/harness")
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "nodeforge" / "harness"


def world_traversable(path: Path) -> bool:
    """Whether every folder from / down to ``path`` lets others search it."""
    for folder in [path, *path.parents]:
        try:
            if not folder.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


# -- code/go -------------------------------------------------------------------------------

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


def user_source(source: str) -> str:
    """The node's source as a file of package ``main``: the package clause and the
    imports are optional in the node's config, so they are added when missing (imports
    of the standard packages the code names, like goimports would)."""
    body = _PACKAGE_RE.sub("", source, count=1)  # keeps its line: line numbers hold
    if _IMPORT_RE.search(body):
        return "package main\n\n//line source:1\n" + body
    code = _COMMENTS_STRINGS.sub(" ", body)
    used = sorted(
        {
            path
            for name, path in STD_PACKAGES.items()
            if re.search(rf"(?<![\w.]){name}\.[A-Za-z_]", code)
        }
    )
    imports = "".join(f"\t{json.dumps(p)}\n" for p in used)
    head = f"package main\n\nimport (\n{imports})\n\n" if used else "package main\n\n"
    # Compiler errors point at the lines of the node's source.
    return head + "//line source:1\n" + body


def _go_type(t: Type, name: str, decls: list[str], seen: dict[str, str]) -> str:
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
        return "[]" + _go_type(t.items, name + "Item", decls, seen)
    if isinstance(t, ObjectType) and t.fields:
        from nodeforge.codegen.gotypes import pascal

        lines = [f"type {name} struct {{"]
        used: set[str] = set()
        for f in t.fields:
            fname = pascal(f.name) or "Field"
            base, n = fname, 2
            while fname in used:
                fname, n = f"{base}{n}", n + 1
            used.add(fname)
            inner = _go_type(f.type, name + fname, decls, seen)
            scalar = inner in scalars.values() or inner in seen.values()
            go = "*" + inner if not f.required and scalar else inner
            tag = json.dumps(f.name + ("" if f.required else ",omitempty"))
            lines.append(f"\t{fname} {go} `json:{tag}`")
        lines.append("}")
        seen[name] = name
        decls.append("\n".join(lines))
        return name
    if isinstance(t, ObjectType):
        if t.additional is not None and type(t.additional).__name__ != "AnyType":
            return "map[string]" + _go_type(t.additional, name + "Value", decls, seen)
        return "map[string]any"
    return "any"


def types_source(input_schema: Any, output_schema: Any) -> str:
    """``Input`` and ``Output`` from the node's schemas (types of the JSON Schema subset)."""
    decls: list[str] = []
    seen: dict[str, str] = {}
    for name, schema in (("Input", input_schema), ("Output", output_schema)):
        t = type_from_schema(schema if isinstance(schema, dict) else {"type": "object"})
        go = _go_type(t, name, decls, seen)
        if go != name:
            decls.append(f"type {name} = {go}")
    return "package main\n\n" + "\n\n".join(decls) + "\n"


HARNESS_MAIN = r"""package main

// The test harness of a code/go node (generated by nodeforge).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"time"
)

type nfNodeError struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	Retryable bool   `json:"retryable"`
}

type nfResult struct {
	Outputs    map[string]any `json:"outputs"`
	DurationMs float64        `json:"duration_ms"`
}

func main() {
	// The node's prints go to stderr (its logs); the result goes to the real stdout.
	resultFD, err := syscall.Dup(1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness: dup:", err)
		os.Exit(3)
	}
	if err := syscall.Dup3(2, 1, 0); err != nil {
		fmt.Fprintln(os.Stderr, "harness: dup3:", err)
		os.Exit(3)
	}
	result := os.NewFile(uintptr(resultFD), "result")
	var req struct {
		Input     json.RawMessage `json:"input"`
		TimeoutMs int64           `json:"timeout_ms"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "harness: bad request:", err)
		os.Exit(3)
	}
	var in Input
	outputs := map[string]any{}
	start := time.Now()
	if len(req.Input) > 0 && string(req.Input) != "null" {
		if err := json.Unmarshal(req.Input, &in); err != nil {
			outputs["error"] = nfNodeError{Message: "input does not match the node's input_schema: " + err.Error(), Code: "input"}
			write(result, outputs, start)
			return
		}
	}
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := call(ctx, in)
	if err != nil {
		ne := nfNodeError{Message: err.Error(), Code: "internal"}
		if c, ok := err.(interface{ Code() string }); ok {
			ne.Code = c.Code()
		}
		if ctx.Err() != nil {
			ne.Code, ne.Retryable = "timeout", true
		}
		outputs["error"] = ne
	} else {
		outputs["out"] = out
	}
	write(result, outputs, start)
}

func call(ctx context.Context, in Input) (out Output, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return Run(ctx, in)
}

func write(f *os.File, outputs map[string]any, start time.Time) {
	res := nfResult{Outputs: outputs, DurationMs: float64(time.Since(start).Microseconds()) / 1000}
	data, err := json.Marshal(res)
	if err != nil {
		data, _ = json.Marshal(nfResult{Outputs: map[string]any{"error": nfNodeError{Message: "output is not JSON: " + err.Error(), Code: "output"}}})
	}
	f.Write(append(data, '\n'))
}
"""


def code_go_files(config: dict[str, Any]) -> dict[str, str]:
    """The Go files of the harness of a code/go node with ``config``."""
    return {
        "go.mod": f"module nodeforge.dev/harness\n\n{GO_VERSION_LINE}\n",
        "main.go": HARNESS_MAIN,
        "types.go": types_source(config.get("input_schema"), config.get("output_schema")),
        "node.go": user_source(str(config.get("source", ""))),
    }


def harness_key(node_type: str, version: str, files: dict[str, str]) -> str:
    """The cache key: node type, version and the hash of the code (custom code included)."""
    h = hashlib.sha256(f"{HARNESS_VERSION}\0{node_type}\0{version}\0".encode())
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    safe = re.sub(r"[^a-z0-9]+", "-", f"{node_type}-{version}".lower()).strip("-")
    return f"{safe}-{h.hexdigest()[:20]}"


def go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GOFLAGS", "-mod=readonly")
    env.setdefault("GOTOOLCHAIN", "local")
    env["CGO_ENABLED"] = "0"
    return env


def build(
    node_type: str,
    version: str,
    files: dict[str, str] | dict[str, bytes],
    *,
    content_hash: str | None = None,
) -> Harness:
    """The harness binary for ``files``, from the cache or built now (outside the sandbox).

    ``content_hash`` (already computed by the code generator) stands for the files' hash
    in the cache key."""
    if content_hash is not None:
        safe = re.sub(r"[^a-z0-9]+", "-", f"{node_type}-{version}".lower()).strip("-")
        key = f"{safe}-{content_hash[:20]}"
    else:
        key = harness_key(node_type, version, files)  # type: ignore[arg-type]
    root = cache_root()
    final = root / key
    binary = final / "harness"
    if binary.is_file():
        return Harness(binary, key, cached=True)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    go = shutil.which("go") or "/usr/local/go/bin/go"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="build-", dir=root) as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name, data in files.items():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                (src / name).write_bytes(data)
            else:
                (src / name).write_text(data)
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        proc = subprocess.run(
            [go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(out_dir / "harness"), "."],
            cwd=src,
            env=go_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            text = (proc.stderr or proc.stdout).replace(str(src) + "/", "")
            raise BuildError("the node's code does not compile", text.strip())
        os.chmod(out_dir, 0o755)
        os.chmod(out_dir / "harness", 0o755)
        with contextlib.suppress(OSError):  # another process built it meanwhile
            os.rename(out_dir, final)
    prune(root)
    return Harness(binary, key, cached=False, build_ms=(time.monotonic() - started) * 1000)


MAX_CACHED = 256


def prune(root: Path, keep: int = MAX_CACHED) -> None:
    """Drop the least recently built harnesses beyond ``keep``."""
    try:
        entries = [e for e in os.scandir(root) if e.is_dir() and not e.name.startswith("build-")]
    except OSError:
        return
    if len(entries) <= keep:
        return
    entries.sort(key=lambda e: e.stat().st_mtime)
    for entry in entries[: len(entries) - keep]:
        shutil.rmtree(entry.path, ignore_errors=True)


def parse_logs(stderr: bytes, limit: int = 1000) -> list[dict[str, Any]]:
    """The node's stderr as log entries: slog JSON lines parsed, other lines as text."""
    logs: list[dict[str, Any]] = []
    for raw in stderr.decode("utf-8", "replace").splitlines():
        if not raw.strip():
            continue
        if len(logs) >= limit:
            logs.append({"level": "INFO", "msg": "(more log lines cut)"})
            break
        entry: dict[str, Any] | None = None
        if raw.startswith("{"):
            with contextlib.suppress(ValueError):
                parsed = json.loads(raw)
                if isinstance(parsed, dict):
                    entry = parsed
        logs.append(entry if entry is not None else {"level": "INFO", "msg": raw})
    return logs
