"""The type system: types from a JSON Schema subset, assignability, descriptions.

Types are small frozen, hashable dataclasses. Port schemas (JSON Schema) are turned
into types with :func:`type_from_schema`; connections are checked with
:func:`check_assignable`; expressions are typed against them (see
``nodeforge.analysis.expressions``).

Object openness: ``ObjectType.additional`` is the type of undeclared properties
(``ANY`` when the schema says nothing, which is JSON Schema's default) or ``None``
when the object is closed (``additionalProperties: false``).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterable
from dataclasses import FrozenInstanceError, dataclass
from typing import Literal, TypeAlias

__all__ = [
    "ANY",
    "BOOL",
    "INT",
    "NULL",
    "NUMBER",
    "STRING",
    "AnyType",
    "ArrayType",
    "BoolType",
    "Field",
    "IntType",
    "Mismatch",
    "NullType",
    "NumberType",
    "ObjectType",
    "StringType",
    "Type",
    "UnionType",
    "check_assignable",
    "clear_schema_cache",
    "describe",
    "is_nullable",
    "merge_objects",
    "new_field",
    "non_null",
    "object_type",
    "propose_mapping",
    "schema_from_type",
    "type_from_schema",
    "union",
]


@dataclass(frozen=True, slots=True)
class AnyType:
    """Unknown / unconstrained: assignable to and from everything."""


@dataclass(frozen=True, slots=True)
class NullType:
    pass


@dataclass(frozen=True, slots=True)
class BoolType:
    pass


@dataclass(frozen=True, slots=True)
class IntType:
    """A 64-bit signed integer (JSON Schema ``integer``)."""


@dataclass(frozen=True, slots=True)
class NumberType:
    """A double (JSON Schema ``number``); integers are assignable to it."""


@dataclass(frozen=True, slots=True)
class StringType:
    enum: tuple[str, ...] | None = None
    format: str | None = None


@dataclass(frozen=True, slots=True)
class ArrayType:
    items: Type


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: Type
    required: bool = False
    description: str | None = None


_FIELD_SETTERS = tuple(
    Field.__dict__[name].__set__ for name in ("name", "type", "required", "description")
)


def new_field(
    name: str, type_: Type, required: bool = False, description: str | None = None
) -> Field:
    """``Field(name, type_, required, description)``, faster (a frozen dataclass'
    ``__init__`` sets each field through ``object.__setattr__``): a field is made per
    expression of a ``data/set``."""
    made = object.__new__(Field)
    set_name, set_type, set_required, set_description = _FIELD_SETTERS
    set_name(made, name)
    set_type(made, type_)
    set_required(made, required)
    set_description(made, description)
    return made


#: In a chain of object types extending their base by reference, every link whose
#: position is a multiple of ``_SPAN ** L`` also indexes the fields of the ``_SPAN ** L``
#: links before it (a skip list): a lookup walks at most ``_SPAN`` links or spans per
#: level, and the spans of a chain of n links hold n log(n) / log(_SPAN) entries.
_SPAN = 8
_MASK = (1 << 61) - 1
_DEFAULT_ADDITIONAL = AnyType()


class ObjectType:
    """An object: its ``fields`` in order and the type of undeclared properties.

    Built from its fields (``ObjectType(fields, additional)``), or by
    :func:`merge_objects` as its base extended by a few fields *by reference*: a chain of
    ``data/set`` nodes, each adding a field to what it receives, then costs each node its
    own fields instead of a copy of all of them. ``fields`` is flattened when asked for
    (and kept); :meth:`field`, equality, hashing and :attr:`field_count` do not
    flatten, and a lookup takes a logarithmic walk (see :data:`_SPAN`). Immutable and
    hashable, like the other types; equal when the fields (in order) and
    ``additional`` are.
    """

    __slots__ = (
        "_base",
        "_fields",
        "_hash",
        "_own",
        "_pos",
        "_size",
        "_skip",
        "_span",
        "_sum",
        "additional",
    )
    __match_args__ = ("fields", "additional")

    additional: Type | None
    # The fields by name: all of them (first of a repeated name) when `_base` is None,
    # else only those this link adds or replaces. Never changed once made.
    _own: dict[str, Field]
    _base: ObjectType | None
    _pos: int  # links to the flat type the chain starts from (0 for that type)
    _span: dict[str, Field] | None  # on a skip link: the fields of the links it skips
    _skip: ObjectType | None  # on a skip link: the link before those it indexes
    _fields: tuple[Field, ...] | None  # the flattened fields, once asked for
    _size: int  # len(fields)
    _sum: int | None  # sum of the fields' hashes (order-free, so updated link by link)
    _hash: int | None

    def __init__(
        self, fields: Iterable[Field] = (), additional: Type | None = _DEFAULT_ADDITIONAL
    ) -> None:
        fields = tuple(fields)
        index: dict[str, Field] = {}
        for f in fields:
            index.setdefault(f.name, f)
        _init(self, additional, index, None, 0, fields, len(fields))

    @property
    def fields(self) -> tuple[Field, ...]:
        found = self._fields
        if found is None:
            base = self._base
            if (
                base is not None
                and base._fields is not None
                and self._size == base._size + len(self._own)
            ):  # only new fields, and the base's flattened already (code generation
                # enumerates a chain in order): its tuple then these, copied in C
                found = base._fields + tuple(self._own.values())
            else:
                found = tuple(self._flat_index().values())
            object.__setattr__(self, "_fields", found)
        return found

    def field(self, name: str) -> Field | None:
        if self._base is None:  # a flat type: its index holds every field
            return self._own.get(name)
        node: ObjectType | None = self
        while node is not None:
            span = node._span
            if span is not None:
                found = span.get(name)
                node_next = node._skip
            else:
                found = node._own.get(name)
                node_next = node._base
            if found is not None:
                return found
            node = node_next
        return None

    @property
    def closed(self) -> bool:
        return self.additional is None

    def extension(self) -> tuple[ObjectType, tuple[Field, ...]] | None:
        """The object type this one extends by reference and the fields it adds, when
        its fields are exactly the base's followed by those (none of the base's
        replaced); else None. Lets a consumer of a long chain (code generation) work
        link by link instead of enumerating every link's fields."""
        base = self._base
        if base is None or self._size != base._size + len(self._own):
            return None
        return base, tuple(self._own.values())

    @property
    def field_count(self) -> int:
        """``len(self.fields)``, without flattening a chain. (Not ``__len__``: an object
        type with no fields must stay true.)"""
        return self._size

    def _flat_index(self) -> dict[str, Field]:
        """Every field by name, in order (the base's own index itself when flat: not to
        be changed)."""
        if self._base is None:
            return self._own
        parts: list[dict[str, Field]] = []  # links' fields, or skip links' spans
        node: ObjectType = self
        base: ObjectType | None = self._base
        while base is not None:
            if node._span is not None and node._skip is not None:
                parts.append(node._span)
                node = node._skip
            else:
                parts.append(node._own)
                node = base
            base = node._base
        index = node._own.copy()
        for part in reversed(parts):
            index.update(part)  # a replaced field keeps its place, as in the flat merge
        return index

    def _field_sum(self) -> int:
        if self._sum is not None:
            return self._sum
        pending: list[ObjectType] = []
        node: ObjectType = self
        while node._sum is None and node._base is not None:
            pending.append(node)
            node = node._base
        total = node._sum
        if total is None:
            total = sum(map(hash, node.fields)) & _MASK
            object.__setattr__(node, "_sum", total)
        for link in reversed(pending):
            base = link._base
            assert base is not None
            for name, f in link._own.items():
                old = base.field(name)
                total += hash(f) - (hash(old) if old is not None else 0)
            total &= _MASK
            object.__setattr__(link, "_sum", total)
        return total

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, ObjectType):
            return NotImplemented
        if self._size != other._size or self.additional != other.additional:
            return False
        if self._base is not None and self._base is other._base:
            if tuple(self._own.items()) == tuple(other._own.items()):
                return True
        elif self._hash is not None and other._hash is not None and self._hash != other._hash:
            return False
        return self.fields == other.fields

    def __hash__(self) -> int:
        found = self._hash
        if found is None:
            found = hash((ObjectType, self._size, self.additional, self._field_sum()))
            object.__setattr__(self, "_hash", found)
        return found

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        return f"ObjectType(fields={self.fields!r}, additional={self.additional!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (ObjectType, (self.fields, self.additional))


