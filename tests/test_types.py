from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nodeforge.analysis.types import (
    ANY,
    BOOL,
    INT,
    NULL,
    NUMBER,
    STRING,
    ArrayType,
    Field,
    ObjectType,
    StringType,
    Type,
    UnionType,
    check_assignable,
    describe,
    merge_objects,
    propose_mapping,
    schema_from_type,
    type_from_schema,
    union,
)

ORDER = {
    "type": "object",
    "required": ["sku", "qty"],
    "properties": {
        "sku": {"type": "string"},
        "qty": {"type": "integer", "minimum": 1},
        "note": {"type": "string"},
    },
}


def obj(*fields: Field, closed: bool = False) -> ObjectType:
    return ObjectType(tuple(fields), None if closed else ANY)


def test_schema_basics() -> None:
    t = type_from_schema(ORDER)
    assert isinstance(t, ObjectType)
    assert describe(t) == "{sku: string, qty: integer, note?: string}"
    assert t.field("qty") == Field("qty", INT, True)
    assert type_from_schema({"type": ["string", "null"]}) == UnionType((STRING, NULL))
    assert describe(type_from_schema({"type": ["string", "null"]})) == "string | null"
    assert describe(type_from_schema({"enum": ["GET", "POST"]})) == '"GET" | "POST"'
    assert type_from_schema({"enum": [1, 2, 3]}) == INT
    assert type_from_schema({"const": True}) == BOOL
    assert describe(type_from_schema({"type": "array", "items": {"type": "string"}})) == (
        "list<string>"
    )
    assert type_from_schema({"anyOf": [{"type": "integer"}, {"type": "number"}]}) == NUMBER
    assert type_from_schema({"type": "object", "additionalProperties": False}) == ObjectType(
        (), None
    )
    assert type_from_schema({"allOf": [{}]}) == ANY
    assert type_from_schema("nope") == ANY
    assert type_from_schema({"type": "string", "format": "email"}) == StringType(None, "email")


def test_schema_deep_and_hostile() -> None:
    s: dict[str, Any] = {"type": "string"}
    for _ in range(1000):
        s = {"type": "array", "items": s}
    t = type_from_schema(s)
    assert isinstance(t, ArrayType)
    cyc: dict[str, Any] = {"type": "object", "properties": {}}
    cyc["properties"]["self"] = cyc
    assert isinstance(type_from_schema(cyc), ObjectType)
    for bad in [{"type": 3}, {"properties": []}, {"required": "x"}, {"enum": [{}, []]}, {1: 2}]:
        type_from_schema(bad)


def test_schema_roundtrip() -> None:
    t = type_from_schema(ORDER)
    assert type_from_schema(schema_from_type(t)) == t


def test_union_simplification() -> None:
    assert union(INT, NUMBER) == NUMBER
    assert union(STRING) == STRING
    assert union(STRING, ANY) == ANY
    assert union(StringType(("a",)), StringType(("b",))) == StringType(("a", "b"))
    assert union(StringType(("a",)), STRING) == STRING
    assert union(NULL, STRING) == UnionType((STRING, NULL))
    assert union(union(INT, STRING), BOOL) == UnionType((INT, STRING, BOOL))


def test_describe_truncates() -> None:
    t = obj(*(Field(f"f{i}", STRING, True) for i in range(20)))
    assert describe(t).endswith("…}")


def msgs(src: Type, dst: Type) -> list[tuple[str, str]]:
    return [(m.severity, m.message) for m in check_assignable(src, dst)]


def test_assignability() -> None:
    order = type_from_schema(ORDER)
    qty_str = obj(Field("sku", STRING, True), Field("qty", STRING, True))
    assert msgs(qty_str, order) == [("error", "field `qty`: integer expected, got string")]
    assert msgs(ANY, order) == []
    assert msgs(order, ANY) == []
    assert msgs(INT, NUMBER) == []
    assert msgs(NUMBER, INT)[0][0] == "warning"
    assert msgs(STRING, INT)[0][0] == "error"
    assert msgs(union(STRING, NULL), STRING)[0][0] == "warning"
    assert msgs(union(STRING, INT), STRING)[0][0] == "warning"
    assert msgs(union(BOOL, INT), STRING)[0][0] == "error"
    # optional into required
    src = obj(Field("sku", STRING, False), Field("qty", INT, True))
    assert [s for s, _ in msgs(src, order)] == ["warning"]
    # missing required field: closed src -> error, open src -> warning
    closed = obj(Field("sku", STRING, True), closed=True)
    assert msgs(closed, order) == [("error", "missing required field `qty`")]
    opened = obj(Field("sku", STRING, True))
    assert msgs(opened, order)[0][0] == "warning"
    # extra fields into a closed dst
    dst = obj(Field("sku", STRING, True), closed=True)
    assert msgs(obj(Field("sku", STRING, True), Field("x", INT, True)), dst)[0][0] == "warning"
    # enums
    get_post = StringType(("GET", "POST"))
    assert msgs(StringType(("GET",)), get_post) == []
    assert msgs(StringType(("GET", "PUT")), get_post)[0][0] == "warning"
    assert msgs(StringType(("PUT",)), get_post)[0][0] == "error"
    assert msgs(STRING, get_post)[0][0] == "warning"
    # nested paths
    nested_src = obj(Field("customer", obj(Field("email", INT, True)), True))
    nested_dst = obj(Field("customer", obj(Field("email", STRING, True)), True))
    assert msgs(nested_src, nested_dst) == [
        ("error", "field `customer.email`: string expected, got integer")
    ]
    assert msgs(ArrayType(INT), ArrayType(STRING))[0][1].startswith("field `[]`")
    # nullable object into object|null picks the object option
    assert msgs(nested_src, union(nested_dst, NULL))[0][0] == "error"


