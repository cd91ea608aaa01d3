"""``trigger/schedule`` schedules as the app reads them (``catalog/nf/cron.go``).

One parser for the checker (NF033) and the simulator: five cron fields (``minute hour
day-of-month month day-of-week``, each ``*``, ``a``, ``a-b``, lists and ``/step``), the
descriptors ``@yearly`` (``@annually``), ``@monthly``, ``@weekly``, ``@daily``
(``@midnight``), ``@hourly``, and ``@every D`` with a Go duration of at least one second.
Problems carry the offsets of the offending text inside the expression, so that a
diagnostic points at the field, not at the whole string.

Time zones are the names of the IANA database that the app embeds (Go's ``time/tzdata``,
2025c for Go 1.26): the list shipped by the pinned ``tzdata`` package, so the answer does
not depend on the machine's ``/usr/share/zoneinfo``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

__all__ = [
    "DESCRIPTORS",
    "ScheduleProblem",
    "check_cron",
    "check_timezone",
    "go_duration_seconds",
    "schedule_output",
    "time_zones",
]

#: The named schedules besides five fields, and the fields they stand for.
DESCRIPTORS: dict[str, str] = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)


@dataclass(frozen=True, slots=True)
class ScheduleProblem:
    message: str
    start: int  # offsets in the checked string
    end: int


def check_cron(spec: str) -> list[ScheduleProblem]:
    """The problems of a cron expression, each located inside ``spec``; none if valid."""
    whole = ScheduleProblem("", 0, len(spec))
    stripped = spec.strip()
    lead = len(spec) - len(spec.lstrip())
    if stripped.startswith("@every ") or stripped == "@every":
        rest = stripped[len("@every") :]
        start = lead + len("@every") + (len(rest) - len(rest.lstrip()))
        text = rest.strip()
        seconds = go_duration_seconds(text)
        if seconds is None or seconds < 1:
            what = "is not a duration" if seconds is None else "is shorter than 1s"
            return [
                ScheduleProblem(
                    f"`@every` wants a Go duration of at least 1s (`30s`, `15m`, `1h30m`); "
                    f"`{text}` {what}"
                    if text
                    else "`@every` wants a duration, e.g. `@every 15m`",
                    start if text else whole.start,
                    start + len(text) if text else whole.end,
                )
            ]
        return []
    if stripped.startswith("@"):
        if stripped in DESCRIPTORS:
            return []
        known = ", ".join(f"`{d}`" for d in (*DESCRIPTORS, "@every <duration>"))
        return [
            ScheduleProblem(
                f"Unknown schedule `{stripped}`; known: {known}", lead, lead + len(stripped)
            )
        ]
    fields = [(m.group(), m.start()) for m in re.finditer(r"\S+", spec)]
    if len(fields) != 5:
        return [
            ScheduleProblem(
                f"A cron expression has 5 fields (minute hour day-of-month month "
                f"day-of-week), this one has {len(fields)}",
                whole.start,
                whole.end,
            )
        ]
    problems = []
    for (text, at), (name, lo, hi) in zip(fields, _FIELDS, strict=True):
        message = _field_problem(text, lo, hi)
        if message is not None:
            problems.append(ScheduleProblem(f"Cron {name} `{text}`: {message}", at, at + len(text)))
    return problems


def _field_problem(field: str, lo: int, hi: int) -> str | None:
    """What ``cronField`` in cron.go would refuse in one field, or None."""
    for part in field.split(","):
        step_text = None
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not _is_int(step_text) or int(step_text) <= 0:
                return f"the step `{step_text}` must be a positive number"
        if part == "*":
            continue
        if "-" in part:
            a_text, b_text = part.split("-", 1)
            if not (_is_int(a_text) and _is_int(b_text)):
                return f"`{part}` is not a range of numbers (`a-b`)"
            a, b = int(a_text), int(b_text)
        else:
            if not _is_int(part):
                return f"`{part}` is not a number (names like `MON` or `JAN` are not supported)"
            a = b = int(part)
            if step_text is not None:
                b = hi
        if a < lo or b > hi:
            return f"`{part}` is out of range {lo}-{hi}"
        if a > b:
            return f"`{part}` is an empty range (the start is after the end)"
    return None


def _is_int(text: str) -> bool:
    """What Go's ``strconv.Atoi`` accepts: an optional sign and ASCII digits."""
    return re.fullmatch(r"[+-]?[0-9]+", text) is not None


_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # U+00B5 micro sign
    "μs": 1e-6,  # U+03BC Greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def go_duration_seconds(text: str) -> float | None:
    """The value of a Go duration string (``time.ParseDuration``) in seconds, or None."""
    if text in ("0", "+0", "-0"):
        return 0.0
    sign = 1.0
    if text[:1] in "+-" and text:
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if not text:
        return None
    total, pos = 0.0, 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None or match.group(1) in ("", "."):
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return sign * total


@cache
def time_zones() -> frozenset[str]:
    """The IANA zone names the app can load: those of the pinned ``tzdata`` package (the
    release Go embeds), plus ``UTC``."""
    from importlib import resources  # (it imports tempfile: when zones are asked for)

    text = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip()) | {"UTC"}


def check_timezone(name: str) -> str | None:
    """Why ``name`` is not a time zone the app can load, or None when it is one."""
    if name in time_zones():
        return None
    import difflib

    by_lower = {z.lower(): z for z in time_zones()}
    if name.lower() in by_lower:
        return f"Unknown time zone `{name}`; names are case-sensitive: `{by_lower[name.lower()]}`"
    close = difflib.get_close_matches(name, sorted(time_zones()), n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else " (an IANA name such as `Europe/Paris`)"
    return f"Unknown time zone `{name}`{hint}"


def schedule_output(given: Any, tz: str) -> dict[str, Any]:
    """A schedule trigger's output for a tick at ``given`` (RFC 3339 text) in zone ``tz``,
    as the app's ``nf.ScheduleInput`` gives it: ``time`` in UTC, ``local_time`` in the
    zone (Go's RFC 3339: whole seconds, ``Z`` for a zero offset), and ``timezone``. A time
    that does not parse is passed on as given (the trigger's schema then reports it)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # (imported when simulated)

    zone_name = tz or "UTC"
    try:
        zone: tzinfo = UTC if zone_name == "UTC" else ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC  # NF033 reports it; the app refuses to start
    at = _parse_rfc3339(given) if isinstance(given, str) else None
    if at is None:
        return {"time": given, "local_time": given, "timezone": zone_name}
    return {
        "time": _go_rfc3339(at.astimezone(UTC)),
        "local_time": _go_rfc3339(at.astimezone(zone)),
        "timezone": zone_name,
    }


def _parse_rfc3339(text: str) -> datetime | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", text):
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _go_rfc3339(at: datetime) -> str:
    """``time.RFC3339`` as Go formats it: no fraction, ``Z`` for a zero offset."""
    text = at.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