# The slots' own setters (``object.__setattr__`` by name is slower): an object type is
# made per typed node (a ``data/set``'s own fields, then the link to its input).
(
    _set_additional,
    _set_own,
    _set_base,
    _set_pos,
    _set_span,
    _set_skip,
    _set_fields,
    _set_size,
    _set_sum,
    _set_hash,
) = (
    ObjectType.__dict__[name].__set__
    for name in (
        "additional",
        "_own",
        "_base",
        "_pos",
        "_span",
        "_skip",
        "_fields",
        "_size",
        "_sum",
        "_hash",
    )
)


def _init(
    obj: ObjectType,
    additional: Type | None,
    own: dict[str, Field],
    base: ObjectType | None,
    pos: int,
    fields: tuple[Field, ...] | None,
    size: int,
) -> ObjectType:
    _set_additional(obj, additional)
    _set_own(obj, own)
    _set_base(obj, base)
    _set_pos(obj, pos)
    _set_span(obj, None)
    _set_skip(obj, None)
    _set_fields(obj, fields)
    _set_size(obj, size)
    _set_sum(obj, None)
    _set_hash(obj, None)
    return obj


def merge_objects(parts: Iterable[ObjectType]) -> ObjectType:
    """The fields of every part in order, a later part's field taking the place of an
    earlier one of the same name; the ``additional`` of the last part that has one
    (else closed). The first part is extended by reference (see :class:`ObjectType`):
    a chain of ``data/set`` nodes merges its growing input into every output. A result
    equal to the first part is that part, so that what is keyed by identity downstream
    (environments, checks, memos) is shared too."""
    listed = list(parts)
    additional: Type | None = None
    for part in listed:
        if part.additional is not None:
            additional = part.additional
    if not listed:
        return _with_index({}, None)
    first = listed[0]
    if first._base is None and len(first._own) != first._size:  # a repeated name
        first = _with_index(_last_wins(first), first.additional)
    own: dict[str, Field] = {}
    for part in listed[1:]:
        if part._base is None and len(part._own) == part._size and not own:
            own = part._own  # shared, never changed: the common case copies nothing
        else:
            own = {**own, **(_last_wins(part) if part._base is None else part._flat_index())}
    olds = [first.field(name) for name in own]
    if additional == first.additional and all(map(operator.eq, olds, own.values())):
        return first  # nothing new (a `data/set` of a field the input has, with its type)
    return _extend(first, own, additional, olds.count(None))


