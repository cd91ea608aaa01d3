"""Faithfulness: the simulator and the compiled binary must answer the same.

Every example flow (each trigger, with the inputs of its tests and more, and every I/O
node pinned by the same fixtures for both) and a generated corpus of flows and inputs go
through ``simulate`` and through the compiled app's ``run`` command; the HTTP status,
the body and whether the execution failed must agree.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.diagnostics import Severity
from nodeforge.codegen.build import BuildResult, app_env, build
from nodeforge.sandbox import simulations as sims
from nodeforge.sandbox.nodetest import load_flow
from nodeforge.sandbox.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = "2026-03-04T05:06:07Z"

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")


# -- running both --------------------------------------------------------------------------


def run_binary(
    binary: Path,
    root: Path,
    flow_id: str,
    trigger: str,
    value: Any,
    fixtures: dict[str, Any],
    tmp: Path,
) -> dict[str, Any]:
    inp, fx = tmp / "input.json", tmp / "fixtures.json"
    inp.write_text(json.dumps(value))
    fx.write_text(json.dumps(fixtures))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), **app_env(root, tmp / "data")}
    proc = subprocess.run(
        [
            str(binary),
            "run",
            flow_id,
            "--trigger",
            trigger,
            "--input",
            str(inp),
            "--fixtures",
            str(fx),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result from the binary: {proc.stdout}\n{proc.stderr}"
    out: dict[str, Any] = json.loads(lines[-1])
    return out


def normalise_go(captured: dict[str, Any]) -> dict[str, Any]:
    body = captured.get("body")
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "execution_id"}
    return {
        "status": captured.get("status"),
        "body": body,
        "headers": captured.get("headers") or {},
        "failed": bool(captured.get("error")),
    }


def normalise_sim(result: dict[str, Any]) -> dict[str, Any]:
    response = result["response"] or {}
    body = response.get("body")
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "execution_id"}
    return {
        "status": response.get("status"),
        "body": body,
        "headers": response.get("headers") or {},
        "failed": result["status"] == "failed",
    }


def same(sim: dict[str, Any], go: dict[str, Any]) -> bool:
    """Equal answers, 400 problem details included (the simulator checks schemas with the
    Go runtime's rules and messages)."""
    return json.dumps(sim, sort_keys=True) == json.dumps(go, sort_keys=True) or _numeq(sim, go)


def _numeq(a: Any, b: Any) -> bool:
    """JSON equality where 2 == 2.0 (Go prints float64 2 as `2`)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_numeq(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_numeq(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return bool(a == b)


def io_fixtures(path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every node the simulator cannot run, pinned to a value of its output type."""
    a = load_flow(path)
    fixtures: dict[str, Any] = {}
    for n in a.document.nodes:
        if n.id is None or n.type is None or n.type in sims.ENGINE_NODES:
            continue
        if sims.lookup(n.type, n.version or "") is None:
            fixtures[n.id] = sims.sample(a.facts[n.id].output_types.get("out", sims.AnyType()))
    fixtures.update(overrides or {})
    return fixtures


# -- the examples -----------------------------------------------------------------------------


@cache
def examples_binary() -> BuildResult:
    out = Path(_tmp()) / "examples"
    result = build(EXAMPLES, out_dir=out / "gen", binary=out / "bin" / "app")
    assert result.ok and result.binary is not None, result.output
    return result


@cache
def _tmp() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="nf-differential-")


