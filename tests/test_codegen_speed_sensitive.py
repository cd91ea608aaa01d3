"""generate_module walks the configs for sensitive properties only when a flow's text can
mark one (the key as written, or a \\u escape that may spell it): a key written either
way is still found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nodeforge.codegen.module import collect_flows, generate_module

FLOW = """{
  "nodeforge": "1", "id": "f", "name": "F",
  "nodes": [
    {"id": "t", "type": "http/trigger", "version": "1.0.0", "position": {"x": 0, "y": 0},
     "config": {"method": "POST", "path": "/f", "body_schema": {"type": "object",
       "properties": {"a": {"type": "string"%s}, "b": {"type": "string"}}}}},
    {"id": "r", "type": "http/respond", "version": "1.0.0", "position": {"x": 1, "y": 0},
     "config": {"status": 200, "body": "input.body"}}
  ],
  "connections": [{"from": "t.out", "to": "r.in"}]
}
"""


@pytest.mark.parametrize(
    ("mark", "want"),
    [
        ("", None),
        (', "x-sensitive": true', '"a"'),
        (', "writeOnly": true', '"a"'),
        (', "write\\u004fnly": true', '"a"'),  # escaped in the text
        (', "description": "caf\\u00e9"', None),  # an escape, no mark
    ],
)
def test_sensitive_properties_are_found_as_written(
    tmp_path: Path, mark: str, want: str | None
) -> None:
    (tmp_path / "nodeforge.toml").write_text('[project]\nname = "s"\n')
    text = FLOW % mark
    json.loads(text)
    (tmp_path / "f.flow.json").write_text(text)
    root, flows = collect_flows(tmp_path)
    result = generate_module(root, flows)
    assert result.ok, result.diagnostics
    main = result.files["main.go"].decode()
    if want is None:
        assert "nf.Sensitive(" not in main
    else:
        assert f"nf.Sensitive({want})" in main
