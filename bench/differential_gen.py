"""Random valid flows and their inputs for the differential test (issue 12, item 26).

A seeded generator (``random.Random``: the same seed gives the same flows, so a
difference found in a long run is reproduced by its seed alone) builds flows of catalog
nodes over typed data: an HTTP trigger with a random ``body_schema``, then a chain of
``data/set``, ``data/map``, ``data/template``, ``data/validate``, ``util/log``,
``flow/if``, ``flow/switch``, ``flow/foreach`` (with a body), ``flow/merge`` (a fan-out
meeting again), ``flow/subflow`` (a helper flow of the batch), ``sql/query`` and
``sql/exec`` on a SQLite connector, ``http/request`` to a local upstream and ``code/go``,
ending in ``http/respond`` nodes. Every config expression is generated for the type its
place wants, over the paths the generator knows are in scope (the node's input, the
trigger's output through ``nodes.<id>.out``, a loop variable inside a list macro).
Inputs are valid bodies and broken ones (a wrong type, a missing required field, a
value out of range, a body that is not an object).

The generator tracks the types itself (a small structural type per port) so that most
flows check clean; the checker is still the judge: the runner analyses every flow and
discards (and counts) the ones with errors.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

# -- types -------------------------------------------------------------------------------
# ("int",) ("num",) ("str",) ("bool",) ("list", T) ("obj", ((name, T, required), ...))
Ty = tuple[Any, ...]
INT: Ty = ("int",)
NUM: Ty = ("num",)
STR: Ty = ("str",)
BOOL: Ty = ("bool",)
SCALARS = (INT, NUM, STR, BOOL)


def lst(t: Ty) -> Ty:
    return ("list", t)


def obj(*fields: tuple[str, Ty, bool]) -> Ty:
    return ("obj", tuple(fields))


def nul(t: Ty) -> Ty:
    """``T | null``."""
    return ("nul", t)


def schema_of(t: Ty) -> dict[str, Any]:
    """The JSON Schema of a generator type."""
    kind = t[0]
    if kind == "nul":
        inner = schema_of(t[1])
        return {**inner, "type": [inner["type"], "null"]}
    if kind == "int":
        return {"type": "integer"}
    if kind == "num":
        return {"type": "number"}
    if kind == "str":
        return {"type": "string"}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "list":
        return {"type": "array", "items": schema_of(t[1])}
    if kind == "map":
        return {"type": "object", "additionalProperties": schema_of(t[1])}
    props = {name: schema_of(ft) for name, ft, _ in t[1]}
    req = [name for name, _, r in t[1] if r]
    out: dict[str, Any] = {"type": "object", "properties": props}
    if req:
        out["required"] = req
    return out


def fields_of(t: Ty) -> tuple[tuple[str, Ty, bool], ...]:
    return t[1] if t[0] == "obj" else ()


# -- features the runner can turn off ----------------------------------------------------

FEATURES = (
    "set", "map", "template", "log", "if", "switch", "validate", "foreach", "merge",
    "subflow", "sql_query", "sql_exec", "http_request", "code", "macros", "nonobject_body",
    "optional_fields", "coalesce", "nullable", "params", "typed_params", "untyped_body",
)  # fmt: skip


def supported(features: frozenset[str] = frozenset(FEATURES)) -> frozenset[str]:
    """``features`` without those this checkout does not have yet (list macros, issue 12
    item 21, are probed: an expression that uses one must check clean)."""
    from nodeforge.analysis.expressions import check, parse
    from nodeforge.analysis.expressions.checker import TypeEnv
    from nodeforge.analysis.types import type_from_schema

    out = set(features)
    parsed = parse("input.l.map(x, x + 1).filter(x, x > 1).exists(x, x > 2)")
    env = TypeEnv(input=type_from_schema(schema_of(obj(("l", lst(INT), True)))))
    if parsed.expr is None or parsed.errors or check(parsed.expr, env).errors:
        out.discard("macros")
    return frozenset(out)


@dataclass
class Options:
    upstream: str  # base URL of the local upstream (http://127.0.0.1:PORT)
    helper: str  # id of the helper flow subflow nodes call
    features: frozenset[str] = field(default_factory=supported)
    max_steps: int = 6


@dataclass
class Request:
    """One request of a flow's inputs: the body sent (JSON text) and its value."""

    body: Any
    valid: bool
    note: str = ""
    url_tail: str = ""  # after the flow's route: a path parameter, a query string

    @property
    def text(self) -> str:
        return json.dumps(self.body)


