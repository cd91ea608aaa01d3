"""The checks behind the rules of :mod:`registry`, in the order the engine runs them.

Each check reads the context, reports diagnostics and may leave facts for the
checks after it (the graph, the typed ports). Messages say what to do, and
``data`` carries what a quick fix needs.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Any

import fastjsonschema
import jsonschema

from nodeforge.analysis.diagnostics import Related, Severity, Tag
from nodeforge.analysis.engine import (
    Check,
    NodeFacts,
    _Context,
    active_output_ports,
    check_string,
    collect_expression_sites,
    resolve_port_schema,
    union_of,
)
from nodeforge.analysis.expressions import TypeEnv
from nodeforge.analysis.flow import ConnectionInfo, Endpoint, NodeInfo
from nodeforge.analysis.graph import Edge, FlowGraph
from nodeforge.analysis.model import flow_json_schema
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import ANY, Field, ObjectType, Type, check_assignable, describe

# -- NF001 syntax ------------------------------------------------------------------


def check_syntax(ctx: _Context) -> None:
    for error in ctx.doc.parsed.errors:
        ctx.report("NF001", error.message, error.span)


# -- NF002 file structure ------------------------------------------------------------


@lru_cache(maxsize=1)
def _structure_validator() -> Any:
    return fastjsonschema.compile(flow_json_schema())


def check_structure(ctx: _Context) -> None:
    root = ctx.doc.root
    if root is None:
        return
    if root.kind != "object":
        ctx.report("NF002", "A flow file must be a JSON object", root.span)
        return
    try:
        _structure_validator()(root.value)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    validator = jsonschema.Draft202012Validator(flow_json_schema())
    for error in validator.iter_errors(root.value):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in allowed:
                    hint = _did_you_mean(key, allowed)
                    ctx.report(
                        "NF002",
                        f"Unknown field `{key}`{hint}",
                        ctx.doc.key_span((*path, key)),
                        data={"key": key},
                    )
            continue
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [k for k in error.validator_value if k not in error.instance]
            span = ctx.doc.key_span(path) if path else ctx.doc.span_of(path)
            for key in missing:
                ctx.report("NF002", f"Missing required field `{key}`", span, data={"key": key})
            continue
        where = "/".join(str(p) for p in path) or "document"
        ctx.report("NF002", f"`{where}`: {_schema_message(error)}", ctx.doc.span_of(path))


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "pattern":
        return f"{error.instance!r} does not match `{error.validator_value}`"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(error.instance).__name__}"
    return error.message


def _did_you_mean(word: str, options: set[str] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


# -- NF003-NF006, NF020-NF022 nodes ---------------------------------------------------------


def check_nodes(ctx: _Context) -> None:
    doc, catalog = ctx.doc, ctx.workspace.catalog
    first_of: dict[str, NodeInfo] = {}
    for node in doc.nodes:
        if node.id is not None:
            if node.id in first_of:
                other = first_of[node.id]
                ctx.report(
                    "NF003",
                    f"Duplicate node id `{node.id}`: ids must be unique",
                    doc.span_of((*node.path, "id")),
                    related=(Related(doc.span_of((*other.path, "id")), "first defined here"),),
                )
            else:
                first_of[node.id] = node
        if node.type is None:
            continue
        versions = catalog.versions(node.type)
        if not versions:
            suggestion = catalog.suggest(node.type)
            hint = f"; did you mean `{suggestion}`?" if suggestion else ""
            ctx.report(
                "NF004",
                f"Unknown node type `{node.type}`{hint}",
                doc.span_of((*node.path, "type")),
                data={"suggestion": suggestion} if suggestion else {},
            )
            continue
        if node.version is None:
            continue
        manifest = catalog.get(node.type, node.version)
        if manifest is None:
            ctx.report(
                "NF005",
                f"`{node.type}` has no version `{node.version}`; "
                f"known versions: {', '.join(versions)}",
                doc.span_of((*node.path, "version")),
                data={"versions": versions, "latest": versions[-1]},
            )
            continue
        _check_config(ctx, node, manifest)
        _check_connector(ctx, node, manifest)
        latest = versions[-1]
        if manifest.deprecated:
            ctx.report(
                "NF022",
                f"`{node.type}@{node.version}` is deprecated: {manifest.deprecated}",
                doc.span_of((*node.path, "type")),
                tags=(Tag.DEPRECATED,),
            )
        if latest != node.version:
            ctx.report(
                "NF021",
                f"`{node.type}` {node.version} can be upgraded to {latest}",
                doc.span_of((*node.path, "version")),
                data={"type": node.type, "from": node.version, "to": latest},
            )


def _check_config(ctx: _Context, node: NodeInfo, manifest: Any) -> None:
    doc = ctx.doc
    config_path = (*node.path, "config")
    raw_config = node.value.get("config")
    if raw_config is not None and not isinstance(raw_config, dict):
        return  # NF002 already says that config must be an object
    for error in manifest.validate_config(node.config):
        path = (*config_path, *error.path)
        data: dict[str, Any] = {"validator": error.validator}
        if error.validator == "additionalProperties" and error.key is not None:
            span = doc.key_span(path)  # the path ends at the unknown key itself
            data["key"] = error.key
            if error.suggestion:
                data["suggestion"] = error.suggestion
        elif error.validator == "required":
            span = doc.key_span(path) if raw_config is not None else doc.span_of(node.path)
            if not error.path:
                data["defaults"] = manifest.default_config()
        else:
            span = doc.span_of(path)
        ctx.report("NF006", error.message, span, data=data)


def _check_connector(ctx: _Context, node: NodeInfo, manifest: Any) -> None:
    name = node.config.get("connector")
    if not manifest.connectors or not isinstance(name, str):
        return
    connectors = ctx.workspace.connectors
    span = ctx.doc.span_of((*node.path, "config", "connector"))
    fitting = sorted(n for n, kind in connectors.items() if kind in manifest.connectors)
    if name not in connectors:
        hint = _did_you_mean(name, fitting)
        if not hint and fitting:
            hint = f"; defined: {', '.join(fitting)}"
        ctx.report(
            "NF020",
            f"Unknown connector `{name}`{hint}. "
            f"Add it with `nodeforge connector add {name} --type {manifest.connectors[0]}`",
            span,
            data={"connectors": fitting},
        )
    elif connectors[name] not in manifest.connectors:
        ctx.report(
            "NF020",
            f"Connector `{name}` is of type {connectors[name]}; `{manifest.type}` needs "
            f"{' or '.join(manifest.connectors)}",
            span,
            data={"connectors": fitting},
        )


# -- NF007, NF008, NF023 connections and the graph ---------------------------------------------


def check_connections(ctx: _Context) -> None:
    doc = ctx.doc
    nodes: dict[str, NodeInfo] = {}
    for node in doc.nodes:
        if node.id is not None:
            nodes.setdefault(node.id, node)
    manifests = {nid: ctx.manifest(node) for nid, node in nodes.items()}
    edges: list[Edge] = []
    seen: dict[tuple[str, str, str, str], ConnectionInfo] = {}
    for conn in doc.connections:
        source = _endpoint(ctx, conn, "from", conn.source, nodes, manifests, output=True)
        target = _endpoint(ctx, conn, "to", conn.target, nodes, manifests, output=False)
        if source is None or target is None:
            continue
        key = (source.node, source.port or "", target.node, target.port or "")
        if key in seen:
            ctx.report(
                "NF023",
                f"Duplicate connection `{conn.value.get('from')}` -> `{conn.value.get('to')}`",
                doc.span_of(conn.path),
                tags=(Tag.UNNECESSARY,),
                related=(Related(doc.span_of(seen[key].path), "first listed here"),),
                data={"index": conn.index},
            )
            continue
        seen[key] = conn
        edges.append(
            Edge(source.node, source.port or "", target.node, target.port or "", conn.index)
        )
    # A trigger with a wrong version is still a trigger: judge the kind by the type.
    catalog = ctx.workspace.catalog
    triggers = [
        nid
        for nid, node in nodes.items()
        if (m := manifests[nid] or (catalog.latest(node.type) if node.type else None))
        and m.kind == "trigger"
    ]
    joins = [
        nid
        for nid, m in manifests.items()
        if m is not None and sum(1 for p in m.inputs.values() if p.required) > 1
    ]
    ctx.graph = FlowGraph(nodes, edges, triggers, joins)


def _endpoint(
    ctx: _Context,
    conn: ConnectionInfo,
    key: str,
    endpoint: Endpoint | None,
    nodes: dict[str, NodeInfo],
    manifests: dict[str, Any],
    *,
    output: bool,
) -> Endpoint | None:
    """The endpoint if it names an existing port of the right direction, else report."""
    if endpoint is None:
        return None  # missing or not a string: NF002 reports it
    doc = ctx.doc
    span = doc.span_of((*conn.path, key))
    data = {"index": conn.index, "key": key}
    if endpoint.node not in nodes:
        hint = _did_you_mean(endpoint.node, list(nodes))
        ctx.report("NF007", f"Unknown node `{endpoint.node}`{hint}", span, data=data)
        return None
    manifest = manifests[endpoint.node]
    if manifest is None:
        return endpoint  # unknown type: NF004 reports it; keep the edge for the graph
    ports = manifest.outputs if output else manifest.inputs
    other = manifest.inputs if output else manifest.outputs
    direction = "output" if output else "input"
    if endpoint.port is None:
        if len(ports) == 1:
            return Endpoint(endpoint.node, next(iter(ports)))
        names = ", ".join(ports) or "none"
        ctx.report(
            "NF007",
            f"Name the {direction} port: `{endpoint.node}.<port>` ({direction}s: {names})",
            span,
            data=data,
        )
        return None
    if endpoint.port in ports:
        return endpoint
    if endpoint.port in other:
        ctx.report(
            "NF008",
            f"`{endpoint.node}.{endpoint.port}` is an {'input' if output else 'output'} port; "
            f"`{key}` needs an {direction} port ({', '.join(ports) or 'none'})",
            span,
            data=data,
        )
        return None
    hint = _did_you_mean(endpoint.port, list(ports))
    names = ", ".join(ports) or "none"
    ctx.report(
        "NF007",
        f"`{manifest.type}` has no {direction} port `{endpoint.port}`{hint} ({direction}s: {names})",
        span,
        data=data,
    )
    return None


# -- NF011-NF013, NF016 graph shape ----------------------------------------------------------


def check_graph(ctx: _Context) -> None:
    doc, graph = ctx.doc, ctx.graph
    nodes = {n.id: n for n in reversed(doc.nodes) if n.id is not None}
    if doc.root is not None and doc.root.kind == "object" and not graph.triggers:
        span = doc.key_span(("nodes",)) if "nodes" in doc.value else doc.span_of(())
        ctx.report(
            "NF013",
            "The flow has no trigger: add `http/trigger`, `trigger/schedule` or `trigger/manual`",
            span if span.end - span.start < 200 else Span(span.start, span.start + 1),
        )
    loops = {nid for nid, node in nodes.items() if node.type == "flow/foreach"}
    for cycle in graph.cycles():
        if loops.intersection(cycle):
            continue
        first = nodes[cycle[0]]
        ctx.report(
            "NF011",
            f"Cycle without a loop node: {' -> '.join([*cycle, cycle[0]])}",
            doc.span_of((*first.path, "id")),
            related=tuple(
                Related(doc.span_of((*nodes[n].path, "id")), f"`{n}` is on the cycle")
                for n in cycle[1:]
            ),
        )
    if graph.triggers:
        reachable = graph.reachable()
        for nid in graph.nodes:
            if nid not in reachable:
                ctx.report(
                    "NF012",
                    f"Node `{nid}` is not reachable from any trigger",
                    doc.span_of((*nodes[nid].path, "id")),
                    tags=(Tag.UNNECESSARY,),
                )
    for nid in graph.nodes:
        manifest = ctx.manifest(nodes[nid])
        if manifest is None:
            continue
        connected = {e.target_port for e in graph.predecessors[nid]}
        for port, spec in manifest.inputs.items():
            if spec.required and port not in connected:
                ctx.report(
                    "NF016",
                    f"Input `{nid}.{port}` is not connected: connect an output to it",
                    doc.span_of((*nodes[nid].path, "id")),
                    data={"node": nid, "port": port},
                )


# -- NF009, NF010, NF017-NF019 types and expressions ---------------------------------------------


def check_types(ctx: _Context) -> None:
    doc, graph = ctx.doc, ctx.graph
    nodes = {n.id: n for n in reversed(doc.nodes) if n.id is not None}
    known = frozenset(nodes)
    outputs: dict[str, dict[str, Type]] = {}
    facts: dict[str, NodeFacts] = {}
    for nid, node in nodes.items():
        manifest = ctx.manifest(node)
        facts[nid] = NodeFacts(node, manifest)
        outputs[nid] = {p: ANY for p in manifest.outputs} if manifest else {}
    ctx.facts = facts
    for nid in graph.topological_order():
        fact = facts[nid]
        manifest = fact.manifest
        if manifest is None:
            continue
        node = fact.node
        arriving: dict[str, list[Type]] = {}
        for edge in graph.predecessors[nid]:
            source_type = outputs.get(edge.source, {}).get(edge.source_port, ANY)
            arriving.setdefault(edge.target_port, []).append(source_type)
        fact.input_types = {port: union_of(arriving.get(port, [])) for port in manifest.inputs}
        if len(manifest.inputs) == 1:
            input_type = next(iter(fact.input_types.values()))
        else:
            input_type = ObjectType(tuple(_field(p, t) for p, t in fact.input_types.items()), None)
        env = TypeEnv(
            input=input_type,
            nodes=outputs,
            visible_nodes=None,
            env_names=None,
            known_nodes=known,
        )
        fact.env = env
        fact.expressions = collect_expression_sites(node, manifest)
        types_by_path: dict[tuple[str | int, ...], Type] = {}
        for site in fact.expressions:
            site.env = env
            result, syntax_errors = check_string(site.source, site.is_template, env)
            site.result, site.syntax_errors = result, syntax_errors
            types_by_path[site.config_path] = result.type
            for err in syntax_errors:
                ctx.report("NF017", err.message, doc.string_span(site.path, err.start, err.end))
            for err in result.errors:
                code = "NF019" if err.code == "not-dominated" else "NF018"
                ctx.report(
                    code,
                    err.message,
                    doc.string_span(site.path, err.start, err.end),
                    severity=Severity.WARNING if err.severity == "warning" else None,
                )
            for ref in result.references:
                if ref.node_id in known and not graph.surely_runs_before(ref.node_id, nid):
                    ctx.report(
                        "NF019",
                        f"`nodes.{ref.node_id}` may not have run on every path to `{nid}`: "
                        "read it through `input`, or merge the paths first",
                        doc.string_span(site.path, ref.start, ref.end),
                        data={"node": ref.node_id},
                    )

        def expression_type(
            path: tuple[str | int, ...], types: dict[tuple[str | int, ...], Type] = types_by_path
        ) -> Type:
            return types.get(path, ANY)

        config = node.config
        fact.declared_inputs = {
            port: resolve_port_schema(spec.schema_, config, {}, expression_type)
            for port, spec in manifest.inputs.items()
        }
        fact.output_types = {
            port: resolve_port_schema(spec.schema_, config, fact.input_types, expression_type)
            for port, spec in manifest.outputs.items()
        }
        outputs[nid] = fact.output_types
    _check_connection_types(ctx, outputs)


def _field(name: str, t: Type) -> Field:
    return Field(name, t, True, None)


def _check_connection_types(ctx: _Context, outputs: dict[str, dict[str, Type]]) -> None:
    doc, graph, facts = ctx.doc, ctx.graph, ctx.facts
    for nid in graph.nodes:
        for edge in graph.predecessors[nid]:
            target = facts[nid]
            if target.manifest is None or edge.target_port not in target.declared_inputs:
                continue
            dst = target.declared_inputs[edge.target_port]
            src = outputs.get(edge.source, {}).get(edge.source_port, ANY)
            mismatches = check_assignable(src, dst)
            if not mismatches:
                continue
            worst = min(mismatches, key=lambda m: 0 if m.severity == "error" else 1)
            code = "NF009" if worst.severity == "error" else "NF010"
            details = "; ".join(m.message for m in mismatches[:3])
            more = f" (+{len(mismatches) - 3} more)" if len(mismatches) > 3 else ""
            source_node = facts.get(edge.source)
            related: tuple[Related, ...] = ()
            if source_node is not None:
                related = (
                    Related(
                        doc.span_of((*source_node.node.path, "id")),
                        f"`{edge.source}.{edge.source_port}` produces {describe(src)}",
                    ),
                )
            ctx.report(
                code,
                f"`{edge.source}.{edge.source_port}` -> `{nid}.{edge.target_port}`: {details}{more}",
                doc.span_of(("connections", edge.index)),
                related=related,
                data={
                    "index": edge.index,
                    "from": f"{edge.source}.{edge.source_port}",
                    "to": f"{nid}.{edge.target_port}",
                },
            )


# -- NF014, NF015 HTTP ------------------------------------------------------------------------

_PARAM = re.compile(r"\{[^/}]*\}")


def check_http(ctx: _Context) -> None:
    doc, graph, facts = ctx.doc, ctx.graph, ctx.facts
    routes: dict[tuple[str, str], str] = {}
    for nid in graph.triggers:
        fact = facts.get(nid)
        if fact is None or fact.manifest is None or fact.manifest.type != "http/trigger":
            continue
        node = fact.node
        method = str(node.config.get("method", "GET")).upper()
        path = node.config.get("path")
        if isinstance(path, str):
            route = (method, _PARAM.sub("{}", path.rstrip("/") or "/"))
            if route in routes:
                other = facts[routes[route]].node
                ctx.report(
                    "NF015",
                    f"`{method} {path}` is already served by `{routes[route]}`",
                    doc.span_of((*node.path, "config", "path")),
                    related=(Related(doc.span_of((*other.path, "config", "path")), "first route"),),
                )
            else:
                routes[route] = nid
        end = _path_without_response(ctx, nid)
        if end is not None:
            ctx.report(
                "NF014",
                f"A request to `{nid}` can end at `{end}` without an `http/respond` node "
                "(the client then gets 204 No Content)",
                doc.span_of((*node.path, "id")),
                related=(Related(doc.span_of((*facts[end].node.path, "id")), "path ends here"),),
                data={"node": end},
            )


def _path_without_response(ctx: _Context, trigger: str) -> str | None:
    """Where some run from ``trigger`` can end with no respond node run, or None.

    Targets of one output port all run (fan-out), so one responding target covers
    the port; different output ports are alternatives (if/switch branches, out vs
    error), so each must be covered, except for ``flow/foreach`` whose ports all run.
    An unconnected ``error`` port is covered by the flow's error handler (HTTP 500).
    """
    graph, facts = ctx.graph, ctx.facts
    memo: dict[str, str | None] = {}
    in_progress: set[str] = set()

    def uncovered_end(nid: str) -> str | None:
        if nid in memo:
            return memo[nid]
        if nid in in_progress:
            return nid  # a cycle; reported by NF011
        fact = facts.get(nid)
        manifest = fact.manifest if fact else None
        if manifest is None or manifest.responds:
            return None  # unknown types are reported elsewhere; do not guess
        in_progress.add(nid)
        by_port: dict[str, list[str]] = {}
        for edge in graph.successors[nid]:
            by_port.setdefault(edge.source_port, []).append(edge.target)
        ends: list[str | None] = []
        for port in active_output_ports(manifest, fact.node.config if fact else {}):
            targets = by_port.get(port)
            if not targets:
                ends.append(None if port == "error" else nid)
                continue
            port_ends = [uncovered_end(t) for t in targets]
            ends.append(None if None in port_ends else port_ends[0])
        if not manifest.outputs:
            ends.append(nid)
        in_progress.discard(nid)
        if manifest.type == "flow/foreach":
            result = None if None in ends else next(e for e in ends if e is not None)
        else:
            result = next((e for e in ends if e is not None), None)
        memo[nid] = result
        return result

    return uncovered_end(trigger)


ALL_CHECKS: tuple[Check, ...] = (
    check_syntax,
    check_structure,
    check_nodes,
    check_connections,
    check_graph,
    check_types,
    check_http,
)
