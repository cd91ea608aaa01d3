"""Node methods written as gofmt prints them skip gofmt (``codegen.gofmtcheck``): the
module is byte-identical to the one formatted by gofmt throughout, and the check never
says "clean" for text gofmt would change."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

import nodeforge.codegen.module as module_mod
from bench.genflow import generate_flow
from nodeforge.codegen.gofmtcheck import gofmt_clean
from nodeforge.codegen.module import _gofmt_decls, collect_flows, generate_module

ROOT = Path(__file__).resolve().parent.parent
KITCHEN = ROOT / "tests" / "golden" / "codegen" / "_inputs" / "kitchen.flow.json"

pytestmark = pytest.mark.skipif(shutil.which("gofmt") is None, reason="Go is not installed")


def _both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Generate with the check and with gofmt for every run; the files must agree.
    Returns (runs found clean, runs)."""
    root, flows = collect_flows(path)
    seen: list[bool] = []

    def recording(text: str) -> bool:
        clean = gofmt_clean(text)
        seen.append(clean)
        if clean:  # said clean: gofmt agrees, run by run
            assert _gofmt_decls(text, "run") == text.rstrip("\n") + "\n", text
        return clean

    monkeypatch.setattr(module_mod, "FORMAT_RUN_LINES", 40)  # many small runs
    monkeypatch.setattr(module_mod, "gofmt_clean", recording)
    fast = generate_module(root, flows)
    monkeypatch.setattr(module_mod, "gofmt_clean", lambda text: False)
    slow = generate_module(root, flows)
    assert fast.ok and slow.ok, (fast.diagnostics, slow.diagnostics)
    assert fast.files == slow.files
    return sum(seen), len(seen)


def _workspace(folder: Path, flow: dict[str, object], connectors: str = "") -> Path:
    folder.mkdir(parents=True)
    (folder / "nodeforge.toml").write_text('[project]\nname = "t"\n' + connectors)
    (folder / "f.flow.json").write_text(json.dumps(flow, indent=2))
    return folder


def test_examples_are_the_same_without_gofmt(monkeypatch: pytest.MonkeyPatch) -> None:
    clean, runs = _both_ways(ROOT / "examples", monkeypatch)
    assert runs > 10 and clean > 0


def test_kitchen_sink_is_the_same_without_gofmt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = json.loads(KITCHEN.read_text())
    ws = _workspace(tmp_path / "ks", flow, '[connectors.db]\ntype = "sqlite"\n')
    _both_ways(ws, monkeypatch)


@pytest.mark.parametrize("seed", [7, 11])
def test_generated_flows_need_no_gofmt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    # The benchmark's flows: every node method is written as gofmt prints it.
    ws = _workspace(tmp_path / "g", generate_flow(300, seed=seed, error_rate=0.0))
    clean, runs = _both_ways(ws, monkeypatch)
    assert clean == runs > 10


KNOWN = [
    # (text, clean) pairs: what gofmt changes, and what it keeps
    ("func f() {\n\tx := a + b < c\n}\n", False),
    ("func f() {\n\tx := a > b && c > d\n}\n", True),
    ("func f() {\n\treturn a + b, nil\n}\n", False),
    ("func f() {\n\tg(a + b, c)\n}\n", False),
    ("func f() {\n\tx := a+b\n}\n", False),
    ("func f() {\n\tx:= a\n}\n", False),
    ("func f() {\n\ta := 1 // one\n\tbb := 2 // two\n}\n", False),
    ("func f() {\n\tx := T{\n\t\tA: 1,\n\t\tBbb: 2,\n\t}\n}\n", False),
    ("func f() {\n    x := 1\n}\n", False),
    ("func f() {\n\tif (x) {\n\t}\n}\n", False),
    ("func f() {\n\tif x { return }\n}\n", False),
    ("// doc\n//line f.json:1:1\nfunc f() {\n}\n", False),
    ("// doc\n//\n//line f.json:1:1\nfunc f() {\n}\n", True),
    ("// - a list\n//\n//line f.json:1:1\nfunc f() {\n}\n", False),
    ("func f() {\n\tswitch x {\n\tcase 1:\n\t\ty()\n\tdefault:\n\t}\n}\n", True),
    ("func f() {\n\treturn nf.Parallel(\n\t\tfunc() error { return r.a(x) },\n\t)\n}\n", True),
    ('func f() {\n\tx := "a  b (" + y\n}\n', True),
]


@pytest.mark.parametrize(("text", "clean"), KNOWN)
def test_known_cases(text: str, clean: bool) -> None:
    assert gofmt_clean(text) is clean
    if clean:
        assert _gofmt_decls(text, "t") == text


def test_mutations_never_pass_for_clean(tmp_path: Path) -> None:
    """Spaces, tabs and line breaks added or removed at random in generated methods:
    whenever the check still says clean, gofmt leaves the text as it is."""
    root, flows = collect_flows(ROOT / "examples")
    module = generate_module(root, flows)
    texts = [v.decode() for k, v in module.files.items() if k.startswith("flow_")]
    methods = [m for t in texts for m in t.split("\n\n") if m.lstrip().startswith(("//", "func"))]
    rng = random.Random(5)
    checked = 0
    for _ in range(300):
        text = rng.choice(methods)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(text))
            text = text[:i] + rng.choice([" ", "", "\t", "\n", "  "]) + text[i + 1 :]
        if gofmt_clean(text):
            try:
                formatted = _gofmt_decls(text, "t")
            except Exception:  # does not parse: nothing to compare
                continue
            assert formatted == text.rstrip("\n") + "\n", text
            checked += 1
    assert checked > 0
