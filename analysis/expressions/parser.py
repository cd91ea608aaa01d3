"""Lexer, parser and printer for the expression language (a CEL subset).

:func:`parse` never raises: syntax problems come back as :class:`ExprError`
values with precise offsets. It is memoized by source text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from .errors import ExprError
from .macros import MACROS, macro_error
from .tree import (
    Binary,
    BinaryOp,
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
    children,
)

__all__ = ["MAX_NESTING", "ParseResult", "Token", "parse", "tokenize", "unparse"]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
#: Maximum bracket / unary / ternary nesting the parser accepts.
MAX_NESTING = 100
#: Maximum depth of a syntax tree (long operator chains build deep trees).
MAX_TREE_DEPTH = 150
KEYWORDS = frozenset({"true", "false", "null", "in"})


class Token(NamedTuple):
    kind: str  # "int" "float" "str" "ident" "eof", a keyword, or the operator text
    value: object
    start: int
    end: int


@dataclass(slots=True)
class ParseResult:
    """``expr`` is None when there are errors. Shared (memoized): do not mutate."""

    expr: Expr | None
    errors: list[ExprError] = field(default_factory=list)
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.expr is not None and not self.errors


# --------------------------------------------------------------------------- lexer

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\r\n\f\v]+)
   |(?P<float>\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
   |(?P<hex>0[xX][0-9a-fA-F]+)
   |(?P<int>\d+)
   |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
   |(?P<str>["'])
   |(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]{}])
    """,
    re.VERBOSE,
)
_SIMPLE_STR = {'"': re.compile(r'"([^"\\\n\r]*)"'), "'": re.compile(r"'([^'\\\n\r]*)'")}
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "a": "\a",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "`": "`",
    "?": "?",
}
_HINTS = {
    "=": "unexpected `=`; did you mean `==`?",
    "&": "unexpected `&`; did you mean `&&`?",
    "|": "unexpected `|`; did you mean `||`?",
}


class _Fail(Exception):
    def __init__(self, error: ExprError) -> None:
        self.error = error


def tokenize(source: str, *, tolerant: bool = False) -> list[Token]:
    """Tokens of ``source`` ending with an ``eof`` token.

    Raises ``_Fail`` on a lexical error unless ``tolerant``, in which case lexing
    stops at the bad character (an unterminated string becomes a ``str`` token).
    """
    out: list[Token] = []
    pos = 0
    n = len(source)
    match = _TOKEN_RE.match
    while pos < n:
        m = match(source, pos)
        if m is None:
            if tolerant:
                break
            ch = source[pos]
            msg = _HINTS.get(ch, f"unexpected character `{ch}`")
            raise _Fail(ExprError(pos, pos + 1, msg, "syntax"))
        kind = m.lastgroup
        end = m.end()
        if kind == "ws":
            pass
        elif kind == "ident":
            text = m.group()
            out.append(Token(text if text in KEYWORDS else "ident", text, pos, end))
        elif kind == "op":
            out.append(Token(m.group(), None, pos, end))
        elif kind == "int":
            out.append(Token("int", _int_literal(m.group(), 10), pos, end))
        elif kind == "hex":
            out.append(Token("int", _int_literal(m.group()[2:], 16), pos, end))
        elif kind == "float":
            out.append(Token("float", float(m.group()), pos, end))
        else:
            q = source[pos]
            sm = _SIMPLE_STR[q].match(source, pos)
            if sm is not None:
                end = sm.end()
                out.append(Token("str", sm.group(1), pos, end))
            else:
                try:
                    value, end = _scan_string(source, pos)
                except _Fail:
                    if tolerant:
                        out.append(Token("str", source[pos + 1 :], pos, n))
                        break
                    raise
                out.append(Token("str", value, pos, end))
        pos = end
    out.append(Token("eof", None, n, n))
    return out


