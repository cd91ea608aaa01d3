"""Static type checking of expressions against a :class:`TypeEnv`."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from typing import Literal as Lit

from ..regex import pattern_error
from ..types import (
    ANY,
    BOOL,
    INT,
    NULL,
    NUMBER,
    STRING,
    AnyType,
    ArrayType,
    BoolType,
    Field,
    IntType,
    NullType,
    NumberType,
    ObjectType,
    StringType,
    Type,
    UnionType,
    describe,
    non_null,
    union,
)
from .errors import ExprError, arity_message
from .macros import MACROS, macro_var
from .tree import (
    Binary,
    Call,
    Expr,
    Ident,
    Index,
    ListLit,
    Literal,
    MapLit,
    Select,
    Ternary,
    Unary,
    walk,
)


def _json_quote(text: str) -> str:
    """A string as the expression language writes it (double quotes, JSON escapes)."""
    return json.dumps(text, ensure_ascii=False)


__all__ = [
    "FUNCTIONS",
    "ROOTS",
    "CheckResult",
    "FunctionInfo",
    "NodeRef",
    "TypeEnv",
    "check",
    "list_element",
    "references",
    "suggest",
]

DATE_TIME = StringType(None, "date-time")
ROOTS = ("input", "nodes", "env")


@dataclass(frozen=True, slots=True)
class NodeRef:
    """A ``nodes.<id>[.<port>]`` reference; ``start``/``end`` span the node id only
    (what a rename replaces)."""

    node_id: str
    port: str | None
    start: int
    end: int


@dataclass(slots=True)
class TypeEnv:
    """What an expression can see.

    ``nodes``: node id -> output port -> type. ``visible_nodes``: ids that surely
    ran before on every path (None: no dominance check). ``env_names``: known
    environment variables (None: any name). ``known_nodes``: every node id of the
    flow (ids in ``nodes`` count as known too). ``vars``: the variables of the list
    macros around the expression (name -> element type), for checking a macro's body
    on its own (hover, the code generator).
    """

    input: Type = field(default_factory=AnyType)
    nodes: Mapping[str, Mapping[str, Type]] = field(default_factory=dict)
    visible_nodes: frozenset[str] | None = None
    env_names: frozenset[str] | None = None
    known_nodes: frozenset[str] = frozenset()
    vars: Mapping[str, Type] = field(default_factory=dict)

    def with_var(self, name: str, t: Type) -> TypeEnv:
        """This environment with the macro variable ``name`` of type ``t``."""
        return TypeEnv(
            self.input,
            self.nodes,
            self.visible_nodes,
            self.env_names,
            self.known_nodes,
            {**self.vars, name: t},
        )

    def is_known(self, node_id: str) -> bool:
        return node_id in self.known_nodes or node_id in self.nodes

    def all_nodes(self) -> list[str]:
        return sorted(set(self.known_nodes) | set(self.nodes))


@dataclass(slots=True)
class CheckResult:
    type: Type
    errors: list[ExprError] = field(default_factory=list)
    references: list[NodeRef] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``name`` (case-insensitive first), or None."""
    candidates = list(candidates)
    lower = name.lower()
    for c in candidates:
        if c.lower() == lower:
            return c
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    s = suggest(name, candidates)
    return f"; did you mean `{s}`?" if s else ""


# kinds: "any" "null" "bool" "int" "number" "string" "list" "object"
_KIND_OF: dict[type, str] = {
    AnyType: "any",
    NullType: "null",
    BoolType: "bool",
    IntType: "int",
    NumberType: "number",
    StringType: "string",
    ArrayType: "list",
    ObjectType: "object",
}


def _options(t: Type) -> tuple[Type, ...]:
    """Non-null options of ``t`` (``(null,)`` when ``t`` is only null)."""
    if isinstance(t, UnionType):
        opts = tuple(o for o in t.options if not isinstance(o, NullType))
        return opts or (NULL,)
    return (t,)


_KINDSETS: dict[type, frozenset[str]] = {c: frozenset({k}) for c, k in _KIND_OF.items()}