@dataclass
class GenFlow:
    flow: dict[str, Any]
    route: str  # the URL path without its parameter
    body_type: Ty
    requests: list[Request] = field(default_factory=list)
    schema: dict[str, Any] = field(default_factory=dict)  # what valid bodies follow
    param: bool = False  # the route ends in /{id}
    typed_params: bool = False  # params_schema and query_schema: id and k are integers


# -- expressions -----------------------------------------------------------------------

WORDS = ("ana", "Bob", "zed", "a-b", "Ünï", "x y", "", "42", "7.5")
# path and query texts where params are typed integers: mostly numbers, some not
NUMBER_TEXTS = ("7", "42", "0", "-3", "-9", "12", "abc", "1.5", "", "99999999999999999999")


def _str_lit(rnd: random.Random) -> str:
    return json.dumps(rnd.choice(WORDS), ensure_ascii=False)


@dataclass
class Scope:
    """What expressions at one place may read: (expression, type, surely present)."""

    paths: list[tuple[str, Ty, bool]]

    @staticmethod
    def of(root: str, t: Ty) -> Scope:
        s = Scope([])
        s.add(root, t, True)
        return s

    def add(self, expr: str, t: Ty, sure: bool) -> None:
        self.paths.append((expr, t, sure))
        for name, ft, req in fields_of(t):
            self.add(f"{expr}.{name}", ft, sure and req)

    def extended(self, other: Scope) -> Scope:
        return Scope(self.paths + other.paths)

    def sure(self, t: Ty) -> list[str]:
        return [e for e, pt, s in self.paths if s and pt == t]

    def optional(self, t: Ty) -> list[str]:
        return [e for e, pt, s in self.paths if not s and pt == t and "." in e]

    def nullable(self, t: Ty) -> list[str]:
        return [e for e, pt, s in self.paths if s and pt == nul(t)]

    def lists(self) -> list[tuple[str, Ty]]:
        return [(e, pt[1]) for e, pt, s in self.paths if s and pt[0] == "list"]


