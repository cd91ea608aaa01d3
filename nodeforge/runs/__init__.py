"""Execution records of built apps: reading them (``store``), showing them in the
editor (``editor``, plain data), replaying them in the simulator and turning them into
flow tests (``replay``). See docs/runs.md."""