ORDER = {"customer": {"email": " Ana@Example.com ", "country": "es"}}
EXAMPLE_CASES: list[tuple[str, str, Any, dict[str, Any]]] = [
    (
        "orders_api",
        "create_order",
        {"body": {"sku": "A-1", "qty": 2, "customer_email": "a@b.co"}},
        {"insert_order": {"rows_affected": 1}},
    ),
    (
        "orders_api",
        "create_order",
        {"body": {"sku": "A-1", "qty": 2, "customer_email": "a@b.co"}},
        {"insert_order": {"rows_affected": 0}},
    ),
    ("orders_api", "create_order", {"body": {"sku": "A-1"}}, {}),
    (
        "orders_api",
        "get_order",
        {"params": {"id": "7"}},
        {"find_order": {"rows": [{"id": 7, "sku": "A", "qty": 1, "status": "new"}], "count": 1}},
    ),
    ("orders_api", "get_order", {"params": {"id": "7"}}, {"find_order": {"rows": [], "count": 0}}),
    ("orders_api", "get_order", {"params": {"id": "x"}}, {}),
    (
        "orders_api",
        "list_orders",
        {},
        {"all_orders": {"rows": [{"id": 1, "sku": "A", "qty": 3, "status": "new"}], "count": 1}},
    ),
    (
        "order_intake",
        "intake",
        {"body": {**ORDER, "lines": [{"sku": "A1", "qty": 2, "unit_price": 10.0}]}},
        {},
    ),
    ("order_intake", "intake", {"body": {**ORDER, "lines": []}}, {}),
    (
        "order_intake",
        "intake",
        {
            "body": {
                **ORDER,
                "lines": [
                    {"sku": "B", "qty": 300, "unit_price": 99.5},
                    {"sku": "C", "qty": 1, "unit_price": 0.5},
                ],
            }
        },
        {},
    ),
    ("order_intake", "intake", {"body": {"lines": "nope"}}, {}),
    (
        "api_aggregator",
        "overview",
        {"params": {"id": "c1"}},
        {
            "crm": {
                "status": 200,
                "headers": {},
                "body": {"name": "Ada", "email": "ADA@X.IO", "tier": "gold"},
            },
            "billing": {"status": 200, "headers": {}, "body": {"balance": -5.5, "currency": "EUR"}},
        },
    ),
    (
        "api_aggregator",
        "overview",
        {"params": {"id": "c2"}},
        {
            "crm": {"status": 200, "headers": {}, "body": {"name": "Bo", "email": "b@x.io"}},
            "billing": {"$error": {"message": "billing down", "code": "http"}},
        },
    ),
    (
        "support_bot",
        "incoming",
        {"body": {"from": "+34600000000", "text": "where is my order?"}},
        {"classify": {"label": "question", "confidence": 0.9}},
    ),
    (
        "support_bot",
        "incoming",
        {"body": {"from": "+34600000000", "text": "refund now"}},
        {"classify": {"label": "complaint", "confidence": 0.4}},
    ),
    (
        "support_bot",
        "incoming",
        {"body": {"from": "+34600000000", "text": "hi"}},
        {"classify": {"label": "other", "confidence": 0.99}},
    ),
    (
        "daily_report",
        "every_morning",
        {"time": NOW},
        {
            "sales": {
                "rows": [
                    {"sku": "A1", "units": 2, "revenue": 20.0},
                    {"sku": "B2", "units": 1, "revenue": 99.5},
                ],
                "count": 2,
            },
            "stock_of": {
                "$sequence": [{"rows": [{"units": 5}], "count": 1}, {"rows": [], "count": 0}]
            },
        },
    ),
    (
        "daily_report",
        "every_morning",
        {"time": NOW},
        {"sales": {"$error": {"message": "db locked"}}},
    ),
    # quote_api calls tax_rate (flow/subflow): simulated in turn, compiled as a call.
    *[
        (
            "quote_api",
            "quote",
            {"body": {"country": country, "lines": [{"sku": "T", "qty": 12, "unit_cents": 500}]}},
            {"pricing": pricing},
        )
        for country in ("FR", "DE", "ES", "ZZ", "fr")
        for pricing in (
            {"units": 12, "subtotal_cents": 6000, "discount_cents": 300},
            {"units": 1, "subtotal_cents": 0, "discount_cents": 100},  # a negative amount
        )
    ],
    # customers_api: a nullable phone as a SQL parameter, a format-checked email
    *[
        ("customers_api", "register", {"body": body}, {"insert_customer": {"rows_affected": 1}})
        for body in (
            {"email": "Ana@Example.com", "name": " Ana ", "phone": "+34 600"},
            {"email": "bo@example.com", "name": "Bo", "phone": None},
            {"email": "bo@example.com", "name": "Bo"},
            {"email": "not an email", "name": "Cy"},
            {"email": "cy@example.com", "name": "Cy", "phone": 600},
        )
    ],
    ("tax_rate", "start", {"country": "DE", "amount_cents": 1234}, {}),
    ("tax_rate", "start", {"country": "US", "amount_cents": 1}, {}),
    ("tax_rate", "start", {"country": "DE"}, {}),
]


def _case_id(case: tuple[str, str, Any, dict[str, Any]]) -> str:
    return f"{case[0]}-{case[1]}-{EXAMPLE_CASES.index(case)}"


def _pins_failure(case: tuple[str, str, Any, dict[str, Any]]) -> bool:
    return any(isinstance(v, dict) and "$error" in v for v in case[3].values())