def test_propose_mapping() -> None:
    src = obj(
        Field("sku", STRING, True),
        Field("qty", INT, True),
        Field("customer", obj(Field("email", STRING, True)), True),
        Field("orderId", INT, True),
    )
    dst = obj(
        Field("SKU", STRING, True),
        Field("qty", STRING, True),
        Field("email", STRING, True),
        Field("order_id", INT, True),
        Field("flag", BOOL, True),
        Field("tags", ArrayType(STRING), True),
        Field("optional", STRING, False),
    )
    m = propose_mapping(src, dst)
    assert m == {
        "SKU": "input.sku",
        "qty": "string(input.qty)",
        "email": "input.customer.email",
        "order_id": "input.orderId",
        "flag": "false",
        "tags": "[]",
    }


def test_propose_mapping_nested_and_unique_type() -> None:
    src = obj(Field("who", obj(Field("mail", STRING, True), Field("n", INT, True)), True))
    dst = obj(Field("who", obj(Field("mail", STRING, True), Field("n", STRING, True)), True))
    assert propose_mapping(src, dst) == {
        "who.mail": "input.who.mail",
        "who.n": "string(input.who.n)",
    }
    src2 = obj(Field("amount", NUMBER, True), Field("label", STRING, True))
    dst2 = obj(Field("total", NUMBER, True))
    assert propose_mapping(src2, dst2) == {"total": "input.amount"}


