"""NF026, NF027: ``flow/subflow`` calls checked against the flows of the workspace.

The called flow is looked up by id in ``workspace.flows`` (:mod:`..flowindex`), which
is read on first use: a document without ``flow/subflow`` nodes never touches it.
Runs after the types check, whose expression results type the arguments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nodeforge.analysis.diagnostics import Severity
from nodeforge.analysis.engine import MISSING, CheckContext, NodeFacts
from nodeforge.analysis.flowindex import SUBFLOW, FlowSummary
from nodeforge.analysis.rules.checks import _did_you_mean
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import ObjectType, check_assignable, type_from_schema

FLOW_ID = re.compile(r"[a-z][a-z0-9_]*")


def check_subflows(ctx: CheckContext) -> None:
    # Which nodes call flows depends on ids, types and versions only: per graph.
    callers: list[str] = ctx.memo.get("subflow-nodes", ctx.graph)
    if callers is MISSING:
        callers = [
            nid
            for nid in ctx.graph.nodes
            if (fact := ctx.facts.get(nid)) is not None
            and fact.manifest is not None
            and fact.manifest.type == SUBFLOW
        ]
        ctx.memo.put("subflow-nodes", ctx.graph, None, callers)
    if not callers:
        return
    own_id = ctx.doc.value.get("id")
    for nid in callers:
        fact = ctx.facts.get(nid)
        if fact is not None:
            _check_call(ctx, fact, own_id if isinstance(own_id, str) else None)


def _check_call(ctx: CheckContext, fact: NodeFacts, own_id: str | None) -> None:
    node, doc, index = fact.node, ctx.doc, ctx.workspace.flows
    nid = node.id or ""
    target = node.config.get("flow")
    if not isinstance(target, str) or not FLOW_ID.fullmatch(target):
        return  # missing or malformed: NF006 says so
    at = doc.span_of((*node.path, "config", "flow"))
    if target == own_id:
        message = f"`{nid}` calls this flow, `{target}`, itself: a flow cannot call itself"
        ctx.report("NF026", message, at, data={"flow": target})
        return
    flows = index.flows()
    called = flows.get(target)
    if called is None:
        if index.complete:  # a lone file: its neighbours are unknown, so say nothing
            _report_unknown(ctx, nid, target, own_id, flows, at)
        return
    if not called.manual_triggers:
        message = f"`{nid}` calls flow `{target}`, which has no `trigger/manual` node to start it"
        ctx.report("NF026", message, at, data={"flow": target})
        return
    cycle = _cycle(own_id, target, flows) if own_id is not None else []
    if cycle:
        message = "flow/subflow calls go round in a cycle: " + " -> ".join(cycle)
        ctx.report("NF026", message, at, data={"flow": target, "cycle": cycle})
    _check_arguments(ctx, fact, called)


def _report_unknown(
    ctx: CheckContext,
    nid: str,
    target: str,
    own_id: str | None,
    flows: Mapping[str, FlowSummary],
    at: Span,
) -> None:
    names = sorted(f for f in flows if f != own_id)
    hint = _did_you_mean(target, names)
    message = f"`{nid}` calls flow `{target}`, which is not in the workspace{hint}"
    data: dict[str, Any] = {"flow": target}
    if hint:
        data["suggestion"] = hint.split("`")[1]
    ctx.report("NF026", message, at, data=data)


def _cycle(own_id: str, target: str, flows: Mapping[str, FlowSummary]) -> list[str]:
    """``[own, target, ..., own]`` when following calls from ``target`` leads back to
    this flow (the flows' calls as the index knows them), else ``[]``."""
    parents: dict[str, str] = {target: own_id}
    stack = [target]
    while stack:
        current = stack.pop()
        summary = flows.get(current)
        for callee in summary.calls if summary is not None else ():
            if callee == own_id:
                path = [own_id, current]
                while path[-1] != target:
                    path.append(parents[path[-1]])
                return [own_id, *reversed(path[1:]), own_id]
            if callee not in parents:
                parents[callee] = current
                stack.append(callee)
    return []


def _check_arguments(ctx: CheckContext, fact: NodeFacts, called: FlowSummary) -> None:
    """Arguments vs the called flow's input_schema: missing, unknown, of the wrong type."""
    expected = type_from_schema(called.input_schema)
    if not isinstance(expected, ObjectType):
        return
    node, doc = fact.node, ctx.doc
    raw = node.config.get("arguments")
    if raw is not None and not isinstance(raw, dict):
        return  # NF006
    args: dict[str, Any] = raw if raw is not None else {}
    args_path = (*node.path, "config", "arguments")
    target = called.id
    missing = [f.name for f in expected.fields if f.required and f.name not in args]
    if missing:
        names = ", ".join(f"`{m}`" for m in missing)
        plural = len(missing) > 1
        message = (
            f"Missing argument{'s' if plural else ''} {names}: flow `{target}` requires "
            f"{'them' if plural else 'it'} (its `input_schema`)"
        )
        where = (
            doc.key_span(args_path)
            if raw is not None
            else doc.span_of((*node.path, "config", "flow"))
        )
        ctx.report("NF027", message, where, data={"flow": target, "missing": missing})
    sites = {
        site.config_path[1]: site
        for site in fact.expressions
        if len(site.config_path) == 2 and site.config_path[0] == "arguments"
    }
    known = [f.name for f in expected.fields]
    for key in args:
        declared = expected.field(key)
        if declared is None and expected.additional is None:
            takes = ", ".join(f"`{k}`" for k in known) or "none"
            message = (
                f"Flow `{target}` takes no argument `{key}`{_did_you_mean(key, known)} "
                f"(its arguments: {takes})"
            )
            ctx.report(
                "NF027", message, doc.key_span((*args_path, key)), data={"flow": target, "key": key}
            )
            continue
        dst = declared.type if declared is not None else expected.additional
        site = sites.get(key)
        if dst is None or site is None or site.result is None:
            continue
        if site.syntax_errors or site.result.errors:
            continue  # NF017/NF018 already: its type says little
        mismatches = check_assignable(site.result.type, dst)
        if not mismatches:
            continue
        error = any(m.severity == "error" for m in mismatches)
        details = "; ".join(m.message for m in mismatches[:3])
        ctx.report(
            "NF027",
            f"Argument `{key}` of flow `{target}`: {details}",
            doc.span_of((*args_path, key)),
            severity=None if error else Severity.WARNING,
            data={"flow": target, "key": key},
        )