# `$error` pins are simulator-only (the binary would decode them as an output): those
# cases are checked by test_failure_pins_follow_the_error_port.
@pytest.mark.parametrize("case", [c for c in EXAMPLE_CASES if not _pins_failure(c)], ids=_case_id)
def test_examples_agree(case: tuple[str, str, Any, dict[str, Any]], tmp_path: Path) -> None:
    flow_name, trigger, value, overrides = case
    path = EXAMPLES / f"{flow_name}.flow.json"
    fixtures = io_fixtures(path, overrides)
    built = examples_binary()
    assert built.binary is not None
    sim = simulate(load_flow(path), value, trigger=trigger, fixtures=fixtures, env={}, now=NOW)
    assert sim["faithful"], sim["unfaithful"]
    go = run_binary(built.binary, EXAMPLES, flow_name, trigger, value, fixtures, tmp_path)
    s, g = normalise_sim(sim), normalise_go(go)
    assert same(s, g), (
        f"simulator {s}\n   binary {g}\nsim error: {sim['error']}\ngo error: {go.get('error')}"
    )


def test_failure_pins_follow_the_error_port() -> None:
    """A pinned failure goes to the error port (api_aggregator answers 502) or, with only
    a log node on it, ends the execution there (daily_report)."""
    failing = [c for c in EXAMPLE_CASES if _pins_failure(c)]
    assert len(failing) == 2
    for flow_name, trigger, value, overrides in failing:
        path = EXAMPLES / f"{flow_name}.flow.json"
        fixtures = io_fixtures(path, overrides)
        sim = simulate(load_flow(path), value, trigger=trigger, fixtures=fixtures, env={}, now=NOW)
        if flow_name == "api_aggregator":
            assert sim["response"]["status"] == 502
            assert sim["response"]["body"]["detail"] == "billing down"
        else:
            assert sim["status"] == "done", sim["error"]
            assert sim["nodes"]["query_failed"]["runs"] == 1


# -- a generated corpus ------------------------------------------------------------------------

INPUT_SCHEMA = {
    "type": "object",
    "required": ["n", "name", "items", "flag"],
    "properties": {
        "n": {"type": "integer"},
        "x": {"type": "number"},
        "name": {"type": "string"},
        "flag": {"type": "boolean"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku", "qty"],
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
            },
        },
    },
}

VALUES = [
    "input.n * 2 + 1",
    "input.n / 3",
    "input.n % 5",
    "double(input.n) / 4.0",
    "upper(input.name)",
    'lower(input.name) + "!"',
    "size(input.items)",
    'input.name + "-" + string(input.n)',
    "input.flag && input.n > 3",
    'input.n > 10 ? "big" : "small"',
    'contains(input.name, "a")',
    "trim(input.name)",
    "size(input.name) >= 3 || input.flag",
    "has(input.x) ? input.x * 2.0 : -1.0",
    "[input.n, input.n + 1]",
    '{"k": input.name, "v": input.n - 7}',
    "-input.n",
    "input.n == 0 ? 0 : 100 / input.n",
    "input.items[0].qty",  # fails on an empty list: both must fail the execution
    "int(input.name)",  # fails unless the name is a number
]
CONDITIONS = [
    "input.n > 5",
    "input.flag",
    "size(input.items) > 1",
    'startsWith(input.name, "a")',
    "input.n % 2 == 0",
    "!input.flag || input.n < 0",
    '"a" in [input.name, "b"]',
]


VALIDATE_SCHEMAS = [
    {
        "type": "object",
        "required": ["n", "name"],
        "properties": {
            "n": {"type": "integer", "minimum": 0, "maximum": 40},
            "name": {"type": "string", "minLength": 3},
        },
    },
    {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {"qty": {"type": "integer", "exclusiveMinimum": 0}},
                },
            },
            "name": {"type": "string", "pattern": "^[a-z]"},
        },
    },
]


