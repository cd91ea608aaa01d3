"""The build driver: generate, write only what changed, ``go build``, map errors back.

Build state lives in the workspace's ``.nodeforge/build.json``: ``not built``,
``building``, ``succeeded`` or ``failed``, with the content hash of the generated module,
the hash of each flow file, the node versions compiled in, the binary and the errors.
The generated module goes to ``.nodeforge/gen/`` and the binary to
``.nodeforge/bin/<project>`` unless told otherwise. Builds make one static binary with
the settings of :mod:`nodeforge.sandbox.goflags` (cgo for SQLite's C code where a C
compiler is here, pure Go otherwise) and the user's shared Go build cache, so a rebuild
after a one-node edit recompiles only the flow's package.

Go compiler errors point into flow files thanks to the ``//line`` directives of the
generated code; :func:`map_go_errors` turns them into ``NF900`` diagnostics on the node
(and config string) they come from.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodeforge.analysis.diagnostics import Diagnostic, Severity
from nodeforge.analysis.flow import load_document
from nodeforge.analysis.jsontree import string_offsets
from nodeforge.analysis.text import Span

from .expr_go import CodegenError
from .flowgen import LineMark
from .module import FlowInput, GeneratedModule, collect_flows, generate_module

if TYPE_CHECKING:  # the Go side loads when a build needs it: `generate` never does
    from nodeforge.sandbox.goprogress import GoProgress, ProgressFn

__all__ = [
    "BUILD_CODE",
    "BuildResult",
    "app_env",
    "app_environment",
    "build",
    "generate",
    "go_build_flags",
    "go_env",
    "map_go_errors",
    "read_state",
    "write_module",
    "write_state",
]

BUILD_CODE = "NF900"
STATE_FILE = "build.json"
_MANIFEST = ".nodeforge-files"


@dataclass
class BuildResult:
    state: str  # "succeeded" | "failed"
    root: Path
    out_dir: Path
    binary: Path | None
    module: GeneratedModule | None
    diagnostics: dict[str, list[Diagnostic]] = field(default_factory=dict)  # flow rel -> diags
    flows: dict[str, FlowInput] = field(default_factory=dict)  # every flow compiled in
    requested: list[str] = field(default_factory=list)  # the flows asked for (not their callees)
    written: list[str] = field(default_factory=list)
    output: str = ""  # go build output
    seconds: float = 0.0
    # With user code, the sandboxed compile's status when it was not a compile error:
    # "memory_limit", "timeout", "sandbox_unavailable"... ("" otherwise).
    sandbox_status: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "succeeded"

    @property
    def connectors(self) -> list[str]:
        """The connectors the compiled flows name: the app gets settings for these only."""
        from nodeforge.project.connectors import uses_in_text

        return sorted({name for f in self.flows.values() for _, name in uses_in_text(f.text)})


def state_dir(root: Path) -> Path:
    return root / ".nodeforge"


def read_state(root: Path) -> dict[str, Any]:
    """The build state of a workspace (``{"state": "not built"}`` before any build)."""
    path = state_dir(root) / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {"state": "not built"}
    except (OSError, ValueError):
        return {"state": "not built"}


def write_state(root: Path, data: dict[str, Any]) -> None:
    """Write ``.nodeforge/build.json`` (atomically); a remote build's result is
    recorded through here too (:mod:`nodeforge.worker.pool`)."""
    d = state_dir(root)
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(d / STATE_FILE)


def write_module(module: GeneratedModule, out_dir: Path) -> list[str]:
    """Write the module's files whose bytes changed; remove files a previous generation
    wrote that are gone now. Returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for rel, data in sorted(module.files.items()):
        path = out_dir / rel
        try:
            if path.read_bytes() == data:
                continue
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        written.append(rel)
    manifest = out_dir / _MANIFEST
    try:
        previous = manifest.read_text(encoding="utf-8").splitlines()
    except OSError:
        previous = []
    for rel in previous:
        if rel and rel not in module.files and ".." not in rel:
            (out_dir / rel).unlink(missing_ok=True)
    text = "\n".join(sorted(module.files)) + "\n"
    if not manifest.exists() or manifest.read_text(encoding="utf-8") != text:
        manifest.write_text(text, encoding="utf-8")
    return written