def _kinds(t: Type) -> frozenset[str]:
    ks = _KINDSETS.get(type(t))
    if ks is not None:
        return ks
    return frozenset(_KIND_OF[type(o)] for o in _options(t))


def _accepts(t: Type, kinds: frozenset[str]) -> bool:
    ks = _kinds(t)
    return "any" in ks or not ks.isdisjoint(kinds)


def _d(t: Type) -> str:
    return describe(non_null(t) if not isinstance(t, NullType) else t)


_NUMERIC = frozenset({"int", "number"})
_ORDERED = frozenset({"int", "number", "string", "bool"})


def _comparable(a: str, b: str) -> bool:
    return a == b or "any" in (a, b) or "null" in (a, b) or (a in _NUMERIC and b in _NUMERIC)


# --------------------------------------------------------------------------- functions


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    name: str
    signature: str
    doc: str
    example: str
    min_args: int  # including the receiver for method-style calls
    max_args: int | None
    method: bool  # may be called as `x.fn(...)`
    global_: bool  # may be called as `fn(...)`
    receiver: str | None = None  # kind shown in method completions ("string", "list", ...)


FUNCTIONS: dict[str, FunctionInfo] = {
    f.name: f
    for f in [
        FunctionInfo(
            "size",
            "size(x: string | list | map) -> integer",
            "Number of characters (code points) of a string, elements of a list or keys of a map.",
            'size("héllo") == 5',
            1,
            1,
            True,
            True,
            "any",
        ),
        FunctionInfo(
            "has",
            "has(a.b) -> boolean",
            "True if the whole field path exists (and is not missing). A macro: the "
            "argument is not evaluated, so missing fields are not errors.",
            "has(input.body.note)",
            1,
            1,
            False,
            True,
        ),
        FunctionInfo(
            "int",
            "int(x: integer | number | string) -> integer",
            "Converts to a 64-bit integer: numbers are truncated toward zero, strings are "
            "parsed as base-10 integers.",
            'int("42") == 42',
            1,
            1,
            False,
            True,
        ),
        FunctionInfo(
            "double",
            "double(x: integer | number | string) -> number",
            "Converts to a double; strings are parsed as decimal numbers.",
            'double("2.5") == 2.5',
            1,
            1,
            False,
            True,
        ),
        FunctionInfo(
            "string",
            "string(x: string | integer | number | boolean | null) -> string",
            "Formats a scalar as text (numbers as Go's strconv 'g' shortest format).",
            'string(42) == "42"',
            1,
            1,
            False,
            True,
        ),
        FunctionInfo(
            "lower",
            "lower(s: string) -> string",
            "Lower-cases a string.",
            "input.name.lower()",
            1,
            1,
            True,
            True,
            "string",
        ),
        FunctionInfo(
            "upper",
            "upper(s: string) -> string",
            "Upper-cases a string.",
            'upper("abc") == "ABC"',
            1,
            1,
            True,
            True,
            "string",
        ),
        FunctionInfo(
            "trim",
            "trim(s: string) -> string",
            "Removes leading and trailing white space.",
            'trim("  a ") == "a"',
            1,
            1,
            True,
            True,
            "string",
        ),
        FunctionInfo(
            "contains",
            "s.contains(t: string) -> boolean",
            "True if `t` occurs in `s`.",
            'input.email.contains("@")',
            2,
            2,
            True,
            True,
            "string",
        ),
        FunctionInfo(
            "startsWith",
            "s.startsWith(t: string) -> boolean",
            "True if `s` starts with `t`.",
            'input.path.startsWith("/api")',
            2,
            2,
            True,
            True,
            "string",
        ),
        FunctionInfo(
            "endsWith",
            "s.endsWith(t: string) -> boolean",
            "True if `s` ends with `t`.",
            'input.file.endsWith(".csv")',
            2,
            2,
            True,
            True,
            "string",
        ),
        FunctionInfo(
            "matches",
            "s.matches(re: string) -> boolean",
            "True if the regular expression (RE2 syntax) matches somewhere in `s`.",
            'input.sku.matches("^[A-Z]{2}[0-9]+$")',
            2,
            2,
            True,
            True,
            "string",
        ),
        FunctionInfo(
            "join",
            'join(list: list<string>, sep: string = "") -> string',
            "Concatenates the strings of a list with a separator.",
            'join(["a", "b"], ",") == "a,b"',
            1,
            2,
            True,
            True,
            "list",
        ),
        FunctionInfo(
            "split",
            "split(s: string, sep: string) -> list<string>",
            "Splits a string around each occurrence of `sep` (Go's strings.Split).",
            'split("a,b", ",") == ["a", "b"]',
            2,
            2,
            True,
            True,
            "string",
        ),
        FunctionInfo(
            "now",
            "now() -> string<date-time>",
            "The current time in UTC, RFC 3339 (`2024-05-01T12:00:00Z`).",
            "now()",
            0,
            0,
            False,
            True,
        ),
        FunctionInfo(
            "coalesce",
            "coalesce(a, b, ...) -> T",
            "The first argument that is neither null nor a missing field.",
            'coalesce(input.body.note, "")',
            1,
            None,
            False,
            True,
        ),
    ]
}

