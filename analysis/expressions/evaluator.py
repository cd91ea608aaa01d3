"""A Python evaluator with the semantics the generated Go code must have.

Values are JSON values: ``None``, ``bool``, ``int`` (64-bit), ``float``,
``str``, ``list``, ``dict``. See docs/expressions.md, "Semantics".
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..regex import compile_pattern, pattern_error
from .errors import EvalError, arity_message
from .macros import MACROS, macro_var
from .tree import Binary, Call, Expr, Ident, Index, ListLit, Literal, MapLit, Select, Ternary, Unary

__all__ = ["EvalScope", "MissingError", "evaluate", "format_double"]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT_RE = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\Z", re.I
)


@dataclass(slots=True)
class EvalScope:
    """Run-time values: ``input``, node outputs (id -> port -> value), environment
    variables, and the fixed time ``now()`` returns (None: the real clock)."""

    input: object = None
    nodes: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    now: str | None = None


class MissingError(EvalError):
    """A missing field or key (``has``/``coalesce`` treat it as absence)."""


def value_kind(v: object) -> str:
    """The expression language's name for a value's kind (``list``, ``map``, ...)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "map"
    return type(v).__name__


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_int(v: int, e: Expr) -> int:
    if v > INT64_MAX or v < INT64_MIN:
        raise EvalError("integer overflow", e.start, e.end)
    return v


def values_equal(a: object, b: object) -> bool:
    """Typed equality: numbers compare by value across int/double, other kinds
    must match (``1 == true`` is false), lists and maps compare deeply."""
    if _is_num(a) and _is_num(b):
        return a == b
    ka, kb = value_kind(a), value_kind(b)
    if ka != kb:
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    return a == b


