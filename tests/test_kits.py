"""Node kits and packs (docs/writing-nodes.md): a kit written from the guide alone, in a
workspace pack, checks, completes, hovers, simulates, builds, runs and passes
``nodeforge node test`` without touching anything outside its folder; every standard
kit passes ``node test``; forks generate and simulate like their base; installed packs
are found through their entry point; untrusted templates render sandboxed."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis import kits
from nodeforge.analysis import workspace as wsmod
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.ide.completion import completion
from nodeforge.analysis.ide.hover import hover
from nodeforge.analysis.workspace import load_workspace, standard_catalog
from nodeforge.codegen.expr_go import CodegenError
from nodeforge.codegen.flowgen import generate_flow, go_package
from nodeforge.codegen.gotypes import GoTypes
from nodeforge.project.fork import fork_node
from nodeforge.sandbox.kittest import check_kit, harness_flow
from nodeforge.sandbox.simulate import simulate
from tests.test_build_support import built, needs_go, run_app

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "writing-nodes.md"
CONNECTORS = {
    "sqlite": "db",
    "postgres": "db",
    "smtp": "mail",
    "whatsapp": "wa",
    "llm": "ai",
    "nats": "bus",
}
TOML = (
    '[project]\nname = "kits"\n[codegen]\ntracing = false\n'
    '[connectors.db]\ntype = "sqlite"\n[connectors.mail]\ntype = "smtp"\n'
    '[connectors.wa]\ntype = "whatsapp"\n[connectors.ai]\ntype = "llm"\n'
    '[connectors.bus]\ntype = "nats"\n'
)


def guide_files() -> dict[str, str]:
    """The files the guide shows, by path (``<!-- file: PATH -->`` before a block)."""
    found = re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)\n```", GUIDE.read_text(), re.S)
    return {path: text + "\n" for path, text in found}


def tree_digest(root: Path, skip: Path | None = None) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or ".nodeforge" in path.parts:
            continue
        if skip is not None and skip in path.parents:
            continue
        out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def core_digest() -> dict[str, str]:
    digest: dict[str, str] = {}
    for layer in ("analysis", "codegen", "sandbox", "catalog", "nodeforge", "server"):
        digest.update({f"{layer}/{k}": v for k, v in tree_digest(REPO / layer).items()})
    return digest


@pytest.fixture(scope="module")
def guide_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("guide")
    (root / "nodeforge.toml").write_text('[project]\nname = "guide"\n[codegen]\ntracing = false\n')
    for rel, text in guide_files().items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_guide_shows_a_whole_kit() -> None:
    files = guide_files()
    assert {"nodes/envelope/node.json", "nodes/envelope/call.go.j2"} <= set(files)
    assert "nodes/envelope/envelope.go" in files and "flows/post.flow.json" in files


def test_the_guide_kit_checks_completes_hovers_and_simulates(guide_ws: Path) -> None:
    ws = load_workspace(guide_ws)
    flow = guide_ws / "flows" / "post.flow.json"
    text = flow.read_text()
    a = analyze(text, flow.as_uri(), None, ws)
    assert [d.message for d in a.diagnostics] == []
    # completion of the type offers the kit, hover shows its title
    at = text.index('"acme/envelope"') + 1
    labels = [i.label for i in completion(a, at + 5).items]
    assert any("acme/envelope" in label for label in labels)
    shown = hover(a, at + 3)
    assert shown is not None and "Envelope" in shown.markdown
    result = simulate(a, {"id": 7})
    assert result["faithful"], result.get("unfaithful")
    assert result["nodes"]["wrap"]["outputs"]["out"] == {
        "subject": "order 7",
        "source": "shop",
        "data": {"id": 7},
    }
    # a broken use is an error located on the node's config
    broken = text.replace('"source": "shop"', '"source": 3')
    b = analyze(broken, flow.as_uri(), None, ws)
    assert any("source" in d.message or "string" in d.message for d in b.diagnostics)


@needs_go
def test_the_guide_kit_passes_node_test_builds_and_runs(guide_ws: Path) -> None:
    before = core_digest()
    outside = tree_digest(guide_ws, skip=guide_ws / "nodes" / "envelope")
    result = check_kit(str(guide_ws / "nodes" / "envelope"), guide_ws)
    assert result.ok, result.as_dict()
    names = [s.name for s in result.steps if not s.skipped]
    assert "simulation of 'wraps an order'" in names and "executor on 'wraps an order'" in names
    build = built(guide_ws)
    assert build.binary is not None
    got, _ = run_app(build.binary, "post", "start", {"id": 7})
    assert got["body"] == {"subject": "order 7", "source": "shop", "data": {"id": 7}}
    # Nothing outside the kit's folder was touched: not Nodeforge, not the workspace.
    assert core_digest() == before
    assert tree_digest(guide_ws, skip=guide_ws / "nodes" / "envelope") == outside


@needs_go
def test_node_new_scaffolds_a_kit_that_passes_node_test(tmp_path: Path) -> None:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "n"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "nodeforge", "node", "new", "acme/greet", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "nodeforge", "node", "test", "nodes/greet", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["ok"]


STANDARD = [m for m in standard_catalog().all()]


@needs_go
@pytest.mark.parametrize("manifest", STANDARD, ids=lambda m: f"{m.type}@{m.version}")
def test_every_standard_kit_passes_node_test(manifest: Any, tmp_path: Path) -> None:
    result = check_kit(f"{manifest.type}@{manifest.version}", tmp_path)
    assert result.ok, result.as_dict()


def _config(manifest: Any) -> dict[str, Any]:
    config = dict(manifest.examples[0].config) if manifest.examples else manifest.default_config()
    if manifest.connectors:
        config["connector"] = CONNECTORS[manifest.connectors[0]]
    return config


LEAVES = [m for m in STANDARD if not m.structural]


def test_a_fork_of_every_standard_leaf_generates_and_simulates_like_its_base(
    tmp_path: Path,
) -> None:
    (tmp_path / "nodeforge.toml").write_text(TOML)
    forks = {}
    for i, m in enumerate(LEAVES):
        forks[m.key] = fork_node(tmp_path, f"{m.type}@{m.version}", f"acme/f{i}").type
    ws = load_workspace(tmp_path)
    for m in LEAVES:
        config = _config(m)
        example_input = m.examples[0].input if m.examples else {"x": 1}
        codes = []
        sims = []
        for type_ in (m.type, forks[m.key]):
            flow = harness_flow(ws.catalog.get(type_, m.version), config, example_input)
            a = analyze(json.dumps(flow), (tmp_path / "f.flow.json").as_uri(), None, ws)
            assert not [d for d in a.diagnostics if d.severity == 1], (type_, a.diagnostics)
            code, _ = generate_flow(a, "f.flow.json", GoTypes(), ws.connectors)
            text = "\n".join(code.head + code.nodes)
            text = text.replace(go_package(forks[m.key]), go_package(m.type))
            text = text.replace(forks[m.key], m.type)
            # //line columns follow the flow text, where the type names differ in length
            codes.append(re.sub(r"(//line \S+):\d+:\d+", r"\1", text))
            result = simulate(a, example_input)
            sims.append((result["faithful"], result["nodes"]["node"]["outputs"]))
        assert codes[0] == codes[1], f"{m.type}@{m.version}"
        assert sims[0] == sims[1], f"{m.type}@{m.version}"


def _pack(tmp_path: Path, template: str) -> Path:
    """An installed distribution `acme-nodes` with one kit, acme/echo 1.0.0."""
    site = tmp_path / "site"
    kit = site / "acme_nodes" / "acme" / "echo" / "1.0.0"
    kit.mkdir(parents=True)
    (site / "acme_nodes" / "__init__.py").write_text("")
    guide = json.loads(guide_files()["nodes/envelope/node.json"])
    guide.update(type="acme/echo", title="Echo")
    (kit / "node.json").write_text(json.dumps(guide))
    (kit / "call.go.j2").write_text(template)
    go = guide_files()["nodes/envelope/envelope.go"].replace("acmeenvelope", "acmeecho")
    (kit / "echo.go").write_text(go)
    dist = site / "acme_nodes-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-nodes\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[nodeforge.nodes]\nacme = acme_nodes\n")
    return site


@pytest.fixture
def clean_packs() -> Any:
    def clear() -> None:
        kits.installed_packs.cache_clear()
        kits.trusted_simulation_digests.cache_clear()
        wsmod.installed_catalog.cache_clear()

    clear()
    yield
    clear()


def test_an_installed_pack_is_found_through_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_packs: Any
) -> None:
    template = guide_files()["nodes/envelope/call.go.j2"]
    monkeypatch.syspath_prepend(str(_pack(tmp_path, template)))
    packs = kits.installed_packs()
    assert [p.name for p in packs] == ["acme-nodes"] and packs[0].trusted
    manifest = load_workspace(None).catalog.get("acme/echo", "1.0.0")
    assert manifest is not None
    kit = kits.kit_of(manifest)
    assert kit.pack.origin == "installed" and kit.has_executor()
    flow = harness_flow(manifest, {"subject": "hi {{ input.id }}"}, {"id": 1})
    a = analyze(json.dumps(flow), (tmp_path / "f.flow.json").as_uri(), None, load_workspace(None))
    code, _ = generate_flow(a, "f.flow.json", GoTypes(), {})
    assert any("acmeecho.Run(r.x, subject" in line for line in code.nodes)
    assert list(code.fork_sources.values()) == [kit.folder]  # its Go is copied in


def test_untrusted_templates_render_sandboxed_and_errors_name_the_kit(tmp_path: Path) -> None:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "t"\n')
    folder = tmp_path / "nodes" / "envelope"
    folder.mkdir(parents=True)
    for rel, text in guide_files().items():
        if rel.startswith("nodes/envelope/"):
            (tmp_path / rel).write_text(text)
    ws = load_workspace(tmp_path)
    manifest = ws.catalog.get("acme/envelope", "1.0.0")
    flow = harness_flow(manifest, {"subject": "x"}, {"id": 1})

    def generate() -> None:
        a = analyze(json.dumps(flow), (tmp_path / "f.flow.json").as_uri(), None, ws)
        generate_flow(a, "f.flow.json", GoTypes(), {})

    generate()
    template = folder / "call.go.j2"
    # Reaching Python internals from a workspace template is refused by the sandbox.
    template.write_text("{{ node.package.__globals__ }}\n")
    with pytest.raises(CodegenError, match=r"call\.go\.j2"):
        generate()
    template.write_text("{{ node.config.source }}\n{{ node.nonexistent() }}\n")
    with pytest.raises(CodegenError, match=r"call\.go\.j2:2"):
        generate()
    template.write_text("{% if %}\n")
    with pytest.raises(CodegenError, match=r"call\.go\.j2:1"):
        generate()


HOSTILE_TEST = """package acmegreet