class Exprs:
    """Expressions of a wanted type over a scope (CEL subset of docs/expressions.md)."""

    def __init__(self, rnd: random.Random, scope: Scope, features: frozenset[str]) -> None:
        self.rnd = rnd
        self.scope = scope
        self.features = features

    def of(self, t: Ty, depth: int = 2) -> str:
        r = self.rnd
        kind = t[0]
        leaf = depth <= 0 or r.random() < 0.3
        paths = self.scope.sure(t)
        if paths and (leaf or r.random() < 0.35):
            return r.choice(paths)
        if leaf:
            return self.literal(t)
        gen = getattr(self, f"_{kind}")
        out: str = gen(t, depth - 1)
        return out

    def literal(self, t: Ty) -> str:
        r = self.rnd
        kind = t[0]
        if kind == "int":
            return str(r.choice([0, 1, 2, 3, 7, 10, -4, 100]))
        if kind == "num":
            return r.choice(["0.5", "2.5", "-1.25", "10.0", "3.0"])
        if kind == "str":
            return _str_lit(r)
        if kind == "bool":
            return r.choice(["true", "false"])
        if kind == "list":
            return "[" + ", ".join(self.literal(t[1]) for _ in range(r.randint(0, 2))) + "]"
        return "{" + ", ".join(f'"{n}": {self.literal(ft)}' for n, ft, _ in t[1]) + "}"

    def _fallback(self, t: Ty, depth: int) -> str | None:
        """An optional or nullable path read safely (``has() ? : ``, ``coalesce``), or
        None."""
        nullable = self.scope.nullable(t) if "nullable" in self.features else []
        if nullable and self.rnd.random() < 0.5:
            return f"coalesce({self.rnd.choice(nullable)}, {self.of(t, depth)})"
        opts = self.scope.optional(t)
        if not opts or "optional_fields" not in self.features:
            return None
        p = self.rnd.choice(opts)
        if "coalesce" in self.features and self.rnd.random() < 0.5:
            return f"coalesce({p}, {self.of(t, depth)})"
        return f"(has({p}) ? {p} : {self.of(t, depth)})"

    def _macro_list(self) -> tuple[str, Ty] | None:
        if "macros" not in self.features:
            return None
        lists = self.scope.lists()
        return self.rnd.choice(lists) if lists else None

    def _in_item(self, item: Ty) -> tuple[str, Exprs]:
        """A macro's variable (a name no enclosing macro uses: reusing one is an error) and
        the expressions of its body, which may read it."""
        roots = {e.split(".", 1)[0] for e, _, _ in self.scope.paths}
        var = next(v for v in ("x", "y", "z", "w", "v", "u", "t") if v not in roots)
        return var, Exprs(self.rnd, self.scope.extended(Scope.of(var, item)), self.features)

    def _int(self, t: Ty, d: int) -> str:
        r = self.rnd
        pick = r.randrange(13)
        if pick == 0:
            return f"({self.of(INT, d)} + {self.of(INT, d)})"
        if pick == 1:
            return f"({self.of(INT, d)} - {self.of(INT, d)})"
        if pick == 2:
            return f"({self.of(INT, d)} * {r.choice([2, 3, -1])})"
        if pick == 3:
            return f"({self.of(INT, d)} / {r.choice(['2', '3', self.of(INT, 0)])})"
        if pick == 4:
            return f"({self.of(INT, d)} % {r.choice([2, 5, 7])})"
        if pick == 5:
            src = r.choice([STR, lst(INT), lst(STR)])
            lists = self.scope.lists()
            if lists and r.random() < 0.6:
                return f"size({r.choice(lists)[0]})"
            return f"size({self.of(src, d)})"
        if pick == 6:
            return f"int({self.of(NUM, d)})"
        if pick == 7:
            return f"({self.of(BOOL, d)} ? {self.of(INT, d)} : {self.of(INT, d)})"
        if pick == 8:
            return f"-{self.of(INT, d)}"
        if pick == 9:
            fb = self._fallback(INT, d)
            if fb:
                return fb
        if pick == 10 and r.random() < 0.3:
            return f"int({self.of(STR, d)})"  # fails unless the text is a number
        if pick == 11:
            m = self._macro_list()
            if m:
                var, inner = self._in_item(m[1])
                return f"size({m[0]}.filter({var}, {inner.of(BOOL, 1)}))"
        return self.literal(INT)

    def _num(self, t: Ty, d: int) -> str:
        r = self.rnd
        pick = r.randrange(7)
        if pick == 0:
            return f"double({self.of(INT, d)})"
        if pick == 1:
            return f"({self.of(NUM, d)} + {self.of(NUM, d)})"
        if pick == 2:
            return f"({self.of(NUM, d)} * {self.of(NUM, d)})"
        if pick == 3:
            return f"({self.of(NUM, d)} / {r.choice(['2.0', '4.0', '0.5'])})"
        if pick == 4:
            return f"({self.of(BOOL, d)} ? {self.of(NUM, d)} : {self.of(NUM, d)})"
        if pick == 5:
            fb = self._fallback(NUM, d)
            if fb:
                return fb
        return self.literal(NUM)

    def _str(self, t: Ty, d: int) -> str:
        r = self.rnd
        pick = r.randrange(11)
        if pick == 0:
            return f"{r.choice(['upper', 'lower', 'trim'])}({self.of(STR, d)})"
        if pick == 1:
            return f"({self.of(STR, d)} + {self.of(STR, d)})"
        if pick == 2:
            return f"string({self.of(INT, d)})"
        if pick == 3:
            return f"string({self.of(NUM, d)})"
        if pick == 4:
            return f"join({self.of(lst(STR), d)}, {_str_lit(r)})"
        if pick == 5:
            return f"({self.of(BOOL, d)} ? {self.of(STR, d)} : {self.of(STR, d)})"
        if pick == 6:
            fb = self._fallback(STR, d)
            if fb:
                return fb
        if pick == 7:
            return f"{self.of(STR, d)}.{r.choice(['upper', 'lower'])}()"
        if pick == 8:
            return f"string({self.of(BOOL, d)})"
        return self.literal(STR)

    def _bool(self, t: Ty, d: int) -> str:
        r = self.rnd
        pick = r.randrange(12)
        if pick == 0:
            return f"({self.of(INT, d)} {r.choice(['<', '<=', '>', '>=', '==', '!='])} {self.of(INT, d)})"
        if pick == 1:
            return f"({self.of(STR, d)} {r.choice(['==', '!=', '<'])} {self.of(STR, d)})"
        if pick == 2:
            return f"({self.of(BOOL, d)} {r.choice(['&&', '||'])} {self.of(BOOL, d)})"
        if pick == 3:
            return f"!{self.of(BOOL, d)}"
        if pick == 4:
            fn = r.choice(["contains", "startsWith", "endsWith"])
            return f"{fn}({self.of(STR, d)}, {_str_lit(r)})"
        if pick == 5:
            opts = [p for t2 in SCALARS for p in self.scope.optional(t2)]
            if opts and "optional_fields" in self.features:
                return f"has({r.choice(opts)})"
        if pick == 6:
            return f"({self.of(INT, d)} in {self.of(lst(INT), d)})"
        if pick == 7:
            lists = self.scope.lists()
            if lists:
                return f"(size({r.choice(lists)[0]}) {r.choice(['>', '=='])} {r.choice([0, 1, 2])})"
        if pick == 8:
            m = self._macro_list()
            if m:
                var, inner = self._in_item(m[1])
                fn = r.choice(["exists", "all", "exists_one"])
                return f"{m[0]}.{fn}({var}, {inner.of(BOOL, 1)})"
        if pick == 9:
            nullable = [p for t2 in SCALARS for p in self.scope.nullable(t2)]
            if nullable and "nullable" in self.features:
                return f"({r.choice(nullable)} {r.choice(['==', '!='])} null)"
            return f"({self.of(NUM, d)} > {self.of(NUM, d)})"
        if pick == 10:
            return f'{self.of(STR, d)}.matches("^[a-z]")'
        return self.literal(BOOL)

    def _list(self, t: Ty, d: int) -> str:
        r = self.rnd
        pick = r.randrange(4)
        if pick == 0:
            return f"[{self.of(t[1], d)}, {self.of(t[1], d)}]"
        if pick == 1:
            return f"({self.of(t, d)} + [{self.of(t[1], d)}])"
        if pick == 2:
            m = self._macro_list()
            if m:
                var, inner = self._in_item(m[1])
                pick = r.random()
                if pick < 0.4 and m[1] == t[1]:
                    return f"{m[0]}.filter({var}, {inner.of(BOOL, 1)})"
                if pick < 0.6:  # CEL's filter-and-map form
                    return f"{m[0]}.map({var}, {inner.of(BOOL, 1)}, {inner.of(t[1], 1)})"
                return f"{m[0]}.map({var}, {inner.of(t[1], 1)})"
        return self.literal(t)

    def _obj(self, t: Ty, d: int) -> str:
        return "{" + ", ".join(f'"{n}": {self.of(ft, d)}' for n, ft, _ in t[1]) + "}"

    def template(self, holes: int = 2) -> str:
        parts = []
        for _ in range(holes):
            t = self.rnd.choice(SCALARS)
            parts.append(self.rnd.choice(["v=", " - ", "", "<", "é "]) + "{{ " + self.of(t) + " }}")
        return "".join(parts)