def _last_wins(part: ObjectType) -> dict[str, Field]:
    return {f.name: f for f in part.fields}


def _extend(
    base: ObjectType, own: dict[str, Field], additional: Type | None, added: int
) -> ObjectType:
    """``base``'s fields then ``own``'s (replacing the base's of the same name in
    place; ``added`` of them are new), as a link to ``base``; a skip link when its
    position says so."""
    pos = base._pos + 1
    obj = _init(object.__new__(ObjectType), additional, own, base, pos, None, base._size + added)
    reach = 1
    while pos % (reach * _SPAN) == 0:
        reach *= _SPAN
    if reach > 1:  # index the links (pos - reach, pos]: this one's fields, then earlier
        parts = [own]
        node: ObjectType | None = base
        while node is not None and node._pos > pos - reach:  # spans met end >= pos - reach
            if node._span is not None:
                parts.append(node._span)
                node = node._skip
            else:
                parts.append(node._own)
                node = node._base
        span: dict[str, Field] = {}
        for part in reversed(parts):
            span.update(part)
        object.__setattr__(obj, "_span", span)
        object.__setattr__(obj, "_skip", node)
    return obj


def object_type(index: dict[str, Field], additional: Type | None) -> ObjectType:
    """``ObjectType(tuple(index.values()), additional)`` for fields whose names are the
    keys of ``index`` (so unique), which becomes the type's field index as is."""
    return _with_index(index, additional)


def _with_index(index: dict[str, Field], additional: Type | None) -> ObjectType:
    """The object type of ``index``'s fields (names unique, in order), which becomes
    its field index as is instead of being built again; the fields tuple is made when
    asked for."""
    return _init(object.__new__(ObjectType), additional, index, None, 0, None, len(index))


@dataclass(frozen=True, slots=True)
class UnionType:
    """A union; construct with :func:`union` to get simplification."""

    options: tuple[Type, ...]

    def __post_init__(self) -> None:
        flat: list[Type] = []
        for o in self.options:
            for p in o.options if isinstance(o, UnionType) else (o,):
                if p not in flat:
                    flat.append(p)
        object.__setattr__(self, "options", tuple(flat))


Type: TypeAlias = (
    AnyType
    | NullType
    | BoolType
    | IntType
    | NumberType
    | StringType
    | ArrayType
    | ObjectType
    | UnionType
)

ANY = AnyType()
NULL = NullType()
BOOL = BoolType()
INT = IntType()
NUMBER = NumberType()
STRING = StringType()


# --------------------------------------------------------------------------- union


def union(*types: Type) -> Type:
    """Flatten, deduplicate and simplify: ``union(int, number) == number``,
    ``union(T) == T``, ``any`` absorbs everything, string enums merge, a plain
    string absorbs string enums, ``null`` is kept last. ``union()`` is ``any``."""
    if len(types) == 1:  # one type (what arrives at most ports): itself, simplified
        only = types[0]
        if not isinstance(only, UnionType | StringType) or (
            isinstance(only, StringType) and only.enum is None
        ):
            return only
    flat: list[Type] = []
    for t in types:
        if isinstance(t, UnionType):
            flat.extend(t.options)
        else:
            flat.append(t)
    if not flat:
        return ANY
    out: list[Type] = []
    has_null = False
    has_number = False
    plain_strings: set[str | None] = set()  # formats of enum-less strings
    enums: dict[str | None, list[str]] = {}
    for t in flat:
        if isinstance(t, AnyType):
            return ANY
        if isinstance(t, NullType):
            has_null = True
        elif isinstance(t, NumberType):
            has_number = True
        elif isinstance(t, StringType):
            if t.enum is None:
                plain_strings.add(t.format)
            else:
                vals = enums.setdefault(t.format, [])
                vals.extend(v for v in t.enum if v not in vals)
    seen_strings = False
    for t in flat:
        if isinstance(t, NullType):
            continue
        if isinstance(t, IntType) and has_number:
            continue
        if isinstance(t, StringType):
            if seen_strings:
                continue
            seen_strings = True
            for fmt in sorted(plain_strings, key=lambda f: f or ""):
                out.append(StringType(None, fmt))
            if None in plain_strings:
                continue  # a plain string absorbs every enum and format
            for fmt, vals in enums.items():
                if fmt not in plain_strings:
                    out.append(StringType(tuple(vals), fmt))
            continue
        if t not in out:
            out.append(t)
    if None in plain_strings:
        out = [t for t in out if not (isinstance(t, StringType) and t.format is not None)]
    if has_null:
        out.append(NULL)
    if len(out) == 1:
        return out[0]
    return UnionType(tuple(out))


