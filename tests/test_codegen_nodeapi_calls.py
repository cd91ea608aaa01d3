"""Trusted call-site templates call the generator's API directly (``nodeapi._DirectCalls``):
they render what jinja2's own compiled code renders, for the API and for any other
``node`` (a template that rebinds it, a stand-in)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from nodeforge.codegen.nodeapi import NodeAPI, _options, _render, load_template

TEMPLATE = """\
{% set pkg = node.package() %}
{{ node.line("message") }}
{% for key in node.config.fields %}
f{{ loop.index }} := {{ node.any_expr("fields", key) }} {{ node.text(key, default="d") }}
{% endfor %}
{{ pkg }}.Run({{ node.string(node.id) }}{{ node.emit("out", "v", go=none) }})
{% set node = other %}
{{ node.string("after") }} {{ node.upper() }}
"""


def _api() -> NodeAPI:
    """A NodeAPI whose methods answer from their arguments (no flow behind it)."""
    api = NodeAPI.__new__(NodeAPI)
    api.id, api.config = "n1", {"fields": ["a", "b"]}
    api.package = lambda: "pkg"  # type: ignore[method-assign]
    api.line = lambda *path: f"//line {path}"  # type: ignore[method-assign]
    api.any_expr = lambda *path: f"expr{path}"  # type: ignore[method-assign]
    api.text = lambda *path, default="": f"text{path}{default}"  # type: ignore[method-assign]
    api.string = lambda v: f'"{v}"'  # type: ignore[method-assign]
    api.emit = lambda port, value, go=None: f", {port}={value}/{go}"  # type: ignore[method-assign]
    return api


class _Other:
    def string(self, v: Any) -> str:
        return f"<{v}>"

    def upper(self) -> str:
        return "UP"


@pytest.mark.parametrize("node", [_api(), "stand-in"], ids=["api", "other"])
def test_direct_calls_render_as_jinja2_does(tmp_path: Path, node: Any) -> None:
    path = tmp_path / "call.go.j2"
    path.write_text(TEMPLATE)
    trusted = load_template(path, trusted=True)
    plain = jinja2.Environment(**_options()).from_string(TEMPLATE)
    if isinstance(node, str):  # not the API: jinja2's path, and its errors
        with pytest.raises(jinja2.UndefinedError):
            _render(trusted, node)  # type: ignore[arg-type]
        with pytest.raises(jinja2.UndefinedError):
            plain.render(node=node, other=_Other())
        return
    trusted.globals["other"] = _Other()
    assert _render(trusted, node) == plain.render(node=node, other=_Other())
    assert "f2 := expr('fields', 'b') text('b',)d" in _render(trusted, node)


def test_a_dicts_names_read_as_jinja2_reads_them() -> None:
    from nodeforge.codegen.nodeapi import _TRUSTED

    plain = jinja2.Environment(**_options())
    config = {"level": "info", "items": 3, "mro": 1, "get": 2}
    for name in ("level", "items", "mro", "get", "missing", "__class__", "fromkeys"):
        mine, theirs = _TRUSTED.getattr(config, name), plain.getattr(config, name)
        assert type(mine) is type(theirs) and repr(mine) == repr(theirs), name


def test_an_untrusted_template_changes_only_its_own_copy_of_the_config(tmp_path: Path) -> None:
    """The sandbox lets a template call ``dict.update``: an untrusted one gets copies of
    the config, so the analysed document (shared with the editor) keeps its values."""
    from nodeforge.codegen.nodeapi import render_call

    path = tmp_path / "call.go.j2"
    path.write_text(
        '{% set _ = node.config["values"].update({"x": "changed"}) %}'
        '{% set _ = node.written["values"].update({"x": "changed"}) %}'
        '{{ node.config["values"].x }} {{ node.written["values"].x }}'
    )
    shared = {"values": {"x": "input.a"}}
    api = _api()
    api.config, api.written = {"values": shared["values"]}, {"values": shared["values"]}
    assert render_call(load_template(path, trusted=False), api, path) == ["changed changed"]
    assert shared == {"values": {"x": "input.a"}}
