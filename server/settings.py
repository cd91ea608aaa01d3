"""Server settings: one defaulted dataclass, read through one tolerant converter.

Settings come from ``initializationOptions`` and from the client's
``workspace/configuration`` section ``nodeforge`` (which wins). Keys are camelCase,
as editors write them. An invalid value is reported and its default kept: a typo
in a settings file must never stop the server (jedi-language-server does the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from nodeforge.analysis.diagnostics import Severity

SECTION = "nodeforge"
RULE_LEVELS = ("error", "warning", "info", "hint", "off")


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting with its default; ``docs/lsp.md`` documents each."""

    debounce_ms: int = 150
    """Delay between the last edit and the re-analysis that publishes diagnostics."""
    diagnostics: bool = True
    """Publish diagnostics (push) and answer ``textDocument/diagnostic`` (pull)."""
    max_diagnostics: int = 1000
    """At most this many diagnostics per document, most severe first."""
    rules: dict[str, str] = field(default_factory=dict)
    """Per-rule severity override: ``{"NF020": "hint"}``; ``"off"`` silences a rule."""
    code_lens: bool = True
    """Show the run/build/test lenses above triggers and nodes."""
    workspace_symbol_files: int = 2000
    """At most this many flow files are read for workspace symbols."""

    def severity_of(self, code: str, default: Severity) -> Severity | None:
        """The severity a rule is reported at, or None when it is switched off."""
        level = self.rules.get(code)
        if level is None:
            return default
        if level == "off":
            return None
        return Severity.parse(level)


#: Accepted ranges of the integer settings (others: DEFAULT_LIMITS).
LIMITS: dict[str, tuple[int, int]] = {"debounce_ms": (0, 10_000), "max_diagnostics": (1, 100_000)}
DEFAULT_LIMITS = (0, 1_000_000)

_KEYS: dict[str, str] = {
    "debounceMs": "debounce_ms",
    "diagnostics": "diagnostics",
    "maxDiagnostics": "max_diagnostics",
    "rules": "rules",
    "codeLens": "code_lens",
    "workspaceSymbolFiles": "workspace_symbol_files",
}


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from a JSON object over ``base``, and a message per ignored value.

    Accepts the options object itself or one wrapped in ``{"nodeforge": {...}}``.
    """
    settings = base if base is not None else Settings()
    problems: list[str] = []
    if raw is None:
        return settings, problems
    if not isinstance(raw, Mapping):
        return settings, [f"settings must be an object, got {_json_type(raw)}; using defaults"]
    if SECTION in raw and isinstance(raw[SECTION], Mapping):
        raw = raw[SECTION]
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        name = _KEYS.get(key)
        if name is None:
            problems.append(f"unknown setting `{key}` ignored")
            continue
        converted, problem = _convert(name, value)
        if problem is not None:
            problems.append(f"setting `{key}`: {problem}; keeping the default")
            continue
        changes[name] = converted
    return replace(settings, **changes), problems


def _convert(name: str, value: Any) -> tuple[Any, str | None]:
    if name in ("diagnostics", "code_lens"):
        if isinstance(value, bool):
            return value, None
        return None, f"expected true or false, got {_json_type(value)}"
    if name in ("debounce_ms", "max_diagnostics", "workspace_symbol_files"):
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"expected an integer, got {_json_type(value)}"
        low, high = LIMITS.get(name, DEFAULT_LIMITS)
        if not low <= value <= high:
            return None, f"expected {low}..{high}, got {value}"
        return value, None
    if name == "rules":
        if not isinstance(value, Mapping):
            return None, f"expected an object of rule code to level, got {_json_type(value)}"
        rules: dict[str, str] = {}
        for code, level in value.items():
            if not isinstance(level, str) or level.lower() not in RULE_LEVELS:
                return None, f"level of `{code}` must be one of {', '.join(RULE_LEVELS)}"
            rules[str(code).upper()] = level.lower()
        return rules, None
    return None, "not supported"  # pragma: no cover - _KEYS and _convert agree


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__