def is_nullable(t: Type) -> bool:
    return isinstance(t, NullType | AnyType) or (
        isinstance(t, UnionType) and any(isinstance(o, NullType) for o in t.options)
    )


def non_null(t: Type) -> Type:
    """``t`` without its ``null`` option (``null`` itself stays ``null``)."""
    if isinstance(t, UnionType):
        rest = [o for o in t.options if not isinstance(o, NullType)]
        return union(*rest) if rest else NULL
    return t


# --------------------------------------------------------------------------- schema -> type

MAX_SCHEMA_DEPTH = 64
_CACHE_LIMIT = 8192
# id(schema) -> (schema kept alive so the id is not reused, type)
_schema_cache: dict[int, tuple[object, Type]] = {}


def clear_schema_cache() -> None:
    _schema_cache.clear()


def type_from_schema(schema: object) -> Type:
    """The type a JSON Schema (subset) describes; never raises.

    Supported: ``type`` (a name or a list of names), ``properties``, ``required``,
    ``items``, ``enum``, ``const``, ``additionalProperties`` (bool or schema),
    ``format``, ``nullable: true`` (OpenAPI), ``anyOf``/``oneOf`` (unions),
    ``description`` of properties. Anything else, non-dict schemas and nesting
    deeper than 64 levels give ``any``.

    Results are cached by the identity of the schema dict, so callers must treat
    schema dicts as immutable once passed in (analysis works on snapshots).
    """
    if not isinstance(schema, dict):
        return ANY
    hit = _schema_cache.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    try:
        t = _from_schema(schema, 0, schema)
    except Exception:  # pragma: no cover - hostile input (e.g. unorderable keys)
        t = ANY
    if len(_schema_cache) >= _CACHE_LIMIT:
        _schema_cache.clear()
    _schema_cache[id(schema)] = (schema, t)
    return t


_SIMPLE: dict[str, Type] = {
    "null": NULL,
    "boolean": BOOL,
    "integer": INT,
    "number": NUMBER,
    "string": STRING,
}


def _from_schema(s: object, depth: int, root: object) -> Type:
    """The type of ``s``, a schema inside ``root`` (for ``$ref``)."""
    if depth > MAX_SCHEMA_DEPTH or not isinstance(s, dict):
        return ANY  # boolean schemas too: `true` is anything, `false` nothing we can type
    t = _own_type(s, depth, root)
    ref = s.get("$ref")
    if isinstance(ref, str):
        from nodeforge.analysis.schemas import resolve_pointer

        found = resolve_pointer(root, ref)
        if found is not None:
            t = meet(_from_schema(found[0], depth + 1, root), t)
    parts = s.get("allOf")
    if isinstance(parts, list):
        for part in parts:
            t = meet(t, _from_schema(part, depth + 1, root))
    for key in ("anyOf", "oneOf"):
        alts = s.get(key)
        if isinstance(alts, list) and alts:
            t = union(*(meet(t, _from_schema(a, depth + 1, root)) for a in alts))
    if "if" in s and ("then" in s or "else" in s):
        # Either branch may apply: the value has the base type and one branch's.
        t = union(
            *(
                meet(t, _from_schema(s[k], depth + 1, root)) if k in s else t
                for k in ("then", "else")
            )
        )
    if s.get("nullable") is True and not isinstance(t, AnyType):
        t = union(t, NULL)
    return t


def _own_type(s: dict[object, object], depth: int, root: object) -> Type:
    """The type of the schema's own keywords (type, enum, const, properties, items)."""
    if "const" in s:
        return _from_enum([s["const"]], None, s)
    if isinstance(s.get("enum"), list):
        return _from_enum(s["enum"], s.get("type"), s)  # type: ignore[arg-type]
    ty = s.get("type")
    names: list[str]
    if isinstance(ty, str):
        names = [ty]
    elif isinstance(ty, list) and ty and all(isinstance(n, str) for n in ty):
        names = list(ty)
    elif ty is None:
        # Object and array keywords without `type` constrain objects and arrays only: JSON
        # Schema lets a value of any other kind through, so the value is `any` (NF029
        # asks for the `type`), and the app and the simulator accept the same values.
        return ANY
    else:
        return ANY
    return union(*(_from_type_name(n, s, depth, root) for n in names))


