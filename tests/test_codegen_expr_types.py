"""The code generator types ``input.<field>`` itself (its commonest path, without a
checker run per use): the type must be the checker's, whatever the input is."""

from __future__ import annotations

import pytest

from nodeforge.analysis.expressions import TypeEnv, check, parse
from nodeforge.analysis.types import (
    ANY,
    INT,
    STRING,
    ArrayType,
    Field,
    ObjectType,
    Type,
    merge_objects,
    union,
)
from nodeforge.codegen.expr_go import Compiled, ExprCompiler, Scope
from nodeforge.codegen.gotypes import GoTypes

_OBJECT = ObjectType((Field("a", INT, True), Field("b", STRING)), None)
_CHAIN = merge_objects([_OBJECT, ObjectType((Field("c", ArrayType(INT), True),), None)])
_INPUTS: list[Type] = [
    _OBJECT,
    _CHAIN,
    ObjectType((Field("a", INT, True),), STRING),  # open: unknown fields are strings
    ObjectType((), ANY),
    union(_OBJECT, ObjectType((Field("a", STRING, True),), None)),
    ANY,
    INT,
]


def _unresolved(_node: str, _port: str) -> Compiled:
    raise AssertionError("no node references here")


@pytest.mark.parametrize("input_type", _INPUTS)
@pytest.mark.parametrize("shadowed", [False, True])
def test_input_field_types_are_the_checkers(input_type: Type, shadowed: bool) -> None:
    env = TypeEnv(input=input_type)
    if shadowed:  # a list macro's variable named `input` hides the input
        env = env.with_var("input", ObjectType((Field("a", STRING, True),), None))
    compiler = ExprCompiler(GoTypes(), env, Scope("input", "any", _unresolved), set(), {}, "X")
    for source in ("input.a", "input.b", "input.c", "input.zz"):
        expr = parse(source).expr
        assert expr is not None
        assert compiler.type_of(expr) == check(expr, env).type, (source, input_type)
