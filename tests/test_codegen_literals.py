"""Every flow value reaches Go through the one literal encoder.

Hostile strings (quotes, backticks, newlines, ``*/``, ``{{``, NUL, BOM, line separators,
astral unicode...) go into a flow's name, description and node titles (Go comments),
into expression string literals, map keys (struct tags or map keys), template text and
log messages; the generated program must compile and give every value back exactly.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nodeforge.analysis.expressions import quote_string
from nodeforge.codegen.literal import go_comment, go_float, go_string
from tests.test_build_support import built, make_workspace, needs_go, run_app

NASTY = [
    '"',
    "`",
    "\\",
    '\\"; os.Exit(1); "',
    "*/ func init() { panic(1) } /*",
    "\n}\nfunc init() { panic(1) }\n//",
    "{{ input.x }}",
    "\x00\x01\x7f",
    "\ufeffbom",
    "line\u2028sep\u2029",
    "emoji \U0001f600 and e\u0301",
    "${HOME} %s %v %%",
    "tab\there\r\nCRLF",
    "\\u0041\\x41",
]

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


def _unescape_template(s: str) -> str:
    """Template text for ``s``: ``{{`` is written ``\\{{``."""
    return s.replace("{{", "\\{{")


def _flow(values: list[str]) -> dict[str, Any]:
    mapping = {f"v{i}": quote_string(v) for i, v in enumerate(values)}
    keys = {f"k{i}_{v}": quote_string(v) for i, v in enumerate(values)}
    joined = "|".join(values)
    return {
        "nodeforge": "1",
        "id": "lits",
        "name": joined,
        "description": joined,
        "nodes": [
            {
                "id": "start",
                "type": "trigger/manual",
                "version": "1.0.0",
                "title": joined,
                "description": joined,
                "config": {},
            },
            {
                "id": "values",
                "type": "data/map",
                "version": "1.1.0",
                "title": joined,
                "config": {"mapping": mapping},
            },
            {
                "id": "keyed",
                "type": "data/map",
                "version": "1.1.0",
                "config": {
                    "mapping": {
                        "values": "input",
                        "keys": "{"
                        + ", ".join(f"{quote_string(k)}: {v}" for k, v in keys.items())
                        + "}",
                    }
                },
            },
            {
                "id": "say",
                "type": "util/log",
                "version": "1.0.0",
                "config": {
                    "level": "error",
                    "message": _unescape_template("m:" + "\x1e".join(values)),
                },
            },
            {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {}},
        ],
        "connections": [
            {"from": "start.out", "to": "values.in"},
            {"from": "values.out", "to": "keyed.in"},
            {"from": "keyed.out", "to": "say.in"},
            {"from": "say.out", "to": "reply.in"},
        ],
    }


def _roundtrip(tmp: Path, values: list[str]) -> None:
    ws = make_workspace(tmp, _flow(values))
    result = built(ws)
    assert result.binary is not None
    got, logs = run_app(result.binary, "lits", "start", {})
    assert got.get("status") == 200, (got, logs)
    body = got["body"]
    assert isinstance(body, dict)
    assert body["values"] == {f"v{i}": v for i, v in enumerate(values)}
    assert body["keys"] == {f"k{i}_{v}": v for i, v in enumerate(values)}
    messages = [json.loads(x)["msg"] for x in logs.split("\n") if x.startswith("{")]
    assert "m:" + "\x1e".join(values) in messages


@needs_go
def test_nasty_strings_round_trip(tmp_path: Path) -> None:
    _roundtrip(tmp_path / "nasty", NASTY)


_counter = iter(range(10**6))


@needs_go
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(values=st.lists(text, min_size=1, max_size=6))
@example(values=["", 'a"b', "}}{{"])
def test_random_strings_round_trip(
    tmp_path_factory: pytest.TempPathFactory, values: list[str]
) -> None:
    _roundtrip(tmp_path_factory.mktemp(f"lits{next(_counter)}"), values)


# -- the encoder itself, against the Go compiler's reading of its literals ---------------


@needs_go
@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    values=st.lists(text, min_size=50, max_size=50),
    floats=st.lists(st.floats(), min_size=20, max_size=20),
)
def test_go_reads_back_every_literal(
    tmp_path_factory: pytest.TempPathFactory, values: list[str], floats: list[float]
) -> None:
    tmp = tmp_path_factory.mktemp("golit")
    strings = NASTY + values
    lines = ["package main", "", 'import (\n\t"encoding/json"\n\t"math"\n\t"os"\n)', ""]
    lines += [f"// {c}" for c in go_comment("\n".join(strings))]
    lines.append("var strs = []string{" + ", ".join(go_string(s) for s in strings) + "}")
    lines.append("var nums = []float64{" + ", ".join(go_float(f) for f in floats) + "}")
    lines.append(
        "func main() {\n\tfs := make([]string, len(nums))\n\tfor i, f := range nums {\n"
        '\t\tfs[i] = "x"\n\t\tif !math.IsNaN(f) {\n\t\t\tb, _ := json.Marshal(math.Float64bits(f))\n'
        "\t\t\tfs[i] = string(b)\n\t\t}\n\t}\n"
        '\tjson.NewEncoder(os.Stdout).Encode(map[string]any{"s": strs, "f": fs})\n}'
    )
    (tmp / "main.go").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp / "go.mod").write_text("module lit\n\ngo 1.22\n")
    proc = subprocess.run(["go", "run", "."], cwd=tmp, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["s"] == strings
    import struct

    for f, bits in zip(floats, out["f"], strict=True):
        if bits != "x":
            assert struct.unpack("<d", struct.pack("<Q", int(bits)))[0] == f or f != f