def meet(a: Type, b: Type) -> Type:
    """What a value of both ``a`` and ``b`` is (``allOf``, a branch of ``anyOf`` or ``if``
    with the schema's own keywords), as far as types go: objects merge their fields (a
    field required by either is required), ``integer`` and ``number`` give ``integer``, the
    more specific string wins. Kinds that cannot meet leave ``a``."""
    if isinstance(a, AnyType):
        return b
    if isinstance(b, AnyType):
        return a
    if isinstance(a, UnionType) or isinstance(b, UnionType):
        pairs = [
            m
            for x in (a.options if isinstance(a, UnionType) else (a,))
            for y in (b.options if isinstance(b, UnionType) else (b,))
            if (m := _meet_one(x, y)) is not None
        ]
        return union(*pairs) if pairs else a
    met = _meet_one(a, b)
    return a if met is None else met


def _meet_one(a: Type, b: Type) -> Type | None:
    if isinstance(a, AnyType):
        return b
    if isinstance(b, AnyType) or a == b:
        return a
    if {type(a), type(b)} == {IntType, NumberType}:
        return INT
    if isinstance(a, StringType) and isinstance(b, StringType):
        if a.enum is not None and b.enum is not None:
            common = tuple(v for v in a.enum if v in b.enum)
            return StringType(common or a.enum, a.format or b.format)
        return StringType(a.enum or b.enum, a.format or b.format)
    if isinstance(a, ArrayType) and isinstance(b, ArrayType):
        return ArrayType(meet(a.items, b.items))
    if isinstance(a, ObjectType) and isinstance(b, ObjectType):
        fields: dict[str, Field] = {f.name: f for f in a.fields}
        for f in b.fields:
            old = fields.get(f.name)
            if old is None:
                fields[f.name] = f
            else:
                fields[f.name] = Field(
                    f.name,
                    meet(old.type, f.type),
                    old.required or f.required,
                    old.description or f.description,
                )
        if a.additional is None or b.additional is None:
            additional: Type | None = None
        else:
            additional = meet(a.additional, b.additional)
        return ObjectType(tuple(fields.values()), additional)
    if type(a) is type(b):
        return a
    return None


def _from_type_name(name: str, s: dict[object, object], depth: int, root: object) -> Type:
    if name == "string":
        fmt = s.get("format")
        return StringType(None, fmt if isinstance(fmt, str) else None)
    if name == "array":
        items = s.get("items")
        return ArrayType(_from_schema(items, depth + 1, root) if isinstance(items, dict) else ANY)
    if name == "object":
        return _object_from_schema(s, depth, root)
    return _SIMPLE.get(name, ANY)


def _object_from_schema(s: dict[object, object], depth: int, root: object) -> ObjectType:
    props = s.get("properties")
    req = s.get("required")
    required = {r for r in req if isinstance(r, str)} if isinstance(req, list) else set()
    fields: list[Field] = []
    if isinstance(props, dict):
        for name, sub in props.items():
            if not isinstance(name, str):
                continue
            desc = sub.get("description") if isinstance(sub, dict) else None
            fields.append(
                Field(
                    name,
                    _from_schema(sub, depth + 1, root),
                    name in required,
                    desc if isinstance(desc, str) else None,
                )
            )
    ap = s.get("additionalProperties", True)
    additional: Type | None
    if ap is False:
        additional = None
    elif isinstance(ap, dict):
        additional = _from_schema(ap, depth + 1, root)
    else:
        additional = ANY
    if ap is not False and isinstance(s.get("patternProperties"), dict) and s["patternProperties"]:
        additional = ANY  # members matching a pattern have that pattern's schema
    return ObjectType(tuple(fields), additional)


def _from_enum(values: list[object], ty: object, s: dict[object, object]) -> Type:
    allowed: set[str] | None = None
    if isinstance(ty, str):
        allowed = {ty}
    elif isinstance(ty, list):
        allowed = {n for n in ty if isinstance(n, str)}
    strings: list[str] = []
    opts: list[Type] = []
    for v in values:
        if isinstance(v, bool):
            t: Type = BOOL
            kind = "boolean"
        elif isinstance(v, int):
            t, kind = INT, "integer"
        elif isinstance(v, float):
            t, kind = NUMBER, "number"
        elif isinstance(v, str):
            if (allowed is None or "string" in allowed) and v not in strings:
                strings.append(v)
            continue
        elif v is None:
            t, kind = NULL, "null"
        else:
            t, kind = ANY, "any"
        if allowed is None or kind in allowed or (kind == "integer" and "number" in allowed):
            opts.append(t)
    if strings:
        fmt = s.get("format")
        opts.append(StringType(tuple(strings), fmt if isinstance(fmt, str) else None))
    if not opts:
        return ANY
    return union(*opts)


# --------------------------------------------------------------------------- type -> schema


