"""The launch configuration (``type: nodeforge``, ``request: launch``), read and checked.

Attributes (docs/debugging.md): ``flow`` (required), ``trigger``, ``input`` or
``inputFile``, ``fixtures`` or ``fixturesFile``, ``env`` or ``envFile``, ``now``,
``runCode``, ``stopOnEntry``, ``cwd`` (relative paths are read from it), ``noDebug``,
``replay`` (a recorded execution's id: its input and its I/O nodes' outputs, as
``nodeforge simulate --replay``) with ``records`` (their SQLite file) or
``recordsConnector``.
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
        "replay",
        "records",
        "recordsConnector",
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
    replay: str | None = None
    records: Path | None = None
    records_connector: str | None = None
    input_given: bool = False
    warnings: list[str] = field(default_factory=list)

    def apply_replay(self, analysis: Any) -> None:
        """With ``replay``: the recorded execution's trigger, input and I/O outputs fill
        in what the configuration does not give (the same as ``nodeforge simulate
        --replay``)."""
        if self.replay is None:
            return
        from nodeforge.project.fsutil import ProjectError
        from nodeforge.runs.replay import load_replay, replayed

        try:
            replay = load_replay(
                self.flow,
                analysis,
                self.replay,
                db=self.records,
                connector=self.records_connector,
            )
        except ProjectError as exc:
            raise LaunchError(f"`replay`: {exc}") from None
        self.trigger, self.input, self.fixtures = replayed(
            replay,
            trigger=self.trigger,
            input_value=self.input,
            input_given=self.input_given,
            fixtures=self.fixtures,
        )
        self.warnings.extend(replay.notes)

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
    config.input_given = "input" in args or "inputFile" in args
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
    config.replay = _optional_str(args, "replay")
    if "records" in args:
        config.records = _path(args, "records", cwd)
    config.records_connector = _optional_str(args, "recordsConnector")
    if config.replay is None and (config.records is not None or config.records_connector):
        raise LaunchError("`records` and `recordsConnector` name where `replay` reads from")
    if config.records is not None and config.records_connector:
        raise LaunchError("give `records` or `recordsConnector`, not both")
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