def generated_flow(seed: int) -> dict[str, Any]:
    rnd = random.Random(seed)
    # Trigger ids differ between flows: the Go code of a manual trigger declares a
    # package-level `<id>InputSchema`, which clashes when two flows share the id.
    start = f"start_{seed}"
    nodes: list[dict[str, Any]] = [
        {
            "id": start,
            "type": "trigger/manual",
            "version": "1.0.0",
            "config": {"input_schema": INPUT_SCHEMA},
        }
    ]
    conns: list[dict[str, str]] = []
    counter = iter(range(1, 1000))

    def add(type_: str, config: dict[str, Any]) -> str:
        nid = f"{type_.split('/')[1]}_{seed}_{next(counter)}"  # unique across flows: see start
        nodes.append({"id": nid, "type": type_, "version": "1.0.0", "config": config})
        return nid

    def respond(src: str) -> None:
        status = rnd.choice([200, 201, 202, 422])
        body = rnd.choice(
            [
                None,
                '{"n": input.n, "name": input.name, "k": ' + rnd.choice(VALUES) + "}",
                '{"first": nodes.' + start + '.out.n, "v": ' + rnd.choice(VALUES) + "}",
            ]
        )
        cfg: dict[str, Any] = {"status": status}
        if body is not None:
            cfg["body"] = body
        rid = add("http/respond", cfg)
        conns.append({"from": src, "to": f"{rid}.in"})

    prev = f"{start}.out"
    for _ in range(rnd.randint(2, 6)):
        kind = rnd.choice(["set", "if", "switch", "log", "foreach", "validate"])
        if kind == "set":
            nid = add("data/set", {"values": {f"f{next(counter)}": rnd.choice(VALUES)}})
            conns.append({"from": prev, "to": f"{nid}.in"})
            prev = f"{nid}.out"
        elif kind == "if":
            nid = add("flow/if", {"condition": rnd.choice(CONDITIONS)})
            conns.append({"from": prev, "to": f"{nid}.in"})
            respond(f"{nid}.false")
            prev = f"{nid}.true"
        elif kind == "switch":
            cases = [{"when": c} for c in rnd.sample(CONDITIONS, 2)]
            nid = add("flow/switch", {"cases": cases})
            conns.append({"from": prev, "to": f"{nid}.in"})
            respond(f"{nid}.case1")
            prev = rnd.choice([f"{nid}.case2", f"{nid}.default"])
        elif kind == "log":
            nid = add("util/log", {"message": "n={{ input.n }} {{ " + rnd.choice(VALUES) + " }}"})
            conns.append({"from": prev, "to": f"{nid}.in"})
            prev = f"{nid}.out"
        elif kind == "validate":
            nid = add("data/validate", {"schema": rnd.choice(VALIDATE_SCHEMAS)})
            conns.append({"from": prev, "to": f"{nid}.in"})
            rid = add("http/respond", {"status": 422, "body": '{"errors": input.errors}'})
            conns.append({"from": f"{nid}.invalid", "to": f"{rid}.in"})
            prev = f"{nid}.valid"
        else:
            nid = add("flow/foreach", {"list": "input.items"})
            conns.append({"from": prev, "to": f"{nid}.in"})
            line = add("data/template", {"template": "{{ input.sku }} x{{ input.qty * 2 }}"})
            conns.append({"from": f"{nid}.item", "to": f"{line}.in"})
            prev = f"{nid}.done"
    respond(prev)
    return {
        "nodeforge": "1",
        "id": f"gen_{seed}",
        "name": f"generated {seed}",
        "nodes": nodes,
        "connections": conns,
    }


def generated_input(rnd: random.Random) -> dict[str, Any]:
    value: dict[str, Any] = {
        "n": rnd.choice([-13, -4, 0, 1, 2, 3, 7, 12, 49]),
        "name": rnd.choice(["ana", "Bob", "", "  zed ", "anna-maria"]),
        "flag": rnd.random() < 0.5,
        "items": [
            {"sku": rnd.choice(["A", "B7"]), "qty": rnd.randint(0, 9)}
            for _ in range(rnd.randint(0, 3))
        ],
    }
    if rnd.random() < 0.5:
        value["x"] = rnd.choice([0.5, -2.25, 10.0])
    broken = rnd.random()
    if broken < 0.06:  # the trigger's input_schema rejects these: both must answer 400
        del value["flag"]
    elif broken < 0.12:
        value["n"] = str(value["n"])
    elif broken < 0.15 and value["items"]:
        value["items"][0]["qty"] = 1.5
    return value


CORPUS_SIZE = 24
INPUTS_PER_FLOW = 4


@cache
def corpus() -> tuple[Path, BuildResult, list[str]]:
    root = Path(_tmp()) / "corpus"
    (root / "flows").mkdir(parents=True)
    (root / "nodeforge.toml").write_text('[project]\nname = "corpus"\n')
    kept = []
    for seed in range(CORPUS_SIZE):
        flow = generated_flow(seed)
        path = root / "flows" / f"gen_{seed}.flow.json"
        path.write_text(json.dumps(flow, indent=2))
        a = load_flow(path)
        if any(d.severity == Severity.ERROR for d in a.diagnostics):
            path.unlink()  # the generator may combine things the checker rejects
            continue
        kept.append(f"gen_{seed}")
    result = build(root, out_dir=root / ".gen", binary=root / "app")
    assert result.ok and result.binary is not None, result.output
    return root, result, kept