import (
	"net"
	"os"
	"syscall"
	"testing"
)

func TestConfined(t *testing.T) {
	if _, err := os.ReadFile("/etc/passwd"); err == nil {
		t.Error("the test read /etc/passwd")
	}
	if _, err := os.ReadFile(os.Getenv("NF_WORKSPACE_MARK")); err == nil {
		t.Error("the test read a file of the workspace outside its kit")
	}
	if c, err := net.Dial("tcp", "1.1.1.1:80"); err == nil {
		c.Close()
		t.Error("the test reached the network")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // httptest servers work on loopback
	if err != nil {
		t.Errorf("no loopback listener: %v", err)
	} else {
		l.Close()
	}
	if _, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, 0); err == nil {
		t.Error("the test opened a packet socket")
	}
	if os.Getuid() == 0 {
		t.Error("the test runs as root")
	}
	if _, err := os.ReadFile("greet.go"); err != nil {
		t.Errorf("the kit's own files are its working folder: %v", err)
	}
	t.Fatal("planted failure")
}
"""


@needs_go
def test_a_workspace_kits_go_tests_run_in_the_sandbox_with_located_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace pack's ``*_test.go`` are compiled (``go vet``, ``go test -c``) and run
    inside the sandbox without --unsafe-no-sandbox; failures and compile errors name
    the kit's files as ``path:line(:col)``."""
    from tests.sandbox_support import require_sandbox

    require_sandbox()
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "n"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "nodeforge", "node", "new", "acme/greet", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    monkeypatch.chdir(tmp_path)
    kit = tmp_path / "nodes" / "greet"
    (kit / "confined_test.go").write_text(HOSTILE_TEST)

    def go_step() -> Any:
        result = check_kit("nodes/greet", tmp_path)
        return next(s for s in result.steps if s.name.startswith("go "))

    step = go_step()
    assert not step.ok and step.name == "go test"
    # only the planted failure: every confinement check held
    line = HOSTILE_TEST[: HOSTILE_TEST.index("planted failure")].count("\n") + 1
    assert f"nodes/greet/confined_test.go:{line}: planted failure" in step.detail, step.detail
    assert "read /etc/passwd" not in step.detail and "network" not in step.detail
    assert "runs as root" not in step.detail and "working folder" not in step.detail
    assert "loopback" not in step.detail and "packet socket" not in step.detail
    (kit / "confined_test.go").write_text(
        HOSTILE_TEST.replace("planted failure", "x") + "var _ = nope\n"
    )
    step = go_step()
    assert not step.ok and step.name == "go vet"
    last = HOSTILE_TEST.count("\n") + 1  # the appended line
    assert f"nodes/greet/confined_test.go:{last}:9: undefined: nope" in step.detail, step.detail
    (kit / "confined_test.go").unlink()
    step = go_step()
    assert step.ok and "sandboxed" in step.detail, step.detail


