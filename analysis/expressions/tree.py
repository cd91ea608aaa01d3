"""Expression syntax tree.

Every node is a small frozen dataclass with ``start``/``end`` code-point offsets
into the parsed source (half-open). Offsets do not take part in equality, so two
trees that differ only in layout compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from typing import Literal as _Lit
from typing import TypeAlias

LiteralValue: TypeAlias = int | float | str | bool | None

UnaryOp: TypeAlias = _Lit["-", "!"]
BinaryOp: TypeAlias = _Lit[
    "*", "/", "%", "+", "-", "<", "<=", ">", ">=", "==", "!=", "in", "&&", "||"
]


@dataclass(frozen=True, slots=True)
class Literal:
    """``1``, ``2.5``, ``"s"``, ``true``, ``null``. ``bool`` values are booleans,
    ``int`` values are 64-bit integers, ``float`` values are doubles."""

    value: LiteralValue
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Ident:
    """A root name: ``input``, ``nodes``, ``env``."""

    name: str
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Select:
    """``operand.field``; the field name occupies ``[end - len(field), end)``."""

    operand: Expr
    field: str
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)

    @property
    def field_start(self) -> int:
        return self.end - len(self.field)


@dataclass(frozen=True, slots=True)
class Index:
    """``operand[index]``."""

    operand: Expr
    index: Expr
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    """``fn(args)`` (``target`` is None) or ``target.fn(args)`` (method style).

    ``name_start`` is the offset of the function name."""

    fn: str
    args: tuple[Expr, ...]
    target: Expr | None = None
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)
    name_start: int = _field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    op: UnaryOp
    operand: Expr
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: BinaryOp
    left: Expr
    right: Expr
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Ternary:
    """``cond ? then : otherwise``."""

    cond: Expr
    then: Expr
    otherwise: Expr
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Expr, ...]
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class MapLit:
    entries: tuple[tuple[Expr, Expr], ...]
    start: int = _field(default=0, compare=False)
    end: int = _field(default=0, compare=False)


Expr: TypeAlias = (
    Literal | Ident | Select | Index | Call | Unary | Binary | Ternary | ListLit | MapLit
)


def children(e: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions, in source order."""
    if isinstance(e, Select):
        return (e.operand,)
    if isinstance(e, Index):
        return (e.operand, e.index)
    if isinstance(e, Call):
        return e.args if e.target is None else (e.target, *e.args)
    if isinstance(e, Unary):
        return (e.operand,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, Ternary):
        return (e.cond, e.then, e.otherwise)
    if isinstance(e, ListLit):
        return e.items
    if isinstance(e, MapLit):
        return tuple(x for kv in e.entries for x in kv)
    return ()


def walk(e: Expr) -> list[Expr]:
    """All nodes of the tree, pre-order (iterative)."""
    out: list[Expr] = []
    stack = [e]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(children(n)))
    return out
