"""Simulation of data/template 1.0.0: a rendered text; mirrors call.go.j2."""

from __future__ import annotations

from nodeforge.sandbox.simulations import Emission, NodeRun


def simulate(run: NodeRun) -> list[Emission]:
    return [("out", {"text": run.template(run.config.get("template", ""))})]
