"""``nodeforge node test KIT``: check a node kit end to end.

For the kit of one node version (its folder, or ``TYPE@VERSION``):

1. its manifest loads and checks (problems are located in ``node.json``);
2. its call-site template renders and the generated Go compiles (a template error is
   located at ``call.go.j2:LINE``; a compile error names the kit);
3. its Go unit tests pass (``go vet`` and ``go test`` of its package): for kits of the
   built-in pack directly; a workspace or installed pack's tests are user code,
   compiled (``go vet``, ``go test -c``) and run inside the sandbox (:mod:`gobuild`);
   messages name the kit's files (``nodes/greet/greet.go:12:3``);
4. for each example in its manifest (config, input, expected outputs), the simulation
   and the compiled executor (a one-node app built and run in the sandbox, as
   ``test-node`` does) both give the expected outputs. A kit whose simulation is
   ``io`` compares the executor only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeforge.analysis.catalog import CatalogError, KitExample, NodeManifest
from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.kits import Kit, kit_of
from nodeforge.analysis.workspace import Workspace, find_root, load_workspace
from nodeforge.sandbox.goflags import go_env_vars

__all__ = [
    "KitTestResult",
    "Step",
    "check_kit",
    "find_kit",
    "kit_module",
    "locate_go_output",
    "sandboxed_go_tests",
]

NODE_ID = "node"
TRIGGER_ID = "start"
ERROR_SINK_ID = "caught"


@dataclass
class Step:
    name: str
    ok: bool
    detail: str = ""
    skipped: bool = False


@dataclass
class KitTestResult:
    kit: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kit": self.kit,
            "ok": self.ok,
            "steps": [
                {"name": s.name, "ok": s.ok, "skipped": s.skipped, "detail": s.detail}
                for s in self.steps
            ],
        }


def find_kit(ref: str, cwd: Path) -> tuple[Kit, Workspace]:
    """The kit named by ``ref``: a kit folder (or its ``node.json``), or ``TYPE@VERSION``
    (``TYPE`` alone: its latest version) in the workspace at or above ``cwd``. Raises
    :class:`CatalogError` for broken manifests and ``ValueError`` for an unknown kit."""
    path = Path(ref)
    if path.name == "node.json":
        path = path.parent
    if path.is_dir():
        folder = path.resolve()
        workspace = load_workspace(find_root(folder))
        for manifest in workspace.catalog.all():
            if manifest.path.parent.resolve() == folder:
                return kit_of(manifest), workspace
        raise ValueError(f"{ref}: no node.json of the catalog is in this folder")
    workspace = load_workspace(find_root(cwd))
    type_, _, version = ref.partition("@")
    found = workspace.catalog.get(type_, version) if version else workspace.catalog.latest(type_)
    if found is None:
        raise ValueError(f"no node kit `{ref}` in the catalog")
    return kit_of(found), workspace


def schema_of(value: Any) -> dict[str, Any]:
    """The JSON Schema of a value's shape (objects with every field required), so that
    the node under test sees typed data, as it does in a flow."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        return {"type": "array", "items": schema_of(value[0]) if value else {}}
    if isinstance(value, dict):
        return {
            "type": "object",
            "properties": {str(k): schema_of(v) for k, v in value.items()},
            "required": [str(k) for k in value],
        }
    return {}


def harness_flow(
    manifest: NodeManifest,
    config: dict[str, Any],
    input_value: Any = None,
    *,
    catch_errors: bool = False,
) -> dict[str, Any]:
    """A flow running the node alone from a manual trigger whose input has the shape of
    ``input_value``. ``catch_errors``: its ``error`` port (if any) is connected to a
    ``util/log`` node, so that a failure is emitted there instead of failing the
    execution (the simulator then records the error value)."""
    trigger = {"input_schema": schema_of(input_value)} if isinstance(input_value, dict) else {}
    nodes: list[dict[str, Any]] = [
        {"id": TRIGGER_ID, "type": "trigger/manual", "version": "1.0.0", "config": trigger},
        {"id": NODE_ID, "type": manifest.type, "version": manifest.version, "config": config},
    ]
    connections = []
    if manifest.inputs:
        port = next(iter(manifest.inputs))
        connections.append({"from": f"{TRIGGER_ID}.out", "to": f"{NODE_ID}.{port}"})
    if catch_errors and "error" in manifest.outputs:
        nodes.append(
            {
                "id": ERROR_SINK_ID,
                "type": "util/log",
                "version": "1.0.0",
                "config": {"message": "node error"},
            }
        )
        connections.append({"from": f"{NODE_ID}.error", "to": f"{ERROR_SINK_ID}.in"})
    return {
        "nodeforge": "1",
        "id": "nf_kit_test",
        "name": f"test of {manifest.type} {manifest.version}",
        "nodes": nodes,
        "connections": connections,
    }