def format_double(x: float) -> str:
    """Go's ``strconv.FormatFloat(x, 'g', -1, 64)``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign, digits, exp = Decimal(repr(x)).as_tuple()
    assert isinstance(exp, int)
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    # value = 0.ds * 10**dp
    dp = len(digits) + exp
    x_exp = dp - 1
    s = "-" if sign else ""
    if x_exp < -4 or x_exp >= 6:
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        es = "-" if x_exp < 0 else "+"
        return f"{s}{mant}e{es}{abs(x_exp):02d}"
    if dp <= 0:
        return f"{s}0.{'0' * -dp}{ds}"
    if dp >= len(ds):
        return f"{s}{ds}{'0' * (dp - len(ds))}"
    return f"{s}{ds[:dp]}.{ds[dp:]}"


def to_string(v: object, e: Expr) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_double(v)
    raise EvalError(f"string() expects a scalar, got {value_kind(v)}", e.start, e.end)


class _Evaluator:
    __slots__ = ("scope", "vars")

    def __init__(self, scope: EvalScope) -> None:
        self.scope = scope
        self.vars: dict[str, object] = {}

    def ev(self, e: Expr) -> object:
        return _DISPATCH[type(e)](self, e)

    def literal(self, e: Literal) -> object:
        return e.value

    def ident(self, e: Ident) -> object:
        if e.name in self.vars:
            return self.vars[e.name]
        if e.name == "input":
            return self.scope.input
        if e.name == "env":
            return dict(self.scope.env)
        if e.name == "nodes":
            return {k: dict(v) for k, v in self.scope.nodes.items()}
        raise EvalError(f"unknown name `{e.name}`", e.start, e.end)

    def select(self, e: Select) -> object:
        op = e.operand
        if isinstance(op, Ident) and op.name == "nodes":
            ports = self.scope.nodes.get(e.field)
            if ports is None:
                raise MissingError(f"node `{e.field}` has not run", e.start, e.end)
            return dict(ports)
        if isinstance(op, Ident) and op.name == "env":
            if e.field not in self.scope.env:
                raise MissingError(f"environment variable `{e.field}` is not set", e.start, e.end)
            return self.scope.env[e.field]
        base = self.ev(op)
        return self.get(base, e.field, e)

    def get(self, base: object, key: str, e: Expr) -> object:
        if isinstance(base, dict):
            try:
                return base[key]
            except KeyError:
                raise MissingError(f"no field `{key}`", e.start, e.end) from None
        raise EvalError(f"cannot select field `{key}` of {value_kind(base)}", e.start, e.end)

    def index(self, e: Index) -> object:
        base = self.ev(e.operand)
        idx = self.ev(e.index)
        if isinstance(base, list):
            if isinstance(idx, float) and idx.is_integer():
                idx = int(idx)
            if not isinstance(idx, int) or isinstance(idx, bool):
                raise EvalError(
                    f"list index must be an integer, got {value_kind(idx)}", e.start, e.end
                )
            if idx < 0 or idx >= len(base):
                raise MissingError(
                    f"index {idx} out of range (list has {len(base)} elements)", e.start, e.end
                )
            return base[idx]
        if isinstance(base, dict):
            if not isinstance(idx, str):
                raise EvalError(f"map key must be a string, got {value_kind(idx)}", e.start, e.end)
            return self.get(base, idx, e)
        raise EvalError(f"cannot index {value_kind(base)}", e.start, e.end)

    def unary(self, e: Unary) -> object:
        v = self.ev(e.operand)
        if e.op == "!":
            if not isinstance(v, bool):
                raise EvalError(f"`!` expects a boolean, got {value_kind(v)}", e.start, e.end)
            return not v
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise EvalError(f"cannot negate {value_kind(v)}", e.start, e.end)
        if isinstance(v, int):
            return _check_int(-v, e)
        return -v

    def binary(self, e: Binary) -> object:
        op = e.op
        if op == "&&" or op == "||":
            left = self.ev(e.left)
            if not isinstance(left, bool):
                raise EvalError(f"`{op}` expects booleans, got {value_kind(left)}", e.start, e.end)
            if (op == "&&") != left:
                return left
            right = self.ev(e.right)
            if not isinstance(right, bool):
                raise EvalError(f"`{op}` expects booleans, got {value_kind(right)}", e.start, e.end)
            return right
        a = self.ev(e.left)
        b = self.ev(e.right)
        if op == "==":
            return values_equal(a, b)
        if op == "!=":
            return not values_equal(a, b)
        if op == "in":
            if isinstance(b, list):
                return any(values_equal(a, x) for x in b)
            if isinstance(b, dict):
                if not isinstance(a, str):
                    raise EvalError(f"map keys are strings, got {value_kind(a)}", e.start, e.end)
                return a in b
            raise EvalError(f"`in` expects a list or a map, got {value_kind(b)}", e.start, e.end)
        if op in ("<", "<=", ">", ">="):
            ok = (_is_num(a) and _is_num(b)) or (type(a) is type(b) and isinstance(a, str | bool))
            if not ok:
                raise EvalError(
                    f"cannot compare {value_kind(a)} with {value_kind(b)}", e.start, e.end
                )
            if op == "<":
                return a < b  # type: ignore[operator]
            if op == "<=":
                return a <= b  # type: ignore[operator]
            if op == ">":
                return a > b  # type: ignore[operator]
            return a >= b  # type: ignore[operator]
        return self.arith(e, op, a, b)

    def arith(self, e: Binary, op: str, a: object, b: object) -> object:
        if _is_num(a) and _is_num(b):
            assert isinstance(a, int | float) and isinstance(b, int | float)
            if isinstance(a, int) and isinstance(b, int):
                if op == "+":
                    return _check_int(a + b, e)
                if op == "-":
                    return _check_int(a - b, e)
                if op == "*":
                    return _check_int(a * b, e)
                if b == 0:
                    raise EvalError(
                        "division by zero" if op == "/" else "modulus by zero", e.start, e.end
                    )
                q = abs(a) // abs(b)
                if (a < 0) != (b < 0):
                    q = -q
                if op == "/":
                    return _check_int(q, e)
                return a - q * b  # `%` (Go: the sign of the dividend)
            fa, fb = float(a), float(b)
            if op == "+":
                return fa + fb
            if op == "-":
                return fa - fb
            if op == "*":
                return fa * fb
            if op == "/":
                if fb == 0.0:
                    if fa == 0.0 or math.isnan(fa):
                        return math.nan
                    return math.copysign(math.inf, fa) * math.copysign(1.0, fb)
                return fa / fb
            raise EvalError("`%` needs integers", e.start, e.end)
        if op == "+":
            if isinstance(a, str) and isinstance(b, str):
                return a + b
            if isinstance(a, list) and isinstance(b, list):
                return a + b
            raise EvalError(f"cannot add {value_kind(a)} and {value_kind(b)}", e.start, e.end)
        raise EvalError(
            f"cannot apply `{op}` to {value_kind(a)} and {value_kind(b)}", e.start, e.end
        )

    def ternary(self, e: Ternary) -> object:
        c = self.ev(e.cond)
        if not isinstance(c, bool):
            raise EvalError(f"condition must be a boolean, got {value_kind(c)}", e.start, e.end)
        return self.ev(e.then if c else e.otherwise)

    def list_lit(self, e: ListLit) -> object:
        return [self.ev(i) for i in e.items]

    def map_lit(self, e: MapLit) -> object:
        out: dict[str, object] = {}
        for k, v in e.entries:
            key = self.ev(k)
            if not isinstance(key, str):
                raise EvalError(f"map keys must be strings, got {value_kind(key)}", k.start, k.end)
            out[key] = self.ev(v)
        return out

    # -- functions

    def call(self, e: Call) -> object:
        fn = e.fn
        if e.target is not None and fn in MACROS:
            return self.macro(e)
        if fn == "has":
            if len(e.args) != 1 or not isinstance(e.args[0], Select):
                raise EvalError("`has` expects one field selection", e.start, e.end)
            sel = e.args[0]
            try:
                base = (
                    self.ev(sel.operand)
                    if not (isinstance(sel.operand, Ident) and sel.operand.name in ("nodes", "env"))
                    else None
                )
            except MissingError:
                return False
            if isinstance(sel.operand, Ident) and sel.operand.name == "nodes":
                return sel.field in self.scope.nodes
            if isinstance(sel.operand, Ident) and sel.operand.name == "env":
                return sel.field in self.scope.env
            if base is None:
                return False
            if not isinstance(base, dict):
                raise EvalError(
                    f"`has` expects a field of a map, got {value_kind(base)}", e.start, e.end
                )
            return sel.field in base
        if fn == "coalesce":
            # The last argument is the fallback, evaluated as it is (its type is the
            # result's when it cannot be null, so a missing last argument is an error).
            for a in e.args[:-1]:
                try:
                    v = self.ev(a)
                except MissingError:
                    continue
                if v is not None:
                    return v
            return self.ev(e.args[-1]) if e.args else None
        args = [self.ev(a) for a in e.args]
        if e.target is not None:
            args.insert(0, self.ev(e.target))
        impl = _FUNCS.get(fn)
        if impl is None:
            raise EvalError(f"unknown function `{fn}`", e.start, e.end)
        return impl(self, e, args)

    # -- list macros

    def macro(self, e: Call) -> object:
        """CEL's comprehensions. ``map``, ``filter`` and ``exists_one`` fail with the first
        element's error; ``exists`` (``all``) is true (false) as soon as one element's
        condition is, whatever errors other elements gave, and otherwise fails with the
        first error (CEL's commutative ``||`` / ``&&`` over the elements)."""
        assert e.target is not None
        fn = e.fn
        items = self.ev(e.target)
        if not isinstance(items, list):
            raise EvalError(f"`{fn}` expects a list, got {value_kind(items)}", e.start, e.end)
        name = macro_var(e).name
        bodies = e.args[1:]
        saved = self.vars.get(name, _UNBOUND)
        try:
            if fn == "map":
                out: list[object] = []
                for x in items:
                    self.vars[name] = x
                    if len(bodies) == 2 and not self.condition(fn, bodies[0]):
                        continue
                    out.append(self.ev(bodies[-1]))
                return out
            if fn == "filter":
                kept: list[object] = []
                for x in items:
                    self.vars[name] = x
                    if self.condition(fn, bodies[0]):
                        kept.append(x)
                return kept
            if fn == "exists_one":
                count = 0
                for x in items:
                    self.vars[name] = x
                    if self.condition(fn, bodies[0]):
                        count += 1
                return count == 1
            decisive = fn == "exists"  # the value that decides: true for exists, false for all
            first: EvalError | None = None
            for x in items:
                self.vars[name] = x
                try:
                    if self.condition(fn, bodies[0]) == decisive:
                        return decisive
                except EvalError as err:
                    if first is None:
                        first = err
            if first is not None:
                raise first
            return not decisive
        finally:
            if saved is _UNBOUND:
                self.vars.pop(name, None)
            else:
                self.vars[name] = saved

    def condition(self, fn: str, body: Expr) -> bool:
        v = self.ev(body)
        if not isinstance(v, bool):
            raise EvalError(
                f"the condition of `{fn}` must be a boolean, got {value_kind(v)}",
                body.start,
                body.end,
            )
        return v


_UNBOUND = object()

_DISPATCH: dict[type, Callable[[_Evaluator, Any], object]] = {
    Literal: _Evaluator.literal,
    Ident: _Evaluator.ident,
    Select: _Evaluator.select,
    Index: _Evaluator.index,
    Call: _Evaluator.call,
    Unary: _Evaluator.unary,
    Binary: _Evaluator.binary,
    Ternary: _Evaluator.ternary,
    ListLit: _Evaluator.list_lit,
    MapLit: _Evaluator.map_lit,
}


def _arity(e: Call, args: list[object], lo: int, hi: int) -> None:
    if not lo <= len(args) <= hi:
        message = arity_message(e.fn, len(args), lo, hi, method=e.target is not None)
        raise EvalError(message, e.start, e.end)


def _str_arg(e: Call, v: object, what: str = "a string") -> str:
    if not isinstance(v, str):
        raise EvalError(f"`{e.fn}` expects {what}, got {value_kind(v)}", e.start, e.end)
    return v


def _size(ev: _Evaluator, e: Call, args: list[object]) -> object:
    _arity(e, args, 1, 1)
    v = args[0]
    if isinstance(v, str | list | dict):
        return len(v)
    raise EvalError(f"`size` expects a string, list or map, got {value_kind(v)}", e.start, e.end)


def _int(ev: _Evaluator, e: Call, args: list[object]) -> object:
    _arity(e, args, 1, 1)
    v = args[0]
    if isinstance(v, bool):
        raise EvalError("`int` expects a number or a string, got boolean", e.start, e.end)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v) or not (-(2.0**63) < v < 2.0**63):
            raise EvalError(f"{format_double(v)} is out of the integer range", e.start, e.end)
        return int(v)  # truncates toward zero
    if isinstance(v, str):
        if not _INT_RE.match(v):
            raise EvalError(f"cannot convert {v!r} to an integer", e.start, e.end)
        return _check_int(int(v), e)
    raise EvalError(f"`int` expects a number or a string, got {value_kind(v)}", e.start, e.end)


