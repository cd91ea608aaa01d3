"""Simulation of data/set 1.0.0: the input with fields set; mirrors call.go.j2."""

from __future__ import annotations

from typing import Any

from nodeforge.sandbox.simulations import Emission, NodeRun


def simulate(run: NodeRun) -> list[Emission]:
    out: dict[str, Any] = dict(run.input) if isinstance(run.input, dict) else {}
    for key, source in (run.config.get("values") or {}).items():
        out[key] = run.expr(source, f"values.{key}")
    return [("out", out)]