#: The value of an integer literal too long for any int64 (the parser then reports it as
#: out of range): Python refuses to convert decimal strings of over 4,300 digits, and
#: converting one of a few thousand takes quadratic time anyway.
_TOO_LONG = 2**64
_INT64_DIGITS = {10: 19, 16: 16}


def _int_literal(digits: str, base: int) -> int:
    """The value of a decimal or hexadecimal literal's digits, or ``_TOO_LONG``."""
    significant = digits.lstrip("0")
    if len(significant) > _INT64_DIGITS[base]:
        return _TOO_LONG
    return int(significant or "0", base)


def _scan_string(s: str, start: int) -> tuple[str, int]:
    q = s[start]
    i = start + 1
    n = len(s)
    buf: list[str] = []
    while i < n:
        c = s[i]
        if c == q:
            return "".join(buf), i + 1
        if c in "\n\r":
            break
        if c == "\\":
            if i + 1 >= n:
                break
            e = s[i + 1]
            if e in _ESCAPES:
                buf.append(_ESCAPES[e])
                i += 2
                continue
            if e in "01234567":
                # CEL's octal escape: exactly three digits, `\000` to `\377`.
                digits = s[i + 1 : i + 4]
                if len(digits) == 3 and all(d in "01234567" for d in digits) and e <= "3":
                    buf.append(chr(int(digits, 8)))
                    i += 4
                    continue
                end = i + 1
                while end < min(n, i + 4) and s[end] in "01234567":
                    end += 1
                raise _Fail(
                    ExprError(
                        i,
                        max(end, i + 2),
                        f"invalid octal escape `{s[i : max(end, i + 2)]}`: CEL octal escapes "
                        "take three digits, `\\000` to `\\377` (`\\000` is NUL)",
                        "syntax",
                    )
                )
            width = {"x": 2, "u": 4, "U": 8}.get(e)
            digits = s[i + 2 : i + 2 + width] if width else ""
            if (
                width
                and len(digits) == width
                and all(d in "0123456789abcdefABCDEF" for d in digits)
            ):
                cp = int(digits, 16)
                if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
                    raise _Fail(
                        ExprError(i, i + 2 + width, "invalid code point in escape", "syntax")
                    )
                buf.append(chr(cp))
                i += 2 + width
                continue
            raise _Fail(ExprError(i, min(i + 2, n), f"invalid escape sequence `\\{e}`", "syntax"))
        buf.append(c)
        i += 1
    raise _Fail(ExprError(start, i, "unterminated string", "syntax"))


# --------------------------------------------------------------------------- parser

_BINARY_BP: dict[str, int] = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "in": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def _describe_token(t: Token) -> str:
    if t.kind == "eof":
        return "end of expression"
    if t.kind == "str":
        return "string literal"
    if t.kind in ("int", "float"):
        return "number"
    if t.kind == "ident":
        return f"`{t.value}`"
    return f"`{t.kind}`"