def test_a_declared_simulation_models_failures(guide_ws: Path) -> None:
    """The guide kit declares its failure (an empty subject): the simulator emits it on
    the ``error`` port, or fails the execution when that port is unconnected."""
    ws = load_workspace(guide_ws)
    manifest = ws.catalog.get("acme/envelope", "1.0.0")
    assert manifest is not None and manifest.simulation is not None
    assert [e.code for e in manifest.simulation.errors] == ["empty_subject"]
    config = {"subject": "{{ input.title }}"}
    caught = harness_flow(manifest, config, {"title": ""}, catch_errors=True)
    a = analyze(json.dumps(caught), (guide_ws / "c.flow.json").as_uri(), None, ws)
    result = simulate(a, {"title": ""})
    node = result["nodes"]["node"]
    assert node["status"] == "error"
    assert node["outputs"] == {
        "error": {"message": "the subject is empty", "code": "empty_subject", "retryable": False}
    }
    assert result["nodes"]["caught"]["inputs"]["in"]["code"] == "empty_subject"
    # a subject that renders is no failure
    ok = simulate(a, {"title": "hi"})
    assert ok["nodes"]["node"]["outputs"] == {
        "out": {"subject": "hi", "source": "nodeforge", "data": {"title": "hi"}}
    }
    # unconnected error port: the execution fails with the declared message
    bare = harness_flow(manifest, config, {"title": ""})
    b = analyze(json.dumps(bare), (guide_ws / "b.flow.json").as_uri(), None, ws)
    failed = simulate(b, {"title": ""})
    assert "the subject is empty" in json.dumps(failed.get("error"))


