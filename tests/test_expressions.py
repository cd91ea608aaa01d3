from __future__ import annotations

import pytest

from nodeforge.analysis.expressions import (
    Binary,
    Call,
    EvalError,
    EvalScope,
    Ident,
    Literal,
    NodeRef,
    Select,
    TypeEnv,
    check,
    check_template,
    completions_at,
    evaluate,
    parse,
    parse_template,
    references,
    render_template,
    type_at,
    unparse,
)
from nodeforge.analysis.types import (
    ANY,
    BOOL,
    INT,
    NUMBER,
    STRING,
    ArrayType,
    Field,
    ObjectType,
    Type,
    describe,
    type_from_schema,
)

BODY = type_from_schema(
    {
        "type": "object",
        "required": ["sku", "qty"],
        "properties": {
            "sku": {"type": "string"},
            "qty": {"type": "integer"},
            "note": {"type": "string"},
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"sku": {"type": "string"}}},
            },
        },
        "additionalProperties": False,
    }
)
USER = ObjectType((Field("name", STRING, True), Field("age", INT, True)), None)
ENV = TypeEnv(
    input=ObjectType((Field("body", BODY, True),), None),
    nodes={"fetch_user": {"out": USER, "error": STRING}, "later": {"out": ANY}},
    visible_nodes=frozenset({"fetch_user"}),
    env_names=frozenset({"API_BASE"}),
    known_nodes=frozenset({"fetch_user", "later", "reply"}),
)


def typ(src: str, env: TypeEnv = ENV) -> Type:
    r = parse(src)
    assert r.expr is not None, r.errors
    res = check(r.expr, env)
    assert res.errors == [], res.errors
    return res.type


def errs(src: str, env: TypeEnv = ENV) -> list[tuple[str, str]]:
    r = parse(src)
    if r.expr is None:
        return [(e.code, e.message) for e in r.errors]
    return [(e.code, e.message) for e in check(r.expr, env).errors]


# ---------------------------------------------------------------- parser


def test_parse_shapes() -> None:
    e = parse("input.body.qty >= 100").expr
    assert e == Binary(">=", Select(Select(Ident("input"), "body"), "qty"), Literal(100))
    assert e is not None and (e.start, e.end) == (0, 21)
    c = parse("s.lower()").expr
    assert c == Call("lower", (), Ident("s"))
    assert parse("size(x)").expr == Call("size", (Ident("x"),))
    # precedence as CEL
    assert unparse(parse("a || b && c == d + e * -f").expr) == "a || b && c == d + e * -f"
    assert unparse(parse("(a || b) && c").expr) == "(a || b) && c"
    assert unparse(parse("a ? b : c ? d : e").expr) == "a ? b : c ? d : e"
    assert parse("'single' + \"dq\\n\\u00e9\"").expr == Binary(
        "+", Literal("single"), Literal("dq\né")
    )
    assert parse("[1, 2.5, true, null, {'k': 0x10}]").ok


@pytest.mark.parametrize(
    ("src", "message", "span"),
    [
        ("(1 + 2", "expected `)` to close `(` at 0", (6, 6)),
        ("a = 1", "unexpected `=`; did you mean `==`?", (2, 3)),
        ("'abc", "unterminated string", (0, 4)),
        ("a and b", "unexpected `and`; did you mean `&&`?", (2, 5)),
        ("", "empty expression", (0, 0)),
        ("input.", "expected a field name after `.`", (5, 6)),
        ("1 +", "unexpected end of expression", (3, 3)),
        ("a ? b", "expected `:`", (5, 5)),
        ("f()(1)", "only functions can be called", (3, 4)),
        ("a)", "unmatched `)`", (1, 2)),
        ("99999999999999999999", "integer literal out of range", (0, 20)),
    ],
)
def test_syntax_errors(src: str, message: str, span: tuple[int, int]) -> None:
    r = parse(src)
    assert r.expr is None
    (e,) = r.errors
    assert e.code == "syntax"
    assert message in e.message
    assert (e.start, e.end) == span


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    for src in [
        "(" * 10000,
        "(" * 10000 + "1" + ")" * 10000,
        "!" * 10000 + "a",
        "-" * 10000 + "a",
        "1" + "+1" * 10000,
        "[" * 5000,
        "a" + ".b" * 5000,
    ]:
        r = parse(src)
        assert r.expr is None
        assert "nested" in r.errors[0].message


def test_parse_is_memoized() -> None:
    assert parse("input.x + 1") is parse("input.x + 1")


# ---------------------------------------------------------------- checker