# -- inputs ------------------------------------------------------------------------------


def body_type(rnd: random.Random, features: frozenset[str]) -> tuple[Ty, dict[str, Any]]:
    """A random request body type and its ``body_schema`` (with some constraints)."""
    opt = "optional_fields" in features
    line = obj(("sku", STR, True), ("qty", INT, True), ("note", STR, not opt or rnd.random() < 0.5))
    pool: list[tuple[str, Ty]] = [
        ("n", INT),
        ("name", STR),
        ("flag", BOOL),
        ("price", NUM),
        ("tags", lst(STR)),
        ("nums", lst(INT)),
        ("lines", lst(line)),
        ("customer", obj(("email", STR, True), ("tier", STR, not opt or rnd.random() < 0.5))),
    ]
    if "nullable" in features:
        pool += [("memo", nul(STR)), ("score", nul(INT))]
    chosen = [pool[0], pool[1], *rnd.sample(pool[2:], rnd.randint(1, 4))]
    fields = []
    for name, t in chosen:
        required = name in ("n", "name") or not opt or rnd.random() < 0.6
        fields.append((name, t, required))
    t = obj(*fields)
    schema = schema_of(t)
    props = schema["properties"]
    if rnd.random() < 0.5:
        props["n"]["minimum"] = rnd.choice([-10, 0])
    if rnd.random() < 0.3:
        props["n"]["maximum"] = 1000
    if rnd.random() < 0.3:
        props["name"]["maxLength"] = 12
    if "lines" in props and rnd.random() < 0.3:
        props["lines"]["maxItems"] = 4
    return t, schema


