"""Code generation: golden modules of the examples, determinism, formatting, vet, and
the mapping of Go build errors back to flow nodes.

``UPDATE_GOLDEN=1 pytest tests/test_codegen.py`` rewrites the goldens.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nodeforge.analysis.text import LineIndex
from nodeforge.codegen.build import map_go_errors
from nodeforge.codegen.module import HEADER, collect_flows, generate_module
from tests.conftest import update_golden
from tests.test_build_support import _TMP, EXAMPLES, GOLDEN, built_examples, go, needs_go

# The generated files a golden pins: everything but the byte-for-byte catalog copies.
PINNED = ("go.mod", "main.go", "models.go")


def _generated(path: Path) -> dict[str, bytes]:
    root, flows = collect_flows(path)
    module = generate_module(root, flows)
    assert module.ok, module.diagnostics
    return module.files


def _pinned(files: dict[str, bytes]) -> dict[str, bytes]:
    out = {k: v for k, v in files.items() if k in PINNED or k.startswith("flow_")}
    # code/go packages, flattened: code/<flow>/<package>/node.go -> code--<flow>--...
    out.update({k.replace("/", "--"): v for k, v in files.items() if k.startswith("code/")})
    catalog = sorted(k for k in files if k.startswith("catalog/"))
    out["catalog.txt"] = ("\n".join(catalog) + "\n").encode()
    return out


def _check_golden(folder: Path, files: dict[str, bytes]) -> None:
    pinned = _pinned(files)
    if update_golden() or not folder.exists():
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for name, data in pinned.items():
            (folder / (name + ".golden")).write_bytes(data)
        if not update_golden():
            pytest.fail(f"golden folder {folder} was missing and has been written; rerun")
        return
    expected = {p.name.removesuffix(".golden"): p.read_bytes() for p in folder.iterdir()}
    assert sorted(expected) == sorted(pinned), "generated file set changed"
    for name, data in pinned.items():
        assert data == expected[name], (
            f"{folder / name}.golden differs; rerun with UPDATE_GOLDEN=1 if intended"
        )


@pytest.mark.parametrize("flow", sorted(p.name for p in EXAMPLES.glob("*.flow.json")))
def test_golden_per_example(flow: str) -> None:
    _check_golden(GOLDEN / flow.removesuffix(".flow.json"), _generated(EXAMPLES / flow))


def test_golden_examples_workspace() -> None:
    _check_golden(GOLDEN / "examples_workspace", _generated(EXAMPLES))


def test_generation_is_deterministic() -> None:
    assert _generated(EXAMPLES) == _generated(EXAMPLES)


def test_every_go_file_has_the_header_and_flow_files_name_their_source() -> None:
    files = _generated(EXAMPLES)
    for name, data in files.items():
        if name.endswith(".go") and not name.startswith("catalog/"):
            text = data.decode()
            assert text.startswith(HEADER + "\n"), name
            if name.startswith("flow_"):
                assert "\n// source: " in text


def test_no_map_any_where_the_schema_is_known() -> None:
    files = _generated(EXAMPLES)
    models = files["models.go"].decode()
    # The orders API's body and rows are typed structs, not maps.
    assert "type CreateOrderBody struct" in models
    assert "Qty           int64" in models
    assert "Rows  []FindOrderRow" in models


@needs_go
def test_generated_module_is_gofmt_clean_vets_and_builds() -> None:
    result = built_examples()
    out = result.out_dir
    gofmt = shutil.which("gofmt") or "gofmt"
    listed = subprocess.run([gofmt, "-l", "."], cwd=out, capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stdout == "", listed.stdout
    vet = go("vet", "./...", cwd=out)
    assert vet.returncode == 0, vet.stderr
    assert result.binary is not None and result.binary.stat().st_size > 1_000_000


@needs_go
def test_goldens_compile() -> None:
    """The committed goldens themselves build: written over a fresh generation's catalog."""
    result = built_examples()
    target = _TMP / "golden_build"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(result.out_dir, target)
    for p in (GOLDEN / "examples_workspace").iterdir():
        name = p.name.removesuffix(".golden").replace("--", "/")
        if name != "catalog.txt":
            (target / name).write_bytes(p.read_bytes())
    proc = go("build", "-o", str(target / "app"), ".", cwd=target)
    assert proc.returncode == 0, proc.stderr


def test_go_errors_map_back_to_the_node_and_config_string() -> None:
    root, flows = collect_flows(EXAMPLES / "orders_api.flow.json")
    module = generate_module(root, flows)
    flow = flows[0]
    mark = next(m for m in module.marks[flow.rel] if m.node_id == "insert_order" and m.config_path)
    output = (
        "# nodeforge.app/examples\n"
        f"{flow.rel}:{mark.line}:{mark.column + 3}: undefined: somethingWrong\n"
        "./models.go:3:1: syntax error: unexpected thing\n"
    )
    diags = map_go_errors(output, module, {flow.rel: flow})[flow.rel]
    assert len(diags) == 2
    first = diags[0]
    assert first.code == "NF900"
    assert "insert_order" in first.message and "undefined: somethingWrong" in first.message
    start = LineIndex(flow.text).position(first.span.start)
    assert start.line + 1 == mark.line  # the params array of insert_order
    assert "generator bug" in diags[1].message


def test_unknown_connector_is_a_generation_error(tmp_path: Path) -> None:
    flow = (EXAMPLES / "orders_api.flow.json").read_text()
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "t"\n')
    (tmp_path / "orders_api.flow.json").write_text(flow)
    root, flows = collect_flows(tmp_path)
    module = generate_module(root, flows)
    assert not module.ok
