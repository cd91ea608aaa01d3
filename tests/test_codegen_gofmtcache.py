"""gofmt's output and compiled templates kept by content (codegen/gofmtcache.py,
codegen/templatecache.py), and the one-scan reading of a flow's nodes
(codegen/jsonpos.py ``root_array_items``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import pytest

from nodeforge.analysis.diskcache import prune
from nodeforge.analysis.flow import load_document
from nodeforge.codegen import gofmtcache, module, templatecache
from nodeforge.codegen.expr_go import CodegenError
from nodeforge.codegen.jsonpos import root_array_items
from nodeforge.codegen.literal import go_string

needs_gofmt = pytest.mark.skipif(shutil.which("gofmt") is None, reason="gofmt is not installed")

SOURCE = "package main\nfunc  main( ) {\nx:=1\n_ = x}\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NODEFORGE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NODEFORGE_GOFMT_CACHE", raising=False)
    monkeypatch.setattr(gofmtcache, "_memo", {})
    return tmp_path / "cache" / "gofmt"


def _no_gofmt(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []

    def run(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        raise AssertionError("gofmt ran")

    monkeypatch.setattr(module.subprocess, "run", run)
    return calls


@needs_gofmt
def test_the_same_text_is_formatted_once(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = module.gofmt(SOURCE)
    assert (
        first
        == subprocess.run(["gofmt"], input=SOURCE.encode(), capture_output=True).stdout.decode()
    )
    assert len(list(cache.glob("*.go"))) == 1
    _no_gofmt(monkeypatch)
    assert module.gofmt(SOURCE) == first  # from memory
    monkeypatch.setattr(gofmtcache, "_memo", {})
    assert module.gofmt(SOURCE) == first  # from the file, as a new process would


@needs_gofmt
def test_a_damaged_or_foreign_file_is_ignored(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = module.gofmt(SOURCE)
    (path,) = cache.glob("*.go")
    data = path.read_bytes()
    path.write_bytes(data.replace(b"main", b"evil"))
    monkeypatch.setattr(gofmtcache, "_memo", {})
    assert module.gofmt(SOURCE) == first  # the digest did not match: gofmt ran again
    assert path.read_bytes() == data  # and the file was rewritten
    os.chmod(path, 0o666)  # writable by others: not trusted
    monkeypatch.setattr(gofmtcache, "_memo", {})
    assert gofmtcache.get(path.stem) is None


@needs_gofmt
def test_switched_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEFORGE_GOFMT_CACHE", "0")
    module.gofmt(SOURCE)
    assert not cache.exists()


@needs_gofmt
def test_failures_are_not_kept(cache: Path) -> None:
    for _ in range(2):
        with pytest.raises(CodegenError):
            module.gofmt("package main\nfunc {\n")
    assert not cache.exists() or not list(cache.glob("*.go"))


def test_old_files_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gofmtcache, "MAX_FILES", 3)
    for i in range(5):
        gofmtcache._write(tmp_path / f"{i:064x}.go", f"text {i}\n")
        os.utime(tmp_path / f"{i:064x}.go", ns=(i * 10**9, i * 10**9))
    prune(tmp_path, suffix=".go", keep=gofmtcache.MAX_FILES)  # as _write prunes
    assert sorted(p.name[-4:] for p in tmp_path.glob("*.go")) == ["2.go", "3.go", "4.go"]


@pytest.mark.parametrize(
    "text",
    [
        '{"nodes": [{"id": "a"}, {"id": "b", "config": {"x": "[1]"}}]}',
        '  {\n "id": "f",\n "nodes" : [ ] }',
        '{"nodes": [1], "other": {"nodes": [2]}, "nodes": [ {"id": "z"} , "s" ]}',
        '{"nodes": {"id": "a"}}',
        "[1, 2]",
        '{"id": "no nodes"}',
        "{}",
        '{"nodes": [{"id": "a"}',
    ],
)
def test_root_array_items_agree_with_the_document(text: str) -> None:
    found = root_array_items(text, "nodes")
    try:
        value = json.loads(text)
    except ValueError:
        assert found is None
        return
    nodes = value.get("nodes") if isinstance(value, dict) else None
    if not isinstance(nodes, list):
        assert found is None
        return
    assert found is not None
    starts, items = found
    assert items == nodes
    doc = load_document(text)
    assert starts == [doc.span_of(("nodes", i)).start for i in range(len(nodes))]


# -- compiled templates (codegen/templatecache.py) -----------------------------------------


@pytest.fixture
def tcache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NODEFORGE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NODEFORGE_TEMPLATE_CACHE", raising=False)
    monkeypatch.setattr(templatecache, "_memo", {})
    return tmp_path / "cache" / "templates"


TEMPLATE = "{% for x in items %}{{ x | lit }};{% endfor %}{{ tail }}"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["lit"] = go_string
    return env


def test_a_template_is_compiled_once_per_content(
    tcache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env()
    want = env.from_string(TEMPLATE).render(items=["a", 'b"'], tail=1)
    first = templatecache.compile_template(env, TEMPLATE, "test")
    assert first.render(items=["a", 'b"'], tail=1) == want
    assert len(list(tcache.glob("*.code"))) == 1

    def no_compile(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled again")

    monkeypatch.setattr(env, "compile", no_compile)
    assert (
        templatecache.compile_template(env, TEMPLATE, "test").render(items=["a", 'b"'], tail=1)
        == want
    )  # from memory
    monkeypatch.setattr(templatecache, "_memo", {})
    again = templatecache.compile_template(env, TEMPLATE, "test")  # from the file
    assert again.render(items=["a", 'b"'], tail=1) == want
    with pytest.raises(jinja2.UndefinedError):
        again.render(items=[])  # still the environment's StrictUndefined


def test_damaged_foreign_or_switched_off(tcache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _env()
    templatecache.compile_template(env, TEMPLATE, "test")
    (path,) = tcache.glob("*.code")
    data = path.read_bytes()
    path.write_bytes(data[:-3])
    monkeypatch.setattr(templatecache, "_memo", {})
    assert templatecache.compile_template(env, TEMPLATE, "test").render(items=[], tail="") == ""
    assert path.read_bytes() == data  # rewritten
    os.chmod(path, 0o666)
    assert templatecache._read(path) is None
    monkeypatch.setenv("NODEFORGE_TEMPLATE_CACHE", "0")
    monkeypatch.setattr(templatecache, "_memo", {})
    shutil.rmtree(tcache)
    templatecache.compile_template(env, TEMPLATE, "test")
    assert not tcache.exists()


def test_syntax_errors_are_not_kept(tcache: Path) -> None:
    for _ in range(2):
        with pytest.raises(jinja2.TemplateSyntaxError):
            templatecache.compile_template(_env(), "{% for %}", "test")
    assert not tcache.exists() or not list(tcache.glob("*.code"))


def test_an_environment_with_other_settings_compiles_anew(tcache: Path) -> None:
    templatecache.compile_template(_env(), TEMPLATE, "test")
    other = _env()
    other.trim_blocks = True
    templatecache.compile_template(other, TEMPLATE, "test")
    more = _env()
    more.filters["extra"] = str
    templatecache.compile_template(more, TEMPLATE, "test")
    assert len(list(tcache.glob("*.code"))) == 3


@needs_gofmt
def test_the_module_is_the_same_with_the_caches_on_warm_and_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nodeforge.codegen.module import collect_flows, generate_module

    examples = Path(__file__).resolve().parent.parent / "examples"
    monkeypatch.setenv("NODEFORGE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(gofmtcache, "_memo", {})
    monkeypatch.setattr(templatecache, "_memo", {})

    def files() -> dict[str, bytes]:
        root, flows = collect_flows(examples)
        generated = generate_module(root, flows)
        assert generated.ok, generated.diagnostics
        return dict(generated.files)

    cold, warm = files(), files()  # the second from the caches, in memory and on disk
    assert any((tmp_path / "cache" / "gofmt").iterdir())
    monkeypatch.setattr(gofmtcache, "_memo", {})
    monkeypatch.setattr(templatecache, "_memo", {})
    from_disk = files()
    monkeypatch.setenv("NODEFORGE_GOFMT_CACHE", "0")
    monkeypatch.setenv("NODEFORGE_TEMPLATE_CACHE", "0")
    off = files()
    assert cold == warm == from_disk == off
