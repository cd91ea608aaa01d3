"""``nodeforge node new CATEGORY/NAME``: scaffold a node kit in the workspace pack.

The kit (``nodes/<name>/``) checks, builds, simulates and tests from the start: a
manifest with one templated config value and a worked example, a Go executor with its
test, the call-site template, a declared simulation (workspace packs cannot run Python
simulations) and a documentation page. docs/writing-nodes.md walks through each file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from nodeforge.analysis.catalog import Catalog
from nodeforge.analysis.kits import DOC_FILE, TEMPLATE_FILE
from nodeforge.analysis.workspace import load_workspace
from nodeforge.project.fork import go_package
from nodeforge.project.fsutil import ProjectError

__all__ = ["new_kit"]

_TYPE = re.compile(r"^[a-z][a-z0-9_]*/[a-z][a-z0-9_]*$")

ERROR_PORT = {
    "description": "Emitted instead of `out` when the node fails. Leave it unconnected "
    "to fail the whole execution.",
    "schema": {
        "type": "object",
        "properties": {
            "message": {"type": "string"},
            "code": {"type": "string"},
            "retryable": {"type": "boolean"},
        },
        "required": ["message", "code", "retryable"],
    },
}


def _manifest(type_: str, version: str) -> dict[str, object]:
    category, name = type_.split("/", 1)
    return {
        "type": type_,
        "version": version,
        "title": name.replace("_", " ").capitalize(),
        "description": "Renders `text` (a template over the input) and emits it as `{text}`.",
        "category": category,
        "icon": "box",
        "kind": "action",
        "config_schema": {
            "type": "object",
            "properties": {
                "text": {
                    "type": "string",
                    "description": "The text to emit; `{{ ... }}` holes are expressions over "
                    "the input.",
                    "minLength": 1,
                    "examples": ["Hello {{ input.name }}"],
                }
            },
            "required": ["text"],
            "additionalProperties": False,
        },
        "inputs": {
            "in": {
                "description": "The data this node works on; `input` in expressions.",
                "schema": {},
            }
        },
        "outputs": {
            "out": {
                "description": "The rendered text.",
                "schema": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}},
                    "required": ["text"],
                    "additionalProperties": False,
                },
            },
            "error": ERROR_PORT,
        },
        "templates": ["text"],
        "simulation": {"kind": "declared", "port": "out", "value": {"text": {"$template": "text"}}},
        "examples": [
            {
                "name": "greets",
                "config": {"text": "Hello {{ input.name }}"},
                "input": {"name": "Ada"},
                "outputs": {"out": {"text": "Hello Ada"}},
            }
        ],
    }


TEMPLATE = """\
{#- TYPE VERSION: the Go the code generator writes for each node (docs/writing-nodes.md). -#}
{% set pkg = node.package() %}
{{ node.start() }}
{{ node.line("text") }}
text := {{ node.text("text") }}
result, err := {{ pkg }}.Run(r.x, text)
{{ node.check_error() }}
{{ node.finish({"text": "result"}) }}
"""

EXECUTOR = """\
// Package PKG is the executor of TYPE VERSION: it returns the text it is given.
package PKG

import "nodeforge.dev/catalog/nf"

// Run returns text. Return an nf.NodeError to fail the node (it goes to the error port).
func Run(x *nf.Exec, text string) (string, error) {
	return text, nil
}
"""

EXECUTOR_TEST = """\
package PKG

import "testing"

func TestRunReturnsTheText(t *testing.T) {
	got, err := Run(nil, "Hello Ada")
	if err != nil || got != "Hello Ada" {
		t.Fatalf("Run = %q, %v", got, err)
	}
}
"""

DOC = """\
Renders `text`, a template over the input, and emits it as `{"text": ...}`.

Replace this page with what your node does, when to use it, and an example.
"""


def new_kit(root: Path, type_: str, version: str = "1.0.0") -> Path:
    """Write the kit of ``type_`` at ``version`` into ``nodes/<name>/`` and return the
    folder. Refuses a type the catalog already has and an existing folder."""
    if not _TYPE.match(type_):
        raise ProjectError(
            f"invalid node type `{type_}`: use `category/name` with lower-case letters, "
            "digits and `_`"
        )
    workspace = load_workspace(root)
    if type_ in workspace.catalog:
        raise ProjectError(f"`{type_}` already exists in the catalog: choose another name")
    name = type_.split("/", 1)[1]
    dest = root / "nodes" / name
    if dest.exists():
        raise ProjectError(f"{dest.relative_to(root)} already exists")
    pkg = go_package(type_)
    files = {
        "node.json": json.dumps(_manifest(type_, version), indent=2) + "\n",
        TEMPLATE_FILE: TEMPLATE.replace("TYPE", type_).replace("VERSION", version),
        f"{name}.go": EXECUTOR.replace("PKG", pkg)
        .replace("TYPE", type_)
        .replace("VERSION", version),
        f"{name}_test.go": EXECUTOR_TEST.replace("PKG", pkg),
        DOC_FILE: DOC,
    }
    dest.mkdir(parents=True)
    for rel, text in files.items():
        (dest / rel).write_text(text, encoding="utf-8")
    Catalog.load_standard().with_custom(dest)  # it must load as a custom node
    return dest
