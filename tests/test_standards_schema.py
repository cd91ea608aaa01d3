"""JSON Schema: the simulator and the app answer alike, and both follow the standard.

Cases: the JSON-Schema-Test-Suite's draft 2020-12 files of every enforced keyword and
format (vendored unchanged under ``tests/standards/json-schema-test-suite``, see its
SOURCE.md), and the project's own cases below (the edges issue 17 found: RE2 against
Python ``re``, formats, integers beyond int64, duplicate keys, required names not in
``properties``, nested arrays).

Each case runs through the simulator's validator (``sandbox/schemacheck``) and through
the app's runtime (``nf.ParseJSON`` + ``nf.Schema``, in the ``nf/conformance`` command,
built once per session); any difference (validity, pointers, messages) fails. Where a
schema uses only enforced keywords, both must also give the suite's answer. Then one app
is built with a flow per schema (typed readers where the schema allows, the generic path
otherwise) and answers real HTTP requests, compared with ``simulate()`` of the same flow.
Hypothesis generates more schemas and instances, compared in one batch.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodeforge.analysis.schemas import FORMATS, KEYWORDS, lint_schema
from nodeforge.codegen.build import go_env
from nodeforge.sandbox.schemacheck import JSONError, loads, validate
from tests.test_build_support import built, free_port, make_workspace, wait_http

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "standards" / "json-schema-test-suite"

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")

# The project's own cases: (description, schema, JSON text of the instance).
OWN: list[tuple[str, Any, str]] = [
    # RE2 semantics where Python's re differs
    ("$ only at the end", {"pattern": "^a$"}, '"a\\n"'),
    ("\\d is ASCII", {"pattern": "^\\d+$"}, '"\u0663"'),
    ("\\w is ASCII", {"pattern": "^\\w+$"}, '"\u00e9"'),
    ("\\s is ASCII", {"pattern": "^\\s$"}, '"\u00a0"'),
    ("\\p{L}", {"pattern": "^\\p{L}+$"}, '"\u00e9t\u00e9"'),
    ("\\pL", {"pattern": "^\\pL$"}, '"x"'),
    ("pattern quoted in the message", {"pattern": "<é>"}, '"x"'),
    # formats
    *[
        (f"date-time {v}", {"format": "date-time"}, json.dumps(v))
        for v in [
            "1990-12-31T15:59:59-24:00",
            "1998-12-31T23:59:60Z",
            "1998-12-31t23:59:60z",
            "2016-12-31T23:59:60+00:00",
            "2016-12-31T18:29:60-05:30",
            "2024-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "1963-06-19T08:30:06.Z",
            "1963-06-19T08:30:06,5Z",
        ]
    ],
    *[
        (f"date {v}", {"format": "date"}, json.dumps(v))
        for v in ["2020-1\u0663-01", "2000-02-29", "1900-02-29", "0000-01-01", "2020-13-01"]
    ],
    *[
        (f"time {v}", {"format": "time"}, json.dumps(v))
        for v in ["23:59:60Z", "23:59:60+01:00", "00:59:60+01:00", "12:00:00", "12:00:00.1z"]
    ],
    *[
        (f"uuid {v!r}", {"format": "uuid"}, json.dumps(v))
        for v in [
            "2EB8AA08-AA98-11EA-B4AA-73B441D16380",
            "2eb8aa08-aa98-11ea-b4aa-73b441d16380\n",
            "2eb8aa08aa9811eab4aa73b441d16380",
            "{2eb8aa08-aa98-11ea-b4aa-73b441d16380}",
        ]
    ],
    *[
        (f"uri {v}", {"format": "uri"}, json.dumps(v))
        for v in [
            "a:",
            "http://[v1.x]/",
            "http://[::1]:80/a?b#c",
            "http://host:/",
            "http://a b",
            "x:%zz",
            "urn:isbn:0451450523",
        ]
    ],
    *[
        (f"email {v}", {"format": "email"}, json.dumps(v))
        for v in ["a@b", "a@[IPv6:::ffff:1.2.3.4]", '"a\\"b"@c.d', "a@-b.c", "\u00e9@\u00e9.fr"]
    ],
    ("unknown format", {"format": "ipv4"}, '"x"'),
    # numbers
    ("integer beyond int64", {"type": "integer"}, "99999999999999999999"),
    ("integer as a double beyond int64", {"type": "integer"}, "1e20"),
    ("big integer is a number", {"type": "number", "maximum": 1e19}, "99999999999999999999"),
    ("min int64", {"type": "integer", "minimum": -9223372036854775808}, "-9223372036854775808"),
    ("multipleOf decimals", {"multipleOf": 0.01}, "19.99"),
    ("multipleOf of an integer", {"multipleOf": 3}, "10"),
    ("bounds in messages", {"maximum": 1000000, "exclusiveMinimum": 0.5}, "1e7"),
    # objects
    (
        "required names not in properties",
        {"type": "object", "required": ["a", "z"], "properties": {"a": {"type": "string"}}},
        '{"a": "x"}',
    ),
    (
        "closed and required undeclared",
        {
            "type": "object",
            "required": ["z"],
            "properties": {"a": {"type": "string"}},
            "additionalProperties": False,
        },
        '{"a": "x", "z": 1}',
    ),
    ("duplicate key", {"type": "object"}, '{"a": 1, "a": 2}'),
    ("nested duplicate key", {}, '[{"b": {"c": 1, "c": 1}}]'),
    ("escaped duplicate key", {}, '{"a": 1, "\\u0061": 2}'),
    (
        "nested arrays",
        {
            "type": "object",
            "properties": {
                "m": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}
            },
        },
        '{"m": [[1, 2], [3, "x"]]}',
    ),
    (
        "patternProperties with additionalProperties",
        {
            "properties": {"id": {"type": "integer"}},
            "patternProperties": {"^x-": {"type": "string"}},
            "additionalProperties": False,
        },
        '{"id": 1, "x-a": 2, "y": 3}',
    ),
    ("min/maxProperties", {"minProperties": 2, "maxProperties": 3}, '{"a": 1}'),
    ("uniqueItems deep", {"uniqueItems": True}, '[{"a": [1, 2.0]}, {"a": [1.0, 2]}]'),
    (
        "if/then/else",
        {
            "if": {"properties": {"kind": {"const": "card"}}},
            "then": {"required": ["number"]},
            "else": {"required": ["iban"]},
        },
        '{"kind": "card"}',
    ),
    (
        "$ref recursion",
        {
            "$defs": {
                "node": {
                    "type": "object",
                    "properties": {"next": {"$ref": "#/$defs/node"}, "v": {"type": "integer"}},
                }
            },
            "$ref": "#/$defs/node",
        },
        '{"v": 1, "next": {"v": 2, "next": {"v": "x"}}}',
    ),
    (
        "definitions (older drafts)",
        {"definitions": {"n": {"type": "integer"}}, "items": {"$ref": "#/definitions/n"}},
        '[1, "2"]',
    ),
    ("oneOf count", {"oneOf": [{"type": "integer"}, {"minimum": 2}]}, "3"),
    ("enum message forms", {"enum": [1.0, "a<b", None, {"b": 1, "a": [1e21, 1e-7]}]}, "2"),
    ("const message", {"const": {"k": "\u2028"}}, "{}"),
    ("false schema", False, "1"),
    ("nullable", {"type": "string", "nullable": True}, "null"),
    ("lone surrogate", {"pattern": "^.$", "maxLength": 1}, '"\\ud800"'),
    ("many problems", {"type": "array", "items": {"type": "string"}}, json.dumps(list(range(30)))),
]

PATTERNS = [
    "(?!a)",
    "(?=a)",
    "(?<=a)b",
    "(a)\\1",
    "\\p{Letter}",
    "\\p{L}",
    "\\pL",
    "\\C",
    "a{1001}",
    "a{2,1000}",
    "(?P<n>a)",
    "(?<n>a)",
    "(?i)a",
    "(?U)a+",
    "[[:alpha:]]",
    "\\Z",
    "\\z",
    "\\Qa.b\\E",
    "\\0",
    "\\8",
    "x*+",
    "[a-\\d]",
    "\\b\\B",
    "(?s:.)",
    "\\x{10FFFF}",
    "\\x{110000}",
    "[^\\x00-\\x{10FFFF}]",
]


def _suite_files() -> Iterator[Path]:
    yield from sorted(SUITE.glob("*.json"))
    yield from sorted((SUITE / "optional" / "format").glob("*.json"))


@cache
def suite_groups() -> list[tuple[str, Any, list[tuple[str, str, bool]]]]:
    """(name, schema, [(description, instance JSON text, expected validity)])."""
    out = []
    for path in _suite_files():
        for group in json.loads(path.read_text(encoding="utf-8")):
            tests = [(t["description"], json.dumps(t["data"]), t["valid"]) for t in group["tests"]]
            out.append((f"{path.stem}: {group['description']}", group["schema"], tests))
    return out


def enforced_only(schema: Any) -> bool:
    """Whether every keyword of ``schema`` is enforced (no lint issue at all)."""
    return not lint_schema(schema)


# --------------------------------------------------------------------------- the Go side


@pytest.fixture(scope="session")
def conformance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    binary = tmp_path_factory.mktemp("conformance") / "conformance"
    proc = subprocess.run(
        ["go", "build", "-o", str(binary), "./nf/conformance"],
        cwd=ROOT / "catalog",
        env=go_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return binary


def go_answers(binary: Path, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    text = "\n".join(json.dumps(r) for r in requests) + "\n"
    proc = subprocess.run(
        [str(binary)], input=text, capture_output=True, text=True, check=True, timeout=300
    )
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == len(requests)
    return answers


def py_answer(schema: Any, data: str) -> dict[str, Any]:
    try:
        value = loads(data)
    except JSONError as exc:
        return {"json_error": exc.message, "line": exc.line, "column": exc.column}
    problems = validate(value, schema)
    return {"valid": not problems, "problems": problems}


def go_normal(answer: dict[str, Any]) -> dict[str, Any]:
    if "json_error" in answer:
        e = answer["json_error"]
        return {"json_error": e["message"], "line": e.get("line"), "column": e.get("column")}
    assert "schema_error" not in answer, answer
    return {"valid": answer["valid"], "problems": answer.get("problems", [])}


def _same(py: dict[str, Any], go: dict[str, Any]) -> bool:
    if "json_error" in py or "json_error" in go:
        if "json_error" not in py or "json_error" not in go:
            return False
        # Both refuse the text; a duplicate key is worded and located alike.
        dup = "duplicate key" in go["json_error"]
        return not dup or py == go
    return py == go


def all_cases() -> list[tuple[str, Any, str, bool | None]]:
    cases: list[tuple[str, Any, str, bool | None]] = []
    for name, schema, tests in suite_groups():
        for desc, data, valid in tests:
            cases.append((f"{name} / {desc}", schema, data, valid))
    cases += [(f"own: {d}", s, data, None) for d, s, data in OWN]
    return cases


def test_the_simulator_and_the_app_validate_alike(conformance: Path) -> None:
    cases = all_cases()
    answers = go_answers(
        conformance, [{"op": "validate", "schema": s, "data": data} for _, s, data, _ in cases]
    )
    differ = []
    for (name, schema, data, _), answer in zip(cases, answers, strict=True):
        if any(i.code == "NF028" for i in lint_schema(schema)):
            continue  # the editor refuses the schema: it never reaches either validator
        py, go = py_answer(schema, data), go_normal(answer)
        if not _same(py, go):
            differ.append(f"{name}: {data[:80]}\n  simulator {py}\n  app       {go}")
    assert not differ, f"{len(differ)} of {len(cases)} differ:\n" + "\n".join(differ[:20])


def test_enforced_keywords_follow_the_suite() -> None:
    """Every suite case whose schema uses only enforced keywords gets the suite's answer
    (the Go side agrees with this one by the test above)."""
    checked, wrong = 0, []
    for name, schema, data, valid in all_cases():
        if valid is None or not enforced_only(schema):
            continue
        checked += 1
        got = py_answer(schema, data)
        if got.get("valid") is not valid:
            wrong.append(f"{name}: {data[:80]} -> {got}")
    assert checked > 600
    assert not wrong, "\n".join(wrong)


def test_every_enforced_keyword_and_format_is_exercised() -> None:
    used: set[str] = set()
    formats: set[str] = set()

    def walk(s: Any) -> None:
        if isinstance(s, dict):
            used.update(k for k in s if isinstance(k, str))
            if isinstance(s.get("format"), str):
                formats.add(s["format"])
            for v in s.values():
                walk(v)
        elif isinstance(s, list):
            for v in s:
                walk(v)

    for _, schema, _, _ in all_cases():
        walk(schema)
    enforced = {k for k, kw in KEYWORDS.items() if kw.status == "enforced"}
    assert enforced - used == set()
    assert set(FORMATS) - formats == set()


def test_patterns_the_editor_accepts_compile_in_the_app(conformance: Path) -> None:
    """The editor accepts what both RE2 (C++, the simulator's) and Go's regexp compile:
    never a pattern the app would refuse. Go alone also takes a few spellings (the long
    Unicode class names such as `\\p{Letter}`); the editor reports those (NF028), so
    no flow with one builds or simulates."""
    from nodeforge.analysis.regex import pattern_error

    answers = go_answers(conformance, [{"op": "pattern", "pattern": p} for p in PATTERNS])
    wrong = [
        f"{p!r}: editor accepts, app refuses"
        for p, a in zip(PATTERNS, answers, strict=True)
        if pattern_error(p) is None and not a["ok"]
    ]
    assert not wrong, "\n".join(wrong)
    go_only = {p for p, a in zip(PATTERNS, answers, strict=True) if a["ok"] and pattern_error(p)}
    assert go_only <= {"\\p{Letter}"}, go_only


# --------------------------------------------------------------------------- property tests

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=6),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "c", "x-1"]), inner, max_size=4),
    ),
    max_leaves=12,
)
_leaf_schemas = st.one_of(
    st.builds(
        lambda t: {"type": t},
        st.sampled_from(["null", "boolean", "integer", "number", "string", "array", "object"]),
    ),
    st.builds(lambda n: {"minimum": n}, st.integers(-5, 5) | st.floats(-5, 5)),
    st.builds(lambda n: {"exclusiveMaximum": n}, st.integers(-5, 5)),
    st.builds(lambda n: {"multipleOf": n}, st.sampled_from([1, 2, 0.5, 0.1, 0.01, 3])),
    st.builds(lambda n: {"minLength": n}, st.integers(0, 3)),
    st.builds(lambda n: {"maxItems": n}, st.integers(0, 3)),
    st.builds(lambda n: {"maxProperties": n}, st.integers(0, 3)),
    st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "\\d$", "^\\w*$", "[é-ü]", "^.$"])),
    st.builds(lambda f: {"format": f}, st.sampled_from(sorted(FORMATS))),
    st.builds(lambda v: {"const": v}, _scalars),
    st.builds(lambda vs: {"enum": vs}, st.lists(_scalars, min_size=1, max_size=3)),
    st.just({"uniqueItems": True}),
    st.booleans(),
)
_schemas = st.recursive(
    _leaf_schemas,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"allOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"anyOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"oneOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
        st.builds(lambda x: {"items": x}, inner),
        st.builds(lambda i, t: {"if": i, "then": t}, inner, inner),
        st.builds(
            lambda p, r: {"properties": p, "required": r},
            st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2),
            st.lists(st.sampled_from(["a", "c"]), max_size=2, unique=True),
        ),
        st.builds(
            lambda x: {"patternProperties": {"^x-": x}, "additionalProperties": False}, inner
        ),
    ),
    max_leaves=6,
)

_BATCH: list[tuple[Any, str]] = []


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(schema=_schemas, value=_values)
def _collect(schema: Any, value: Any) -> None:
    _BATCH.append((schema, json.dumps(value)))


def test_generated_schemas_and_values_agree(conformance: Path) -> None:
    _BATCH.clear()
    _collect()
    answers = go_answers(
        conformance, [{"op": "validate", "schema": s, "data": d} for s, d in _BATCH]
    )
    differ = [
        f"{json.dumps(s)} / {d}\n  simulator {py_answer(s, d)}\n  app       {go_normal(a)}"
        for (s, d), a in zip(_BATCH, answers, strict=True)
        if not _same(py_answer(s, d), go_normal(a))
    ]
    assert not differ, f"{len(differ)} of {len(_BATCH)} differ:\n" + "\n".join(differ[:10])


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=40), st.sampled_from(sorted(FORMATS)))
def _collect_formats(text: str, fmt: str) -> None:
    _FORMATS.append((fmt, text))


_FORMATS: list[tuple[str, str]] = []


def test_generated_format_strings_agree(conformance: Path) -> None:
    from nodeforge.sandbox.schemacheck import format_ok

    _FORMATS.clear()
    _collect_formats()
    # Near misses of valid values, where the formats' rules bite.
    for seed in ["2024-02-29T23:59:60Z", "a.b@c.d", "http://a/b?c#d", "12:00:00+23:59"]:
        for i in range(len(seed)):
            for c in "0:9Tz-.@/[":
                for fmt in FORMATS:
                    _FORMATS.append((fmt, seed[:i] + c + seed[i + 1 :]))
    clean = [(f, t.encode("utf-8", "replace").decode("utf-8")) for f, t in _FORMATS]
    answers = go_answers(conformance, [{"op": "format", "format": f, "value": t} for f, t in clean])
    differ = [
        f"{f} {t!r}: simulator {format_ok(f, t)}, app {a['ok']}"
        for (f, t), a in zip(clean, answers, strict=True)
        if format_ok(f, t) != a["ok"]
    ]
    assert not differ, "\n".join(differ[:20])


# --------------------------------------------------------------------------- a built app


def _rewrite_refs(s: Any, prefix: str) -> Any:
    if isinstance(s, dict):
        out = {}
        for k, v in s.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#"):
                out[k] = "#" + prefix + v[1:]
            else:
                out[k] = _rewrite_refs(v, prefix)
        return out
    if isinstance(s, list):
        return [_rewrite_refs(v, prefix) for v in s]
    return s


def wrapped(schema: Any) -> dict[str, Any]:
    """A body schema with the case's schema as the required member ``v``."""
    return {
        "type": "object",
        "required": ["v"],
        "properties": {"v": _rewrite_refs(schema, "/properties/v")},
    }


def app_groups() -> list[tuple[Any, list[str]]]:
    groups: list[tuple[Any, list[str]]] = []
    for _, schema, tests in suite_groups():
        groups.append((schema, [data for _, data, _ in tests]))
    for _, schema, data in OWN:
        groups.append((schema, [data]))
    # Schemas with errors do not build (NF028): those are the editor's to report.
    return [(s, d) for s, d in groups if not any(i.code == "NF028" for i in lint_schema(s))]


def _flow(i: int, schema: Any) -> dict[str, Any]:
    return {
        "nodeforge": "1",
        "id": f"c{i}",
        "nodes": [
            {
                "id": "hook",
                "type": "http/trigger",
                "version": "1.0.0",
                "config": {"method": "POST", "path": f"/c{i}", "body_schema": wrapped(schema)},
            },
            {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}},
        ],
        "connections": [{"from": "hook.out", "to": "reply.in"}],
    }


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    groups = app_groups()
    ws = make_workspace(
        tmp_path_factory.mktemp("schemas") / "schemas_app",
        *(_flow(i, s) for i, (s, _) in enumerate(groups)),
    )
    result = built(ws)
    assert result.binary is not None
    port = free_port()
    tmp = tmp_path_factory.mktemp("schemas-run")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "NODEFORGE_ADDR": f"127.0.0.1:{port}"}
    log = (tmp / "app.log").open("wb")
    proc = subprocess.Popen([str(result.binary)], env=env, stdout=log, stderr=log)
    try:
        wait_http(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _post(url: str, body: str) -> tuple[int, Any]:
    req = urllib.request.Request(
        url, data=body.encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _typed_without_type(schema: Any) -> bool:
    """Object or array keywords without `type` (at the top or in `properties`): JSON
    Schema lets a value of any other kind through, so the checker types it `any` and the
    app reads it generically (it once typed it as an object and answered 500)."""
    subs = [schema]
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        subs += list(schema["properties"].values())
    return any(
        isinstance(s, dict)
        and "type" not in s
        and bool({"properties", "required", "additionalProperties", "items"} & set(s))
        for s in subs
    )


def test_built_app_answers_like_the_simulator(app: str, tmp_path: Path) -> None:
    differ, asked = _compare_app(app, tmp_path, untyped=False)
    assert asked > 500
    assert not differ, f"{len(differ)} of {asked} differ:\n" + "\n".join(differ[:15])


def test_untyped_object_schemas_accept_other_kinds(app: str, tmp_path: Path) -> None:
    differ, _ = _compare_app(app, tmp_path, untyped=True)
    assert not differ, "\n".join(differ[:15])


def _compare_app(app: str, tmp_path: Path, untyped: bool) -> tuple[list[str], int]:
    from nodeforge.sandbox.nodetest import load_flow
    from nodeforge.sandbox.simulate import simulate

    groups = app_groups()
    differ, asked = [], 0
    for i, (schema, datas) in enumerate(groups):
        if _typed_without_type(schema) != untyped:
            continue
        flow_path = tmp_path / f"c{i}.flow.json"
        flow_path.write_text(json.dumps(_flow(i, schema)))
        analysis = load_flow(flow_path)
        for data in datas:
            body = '{"v": ' + data + "}"
            status, answer = _post(f"{app}/c{i}", body)
            asked += 1
            try:
                value = loads(body)
            except JSONError:
                sim_status, sim_errors = 400, None  # refused before the flow starts
            else:
                result = simulate(analysis, {"method": "POST", "body": value})
                response = result.get("response") or {}
                sim_status = response.get("status")
                sim_body = response.get("body")
                sim_errors = sim_body.get("errors") if isinstance(sim_body, dict) else None
            go_errors = answer.get("errors") if isinstance(answer, dict) else None
            same = status == sim_status and (
                sim_errors is None
                or sorted(map(json.dumps, go_errors or []))
                == sorted(map(json.dumps, sim_errors or []))
            )
            if not same:
                differ.append(
                    f"c{i} {json.dumps(schema)[:100]} {body[:80]}\n"
                    f"  simulator {sim_status} {sim_errors}\n  app       {status} {go_errors}"
                )
    return differ, asked


def test_object_keywords_without_type_type_any_and_warn() -> None:
    """JSON Schema applies `properties`, `required` and `items` to their own kind only:
    without `type` every other value passes, so the value is typed `any` (not an object
    the app would fail to decode) and the editor asks for the `type`."""
    from nodeforge.analysis.types import ANY, describe, type_from_schema

    untyped = {"properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert type_from_schema(untyped) == ANY
    assert type_from_schema({"items": {"type": "integer"}}) == ANY
    assert describe(type_from_schema({"type": "object", **untyped})) == "{a: string}"
    issues = [(i.code, i.path, i.message) for i in lint_schema(untyped)]
    assert issues == [
        (
            "NF029",
            ("properties",),
            '`properties` applies to objects only: without `"type": "object"` a value of '
            "another kind passes, and the value is typed `any`",
        )
    ]
    assert lint_schema({"type": "object", **untyped}) == []
    assert lint_schema({"enum": [{"a": "x"}], "required": ["a"]}) == []  # enum says the kind
    # validation follows the standard on both sides (the app: test above)
    assert validate("text", untyped) == [] and validate({}, untyped) != []
