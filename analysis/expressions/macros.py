"""The list macros (CEL's comprehensions): ``map``, ``filter``, ``exists``, ``all``,
``exists_one``.

A macro is written as a method call on a list whose first argument names a variable:
``input.items.map(x, x.qty * 2)``. The tree keeps it as a :class:`Call` (``target`` is
the list, ``args[0]`` the variable's :class:`Ident`, the rest the bodies); the parser
accepts only well-formed macros (see :func:`macro_error`), so the checker, the
evaluator and the code generator can rely on that shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ExprError
from .tree import Call, Expr, Ident

__all__ = ["MACROS", "RESERVED", "MacroInfo", "is_macro", "macro_error", "macro_var"]

#: Names a macro variable may not take: the roots of every expression.
RESERVED = ("input", "nodes", "env")


@dataclass(frozen=True, slots=True)
class MacroInfo:
    name: str
    arities: tuple[int, ...]  # arguments after the receiver, the variable included
    signature: str
    doc: str
    example: str
    snippet: str  # the completion's insert text (snippet syntax)


MACROS: dict[str, MacroInfo] = {
    m.name: m
    for m in [
        MacroInfo(
            "map",
            (2, 3),
            "list<T>.map(x, e: U) -> list<U>  |  list<T>.map(x, p: boolean, e: U) -> list<U>",
            "A list macro: the value of `e` for each element `x` of the list, in order. "
            "With three arguments, only the elements for which `p` holds are mapped.",
            "input.items.map(i, i.qty * 2)",
            "map(${1:x}, ${2:x})",
        ),
        MacroInfo(
            "filter",
            (2,),
            "list<T>.filter(x, p: boolean) -> list<T>",
            "A list macro: the elements `x` of the list for which `p` holds, in order.",
            "input.items.filter(i, i.qty > 0)",
            "filter(${1:x}, ${2:true})",
        ),
        MacroInfo(
            "exists",
            (2,),
            "list<T>.exists(x, p: boolean) -> boolean",
            "A list macro: true if `p` holds for at least one element `x`. As in CEL, an "
            "error for one element is ignored when another element makes `p` true.",
            'input.items.exists(i, i.sku == "A1")',
            "exists(${1:x}, ${2:true})",
        ),
        MacroInfo(
            "all",
            (2,),
            "list<T>.all(x, p: boolean) -> boolean",
            "A list macro: true if `p` holds for every element `x` (true for an empty "
            "list). As in CEL, an error for one element is ignored when another element "
            "makes `p` false.",
            "input.items.all(i, i.qty > 0)",
            "all(${1:x}, ${2:true})",
        ),
        MacroInfo(
            "exists_one",
            (2,),
            "list<T>.exists_one(x, p: boolean) -> boolean",
            "A list macro: true if `p` holds for exactly one element `x`. Every element is "
            "tested; an error for any element is the macro's error.",
            "input.items.exists_one(i, i.qty > 100)",
            "exists_one(${1:x}, ${2:true})",
        ),
    ]
}


def is_macro(e: Expr) -> bool:
    """Whether ``e`` is a (parsed, so well-formed) list macro call."""
    return isinstance(e, Call) and e.target is not None and e.fn in MACROS


def macro_var(e: Call) -> Ident:
    """The variable a well-formed macro call binds."""
    v = e.args[0]
    assert isinstance(v, Ident)
    return v


def _arities(info: MacroInfo) -> str:
    return " or ".join(str(n) for n in info.arities)


def macro_error(e: Call, bound: tuple[str, ...]) -> ExprError | None:
    """The problem of the macro call ``e`` inside the variables ``bound`` by enclosing
    macros, or None. The rules (CEL's, made stricter where CEL would silently hide a
    name): the first argument is a simple identifier; the argument count is the macro's;
    the variable is none of ``input``, ``nodes``, ``env`` and does not reuse the name of
    an enclosing macro's variable."""
    info = MACROS[e.fn]
    if len(e.args) not in info.arities:
        plural = "" if info.arities == (1,) else "s"
        return ExprError(
            e.name_start,
            e.end,
            f"`{e.fn}` expects {_arities(info)} argument{plural}, got {len(e.args)}: "
            f"a variable name and {'expressions' if max(info.arities) > 2 else 'an expression'}, "
            f"like `{info.example}`",
            "arity",
        )
    var = e.args[0]
    if not isinstance(var, Ident):
        return ExprError(
            var.start,
            var.end,
            f"the first argument of `{e.fn}` must be a variable name, like `i` in `{info.example}`",
            "syntax",
        )
    if var.name in RESERVED:
        return ExprError(
            var.start,
            var.end,
            f"`{var.name}` cannot name a macro variable: it would hide `{var.name}`",
            "syntax",
        )
    if var.name in bound:
        return ExprError(
            var.start,
            var.end,
            f"`{var.name}` is already the variable of an enclosing macro; choose another name",
            "syntax",
        )
    return None