def test_types_of_expressions() -> None:
    assert typ("input.body.qty >= 100") == BOOL
    assert typ("input.body.qty * 2") == INT
    assert typ("input.body.qty * 2.5") == NUMBER
    assert typ("input.body.sku + '-x'") == STRING
    assert typ("input.body.items[0].sku") == STRING
    assert typ("input.body.note") == STRING  # optional fields are fine
    assert typ("size(input.body.items)") == INT
    assert typ("input.body.sku.lower().startsWith('a')") == BOOL
    assert typ("has(input.body.note) ? input.body.note : ''") == STRING
    assert typ("nodes.fetch_user.out.name") == STRING
    assert typ("env.API_BASE + '/x'") == STRING
    assert typ("[1, 2]") == ArrayType(INT)
    assert describe(typ("{'a': 1, 'b': 'x'}")) == "{a: integer, b: string}"
    assert typ("split('a,b', ',')") == ArrayType(STRING)
    assert typ("join(split('a,b', ','), '-')") == STRING
    assert typ("coalesce(input.body.note, 'none')") == STRING
    assert typ("input.body.sku in ['a', 'b']") == BOOL
    assert typ("'a' in {'a': 1}") == BOOL
    assert typ("int(input.body.sku) + 1") == INT
    assert typ("now()").format == "date-time"
    assert typ("nodes.later.out.anything.goes", TypeEnv(nodes=ENV.nodes)) == ANY


def test_unknown_field_with_suggestion() -> None:
    ((code, msg),) = errs("input.body.qtty")
    assert code == "unknown-field"
    assert msg.startswith("no field `qtty` on {sku: string, qty: integer")
    assert msg.endswith("did you mean `qty`?")
    r = check(parse("input.body.qtty").expr, ENV)
    assert (r.errors[0].start, r.errors[0].end) == (11, 15)
    assert r.errors[0].severity == "error"  # BODY is closed
    open_env = TypeEnv(
        input=type_from_schema({"type": "object", "properties": {"a": {"type": "string"}}})
    )
    r = check(parse("input.b").expr, open_env)
    assert r.errors[0].severity == "warning"  # open objects may have it
    assert errs("input.whatever", TypeEnv()) == []  # any


@pytest.mark.parametrize(
    ("src", "code", "fragment"),
    [
        ("input.body.sku == 1", "type", "cannot compare string with integer"),
        ("input.body.sku < 1", "type", "cannot compare string with integer"),
        ("'a' + 1", "type", "cannot add string and integer"),
        ("!input.body.qty", "type", "`!` expects a boolean, got integer"),
        ("input.body.qty && true", "type", "`&&` expects booleans"),
        ("lenght(input.body.sku)", "unknown-function", "did you mean `size`?"),
        ("len(input.body.sku)", "unknown-function", "did you mean `size`?"),
        ("size(1, 2)", "arity", "`size` expects 1 argument, got 2"),
        ("input.body.sku.contains()", "arity", "`contains` expects 1 argument, got 0"),
        ("input.body.qty.lower()", "type", "`lower` expects a string, got integer"),
        ("nodes.fetch_usr.out", "unknown-node", "did you mean `fetch_user`?"),
        ("nodes.later.out", "not-dominated", "`nodes.later` may not have run on every path"),
        ("nodes.fetch_user.outt", "unknown-port", "did you mean `out`?"),
        ("env.API_BSE", "unknown-env", "did you mean `API_BASE`?"),
        ("foo.bar", "unknown-identifier", "unknown name `foo`"),
        ("input.body.sku in 'abc'", "type", "use `s.contains(t)`"),
        ("input.body.items['x']", "type", "list index must be an integer"),
        ("5 % 2.0", "type", "`%` needs integers"),
        ("has(input)", "arity", "`has` expects one field selection"),
        ("input.body.sku.matches('[')", "regex", "invalid regular expression"),
        ("1 ? 2 : 3", "type", "condition must be a boolean"),
        ("input.body.sku.size", "type", "call it as `.size()`"),
    ],
)
def test_check_errors(src: str, code: str, fragment: str) -> None:
    found = errs(src)
    assert any(c == code and fragment in m for c, m in found), found


def test_references() -> None:
    src = "nodes.fetch_user.out.name + nodes.fetch_user.error"
    r = check(parse(src).expr, ENV)
    assert r.references == [
        NodeRef("fetch_user", "out", 6, 16),
        NodeRef("fetch_user", "error", 34, 44),
    ]
    assert references(parse(src).expr) == r.references
    assert src[6:16] == "fetch_user"


def test_visible_none_means_no_dominance_check() -> None:
    env = TypeEnv(nodes={"later": {"out": ANY}})
    assert errs("nodes.later.out.x", env) == []


# ---------------------------------------------------------------- templates


def test_templates() -> None:
    t = parse_template("Hi {{ input.body.sku }}, \\{{ not a hole }} {{ input.body.items }}!")
    assert [type(p).__name__ for p in t.parts] == [
        "TemplateText",
        "TemplateHole",
        "TemplateText",
        "TemplateHole",
        "TemplateText",
    ]
    assert t.parts[2].text == ", {{ not a hole }} "
    r = check_template(t, ENV)
    ((w),) = r.errors
    assert w.code == "not-printable" and w.severity == "warning"
    assert t.text[w.start : w.end] == "input.body.items"
    bad = parse_template("x {{ input.body.qtty }} {{ 1 + }}")
    r = check_template(bad, ENV)
    assert {e.code for e in r.errors} == {"syntax", "unknown-field"}
    for e in r.errors:
        if e.code == "unknown-field":
            assert bad.text[e.start : e.end] == "qtty"
    assert parse_template("{{ open").errors[0].message.startswith("unclosed `{{`")
    assert parse_template('{{ "}}" }}').holes[0].result.expr == Literal("}}")
    out = render_template(
        parse_template("{{ input.n }} x {{ input.l }}{{ input.z }}"),
        EvalScope(input={"n": 2.0, "l": [1], "z": None}),
    )
    assert out == "2 x [1]"