def value_of(rnd: random.Random, t: Ty, depth: int = 0) -> Any:
    kind = t[0]
    if kind == "nul":
        return None if rnd.random() < 0.4 else value_of(rnd, t[1], depth)
    if kind == "int":
        return rnd.choice([0, 1, 2, 3, 5, 7, 12, 40, -3, 999])
    if kind == "num":
        return rnd.choice([0.5, 1.0, 2.25, -7.5, 100.0, 0.1])
    if kind == "str":
        return rnd.choice(WORDS)
    if kind == "bool":
        return rnd.random() < 0.5
    if kind == "list":
        return [value_of(rnd, t[1], depth + 1) for _ in range(rnd.randint(0, 3))]
    out = {}
    for name, ft, req in t[1]:
        if req or rnd.random() < 0.6:
            out[name] = value_of(rnd, ft, depth + 1)
    return out


def requests_for(
    rnd: random.Random, t: Ty, schema: dict[str, Any], n: int, features: frozenset[str]
) -> list[Request]:
    """``n`` requests: mostly valid bodies, some broken in one place."""
    out: list[Request] = []
    for _ in range(n):
        body = value_of(rnd, t)
        props = schema["properties"]
        mn, mx = props["n"].get("minimum"), props["n"].get("maximum")
        if mn is not None:
            body["n"] = max(body["n"], mn)
        if mx is not None:
            body["n"] = min(body["n"], mx)
        ml = props["name"].get("maxLength")
        if ml is not None:
            body["name"] = body["name"][:ml]
        if "lines" in body and props["lines"].get("maxItems"):
            body["lines"] = body["lines"][:4]
        roll = rnd.random()
        if roll < 0.1:
            body["n"] = rnd.choice(["7", 1.5, None, True])
            out.append(Request(body, False, "n has the wrong type"))
        elif roll < 0.16:
            del body["name"]
            out.append(Request(body, False, "name is missing"))
        elif roll < 0.2 and mn is not None:
            body["n"] = mn - 5
            out.append(Request(body, False, "n is below its minimum"))
        elif roll < 0.23 and "nonobject_body" in features:
            out.append(Request(rnd.choice([[1, 2], "text", 3, None]), False, "not an object"))
        else:
            out.append(Request(body, True))
    return out


# -- flows -------------------------------------------------------------------------------

HELPER_ANSWER = obj(("y", INT, True), ("s", STR, True))
ITEMS_ROW = obj(
    ("id", INT, True), ("name", STR, True), ("qty", INT, True), ("note", nul(STR), True)
)
ECHO = obj(("method", STR, True), ("path", STR, True), ("got", INT, True))
CODE_IN = obj(("n", INT, True), ("s", STR, True))
CODE_OUT = obj(("m", INT, True), ("s", STR, True))
CODE_SOURCE = """func Run(ctx context.Context, in Input) (Output, error) {
	if in.N < 0 {
		return Output{}, errors.New("negative input")
	}
	return Output{M: in.N*3 + int64(len(in.S)), S: strings.ToUpper(in.S)}, nil
}
"""

DB_SCHEMA = """-- the differential test's SQLite connector `db`
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  qty INTEGER NOT NULL CHECK (qty >= 0),
  note TEXT
);
INSERT OR IGNORE INTO items (id, name, qty, note)
  VALUES (1, 'ana', 3, NULL), (2, 'bob', 0, 'fragile'), (3, 'zed', 12, NULL);
"""


def helper_flow(helper: str) -> dict[str, Any]:
    """The flow subflow nodes call: answers {y, s}, or 409 for a negative x."""
    t = "h_start"
    return {
        "nodeforge": "1",
        "id": helper,
        "nodes": [
            {
                "id": t,
                "type": "trigger/manual",
                "version": "1.0.0",
                "config": {"input_schema": schema_of(obj(("x", INT, True), ("s", STR, True)))},
            },
            {
                "id": "h_neg",
                "type": "flow/if",
                "version": "1.0.0",
                "config": {"condition": "input.x < 0"},
            },
            {
                "id": "h_conflict",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {"status": 409, "body": '{"error": "negative", "x": input.x}'},
            },
            {
                "id": "h_ok",
                "type": "http/respond",
                "version": "1.0.0",
                "config": {"status": 200, "body": '{"y": input.x * 2 + 1, "s": upper(input.s)}'},
            },
        ],
        "connections": [
            {"from": f"{t}.out", "to": "h_neg.in"},
            {"from": "h_neg.true", "to": "h_conflict.in"},
            {"from": "h_neg.false", "to": "h_ok.in"},
        ],
    }