def _double(ev: _Evaluator, e: Call, args: list[object]) -> object:
    _arity(e, args, 1, 1)
    v = args[0]
    if isinstance(v, bool):
        raise EvalError("`double` expects a number or a string, got boolean", e.start, e.end)
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        if not _FLOAT_RE.match(v):
            raise EvalError(f"cannot convert {v!r} to a number", e.start, e.end)
        return float(v)
    raise EvalError(f"`double` expects a number or a string, got {value_kind(v)}", e.start, e.end)


def _string(ev: _Evaluator, e: Call, args: list[object]) -> object:
    _arity(e, args, 1, 1)
    return to_string(args[0], e)


def _str1(f: Callable[[str], object]) -> Callable[[_Evaluator, Call, list[object]], object]:
    def impl(ev: _Evaluator, e: Call, args: list[object]) -> object:
        _arity(e, args, 1, 1)
        return f(_str_arg(e, args[0]))

    return impl


def _str2(f: Callable[[str, str], object]) -> Callable[[_Evaluator, Call, list[object]], object]:
    def impl(ev: _Evaluator, e: Call, args: list[object]) -> object:
        _arity(e, args, 2, 2)
        return f(_str_arg(e, args[0]), _str_arg(e, args[1], "a string argument"))

    return impl


def _matches(s: str, pattern: str) -> bool:
    compiled = compile_pattern(pattern)  # RE2, as Go's regexp in the app
    if compiled is None:
        raise EvalError(f"invalid regular expression: {pattern_error(pattern)}") from None
    return compiled.search(s)