# ---------------------------------------------------------------- IDE


def labels(src: str, offset: int | None = None) -> list[str]:
    return [c.label for c in completions_at(src, len(src) if offset is None else offset, ENV)]


def test_completions() -> None:
    assert labels("input.body.")[:4] == ["sku", "qty", "note", "items"]
    assert "qty" in labels("input.body.q")
    assert labels("size(input.") == ["body"]
    assert labels("nodes.") == ["fetch_user"]  # visible only
    assert labels("nodes.fetch_user.") == ["out", "error"]
    assert labels("nodes.fetch_user.out.") == ["name", "age"]
    assert "startsWith" in labels("input.body.sku.")
    assert "startsWith" in labels("input.body.sku.lower().")
    assert "sku" in labels("input.body.items[size(input.body.items) - 1].")
    assert labels("env.") == ["API_BASE"]
    root = labels("")
    assert {"input", "nodes", "env", "size", "has", "true"} <= set(root)
    assert "input" in labels("input.body.qty > 1 && (")
    assert labels("'abc") == []  # inside a string
    # completion in the middle of text uses the prefix only
    assert labels("input.body.sku == 'x'", 11) == ["sku", "qty", "note", "items"]
    c = completions_at("input.body.", 11, ENV)[1]
    assert (c.kind, c.detail) == ("field", "integer")


def test_type_at() -> None:
    src = "input.body.qty + 1"
    assert type_at(src, 12, ENV) == (0, 14, INT)
    start, end, t = type_at(src, 7, ENV)
    assert (start, end) == (0, 10) and t == BODY
    assert type_at(src, len(src), ENV) == (17, 18, INT)
    assert type_at("input.(", 3, ENV) is None


# ---------------------------------------------------------------- evaluator

SCOPE = EvalScope(
    input={"body": {"sku": "AB-1", "qty": 150, "items": [{"sku": "x"}]}},
    nodes={"fetch_user": {"out": {"name": "Ann", "age": 30}}},
    env={"API_BASE": "https://x"},
    now="2024-01-01T00:00:00Z",
)


@pytest.mark.parametrize(
    ("src", "value"),
    [
        ("input.body.qty >= 100", True),
        ("-7 / 2", -3),
        ("-7 % 2", -1),
        ("7 / 2.0", 3.5),
        ("1 + 2.5", 3.5),
        ("'a' + 'b'", "ab"),
        ("[1] + [2]", [1, 2]),
        ("string(1e6)", "1e+06"),
        ("string(2.5)", "2.5"),
        ("string(3.0)", "3"),
        ("string(true)", "true"),
        ("int('42') + int(-2.7)", 40),
        ("double('1.5')", 1.5),
        ("has(input.body.note)", False),
        ("has(input.missing.deep)", False),
        ("has(input.body.sku)", True),
        ("coalesce(input.body.note, input.nope, 'none')", "none"),
        ("size('héllo')", 5),
        ("input.body.sku.lower()", "ab-1"),
        ("upper(trim('  x '))", "X"),
        ("input.body.sku.matches('^[A-Z]+-[0-9]$')", True),
        ("split('a,b', ',')", ["a", "b"]),
        ("split('ab', '')", ["a", "b"]),
        ("join(['a', 'b'], '-')", "a-b"),
        ("1 == 1.0", True),
        ("1 == true", False),
        ("'b' in {'b': 1}", True),
        ("2 in [1, 2]", True),
        ("false && (1 / 0 == 1)", False),
        ("true ? 'y' : 1 / 0", "y"),
        ("nodes.fetch_user.out.name", "Ann"),
        ("env.API_BASE + '/v1'", "https://x/v1"),
        ("now()", "2024-01-01T00:00:00Z"),
        ("input.body.items[0].sku", "x"),
        ("{'a': 1}['a']", 1),
        ("-9223372036854775808", -(2**63)),
    ],
)
def test_evaluate(src: str, value: object) -> None:
    r = parse(src)
    assert r.expr is not None, r.errors
    got = evaluate(r.expr, SCOPE)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("src", "fragment"),
    [
        ("1 / 0", "division by zero"),
        ("1 % 0", "modulus by zero"),
        ("input.body.note", "no field `note`"),
        ("input.body.items[5]", "out of range"),
        ("9223372036854775807 + 1", "integer overflow"),
        ("int('4x')", "cannot convert"),
        ("'a' < 1", "cannot compare"),
        ("nodes.other.out", "has not run"),
    ],
)
def test_evaluate_errors(src: str, fragment: str) -> None:
    r = parse(src)
    assert r.expr is not None
    with pytest.raises(EvalError) as ei:
        evaluate(r.expr, SCOPE)
    assert fragment in ei.value.message
