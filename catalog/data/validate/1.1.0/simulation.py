"""Simulation of data/validate 1.1.0: the input, or the value of the `value` expression,
checked against a JSON Schema; mirrors call.go.j2."""

from __future__ import annotations

from nodeforge.sandbox.schemacheck import validate
from nodeforge.sandbox.simulations import Emission, NodeRun


def simulate(run: NodeRun) -> list[Emission]:
    value = run.expr(run.config["value"], "value") if "value" in run.config else run.input
    problems = validate(value, run.config.get("schema") or {})
    if problems:
        errors = [{"path": p["pointer"], "message": p["message"]} for p in problems]
        return [("invalid", {"errors": errors, "input": run.input})]
    return [("valid", value)]
