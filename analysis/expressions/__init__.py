"""The expression language: a documented CEL subset (see docs/expressions.md).

Parse with :func:`parse` (memoized, never raises), type-check with :func:`check`
against a :class:`TypeEnv`, evaluate with :func:`evaluate`. Templates
(``"Hello {{ input.name }}"``) use :func:`parse_template` / :func:`check_template`.
"""

from .checker import FUNCTIONS, CheckResult, FunctionInfo, NodeRef, TypeEnv, check, references
from .errors import EvalError, ExprError
from .evaluator import EvalScope, MissingError, evaluate, format_double
from .ide import Completion, HoverInfo, completions_at, expr_at, hover_at, type_at
from .parser import ParseResult, parse, quote_string, unparse
from .template import (
    Template,
    TemplateHole,
    TemplatePart,
    TemplateText,
    check_template,
    parse_template,
    render_template,
)
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
    children,
    walk,
)

__all__ = [
    "FUNCTIONS",
    "Binary",
    "Call",
    "CheckResult",
    "Completion",
    "EvalError",
    "EvalScope",
    "Expr",
    "ExprError",
    "FunctionInfo",
    "HoverInfo",
    "Ident",
    "Index",
    "ListLit",
    "Literal",
    "MapLit",
    "MissingError",
    "NodeRef",
    "ParseResult",
    "Select",
    "Template",
    "TemplateHole",
    "TemplatePart",
    "TemplateText",
    "Ternary",
    "TypeEnv",
    "Unary",
    "check",
    "check_template",
    "children",
    "completions_at",
    "evaluate",
    "expr_at",
    "format_double",
    "hover_at",
    "parse",
    "parse_template",
    "quote_string",
    "references",
    "render_template",
    "type_at",
    "unparse",
    "walk",
]