def go_build_flags(debug: bool = False) -> list[str]:
    """``go build`` flags of an app: reproducible paths, static, and stripped of the
    symbol table and DWARF (about a third of a binary) unless ``debug``."""
    from nodeforge.sandbox.goflags import link_flags

    return ["-trimpath", f"-ldflags={link_flags(strip=not debug)}"]


def go_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    from nodeforge.sandbox.goflags import go_env_vars

    env = dict(os.environ)
    env.update(go_env_vars())
    if extra:
        env.update(extra)
    return env


def generate(path: Path, out_dir: Path | None = None) -> BuildResult:
    """Generate the module of ``path`` (a workspace folder or one flow file)."""
    root, flows = collect_flows(path)
    root = root or path
    out = out_dir or state_dir(root) / "gen"
    result = BuildResult("failed", root, out, None, None, flows={f.rel: f for f in flows})
    result.requested = [f.rel for f in flows]
    try:
        module = generate_module(root, flows)
    except CodegenError as exc:
        result.output = str(exc)
        result.diagnostics = {"": [Diagnostic(BUILD_CODE, str(exc), Severity.ERROR, Span(0, 0))]}
        return result
    result.module = module
    result.flows = {f.rel: f for f in module.flows}
    if not module.ok:
        result.diagnostics = module.diagnostics
        return result
    result.written = write_module(module, out)
    result.state = "succeeded"
    return result