def test_declared_errors_gated_by_config_and_retryable(tmp_path: Path) -> None:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "t"\n')
    for rel, text in guide_files().items():
        if rel.startswith("nodes/envelope/"):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
    path = tmp_path / "nodes" / "envelope" / "node.json"
    data = json.loads(path.read_text())
    data["simulation"]["errors"].insert(
        0,
        {
            "config": {"source": "flaky"},
            "when": "input.id > nodes.self.config.subject.size()",
            "code": "busy",
            "message": "busy for {{ input.id }}",
            "retryable": True,
        },
    )
    path.write_text(json.dumps(data, indent=2))
    ws = load_workspace(tmp_path)
    manifest = ws.catalog.get("acme/envelope", "1.0.0")
    assert manifest is not None

    def error_of(config: dict[str, Any], value: Any) -> Any:
        flow = harness_flow(manifest, config, value, catch_errors=True)
        a = analyze(json.dumps(flow), (tmp_path / "f.flow.json").as_uri(), None, ws)
        return simulate(a, value)["nodes"]["node"]["outputs"].get("error")

    assert error_of({"subject": "ab", "source": "flaky"}, {"id": 5}) == {
        "message": "busy for 5",
        "code": "busy",
        "retryable": True,
    }
    assert error_of({"subject": "ab", "source": "shop"}, {"id": 5}) is None  # config differs
    assert error_of({"subject": "abcdef", "source": "flaky"}, {"id": 5}) is None  # when false


