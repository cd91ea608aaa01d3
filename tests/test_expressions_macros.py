"""The list macros (`map`, `filter`, `exists`, `all`, `exists_one`): parse, check,
evaluate, and the editor helpers (docs/expressions.md, "List macros")."""

from __future__ import annotations

import pytest

from nodeforge.analysis.expressions import (
    Call,
    EvalError,
    EvalScope,
    Ident,
    MissingError,
    TypeEnv,
    check,
    completions_at,
    evaluate,
    hover_at,
    parse,
    unparse,
)
from nodeforge.analysis.types import describe, type_from_schema

ITEM = {
    "type": "object",
    "required": ["sku", "qty"],
    "properties": {
        "sku": {"type": "string"},
        "qty": {"type": "integer"},
        "note": {"type": "string"},
    },
}
ENV = TypeEnv(
    input=type_from_schema(
        {
            "type": "object",
            "required": ["items", "names", "n"],
            "properties": {
                "items": {"type": "array", "items": ITEM},
                "names": {"type": "array", "items": {"type": "string"}},
                "maybe": {"type": ["array", "null"], "items": {"type": "integer"}},
                "mixed": {"type": "array", "items": {"type": ["integer", "null"]}},
                "n": {"type": "integer"},
                "s": {"type": "string"},
                "m": {"type": "object", "additionalProperties": {"type": "integer"}},
                "dyn": {},
            },
            "additionalProperties": False,
        }
    )
)
SCOPE = EvalScope(
    input={
        "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 0}, {"sku": "C3", "qty": 5}],
        "names": ["ana", "bo", "al"],
        "n": 3,
        "ks": [0, 2],
        "dyn": [1, "x", 3],
    }
)


def test_a_macro_is_a_method_call_binding_its_first_argument() -> None:
    r = parse("input.items.map(i, i.qty)")
    assert r.ok
    assert isinstance(r.expr, Call) and r.expr.fn == "map"
    assert r.expr.args[0] == Ident("i")
    for src in (
        "input.items.map(i, i.qty)",
        "input.items.map(i, i.qty > 1, i.sku)",
        'input.names.filter(n, n.startsWith("a")).exists_one(m, size(m) == 2)',
        "input.items.all(i, [i.qty].exists(q, q > 0))",
    ):
        e = parse(src).expr
        assert e is not None and parse(unparse(e)).expr == e, src


@pytest.mark.parametrize(
    ("src", "code", "fragment", "span"),
    [
        ("input.items.map(i)", "arity", "`map` expects 2 or 3 arguments, got 1", "map(i)"),
        ("input.items.filter(i, true, 1)", "arity", "`filter` expects 2 arguments, got 3", None),
        ("input.items.all()", "arity", "`all` expects 2 arguments, got 0", "all()"),
        ("input.items.exists(i.sku, true)", "syntax", "must be a variable name", "i.sku"),
        ('input.items.exists("i", true)', "syntax", "must be a variable name", '"i"'),
        ("input.items.map(input, 1)", "syntax", "`input` cannot name a macro variable", "input"),
        ("input.items.map(env, 1)", "syntax", "`env` cannot name", "env"),
        ("input.items.map(nodes, 1)", "syntax", "`nodes` cannot name", "nodes"),
        (
            "input.items.map(i, input.names.exists(i, true))",
            "syntax",
            "`i` is already the variable of an enclosing macro",
            "i",
        ),
    ],
)
def test_malformed_macros_are_located_parse_errors(
    src: str, code: str, fragment: str, span: str | None
) -> None:
    r = parse(src)
    assert r.expr is None and len(r.errors) == 1
    err = r.errors[0]
    assert err.code == code and fragment in err.message, err
    if span is not None:
        assert src[err.start : err.end] == span
        if span == "i":  # the inner variable, not the outer one
            assert err.start == src.rindex("i, true")