def schema_from_type(t: Type) -> dict[str, object]:
    """A JSON Schema for ``t`` (round-trips through :func:`type_from_schema`)."""
    if isinstance(t, AnyType):
        return {}
    if isinstance(t, NullType):
        return {"type": "null"}
    if isinstance(t, BoolType):
        return {"type": "boolean"}
    if isinstance(t, IntType):
        return {"type": "integer"}
    if isinstance(t, NumberType):
        return {"type": "number"}
    if isinstance(t, StringType):
        out: dict[str, object] = {"type": "string"}
        if t.enum is not None:
            out["enum"] = list(t.enum)
        if t.format is not None:
            out["format"] = t.format
        return out
    if isinstance(t, ArrayType):
        return {"type": "array", "items": schema_from_type(t.items)}
    if isinstance(t, ObjectType):
        props: dict[str, object] = {}
        for f in t.fields:
            sub = schema_from_type(f.type)
            if f.description is not None:
                sub = {**sub, "description": f.description}
            props[f.name] = sub
        out = {"type": "object", "properties": props}
        req = [f.name for f in t.fields if f.required]
        if req:
            out["required"] = req
        if t.additional is None:
            out["additionalProperties"] = False
        elif not isinstance(t.additional, AnyType):
            out["additionalProperties"] = schema_from_type(t.additional)
        return out
    opts = t.options
    simple = [o for o in opts if isinstance(o, NullType | BoolType | IntType | NumberType)]
    if len(simple) == len(opts):
        names = [schema_from_type(o)["type"] for o in opts]
        return {"type": names}
    non_null_opts = [o for o in opts if not isinstance(o, NullType)]
    if len(non_null_opts) == 1 and len(opts) == 2:
        inner = schema_from_type(non_null_opts[0])
        ty = inner.get("type")
        if isinstance(ty, str) and "enum" not in inner:
            return {**inner, "type": [ty, "null"]}
    return {"anyOf": [schema_from_type(o) for o in opts]}


# --------------------------------------------------------------------------- describe

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def describe(t: Type, *, max_fields: int = 6, max_depth: int = 3) -> str:
    """A compact human form: ``{sku: string, qty: integer, note?: string}``,
    ``list<string>``, ``string | null``, ``"GET" | "POST"``."""
    return _describe(t, max_fields, max_depth)


def _describe(t: Type, mf: int, depth: int) -> str:
    if isinstance(t, AnyType):
        return "any"
    if isinstance(t, NullType):
        return "null"
    if isinstance(t, BoolType):
        return "boolean"
    if isinstance(t, IntType):
        return "integer"
    if isinstance(t, NumberType):
        return "number"
    if isinstance(t, StringType):
        if t.enum is not None:
            if not t.enum:
                return "string"
            vals = [json.dumps(v, ensure_ascii=False) for v in t.enum[:8]]
            if len(t.enum) > 8:
                vals.append("…")
            return " | ".join(vals)
        return f"string<{t.format}>" if t.format else "string"
    if isinstance(t, ArrayType):
        return f"list<{_describe(t.items, mf, depth - 1)}>"
    if isinstance(t, ObjectType):
        if not t.fields:
            if t.additional is None:
                return "{}"
            if isinstance(t.additional, AnyType):
                return "object"
            return f"map<string, {_describe(t.additional, mf, depth - 1)}>"
        if depth <= 0:
            return "{…}"
        parts = []
        for f in t.fields[:mf]:
            name = f.name if _IDENT.match(f.name) else json.dumps(f.name, ensure_ascii=False)
            opt = "" if f.required else "?"
            parts.append(f"{name}{opt}: {_describe(f.type, mf, depth - 1)}")
        if len(t.fields) > mf:
            parts.append("…")
        return "{" + ", ".join(parts) + "}"
    return " | ".join(_describe(o, mf, depth) for o in t.options)


# --------------------------------------------------------------------------- assignability


@dataclass(frozen=True, slots=True)
class Mismatch:
    path: tuple[str, ...]
    severity: Literal["error", "warning"]
    message: str
    src: Type
    dst: Type


def _kind(t: Type) -> str:
    return type(t).__name__


def _where(path: tuple[str, ...]) -> str:
    if not path:
        return ""
    text = ""
    for p in path:
        text += p if p == "[]" or not text else "." + p
    return f"field `{text}`: "


def check_assignable(src: Type, dst: Type) -> list[Mismatch]:
    """Structural assignability of ``src`` (an output) to ``dst`` (an input).

    ``error`` = definite mismatch, ``warning`` = possible mismatch; an empty list
    means the connection is fine. ``any`` on either side is always fine.
    """
    out: list[Mismatch] = []
    _assign(src, dst, (), out, 0)
    return out


def _expected(path: tuple[str, ...], src: Type, dst: Type) -> Mismatch:
    msg = f"{_where(path)}{describe(dst)} expected, got {describe(src)}"
    return Mismatch(path, "error", msg, src, dst)


def _has_error(ms: list[Mismatch]) -> bool:
    return any(m.severity == "error" for m in ms)


