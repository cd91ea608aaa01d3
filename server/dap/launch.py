"""The launch configuration (``type: nodeforge``, ``request: launch``), read and checked.

Attributes (docs/debugging.md): ``flow`` (required), ``trigger``, ``input`` or
``inputFile``, ``fixtures`` or ``fixturesFile``, ``env`` or ``envFile``, ``now``,
``runCode``, ``stopOnEntry``, ``cwd`` (relative paths are read from it), ``noDebug``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Attributes clients add to every configuration; not ours to check.
CLIENT_KEYS = frozenset(
    {
        "type",
        "request",
        "name",
        "presentation",
        "preLaunchTask",
        "postDebugTask",
        "internalConsoleOptions",
        "debugServer",
        "console",
        "suppressMultipleSessionWarning",
        "serverReadyAction",
    }
)
KEYS = frozenset(
    {
        "flow",
        "trigger",
        "input",
        "inputFile",
        "fixtures",
        "fixturesFile",
        "env",
        "envFile",
        "now",
        "runCode",
        "stopOnEntry",
        "cwd",
        "noDebug",
    }
)


class LaunchError(Exception):
    """The launch configuration is wrong; the message says which attribute and why."""


@dataclass
class LaunchConfig:
    flow: Path
    trigger: str | None = None
    input: Any = None
    fixtures: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    now: str | None = None
    run_code: bool = False
    stop_on_entry: bool = False
    no_debug: bool = False
    warnings: list[str] = field(default_factory=list)

    def simulate_params(self) -> dict[str, Any]:
        """The arguments of a ``nodeforge.simulate`` request for this configuration."""
        return {
            "trigger": self.trigger,
            "input": self.input,
            "fixtures": self.fixtures,
            "env": self.env,
            "now": self.now,
            "runCode": self.run_code,
        }


def parse_launch(args: Mapping[str, Any]) -> LaunchConfig:
    cwd = _path(args, "cwd", Path.cwd())
    flow = args.get("flow")
    if not isinstance(flow, str) or not flow:
        raise LaunchError("`flow` (the path of the *.flow.json file to debug) is required")
    config = LaunchConfig(flow=(cwd / flow).absolute())
    if not config.flow.is_file():
        raise LaunchError(f"`flow`: no such file {config.flow}")
    config.trigger = _optional_str(args, "trigger")
    config.now = _optional_str(args, "now")
    config.input = _inline_or_file(args, "input", "inputFile", cwd)
    fixtures = _inline_or_file(args, "fixtures", "fixturesFile", cwd)
    if fixtures is not None and not isinstance(fixtures, dict):
        raise LaunchError("`fixtures`: expected an object of node id -> pinned output")
    config.fixtures = fixtures or {}
    env = _inline_or_file(args, "env", "envFile", cwd)
    if env is not None and not isinstance(env, dict):
        raise LaunchError("`env`: expected an object of NAME -> value")
    config.env = {
        str(k): v if isinstance(v, str) else json.dumps(v) for k, v in (env or {}).items()
    }
    config.run_code = _flag(args, "runCode")
    config.stop_on_entry = _flag(args, "stopOnEntry")
    config.no_debug = _flag(args, "noDebug")
    for key in args:
        if key not in KEYS and key not in CLIENT_KEYS and not key.startswith("__"):
            config.warnings.append(f"unknown launch attribute `{key}` (ignored)")
    return config


def _inline_or_file(args: Mapping[str, Any], inline: str, file: str, cwd: Path) -> Any:
    if inline in args and file in args:
        raise LaunchError(f"give `{inline}` or `{file}`, not both")
    if file not in args:
        return args.get(inline)
    path = _path(args, file, cwd)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LaunchError(f"`{file}`: cannot read {path}: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise LaunchError(f"`{file}`: {path} is not JSON: {exc}") from None


def _path(args: Mapping[str, Any], key: str, base: Path) -> Path:
    value = args.get(key)
    if value is None:
        return base
    if not isinstance(value, str) or not value:
        raise LaunchError(f"`{key}` must be a path")
    return (base / value).absolute()


def _optional_str(args: Mapping[str, Any], key: str) -> str | None:
    value = args.get(key)
    if value is None or (isinstance(value, str) and value):
        return value
    raise LaunchError(f"`{key}` must be a non-empty string")


def _flag(args: Mapping[str, Any], key: str) -> bool:
    value = args.get(key, False)
    if not isinstance(value, bool):
        raise LaunchError(f"`{key}` must be true or false")
    return value