def test_a_name_may_be_reused_by_sibling_macros_and_in_the_receiver() -> None:
    assert parse("input.items.map(i, i.qty).filter(i, i > 0)").ok
    assert parse("input.items.map(i, i.qty) + input.items.map(i, 1)").ok


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("input.items.map(i, i.qty * 2)", "list<integer>"),
        ("input.items.map(i, i.qty > 0, i.sku)", "list<string>"),
        ("input.items.filter(i, i.qty > 0)", "list<{sku: string, qty: integer, note?: string}>"),
        ('input.items.exists(i, i.sku == "A1")', "boolean"),
        ("input.items.all(i, has(i.note))", "boolean"),
        ('input.names.exists_one(n, n == "bo")', "boolean"),
        ("input.maybe.map(x, x + 1)", "list<integer>"),  # null is ignored, as elsewhere
        ("input.maybe.filter(x, x > 1)", "list<integer>"),
        ("input.mixed.map(x, x)", "list<integer | null>"),
        ("input.dyn.map(x, x)", "list<any>"),
        ("input.dyn.filter(x, x.flag)", "list<any>"),
        ("[].all(x, x > 1)", "boolean"),
        ("input.items.map(i, input.names.map(n, n + i.sku))", "list<list<string>>"),
        ('input.items.map(i, {"s": i.sku})', "list<{s: string}>"),
    ],
)
def test_macro_types(src: str, want: str) -> None:
    r = parse(src)
    assert r.expr is not None, r.errors
    res = check(r.expr, ENV)
    assert res.errors == []
    assert describe(res.type) == want


@pytest.mark.parametrize(
    ("src", "code", "fragment", "span"),
    [
        ("input.n.map(x, x)", "type", "`map` expects a list, got integer", "input.n"),
        ("input.s.exists(c, true)", "type", "`exists` expects a list, got string", "input.s"),
        ("input.m.all(k, true)", "type", "iterate lists, not maps", "input.m"),
        (
            "input.items.filter(i, i.qty)",
            "type",
            "the condition of `filter` must be a boolean, got integer",
            "i.qty",
        ),
        ("input.items.exists(i, i.sku)", "type", "condition of `exists`", "i.sku"),
        ("input.items.all(i, 1)", "type", "condition of `all`", "1"),
        ("input.items.exists_one(i, null)", "type", "condition of `exists_one`", "null"),
        ("input.items.map(i, i.qty, i.sku)", "type", "condition of `map`", "i.qty"),
        ("input.items.map(i, i.qtty)", "unknown-field", "did you mean `qty`", "qtty"),
        ("input.items.map(i, j)", "unknown-identifier", "unknown name `j`", "j"),
        ("input.items.map(i, 1) + [i]", "unknown-identifier", "unknown name `i`", "i"),
        ("map(input.items, i, 1)", "unknown-function", "call it on a list", "map"),
        ("input.items.map(i, i.sku) == 1", "type", "cannot compare", None),
    ],
)
def test_macro_check_errors(src: str, code: str, fragment: str, span: str | None) -> None:
    r = parse(src)
    assert r.expr is not None, r.errors
    errors = check(r.expr, ENV).errors
    assert errors, src
    err = errors[0]
    assert err.code == code and fragment in err.message, errors
    if span is not None:
        assert src[err.start : err.end] == span, err
    assert len(errors) == 1, errors


@pytest.mark.parametrize(
    ("src", "value"),
    [
        ("input.items.map(i, i.qty * 2)", [4, 0, 10]),
        ("input.items.map(i, i.qty > 0, i.sku)", ["A1", "C3"]),
        ("input.items.filter(i, i.qty > 0).map(i, i.sku)", ["A1", "C3"]),
        ('input.items.exists(i, i.sku == "B2")', True),
        ('input.items.exists(i, i.sku == "Z")', False),
        ("input.items.all(i, i.qty >= 0)", True),
        ("input.items.all(i, i.qty > 0)", False),
        ('input.names.exists_one(n, n.startsWith("a"))', False),
        ('input.names.exists_one(n, n == "bo")', True),
        ("[].exists(x, x)", False),
        ("[].all(x, x)", True),
        ("[].exists_one(x, x)", False),
        ("[].map(x, x)", []),
        ("input.names.map(n, input.items.map(i, n + i.sku))[1]", ["boA1", "boB2", "boC3"]),
        ("input.items.map(i, has(i.note))", [False, False, False]),
        # CEL's error rule: a decisive element absorbs the errors of the others ...
        ("input.ks.exists(k, 10 / k == 5)", True),
        ("input.ks.all(k, 10 / k == 4)", False),
        ("input.dyn.exists(x, x > 2)", True),
        ("input.dyn.all(x, x < 2)", False),
    ],
)
def test_evaluate_macros(src: str, value: object) -> None:
    r = parse(src)
    assert r.expr is not None, r.errors
    assert evaluate(r.expr, SCOPE) == value