def _split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


def _join(ev: _Evaluator, e: Call, args: list[object]) -> object:
    _arity(e, args, 1, 2)
    items = args[0]
    sep = _str_arg(e, args[1], "a string separator") if len(args) > 1 else ""
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        raise EvalError("`join` expects a list of strings", e.start, e.end)
    return sep.join(items)


def _now(ev: _Evaluator, e: Call, args: list[object]) -> object:
    _arity(e, args, 0, 0)
    if ev.scope.now is not None:
        return ev.scope.now
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# unicode.IsSpace, what Go's strings.TrimSpace trims
_GO_SPACE = (
    " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

_FUNCS: dict[str, Callable[[_Evaluator, Call, list[object]], object]] = {
    "size": _size,
    "int": _int,
    "double": _double,
    "string": _string,
    "lower": _str1(str.lower),
    "upper": _str1(str.upper),
    "trim": _str1(lambda s: s.strip(_GO_SPACE)),
    "contains": _str2(lambda s, t: t in s),
    "startsWith": _str2(str.startswith),
    "endsWith": _str2(str.endswith),
    "matches": _str2(_matches),
    "split": _str2(_split),
    "join": _join,
    "now": _now,
}


def evaluate(expr: Expr, scope: EvalScope) -> object:
    """Evaluate ``expr``; raises :class:`EvalError` on run-time errors."""
    try:
        return _Evaluator(scope).ev(expr)
    except RecursionError:  # pragma: no cover - trees are depth-limited by the parser
        raise EvalError("expression too deeply nested", expr.start, expr.end) from None
