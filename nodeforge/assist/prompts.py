"""The messages and answer schemas of the assistant's features, as plain functions.

Each feature sends one system message (what the model is, the catalog context, the
answer's shape) and one user message (the task). A repair round replaces the earlier
rounds with the model's last answer and the problems found in it
(:func:`repair_message`), so a request never grows past one proposal and its problems.

Nothing here reads files or the environment: callers hand in the context text, which
holds names and types, never settings or ``env`` values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from nodeforge.llm.types import Message

#: At most this many problems go back to the model in one repair round.
MAX_PROBLEMS = 20
#: Compiler and test output sent back is cut to this many characters.
MAX_OUTPUT_CHARS = 4000

FLOW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "nodeforge": {"type": "string", "enum": ["1"]},
        "id": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "nodes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "type": {"type": "string"},
                    "version": {"type": "string"},
                    "title": {"type": "string"},
                    "config": {"type": "object"},
                },
                "required": ["id", "type", "version", "config"],
            },
        },
        "connections": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
                "required": ["from", "to"],
            },
        },
    },
    "required": ["nodeforge", "id", "name", "nodes", "connections"],
}

ADAPTER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "mapping": {
            "type": "object",
            "description": "target field name -> expression over `input`",
            "additionalProperties": {"type": "string"},
        }
    },
    "required": ["mapping"],
}

TEST_CASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "input": {},
        "expect": {
            "type": "object",
            "properties": {"port": {"type": "string"}, "value": {}},
            "required": ["port"],
        },
    },
    "required": ["name", "input", "expect"],
}

CUSTOMIZE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "source": {"type": "string", "description": "the whole new Go source of the node"},
        "test": TEST_CASE_SCHEMA,
        "notes": {"type": "string"},
    },
    "required": ["source", "test"],
}


KIT_CUSTOMIZE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "files": {
            "type": "object",
            "description": "the Go files you change or add, by name, each as the whole new file",
            "additionalProperties": {"type": "string"},
        },
        "test": {
            "type": "object",
            "properties": {
                "file": {"type": "string", "description": "a new file name ending in _test.go"},
                "source": {"type": "string", "description": "the Go test file"},
            },
            "required": ["file", "source"],
        },
        "notes": {"type": "string"},
    },
    "required": ["files", "test"],
}


def _system(role: str, context: str, answer: str) -> Message:
    return Message("system", f"{role}\n\n{context}\n\n{answer}")


def flow_messages(context: str, description: str, *, editing: bool) -> list[Message]:
    """Ask for a new flow, or for the edited version of the flow in ``context``."""
    role = (
        "You are Nodeforge's flow assistant. You write flow files: JSON documents of typed, "
        "versioned nodes and their connections. Every flow you write is type-checked; "
        "only a flow without errors is shown to the user."
    )
    if editing:
        answer = (
            "Answer with the whole edited flow as one JSON object (the flow file), keeping "
            "its id, the nodes and settings the change does not touch, and their order."
        )
        task = f"Change the current flow: {description}"
    else:
        answer = "Answer with the flow file as one JSON object, nothing else."
        task = f"Write a flow: {description}"
    return [_system(role, context, answer), Message("user", task)]


def adapter_messages(
    context: str,
    *,
    source: str,
    target: str,
    source_type: str,
    target_type: str,
    matched: Mapping[str, str],
    unmatched: Sequence[str],
) -> list[Message]:
    """Ask for the ``data/map`` mapping between two incompatible ports."""
    role = (
        "You are Nodeforge's adapter assistant. A connection joins two ports whose types "
        "do not fit; a data/map node between them builds the target's value, one field "
        "per entry of `mapping`, each an expression over `input` (the source's value)."
    )
    answer = (
        'Answer with {"mapping": {"<target field>": "<expression>"}} covering every '
        "target field listed; nested objects are written as object literals, e.g. "
        '{"customer": "{\\"email\\": input.mail}"}.'
    )
    lines = [
        f"Connection: `{source}` -> `{target}`.",
        f"The source produces: {source_type}",
        f"The target accepts: {target_type}",
    ]
    if matched:
        lines.append(
            "Already matched by name and type (keep or improve): "
            + json.dumps(dict(matched), ensure_ascii=False)
        )
    lines.append("Fields no source field matches by name and type: " + ", ".join(unmatched))
    return [_system(role, context, answer), Message("user", "\n".join(lines))]


def customize_messages(
    context: str,
    *,
    node: str,
    source: str,
    input_type: str,
    output_type: str,
    change: str,
    tests: Sequence[Mapping[str, Any]],
) -> list[Message]:
    """Ask for a ``code/go`` node's new source and one test that shows the change."""
    role = (
        "You are Nodeforge's Go assistant. A code/go node is one Go file defining "
        "`func Run(ctx context.Context, in Input) (Output, error)`; `Input` and `Output` "
        "are generated from the node's schemas (fields in Go style: `sku` -> `SKU`, "
        "optional scalars as pointers). Only the standard library is available. Your code "
        "is compiled and tested in a sandbox before the user sees it."
    )
    answer = (
        'Answer with {"source": "<the whole new Go file>", "test": {"name": "...", '
        '"input": <the node\'s input>, "expect": {"port": "out", "value": <the output>}}} '
        "where the test shows the change working."
    )
    body = [
        f"Node `{node}`. Input: {input_type}. Output: {output_type}.",
        "Current source:",
        "```go",
        source.rstrip(),
        "```",
    ]
    if tests:
        body.append("Its tests, which must still pass: " + json.dumps(list(tests)))
    body.append(f"The change: {change}")
    return [_system(role, context, answer), Message("user", "\n".join(body))]