def _analysis(workspace: Workspace, flow: dict[str, Any]) -> Analysis:
    root = workspace.root or Path(tempfile.gettempdir())
    uri = (root / "nf_kit_test.flow.json").as_uri()
    return analyze(json.dumps(flow, indent=2), uri, None, workspace)


def check_kit(
    ref: str, cwd: Path, *, unsafe_no_sandbox: bool = False, go_tests: bool = True
) -> KitTestResult:
    try:
        kit, workspace = find_kit(ref, cwd)
    except CatalogError as exc:
        result = KitTestResult(ref)
        result.steps.append(Step("manifest", False, "\n".join(str(p) for p in exc.problems)))
        return result
    m = kit.manifest
    result = KitTestResult(f"{m.type} {m.version} ({kit.folder})")
    result.steps.append(Step("manifest", True, str(m.path)))
    examples = list(m.examples) or [KitExample(name="default config", config=m.default_config())]
    if not m.structural:
        result.steps.append(_generates(kit, workspace, examples[0]))
    if go_tests:
        result.steps.append(_go_tests(kit, workspace, unsafe_no_sandbox))
    for example in m.examples:
        result.steps.extend(_example(kit, workspace, example, unsafe_no_sandbox))
    return result


def _generates(kit: Kit, workspace: Workspace, example: KitExample) -> Step:
    """Render the kit's template for a node with the example's config (connectors it
    names are declared for the test, as the kit's manifest allows)."""
    from nodeforge.codegen.expr_go import CodegenError
    from nodeforge.codegen.flowgen import generate_flow
    from nodeforge.codegen.gotypes import GoTypes

    m = kit.manifest
    connectors = dict(workspace.connectors)
    name = example.config.get("connector")
    if isinstance(name, str) and m.connectors:
        connectors.setdefault(name, m.connectors[0])
    ws = dataclasses.replace(workspace, connectors=connectors)
    analysis = _analysis(ws, harness_flow(m, example.config, example.input))
    errors = [d for d in analysis.diagnostics if d.severity == Severity.ERROR]
    if errors:
        detail = "; ".join(f"{d.code}: {d.message}" for d in errors)
        return Step("template", False, f"the config {example.name!r} does not check: {detail}")
    try:
        generate_flow(analysis, "nf_kit_test.flow.json", GoTypes(), connectors)
    except CodegenError as exc:
        return Step("template", False, str(exc))
    return Step("template", True, f"{kit.template.name} renders ({example.name})")


