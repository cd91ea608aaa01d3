"""Typed calls of code/go nodes (codegen/codecall.py): which shapes convert field by
field, and which keep the JSON path. (Compiled and run: test_codegen_code_subflow.py.)"""

from __future__ import annotations

from typing import Any

from nodeforge.analysis.types import type_from_schema
from nodeforge.codegen.codecall import CodeCall, Converters, typed_call
from nodeforge.codegen.gotypes import GoTypes

ITEM = {
    "type": "object",
    "properties": {"qty": {"type": "integer"}, "note": {"type": "string"}},
    "required": ["qty"],
}


def call(flow_in: dict[str, Any], node_in: dict[str, Any], node_out: dict[str, Any],
         flow_out: dict[str, Any] | None = None) -> tuple[CodeCall | None, str]:  # fmt: skip
    types = GoTypes()
    go_in = types.go(type_from_schema(flow_in), "StartOut")
    go_out = types.go(type_from_schema(flow_out or node_out), "SumOut")
    conv = Converters("Shop")
    got = typed_call(conv, types, "code_sum", "Sum", node_in, node_out, go_in, go_out)
    return got, "\n".join(conv.decls)


def obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required}


def test_lists_maps_optional_fields_and_integer_to_number() -> None:
    flow_in = obj(
        {
            "items": {"type": "array", "items": ITEM},
            "by_sku": {"type": "object", "additionalProperties": {"type": "integer"}},
            "coupon": {"type": "string"},
            "ignored": {"type": "boolean"},
        },
        ["items", "by_sku"],
    )
    node_in = obj(
        {
            "items": {"type": "array", "items": ITEM},
            "by_sku": {"type": "object", "additionalProperties": {"type": "number"}},
            "coupon": {"type": "string"},
        },
        ["items", "by_sku"],
    )
    out = obj({"total": {"type": "number"}}, ["total"])
    got, decls = call(flow_in, node_in, out)
    assert got is not None
    assert got.input == "convShopSumInput(input)"
    assert got.output("res") == "convShopSumOutput(res)"
    # list items and map values are converted one by one (copies: no aliasing)
    assert "out := make([]code_sum.InputItemsItem, len(v))" in decls
    assert "out := make(map[string]float64, len(v))" in decls
    assert "out[k] = float64(x)" in decls
    # an optional field stays a pointer on both sides: copied only when present
    assert "if v.Coupon != nil {" in decls and "out.Coupon = nf.Ptr(*v.Coupon)" in decls
    assert "Ignored" not in decls  # fields the node does not declare are dropped


def test_types_that_need_json_keep_the_json_path() -> None:
    base = obj({"n": {"type": "integer"}}, ["n"])
    out = obj({"total": {"type": "number"}}, ["total"])
    # a free-form value (any) on the node's side
    assert call(base, obj({"n": {}}, ["n"]), out)[0] is None
    # a number where the node wants an integer: JSON would fail or truncate
    assert call(obj({"n": {"type": "number"}}, ["n"]), base, out)[0] is None
    # an output field the port requires but the code's Output may leave out
    loose = obj({"total": {"type": "number"}}, [])
    got, decls = call(base, base, loose, flow_out=out)
    assert got is None and decls == ""  # nothing half-written is left behind


def test_scalar_output_needs_no_function() -> None:
    base = obj({"n": {"type": "integer"}}, ["n"])
    got, _ = call(base, base, {"type": "integer"})
    assert got is not None and got.output("res") == "res"
