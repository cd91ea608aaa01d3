"""Simulation of data/map 1.1.0: a new object, one expression per field; mirrors call.go.j2."""

from __future__ import annotations

from typing import Any

from nodeforge.sandbox.simulations import Emission, NodeRun


def simulate(run: NodeRun) -> list[Emission]:
    mapping = run.config.get("mapping") or {}
    out: dict[str, Any] = {}
    if run.config.get("keep_input") and isinstance(run.input, dict):
        out.update(run.input)
    for key, source in mapping.items():
        out[key] = run.expr(source, f"mapping.{key}")
    return [("out", out)]