def _go_tests(kit: Kit, workspace: Workspace, unsafe_no_sandbox: bool) -> Step:
    """``go vet`` and ``go test`` of the kit's package: a built-in kit's directly in the
    catalog (trusted code); any other pack's inside the sandbox (:func:`_sandboxed_tests`)."""
    from nodeforge.codegen.module import catalog_dir

    if not kit.has_executor():
        return Step("go test", True, "no Go executor", skipped=True)
    go = shutil.which("go")
    if go is None:
        return Step("go test", False, "the Go toolchain is not installed")
    rel = f"./{kit.manifest.type}/{kit.manifest.version}"
    if kit.pack.origin != "builtin":
        return _sandboxed_tests(kit, workspace, rel, unsafe_no_sandbox)
    env = {**os.environ, **go_env_vars(cgo=False)}  # as the sandboxed kit tests
    for argv in (["vet", rel], ["test", "-count=1", rel]):
        proc = subprocess.run(
            [go, *argv], cwd=catalog_dir(), env=env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            return Step(f"go {argv[0]}", False, locate_go_output(proc.stdout + proc.stderr, kit))
    return Step("go test", True, f"go vet and go test {rel}")


#: What a kit's package imports from the trusted side (compiled before the sandboxed
#: build, so that the sandbox finds them in the build cache).
KIT_TRUSTED_PACKAGES = ("nodeforge.dev/catalog/nf", "testing", "context", "encoding/json")


def kit_module(kit: Kit, package_files: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """The Go module a kit's package is compiled in: the catalog's ``go.mod``/``go.sum``
    and ``nf`` runtime package (without its tests), and the kit's folder as the package
    ``./TYPE/VERSION`` (read through :mod:`nodefiles`: no links, capped), or
    ``package_files`` in its place (a proposed change of the kit's files)."""
    from nodeforge.analysis import nodefiles
    from nodeforge.codegen.module import catalog_dir

    cat = catalog_dir()
    files: dict[str, bytes] = {name: (cat / name).read_bytes() for name in ("go.mod", "go.sum")}
    for src in sorted((cat / "nf").glob("*.go")):
        if not src.name.endswith("_test.go"):
            files[f"nf/{src.name}"] = src.read_bytes()
    dest = f"{kit.manifest.type}/{kit.manifest.version}"
    if package_files is None:
        package_files = nodefiles.read_folder(kit.folder)
    for name, data in package_files.items():
        files[f"{dest}/{name}"] = data
    return files


def _sandboxed_tests(kit: Kit, workspace: Workspace, rel: str, unsafe_no_sandbox: bool) -> Step:
    from nodeforge.analysis import nodefiles

    try:
        package_files = nodefiles.read_folder(kit.folder)
    except OSError as exc:
        return Step("go test", False, str(exc))
    return sandboxed_go_tests(kit, workspace, package_files, unsafe_no_sandbox=unsafe_no_sandbox)


def sandboxed_go_tests(
    kit: Kit,
    workspace: Workspace,
    package_files: Mapping[str, bytes],
    *,
    unsafe_no_sandbox: bool = False,
) -> Step:
    """``go vet`` and ``go test`` of a kit's package whose files are ``package_files``
    (its folder's, or a proposed change of them): user code, so ``go vet`` and
    ``go test -c`` compile inside the sandbox (:mod:`gobuild`: limits, read-only module
    cache) and the test binary runs inside it (:func:`gobuild.run_test_binary`)."""
    from nodeforge.sandbox import gobuild
    from nodeforge.sandbox.runner import Status

    m = kit.manifest
    rel = f"./{m.type}/{m.version}"
    files = kit_module(kit, package_files)
    label = f"the Go package of {m.type} {m.version} ({kit.folder})"
    common: dict[str, Any] = {
        "workspace": workspace.root,
        "label": label,
        "package": rel,
        "trusted_packages": KIT_TRUSTED_PACKAGES,
        "unsafe_no_sandbox": unsafe_no_sandbox,
        "cgo": False,  # the test binary runs inside the sandbox (see goflags)
    }
    vet = gobuild.vet_module(files, **common)
    if not vet.ok:
        return Step("go vet", False, _build_failure(vet, kit))
    if not any(name.endswith("_test.go") for name in package_files if "/" not in name):
        return Step("go test", True, "go vet (sandboxed); the kit has no Go tests", skipped=True)
    with tempfile.TemporaryDirectory(prefix="nodeforge-kit-") as tmp:
        binary = Path(tmp) / "pkg.test"
        built = gobuild.build_module(files, binary, test=True, **common)
        if not built.ok:
            return Step("go test", False, _build_failure(built, kit))
        run = gobuild.run_test_binary(
            binary, package_files=package_files, unsafe_no_sandbox=unsafe_no_sandbox
        )
    output = (run.stdout + run.stderr).decode("utf-8", "replace").strip()
    where = "sandboxed" if run.confined else "UNCONFINED (--unsafe-no-sandbox)"
    if run.status == Status.OK:
        passed = re.findall(r"^--- PASS: (\S+)", output, re.M)
        ran = f": {', '.join(passed)} passed" if passed else ""
        return Step("go test", True, f"go vet and go test {rel} ({where}){ran}")
    if run.status == Status.NODE_ERROR:
        return Step("go test", False, locate_go_output(output, kit))
    return Step("go test", False, f"{run.status}: {run.message}\n{output}".strip())


def _build_failure(built: Any, kit: Kit) -> str:
    """The compiler's or vet's messages, located; else why it did not run (a limit, no
    sandbox)."""
    text = locate_go_output(built.output, kit)
    if built.status == "node_error" and text:
        return text
    return "\n".join(part for part in (built.message, text) if part) or str(built.status)


_GO_FILE_REF = re.compile(r"(?<![\w/.-])(?:\./)?([\w.-]+\.go):(\d+)")


def locate_go_output(text: str, kit: Kit) -> str:
    """Go's messages about the kit's package with its files named by their path
    (``nodes/greet/greet.go:12:3: ...``, relative to the working folder where possible):
    the compiler names them relative to the module (``acme/greet/1.0.0/greet.go``), the
    test runner by file name alone (``greet_test.go:12``)."""
    folder = _shown(kit.folder)
    package = f"{kit.manifest.type}/{kit.manifest.version}/"
    text = text.replace(f"./{package}", package).replace(package, f"{folder}/")
    names = {p.name for p in kit.folder.glob("*.go")}

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"{folder}/{name}:{match.group(2)}" if name in names else match.group(0)

    return _GO_FILE_REF.sub(sub, text).strip()


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it is under it, else absolute."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _example(
    kit: Kit, workspace: Workspace, example: KitExample, unsafe_no_sandbox: bool
) -> list[Step]:
    from nodeforge.sandbox.nodetest import run_node_test
    from nodeforge.sandbox.runner import Status
    from nodeforge.sandbox.simulate import simulate

    steps: list[Step] = []
    analysis = _analysis(workspace, harness_flow(kit.manifest, example.config, example.input))
    errors = [d for d in analysis.diagnostics if d.severity == Severity.ERROR]
    if errors:
        detail = "; ".join(f"{d.code}: {d.message}" for d in errors)
        return [Step(f"example {example.name!r}", False, f"the example does not check: {detail}")]
    want = example.outputs
    spec = kit.manifest.simulation
    if spec is not None and spec.kind == "io":
        steps.append(
            Step(f"simulation of {example.name!r}", True, f"not simulated: {spec.reason}", True)
        )
    else:
        caught = harness_flow(kit.manifest, example.config, example.input, catch_errors=True)
        sim = simulate(_analysis(workspace, caught), example.input)
        node = sim["nodes"].get(NODE_ID, {})
        got = node.get("outputs", {})
        if not node.get("faithful", True) or node.get("status") == "simulated":
            steps.append(
                Step(f"simulation of {example.name!r}", False, node.get("reason", "not simulated"))
            )
        else:
            steps.append(_compare(f"simulation of {example.name!r}", got, want))
    test = run_node_test(analysis, NODE_ID, example.input, unsafe_no_sandbox=unsafe_no_sandbox)
    if test.status not in (Status.OK, Status.NODE_ERROR):
        steps.append(Step(f"executor on {example.name!r}", False, test.message or test.status))
    elif test.build_errors:
        steps.append(Step(f"executor on {example.name!r}", False, test.build_errors))
    else:
        steps.append(_compare(f"executor on {example.name!r}", test.outputs, want))
    return steps


def _compare(name: str, got: dict[str, Any], want: dict[str, Any]) -> Step:
    if _same(got, want):
        return Step(name, True, json.dumps(got, ensure_ascii=False, sort_keys=True))
    return Step(
        name,
        False,
        f"expected {json.dumps(want, ensure_ascii=False, sort_keys=True)}, "
        f"got {json.dumps(got, ensure_ascii=False, sort_keys=True)}",
    )


def _same(a: Any, b: Any) -> bool:
    """JSON equality with numbers compared by value (``1`` equals ``1.0``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