class FlowGen:
    """One random flow: ``generate(seed)``."""

    def __init__(self, seed: int, opts: Options) -> None:
        self.seed = seed
        self.rnd = random.Random(seed)
        self.opts = opts
        self.features = opts.features
        self.nodes: list[dict[str, Any]] = []
        self.conns: list[dict[str, str]] = []
        self.count = 0
        self.trigger = f"t{seed}"
        self.global_scope = Scope([])

    # -- plumbing
    def nid(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.seed}_{self.count}"

    def add(self, kind: str, type_: str, version: str, config: dict[str, Any]) -> str:
        nid = self.nid(kind)
        self.nodes.append({"id": nid, "type": type_, "version": version, "config": config})
        return nid

    def connect(self, src: str, dst: str) -> None:
        self.conns.append({"from": src, "to": dst})

    def sql_text(self, e: Exprs) -> str:
        nullable = e.scope.nullable(STR) if "nullable" in self.features else []
        if nullable and self.rnd.random() < 0.5:
            return self.rnd.choice(nullable)
        return e.of(STR)

    def exprs(self, t: Ty) -> Exprs:
        return Exprs(self.rnd, Scope.of("input", t).extended(self.global_scope), self.features)

    def respond(self, src: str, t: Ty, status: int | None = None) -> None:
        st = status or self.rnd.choice([200, 200, 201, 202, 422])
        cfg: dict[str, Any] = {"status": st}
        roll = self.rnd.random()
        e = self.exprs(t)
        if roll < 0.3:
            pass  # the default body: the input
        elif roll < 0.8:
            cfg["body"] = (
                "{"
                + f'"v": {e.of(self.rnd.choice(SCALARS))}, "w": {e.of(self.rnd.choice([INT, STR, lst(INT)]))}'
                + "}"
            )
        else:
            cfg["body"] = e.of(self.rnd.choice(SCALARS))
        nullable = [p for t2 in SCALARS for p in e.scope.nullable(t2)]
        if nullable and "body" in cfg and cfg["body"].startswith("{") and self.rnd.random() < 0.5:
            cfg["body"] = cfg["body"][:-1] + f', "z": {self.rnd.choice(nullable)}' + "}"
        if self.rnd.random() < 0.2:
            cfg["headers"] = {"X-Gen": e.template(1)}
        rid = self.add("r", "http/respond", "1.0.0", cfg)
        self.connect(src, f"{rid}.in")

    def error_port(self, node: str, status: int = 502) -> None:
        """Sometimes connect a node's error port to an answer."""
        if self.rnd.random() < 0.5:
            rid = self.add(
                "r",
                "http/respond",
                "1.0.0",
                {
                    "status": status,
                    "body": '{"code": input.code, "message": input.message, '
                    '"retryable": input.retryable}',
                },
            )
            self.connect(f"{node}.error", f"{rid}.in")

    # -- the flow
    def generate(self) -> GenFlow:
        rnd = self.rnd
        bt, schema = body_type(rnd, self.features)
        route = f"/d{self.seed}"
        param = "params" in self.features and rnd.random() < 0.3
        typed = "untyped_body" not in self.features or rnd.random() < 0.8
        typed_params = "typed_params" in self.features and rnd.random() < 0.4
        self.add_trigger(schema if typed else None, param, typed_params)
        pt = INT if typed_params else STR
        trig_t = obj(
            ("method", STR, True),
            ("path", STR, True),
            ("params", obj(("id", pt, True)) if param else obj(), True),
            ("query", obj(("k", pt, False)), True),
            ("body", bt, True),
        )
        self.global_scope.add(f"nodes.{self.trigger}.out", trig_t, True)
        port, t = f"{self.trigger}.out", trig_t
        for _ in range(rnd.randint(2, self.opts.max_steps)):
            port, t = self.step(port, t, depth=0)
        self.respond(port, t)
        flow = {
            "nodeforge": "1",
            "id": f"d{self.seed}",
            "name": f"differential {self.seed}",
            "nodes": self.nodes,
            "connections": self.conns,
        }
        return GenFlow(
            flow, route, bt, requests=[], schema=schema, param=param, typed_params=typed_params
        )

    def add_trigger(self, schema: dict[str, Any] | None, param: bool, typed_params: bool) -> None:
        """The HTTP trigger; without ``schema`` the body keeps the default schema (an
        object, its fields unchecked: expressions read them dynamically)."""
        config: dict[str, Any] = {
            "method": "POST",
            "path": f"/d{self.seed}" + ("/{id}" if param else ""),
        }
        if schema is not None:
            config["body_schema"] = schema
        if typed_params:
            if param:
                config["params_schema"] = {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "integer", "minimum": -5}},
                }
            config["query_schema"] = {"type": "object", "properties": {"k": {"type": "integer"}}}
        self.nodes.append(
            {"id": self.trigger, "type": "http/trigger", "version": "1.0.0", "config": config}
        )

    def kinds(self, depth: int) -> list[str]:
        ks = ["set", "map", "template", "log", "if", "switch", "validate", "foreach", "merge"]
        ks += ["subflow", "sql_query", "sql_exec", "http_request", "code"]
        if depth > 0:  # inside a loop body: no I/O (one fixture per node), no nesting
            ks = ["set", "map", "template", "log", "if"]
        return [k for k in ks if k in self.features]

    def step(self, port: str, t: Ty, depth: int) -> tuple[str, Ty]:
        rnd = self.rnd
        kind = rnd.choice(self.kinds(depth))
        e = self.exprs(t)
        if kind == "set" and t[0] == "obj":
            name = f"f{self.count}"
            ft = rnd.choice([INT, STR, BOOL, NUM, lst(INT)])
            nid = self.add("set", "data/set", "1.0.0", {"values": {name: e.of(ft)}})
            self.connect(port, f"{nid}.in")
            kept = tuple(f for f in t[1] if f[0] != name)
            return f"{nid}.out", ("obj", (*kept, (name, ft, True)))
        if kind in ("map", "set"):
            out = obj(
                *[
                    (f"m{i}", rnd.choice([INT, STR, BOOL, NUM, lst(STR)]), True)
                    for i in range(rnd.randint(1, 3))
                ]
            )
            mapping = {n: e.of(ft) for n, ft, _ in out[1]}
            nid = self.add("map", "data/map", "1.1.0", {"mapping": mapping})
            self.connect(port, f"{nid}.in")
            return f"{nid}.out", out
        if kind == "template":
            nid = self.add(
                "tpl", "data/template", "1.0.0", {"template": e.template(rnd.randint(1, 3))}
            )
            self.connect(port, f"{nid}.in")
            return f"{nid}.out", obj(("text", STR, True))
        if kind == "log":
            cfg: dict[str, Any] = {
                "message": e.template(1),
                "level": rnd.choice(["info", "debug", "warn"]),
            }
            if rnd.random() < 0.4:
                cfg["fields"] = {"k": e.of(rnd.choice(SCALARS))}
            nid = self.add("log", "util/log", "1.0.0", cfg)
            self.connect(port, f"{nid}.in")
            return f"{nid}.out", t
        if kind == "if":
            nid = self.add("if", "flow/if", "1.0.0", {"condition": e.of(BOOL)})
            self.connect(port, f"{nid}.in")
            if depth == 0:
                self.respond(f"{nid}.false", t)
            return f"{nid}.true", t
        if kind == "switch":
            cases = [{"label": f"c{i}", "when": e.of(BOOL)} for i in range(rnd.randint(1, 3))]
            nid = self.add("sw", "flow/switch", "1.0.0", {"cases": cases})
            self.connect(port, f"{nid}.in")
            self.respond(f"{nid}.case1", t)
            leave = rnd.choice(["default"] + [f"case{i + 1}" for i in range(1, len(cases))])
            return f"{nid}.{leave}", t
        if kind == "validate" and t[0] == "obj" and t[1]:
            keep = [f for f in t[1] if f[1] in SCALARS] or list(t[1][:1])
            sub = obj(*[(n, ft, True) for n, ft, _ in keep])
            schema = schema_of(sub)
            for name, ft, _ in keep:
                if ft == INT and rnd.random() < 0.6:
                    schema["properties"][name]["minimum"] = rnd.choice([0, 2, 5])
                if ft == STR and rnd.random() < 0.6:
                    schema["properties"][name]["minLength"] = rnd.choice([1, 3])
            nid = self.add("val", "data/validate", "1.0.0", {"schema": schema})
            self.connect(port, f"{nid}.in")
            rid = self.add(
                "r", "http/respond", "1.0.0", {"status": 422, "body": '{"errors": input.errors}'}
            )
            self.connect(f"{nid}.invalid", f"{rid}.in")
            return f"{nid}.valid", sub
        if kind == "foreach":
            lists = Scope.of("input", t).lists()
            if lists:
                path, item = rnd.choice(lists)
                nid = self.add("each", "flow/foreach", "1.0.0", {"list": path})
                self.connect(port, f"{nid}.in")
                p, it = f"{nid}.item", item
                if it[0] != "obj":
                    m = self.add("map", "data/map", "1.1.0", {"mapping": {"v": "input"}})
                    self.connect(p, f"{m}.in")
                    p, it = f"{m}.out", obj(("v", item, True))
                for _ in range(rnd.randint(1, 2)):
                    p, it = self.step(p, it, depth + 1)
                return f"{nid}.done", t
        if kind == "merge":
            a_port, a_t = self.step(port, t, depth + 1)
            b_port, b_t = self.step(port, t, depth + 1)
            nid = self.add("mg", "flow/merge", "1.0.0", {})
            self.connect(a_port, f"{nid}.a")
            self.connect(b_port, f"{nid}.b")
            return f"{nid}.out", obj(("a", a_t, True), ("b", b_t, True))
        if kind == "subflow":
            args = {"x": e.of(INT), "s": e.of(STR)}
            nid = self.add(
                "sub", "flow/subflow", "1.0.0", {"flow": self.opts.helper, "arguments": args}
            )
            self.connect(port, f"{nid}.in")
            self.error_port(nid)
            return f"{nid}.out", HELPER_ANSWER
        if kind == "sql_query":
            cfg = {
                "connector": "db",
                "query": "SELECT id, name, qty, note FROM items WHERE qty >= $1 ORDER BY id LIMIT 3",
                "params": [e.of(INT)],
                "row_schema": schema_of(ITEMS_ROW),
            }
            nid = self.add("q", "sql/query", "1.0.0", cfg)
            self.connect(port, f"{nid}.in")
            self.error_port(nid)
            return f"{nid}.out", obj(("rows", lst(ITEMS_ROW), True), ("count", INT, True))
        if kind == "sql_exec":
            cfg = {
                "connector": "db",
                "statement": "INSERT INTO items (name, qty) VALUES ($1, $2)",
                "params": [self.sql_text(e), e.of(INT)],
            }
            nid = self.add("x", "sql/exec", "1.0.0", cfg)
            self.connect(port, f"{nid}.in")
            self.error_port(nid, 409)
            return f"{nid}.out", obj(("rows_affected", INT, True))
        if kind == "http_request":
            where = rnd.choice(["echo", "echo", "status/404", "status/503"])
            cfg = {
                "method": "POST",
                "url": f"{self.opts.upstream}/{where}/" + "{{ " + e.of(INT) + " }}",
                "body": e.of(rnd.choice([INT, STR, obj(("k", STR, True))])),
                "response_schema": schema_of(ECHO) if where == "echo" else {},
                "timeout_ms": 5000,
            }
            nid = self.add("h", "http/request", "1.1.0", cfg)
            self.connect(port, f"{nid}.in")
            self.error_port(nid)
            body_t = ECHO if where == "echo" else None
            fields: list[tuple[str, Ty, bool]] = [
                ("status", INT, True),
                ("headers", ("map", STR), True),
            ]
            if body_t is not None:
                fields.append(("body", body_t, True))
            return f"{nid}.out", ("obj", tuple(fields))
        if kind == "code":
            m = self.add("map", "data/map", "1.1.0", {"mapping": {"n": e.of(INT), "s": e.of(STR)}})
            self.connect(port, f"{m}.in")
            cfg = {
                "source": CODE_SOURCE,
                "input_schema": schema_of(CODE_IN),
                "output_schema": schema_of(CODE_OUT),
            }
            nid = self.add("code", "code/go", "1.0.0", cfg)
            self.connect(f"{m}.out", f"{nid}.in")
            self.error_port(nid, 500)
            return f"{nid}.out", CODE_OUT
        # a kind that did not fit the type here: a log keeps the chain going
        nid = self.add("log", "util/log", "1.0.0", {"message": e.template(1)})
        self.connect(port, f"{nid}.in")
        return f"{nid}.out", t


def generate(seed: int, opts: Options, inputs: int) -> GenFlow:
    """The flow of ``seed`` and ``inputs`` requests for it (same seed, same flow)."""
    g = FlowGen(seed, opts).generate()
    rnd = random.Random(seed * 7919 + 1)
    g.requests = requests_for(rnd, g.body_type, g.schema, inputs, opts.features)
    texts = NUMBER_TEXTS if g.typed_params else WORDS
    for r in g.requests:
        tail = ""
        if g.param:
            tail = "/" + quote(rnd.choice([w for w in texts if w]), safe="")
        if rnd.random() < 0.4:
            tail += "?" + "&".join(
                f"{k}={quote(rnd.choice(texts))}" for k in rnd.sample(["k", "k", "z"], 2)
            )
        r.url_tail = tail
    return g
