"""``build_parser(only)`` builds one sub-command's parser (start-up): it must be that
sub-command's parser exactly as the full parser has it, nested actions included."""

from __future__ import annotations

import argparse

import pytest

from nodeforge.cli import build_parser


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _helps(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, str]:
    """The help of a parser and of every nested sub-command's parser, by path."""
    out = {prefix: parser.format_help() + repr(sorted(parser._defaults))}
    for name, sub in _commands(parser).items():
        out.update(_helps(sub, f"{prefix} {name}"))
    return out


FULL = build_parser()


@pytest.mark.parametrize("command", sorted(_commands(FULL)))
def test_one_command_is_built_as_in_the_full_parser(command: str) -> None:
    partial = build_parser(command)
    commands = _commands(partial)
    assert list(commands) == [command]
    assert _helps(commands[command]) == _helps(_commands(FULL)[command])


def test_an_unknown_word_gets_the_full_parser() -> None:
    assert list(_commands(build_parser("no-such-command"))) == list(_commands(FULL))