def _assign(src: Type, dst: Type, path: tuple[str, ...], out: list[Mismatch], depth: int) -> None:
    if src is dst or (src == dst and not isinstance(src, ObjectType | ArrayType | UnionType)):
        return
    if isinstance(dst, AnyType) or isinstance(src, AnyType) or depth > MAX_SCHEMA_DEPTH:
        return
    w = _where(path)
    if isinstance(src, UnionType):
        results: list[list[Mismatch]] = []
        for o in src.options:
            r: list[Mismatch] = []
            _assign(o, dst, path, r, depth + 1)
            results.append(r)
        if all(not r for r in results):
            return
        if all(_has_error(r) for r in results):
            out.append(_expected(path, src, dst))
            return
        bad = [o for o, r in zip(src.options, results, strict=True) if _has_error(r)]
        if bad:
            if all(isinstance(b, NullType) for b in bad):
                msg = f"{w}may be null, but {describe(dst)} is expected"
            else:
                msg = (
                    f"{w}{describe(dst)} expected, got {describe(src)} "
                    f"({' | '.join(describe(b) for b in bad)} does not fit)"
                )
            out.append(Mismatch(path, "warning", msg, src, dst))
        for r in results:
            for m in r:
                if m.severity == "warning" and m not in out:
                    out.append(m)
        return
    if isinstance(dst, UnionType):
        if src in dst.options:
            return
        same_kind = [o for o in dst.options if _kind(o) == _kind(src)]
        if isinstance(src, IntType):
            same_kind += [o for o in dst.options if isinstance(o, NumberType)]
        candidates = same_kind if len(same_kind) == 1 else list(dst.options)
        best: list[Mismatch] | None = None
        for o in candidates:
            r = []
            _assign(src, o, path, r, depth + 1)
            if not r:
                return
            if best is None or (_has_error(best), len(best)) > (_has_error(r), len(r)):
                best = r
        assert best is not None
        if len(same_kind) == 1 or not _has_error(best):
            out.extend(best)
        else:
            out.append(_expected(path, src, dst))
        return
    if isinstance(dst, NumberType) and isinstance(src, IntType | NumberType):
        return
    if isinstance(dst, IntType) and isinstance(src, NumberType):
        msg = f"{w}integer expected, got number (may have a fraction)"
        out.append(Mismatch(path, "warning", msg, src, dst))
        return
    if isinstance(dst, StringType) and isinstance(src, StringType):
        _assign_string(src, dst, path, out)
        return
    if isinstance(dst, ArrayType) and isinstance(src, ArrayType):
        _assign(src.items, dst.items, (*path, "[]"), out, depth + 1)
        return
    if isinstance(dst, ObjectType) and isinstance(src, ObjectType):
        _assign_object(src, dst, path, out, depth)
        return
    if type(src) is type(dst):
        return
    out.append(_expected(path, src, dst))


def _assign_string(
    src: StringType, dst: StringType, path: tuple[str, ...], out: list[Mismatch]
) -> None:
    w = _where(path)
    if dst.enum is not None:
        allowed = set(dst.enum)
        if src.enum is None:
            out.append(
                Mismatch(path, "warning", f"{w}{describe(dst)} expected, got any string", src, dst)
            )
        else:
            outside = [v for v in src.enum if v not in allowed]
            if outside:
                values = ", ".join(json.dumps(v, ensure_ascii=False) for v in outside[:5])
                sev: Literal["error", "warning"] = (
                    "warning" if len(outside) < len(src.enum) else "error"
                )
                msg = f"{w}{values} not allowed; {describe(dst)} expected"
                out.append(Mismatch(path, sev, msg, src, dst))
        return
    if dst.format is not None and src.format is not None and src.format != dst.format:
        out.append(
            Mismatch(
                path,
                "warning",
                f"{w}string in format {dst.format} expected, got format {src.format}",
                src,
                dst,
            )
        )


def _assign_object(
    src: ObjectType, dst: ObjectType, path: tuple[str, ...], out: list[Mismatch], depth: int
) -> None:
    for df in dst.fields:
        fpath = (*path, df.name)
        sf = src.field(df.name)
        if sf is not None:
            if df.required and not sf.required:
                out.append(
                    Mismatch(
                        fpath,
                        "warning",
                        f"field `{'.'.join(fpath)}` is optional in the source but required here",
                        src,
                        dst,
                    )
                )
            _assign(sf.type, df.type, fpath, out, depth + 1)
            continue
        if not df.required:
            continue
        if src.additional is None:
            out.append(
                Mismatch(fpath, "error", f"missing required field `{'.'.join(fpath)}`", src, dst)
            )
            continue
        r: list[Mismatch] = []
        _assign(src.additional, df.type, fpath, r, depth + 1)
        sev: Literal["error", "warning"] = "error" if _has_error(r) else "warning"
        out.append(
            Mismatch(fpath, sev, f"required field `{'.'.join(fpath)}` may be missing", src, dst)
        )
    if dst.additional is None:
        for sf in src.fields:
            if dst.field(sf.name) is None:
                fpath = (*path, sf.name)
                out.append(
                    Mismatch(
                        fpath,
                        "warning",
                        f"field `{'.'.join(fpath)}` is not allowed here",
                        src,
                        dst,
                    )
                )
    elif not isinstance(dst.additional, AnyType):
        for sf in src.fields:
            if dst.field(sf.name) is None:
                _assign(sf.type, dst.additional, (*path, sf.name), out, depth + 1)
        if src.additional is not None:
            _assign(src.additional, dst.additional, (*path, "*"), out, depth + 1)


