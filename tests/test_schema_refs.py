"""A schema's references resolve within it, and nothing a schema says makes Nodeforge
fetch a URL: node kits come from the workspaces an editor opens, and a kit whose
config schema pointed `$ref` at `http://...` made `nodeforge check` (and the language
server) send requests there, twice (fastjsonschema and jsonschema each fetched it)."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest

from nodeforge.analysis.schemas import NO_RETRIEVAL, local_validator, reference_issues


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        body = json.dumps({"type": "string"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local server that answers any GET with a schema, and records the requests."""
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _paths(schema: Any) -> list[tuple[tuple[str | int, ...], str]]:
    return [(issue.path, issue.message) for issue in reference_issues(schema)]


def test_reference_issues_name_every_reference_outside_the_schema() -> None:
    schema = {
        "type": "object",
        "$defs": {"word": {"type": "string"}},
        "properties": {
            "a": {"$ref": "#/$defs/word"},
            "b": {"$ref": "#"},
            "c": {"$ref": "https://example.com/x.json"},
            "d": {"items": {"$ref": "other.json#/a"}},
            "e": {"$ref": "#/$defs/missing"},
            "f": {"$dynamicRef": "http://example.com/meta"},
            "g": {"$dynamicRef": "#meta"},
            # a property named `$ref` is a name, not a reference
            "h": {"type": "object", "properties": {"$ref": {"type": "string"}}},
        },
    }
    found = _paths(schema)
    assert [path for path, _ in found] == [
        ("properties", "c", "$ref"),
        ("properties", "d", "items", "$ref"),
        ("properties", "e", "$ref"),
        ("properties", "f", "$dynamicRef"),
    ]
    assert "points outside the schema" in found[0][1]
    assert "does not resolve" in found[2][1]


def test_validators_never_fetch(server: tuple[str, list[str]]) -> None:
    url, seen = server
    remote = {"type": "object", "properties": {"x": {"$ref": f"{url}/evil.json"}}}
    with pytest.raises(Exception, match=r"resolve within the schema only|evil"):
        fastjsonschema.compile(remote, handlers=NO_RETRIEVAL, use_formats=False)
    with pytest.raises(Exception, match="evil"):
        list(local_validator(remote).iter_errors({"x": 1}))
    assert seen == []
    # references within the schema still work, in both
    local = {"$defs": {"w": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/w"}}}
    fast = fastjsonschema.compile(local, handlers=NO_RETRIEVAL, use_formats=False)
    fast({"x": "a"})
    with pytest.raises(fastjsonschema.JsonSchemaValueException):
        fast({"x": 1})
    assert [e.message for e in local_validator(local).iter_errors({"x": 1})] == [
        "1 is not of type 'string'"
    ]


def _kit_workspace(root: Path, ref: str) -> Path:
    kit = root / "nodes" / "acme" / "probe" / "1.0.0"
    kit.mkdir(parents=True)
    (root / "nodeforge.toml").write_text('[project]\nname = "probe"\n')
    manifest = {
        "type": "acme/probe",
        "version": "1.0.0",
        "title": "Probe",
        "description": "A node whose config schema refers to a URL.",
        "category": "acme",
        "icon": "box",
        "kind": "action",
        "config_schema": {"type": "object", "properties": {"x": {"$ref": ref}}},
        "inputs": {"in": {"description": "in", "schema": {}}},
        "outputs": {"out": {"description": "out", "schema": {}}},
    }
    (kit / "node.json").write_text(json.dumps(manifest, indent=2))
    flow = {
        "nodeforge": "1",
        "id": "probe",
        "name": "probe",
        "nodes": [
            {
                "id": "start",
                "type": "trigger/manual",
                "version": "1.0.0",
                "position": {"x": 0, "y": 0},
                "config": {},
            },
            {
                "id": "n",
                "type": "acme/probe",
                "version": "1.0.0",
                "position": {"x": 200, "y": 0},
                "config": {"x": 5},
            },
        ],
        "connections": [{"from": "start.out", "to": "n.in"}],
    }
    path = root / "probe.flow.json"
    path.write_text(json.dumps(flow, indent=2))
    return path


def test_a_kit_schema_pointing_at_a_url_is_a_located_error_and_nothing_is_fetched(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    url, seen = server
    flow = _kit_workspace(tmp_path, f"{url}/evil.json")
    run = subprocess.run(
        [sys.executable, "-m", "nodeforge", "check", str(flow)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout + run.stderr
    assert seen == [], out
    assert run.returncode != 0, out
    assert "node.json" in out and "points outside the schema" in out, out
    assert "Internal error" not in out, out