_ALIASES = {
    "len": "size",
    "length": "size",
    "count": "size",
    "str": "string",
    "float": "double",
    "toLowerCase": "lower",
    "toUpperCase": "upper",
    "strip": "trim",
    "includes": "contains",
    "exists": "has",
    "startswith": "startsWith",
    "endswith": "endsWith",
}

_STR = frozenset({"string"})
_NUM_STR = frozenset({"int", "number", "string"})
_SCALAR = frozenset({"string", "int", "number", "bool", "null"})


# --------------------------------------------------------------------------- checker


class _Checker:
    __slots__ = ("env", "errors", "refs", "vars")

    def __init__(self, env: TypeEnv) -> None:
        self.env = env
        self.errors: list[ExprError] = []
        self.refs: list[NodeRef] = []
        self.vars: Mapping[str, Type] = env.vars

    def err(
        self,
        start: int,
        end: int,
        msg: str,
        code: str = "type",
        severity: Lit["error", "warning"] = "error",
    ) -> None:
        self.errors.append(ExprError(start, end, msg, code, severity))

    def t(self, e: Expr) -> Type:
        return _DISPATCH[type(e)](self, e)

    # -- leaves

    def literal(self, e: Literal) -> Type:
        v = e.value
        if v is None:
            return NULL
        if isinstance(v, bool):
            return BOOL
        if isinstance(v, int):
            return INT
        if isinstance(v, float):
            return NUMBER
        return STRING

    def ident(self, e: Ident) -> Type:
        name = e.name
        bound = self.vars.get(name)
        if bound is not None:
            return bound
        if name == "input":
            return self.env.input
        if name == "env":
            return self.env_type()
        if name == "nodes":
            self.err(
                e.start, e.end, "`nodes` must be followed by a node id, like `nodes.fetch.out`"
            )
            return ANY
        if name in FUNCTIONS:
            self.err(e.start, e.end, f"`{name}` is a function; call it like `{name}(...)`")
            return ANY
        self.err(
            e.start,
            e.end,
            f"unknown name `{name}`{_did_you_mean(name, (*ROOTS, *self.vars))} "
            "(expressions start from `input`, `nodes` or `env`)",
            "unknown-identifier",
        )
        return ANY

    def env_type(self) -> Type:
        names = self.env.env_names
        if names is None:
            return ObjectType((), STRING)
        return ObjectType(tuple(Field(n, STRING, True) for n in sorted(names)), None)

    # -- paths

    def select(self, e: Select) -> Type:
        op = e.operand
        if isinstance(op, Ident):
            if op.name == "nodes":
                ports = self.node(e)
                if ports is not None:
                    self.refs.append(NodeRef(e.field, None, e.field_start, e.end))
                return ANY if ports is None else _ports_type(ports)
            if op.name == "env":
                names = self.env.env_names
                if names is not None and e.field not in names:
                    self.err(
                        e.field_start,
                        e.end,
                        f"unknown environment variable `{e.field}`{_did_you_mean(e.field, names)}",
                        "unknown-env",
                    )
                return STRING
        elif (
            isinstance(op, Select) and isinstance(op.operand, Ident) and op.operand.name == "nodes"
        ):
            ports = self.node(op)
            if ports is None:
                return ANY
            self.refs.append(NodeRef(op.field, e.field, op.field_start, op.end))
            if not ports:
                return ANY
            pt = ports.get(e.field)
            if pt is None:
                port_names = sorted(ports)
                self.err(
                    e.field_start,
                    e.end,
                    f"node `{op.field}` has no output port `{e.field}`"
                    f"{_did_you_mean(e.field, port_names)} (ports: {', '.join(port_names)})",
                    "unknown-port",
                )
                return ANY
            return pt
        return self.field_of(self.t(op), e.field, e.field_start, e.end)

    def node(self, e: Select) -> Mapping[str, Type] | None:
        """Checks ``nodes.<id>``; returns its ports ({} if unknown), None if bad."""
        env = self.env
        nid = e.field
        if not env.is_known(nid):
            self.err(
                e.field_start,
                e.end,
                f"unknown node `{nid}`{_did_you_mean(nid, env.all_nodes())}",
                "unknown-node",
            )
            return None
        if env.visible_nodes is not None and nid not in env.visible_nodes:
            self.err(
                e.field_start,
                e.end,
                f"`nodes.{nid}` may not have run on every path to this node",
                "not-dominated",
            )
        return env.nodes.get(nid, {})

    def field_of(self, t: Type, name: str, start: int, end: int, *, quiet: bool = False) -> Type:
        if isinstance(t, AnyType):
            return ANY
        if isinstance(t, ObjectType):
            f = t.field(name)
            if f is not None:
                return f.type
            add = t.additional
            if add is not None and not isinstance(add, AnyType):
                return add
            if (add is None or t.fields) and not quiet:
                names = [f.name for f in t.fields]
                self.err(
                    start,
                    end,
                    f"no field `{name}` on {describe(t)}{_did_you_mean(name, names)}",
                    "unknown-field",
                    "error" if add is None else "warning",
                )
            return ANY
        if isinstance(t, UnionType):
            found: list[Type] = []
            first_error: list[ExprError] | None = None
            for o in _options(t):
                saved = self.errors
                self.errors = []
                ft = self.field_of(o, name, start, end)
                errs, self.errors = self.errors, saved
                if not errs:
                    found.append(ft)
                elif first_error is None:
                    first_error = errs
            if found:
                return union(*found)
            if first_error and not quiet:
                self.errors.extend(first_error)
            return ANY
        if not quiet:
            hint = ""
            if name in FUNCTIONS and FUNCTIONS[name].method:
                hint = f"; `{name}` is a function, call it as `.{name}()`"
            self.err(start, end, f"cannot select field `{name}` on {describe(t)}{hint}")
        return ANY

    def index(self, e: Index) -> Type:
        ot = self.t(e.operand)
        it = self.t(e.index)
        results: list[Type] = []
        for o in _options(ot):
            if isinstance(o, AnyType):
                return ANY
            if isinstance(o, ArrayType):
                if not _accepts(it, frozenset({"int"})):
                    self.err(
                        e.index.start,
                        e.index.end,
                        f"list index must be an integer, got {_d(it)}",
                    )
                results.append(o.items)
            elif isinstance(o, ObjectType):
                if not _accepts(it, _STR):
                    self.err(e.index.start, e.index.end, f"map key must be a string, got {_d(it)}")
                    results.append(ANY)
                elif isinstance(e.index, Literal) and isinstance(e.index.value, str):
                    results.append(self.field_of(o, e.index.value, e.index.start, e.index.end))
                elif o.additional is None:
                    results.append(union(*(f.type for f in o.fields)))
                else:
                    results.append(ANY)
        if not results:
            self.err(e.start, e.end, f"cannot index {_d(ot)}")
            return ANY
        return union(*results)

    # -- operators

    def unary(self, e: Unary) -> Type:
        t = self.t(e.operand)
        if e.op == "!":
            if not _accepts(t, frozenset({"bool"})):
                self.err(e.start, e.end, f"`!` expects a boolean, got {_d(t)}")
            return BOOL
        ks = _kinds(t)
        if "any" in ks:
            return ANY
        if ks <= {"int"}:
            return INT
        if not ks.isdisjoint(_NUMERIC):
            return NUMBER
        self.err(e.start, e.end, f"cannot negate {_d(t)}")
        return ANY

    def binary(self, e: Binary) -> Type:
        op = e.op
        lt = self.t(e.left)
        rt = self.t(e.right)
        if op == "&&" or op == "||":
            for side, t in ((e.left, lt), (e.right, rt)):
                if not _accepts(t, frozenset({"bool"})):
                    self.err(side.start, side.end, f"`{op}` expects booleans, got {_d(t)}")
            return BOOL
        lk, rk = _kinds(lt), _kinds(rt)
        if op == "==" or op == "!=":
            if not any(_comparable(a, b) for a in lk for b in rk):
                self.err(e.start, e.end, f"cannot compare {_d(lt)} with {_d(rt)}")
            else:
                self.enum_literal(e.right, lt, op)
                self.enum_literal(e.left, rt, op)
            return BOOL
        if op in ("<", "<=", ">", ">="):
            ok = "any" in lk or "any" in rk
            ok = ok or any(
                a in _ORDERED and (a == b or (a in _NUMERIC and b in _NUMERIC))
                for a in lk
                for b in rk
            )
            if not ok:
                self.err(e.start, e.end, f"cannot compare {_d(lt)} with {_d(rt)}")
            return BOOL
        if op == "in":
            return self.in_op(e, lt, rt)
        return self.arith(e, lt, rt)

    def enum_literal(self, side: Expr, other: Type, op: str) -> None:
        """A string literal compared with a value of a closed set of strings (an ``enum``,
        e.g. ``llm/classify``'s ``label``) must be one of them: otherwise ``==`` never
        holds and ``!=`` always does."""
        if not (isinstance(side, Literal) and isinstance(side.value, str)):
            return
        allowed: list[str] = []
        for o in _options(other):
            if isinstance(o, StringType) and o.enum is not None:
                allowed.extend(o.enum)
            elif not isinstance(o, NullType):
                return  # an open string (or anything else) may hold the literal
        if not allowed or side.value in allowed:
            return
        close = difflib.get_close_matches(side.value, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {_json_quote(close[0])}?" if close else ""
        listed = ", ".join(_json_quote(v) for v in allowed[:8]) + (
            ", ..." if len(allowed) > 8 else ""
        )
        always = "never holds" if op == "==" else "always holds"
        self.err(
            side.start,
            side.end,
            f"{_json_quote(side.value)} is not one of {listed}: the comparison {always}{hint}",
        )

    def in_op(self, e: Binary, lt: Type, rt: Type) -> Type:
        lk = _kinds(lt)
        for o in _options(rt):
            if isinstance(o, AnyType):
                return BOOL
            if isinstance(o, ArrayType):
                ik = _kinds(o.items)
                if any(_comparable(a, b) for a in lk for b in ik):
                    return BOOL
                self.err(e.start, e.end, f"cannot look for {_d(lt)} in {describe(o)}")
                return BOOL
            if isinstance(o, ObjectType):
                if not _accepts(lt, _STR):
                    self.err(e.start, e.end, f"map keys are strings, got {_d(lt)}")
                return BOOL
        hint = ""
        if "string" in _kinds(rt):
            hint = "; `in` tests list elements and map keys, use `s.contains(t)` for substrings"
        self.err(e.right.start, e.right.end, f"`in` expects a list or a map, got {_d(rt)}{hint}")
        return BOOL

    def arith(self, e: Binary, lt: Type, rt: Type) -> Type:
        op = e.op
        results: list[Type] = []
        for a in _options(lt):
            for b in _options(rt):
                r = _arith_result(op, a, b)
                if r is not None:
                    results.append(r)
        if results:
            return union(*results)
        if op == "+":
            msg = f"cannot add {_d(lt)} and {_d(rt)}"
            if "string" in _kinds(lt) or "string" in _kinds(rt):
                msg += "; convert with string(x) to concatenate"
        elif op == "%" and _kinds(lt) | _kinds(rt) <= {"int", "number"}:
            msg = f"`%` needs integers, got {_d(lt)} and {_d(rt)}"
        else:
            msg = f"cannot apply `{op}` to {_d(lt)} and {_d(rt)}"
        self.err(e.start, e.end, msg)
        return ANY

    def ternary(self, e: Ternary) -> Type:
        ct = self.t(e.cond)
        if not _accepts(ct, frozenset({"bool"})):
            self.err(e.cond.start, e.cond.end, f"condition must be a boolean, got {_d(ct)}")
        return union(self.t(e.then), self.t(e.otherwise))

    def list_lit(self, e: ListLit) -> Type:
        if not e.items:
            return ArrayType(ANY)
        return ArrayType(union(*(self.t(i) for i in e.items)))

    def map_lit(self, e: MapLit) -> Type:
        fields: list[Field] = []
        seen: set[str] = set()
        literal_keys = True
        values: list[Type] = []
        for k, v in e.entries:
            kt = self.t(k)
            vt = self.t(v)
            values.append(vt)
            if isinstance(k, Literal) and isinstance(k.value, str):
                if k.value in seen:
                    self.err(k.start, k.end, f"duplicate key {k.value!r}")
                seen.add(k.value)
                fields.append(Field(k.value, vt, True))
            else:
                literal_keys = False
                if not _accepts(kt, _STR):
                    self.err(k.start, k.end, f"map keys must be strings, got {_d(kt)}")
        if literal_keys:
            return ObjectType(tuple(fields), None)
        return ObjectType((), union(*values))

    # -- calls

    def call(self, e: Call) -> Type:
        info = FUNCTIONS.get(e.fn)
        name_end = e.name_start + len(e.fn)
        if e.fn in MACROS:
            if e.target is not None:
                return self.macro(e)
            self.err(
                e.name_start,
                name_end,
                f"`{e.fn}` is a list macro; call it on a list, like `{MACROS[e.fn].example}`",
                "unknown-function",
            )
            if e.args:  # the rest would only repeat that the variable is unknown
                self.t(e.args[0])
            return ANY
        if info is None:
            alias = _ALIASES.get(e.fn) or suggest(e.fn, [*FUNCTIONS, *_ALIASES])
            alias = _ALIASES.get(alias, alias) if alias else None
            hint = f"; did you mean `{alias}`?" if alias else ""
            self.err(e.name_start, name_end, f"unknown function `{e.fn}`{hint}", "unknown-function")
            if e.target is not None:
                self.t(e.target)
            for a in e.args:
                self.t(a)
            return ANY
        if e.target is not None and not info.method:
            self.err(
                e.name_start,
                name_end,
                f"`{e.fn}` cannot be called as a method; write `{e.fn}(...)`",
                "arity",
            )
        elif e.target is None and not info.global_:  # pragma: no cover - all are global
            self.err(e.name_start, name_end, f"`{e.fn}` must be called as a method", "arity")
        if e.fn == "has":
            return self.has(e)
        args = e.args if e.target is None else (e.target, *e.args)
        n = len(args)
        if n < info.min_args or (info.max_args is not None and n > info.max_args):
            message = arity_message(
                e.fn, n, info.min_args, info.max_args, method=e.target is not None
            )
            self.err(e.name_start, e.end, message, "arity")
            for a in args:
                self.t(a)
            return _RESULTS.get(e.fn, ANY)
        if e.fn == "coalesce":
            types = [self.quiet_type(a) for a in args]
            return union(*(non_null(t) for t in types[:-1]), types[-1])
        types = [self.t(a) for a in args]
        return self.call_types(e, args, types)

    def macro(self, e: Call) -> Type:
        """A list macro (well-formed: the parser checked its shape): the variable has
        the list's element type inside the bodies."""
        assert e.target is not None
        fn = e.fn
        lt = self.t(e.target)
        elem = self.element_type(e, lt)
        var = macro_var(e)
        saved = self.vars
        self.vars = {**saved, var.name: elem}
        try:
            types = [self.t(b) for b in e.args[1:]]
        finally:
            self.vars = saved
        if fn != "map" or len(types) == 2:
            pred, pt = e.args[1], types[0]
            if not _accepts(pt, frozenset({"bool"})):
                self.err(
                    pred.start,
                    pred.end,
                    f"the condition of `{fn}` must be a boolean, got {_d(pt)}",
                )
        if fn == "map":
            return ArrayType(types[-1])
        if fn == "filter":
            lists = [o for o in _options(lt) if isinstance(o, ArrayType)]
            return lists[0] if len(lists) == 1 else ArrayType(elem)
        return BOOL

    def element_type(self, e: Call, lt: Type) -> Type:
        """The element type of a macro's receiver ``lt``; an error when it cannot be a
        list."""
        assert e.target is not None
        elem = list_element(lt)
        if elem is not None:
            return elem
        hint = ""
        if "object" in _kinds(lt):
            hint = " (the list macros iterate lists, not maps)"
        self.err(e.target.start, e.target.end, f"`{e.fn}` expects a list, got {_d(lt)}{hint}")
        return ANY

    def quiet_type(self, a: Expr) -> Type:
        """Type of a coalesce argument: unknown fields on open objects are fine."""
        before = len(self.errors)
        t = self.t(a)
        if isinstance(a, Select):
            self.errors[before:] = [
                x
                for x in self.errors[before:]
                if not (x.code == "unknown-field" and x.severity == "warning")
            ]
        return t

    def expect(self, fn: str, a: Expr, t: Type, kinds: frozenset[str], what: str) -> bool:
        if _accepts(t, kinds):
            return True
        self.err(a.start, a.end, f"`{fn}` expects {what}, got {_d(t)}")
        return False

    def call_types(self, e: Call, args: tuple[Expr, ...], types: list[Type]) -> Type:
        fn = e.fn
        if fn == "size":
            self.expect(
                fn,
                args[0],
                types[0],
                frozenset({"string", "list", "object"}),
                "a string, list or map",
            )
            return INT
        if fn == "int":
            self.expect(fn, args[0], types[0], _NUM_STR, "a number or a string")
            return INT
        if fn == "double":
            self.expect(fn, args[0], types[0], _NUM_STR, "a number or a string")
            return NUMBER
        if fn == "string":
            self.expect(fn, args[0], types[0], _SCALAR, "a scalar")
            return STRING
        if fn in ("lower", "upper", "trim"):
            self.expect(fn, args[0], types[0], _STR, "a string")
            return STRING
        if fn in ("contains", "startsWith", "endsWith", "matches"):
            self.expect(fn, args[0], types[0], _STR, "a string")
            self.expect(fn, args[1], types[1], _STR, "a string argument")
            if fn == "matches":
                pat = args[1]
                if isinstance(pat, Literal) and isinstance(pat.value, str):
                    problem = pattern_error(pat.value)  # RE2 syntax, as the app's Go
                    if problem is not None:
                        message = f"invalid regular expression (RE2 syntax): {problem}"
                        self.err(pat.start, pat.end, message, "regex")
            return BOOL
        if fn == "join":
            if self.expect(fn, args[0], types[0], frozenset({"list"}), "a list of strings"):
                for o in _options(types[0]):
                    if isinstance(o, ArrayType) and not _accepts(o.items, _STR):
                        self.err(
                            args[0].start,
                            args[0].end,
                            f"`join` expects a list of strings, got {describe(o)}",
                        )
            if len(args) > 1:
                self.expect(fn, args[1], types[1], _STR, "a string separator")
            return STRING
        if fn == "split":
            self.expect(fn, args[0], types[0], _STR, "a string")
            self.expect(fn, args[1], types[1], _STR, "a string separator")
            return ArrayType(STRING)
        if fn == "now":
            return DATE_TIME
        return ANY  # pragma: no cover

    def has(self, e: Call) -> Type:
        if len(e.args) != 1 or not isinstance(e.args[0], Select):
            self.err(
                e.start,
                e.end,
                "`has` expects one field selection, like `has(input.body.note)`",
                "arity",
            )
            for a in e.args:
                self.t(a)
            return BOOL
        sel = e.args[0]
        op = sel.operand
        if isinstance(op, Ident) and op.name in ("nodes", "env"):
            self.t(sel)
            return BOOL
        ot = self.t(op)
        closed = [o for o in _options(ot) if isinstance(o, ObjectType)]
        if closed and all(o.additional is None and o.field(sel.field) is None for o in closed):
            if len(closed) == len(_options(ot)):
                self.err(
                    sel.field_start,
                    sel.end,
                    f"`has` is always false: no field `{sel.field}` on {describe(ot)}",
                    "unknown-field",
                    "warning",
                )
        elif not _accepts(ot, frozenset({"object"})):
            self.err(sel.start, sel.end, f"`has` expects a field of a map, got {_d(ot)}")
        return BOOL


_DISPATCH: dict[type, Callable[[_Checker, Any], Type]] = {
    Literal: _Checker.literal,
    Ident: _Checker.ident,
    Select: _Checker.select,
    Index: _Checker.index,
    Call: _Checker.call,
    Unary: _Checker.unary,
    Binary: _Checker.binary,
    Ternary: _Checker.ternary,
    ListLit: _Checker.list_lit,
    MapLit: _Checker.map_lit,
}


_RESULTS: dict[str, Type] = {
    "size": INT,
    "has": BOOL,
    "int": INT,
    "double": NUMBER,
    "string": STRING,
    "lower": STRING,
    "upper": STRING,
    "trim": STRING,
    "contains": BOOL,
    "startsWith": BOOL,
    "endsWith": BOOL,
    "matches": BOOL,
    "join": STRING,
    "split": ArrayType(STRING),
    "now": DATE_TIME,
}


def _arith_result(op: str, a: Type, b: Type) -> Type | None:
    if isinstance(a, AnyType) or isinstance(b, AnyType):
        other = b if isinstance(a, AnyType) else a
        if op == "+" and isinstance(other, StringType | ArrayType):
            return STRING if isinstance(other, StringType) else ArrayType(ANY)
        if isinstance(other, AnyType | IntType | NumberType):
            return INT if op == "%" else ANY
        return None
    ai, bi = isinstance(a, IntType), isinstance(b, IntType)
    an, bn = ai or isinstance(a, NumberType), bi or isinstance(b, NumberType)
    if an and bn:
        if op == "%":
            return INT if ai and bi else None
        return INT if ai and bi else NUMBER
    if op == "+":
        if isinstance(a, StringType) and isinstance(b, StringType):
            return STRING
        if isinstance(a, ArrayType) and isinstance(b, ArrayType):
            return ArrayType(union(a.items, b.items))
    return None


def list_element(t: Type) -> Type | None:
    """The element type of a list macro's receiver of type ``t`` (``null`` options are
    ignored, as the other operators do; ``any`` has ``any`` elements), or None when ``t``
    cannot be a list."""
    items: list[Type] = []
    for o in _options(t):
        if isinstance(o, AnyType):
            return ANY
        if isinstance(o, ArrayType):
            items.append(o.items)
    return union(*items) if items else None


def _ports_type(ports: Mapping[str, Type]) -> Type:
    if not ports:
        return ANY
    return ObjectType(tuple(Field(p, t, True) for p, t in ports.items()), None)


def check(expr: Expr, env: TypeEnv) -> CheckResult:
    """Type-check ``expr``: its type, the problems found, and every node reference."""
    c = _Checker(env)
    t = c.t(expr)
    return CheckResult(t, c.errors, c.refs)


def references(expr: Expr) -> list[NodeRef]:
    """Every ``nodes.<id>[.<port>]`` reference in ``expr`` (no environment needed)."""
    out: list[NodeRef] = []
    inner: set[int] = set()
    for n in walk(expr):
        if not isinstance(n, Select):
            continue
        op = n.operand
        if isinstance(op, Select) and isinstance(op.operand, Ident) and op.operand.name == "nodes":
            out.append(NodeRef(op.field, n.field, op.field_start, op.end))
            inner.add(id(op))
        elif isinstance(op, Ident) and op.name == "nodes" and id(n) not in inner:
            out.append(NodeRef(n.field, None, n.field_start, n.end))
    out.sort(key=lambda r: r.start)
    return out