# --------------------------------------------------------------------------- mapping proposal


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _access(base: str, name: str) -> str:
    if _IDENT.match(name) and name not in ("in", "true", "false", "null"):
        return f"{base}.{name}"
    return f"{base}[{json.dumps(name, ensure_ascii=False)}]"


def _fits(src: Type, dst: Type) -> bool:
    return not _has_error(check_assignable(src, dst))


def _convert(expr: str, src: Type, dst: Type) -> str | None:
    """An expression converting ``expr`` (of type ``src``) to ``dst``, if sensible."""
    s, d = non_null(src), non_null(dst)
    if _fits(s, d):
        return expr
    scalar = isinstance(s, IntType | NumberType | BoolType)
    if isinstance(d, StringType) and d.enum is None and scalar:
        return f"string({expr})"
    if isinstance(d, IntType) and isinstance(s, StringType | NumberType):
        return f"int({expr})"
    if isinstance(d, NumberType) and isinstance(s, StringType):
        return f"double({expr})"
    return None


def _placeholder(t: Type) -> str:
    if isinstance(t, UnionType):
        if is_nullable(t):
            return "null"
        return _placeholder(t.options[0])
    if isinstance(t, StringType):
        return json.dumps(t.enum[0], ensure_ascii=False) if t.enum else '""'
    if isinstance(t, IntType):
        return "0"
    if isinstance(t, NumberType):
        return "0.0"
    if isinstance(t, BoolType):
        return "false"
    if isinstance(t, ArrayType):
        return "[]"
    if isinstance(t, ObjectType):
        return "{}"
    return "null"


def propose_mapping(src: ObjectType, dst: ObjectType, base: str = "input") -> dict[str, str]:
    """For each field of ``dst``, an expression over ``base`` (``input``) that fills it.

    Keys are dst field paths (dotted for nested objects that are mapped field by
    field); values are expressions. Matching, in order: same name, name equal up
    to case/``_``/``-`` (``customerEmail`` ~ ``customer_email``), a unique
    compatible field of a nested source object (``input.customer.email``), and
    for required fields a unique unused source field of a compatible type.
    Incompatible scalars are converted (``string(x)``, ``int(x)``, ``double(x)``).
    Unmatched required fields get a typed placeholder (``""``, ``0``, ``false``,
    ``[]``, ...); unmatched optional fields are left out.
    """
    out: dict[str, str] = {}
    _propose(src, dst, base, "", out, 0)
    return out


def _propose(
    src: ObjectType, dst: ObjectType, base: str, prefix: str, out: dict[str, str], depth: int
) -> None:
    used: set[str] = set()
    by_norm: dict[str, list[Field]] = {}
    for f in src.fields:
        by_norm.setdefault(_norm(f.name), []).append(f)
    pending: list[Field] = []
    for df in dst.fields:
        key = prefix + df.name
        sf = src.field(df.name)
        if sf is None:
            cands = by_norm.get(_norm(df.name), [])
            sf = cands[0] if len(cands) == 1 else None
        if sf is not None and _map_field(sf, base, df, key, out, depth):
            used.add(sf.name)
            continue
        nested = _find_nested(src, df, base, depth)
        if nested is not None:
            out[key] = nested
            continue
        pending.append(df)
    for df in pending:
        key = prefix + df.name
        if not df.required:
            continue
        compatible = [f for f in src.fields if f.name not in used and _fits(f.type, df.type)]
        if len(compatible) == 1 and not isinstance(df.type, AnyType):
            used.add(compatible[0].name)
            out[key] = _access(base, compatible[0].name)
            continue
        dt = non_null(df.type)
        if isinstance(dt, ObjectType) and dt.fields and depth < 8:
            _propose(ObjectType((), None), dt, base, key + ".", out, depth + 1)
            continue
        out[key] = _placeholder(df.type)


def _map_field(sf: Field, base: str, df: Field, key: str, out: dict[str, str], depth: int) -> bool:
    expr = _access(base, sf.name)
    conv = _convert(expr, sf.type, df.type)
    if conv is not None:
        out[key] = conv
        return True
    st, dt = non_null(sf.type), non_null(df.type)
    if isinstance(st, ObjectType) and isinstance(dt, ObjectType) and depth < 8:
        _propose(st, dt, expr, key + ".", out, depth + 1)
        return True
    return False


def _find_nested(src: ObjectType, df: Field, base: str, depth: int) -> str | None:
    """A unique same-named, compatible field inside a nested object of ``src``."""
    if depth >= 4:
        return None
    found: list[str] = []
    target = _norm(df.name)
    for f in src.fields:
        ft = non_null(f.type)
        if not isinstance(ft, ObjectType):
            continue
        for g in ft.fields:
            if _norm(g.name) == target:
                conv = _convert(_access(_access(base, f.name), g.name), g.type, df.type)
                if conv is not None:
                    found.append(conv)
    return found[0] if len(found) == 1 else None
