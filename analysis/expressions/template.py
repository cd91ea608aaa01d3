"""Templates: literal text with ``{{ expr }}`` holes; ``\\{{`` is a literal ``{{``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from ..types import STRING, describe, non_null
from .checker import CheckResult, NodeRef, TypeEnv, _kinds, check
from .errors import EvalError, ExprError
from .evaluator import EvalScope, evaluate, to_string
from .parser import ParseResult, parse

__all__ = [
    "Template",
    "TemplateHole",
    "TemplatePart",
    "TemplateText",
    "check_template",
    "parse_template",
    "render_template",
]


@dataclass(frozen=True, slots=True)
class TemplateText:
    """Literal text (escapes resolved); ``[start, end)`` is its raw span."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TemplateHole:
    """A ``{{ source }}`` hole. ``[start, end)`` spans the braces; ``offset`` is
    where ``source`` begins in the template, so a position ``p`` in
    ``result`` (whose offsets are relative to ``source``) is ``offset + p``."""

    source: str
    offset: int
    start: int
    end: int
    result: ParseResult


TemplatePart: TypeAlias = TemplateText | TemplateHole


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    parts: tuple[TemplatePart, ...]
    errors: tuple[ExprError, ...]  # absolute offsets: unclosed holes and hole syntax errors

    @property
    def holes(self) -> tuple[TemplateHole, ...]:
        return tuple(p for p in self.parts if isinstance(p, TemplateHole))

    @property
    def is_plain(self) -> bool:
        return not any(isinstance(p, TemplateHole) for p in self.parts)


def _skip_string(text: str, i: int) -> int:
    q = text[i]
    i += 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == q:
            return i + 1
        if c == "\n":
            return i
        i += 1
    return n


@lru_cache(maxsize=8192)
def parse_template(text: str) -> Template:
    """Split ``text`` into literal parts and parsed holes; never raises."""
    parts: list[TemplatePart] = []
    errors: list[ExprError] = []
    buf: list[str] = []
    buf_start = 0
    i = 0
    n = len(text)
    while i < n:
        if text.startswith("\\{{", i):
            buf.append("{{")
            i += 3
            continue
        if not text.startswith("{{", i):
            j = text.find("{{", i + 1)
            k = text.find("\\{{", i + 1)
            stop = n if j < 0 else j
            if 0 <= k < stop:
                stop = k
            buf.append(text[i:stop])
            i = stop
            continue
        if buf:
            parts.append(TemplateText("".join(buf), buf_start, i))
            buf = []
        j = i + 2
        while j < n:
            c = text[j]
            if c == '"' or c == "'":
                j = _skip_string(text, j)
                continue
            if text.startswith("}}", j):
                break
            j += 1
        source = text[i + 2 : j]
        result = parse(source)
        closed = j < n
        end = j + 2 if closed else n
        if not closed:
            errors.append(ExprError(i, i + 2, "unclosed `{{`; expected `}}`", "syntax"))
        else:
            errors.extend(e.shifted(i + 2) for e in result.errors)
        parts.append(TemplateHole(source, i + 2, i, end, result))
        i = end
        buf_start = i
    if buf:
        parts.append(TemplateText("".join(buf), buf_start, n))
    return Template(text, tuple(parts), tuple(errors))


_PRINTABLE = {"any", "null", "bool", "int", "number", "string"}


def check_template(template: Template, env: TypeEnv) -> CheckResult:
    """Check every hole; offsets in the result are template offsets. Holes whose
    type is not a scalar get a ``not-printable`` warning (they print as JSON)."""
    errors = list(template.errors)
    refs: list[NodeRef] = []
    for hole in template.holes:
        if hole.result.expr is None:
            continue
        r = check(hole.result.expr, env)
        off = hole.offset
        errors.extend(e.shifted(off) for e in r.errors)
        refs.extend(NodeRef(x.node_id, x.port, x.start + off, x.end + off) for x in r.references)
        if not _kinds(r.type) <= _PRINTABLE:
            e = hole.result.expr
            errors.append(
                ExprError(
                    e.start + off,
                    e.end + off,
                    f"{describe(non_null(r.type))} is not a scalar; it will be printed as JSON",
                    "not-printable",
                    "warning",
                )
            )
    return CheckResult(STRING, errors, refs)


def render_template(template: Template, scope: EvalScope) -> str:
    """Evaluate a template: scalars print like ``string(x)``, ``null`` prints as
    nothing, lists and maps print as compact JSON. Raises EvalError."""
    out: list[str] = []
    for p in template.parts:
        if isinstance(p, TemplateText):
            out.append(p.text)
            continue
        if p.result.expr is None:
            err = p.result.errors[0] if p.result.errors else None
            raise EvalError(err.message if err else "invalid template hole", p.start, p.end)
        try:
            v = evaluate(p.result.expr, scope)
        except EvalError as ex:
            ex.start += p.offset
            ex.end += p.offset
            raise
        if v is None:
            continue
        if isinstance(v, list | dict):
            out.append(json.dumps(v, separators=(",", ":"), ensure_ascii=False))
        else:
            out.append(to_string(v, p.result.expr))
    return "".join(out)
