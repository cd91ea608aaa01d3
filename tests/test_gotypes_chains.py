"""Go structs of object types that extend their base by reference (``data/set`` chains):
each struct embeds its input's struct, finds promoted fields and taken Go names without
copying its bases' (code generation of a chain stays linear), and a struct's names do
not depend on its siblings'."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from nodeforge.analysis.types import (
    BOOL,
    INT,
    NUMBER,
    STRING,
    Field,
    ObjectType,
    Type,
    merge_objects,
)
from nodeforge.codegen.gotypes import GoStruct, GoTypes

# names that collide once made Go names (AB), or with an embedded struct's name (In, Out)
NAMES = ["a", "b", "a_b", "aB", "AB", "id", "ID", "in", "out", "x", "total", "f1", "F1"]
TYPES: list[Type] = [STRING, NUMBER, INT, BOOL]


def _flat(t: ObjectType) -> ObjectType:
    return ObjectType(t.fields, t.additional)


def _chain(steps: list[tuple[str, Type]]) -> list[ObjectType]:
    """The input object and, per step, the previous type with one field set."""
    start = ObjectType((Field("a", NUMBER, True), Field("b", STRING, True)))
    types = [start]
    for name, t in steps:
        types.append(merge_objects([types[-1], ObjectType((Field(name, t, True),))]))
    return types


def _promoted_names(s: GoStruct) -> set[str]:
    """Every Go name a struct's bases declare (fields, embedded types): the flat way."""
    names: set[str] = set()
    base = s.base
    while base is not None:
        names |= {f.name for f in base.fields}
        if base.base is not None:
            names.add(base.base.name)
        base = base.base
    if s.base is not None:
        names.add(s.base.name)
    return names


def _check_struct(s: GoStruct, t: ObjectType) -> None:
    assert [f.json for f in s.all_fields()] == [f.name for f in t.fields]
    for f in t.fields:
        found = s.field(f.name)
        assert found is not None and found.json == f.name
    assert s.field("not_a_field") is None
    taken = _promoted_names(s)
    own = [f.name for f in s.fields]
    assert len(set(own)) == len(own), own
    assert not taken & set(own), taken & set(own)
    assert s.count == len(t.fields)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(TYPES)), max_size=40))
def test_chain_structs_agree_with_the_flat_types(steps: list[tuple[str, Type]]) -> None:
    types = _chain(steps)
    reg, flat = GoTypes(), GoTypes()
    for i, t in enumerate(types):
        go = reg.go(t, f"N{i}Out")
        # the same fields keyed from the enumerated tuple: the same Go type
        assert flat.go(_flat(t), f"N{i}Out") == go
        s = reg.struct_of(t)
        assert s is not None
        _check_struct(s, t)
        twin = flat.struct_of(_flat(t))
        assert twin is not None
        assert [(f.name, f.json, f.go) for f in s.all_fields()] == [
            (f.name, f.json, f.go) for f in twin.all_fields()
        ]
        assert (s.base.name if s.base else None) == (twin.base.name if twin.base else None)


def test_a_long_chain_embeds_link_by_link_and_never_enumerates_the_types() -> None:
    """5,000 links: each struct embeds the one before, promoted lookups answer (no
    recursion limit), and no link's field tuple is made (that copy was quadratic)."""
    types = _chain([(f"f{i}", NUMBER) for i in range(5000)])
    reg = GoTypes()
    structs = []
    for i, t in enumerate(types):
        reg.go(t, f"N{i}Out")
        s = reg.struct_of(t)
        assert s is not None
        structs.append(s)
    for prev, s in itertools.pairwise(structs):
        assert s.base is prev and len(s.fields) == 1
    last = structs[-1]
    assert last.field("a") is not None and last.field("a").name == "A"  # type: ignore[union-attr]
    assert last.field("f2500") is structs[2501].fields[0]
    assert last.field("nope") is None
    assert last.extends(structs[0]) and last.extends(structs[1234])
    assert not structs[10].extends(structs[11])
    # (the 3-field link is compared with the node error's fields, which enumerates them)
    assert all(t._fields is None for t in types[2:])


def test_sibling_structs_name_their_fields_alone() -> None:
    """Two nodes set `x` (of different types) on the same input: each output struct
    names it `X`, whichever is made first (a struct used to add its names into its
    base's, so the second became `X2`)."""
    base = ObjectType((Field("a", NUMBER, True), Field("b", STRING, True)))
    one = merge_objects([base, ObjectType((Field("x", STRING, True),))])
    two = merge_objects([base, ObjectType((Field("x", NUMBER, True),))])
    for order in ((one, two), (two, one)):
        reg = GoTypes()
        reg.go(base, "In")
        for i, t in enumerate(order):
            reg.go(t, f"Out{i}")
        for t in (one, two):
            s = reg.struct_of(t)
            assert s is not None and s.base is reg.struct_of(base)
            assert [f.name for f in s.fields] == ["X"]


def test_names_still_avoid_every_promoted_name_and_embedded_type() -> None:
    rng = random.Random(7)
    steps = [(rng.choice(NAMES), rng.choice(TYPES)) for _ in range(300)]
    types = _chain(steps)
    reg = GoTypes()
    for i, t in enumerate(types):
        reg.go(t, "In" if i % 7 == 0 else f"N{i}Out")
        s = reg.struct_of(t)
        assert s is not None
        _check_struct(s, t)