@pytest.mark.parametrize(
    ("src", "fragment", "missing"),
    [
        # ... without one, the first error is the result
        ("input.ks.exists(k, 10 / k == 4)", "division by zero", False),
        ("input.ks.all(k, 10 / k == 5)", "division by zero", False),
        ("input.dyn.all(x, x > 0)", "cannot compare string with integer", False),
        # map, filter and exists_one fail with the first element's error
        ("input.ks.map(k, 10 / k)", "division by zero", False),
        ("input.ks.filter(k, 10 / k > 1)", "division by zero", False),
        ("input.ks.exists_one(k, 10 / k == 5)", "division by zero", False),
        ("input.items.map(i, i.note)", "no field `note`", True),
        ('input.items.exists(i, i.note == "x")', "no field `note`", True),
        ("input.n.map(x, x)", "`map` expects a list, got integer", False),
        ("input.nope.exists(x, true)", "no field `nope`", True),
        (
            "input.dyn.filter(x, x)",
            "the condition of `filter` must be a boolean, got integer",
            False,
        ),
        (
            "input.dyn.exists(x, 1)",
            "the condition of `exists` must be a boolean, got integer",
            False,
        ),
    ],
)
def test_macro_run_time_errors(src: str, fragment: str, missing: bool) -> None:
    r = parse(src)
    assert r.expr is not None, r.errors
    with pytest.raises(EvalError) as info:
        evaluate(r.expr, SCOPE)
    assert fragment in info.value.message
    assert isinstance(info.value, MissingError) == missing


def test_a_missing_field_in_a_macro_stays_a_missing_field() -> None:
    r = parse('coalesce(input.items.map(i, i.note), ["none"])')
    assert r.expr is not None
    assert evaluate(r.expr, SCOPE) == ["none"]
    r = parse('input.items.exists(i, i.note == "x") || true')
    assert r.expr is not None
    with pytest.raises(MissingError):
        evaluate(r.expr, SCOPE)


def test_variables_do_not_leak_out_of_their_macro() -> None:
    r = parse("input.items.map(i, i.qty).size() + input.names.map(n, size(n))[0]")
    assert r.expr is not None
    assert evaluate(r.expr, SCOPE) == 6


def test_completion_offers_macros_on_lists_only() -> None:
    labels = {c.label: c for c in completions_at("input.items.", 12, ENV)}
    for name in ("map", "filter", "exists", "all", "exists_one"):
        assert labels[name].snippet and labels[name].insert_text == (
            f"{name}(${{1:x}}, ${{2:{'x' if name == 'map' else 'true'}}})"
        )
    assert "map" not in {c.label for c in completions_at("input.s.", 8, ENV)}
    assert "map" not in {c.label for c in completions_at("input.m.", 8, ENV)}


def test_completion_inside_a_macro_knows_its_variable() -> None:
    src = "input.items.map(i, i."
    assert [c.label for c in completions_at(src, len(src), ENV)][:3] == ["sku", "qty", "note"]
    src = "input.items.map(i, input.names.exists(n, n."
    assert "startsWith" in {c.label for c in completions_at(src, len(src), ENV)}
    src = "input.items.map(i, input.names.exists(n, "
    got = {c.label: c.detail for c in completions_at(src, len(src), ENV)}
    assert got["n"] == "string" and got["i"].startswith("{sku: string")
    src = "input.items.map(i, i.qty) + "
    assert "i" not in {c.label for c in completions_at(src, len(src), ENV)}


def test_hover_explains_a_macro_and_types_its_variable() -> None:
    src = "input.items.filter(i, i.qty > 0)"
    name = hover_at(src, src.index("filter") + 2, ENV)
    assert name is not None and src[name.start : name.end] == "filter"
    assert name.doc is not None and "list<T>.filter(x, p: boolean) -> list<T>" in name.doc
    var = hover_at(src, src.index("i,"), ENV)
    assert var is not None and var.doc is not None
    assert describe(var.type) == "{sku: string, qty: integer, note?: string}"
    assert "the variable of `filter`, each element of `input.items`" in var.doc
    use = hover_at(src, src.index("i.qty"), ENV)
    assert use is not None and describe(use.type).startswith("{sku")
    field = hover_at(src, src.index("qty"), ENV)
    assert field is not None and describe(field.type) == "integer" and field.doc is None
