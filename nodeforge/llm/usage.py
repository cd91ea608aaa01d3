"""Token usage and estimated cost: per request in ``.nodeforge/llm-usage.jsonl``
(append-only, one JSON object per line, the file locked while a line is written),
summed per day, feature and model by :func:`summarize`.

Cost is estimated from a small table of list prices (USD per million tokens, input and
output) for known hosted models, overridable per model in ``[llm.pricing]``; a model of
a local provider (Ollama, vLLM, llama.cpp, LM Studio) costs 0; any other model has an
unknown cost (``null``), never a guess. A cached answer costs 0.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nodeforge.llm.config import Price
from nodeforge.llm.providers import LOCAL_PROVIDERS

USAGE_FILE = "llm-usage.jsonl"

#: List prices, USD per million tokens (input, output), as published by the providers
#: in 2025. A dated or suffixed model name (``gpt-4o-2024-08-06``) takes the price of
#: the longest name here it starts with.
PRICES: dict[str, Price] = {
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "o3": Price(2.00, 8.00),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
    "claude-3-haiku": Price(0.25, 1.25),
    "claude-3-5-haiku": Price(0.80, 4.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-5-sonnet": Price(3.00, 15.00),
    "claude-3-7-sonnet": Price(3.00, 15.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-opus-4": Price(15.00, 75.00),
    "gemini-1.5-flash": Price(0.075, 0.30),
    "gemini-1.5-pro": Price(1.25, 5.00),
    "gemini-2.0-flash": Price(0.10, 0.40),
    "gemini-2.0-flash-lite": Price(0.075, 0.30),
    "gemini-2.5-flash": Price(0.30, 2.50),
    "gemini-2.5-flash-lite": Price(0.10, 0.40),
    "gemini-2.5-pro": Price(1.25, 10.00),
}


def price_of(model: str, overrides: Mapping[str, Price] | None = None) -> Price | None:
    """The price of ``model``: an override by exact name, else the longest table entry
    (overrides included) that the name equals or starts with followed by ``-``, ``@``
    or ``:``. None when unknown."""
    table = {**PRICES, **(overrides or {})}
    name = model.strip()
    name = name.removeprefix("models/")
    if overrides and name in overrides:
        return overrides[name]
    best: str | None = None
    for known in table:
        matches = name == known or (
            name.startswith(known) and name[len(known) : len(known) + 1] in ("-", "@", ":")
        )
        if matches and (best is None or len(known) > len(best)):
            best = known
    return table[best] if best is not None else None


def estimate_cost(
    provider: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    overrides: Mapping[str, Price] | None = None,
) -> float | None:
    """USD for one request; 0 for a local provider; None for an unknown model."""
    price = price_of(model, overrides)
    if price is None:
        return 0.0 if provider in LOCAL_PROVIDERS else None
    cost = (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1e6
    return round(cost, 8)


class UsageLog:
    """The append-only usage file of one workspace."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as a line, under an exclusive lock (``O_APPEND``: a line is
        never interleaved with another process's)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(dict(record), sort_keys=True, ensure_ascii=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        finally:
            os.close(fd)  # closing releases the lock

    def records(self) -> list[dict[str, Any]]:
        """Every readable record (a damaged line is skipped, never fatal)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            with os.fdopen(os.dup(fd), "rb") as fh:
                raw = fh.read()
        finally:
            os.close(fd)
        out = []
        for line in raw.decode("utf-8", "replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                out.append(record)
        return out


def usage_record(
    *,
    feature: str,
    provider: str,
    connector: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cost_usd: float | None,
    cached: bool,
    retries: int,
    duration_ms: int,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    now = now or dt.datetime.now(dt.UTC)
    return {
        "ts": now.isoformat(timespec="seconds"),
        "day": now.date().isoformat(),
        "feature": feature,
        "provider": provider,
        "connector": connector,
        "model": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost_usd": cost_usd,
        "cached": cached,
        "retries": retries,
        "duration_ms": duration_ms,
    }


def _empty() -> dict[str, Any]:
    return {
        "requests": 0,
        "cached": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0.0,
        "unpriced": 0,
    }


def _add(total: dict[str, Any], record: Mapping[str, Any]) -> None:
    total["requests"] += 1
    total["cached"] += 1 if record.get("cached") else 0
    total["input_tokens"] += _count(record.get("input_tokens"))
    total["output_tokens"] += _count(record.get("output_tokens"))
    cost = record.get("cost_usd")
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        total["cost_usd"] = round(total["cost_usd"] + cost, 8)
    else:
        total["unpriced"] += 1


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def summarize(records: Iterable[Mapping[str, Any]], *, day: str | None = None) -> dict[str, Any]:
    """Totals per day, feature and model (rows sorted by day, feature, model), and the
    grand total. ``cost_usd`` sums the priced requests; ``unpriced`` counts the others.
    ``day`` (YYYY-MM-DD) keeps that day only."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    total = _empty()
    for record in records:
        rec_day = str(record.get("day", ""))
        if day is not None and rec_day != day:
            continue
        key = (rec_day, str(record.get("feature", "")), str(record.get("model", "")))
        row = rows.setdefault(key, _empty())
        _add(row, record)
        _add(total, record)
    return {
        "day": day,
        "rows": [
            {"day": d, "feature": f, "model": m, **rows[(d, f, m)]} for d, f, m in sorted(rows)
        ],
        "total": total,
    }


def parse_day(value: str | None) -> str | None:
    """A ``--day`` value: ``YYYY-MM-DD`` or ``today`` (UTC); None stays None. Raises
    ValueError with a message for the user."""
    if value is None:
        return None
    if value == "today":
        return dt.datetime.now(dt.UTC).date().isoformat()
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"day must be YYYY-MM-DD or `today`, not `{value}`") from None


def usage_summary(root: Path, *, day: str | None = None) -> dict[str, Any]:
    """:func:`summarize` over the workspace's usage file (for the CLI and the editor)."""
    from nodeforge.project.fsutil import state_dir

    return summarize(UsageLog(state_dir(root, create=False) / USAGE_FILE).records(), day=day)
