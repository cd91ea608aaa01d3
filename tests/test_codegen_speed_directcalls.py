"""Trusted call-site templates call a dict's ``update`` and a list's ``append`` directly,
and read ``loop.index`` directly (``nodeapi._DirectCalls``): they render what jinja2's own
compiled code renders, for those values and for any other value of those names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from nodeforge.codegen.nodeapi import _options, _render, load_template

TEMPLATE = """\
{% set values = start %}
{% set args = [] %}
{% for key in keys %}
v{{ loop.index }}/{{ loop.index0 }} := {{ key }}
{% set _ = values.update({key: "v" ~ loop.index}) %}
{% set _ = args.append(", " ~ key ~ loop.index) %}
{% endfor %}
{{ values | dictsort }} {{ args | join("") }}
{% set loop = other %}{{ loop.index }}
"""


class _Updatable:
    """Not a dict: its update goes jinja2's way (Context.call)."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def update(self, value: Any) -> str:
        self.seen.append(value)
        return "updated"

    def items(self) -> list[tuple[str, str]]:
        return [("seen", str(self.seen))]


class _Indexed:
    index = "I"


@pytest.mark.parametrize(
    "start",
    [lambda: {}, lambda: {"z": "0"}, _Updatable],
    ids=["dict", "dict with a key", "other"],
)
def test_direct_container_calls_render_as_jinja2_does(tmp_path: Path, start: Any) -> None:
    path = tmp_path / "call.go.j2"
    path.write_text(TEMPLATE)
    trusted = load_template(path, trusted=True)
    plain = jinja2.Environment(**_options()).from_string(TEMPLATE)

    def names() -> dict[str, Any]:
        return {"start": start(), "keys": ["a", "b", "c"], "other": _Indexed()}

    trusted.globals.update(names())
    mine = _render(trusted, None)  # type: ignore[arg-type]
    assert mine == plain.render(**names())
    assert "v3/2 := c" in mine
    assert "I" in mine.splitlines()[-1]


def test_a_missing_container_fails_as_in_jinja2(tmp_path: Path) -> None:
    path = tmp_path / "call.go.j2"
    text = "{% set _ = nothing.update({}) %}{% for x in [1] %}{{ nothing.append(x) }}{% endfor %}"
    path.write_text(text)
    trusted = load_template(path, trusted=True)
    plain = jinja2.Environment(**_options()).from_string(text)
    with pytest.raises(jinja2.UndefinedError) as mine:
        _render(trusted, None)  # type: ignore[arg-type]
    with pytest.raises(jinja2.UndefinedError) as theirs:
        plain.render()
    assert str(mine.value) == str(theirs.value)
