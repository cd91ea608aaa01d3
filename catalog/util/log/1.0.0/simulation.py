"""Simulation of util/log 1.0.0: one log record, the input passed on; mirrors call.go.j2."""

from __future__ import annotations

from nodeforge.sandbox.simulations import Emission, NodeRun


def simulate(run: NodeRun) -> list[Emission]:
    message = run.template(run.config.get("message", ""))
    fields = {
        str(k): run.expr(v, f"fields.{k}") for k, v in (run.config.get("fields") or {}).items()
    }
    run.log(str(run.config.get("level", "info")), message, **fields)
    return [("out", run.input)]
