"""The input fields an expression reads (``checks._input_fields``, which decides which
checks are shared between nodes) are found by a walk of its own: they must be what the
generic pre-order walk of the tree (``tree.walk``) finds, in the same order, and None in
the same cases, on many random sources, expressions and templates alike."""

from __future__ import annotations

import random

from bench import fuzz_cases
from nodeforge.analysis.expressions import parse, parse_template
from nodeforge.analysis.expressions.macros import MACROS
from nodeforge.analysis.expressions.tree import Call, Ident, Select, walk
from nodeforge.analysis.rules import checks

_TOKENS = [
    "input", ".", "a", "b", "total", " + ", "(", ")", "[", "]", ", ", " ? ", " : ",
    ".filter(x, ", ".map(y, ", "x", "y", "{{ ", " }}", " ", "size(", "nodes.n1.out", "'s'",
    "1", " > ", "{", "}", ":", "!", "-", ".exists(", "has(",
]  # fmt: skip


def _reference(source: str, is_template: bool) -> tuple[str, ...] | None:
    """The fields as the generic walk finds them."""
    if is_template:
        trees = [hole.result.expr for hole in parse_template(source).holes]
    else:
        trees = [parse(source).expr]
    names: dict[str, None] | None = {}
    for tree in trees:
        if tree is None or names is None:
            continue
        selected: set[int] = set()
        for e in walk(tree):
            if isinstance(e, Select) and isinstance(e.operand, Ident):
                if e.operand.name == "input":
                    selected.add(id(e.operand))
                    names[e.field] = None
            elif (isinstance(e, Ident) and e.name == "input" and id(e) not in selected) or (
                isinstance(e, Call) and e.fn in MACROS
            ):
                names = None
                break
    return tuple(names) if names is not None else None


def _sources() -> list[str]:
    rng = random.Random(3)
    chooser = fuzz_cases.RandomChooser(rng)
    found = [
        "input.a + input.b.c + input.a",
        "input",
        "input.x.filter(y, y > 1)",
        "size(input.items) + input.total",
        "nodes.a.out.x + input.q",
        "{{ input.a }} and {{ input.b }} {{ input }}",
        "input.a[input.b]",
        "[input.b, {input.a: input.c}]",
        "input.c ? input.b : input.a",
        "f(input.b).g(input.a)",
        "-input.a * !input.b",
    ]
    found += [fuzz_cases.expression(chooser) for _ in range(3000)]
    for _ in range(6000):
        source = "".join(rng.choice(_TOKENS) for _ in range(rng.randint(1, 14)))
        found.append("input." + source if rng.random() < 0.5 else source)
    return found


def test_input_fields_are_those_of_the_generic_walk() -> None:
    read = 0
    for source in _sources():
        for is_template in (False, True):
            checks._INPUT_FIELDS.clear()
            expected = _reference(source, is_template)
            assert checks._input_fields(source, is_template) == expected, (source, is_template)
            assert checks._input_fields(source, is_template) == expected  # from the table
            read += bool(expected)
    assert read > 50
