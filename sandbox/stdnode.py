"""The harness of a standard (or forked) node: a one-node flow compiled by ``codegen``.

The node is wrapped in a small flow: a manual trigger whose payload has the type that
reaches the node in the real flow, the node with its config, and one ``http/respond`` per
output port answering ``{"port": P, "value": input}``. The code generator turns that into
a Go module with the node's real executor (copied from the catalog or the workspace's
fork) and typed wiring; the compiled app's ``run`` command then runs one execution on the
input and prints the captured answer, which says which port fired with what value.

Config is compiled in, so the harness cache key is the hash of the generated module: node
type, version, config and executor source (a fork's edits) all change it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nodeforge.analysis import nodefiles
from nodeforge.analysis.engine import Analysis
from nodeforge.analysis.kits import kit_of
from nodeforge.analysis.types import ANY, schema_from_type
from nodeforge.analysis.workspace import standard_catalog

TRIGGER_ID = "nf_test_input"
FLOW_ID = "nf_node_harness"  # not *_test: its Go file would be a test file


class Unsupported(Exception):
    pass


def segment(analysis: Analysis, first: str, last: str | None) -> list[str]:
    """The nodes of the segment from ``first`` to ``last``: those on some path between
    them (``first`` alone without ``last``), in document order."""
    if last is None or last == first:
        return [first]
    graph = analysis.graph
    down = _walk(first, lambda n: [e.target for e in graph.successors.get(n, [])])
    if last not in down:
        raise Unsupported(f"`{last}` is not reached from `{first}`")
    up = _walk(last, lambda n: [e.source for e in graph.predecessors.get(n, [])])
    keep = down & up
    return [n.id for n in analysis.document.nodes if n.id in keep]


def _walk(start: str, step: Any) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in step(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def node_test_flow(
    analysis: Analysis, node_id: str, to: str | None = None
) -> tuple[str, list[str]]:
    """The text of the flow around ``node_id`` (or the segment from it to ``to``), and
    the output ports of the last node that are wired to answers."""
    members = segment(analysis, node_id, to)
    last = to or node_id
    inside = set(members)
    for member in members:
        facts = analysis.facts[member]
        if facts.manifest is None:
            raise Unsupported(f"`{member}` has an unknown node type")
        if facts.manifest.kind == "trigger":
            raise Unsupported(
                f"`{member}` is a trigger, which has no code to test; simulate the flow instead"
            )
        for site in facts.expressions:
            refs = site.result.references if site.result is not None else []
            others = sorted({r.node_id for r in refs if r.node_id not in inside})
            if others:
                raise Unsupported(
                    f"the config of `{member}` reads other nodes ({', '.join(others)}); "
                    "simulate the flow to test it with their data"
                )
    facts = analysis.facts[node_id]
    manifest = facts.manifest
    assert manifest is not None
    ports = list(manifest.inputs)
    if len(ports) != 1:
        raise Unsupported("only nodes with one input port can start a test")
    in_type = facts.input_types.get(ports[0]) or facts.declared_inputs.get(ports[0]) or ANY
    nodes: list[dict[str, Any]] = [
        {
            "id": TRIGGER_ID,
            "type": "trigger/manual",
            "version": "1.0.0",
            "config": {"input_schema": schema_from_type(in_type)},
        }
    ]
    for member in members:
        raw = _raw_node(analysis, member)
        nodes.append(
            {
                "id": member,
                "type": raw.get("type"),
                "version": raw.get("version"),
                "config": raw.get("config", {}),
            }
        )
    connections = [{"from": f"{TRIGGER_ID}.out", "to": f"{node_id}.{ports[0]}"}]
    for member in members:
        for e in sorted(analysis.graph.successors.get(member, []), key=lambda e: e.index):
            if e.target in inside and member != last:
                connections.append(
                    {"from": f"{e.source}.{e.source_port}", "to": f"{e.target}.{e.target_port}"}
                )
    last_manifest = analysis.facts[last].manifest
    assert last_manifest is not None
    wired: list[str] = []
    for port in last_manifest.outputs:
        rid = f"nf_out_{port}"
        nodes.append(
            {
                "id": rid,
                "type": "http/respond",
                "version": "1.0.0",
                "config": {
                    "status": 200,
                    "body": f'{{"port": {json.dumps(port)}, "value": input}}',
                },
            }
        )
        connections.append({"from": f"{last}.{port}", "to": f"{rid}.in"})
        wired.append(port)
    flow = {
        "nodeforge": "1",
        "id": FLOW_ID,
        "name": f"test of {node_id}" + (f" to {to}" if to else ""),
        "nodes": nodes,
        "connections": connections,
    }
    return json.dumps(flow, indent=2), wired


def _raw_node(analysis: Analysis, node_id: str) -> dict[str, Any]:
    for n in json.loads(analysis.document.text).get("nodes", []):
        if isinstance(n, dict) and n.get("id") == node_id:
            return n
    raise KeyError(node_id)


def module_files(
    analysis: Analysis, node_id: str, to: str | None = None
) -> tuple[dict[str, bytes], str, list[str]]:
    """The generated Go module of the node's (or segment's) test flow, its hash, and
    the packages of it that are trusted (the catalog's, forks' excluded).

    A workspace fork the code generator does not know yet is generated as its base type,
    with the base's executor package replaced by the fork's own Go files: the fork's real
    code is what runs."""
    from nodeforge.codegen.expr_go import CodegenError
    from nodeforge.codegen.module import FlowInput, generate_module

    text, _ = node_test_flow(analysis, node_id, to)
    forks = _forks(analysis, segment(analysis, node_id, to))
    root = analysis.workspace.root
    where = (root or Path("/nonexistent")) / f"{FLOW_ID}.flow.json"

    def generate(flow_text: str) -> tuple[dict[str, bytes], str, list[str]]:
        try:
            module = generate_module(
                root, [FlowInput(where, f"{FLOW_ID}.flow.json", flow_text)], records=False
            )
        except CodegenError as exc:
            raise Unsupported(f"cannot generate its Go code: {exc}") from exc
        if not module.ok:
            problems = [d.message for ds in module.diagnostics.values() for d in ds]
            raise Unsupported("cannot generate its Go code: " + "; ".join(problems[:3]))
        return module.files, module.content_hash, module.trusted_packages

    try:
        return generate(text)
    except Unsupported:
        if not forks:
            raise
    flow = json.loads(text)
    for n in flow["nodes"]:
        fork = forks.get(n["id"])
        if fork is not None:
            n["type"], n["version"] = fork.base_type, fork.base_version
    files, _, trusted = generate(json.dumps(flow, indent=2))
    return _with_fork_executors(files, forks, trusted)


def _forks(analysis: Analysis, members: list[str]) -> dict[str, Any]:
    from nodeforge.project.fork import fork_base

    found = {}
    for member in members:
        manifest = analysis.facts[member].manifest
        if manifest is not None and str(manifest.path) not in ("", "."):
            base = fork_base(manifest.path)
            if base is not None:
                found[member] = base
    return found


def _with_fork_executors(
    files: dict[str, bytes], forks: dict[str, Any], trusted_packages: list[str]
) -> tuple[dict[str, bytes], str, list[str]]:
    import hashlib
    import re

    from nodeforge.codegen.flowgen import go_package

    out = dict(files)
    trusted = set(trusted_packages)
    for fork in forks.values():
        package = go_package(fork.base_type)
        base = standard_catalog().get(fork.base_type, fork.base_version)
        if base is None or not kit_of(base).has_executor():
            raise Unsupported(f"{fork.base_type} has no executor package a fork could replace")
        folder = f"catalog/{fork.base_type}/{fork.base_version}/"
        for name in [k for k in out if k.startswith(folder) and k.endswith(".go")]:
            del out[name]
        trusted.discard(f"nodeforge.dev/{folder.rstrip('/')}")
        try:
            sources = nodefiles.go_files(fork.folder)  # no links, no special files
        except nodefiles.NodeFileError as exc:
            raise Unsupported(f"cannot read the fork's files: {exc}") from exc
        for name, data in sources.items():
            code = data.decode("utf-8", "replace")
            code = re.sub(r"^package\s+\w+", f"package {package}", code, count=1, flags=re.M)
            out[folder + name] = code.encode()
    h = hashlib.sha256()
    for name in sorted(out):
        h.update(name.encode() + b"\0" + out[name] + b"\0")
    return out, h.hexdigest(), sorted(trusted)


def parse_captured(stdout: bytes) -> dict[str, Any] | None:
    """The app's ``run`` answer (the last JSON line of its stdout)."""
    for line in reversed(stdout.decode("utf-8", "replace").strip().splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None