class _Parser:
    __slots__ = ("depth", "pos", "toks")

    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.pos = 0
        self.depth = 0

    def fail(self, start: int, end: int, msg: str) -> _Fail:
        return _Fail(ExprError(start, end, msg, "syntax"))

    def unexpected(self, t: Token, expected: str = "") -> _Fail:
        what = _describe_token(t)
        if t.kind == "eof":
            msg = f"unexpected end of expression{'; expected ' + expected if expected else ''}"
        else:
            msg = f"unexpected {what}{'; expected ' + expected if expected else ''}"
        return self.fail(t.start, t.end, msg)

    def enter(self, t: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(t.start, t.end, f"expression nested too deeply (over {MAX_NESTING})")

    def expect_close(self, open_tok: Token) -> Token:
        t = self.toks[self.pos]
        close = _CLOSERS[open_tok.kind]
        if t.kind != close:
            raise self.fail(
                t.start,
                t.end,
                f"expected `{close}` to close `{open_tok.kind}` at {open_tok.start}, "
                f"found {_describe_token(t)}",
            )
        self.pos += 1
        return t

    def parse(self) -> Expr:
        t = self.toks[0]
        if t.kind == "eof":
            raise self.fail(0, 0, "empty expression")
        e = self.expr()
        t = self.toks[self.pos]
        if t.kind != "eof":
            if t.kind == "ident" and t.value in ("and", "or"):
                op = "&&" if t.value == "and" else "||"
                raise self.fail(t.start, t.end, f"unexpected `{t.value}`; did you mean `{op}`?")
            if t.kind in (")", "]", "}"):
                raise self.fail(t.start, t.end, f"unmatched `{t.kind}`")
            raise self.fail(
                t.start, t.end, f"unexpected {_describe_token(t)}; expected an operator"
            )
        return e

    def expr(self) -> Expr:
        toks = self.toks
        self.enter(toks[self.pos])
        cond = self.binary(1)
        q = toks[self.pos]
        if q.kind == "?":
            self.pos += 1
            then = self.expr()
            c = toks[self.pos]
            if c.kind != ":":
                raise self.fail(
                    c.start,
                    c.end,
                    f"expected `:` for the conditional `?` at {q.start}, "
                    f"found {_describe_token(c)}",
                )
            self.pos += 1
            other = self.expr()
            cond = Ternary(cond, then, other, cond.start, other.end)
        self.depth -= 1
        return cond

    def binary(self, min_bp: int) -> Expr:
        toks = self.toks
        left = self.unary()
        while True:
            t = toks[self.pos]
            bp = _BINARY_BP.get(t.kind)
            if bp is None or bp < min_bp:
                return left
            self.pos += 1
            right = self.binary(bp + 1)
            op: BinaryOp = t.kind  # type: ignore[assignment]
            left = Binary(op, left, right, left.start, right.end)

    def unary(self) -> Expr:
        toks = self.toks
        t = toks[self.pos]
        if t.kind == "-" or t.kind == "!":
            self.pos += 1
            nxt = toks[self.pos]
            if (
                t.kind == "-"
                and nxt.kind in ("int", "float")
                and toks[self.pos + 1].kind not in (".", "[")
            ):
                self.pos += 1
                v = nxt.value
                assert isinstance(v, int | float)
                if isinstance(v, int) and -v < INT64_MIN:
                    raise self.fail(t.start, nxt.end, "integer literal out of range")
                if isinstance(v, float) and math.isinf(v):
                    raise self.fail(t.start, nxt.end, "number literal out of range")
                return Literal(-v, t.start, nxt.end)
            self.enter(t)
            operand = self.unary()
            self.depth -= 1
            return Unary("-" if t.kind == "-" else "!", operand, t.start, operand.end)
        return self.postfix(self.primary())

    def postfix(self, e: Expr) -> Expr:
        toks = self.toks
        while True:
            t = toks[self.pos]
            k = t.kind
            if k == ".":
                name = toks[self.pos + 1]
                if name.kind != "ident" and name.kind not in KEYWORDS:
                    raise self.fail(
                        name.start if name.kind != "eof" else t.start,
                        name.end if name.kind != "eof" else t.end,
                        f"expected a field name after `.`, found {_describe_token(name)}",
                    )
                self.pos += 2
                fname = str(name.value)
                if toks[self.pos].kind == "(":
                    open_tok = toks[self.pos]
                    self.pos += 1
                    args = self.args(open_tok)
                    e = Call(fname, args, e, e.start, toks[self.pos - 1].end, name.start)
                else:
                    e = Select(e, fname, e.start, name.end)
            elif k == "[":
                self.pos += 1
                self.enter(t)
                if toks[self.pos].kind == "]":
                    raise self.unexpected(toks[self.pos], "an index")
                idx = self.expr()
                self.depth -= 1
                close = self.expect_close(t)
                e = Index(e, idx, e.start, close.end)
            elif k == "(":
                raise self.fail(
                    t.start, t.end, "only functions can be called, like `size(x)` or `s.lower()`"
                )
            else:
                return e

    def args(self, open_tok: Token) -> tuple[Expr, ...]:
        toks = self.toks
        args: list[Expr] = []
        self.enter(open_tok)
        while toks[self.pos].kind != ")":
            if toks[self.pos].kind == "eof":
                break
            args.append(self.expr())
            if toks[self.pos].kind == ",":
                self.pos += 1
            else:
                break
        self.depth -= 1
        self.expect_close(open_tok)
        return tuple(args)

    def primary(self) -> Expr:
        toks = self.toks
        t = toks[self.pos]
        k = t.kind
        if k == "ident":
            self.pos += 1
            if toks[self.pos].kind == "(":
                open_tok = toks[self.pos]
                self.pos += 1
                args = self.args(open_tok)
                return Call(str(t.value), args, None, t.start, toks[self.pos - 1].end, t.start)
            return Ident(str(t.value), t.start, t.end)
        if k == "int":
            self.pos += 1
            assert isinstance(t.value, int)
            if t.value > INT64_MAX:
                raise self.fail(t.start, t.end, "integer literal out of range")
            return Literal(t.value, t.start, t.end)
        if k == "float":
            self.pos += 1
            assert isinstance(t.value, float)
            if math.isinf(t.value):
                raise self.fail(t.start, t.end, "number literal out of range")
            return Literal(t.value, t.start, t.end)
        if k == "str":
            self.pos += 1
            return Literal(t.value, t.start, t.end)  # type: ignore[arg-type]
        if k == "true" or k == "false":
            self.pos += 1
            return Literal(k == "true", t.start, t.end)
        if k == "null":
            self.pos += 1
            return Literal(None, t.start, t.end)
        if k == "(":
            self.pos += 1
            if toks[self.pos].kind == ")":
                raise self.unexpected(toks[self.pos], "an expression inside `()`")
            inner = self.expr()
            self.expect_close(t)
            return inner
        if k == "[":
            self.pos += 1
            self.enter(t)
            items: list[Expr] = []
            while toks[self.pos].kind not in ("]", "eof"):
                items.append(self.expr())
                if toks[self.pos].kind == ",":
                    self.pos += 1
                else:
                    break
            self.depth -= 1
            close = self.expect_close(t)
            return ListLit(tuple(items), t.start, close.end)
        if k == "{":
            self.pos += 1
            self.enter(t)
            entries: list[tuple[Expr, Expr]] = []
            while toks[self.pos].kind not in ("}", "eof"):
                key = self.expr()
                colon = toks[self.pos]
                if colon.kind != ":":
                    raise self.fail(
                        colon.start,
                        colon.end,
                        f"expected `:` after a map key, found {_describe_token(colon)}",
                    )
                self.pos += 1
                entries.append((key, self.expr()))
                if toks[self.pos].kind == ",":
                    self.pos += 1
                else:
                    break
            self.depth -= 1
            close = self.expect_close(t)
            return MapLit(tuple(entries), t.start, close.end)
        raise self.unexpected(t, "an expression")


def _macro_problem(e: Expr) -> ExprError | None:
    """The first malformed list macro of ``e`` (source order), with the variables bound
    by the macros around each call (see :func:`macros.macro_error`)."""
    stack: list[tuple[Expr, tuple[str, ...]]] = [(e, ())]
    while stack:
        n, bound = stack.pop()
        inner = bound
        if isinstance(n, Call) and n.target is not None and n.fn in MACROS:
            problem = macro_error(n, bound)
            if problem is not None:
                return problem
            var = n.args[0]
            assert isinstance(var, Ident)
            inner = (*bound, var.name)
            # the receiver is outside the variable's scope
            stack.extend((a, inner) for a in reversed(n.args))
            stack.append((n.target, bound))
            continue
        stack.extend((c, bound) for c in reversed(children(n)))
    return None


def _tree_depth_ok(e: Expr) -> bool:
    stack: list[tuple[Expr, int]] = [(e, 1)]
    while stack:
        n, d = stack.pop()
        if d > MAX_TREE_DEPTH:
            return False
        for c in children(n):
            stack.append((c, d + 1))
    return True


@lru_cache(maxsize=16384)
def parse(source: str) -> ParseResult:
    """Parse an expression; never raises. Memoized by ``source``."""
    try:
        toks = tokenize(source)
        e = _Parser(toks).parse()
    except _Fail as f:
        return ParseResult(None, [f.error], source)
    except RecursionError:  # pragma: no cover - guarded by MAX_NESTING
        return ParseResult(
            None, [ExprError(0, len(source), "expression nested too deeply", "syntax")], source
        )
    if len(source) > MAX_TREE_DEPTH and not _tree_depth_ok(e):
        return ParseResult(
            None,
            [
                ExprError(
                    0,
                    len(source),
                    f"expression too deeply nested (over {MAX_TREE_DEPTH} levels)",
                    "syntax",
                )
            ],
            source,
        )
    problem = _macro_problem(e)
    if problem is not None:
        return ParseResult(None, [problem], source)
    return ParseResult(e, [], source)


# --------------------------------------------------------------------------- printer

_PREC_TERNARY = 0
_PREC_UNARY = 6
_PREC_POSTFIX = 7


def _prec(e: Expr) -> int:
    if isinstance(e, Ternary):
        return _PREC_TERNARY
    if isinstance(e, Binary):
        return _BINARY_BP[e.op]
    if isinstance(e, Unary):
        return _PREC_UNARY
    if (
        isinstance(e, Literal)
        and isinstance(e.value, int | float)
        and not isinstance(e.value, bool)
    ):
        return _PREC_UNARY if math.copysign(1.0, e.value) < 0 else _PREC_POSTFIX
    return _PREC_POSTFIX


def _quote(s: str) -> str:
    out = ['"']
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _literal_text(v: object) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _quote(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return f'double("{v}")'
        text = repr(v)
        return text if ("." in text or "e" in text) else text + ".0"
    return str(v)


def unparse(e: Expr) -> str:
    """Source text for ``e``, with only the parentheses precedence requires;
    ``parse(unparse(e)).expr == e``."""
    return _unparse(e)


def _wrap(e: Expr, min_prec: int) -> str:
    text = _unparse(e)
    return f"({text})" if _prec(e) < min_prec else text


def _unparse(e: Expr) -> str:
    if isinstance(e, Literal):
        return _literal_text(e.value)
    if isinstance(e, Ident):
        return e.name
    if isinstance(e, Select):
        return f"{_wrap(e.operand, _PREC_POSTFIX)}.{e.field}"
    if isinstance(e, Index):
        return f"{_wrap(e.operand, _PREC_POSTFIX)}[{_unparse(e.index)}]"
    if isinstance(e, Call):
        args = ", ".join(_unparse(a) for a in e.args)
        if e.target is None:
            return f"{e.fn}({args})"
        return f"{_wrap(e.target, _PREC_POSTFIX)}.{e.fn}({args})"
    if isinstance(e, Unary):
        operand = _unparse(e.operand)
        if _prec(e.operand) < _PREC_UNARY or (
            e.op == "-" and isinstance(e.operand, Literal) and _is_number(e.operand.value)
        ):
            operand = f"({operand})"
        elif e.op == "-" and operand.startswith("-"):
            operand = " " + operand
        return f"{e.op}{operand}"
    if isinstance(e, Binary):
        p = _BINARY_BP[e.op]
        return f"{_wrap(e.left, p)} {e.op} {_wrap(e.right, p + 1)}"
    if isinstance(e, Ternary):
        return f"{_wrap(e.cond, 1)} ? {_unparse(e.then)} : {_unparse(e.otherwise)}"
    if isinstance(e, ListLit):
        return "[" + ", ".join(_unparse(i) for i in e.items) + "]"
    return "{" + ", ".join(f"{_unparse(k)}: {_unparse(v)}" for k, v in e.entries) + "}"


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def quote_string(s: str) -> str:
    """A double-quoted expression string literal for ``s``."""
    return _quote(s)
