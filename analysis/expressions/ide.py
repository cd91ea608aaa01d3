"""Editor helpers: completion and hover types, tolerant of incomplete text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as Lit

from ..types import ANY, ObjectType, Type, describe
from .checker import FUNCTIONS, TypeEnv, _kinds, _options, check, list_element
from .macros import MACROS, is_macro, macro_var
from .parser import KEYWORDS, Token, _Fail, _scan_string, parse, tokenize, unparse
from .tree import Call, Expr, Ident, children

__all__ = ["Completion", "HoverInfo", "completions_at", "expr_at", "hover_at", "type_at"]

CompletionKind = Lit["field", "function", "node", "port", "keyword", "variable"]


@dataclass(frozen=True, slots=True)
class Completion:
    label: str
    kind: CompletionKind
    detail: str
    documentation: str | None = None
    insert_text: str | None = None
    snippet: bool = False  # ``insert_text`` is in snippet syntax (``${1:x}``)


_OPERAND_END = frozenset({"ident", ")", "]", "str", "int", "float", "true", "false", "null"})


def _chain_start(toks: list[Token], i: int) -> int | None:
    """Start offset of the postfix chain (``a.b[0].c()``) that ends at token ``i``."""
    while i >= 0:
        t = toks[i]
        k = t.kind
        if k == "]" or k == ")":
            opener = "[" if k == "]" else "("
            depth = 0
            j = i
            while j >= 0:
                if toks[j].kind == k:
                    depth += 1
                elif toks[j].kind == opener:
                    depth -= 1
                    if depth == 0:
                        break
                j -= 1
            if j < 0:
                return None
            before = toks[j - 1].kind if j > 0 else None
            if k == ")":
                if before == "ident":
                    i = j - 1  # a call: continue at its name
                else:
                    return toks[j].start  # a parenthesized primary
            else:
                if before in _OPERAND_END:
                    i = j - 1  # an index: continue with the indexed operand
                    continue
                return toks[j].start  # a list literal
        elif k == "ident" or k in KEYWORDS:
            pass
        elif k in ("str", "int", "float"):
            return t.start
        else:
            return None
        if i >= 1 and toks[i - 1].kind == ".":
            i -= 2
            continue
        return toks[i].start
    return None


def _root_completions(env: TypeEnv) -> list[Completion]:
    out = [
        Completion(name, "variable", describe(t), "A list macro's variable: the current element.")
        for name, t in env.vars.items()
    ]
    out += [
        Completion("input", "variable", describe(env.input), "The data arriving at this node."),
        Completion(
            "nodes", "variable", "node outputs", "Outputs of earlier nodes: `nodes.<id>.<port>`."
        ),
        Completion(
            "env", "variable", "environment variables", "Environment variables: `env.NAME`."
        ),
    ]
    for f in FUNCTIONS.values():
        if f.global_:
            out.append(Completion(f.name, "function", f.signature, f.doc, f"{f.name}("))
    out.extend(Completion(k, "keyword", k) for k in ("true", "false", "null"))
    return out


def _member_completions(t: Type) -> list[Completion]:
    out: list[Completion] = []
    seen: set[str] = set()
    for o in _options(t):
        if isinstance(o, ObjectType):
            for f in o.fields:
                if f.name in seen:
                    continue
                seen.add(f.name)
                detail = describe(f.type) + ("" if f.required else " (optional)")
                out.append(Completion(f.name, "field", detail, f.description))
    kinds = _kinds(t)
    if "any" in kinds:
        return out
    # size() applies to maps too, but on records the fields are what people want
    sized = {"string", "list"} if out else {"string", "list", "object"}
    for fn in FUNCTIONS.values():
        if not fn.method or fn.name in seen:
            continue
        ok = (fn.receiver == "string" and "string" in kinds) or (
            fn.receiver == "list" and "list" in kinds
        )
        if fn.receiver == "any" and kinds & sized:
            ok = True
        if ok:
            insert = f"{fn.name}()" if fn.min_args <= 1 and fn.max_args == 1 else f"{fn.name}("
            out.append(Completion(fn.name, "function", fn.signature, fn.doc, insert))
    if "list" in kinds:
        for m in MACROS.values():
            doc = f"{m.doc}\n\n`{m.example}`"
            out.append(Completion(m.name, "function", m.signature, doc, m.snippet, snippet=True))
    return out


def _macro_env(prefix: str, toks: list[Token], env: TypeEnv) -> TypeEnv:
    """``env`` with the variables of the list macros still open at the end of ``prefix``
    (``input.items.map(i, i.`` binds ``i`` to the element type of ``input.items``)."""
    opened: list[int | None] = []  # per open bracket: the token index of a macro's `(`
    for i, t in enumerate(toks):
        if t.kind in ("(", "[", "{"):
            macro = (
                t.kind == "("
                and i >= 2
                and toks[i - 1].kind == "ident"
                and toks[i - 1].value in MACROS
                and toks[i - 2].kind == "."
                and i + 2 < len(toks)
                and toks[i + 1].kind == "ident"
                and toks[i + 2].kind == ","
            )
            opened.append(i if macro else None)
        elif t.kind in (")", "]", "}") and opened:
            opened.pop()
    for i in (j for j in opened if j is not None):
        start = _chain_start(toks, i - 3)
        if start is None:
            continue
        r = parse(prefix[start : toks[i - 2].start])
        elem: Type = ANY
        if r.expr is not None:
            elem = list_element(check(r.expr, env).type) or ANY
        env = env.with_var(str(toks[i + 1].value), elem)
    return env


def completions_at(source: str, offset: int, env: TypeEnv) -> list[Completion]:
    """Completions at ``offset`` (code points) in ``source``; works on incomplete text."""
    offset = max(0, min(offset, len(source)))
    prefix = source[:offset]
    try:
        toks = tokenize(prefix, tolerant=True)[:-1]
    except _Fail:  # pragma: no cover - tolerant mode does not fail
        return []
    if toks and toks[-1].kind == "str" and toks[-1].end == len(prefix):
        try:
            _scan_string(prefix, toks[-1].start)
        except _Fail:
            return []  # inside a string literal
    env = _macro_env(prefix, toks, env)
    if (
        toks
        and (toks[-1].kind == "ident" or toks[-1].kind in KEYWORDS)
        and toks[-1].end == len(prefix)
    ):
        toks = toks[:-1]  # the word being typed
    if not toks or toks[-1].kind != ".":
        if toks and toks[-1].kind in ("int", "float"):
            return []
        return _root_completions(env)
    dot = toks[-1]
    start = _chain_start(toks, len(toks) - 2)
    if start is None:
        return []
    chain = prefix[start : dot.start]
    ctoks = [t for t in toks if start <= t.start < dot.start]
    kinds = [t.kind for t in ctoks]
    if kinds == ["ident"] and ctoks[0].value == "nodes":
        ids = env.all_nodes()
        if env.visible_nodes is not None:
            ids = [i for i in ids if i in env.visible_nodes]
        out = []
        for nid in ids:
            ports = env.nodes.get(nid, {})
            detail = "ports: " + ", ".join(ports) if ports else "node"
            out.append(Completion(nid, "node", detail))
        return out
    if kinds == ["ident", ".", "ident"] and ctoks[0].value == "nodes":
        ports = env.nodes.get(str(ctoks[2].value), {})
        return [Completion(p, "port", describe(t)) for p, t in ports.items()]
    if kinds == ["ident"] and ctoks[0].value == "env":
        names = sorted(env.env_names or ())
        return [Completion(n, "variable", "string") for n in names]
    r = parse(chain)
    if r.expr is None:
        return []
    return _member_completions(check(r.expr, env).type)


def expr_at(expr: Expr, offset: int) -> Expr | None:
    """The smallest sub-expression whose span contains ``offset``."""
    if not expr.start <= offset < expr.end:
        return None
    node = expr
    while True:
        for c in children(node):
            if c.start <= offset < c.end:
                node = c
                break
        else:
            return node


@dataclass(frozen=True, slots=True)
class HoverInfo:
    """What hovering an expression shows: the sub-expression's span and type, and for a
    list macro's name or variable, what it means (markdown)."""

    start: int
    end: int
    type: Type
    doc: str | None = None


def hover_at(source: str, offset: int, env: TypeEnv) -> HoverInfo | None:
    """The smallest sub-expression at ``offset``, typed with the variables of the list
    macros around it; a macro's name or variable is explained."""
    r = parse(source)
    if r.expr is None:
        return None
    if not r.expr.start <= offset < r.expr.end and offset > 0:
        offset -= 1
    node: Expr = r.expr
    if not node.start <= offset < node.end:
        return None
    binders: dict[str, Call] = {}
    while True:
        if is_macro(node):
            assert isinstance(node, Call) and node.target is not None
            name_end = node.name_start + len(node.fn)
            if node.name_start <= offset < name_end:
                info = MACROS[node.fn]
                text = f"`{info.signature}`\n\n{info.doc}"
                return HoverInfo(node.name_start, name_end, check(node, env).type, text)
            if not node.target.start <= offset < node.target.end:
                var = macro_var(node)
                elem = list_element(check(node.target, env).type) or ANY
                env = env.with_var(var.name, elem)
                binders[var.name] = node
        for c in children(node):
            if c.start <= offset < c.end:
                node = c
                break
        else:
            break
    t = check(node, env).type
    doc: str | None = None
    if isinstance(node, Ident) and node.name in binders:
        binder = binders[node.name]
        assert binder.target is not None
        doc = (
            f"`{node.name}`: the variable of `{binder.fn}`, each element of "
            f"`{unparse(binder.target)}` ({describe(t)})"
        )
    return HoverInfo(node.start, node.end, t, doc)


def type_at(source: str, offset: int, env: TypeEnv) -> tuple[int, int, Type] | None:
    """``(start, end, type)`` of the smallest sub-expression at ``offset`` (hover)."""
    found = hover_at(source, offset, env)
    return None if found is None else (found.start, found.end, found.type)
