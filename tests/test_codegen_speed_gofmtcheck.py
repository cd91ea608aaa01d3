"""codegen/gofmtcheck remembers its answers per declaration and per line (_known, _lines):
a remembered answer must be the one the check gives anew, in any order of texts."""

from __future__ import annotations

import random
from pathlib import Path

from nodeforge.codegen import gofmtcheck
from nodeforge.codegen.gofmtcheck import gofmt_clean
from nodeforge.codegen.module import collect_flows, generate_module

ROOT = Path(__file__).resolve().parent.parent


def _cold(text: str) -> bool:
    gofmtcheck._known.clear()
    gofmtcheck._lines.clear()
    return gofmt_clean(text)


def test_remembered_answers_are_the_answers() -> None:
    root, flows = collect_flows(ROOT / "examples")
    module = generate_module(root, flows)
    texts = [v.decode() for k, v in module.files.items() if k.startswith("flow_")]
    methods = [m for t in texts for m in t.split("\n\n") if m.lstrip().startswith(("//", "func"))]
    rng = random.Random(11)
    cases = list(methods)
    for _ in range(400):  # spaces, tabs, line breaks and brackets added or removed
        text = rng.choice(methods)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(text))
            text = text[:i] + rng.choice([" ", "", "\t", "\n", "  ", "(", "}", "\t}"]) + text[i:]
        cases.append(text)
    cold = [_cold(text) for text in cases]
    assert any(cold) and not all(cold)
    for order in range(3):
        rng.shuffle(indices := list(range(len(cases))))
        if order == 0:
            gofmtcheck._known.clear()
            gofmtcheck._lines.clear()
        for i in indices:
            assert gofmt_clean(cases[i]) is cold[i], cases[i]
