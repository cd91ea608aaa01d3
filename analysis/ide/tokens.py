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
from nodeforge.analysis.expressions.macros import MACROS
from nodeforge.analysis.expressions.parser import KEYWORDS, Token, tokenize
from nodeforge.analysis.jsontree import string_offsets
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
        raw = doc.text[item.start : item.end]
        literal = "\\" not in raw  # every string in this node is written as it reads
        for path, source, is_template in iter_config_strings(manifest, info.config):
            start = _literal_string(raw, path, source) if literal else None
            if start is not None:
                token_start, offsets = item.start + start, None
            else:  # the tree knows where it is (expanding the node: slower)
                token = item.find(("config", *path))
                if token is None or token.kind != "string" or token.value != source:
                    continue
                token_start, offsets = token.start, string_offsets(token.raw)
            if token_start + len(source) + 2 < want.start or token_start > want.end:
                continue
            out += _string_tokens(token_start, offsets, source, is_template)
    out.sort(key=lambda t: t.start)
    return out


def _literal_string(raw: str, path: tuple[str | int, ...], source: str) -> int | None:
    """Where the string ``source`` at config ``path`` starts in a node's text ``raw``
    that holds no backslash (so each string is written exactly as it reads), found
    without expanding the node: its only occurrence, right after its key. None when
    that does not settle it (the tree is asked instead)."""
    key = path[-1] if path else None
    if not isinstance(key, str):
        return None
    needle = f'"{source}"'
    at = raw.find(needle)
    if at < 0 or raw.find(needle, at + 1) >= 0:
        return None
    before = raw[:at].rstrip(" \t\r\n")
    if not before.endswith(":") or not before[:-1].rstrip(" \t\r\n").endswith(f'"{key}"'):
        return None
    return at


def _string_tokens(
    start: int, offsets: list[int] | None, source: str, is_template: bool
) -> list[SemanticToken]:
    """The tokens of one expression or template string starting (at its quote) at
    document offset ``start``; ``offsets`` maps decoded characters into the raw
    string (None: written without escapes, character ``i`` is at ``1 + i``)."""
    found: list[tuple[int, int, str, tuple[str, ...]]] = []
    if is_template:
        for hole in parse_template(source).holes:
            found.append((hole.start, hole.start + 2, "macro", ()))
            found += _classified(hole.source, hole.offset)
            if source.startswith("}}", hole.end - 2) and hole.end - 2 >= hole.offset:
                found.append((hole.end - 2, hole.end, "macro", ()))
    else:
        found = _classified(source, 0)
    if offsets is None:
        return [SemanticToken(start + 1 + s, start + 1 + e, k, m) for s, e, k, m in found if e > s]
    last = len(offsets) - 1
    return [
        SemanticToken(start + offsets[min(s, last)], start + offsets[min(e, last)], kind, mods)
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
                built_in = name in FUNCTIONS or (prev == "." and name in MACROS)
                mods = ("defaultLibrary",) if built_in else ()
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
