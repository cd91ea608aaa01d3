"""Port types -> Go types: named structs from schemas, names with an initialisms table.

One :class:`GoTypes` registry serves a whole generated module, so a type that two nodes
share (structurally equal) is declared once. Mapping rules (see docs/codegen.md):

* ``boolean`` ``integer`` ``number`` ``string`` -> ``bool`` ``int64`` ``float64`` ``string``
* ``array`` of T -> ``[]T``
* an object with known fields -> a named struct; a required field holds its value, an
  optional scalar or struct field a pointer (nil: absent), an optional list, map or
  ``any`` field the value itself (nil: absent); unknown extra fields are dropped
* an object with only ``additionalProperties: T`` -> ``map[string]T``
* unknown, ``null`` and mixed unions -> ``any`` holding JSON values
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nodeforge.analysis.types import (
    AnyType,
    ArrayType,
    BoolType,
    Field,
    IntType,
    NullType,
    NumberType,
    ObjectType,
    StringType,
    Type,
    UnionType,
)

from .literal import go_string

__all__ = ["GoField", "GoStruct", "GoTypes", "go_name", "lower_camel", "pascal"]

INITIALISMS = frozenset(
    {
        "acl", "api", "ascii", "cpu", "css", "dns", "eof", "guid", "html", "http", "https",
        "id", "ip", "json", "lhs", "qps", "ram", "rhs", "rpc", "sla", "smtp", "sql", "ssh",
        "tcp", "tls", "ttl", "udp", "ui", "uid", "uuid", "uri", "url", "utf8", "vm", "xml",
        "xmpp", "xsrf", "xss", "sku", "llm", "otp", "sms", "db",
    }
)  # fmt: skip

GO_KEYWORDS = frozenset(
    {
        "break", "case", "chan", "const", "continue", "default", "defer", "else",
        "fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map",
        "package", "range", "return", "select", "struct", "switch", "type", "var",
    }
)  # fmt: skip

PREDECLARED = frozenset(
    {
        "any", "append", "bool", "byte", "cap", "clear", "close", "comparable", "complex",
        "copy", "delete", "error", "false", "float32", "float64", "imag", "int", "int16",
        "int32", "int64", "int8", "iota", "len", "make", "max", "min", "new", "nil", "panic",
        "print", "println", "real", "recover", "rune", "string", "true", "uint", "uint16",
        "uint32", "uint64", "uint8", "uintptr", "main", "init",
    }
)  # fmt: skip

_WORD = re.compile(r"[A-Za-z]+[a-z0-9]*|[0-9]+|[A-Z]+(?![a-z])")
_TAG_NAME = re.compile(r"^[A-Za-z0-9_\-.@$!#%&()*+/:;<=>?\[\]^{|}~ ]+$")


_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


def _words(text: str) -> list[str]:
    # (findall in C: _WORD has no group, each match is its text; a text of letters and
    # digits alone, a node id or a key, is one chunk)
    if text.isascii() and text.isalnum():
        return _WORD.findall(text)
    parts: list[str] = []
    for chunk in _SEPARATORS.split(text):
        parts += _WORD.findall(chunk)
    return parts


@lru_cache(maxsize=65536)
def pascal(text: str) -> str:
    """``customer_email`` -> ``CustomerEmail``; ``order_id`` -> ``OrderID``."""
    out = []
    for w in _words(text):
        lw = w.lower()
        out.append(lw.upper() if lw in INITIALISMS else w[:1].upper() + w[1:])
    name = "".join(out)
    if not name:
        name = "Field"
    if name[0].isdigit():
        name = "F" + name
    return name


@lru_cache(maxsize=65536)
def lower_camel(text: str) -> str:
    """``insert_order`` -> ``insertOrder``; ``id`` -> ``id``; ``url_check`` -> ``urlCheck``."""
    words = _words(text)
    if not words:
        return "node"
    first = words[0].lower()
    rest = pascal("_".join(words[1:])) if len(words) > 1 else ""
    name = first + rest
    if name[0].isdigit():
        name = "n" + name
    if name in GO_KEYWORDS or name in PREDECLARED:
        name += "Node"
    return name


def go_name(text: str) -> str:
    return pascal(text)


@dataclass
class GoField:
    name: str  # Go field name
    json: str  # JSON key
    type: Type
    go: str  # Go type of the field (pointer for optional scalars)
    required: bool
    pointer: bool  # optional, held through a pointer


class GoStruct:
    """A named struct. ``fields`` are its own; with a ``base`` (a struct whose fields are a
    prefix of this one's, e.g. the input of a ``data/set``), the base is embedded and its
    fields are promoted, so chains of nodes that each add a field stay linear in size.

    A struct refers to its base and never copies what the base knows: along a chain of
    thousands of ``data/set`` outputs, copying each base's field index or name set made
    code generation quadratic. Whether a JSON key is a field at all is asked of the
    analysis type (a logarithmic lookup); a promoted field is found by walking down the
    bases and remembered where it was asked for; whether a Go name is taken is answered by the
    registry's index of names (:meth:`GoTypes.struct`). Fields are added only while the
    registry makes the struct."""

    __slots__ = (
        "_all",
        "_index",
        "_promoted",
        "_up",
        "base",
        "count",
        "depth",
        "doc",
        "fields",
        "name",
        "root",
        "type",
    )

    def __init__(
        self, name: str, type: ObjectType, *, base: GoStruct | None = None, doc: str = ""
    ) -> None:
        self.name = name
        self.type = type
        self.base = base
        self.doc = doc
        self.fields: list[GoField] = []
        self.count: int = base.count if base is not None else 0  # own and promoted fields
        self.depth: int = base.depth + 1 if base is not None else 0  # bases below it
        self.root: GoStruct = base.root if base is not None else self  # the deepest base
        # Binary lifting: _up[k] is the base 2**k levels down, so that "is this struct
        # among my bases" costs a logarithmic walk (:meth:`extends`).
        up: list[GoStruct] = []
        below = base
        while below is not None:
            up.append(below)
            ups: tuple[GoStruct, ...] = below._up
            below = ups[len(up) - 1] if len(ups) >= len(up) else None
        self._up: tuple[GoStruct, ...] = tuple(up)
        self._index: dict[str, GoField] = {}  # own fields by JSON name
        self._promoted: dict[str, GoField] = {}  # bases' fields asked for here
        self._all: list[GoField] | None = None

    def __repr__(self) -> str:
        base = self.base.name if self.base is not None else None
        return f"GoStruct({self.name!r}, fields={[f.name for f in self.fields]}, base={base!r})"

    def field(self, json_name: str) -> GoField | None:
        """The field for a JSON key, its own or promoted from the base."""
        found = self._index.get(json_name)
        if found is not None or self.base is None:
            return found
        found = self._promoted.get(json_name)
        if found is not None:
            return found
        if self.type.field(json_name) is None:  # no such field at any depth
            return None
        walked = [self]
        s: GoStruct | None = self.base
        while s is not None:  # down the bases (a loop: deeper than the recursion limit)
            found = s._index.get(json_name) or s._promoted.get(json_name)
            if found is not None:
                break
            walked.append(s)
            s = s.base
        if found is None:  # (not reached: the type has the field, so some base does)
            return None
        for w in walked:
            w._promoted[json_name] = found
        return found

    def extends(self, other: GoStruct) -> bool:
        """Whether ``other`` is this struct or one of its bases (embedded, at any depth)."""
        s = self
        gap = s.depth - other.depth
        if gap < 0:
            return False
        k = 0
        while gap:
            if gap & 1:
                s = s._up[k]
            gap >>= 1
            k += 1
        return s is other

    def add(self, f: GoField) -> None:
        self.fields.append(f)
        self._index[f.json] = f
        self.count += 1
        self._all = None

    def all_fields(self) -> list[GoField]:
        """Every field, promoted ones first, in JSON order."""
        if self._all is None:
            out: list[GoField] = []
            chain: list[GoStruct] = []
            s: GoStruct | None = self
            while s is not None:
                chain.append(s)
                s = s.base
            for level in reversed(chain):
                out.extend(level.fields)
            self._all = out
        return self._all


_SCALARS = {BoolType: "bool", IntType: "int64", NumberType: "float64", StringType: "string"}
_ERROR_FIELDS = (("message", StringType), ("code", StringType), ("retryable", BoolType))


class _Keys:
    """Structural keys of types, as small interned ints: equal for types that get the same
    Go type (descriptions, string enums and formats do not matter).

    A key is computed once per type object (types are immutable; analysis shares them
    between ports) from the keys of its parts, so it costs O(1) to hash and compare. An
    object's fields are keyed as a chain of prefixes, each prefix interned from the one
    before it and one field, and its input's struct is found from the chain by one dict
    lookup (see :meth:`GoTypes._find_base`). Analysis builds a ``data/set`` output from
    its input by reference (:meth:`ObjectType.extension`): such a type is keyed from its
    base's key and its new fields only, and holds the prefix keys it adds, so a chain of
    nodes that each add a field stays linear in work and memory (a prefix shorter than
    the base is keyed from the enumerated fields, when asked for). Flat types' field
    sequences are also found by the fields' identities, and only new fields cost a
    step. Keys are meaningful only within one ``_Keys``.
    """

    __slots__ = ("_chains", "_ends", "_ids", "_memo", "_prefix", "_tags_ok", "_tuples")

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Type, int]] = {}  # id(type) -> (type kept alive, key)
        self._ids: dict[object, int] = {}  # structural tuple -> key
        # object key -> (lo, key of its first lo fields, keys of its longer prefixes in
        # order): lo is 0 for a flat type, its base's size for a type that extends its
        # base by reference (it holds only the prefixes it adds: a chain stays linear)
        self._prefix: dict[int, tuple[int, int, tuple[int, ...]]] = {}
        self._chains: dict[int, tuple[int, ...]] = {}  # object key -> all its prefix keys
        # The field sequences keyed so far, each with the chain of its prefix keys: by the
        # tuple's identity, and by (identity of the last field, length), where a longer
        # sequence made from it by adding fields finds it without hashing all its fields.
        self._tuples: dict[int, tuple[tuple[Field, ...], tuple[int, ...]]] = {}
        self._ends: dict[tuple[int, int], list[tuple[tuple[Field, ...], tuple[int, ...]]]] = {}
        self._tags_ok: dict[int, bool] = {}  # prefix key -> every name in it is tag-safe

    def __len__(self) -> int:
        return len(self._memo)

    def _intern(self, parts: object) -> int:
        found = self._ids.get(parts)
        if found is None:
            found = self._ids[parts] = len(self._ids) + 1
        return found

    def key(self, t: Type) -> int:
        hit = self._memo.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        key = self._compute(t)
        self._memo[id(t)] = (t, key)
        return key

    def prefix(self, t: ObjectType, k: int) -> int:
        """The key of ``t``'s first ``k`` fields (0 for none)."""
        key = self.key(t)
        lo, lo_key, ks = self._prefix[key]
        if k > lo:
            return ks[k - lo - 1]
        if k == lo:
            return lo_key
        chain = self._chains.get(key)  # a prefix of the base's: enumerate the fields
        if chain is None:
            chain = self._chains[key] = self._field_chain(t.fields)
        return chain[k - 1] if k else 0

    def last(self, t: ObjectType) -> int:
        """The key of all of ``t``'s fields (0 for none)."""
        _, lo_key, ks = self._prefix[self.key(t)]
        return ks[-1] if ks else lo_key

    def tags_ok(self, t: ObjectType) -> bool:
        """Whether every field name of ``t`` can be a Go struct tag (see :func:`_tag_ok`)."""
        last = self.last(t)
        return not last or self._tags_ok[last]

    def _known(self, fields: tuple[Field, ...], k: int) -> tuple[int, ...] | None:
        """The chain of ``fields[:k]`` if that sequence was keyed before."""
        found = self._ends.get((id(fields[k - 1]), k))
        if found:
            prefix = fields[:k] if k < len(fields) else fields
            for known, chain in found:
                if known == prefix:
                    return chain
        return None

    def _field_chain(self, fields: tuple[Field, ...]) -> tuple[int, ...]:
        hit = self._tuples.get(id(fields))
        if hit is not None and hit[0] is fields:
            return hit[1]
        n = len(fields)
        start, chain = 0, _NO_CHAIN
        for k in range(n, max(0, n - _PREFIX_PROBES) - 1, -1):  # a node adds a few fields
            known = self._known(fields, k) if k else None
            if known is not None:
                start, chain = k, known
                break
        if start < n or not n:
            prefix = chain[-1] if chain else 0
            ok = self._tags_ok[prefix] if chain else True
            new: list[int] = []
            for f in fields[start:]:
                prefix = self._intern(("field", prefix, f.name, f.required, self.key(f.type)))
                ok = ok and _tag_ok(f.name)
                self._tags_ok[prefix] = ok
                new.append(prefix)
            chain = chain + tuple(new)
            if n:
                self._ends.setdefault((id(fields[-1]), n), []).append((fields, chain))
        self._tuples[id(fields)] = (fields, chain)
        return chain

    def _links(self, t: ObjectType) -> int:
        """The key of an object type that extends its base by reference, from its
        base's key and its own new fields: the links not keyed yet below it are keyed
        from the deepest up (in a loop: chains are deeper than the recursion limit)."""
        pending: list[tuple[ObjectType, ObjectType, tuple[Field, ...]]] = []
        cur: ObjectType = t
        while True:
            ext = cur.extension()
            if ext is None:
                break
            hit = self._memo.get(id(cur))
            if hit is not None and hit[0] is cur:
                break
            pending.append((cur, *ext))
            cur = ext[0]
        key = 0
        for link, base, new in reversed(pending):
            lo_key = self.last(base)
            prefix, ok = lo_key, (self._tags_ok[lo_key] if lo_key else True)
            ks: list[int] = []
            for f in new:
                prefix = self._intern(("field", prefix, f.name, f.required, self.key(f.type)))
                ok = ok and _tag_ok(f.name)
                self._tags_ok[prefix] = ok
                ks.append(prefix)
            add = None if link.additional is None else self.key(link.additional)
            key = self._intern(("obj", ks[-1] if ks else lo_key, add))
            self._prefix.setdefault(key, (base.field_count, lo_key, tuple(ks)))
            self._memo[id(link)] = (link, key)
        return key

    def _compute(self, t: Type) -> int:
        if isinstance(t, StringType):
            return self._intern("string")
        if isinstance(t, ArrayType):
            return self._intern(("list", self.key(t.items)))
        if isinstance(t, ObjectType):
            if t.extension() is not None:
                return self._links(t)
            chain = self._field_chain(t.fields)
            add = None if t.additional is None else self.key(t.additional)
            key = self._intern(("obj", chain[-1] if chain else 0, add))
            self._prefix.setdefault(key, (0, 0, chain))
            return key
        if isinstance(t, UnionType):
            return self._intern(("union", tuple(self.key(o) for o in t.options)))
        return self._intern(type(t).__name__)


_NO_CHAIN: tuple[int, ...] = ()
_PREFIX_PROBES = 8  # field-sequence prefixes looked up before keying fields one by one
_SHARED = _Keys()  # for :func:`simplify` outside a registry


def is_node_error(t: Type) -> bool:
    """The `error` output every failing node shares: it maps to ``nf.NodeError``."""
    if not isinstance(t, ObjectType) or t.field_count != 3:
        return False
    return all(
        f.name == name and isinstance(f.type, kind) and f.required
        for f, (name, kind) in zip(t.fields, _ERROR_FIELDS, strict=True)
    )


def simplify(t: Type) -> Type:
    """Unions whose options share one Go type collapse to it (string enums; not T | null)."""
    global _SHARED
    if not isinstance(t, UnionType):
        return t
    if len(_SHARED) > 100_000:  # bound the memory of long-running processes
        _SHARED = _Keys()
    return _simplify(t, _SHARED)


def _null_among_others(t: Type) -> bool:
    """``T | null`` with a ``T`` of its own: list elements and map values of such a type
    are JSON values in Go (``any``), where ``nil`` is a value like the others."""
    return isinstance(t, UnionType) and any(isinstance(o, NullType) for o in t.options)


def _simplify(t: Type, keys: _Keys) -> Type:
    """String enums collapse to ``string``; ``T | null`` stays a union (a JSON value in Go:
    a Go ``string`` or struct cannot hold null), unless ``T`` is itself ``null``."""
    if isinstance(t, UnionType):
        if _null_among_others(t):
            return t
        opts = list(t.options)
        if opts:
            first = keys.key(opts[0])
            if all(keys.key(o) == first for o in opts):
                return opts[0]
    return t


class GoTypes:
    """The registry of named Go types of one generated module."""

    def __init__(self) -> None:
        self.structs: dict[int, GoStruct] = {}  # structural key -> struct
        self.names: set[str] = {"NodeError"}
        self.order: list[GoStruct] = []
        self.decoders: dict[str, tuple[str, str, Type]] = {}  # name -> (go type, body, type)
        self._keys = _Keys()
        self._prefixes: dict[int, GoStruct] = {}  # key of a struct's fields -> first struct
        self._by_name: dict[str, GoStruct] = {}
        # (Go name, root) -> the structs over that deepest base that declare the name
        # themselves (a field, or an embedded base): a struct's bases share its root
        self._level_names: dict[tuple[str, GoStruct], list[GoStruct]] = {}
        self._go_memo: dict[int, tuple[Type, str]] = {}  # id(type) -> (type kept, Go type)

    # -- Go types ----------------------------------------------------------------

    def go(self, t: Type, hint: str = "Value") -> str:
        # Asked again and again for the same port types (each use of a node's input or
        # output): a type's Go type, once given, stays that (a struct keeps its name). Not
        # kept for maps, which become structs if one of their key is made later.
        hit = self._go_memo.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        go = self._go(t, hint)
        if "map[" not in go:
            self._go_memo[id(t)] = (t, go)
        return go

    def known(self, t: Type) -> str | None:
        """``t``'s Go type if :meth:`go` gave it already (then the hint is not needed)."""
        hit = self._go_memo.get(id(t))
        return hit[1] if hit is not None and hit[0] is t else None

    def _go(self, t: Type, hint: str) -> str:
        t = _simplify(t, self._keys)
        scalar = _SCALARS.get(type(t))
        if scalar is not None:
            return scalar
        if isinstance(t, ArrayType):
            if _null_among_others(t.items):
                return "[]any"  # a Go scalar or struct element cannot hold null
            return "[]" + self.go(t.items, singular(hint))
        if isinstance(t, ObjectType):
            if is_node_error(t):
                return "nf.NodeError"
            if not self.is_struct(t):
                if (
                    t.additional is None
                    or isinstance(t.additional, AnyType)
                    or _null_among_others(t.additional)
                ):
                    return "map[string]any"
                return "map[string]" + self.go(t.additional, hint + "Value")
            return self.struct(t, hint).name
        return "any"

    def is_struct(self, t: Type) -> bool:
        t = _simplify(t, self._keys)
        if not isinstance(t, ObjectType) or not t.field_count:
            return False
        key = self._keys.key(t)
        if key in self.structs:
            return True
        if is_node_error(t):
            return True
        return self._keys.tags_ok(t)

    def struct(self, t: ObjectType, hint: str) -> GoStruct:
        key = self._keys.key(t)
        found = self.structs.get(key)
        if found is not None:
            return found
        name = self._unique(pascal(hint) if not hint[:1].isupper() else hint)
        base = self._find_base(t)
        s = GoStruct(name, t, base=base)
        self.structs[key] = s
        self.order.append(s)
        self._by_name[name] = s
        self._prefixes.setdefault(self._keys.last(t), s)
        # The Go names taken in the struct: its own fields', the embedded base's name, and
        # those of its bases at every depth (promoted), found in the index of names.
        own: set[str] = set()
        if base is not None:
            own.add(base.name)
            self._level_names.setdefault((base.name, s.root), []).append(s)
        for f in _fields_after(t, s.count):
            fname = pascal(f.name)
            stem, n = fname, 2
            while fname in own or self._promoted_name(base, fname):
                fname, n = f"{stem}{n}", n + 1
            own.add(fname)
            self._level_names.setdefault((fname, s.root), []).append(s)
            # A `T | null` member holds null as a value: a JSON value in Go, like list items.
            nullable = _null_among_others(f.type)
            if nullable:
                inner = "any"
            else:  # (a type given its Go type already needs no name for it: most fields)
                hit = self._go_memo.get(id(f.type))
                if hit is not None and hit[0] is f.type:
                    inner = hit[1]
                else:
                    inner = self.go(f.type, name_join(name, f.name))
            pointer = not f.required and (inner in _SCALARS.values() or self.is_named(inner))
            go = ("*" + inner) if pointer else inner
            s.add(GoField(fname, f.name, f.type, go, f.required, pointer))
        return s

    def _promoted_name(self, base: GoStruct | None, name: str) -> bool:
        """Whether ``name`` is a Go name ``base`` or one of its own bases declares (a
        field or an embedded type): promoted into a struct that embeds ``base``."""
        if base is None:
            return False
        return any(base.extends(s) for s in self._level_names.get((name, base.root), ()))

    def _find_base(self, t: ObjectType) -> GoStruct | None:
        """The largest known struct whose fields are a prefix of ``t``'s (at least half of
        them, at least two; the first one declared if several)."""
        keys = self._keys
        for k in range(t.field_count - 1, max(2, (t.field_count + 1) // 2) - 1, -1):
            found = self._prefixes.get(keys.prefix(t, k))
            if found is not None:
                return found
        return None

    def composite(
        self,
        s: GoStruct,
        values: dict[str, str],
        base_value: str | None = None,
        raw: frozenset[str] = frozenset(),
    ) -> str:
        """A composite literal of ``s`` from Go code per JSON key (optional scalars are
        wrapped in ``nf.Ptr`` unless listed in ``raw``, already pointers); ``base_value``
        fills the embedded base whole."""
        parts: list[str] = []
        if s.base is not None:
            inner = base_value or self.composite(s.base, values, raw=raw)
            if inner != s.base.name + "{}":
                parts.append(f"{s.base.name}: {inner}")
        for f in s.fields:
            if f.json in values:
                v = values[f.json]
                wrap = f.pointer and f.json not in raw
                parts.append(f"{f.name}: {'nf.Ptr(' + v + ')' if wrap else v}")
        if len(parts) > 2:
            return f"{s.name}{{\n" + "".join(f"\t{p},\n" for p in parts) + "}"
        return f"{s.name}{{{', '.join(parts)}}}"

    def is_named(self, go: str) -> bool:
        return go in self.names and go != "NodeError"

    def by_name(self, name: str) -> GoStruct | None:
        return self._by_name.get(name)

    def struct_of(self, t: Type) -> GoStruct | None:
        t = _simplify(t, self._keys)
        if not isinstance(t, ObjectType) or not t.field_count:
            return None
        # (is_struct's answer matters only for a type with a struct: one lookup of the key)
        found = self.structs.get(self._keys.key(t))
        if found is None or is_node_error(t):
            return None
        return found

    def _unique(self, name: str) -> str:
        base, n = name, 2
        while name in self.names or name in GO_KEYWORDS or name in PREDECLARED:
            name, n = f"{base}{n}", n + 1
        self.names.add(name)
        return name

    # -- decoding JSON values into typed values -----------------------------------

    def decode(self, t: Type, value: str, at: str, hint: str = "Value") -> str:
        """Go code converting the JSON value ``value`` (at JSON pointer ``at``) to the Go
        type of ``t``."""
        return f"{self.decoder(t, hint)}({value}, {at})"

    def decoder(self, t: Type, hint: str = "Value") -> str:
        """The name of a ``func(any, string) T`` converting JSON values to ``t``'s type."""
        t = _simplify(t, self._keys)
        go = self.go(t, hint)
        simple = {
            "string": "nf.AsString",
            "int64": "nf.AsInt",
            "float64": "nf.AsFloat",
            "bool": "nf.AsBool",
            "any": "nf.AsAny",
            "map[string]any": "nf.AsObject",
            "nf.NodeError": "nf.AsNodeErrorValue",
        }
        if go in simple:
            return simple[go]
        fn = "decode" + _go_type_ident(go)
        if fn in self.decoders:
            return fn
        self.decoders[fn] = ("", "", t)  # reserve against recursion
        if isinstance(t, ArrayType):
            body = f"\treturn nf.AsList(v, at, {self.decoder(t.items, hint)})"
        elif isinstance(t, ObjectType) and not self.is_struct(t):
            assert t.additional is not None
            body = f"\treturn nf.AsMap(v, at, {self.decoder(t.additional, hint)})"
        else:
            s = self.struct_of(t)
            assert s is not None, go
            lines = ["\tm := nf.AsObject(v, at)", f"\tvar out {go}", "\tif m == nil {"]
            lines.append('\t\tnf.Fail("%s: expected an object, got null", at)')
            lines.append("\t\treturn out")
            lines.append("\t}")
            if s.base is not None:
                lines.append(f"\tout.{s.base.name} = {self.decoder(s.base.type)}(v, at)")
            for f in s.fields:
                key = go_string(f.json)
                sub = f'at+"/"+{go_string(_escape_pointer(f.json))}'
                # A `T | null` member is a JSON value (see struct()): taken as it is.
                field_t = AnyType() if f.go == "any" else f.type
                conv = self.decoder(field_t, name_join(s.name, f.json))
                if f.required:
                    lines.append(f"\tout.{f.name} = {conv}(nf.Required(m, {key}, at), {sub})")
                elif f.pointer:
                    lines.append(f"\tif x, ok := m[{key}]; ok && x != nil {{")
                    lines.append(f"\t\tout.{f.name} = nf.Ptr({conv}(x, {sub}))")
                    lines.append("\t}")
                else:
                    lines.append(f"\tif x, ok := m[{key}]; ok {{")
                    lines.append(f"\t\tout.{f.name} = {conv}(x, {sub})")
                    lines.append("\t}")
            lines.append("\treturn out")
            body = "\n".join(lines)
        self.decoders[fn] = (go, body, t)
        return fn


def _fields_after(t: ObjectType, k: int) -> tuple[Field, ...]:
    """``t.fields[k:]``, without enumerating the fields of a base it extends that has
    ``k`` of them."""
    ext = t.extension()
    if ext is not None and ext[0].field_count == k:
        return ext[1]
    return t.fields[k:]


@lru_cache(maxsize=65536)
def _tag_ok(name: str) -> bool:
    return bool(_TAG_NAME.match(name)) and "," not in name


def _escape_pointer(s: str) -> str:
    return s.replace("~", "~0").replace("/", "~1")


def _go_type_ident(go: str) -> str:
    out = go.replace("[]", "List").replace("map[string]", "Map").replace("*", "Ptr")
    out = out.replace("nf.", "").replace(".", "")
    return out[:1].upper() + out[1:]


def name_join(parent: str, field_name: str) -> str:
    for suffix in ("Out", "In"):
        if parent.endswith(suffix) and len(parent) > len(suffix):
            parent = parent[: -len(suffix)]
            break
    return parent + pascal(field_name)


def singular(hint: str) -> str:
    if hint.endswith("ies") and len(hint) > 4:
        return hint[:-3] + "y"
    if hint.endswith("s") and not hint.endswith("ss") and len(hint) > 3:
        return hint[:-1]
    return hint + "Item"