def test_manifest_problems_are_located_at_line_and_column(tmp_path: Path) -> None:
    """A broken declared simulation (and any manifest problem) names node.json:LINE:COL
    in ``node test``, as in ``nodeforge check``."""
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "t"\n')
    for rel, text in guide_files().items():
        if rel.startswith("nodes/envelope/"):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
    path = tmp_path / "nodes" / "envelope" / "node.json"
    text = path.read_text().replace(
        '"when": "nodes.self.out.subject == \'\'"', '"when": "nodes.self.out.subject =="'
    )
    text = text.replace('"source": {"$config": "source"}', '"source": {"$config": "source"}', 1)
    text = text.replace(
        '"code": "empty_subject",\n        "message"', '"code": "Empty",\n        "message"', 1
    )
    path.write_text(text)
    result = check_kit(str(path.parent), tmp_path)
    assert not result.ok
    detail = result.steps[0].detail
    line = text[: text.index('"code": "Empty"')].count("\n") + 1
    col = text.splitlines()[line - 1].index('"Empty"') + 1
    assert f"node.json:{line}:{col}: simulation.errors[0].code" in detail, detail
    text = text.replace('"code": "Empty"', '"code": "empty_subject"')
    path.write_text(text)
    detail = check_kit(str(path.parent), tmp_path).steps[0].detail
    line = text[: text.index('"nodes.self.out.subject =="')].count("\n") + 1
    col = text.splitlines()[line - 1].index('"nodes.self.out.subject =="') + 1
    assert f"node.json:{line}:{col}: simulation.errors[0].when: the condition does not parse" in (
        detail
    ), detail


def test_every_standard_kit_has_its_documentation_page_source_in_docs_catalog() -> None:
    """docs/catalog.md is made from the kits: the pack's ``catalog/doc.md``, and per
    version the manifest's data around the kit's ``doc.md`` (the freshness of the file
    itself is tests/test_catalog.py::test_docs_up_to_date)."""
    from nodeforge.gendocs_catalog import kit_doc, pack_intro, render_catalog_markdown

    catalog = standard_catalog()
    page = render_catalog_markdown(catalog)
    assert pack_intro().splitlines()[0] in page
    missing = [f"{m.type}@{m.version}" for m in STANDARD if not kits.kit_of(m).doc.is_file()]
    assert missing == [], f"kits without {kits.DOC_FILE}: {missing}"
    for m in STANDARD:
        doc = kit_doc(m)
        assert doc.strip(), f"{m.type}@{m.version}: empty {kits.DOC_FILE}"
        section = page.split(f"### {m.type} {m.version}", 1)[1].split("\n### ", 1)[0]
        assert doc in section, f"{m.type}@{m.version}: its doc.md is not in its section"
        assert m.description.strip() in section
        assert "- Simulation: " in section


def test_kit_doc_headings_go_below_the_page_headings(tmp_path: Path) -> None:
    from nodeforge.gendocs_catalog import kit_doc

    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "t"\n')
    for rel, text in guide_files().items():
        if rel.startswith("nodes/envelope/"):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
    (tmp_path / "nodes" / "envelope" / "doc.md").write_text(
        "# Errors\n\n`empty_subject`\n\n```sh\n# a shell comment\n```\n"
    )
    manifest = load_workspace(tmp_path).catalog.get("acme/envelope", "1.0.0")
    assert manifest is not None
    assert kit_doc(manifest) == "#### Errors\n\n`empty_subject`\n\n```sh\n# a shell comment\n```"
