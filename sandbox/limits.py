"""Resource limits of one sandboxed run, with the safe maxima a caller may not exceed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one sandboxed run may use.

    ``memory_bytes`` is the address-space limit (RLIMIT_AS): coarse, because a Go
    program reserves about 700 MiB of address space just to start, so the usable heap
    is roughly ``memory_bytes - 700 MiB``. ``processes`` counts threads too (Go runs
    several), for the run's own uid only.
    """

    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    memory_bytes: int = 1024 * MiB
    file_bytes: int = 16 * MiB
    tmp_bytes: int = 64 * MiB
    open_files: int = 256
    processes: int = 128
    output_bytes: int = 4 * MiB

    def merged(self, overrides: dict[str, Any] | None) -> Limits:
        """These limits with ``overrides`` (field -> value) applied and checked."""
        if not overrides:
            return self.checked()
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown sandbox limit(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in overrides.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"sandbox limit {name} must be a number")
            values[name] = float(value) if name == "wall_seconds" else int(value)
        return dataclasses.replace(self, **values).checked()

    def checked(self) -> Limits:
        """Raise ValueError when a limit is below its minimum or above its safe maximum."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            low, high = MINIMA[f.name], MAXIMA[f.name]
            if not low <= value <= high:
                raise ValueError(f"sandbox limit {f.name}={value} is outside [{low}, {high}]")
        return self

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


MINIMA: dict[str, float] = {
    "wall_seconds": 0.05,
    "cpu_seconds": 1,
    "memory_bytes": 768 * MiB,
    "file_bytes": 1,
    "tmp_bytes": 1 * MiB,
    "open_files": 16,
    "processes": 16,
    "output_bytes": 1024,
}

MAXIMA: dict[str, float] = {
    "wall_seconds": 300.0,
    "cpu_seconds": 300,
    "memory_bytes": 4096 * MiB,
    "file_bytes": 256 * MiB,
    "tmp_bytes": 512 * MiB,
    "open_files": 4096,
    "processes": 512,
    "output_bytes": 64 * MiB,
}

DEFAULT_LIMITS = Limits()
