"""Semantic tokens for what JSON highlighting cannot see: the expressions and
templates inside config strings.

Identifiers, functions, operators, numbers, strings, keywords and node references
(``nodes.<id>``), plus the ``{{ }}`` of template holes. Offsets are document
offsets (escapes inside the JSON string respected); the server turns them into the
protocol's delta-encoded integers in the negotiated encoding.
"""

from __future__ import annotations

from dataclasses import dataclass

from nodeforge.analysis.catalog import iter_config_strings
from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.expressions import FUNCTIONS, parse_template
from nodeforge.analysis.expressions.parser import KEYWORDS, Token, tokenize
from nodeforge.analysis.jsontree import JsonNode, string_offsets
from nodeforge.analysis.text import Span

from .facts import manifest_for
from .inlay import overlapping_items

#: The legend, in the order the server declares it at initialize.
TOKEN_TYPES = (
    "variable",
    "property",
    "function",
    "method",
    "operator",
    "number",
    "string",
    "keyword",
    "class",
    "macro",
)
TOKEN_MODIFIERS = ("defaultLibrary",)

ROOTS = frozenset({"input", "nodes", "env"})
_PUNCTUATION = frozenset({"(", ")", "[", "]", "{", "}", ",", "."})


@dataclass(frozen=True, slots=True)
class SemanticToken:
    """``type`` is one of :data:`TOKEN_TYPES`; a node reference is a ``class``
    (nodes are classes in the outline too), a template's ``{{``/``}}`` a ``macro``."""

    start: int
    end: int
    type: str
    modifiers: tuple[str, ...] = ()


def semantic_tokens(analysis: Analysis, span: Span | None = None) -> list[SemanticToken]:
    """Tokens of the expression and template strings of the nodes overlapping
    ``span`` (the whole document without one), in document order."""
    doc = analysis.document
    root = doc.root
    if root is None or root.kind != "object":
        return []
    nodes = root.get("nodes")
    if nodes is None or nodes.kind != "array":
        return []
    want = span if span is not None else Span(0, len(doc.text))
    out: list[SemanticToken] = []
    for index, item in overlapping_items(nodes.items, want):
        if index >= len(doc.nodes) or item.kind != "object":
            continue
        info = doc.nodes[index]
        manifest = manifest_for(analysis, info.type, info.version)
        if manifest is None or not (manifest.expressions or manifest.templates):
            continue
        config = item.get("config")
        if config is None:
            continue
        for path, source, is_template in iter_config_strings(manifest, info.config):
            token = config.find(path)
            if token is None or token.kind != "string" or token.value != source:
                continue
            if token.end < want.start or token.start > want.end:
                continue
            out += _string_tokens(token, source, is_template)
    out.sort(key=lambda t: t.start)
    return out


def _string_tokens(token: JsonNode, source: str, is_template: bool) -> list[SemanticToken]:
    """The tokens of one expression or template string, in document offsets."""
    found: list[tuple[int, int, str, tuple[str, ...]]] = []
    if is_template:
        for hole in parse_template(source).holes:
            found.append((hole.start, hole.start + 2, "macro", ()))
            found += _classified(hole.source, hole.offset)
            if source.startswith("}}", hole.end - 2) and hole.end - 2 >= hole.offset:
                found.append((hole.end - 2, hole.end, "macro", ()))
    else:
        found = _classified(source, 0)
    offsets = string_offsets(token.raw)
    last = len(offsets) - 1
    base = token.start
    return [
        SemanticToken(base + offsets[min(s, last)], base + offsets[min(e, last)], kind, mods)
        for s, e, kind, mods in found
        if e > s
    ]


def _classified(source: str, shift: int) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """``(start, end, type, modifiers)`` of each token of an expression."""
    toks: list[Token] = [t for t in tokenize(source, tolerant=True) if t.kind != "eof"]
    out: list[tuple[int, int, str, tuple[str, ...]]] = []
    for i, t in enumerate(toks):
        kind = t.kind
        prev = toks[i - 1].kind if i > 0 else None
        mods: tuple[str, ...] = ()
        if kind == "ident":
            name = str(t.value)
            following = toks[i + 1].kind if i + 1 < len(toks) else None
            if following == "(":
                what = "method" if prev == "." else "function"
                mods = ("defaultLibrary",) if name in FUNCTIONS else ()
            elif prev == ".":
                what = "class" if _is_node_reference(toks, i) else "property"
            else:
                what = "variable"
                mods = ("defaultLibrary",) if name in ROOTS else ()
        elif kind in KEYWORDS:
            what = "keyword"
        elif kind in ("int", "float"):
            what = "number"
        elif kind == "str":
            what = "string"
        elif kind not in _PUNCTUATION:
            what = "operator"
        else:
            continue
        out.append((t.start + shift, t.end + shift, what, mods))
    return out


def _is_node_reference(toks: list[Token], i: int) -> bool:
    """``toks[i]`` is the ``<id>`` of ``nodes.<id>`` (``nodes`` a root, not a field)."""
    if i < 2 or toks[i - 2].kind != "ident" or toks[i - 2].value != "nodes":
        return False
    return i < 3 or toks[i - 3].kind != "."