def test_corpus_is_mostly_valid() -> None:
    _, _, kept = corpus()
    assert len(kept) >= CORPUS_SIZE * 3 // 4, kept


@pytest.mark.parametrize("seed", range(CORPUS_SIZE))
def test_generated_flows_agree(seed: int, tmp_path: Path) -> None:
    root, built, kept = corpus()
    if f"gen_{seed}" not in kept:
        pytest.skip("generated flow rejected by the checker")
    assert built.binary is not None
    path = root / "flows" / f"gen_{seed}.flow.json"
    analysis = load_flow(path)
    rnd = random.Random(1000 + seed)
    for _ in range(INPUTS_PER_FLOW):
        value = generated_input(rnd)
        sim = simulate(analysis, value, env={}, now=NOW)
        assert sim["faithful"]
        go = run_binary(built.binary, root, f"gen_{seed}", f"start_{seed}", value, {}, tmp_path)
        s, g = normalise_sim(sim), normalise_go(go)
        assert same(s, g), (
            f"input {json.dumps(value)}\nsimulator {s}\n   binary {g}\n"
            f"sim error: {sim['error']}\ngo error: {go.get('error')}\ntrace {sim['trace']}"
        )


# -- data/map keep_input ----------------------------------------------------------------------

KEEP_INPUT_FLOW = {
    "nodeforge": "1",
    "id": "keep_input",
    "nodes": [
        {
            "id": "start_keep",
            "type": "trigger/manual",
            "version": "1.0.0",
            "config": {"input_schema": INPUT_SCHEMA},
        },
        {  # overrides a kept field: the input's fields are copied, optional `x` too
            "id": "keep",
            "type": "data/map",
            "version": "1.1.0",
            "config": {
                "mapping": {"name": "upper(input.name)", "twice": "input.n * 2"},
                "keep_input": True,
            },
        },
        {  # only adds a field: the input is embedded whole
            "id": "grow",
            "type": "data/map",
            "version": "1.1.0",
            "config": {"mapping": {"count": "size(input.items)"}, "keep_input": True},
        },
        {  # keep_input left at its default (false): the mapped fields only
            "id": "slim",
            "type": "data/map",
            "version": "1.1.0",
            "config": {"mapping": {"n": "input.twice + input.count", "flag": "input.flag"}},
        },
        {
            "id": "reply",
            "type": "http/respond",
            "version": "1.0.0",
            "config": {"body": '{"keep": nodes.keep.out, "grow": nodes.grow.out, "slim": input}'},
        },
    ],
    "connections": [
        {"from": "start_keep.out", "to": "keep.in"},
        {"from": "keep.out", "to": "grow.in"},
        {"from": "grow.out", "to": "slim.in"},
        {"from": "slim.out", "to": "reply.in"},
    ],
}


@cache
def keep_input_app() -> tuple[Path, BuildResult]:
    root = Path(_tmp()) / "keep_input"
    (root / "flows").mkdir(parents=True)
    (root / "nodeforge.toml").write_text('[project]\nname = "keep"\n')
    (root / "flows" / "keep_input.flow.json").write_text(json.dumps(KEEP_INPUT_FLOW, indent=2))
    result = build(root, out_dir=root / ".gen", binary=root / "app")
    assert result.ok and result.binary is not None, result.output
    return root, result


def test_data_map_keep_input_agrees(tmp_path: Path) -> None:
    """data/map with keep_input (kept fields copied or embedded, then mapped) answers the
    same simulated and compiled, optional and overridden fields included."""
    root, built = keep_input_app()
    assert built.binary is not None
    analysis = load_flow(root / "flows" / "keep_input.flow.json")
    assert [d.message for d in analysis.diagnostics] == []
    rnd = random.Random(7)
    values = [generated_input(rnd) for _ in range(8)]
    values.append({"n": 3, "name": "ana", "flag": True, "items": [], "x": 0.5})
    for value in values:
        sim = simulate(analysis, value, env={}, now=NOW)
        assert sim["faithful"], sim["unfaithful"]
        go = run_binary(built.binary, root, "keep_input", "start_keep", value, {}, tmp_path)
        s, g = normalise_sim(sim), normalise_go(go)
        assert same(s, g), f"input {json.dumps(value)}\nsimulator {s}\n   binary {g}"
    last = normalise_sim(sim)["body"]
    assert last["keep"] == {**values[-1], "name": "ANA", "twice": 6}
    assert last["grow"] == {**last["keep"], "count": 0}
    assert last["slim"] == {"n": 6, "flag": True}
