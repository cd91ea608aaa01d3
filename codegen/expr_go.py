"""Expressions -> Go: a type-directed walk over the AST of ``nodeforge.analysis.expressions``.

The compiled code has the Go type of the type analysis gave the expression (see
:mod:`nodeforge.codegen.gotypes`): where both operands are typed, plain Go operators
(``a.Qty >= 100``); where a type is only known at run time (``any``), the helpers of the
``nf`` runtime package, which implement docs/expressions.md exactly like the Python
evaluator. Run-time errors (a missing field, a bad conversion, a division by zero) panic
with ``*nf.EvalError``; ``nf.Exec.Run`` turns them into the flow's error. Sub-expressions
without any reference (``1.0 - 0.05``) are folded at generation time by the Python
evaluator itself, so constant arithmetic cannot differ from it (and Go's exact constant
arithmetic never applies). Every constant reaches Go through the literal encoder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from nodeforge.analysis.expressions import (
    Binary,
    Call,
    EvalError,
    EvalScope,
    Expr,
    Ident,
    Index,
    ListLit,
    Literal,
    MapLit,
    Select,
    Template,
    TemplateHole,
    Ternary,
    TypeEnv,
    Unary,
    check,
    children,
    evaluate,
)
from nodeforge.analysis.expressions.checker import list_element
from nodeforge.analysis.expressions.macros import MACROS, macro_var
from nodeforge.analysis.types import (
    ANY,
    BOOL,
    INT,
    NUMBER,
    STRING,
    ArrayType,
    ObjectType,
    Type,
)

from .gotypes import GoStruct, GoTypes, simplify
from .literal import go_literal, go_string

__all__ = ["CodegenError", "ExprCompiler", "NodeRefResolver", "Scope"]


class CodegenError(Exception):
    """A flow construct the generator cannot compile; the message says which."""


NodeRefResolver = Callable[[str, str], "Compiled"]


class Compiled(NamedTuple):  # made thousands of times per flow: a tuple is made fastest
    code: str
    go: str  # Go type of ``code``
    type: Type
    const: bool = False
    pointer: str | None = None  # for an optional field: the Go code of its pointer
    optional: str | None = None  # an optional list or map field: its Go code, nil if absent


# Compiled's fields as a tuple, made in C (its __new__ is Python code), where most are made
_compiled = tuple.__new__


def _may_be_missing(code: str) -> bool:
    """Whether Go ``code`` can raise a missing-field (or out-of-range) error: it reads a
    field, key or index through the runtime (``nf.Deref``, ``nf.Field``, ``nf.At``...)."""
    return "nf." in code


def _is_name(text: str) -> bool:
    """Whether Go code ``text`` is a name or a selector (``a.b``)."""
    return text.replace(".", "").replace("_", "").isalnum()


def _nil_check(r: Compiled, var: str) -> str | None:
    """The Go condition that ``var`` (holding ``r``'s value) is not null, or none when a
    value of its Go type is never null (a scalar, a struct, a required list)."""
    if r.go == "any" or r.optional is not None:
        return f"{var} != nil"
    return None


@dataclass
class Scope:
    """What an expression sees: ``input`` and the stored outputs of other nodes."""

    input_code: str
    input_go: str
    node_ref: NodeRefResolver


_SCALAR_GO = {"string", "int64", "float64", "bool"}
_FROM_ANY = {"string": "nf.Str", "int64": "nf.Int", "float64": "nf.Float", "bool": "nf.Bool"}


class ExprCompiler:
    """Compiles expressions and templates of one config string."""

    def __init__(
        self,
        types: GoTypes,
        env: TypeEnv,
        scope: Scope,
        imports: set[str],
        regexes: dict[str, str],
        hint: str,
        var_prefix: str = "",
        dynamic_memo: dict[int, tuple[Expr, bool]] | None = None,
    ) -> None:
        self.var_prefix = var_prefix  # package-level names are per flow
        self.types = types
        self.env = env
        self.scope = scope
        self.imports = imports
        self.regexes = regexes  # pattern literal -> Go variable name, per file
        self.hint = hint
        self.bound: dict[str, Compiled] = {}  # list macro variables in scope
        # id -> (it, _dynamic): the caller's, shared by the compilers of one generation
        # (parsed sources are cached: nodes with equal expressions share their trees)
        self._dynamic_memo = dynamic_memo if dynamic_memo is not None else {}
        self._typed: tuple[Expr, Type] | None = None  # an expression and its known type

    # -- entry points ------------------------------------------------------------

    def expression(self, e: Expr, want: Type | None = None, typed: Type | None = None) -> Compiled:
        """``e`` compiled to the Go type of ``want`` (default: its checked type);
        ``typed``: ``e``'s type as the analysis checked it in this environment (not
        checked again)."""
        if typed is not None:
            self._typed = (e, typed)
        t = want if want is not None else self.type_of(e)
        r = self.c(e)
        go = self.go(t)
        code = r.code if r.go == go else self.coerce(r, t)  # (coerce's first step)
        if r.const and code == r.code and r.go == "int64":
            code = f"int64({code})"  # an untyped constant would become an int
        if code == "nil":
            code = "any(nil)"
        if "map[" in go:  # (a map's Go type is not remembered: asked again, as before)
            go = self.go(t)
        return _compiled(Compiled, (code, go, t, False, None, None))

    def template(self, tpl: Template) -> str:
        """A Go string expression rendering the template."""
        parts: list[str] = []
        for p in tpl.parts:
            if isinstance(p, TemplateHole):
                if p.result.expr is None:
                    raise CodegenError(f"template hole `{p.source}` does not parse")
                parts.append(self.text_of(self.c(p.result.expr)))
            elif p.text:
                parts.append(go_string(p.text))
        if not parts:
            return '""'
        if len(parts) == 1 and parts[0].startswith('"'):
            return parts[0]
        if len(parts) == 1:
            return parts[0]
        return " + ".join(parts)

    def text_of(self, r: Compiled) -> str:
        if r.go == "string":
            return r.code
        if r.go == "int64":
            return f"nf.FormatInt({r.code})"
        if r.go == "float64":
            return f"nf.FormatFloat({r.code})"
        if r.go == "bool":
            return f"nf.FormatBool({r.code})"
        return f"nf.Text({self.as_any(r)})"

    # -- types -------------------------------------------------------------------

    def type_of(self, e: Expr) -> Type:
        typed = self._typed
        if typed is not None and e is typed[0]:
            return typed[1]
        if type(e) is Select:
            # `input.<field>`, the commonest path, typed as the checker types it (`input`
            # is the environment's input unless a variable of that name hides it; a field
            # of an object is its field's type), without a checker for it.
            op = e.operand
            if type(op) is Ident and op.name == "input" and "input" not in self.env.vars:
                t = self.env.input
                if isinstance(t, ObjectType):
                    f = t.field(e.field)
                    if f is not None:
                        return f.type
        return check(e, self.env).type

    def go(self, t: Type) -> str:
        return self.types.go(t, self.hint)

    def coerce(self, r: Compiled, want: Type) -> str:
        w = self.go(want)
        if r.go == w:
            return r.code
        if w == "any":
            return self.as_any(r)
        if r.go == "any":
            conv = _FROM_ANY.get(w)
            if conv is not None:
                return f"{conv}({r.code})"
            return self.types.decode(want, f"nf.JSONValue({r.code})", '""', self.hint)
        if r.go == "int64" and w == "float64":
            return f"float64({r.code})"
        if w in _SCALAR_GO:
            conv = _FROM_ANY[w]
            return f"{conv}({self.as_any(r)})"
        return self.types.decode(want, f"nf.JSONValue({self.as_any(r)})", '""', self.hint)

    def as_any(self, r: Compiled) -> str:
        if r.code == "nil":
            return "any(nil)"
        if r.go == "any":
            return r.code
        if r.const and r.go == "int64":
            return f"any(int64({r.code}))"
        if r.const and r.go == "float64":
            return f"any(float64({r.code}))"
        return f"any({r.code})"

    # -- the walk ----------------------------------------------------------------

    def c(self, e: Expr) -> Compiled:
        # fold()'s first steps here: most sub-expressions read a name (known to the memo)
        if isinstance(e, Literal):
            return self.const(e.value, e)
        known = self._dynamic_memo.get(id(e))
        if not (known[1] if known is not None else self._dynamic(e)):
            folded = self.fold(e)
            if folded is not None:
                return folded
        compile_ = _COMPILE.get(type(e))
        if compile_ is None:  # a subclass of one of them
            compile_ = next((f for k, f in _COMPILE.items() if isinstance(e, k)), None)
            if compile_ is None:  # pragma: no cover
                raise CodegenError(f"cannot compile {type(e).__name__}")
        return compile_(self, e)

    def fold(self, e: Expr) -> Compiled | None:
        """Constant sub-expressions with a scalar value, evaluated by the Python evaluator."""
        if isinstance(e, Literal):
            return self.const(e.value, e)
        if self._dynamic(e):
            return None
        try:
            value = evaluate(e, EvalScope())
        except EvalError as exc:
            t = self.type_of(e)
            self.imports.add("nf")
            go = self.go(t)
            return Compiled(f"nf.Raise[{go}]({go_string(exc.message)})", go, t)
        if value is None or isinstance(value, bool | int | float | str):
            return self.const(value, e)
        return None

    def _dynamic(self, e: Expr) -> bool:
        """Whether ``e`` reads a name or the clock (it cannot be folded); remembered per
        sub-expression, as :meth:`c` asks again for each one on its way down."""
        known = self._dynamic_memo.get(id(e))
        if known is not None:
            return known[1]
        hit = isinstance(e, Ident) or (isinstance(e, Call) and e.fn == "now")
        hit = hit or any(self._dynamic(n) for n in children(e))
        self._dynamic_memo[id(e)] = (e, hit)  # e kept: its id stays its own
        return hit

    def const(self, value: object, e: Expr) -> Compiled:
        if value is None:
            return Compiled("nil", "any", ANY, const=True)
        if isinstance(value, bool):
            return Compiled(go_literal(value), "bool", BOOL, const=True)
        if isinstance(value, int):
            return _compiled(Compiled, (go_literal(value), "int64", INT, True, None, None))
        if isinstance(value, float):
            code = go_literal(value)
            if code.startswith("math."):
                self.imports.add("math")
            return _compiled(Compiled, (code, "float64", NUMBER, True, None, None))
        if isinstance(value, str):
            return _compiled(Compiled, (go_string(value), "string", STRING, True, None, None))
        raise CodegenError(f"cannot fold {e}")  # pragma: no cover

    def ident(self, e: Ident) -> Compiled:
        bound = self.bound.get(e.name)
        if bound is not None:
            return bound
        if e.name == "input":
            scope = self.scope
            return _compiled(
                Compiled, (scope.input_code, scope.input_go, self.env.input, False, None, None)
            )
        if e.name == "env":
            return Compiled("nf.EnvMap()", "map[string]string", self.type_of(e))
        raise CodegenError(f"`{e.name}` cannot be compiled on its own")

    def select(self, e: Select) -> Compiled:
        op = e.operand
        if isinstance(op, Ident) and op.name == "env":
            return Compiled(f"nf.Env({go_string(e.field)})", "string", STRING)
        if isinstance(op, Ident) and op.name == "nodes":
            raise CodegenError(
                f"`nodes.{e.field}` needs a port in generated code, like `nodes.{e.field}.out`"
            )
        if isinstance(op, Select) and isinstance(op.operand, Ident) and op.operand.name == "nodes":
            return self.scope.node_ref(op.field, e.field)
        base = self.c(op)
        return self.field(base, e.field, e)

    def field(self, base: Compiled, name: str, e: Expr, t: Type | None = None) -> Compiled:
        """Field ``name`` of ``base``, selected by ``e`` (of type ``t``: checked only
        where needed, a struct's field has its own)."""
        s = self.types.by_name(base.go)
        if s is not None:
            f = s.field(name)
            if f is None:
                msg = go_string(f"no field `{name}`")
                return Compiled(f"nf.Raise[any]({msg})", "any", ANY)
            access = f"{base.code}.{f.name}"
            if f.pointer:
                key = go_string(name)
                return Compiled(f"nf.Deref({access}, {key})", f.go[1:], f.type, pointer=access)
            if not f.required and f.go.startswith(("[]", "map[")):
                # nil is absent (the schema cannot give these null): reading it is an error
                check = "nf.PresentList" if f.go.startswith("[]") else "nf.PresentMap"
                key = go_string(name)
                return Compiled(f"{check}({access}, {key})", f.go, f.type, optional=access)
            return _compiled(Compiled, (access, f.go, f.type, False, None, None))
        if t is None:
            t = self.type_of(e)
        if base.go == "nf.NodeError":
            go_field = {"message": "Message", "code": "Code", "retryable": "Retryable"}.get(name)
            if go_field is not None:
                return Compiled(f"{base.code}.{go_field}", self.go(t), t)
            return Compiled(f"nf.Raise[any]({go_string('no field `' + name + '`')})", "any", ANY)
        key = go_string(name)
        if base.go.startswith("map[string]"):
            return Compiled(f"nf.Get({base.code}, {key})", base.go[len("map[string]") :], t)
        return Compiled(f"nf.Field({self.as_any(base)}, {key})", "any", ANY)

    def index(self, e: Index) -> Compiled:
        base = self.c(e.operand)
        t = self.type_of(e)
        if base.go.startswith("[]"):
            idx = self.c(e.index)
            i = idx.code if idx.go == "int64" else f"nf.AsIndex({self.as_any(idx)})"
            return Compiled(f"nf.At({base.code}, {i})", base.go[2:], t)
        if isinstance(e.index, Literal) and isinstance(e.index.value, str):
            return self.field(base, e.index.value, e, t)
        if base.go.startswith("map[string]"):
            key = self.c(e.index)
            k = key.code if key.go == "string" else f"nf.Str({self.as_any(key)})"
            return Compiled(f"nf.Get({base.code}, {k})", base.go[len("map[string]") :], t)
        idx = self.c(e.index)
        value = self.as_any(base)
        if self.types.by_name(base.go) is not None:  # a struct (a map literal): its JSON map
            value = f"nf.JSONValue({value})"
        return Compiled(f"nf.Index({value}, {self.as_any(idx)})", "any", ANY)

    def unary(self, e: Unary) -> Compiled:
        r = self.c(e.operand)
        t = self.type_of(e)
        if e.op == "!":
            return Compiled(f"!{self.paren(self.coerce(r, BOOL))}", "bool", BOOL)
        if r.go == "int64":
            return Compiled(f"nf.SubInt(0, {r.code})", "int64", INT)
        if r.go == "float64":
            return Compiled(f"-{self.paren(r.code)}", "float64", NUMBER)
        return Compiled(f"nf.Neg({self.as_any(r)})", "any", t)

    @staticmethod
    def paren(code: str) -> str:
        """``code`` as an operand: bare when it is a name, a selector or one call
        (``f(x)``), else in parentheses (``a < f(x)`` ends in a call but is not one)."""
        head, call, _ = code.partition("(")
        if _is_name(code) or (
            call and _is_name(head) and code.endswith(")") and code.count("(") == 1
        ):
            return code
        return f"({code})"

    def binary(self, e: Binary) -> Compiled:
        op = e.op
        a, b = self.c(e.left), self.c(e.right)
        if op in ("&&", "||"):
            return Compiled(
                f"{self.paren(self.coerce(a, BOOL))} {op} {self.paren(self.coerce(b, BOOL))}",
                "bool",
                BOOL,
            )
        if op in ("==", "!="):
            if a.go == b.go and a.go in _SCALAR_GO:
                return Compiled(f"{self.paren(a.code)} {op} {self.paren(b.code)}", "bool", BOOL)
            if {a.go, b.go} == {"int64", "float64"}:
                x, y = self.numeric(a, b)
                return Compiled(f"{x} {op} {y}", "bool", BOOL)
            eq = f"nf.Equal({self.as_any(a)}, {self.as_any(b)})"
            return Compiled(eq if op == "==" else f"!{eq}", "bool", BOOL)
        if op in ("<", "<=", ">", ">="):
            if a.go in ("int64", "float64") and b.go in ("int64", "float64"):
                x, y = self.numeric(a, b)
                return _compiled(Compiled, (f"{x} {op} {y}", "bool", BOOL, False, None, None))
            if a.go == b.go == "string":
                return Compiled(f"{self.paren(a.code)} {op} {self.paren(b.code)}", "bool", BOOL)
            fn = {"<": "Less", "<=": "LessEq", ">": "Greater", ">=": "GreaterEq"}[op]
            return Compiled(f"nf.{fn}({self.as_any(a)}, {self.as_any(b)})", "bool", BOOL)
        if op == "in":
            if b.go.startswith("[]") and b.go[2:] == a.go and a.go in _SCALAR_GO:
                return Compiled(f"nf.Contains({b.code}, {a.code})", "bool", BOOL)
            return Compiled(f"nf.In({self.as_any(a)}, {self.as_any(b)})", "bool", BOOL)
        return self.arith(e, a, b)

    def numeric(self, a: Compiled, b: Compiled) -> tuple[str, str]:
        if a.go == b.go:
            return self.paren(a.code), self.paren(b.code)
        x = f"float64({a.code})" if a.go == "int64" else self.paren(a.code)
        y = f"float64({b.code})" if b.go == "int64" else self.paren(b.code)
        return x, y

    def arith(self, e: Binary, a: Compiled, b: Compiled) -> Compiled:
        op = e.op
        if a.go == b.go == "int64":
            fn = {"+": "AddInt", "-": "SubInt", "*": "MulInt", "/": "DivInt", "%": "ModInt"}[op]
            return Compiled(f"nf.{fn}({a.code}, {b.code})", "int64", INT)
        if a.go in ("int64", "float64") and b.go in ("int64", "float64") and op != "%":
            x, y = self.numeric(a, b)
            return _compiled(Compiled, (f"{x} {op} {y}", "float64", NUMBER, False, None, None))
        if op == "+" and a.go == b.go == "string":
            return Compiled(f"{a.code} + {b.code}", "string", STRING)
        t = self.type_of(e)  # (the typed cases above need no check of e)
        if op == "+" and a.go == b.go and a.go.startswith("[]"):
            return Compiled(f"nf.Concat({a.code}, {b.code})", a.go, t)
        if (
            op == "+"
            and a.go.startswith("[]")
            and b.go.startswith("[]")
            and isinstance(t, ArrayType)
        ):
            # Lists of different Go element types (`[] + [3, 4]`): both as the result's.
            go = self.go(t)
            return Compiled(f"nf.Concat({self.coerce(a, t)}, {self.coerce(b, t)})", go, t)
        # The dynamic helpers read JSON values: a typed list or struct becomes one first.
        x, y = (
            self.as_any(r) if r.go in _SCALAR_GO or r.go == "any" else f"nf.JSONValue({r.code})"
            for r in (a, b)
        )
        return Compiled(f"nf.Arith({go_string(op)}, {x}, {y})", "any", ANY)

    def ternary(self, e: Ternary) -> Compiled:
        t = simplify(self.type_of(e))
        go = self.go(t)
        cond = self.coerce(self.c(e.cond), BOOL)
        then = self.coerce(self.c(e.then), t)
        other = self.coerce(self.c(e.otherwise), t)
        code = f"func() {go} {{\n\tif {cond} {{\n\t\treturn {then}\n\t}}\n\treturn {other}\n}}()"
        return Compiled(code, go, t)

    def list_lit(self, e: ListLit) -> Compiled:
        t = self.type_of(e)
        go = self.go(t)
        items_t = t.items if isinstance(t, ArrayType) and go != "[]any" else ANY
        items = ", ".join(self.coerce(self.c(i), items_t) for i in e.items)
        if not go.startswith("[]"):  # pragma: no cover - lists are lists
            go = "[]any"
        return Compiled(f"{go}{{{items}}}", go, t)

    def map_lit(self, e: MapLit) -> Compiled:
        t = self.type_of(e)
        go = self.go(t)
        s: GoStruct | None = self.types.struct_of(t)
        if s is not None:
            values: dict[str, str] = {}
            for k, v in e.entries:
                assert isinstance(k, Literal) and isinstance(k.value, str)
                f = s.field(k.value)
                assert f is not None
                values[k.value] = self.coerce(self.c(v), f.type)
            return Compiled(self.types.composite(s, values), go, t)
        value_t = t.additional if isinstance(t, ObjectType) and t.additional is not None else ANY
        if not go.startswith("map[string]") or go == "map[string]any":
            go, value_t = "map[string]any", ANY
        entries = []
        for k, v in e.entries:
            key = self.coerce(self.c(k), STRING)
            entries.append(f"{key}: {self.coerce(self.c(v), value_t)}")
        return Compiled(f"{go}{{{', '.join(entries)}}}", go, t)

    # -- functions -----------------------------------------------------------------

    def call(self, e: Call) -> Compiled:
        fn = e.fn
        if e.target is not None and fn in MACROS:
            return self.macro(e)
        t = self.type_of(e)
        if fn == "has":
            return self.has(e)
        if fn == "coalesce":
            return self.coalesce(e, t)
        args = [self.c(a) for a in ((e.target, *e.args) if e.target is not None else e.args)]
        if fn == "size":
            a = args[0]
            if a.go == "string":
                return Compiled(f"nf.RuneCount({a.code})", "int64", INT)
            if a.go.startswith(("[]", "map[")):
                return Compiled(f"int64(len({a.code}))", "int64", INT)
            return Compiled(f"nf.Size({self.as_any(a)})", "int64", INT)
        if fn == "int":
            a = args[0]
            conv = {"int64": "{}", "float64": "nf.TruncInt({})", "string": "nf.ParseInt({})"}
            if a.go in conv:
                return Compiled(conv[a.go].format(a.code), "int64", INT)
            return Compiled(f"nf.ToInt({self.as_any(a)})", "int64", INT)
        if fn == "double":
            a = args[0]
            conv = {"int64": "float64({})", "float64": "{}", "string": "nf.ParseFloat({})"}
            if a.go in conv:
                return Compiled(conv[a.go].format(a.code), "float64", NUMBER)
            return Compiled(f"nf.ToFloat({self.as_any(a)})", "float64", NUMBER)
        if fn == "string":
            a = args[0]
            if a.go in _SCALAR_GO:
                return Compiled(self.text_of(a), "string", STRING)
            return Compiled(f"nf.ToString({self.as_any(a)})", "string", STRING)
        strs = [self.coerce(a, STRING) if a.go != "string" else a.code for a in args]
        simple = {
            "lower": "strings.ToLower({0})",
            "upper": "strings.ToUpper({0})",
            "trim": "nf.Trim({0})",
            "contains": "strings.Contains({0}, {1})",
            "startsWith": "strings.HasPrefix({0}, {1})",
            "endsWith": "strings.HasSuffix({0}, {1})",
            "split": "nf.Split({0}, {1})",
        }
        if fn in simple:
            if "strings." in simple[fn]:
                self.imports.add("strings")
            return Compiled(simple[fn].format(*strs), self.go(t), t)
        if fn == "matches":
            pat = e.args[-1]
            if isinstance(pat, Literal) and isinstance(pat.value, str):
                var = self.regexes.get(pat.value)
                if var is None:
                    var = f"{self.var_prefix}Pattern{len(self.regexes) + 1}"
                    var = var[:1].lower() + var[1:]
                    self.regexes[pat.value] = var
                return Compiled(f"{var}.MatchString({strs[0]})", "bool", BOOL)
            return Compiled(f"nf.Matches({strs[0]}, {strs[1]})", "bool", BOOL)
        if fn == "join":
            sep = strs[1] if len(args) > 1 else '""'
            a = args[0]
            if a.go == "[]string":
                self.imports.add("strings")
                return Compiled(f"strings.Join({a.code}, {sep})", "string", STRING)
            return Compiled(f"nf.Join({self.as_any(a)}, {sep})", "string", STRING)
        if fn == "now":
            return Compiled("nf.Now()", "string", STRING)
        raise CodegenError(f"unknown function `{fn}`")

    def macro(self, e: Call) -> Compiled:
        """A list macro: a ``nf`` helper (``nf.Map``, ``nf.Exists``...) looping over the
        typed slice, its bodies closures over the typed element."""
        assert e.target is not None
        fn = e.fn
        t = self.type_of(e)
        src = self.c(e.target)
        if src.go.startswith("[]"):
            items, elem_go = src.code, src.go[2:]
        else:
            items, elem_go = f"nf.List({self.as_any(src)}, {go_string(fn)})", "any"
        elem_t = list_element(self.type_of(e.target)) or ANY
        name = macro_var(e).name
        go_var = f"{name}_"  # never a Go keyword, a package or a helper's local name
        env, bound = self.env, self.bound
        self.env = env.with_var(name, elem_t)
        self.bound = {**bound, name: Compiled(go_var, elem_go, elem_t)}
        try:
            bodies = [self.c(b) for b in e.args[1:]]
            func = f"func({go_var} {elem_go})"

            def closure(result_go: str, code: str) -> str:
                return f"{func} {result_go} {{\n\treturn {code}\n}}"

            def condition(r: Compiled) -> str:
                code = r.code if r.go == "bool" else f"nf.Cond({self.as_any(r)}, {go_string(fn)})"
                return closure("bool", code)

            if fn == "map":
                go = self.go(t)
                value_t = t.items if isinstance(t, ArrayType) else ANY
                result_go = go[2:] if go.startswith("[]") else "any"
                if result_go == "any" or self.go(value_t) != result_go:
                    go, result_go = "[]any", "any"
                    value = self.as_any(bodies[-1])
                else:
                    value = self.coerce(bodies[-1], value_t)
                mapped = closure(result_go, value)
                if len(bodies) == 2:
                    code = f"nf.FilterMap({items}, {condition(bodies[0])}, {mapped})"
                else:
                    code = f"nf.Map({items}, {mapped})"
                return Compiled(code, go, t)
            if fn == "filter":
                return Compiled(f"nf.Filter({items}, {condition(bodies[0])})", f"[]{elem_go}", t)
            helper = {"exists": "Exists", "all": "All", "exists_one": "ExistsOne"}[fn]
            return Compiled(f"nf.{helper}({items}, {condition(bodies[0])})", "bool", BOOL)
        finally:
            self.env, self.bound = env, bound

    def has(self, e: Call) -> Compiled:
        sel = e.args[0]
        if not isinstance(sel, Select):
            raise CodegenError("`has` expects a field selection")
        op = sel.operand
        if isinstance(op, Ident) and op.name == "env":
            return Compiled(f"nf.HasEnv({go_string(sel.field)})", "bool", BOOL)
        if isinstance(op, Ident) and op.name == "nodes":
            return Compiled("true", "bool", BOOL)
        base = self.c(op)
        if not _may_be_missing(base.code):
            return Compiled(self.has_field(base.code, base.go, sel.field), "bool", BOOL)
        # A missing operand (`has(a.b.c)` without `a.b`) is `false`, as in the evaluator.
        check = self.has_field("b", base.go, sel.field)
        if check == "false":
            return Compiled("false", "bool", BOOL)
        var, cond = ("_", "ok") if check == "true" else ("b", f"ok && {self.paren(check)}")
        code = (
            f"func() bool {{\n\t{var}, ok := nf.Try(func() {base.go} {{ return {base.code} }})\n"
            f"\treturn {cond}\n}}()"
        )
        return Compiled(code, "bool", BOOL)

    def has_field(self, code: str, go: str, name: str) -> str:
        """Go code of whether the value ``code`` (of Go type ``go``) has field ``name``."""
        s = self.types.by_name(go)
        if s is not None:
            f = s.field(name)
            if f is None:
                return "false"
            if f.required:
                return "true"
            return f"{code}.{f.name} != nil"
        if go.startswith("map[string]"):
            return f"nf.HasKey({code}, {go_string(name)})"
        if go == "nf.NodeError":
            return "true" if name in ("message", "code", "retryable") else "false"
        return f"nf.Has({self.as_any(Compiled(code, go, ANY))}, {go_string(name)})"

    def coalesce(self, e: Call, t: Type) -> Compiled:
        """The first argument that is present and not null (a missing field, key or index
        counts as absent, as in the evaluator); the last one otherwise."""
        t = simplify(t)
        go = self.go(t)
        args = [self.c(a) for a in e.args]
        first = args[0]
        if (
            len(args) == 2
            and first.pointer is not None
            and not _may_be_missing(first.pointer)
            and self.go(first.type) == go
        ):
            return Compiled(f"nf.Or({first.pointer}, {self.coerce(args[1], t)})", go, t)
        lines = [f"func() {go} {{"]
        for a in args[:-1]:
            if a.pointer is not None:
                ptr_go = "*" + a.go
                if _may_be_missing(a.pointer):
                    lines.append(
                        f"\tif p, ok := nf.Try(func() {ptr_go} {{ return {a.pointer} }}); "
                        "ok && p != nil {"
                    )
                else:
                    lines.append(f"\tif p := {a.pointer}; p != nil {{")
                lines.append(f"\t\treturn {self.coerce(Compiled('*p', a.go, a.type), t)}")
                lines.append("\t}")
                continue
            present = _nil_check(a, "v")
            if a.optional is not None and not _may_be_missing(a.optional):
                a = Compiled(a.optional, a.go, a.type)  # absent is nil: no Try needed
            if _may_be_missing(a.code):
                cond = "ok" if present is None else f"ok && {present}"
                lines.append(
                    f"\tif v, ok := nf.Try(func() {a.go} {{ return {a.code} }}); {cond} {{"
                )
            elif present is not None:
                value = self.as_any(a) if a.go == "any" else a.code
                lines.append(f"\tif v := {value}; {present} {{")
            else:  # never absent, never null: the rest is unreachable
                lines.append(f"\treturn {self.coerce(a, t)}")
                lines.append("}()")
                return Compiled("\n".join(lines), go, t)
            lines.append(f"\t\treturn {self.coerce(Compiled('v', a.go, a.type), t)}")
            lines.append("\t}")
        lines.append(f"\treturn {self.coerce(args[-1], t)}")
        lines.append("}()")
        return Compiled("\n".join(lines), go, t)


# ExprCompiler.c's methods by the class of the expression (`isinstance` one by one made
# half of its cost); a subclass of one of those is found by isinstance.
_COMPILE: dict[type, Callable[[ExprCompiler, Any], Compiled]] = {
    Ident: ExprCompiler.ident,
    Select: ExprCompiler.select,
    Index: ExprCompiler.index,
    Unary: ExprCompiler.unary,
    Binary: ExprCompiler.binary,
    Ternary: ExprCompiler.ternary,
    ListLit: ExprCompiler.list_lit,
    MapLit: ExprCompiler.map_lit,
    Call: ExprCompiler.call,
}