def kit_customize_messages(
    context: str,
    *,
    node: str,
    kit: str,
    package: str,
    files: Mapping[str, str],
    tests: Mapping[str, str],
    template: str,
    change: str,
) -> list[Message]:
    """Ask for the changed Go files of a forked or custom node's kit and one new test."""
    role = (
        f"You are Nodeforge's Go assistant. Node kit {kit} is a Go package `{package}` "
        "(the node's executor) importing the runtime `nodeforge.dev/catalog/nf`; a "
        "generated app calls it from the call-site template shown, so keep the functions "
        "and types it uses (their names and signatures). Only the standard library and "
        "`nf` are available. Your files are compiled and the package's tests run in a "
        "sandbox before the user sees them."
    )
    answer = (
        'Answer with {"files": {"<name>.go": "<the whole new file>"}, "test": {"file": '
        '"<new name>_test.go", "source": "<a Go test file of package '
        f'{package}>"}}}}: only the files you change or add, and one new test showing the '
        "change working. The kit's existing tests must still pass."
    )
    body = [f"Node `{node}` is a {kit} node."]
    for name, text in sorted(files.items()):
        body += [f"File {name}:", "```go", text.rstrip(), "```"]
    for name, text in sorted(tests.items()):
        body += [f"Test file {name} (must still pass):", "```go", clip(text, 4000), "```"]
    if template:
        body += ["Call-site template (call.go.j2):", "```jinja", template.rstrip(), "```"]
    body.append(f"The change: {change}")
    return [_system(role, context, answer), Message("user", "\n".join(body))]


def repair_message(problems: Sequence[str]) -> str:
    """The user message of a repair round: what is wrong with the last answer."""
    shown = list(problems[:MAX_PROBLEMS])
    more = len(problems) - len(shown)
    lines = ["Your answer has problems. Fix all of them and answer again in the same form:"]
    lines.extend(f"- {p}" for p in shown)
    if more > 0:
        lines.append(f"- ... and {more} more")
    return "\n".join(lines)


def clip(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """Compiler or test output cut to ``limit`` characters (its end kept: errors are last)."""
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-(limit - 3) :]