# ---------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=4),
    max_leaves=30,
)
schema_keys = st.sampled_from(
    [
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "const",
        "anyOf",
        "oneOf",
        "additionalProperties",
        "format",
        "nullable",
        "description",
    ]
)
schemas = st.recursive(
    st.dictionaries(schema_keys, json_values, max_size=4),
    lambda c: st.dictionaries(
        schema_keys,
        c
        | st.lists(c, max_size=3)
        | st.dictionaries(st.text(max_size=4), c, max_size=3)
        | st.sampled_from(["string", "integer", "object", "array", "null", "number"]),
        max_size=5,
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(schemas)
def test_type_from_schema_never_raises(schema: dict[str, Any]) -> None:
    t = type_from_schema(schema)
    describe(t)
    assert check_assignable(t, t) == []


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_type_from_random_json_never_raises(value: Any) -> None:
    type_from_schema(value)


def types_strategy() -> st.SearchStrategy[Type]:
    base = st.sampled_from([ANY, NULL, BOOL, INT, NUMBER, STRING, StringType(("a", "b"))])
    names = st.sampled_from(["a", "b", "c", "d"])

    def extend(c: st.SearchStrategy[Type]) -> st.SearchStrategy[Type]:
        fields = st.lists(
            st.builds(Field, names, c, st.booleans()), max_size=4, unique_by=lambda f: f.name
        )
        return (
            st.builds(ArrayType, c)
            | st.builds(
                lambda fs, closed, add: ObjectType(tuple(fs), None if closed else add),
                fields,
                st.booleans(),
                c,
            )
            | st.builds(lambda ts: union(*ts), st.lists(c, min_size=1, max_size=3))
            | st.builds(lambda ts: UnionType(tuple(ts)), st.lists(c, min_size=1, max_size=3))
        )

    return st.recursive(base, extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(types_strategy())
def test_assignable_to_itself(t: Type) -> None:
    assert check_assignable(t, t) == []
    assert type_from_schema(schema_from_type(t)) is not None
    describe(t)


def _merged_by_hand(parts: list[ObjectType]) -> ObjectType:
    """The `$merge` port operator as first written: one field at a time."""
    merged: dict[str, Field] = {}
    additional: Type | None = None
    for part in parts:
        for f in part.fields:
            merged[f.name] = f
        if part.additional is not None:
            additional = part.additional
    return ObjectType(tuple(merged.values()), additional)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.builds(
            lambda fs, add: ObjectType(tuple(fs), add),
            # repeated names too: hand-made object types may have them
            st.lists(
                st.builds(
                    Field, st.sampled_from("abcde"), st.sampled_from([INT, STRING]), st.booleans()
                ),
                max_size=5,
            ),
            st.sampled_from([None, ANY, STRING]),
        ),
        max_size=4,
    )
)
def test_merge_objects_is_the_field_by_field_merge(parts: list[ObjectType]) -> None:
    merged, expected = merge_objects(parts), _merged_by_hand(parts)
    assert merged == expected and merged.fields == expected.fields
    for name in "abcdef":
        assert merged.field(name) == expected.field(name)
    again = merge_objects([merged, ObjectType((Field("z", BOOL),), None)])
    assert again == _merged_by_hand([expected, ObjectType((Field("z", BOOL),), None)])
    if parts and expected == parts[0]:
        assert merged is parts[0]  # nothing new: the input itself, for identity-keyed reuse


def _chain_steps() -> st.SearchStrategy[list[tuple[list[Field], Type | None]]]:
    """Steps of a chain of merges: each adds or replaces a few fields (names from a
    pool larger than any one step, so some are new and some replace earlier ones)."""
    step_fields = st.lists(
        st.builds(
            Field,
            st.sampled_from([f"f{i}" for i in range(40)]),
            st.sampled_from([INT, STRING, BOOL]),
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda f: f.name,
    )
    return st.lists(
        st.tuples(step_fields, st.sampled_from([None, ANY, STRING])), min_size=1, max_size=700
    )


@settings(max_examples=60, deadline=None)
@given(_chain_steps())
def test_a_chain_of_merges_is_the_flat_merge_at_every_link(
    steps: list[tuple[list[Field], Type | None]],
) -> None:
    """Object types extending their base by reference (skip links included: chains of
    up to 700 links cross several span levels) answer like the flat merge."""
    import pickle

    current = ObjectType((Field("a", INT, True),), None)
    flat = current
    for i, (fields, additional) in enumerate(steps):
        part = ObjectType(tuple(fields), additional)
        current = merge_objects([current, part])
        flat = _merged_by_hand([flat, part])
        assert current.field_count == len(flat.fields)
        assert current.field("a") == flat.field("a")
        assert current.field("missing") is None
        if i % 37 == 0 or i == len(steps) - 1:
            for name in [f"f{j}" for j in range(40)]:
                assert current.field(name) == flat.field(name)
            assert current == flat and flat == current and hash(current) == hash(flat)
            assert current.fields == flat.fields and current.additional == flat.additional
            assert pickle.loads(pickle.dumps(current)) == flat
            assert repr(current) == repr(flat)
    # Equal types made along different chains are equal and hash alike.
    other = ObjectType((Field("a", INT, True),), None)
    for fields, additional in steps:
        other = merge_objects([other, ObjectType(tuple(fields), additional)])
    assert other == current and hash(other) == hash(current)
    changed = merge_objects([current, ObjectType((Field("zz", NULL),), None)])
    assert changed != current and current != changed


def test_a_long_chain_is_never_flattened_by_merging_or_looking_up() -> None:
    """A chain of 5,000 `data/set`-like merges keeps each link's own fields only: the
    flattened tuple is made only when someone enumerates the fields."""
    current = ObjectType((Field("a", INT, True),), None)
    links = []
    for i in range(5000):
        current = merge_objects([current, ObjectType((Field(f"f{i}", INT, True),), None)])
        links.append(current)
        assert current.field("a") is not None and current.field(f"f{i}") is not None
    assert all(link._fields is None for link in links)
    assert hash(current) == hash(ObjectType(current.fields, None))
    assert current.field_count == 5001 and current.field("f2500") == Field("f2500", INT, True)
    assert current.fields[-1].name == "f4999"
    # Setting a field the input has, with its type, is the input itself.
    assert merge_objects([current, ObjectType((Field("f10", INT, True),), None)]) is current
    # Replacing one keeps its place.
    replaced = merge_objects([current, ObjectType((Field("f10", STRING),), None)])
    assert replaced.fields[11] == Field("f10", STRING) and replaced.field_count == 5001


def test_long_random_chains_answer_like_the_flat_merge() -> None:
    """Chains of 3,000 links (every span level up to 512 links) that add, replace and
    re-add fields and change ``additional``, compared with the flat merge."""
    import random

    for seed in range(3):
        rng = random.Random(seed)
        current = flat = ObjectType((Field("a", INT, True),), ANY)
        for i in range(3000):
            names = rng.sample([f"f{j}" for j in range(i // 2 + 2)], k=rng.randint(1, 2))
            kinds = [INT, STRING, BOOL]
            part = ObjectType(
                tuple(Field(n, rng.choice(kinds), rng.random() < 0.5) for n in names),
                rng.choice([None, None, ANY, STRING]),
            )
            current, flat = merge_objects([current, part]), _merged_by_hand([flat, part])
            probe = f"f{rng.randrange(i // 2 + 3)}"
            assert current.field(probe) == flat.field(probe), (seed, i, probe)
            assert current.field_count == len(flat.fields)
        assert current.fields == flat.fields and current == flat
        assert hash(current) == hash(flat) and current.additional == flat.additional