def build(
    path: Path,
    *,
    out_dir: Path | None = None,
    binary: Path | None = None,
    timeout: float = 600.0,
    unsafe_no_sandbox: bool = False,
    debug: bool = False,
    progress: ProgressFn | None = None,
) -> BuildResult:
    """Generate and ``go build``; records the build state in ``.nodeforge/``.

    ``progress`` is called with the build's :class:`~nodeforge.sandbox.goprogress.BuildProgress`
    (stage, packages compiled, elapsed) as it goes, at most twice a second, and once at
    the end: the command line prints it, the language server and the workers report it.

    Release builds are stripped of the symbol table and DWARF (:func:`go_build_flags`;
    stack traces keep function names and lines); ``debug`` keeps both for debuggers
    and profilers that read symbols.

    A module with user code (``code/go`` nodes, forks) is compiled inside the sandbox
    (:mod:`nodeforge.sandbox.gobuild`) and refused where it cannot be set up, unless
    ``unsafe_no_sandbox`` (the command line's explicit flag; never the server). One of
    catalog nodes only is trusted code and builds outside, with the shared Go cache."""
    from nodeforge.sandbox.goprogress import GoProgress, run_go

    started = time.monotonic()
    tracker = GoProgress(progress)
    tracker.stage("generating Go")
    root, _ = collect_flows(path)
    root = root or path
    state: dict[str, Any] = {
        "state": "building",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_state(root, state)
    result = generate(path, out_dir)
    module = result.module
    if result.ok and module is not None:
        binary = binary or state_dir(root) / "bin" / module.project
        binary.parent.mkdir(parents=True, exist_ok=True)
        import shutil  # (imported when a build runs: it brings lzma, bz2 and more)

        go = shutil.which("go")
        if go is None:
            result.state = "failed"
            result.output = "Go is not installed: `go` is not on PATH"
        elif module.user_code:
            _build_untrusted(result, module, root, binary, unsafe_no_sandbox, debug, tracker)
        else:
            tracker.stage("compiling")
            code, result.output = run_go(
                [go, "build", *go_build_flags(debug), "-v", "-o", str(binary.resolve()), "."],
                cwd=result.out_dir,
                env=go_env(),
                timeout=timeout,
                progress=tracker,
            )
            if code == 0:
                result.binary = binary
            else:
                result.state = "failed"
                if code is None:
                    result.output = f"go build ran longer than {timeout:g} s\n{result.output}"
                result.diagnostics = map_go_errors(result.output, module, result.flows)
    tracker.state.stage = "built" if result.ok else "failed"
    tracker.finish()
    result.seconds = time.monotonic() - started
    state.update(
        state=result.state,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(result.seconds, 3),
        content_hash=module.content_hash if module else None,
        flows={rel: hashlib.sha256(f.text.encode()).hexdigest() for rel, f in result.flows.items()},
        node_versions=dict(sorted(module.node_versions.items())) if module else {},
        binary=str(result.binary) if result.binary else None,
        debug=debug,
        module=str(result.out_dir),
        errors=[
            {"flow": rel, "code": d.code, "message": d.message}
            for rel, ds in sorted(result.diagnostics.items())
            for d in ds
        ]
        + (
            [{"flow": "", "code": BUILD_CODE, "message": result.output}]
            if result.state == "failed" and not result.diagnostics and result.output
            else []
        ),
    )
    write_state(root, state)
    return result


def _build_untrusted(
    result: BuildResult,
    module: GeneratedModule,
    root: Path,
    binary: Path,
    unsafe: bool,
    debug: bool = False,
    progress: GoProgress | None = None,
) -> None:
    from nodeforge.sandbox.gobuild import build_module
    from nodeforge.sandbox.goflags import link_flags

    names = module.user_code
    label = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    built = build_module(
        module.files,
        binary.resolve(),
        workspace=root,
        label=label,
        trusted_packages=module.trusted_packages,
        unsafe_no_sandbox=unsafe,
        ldflags=link_flags(strip=not debug),
        progress=progress,
    )
    result.output = built.output
    if built.ok:
        result.binary = binary
        return
    result.state = "failed"
    if built.status == "node_error" and built.output:
        result.diagnostics = map_go_errors(result.output, module, result.flows)
        return
    result.sandbox_status = "" if built.status == "node_error" else str(built.status)
    result.output = f"{built.status}: {built.message}" + (
        f"\n{built.output}" if built.output else ""
    )


_GO_ERROR = re.compile(r"^(?:\./)?(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$")


def map_go_errors(
    output: str, module: GeneratedModule, flows: dict[str, FlowInput]
) -> dict[str, list[Diagnostic]]:
    """Go compiler errors -> diagnostics on the flow nodes they come from. Errors that
    point into generated Go files (a generator bug) are reported on the flow's first line
    with the Go position in the message."""
    out: dict[str, list[Diagnostic]] = {}
    for raw in output.splitlines():
        m = _GO_ERROR.match(raw.strip())
        if m is None:
            continue
        file, line, col, msg = m["file"], int(m["line"]), int(m["col"]), m["msg"]
        code = module.code_sources.get(file.removeprefix("./"))
        if code is not None and code[0] in flows:
            # In the Go code of a code/go node: a line of its `source`.
            flow_rel, code_node, offset = code
            line -= offset
            span = _locate_source(flows[flow_rel], code_node, line, col)
            message = f"Go build error in node `{code_node}` (source line {line}): {msg}"
            out.setdefault(flow_rel, []).append(
                Diagnostic(BUILD_CODE, message, Severity.ERROR, span, data={"go": raw.strip()})
            )
            continue
        rel = next((r for r in flows if r == file or file.endswith("/" + r)), None)
        if rel is None:
            base = os.path.basename(file)
            rel = next((r for r in flows if os.path.basename(r) == base), None)
        if rel is not None:
            span, where = _locate(flows[rel], module.marks.get(rel, []), line, col)
            message = f"Go build error{where}: {msg}"
            out.setdefault(rel, []).append(
                Diagnostic(BUILD_CODE, message, Severity.ERROR, span, data={"go": raw.strip()})
            )
        else:
            target = next(iter(flows), "")
            out.setdefault(target, []).append(
                Diagnostic(
                    BUILD_CODE,
                    f"Go build error in generated code (a generator bug): {raw.strip()}",
                    Severity.ERROR,
                    Span(0, 0),
                )
            )
    return out


def _locate(flow: FlowInput, marks: list[LineMark], line: int, col: int) -> tuple[Span, str]:
    doc = load_document(flow.text, flow.path.as_uri())
    exact = [m for m in marks if m.line == line]
    mark = exact[-1] if exact else None
    if mark is None:
        before = [m for m in marks if m.line <= line]
        mark = max(before, key=lambda m: m.line) if before else None
    if mark is None:
        return Span(0, 0), ""
    node = doc.node_by_id(mark.node_id)
    if node is None:
        return Span(0, 0), ""
    path = (*node.path, "config", *mark.config_path) if mark.config_path else node.path
    span = doc.span_of(path)
    where = f" in node `{mark.node_id}`"
    if mark.config_path:
        where += " (" + ".".join(str(p) for p in mark.config_path) + ")"
    if not mark.config_path:
        span = doc.key_span((*node.path, "id")) if node.id else span
    return span, where


def _locate_source(flow: FlowInput, node_id: str, line: int, col: int) -> Span:
    """The range, inside the JSON string of a code/go node's ``source``, of the token at
    Go position ``line:col`` (1-based; columns count bytes) of that source."""
    doc = load_document(flow.text, flow.path.as_uri())
    node = doc.node_by_id(node_id)
    if node is None:
        return Span(0, 0)
    token = doc.span_of((*node.path, "config", "source"))
    source = node.config.get("source")
    raw = doc.text[token.start : token.end]
    if not isinstance(source, str) or not raw.startswith('"'):
        return token
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return token
    text = lines[line - 1]
    column = len(text.encode()[: max(col - 1, 0)].decode(errors="ignore"))
    start = sum(len(x) + 1 for x in lines[: line - 1]) + min(column, len(text))
    word = re.match(r"\w+|\S?", text[min(column, len(text)) :])
    end = start + max(len(word.group(0)) if word else 0, 1)
    offsets = string_offsets(raw)
    return Span(
        token.start + offsets[min(start, len(offsets) - 1)],
        token.start + offsets[min(end, len(offsets) - 1)],
    )


def app_env(
    root: Path,
    data_dir: Path | None = None,
    *,
    connectors: Iterable[str] | None = None,
    inherited: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The connector settings a built app runs with: the decrypted settings of
    ``connectors`` (default: every stored one), each SQLite connector's file under
    ``data_dir`` (default ``.nodeforge/data``) and its schema from ``db/<name>.sql`` when
    the workspace has one. Connector variables of those connectors already set in
    ``inherited`` (default: this process's environment) win."""
    from nodeforge.analysis.workspace import load_workspace
    from nodeforge.project.connectors import Store, runtime_env, setting_prefix

    inherited = os.environ if inherited is None else inherited
    ws = load_workspace(root)
    data = data_dir or state_dir(root) / "data"
    stored = Store(root).names()
    used = set(stored) | set(ws.connectors) if connectors is None else set(connectors)
    # Settings stored with `nodeforge connector add` (decrypted only into this process
    # environment), then a private SQLite file for SQLite connectors without a path.
    env: dict[str, str] = runtime_env(root, sorted(used & set(stored)))
    for name, kind in sorted(ws.connectors.items()):
        if kind != "sqlite" or name not in used:
            continue
        data.mkdir(parents=True, exist_ok=True)
        if data_dir is not None or _setting(name, "path") not in env:  # tests: fresh files
            env[_setting(name, "path")] = str(data / f"{name}.db")
        schema = root / "db" / f"{name}.sql"
        if schema.is_file():
            env.setdefault(_setting(name, "schema"), str(schema))
    if "NODEFORGE_RECORDS_PATH" not in inherited:
        # The app's execution records, beside its data (`nodeforge runs` reads them).
        data.mkdir(parents=True, exist_ok=True)
        env["NODEFORGE_RECORDS_PATH"] = str(data / "records.db")
    prefixes = tuple(setting_prefix(name) for name in used)
    for key, value in inherited.items():
        if prefixes and key.startswith(prefixes):
            env[key] = value
    return env


def app_environment(
    root: Path,
    connectors: Iterable[str] | None,
    *,
    data_dir: Path | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment of a built app's process; every launcher uses it
    (``nodeforge run``, ``test``, ``watch``, ``connector exec``, the language server's
    run). It is ``base`` (default: this process's environment) without the connector key
    (``NODEFORGE_SECRET_KEY``, ``NODEFORGE_KEY_DIR``) and without any connector variable,
    plus :func:`app_env` for ``connectors``, the ones the app uses (None: all)."""
    from nodeforge.project.connectors import KEY_DIR_ENV, KEY_ENV, SETTING_PREFIX

    source = dict(os.environ if base is None else base)
    env = {
        k: v
        for k, v in source.items()
        if k not in (KEY_ENV, KEY_DIR_ENV) and not k.startswith(SETTING_PREFIX)
    }
    env.update(app_env(root, data_dir, connectors=connectors, inherited=source))
    return env


def _setting(connector: str, key: str) -> str:
    return f"NODEFORGE_CONNECTOR_{connector.upper()}_{key.upper()}"
