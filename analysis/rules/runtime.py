"""Checks of what a node's config means when the app runs it: conditions that must be
booleans (NF018), SQL placeholders against the parameters (NF031), answers from flows
that nobody asked (NF032), schedules (NF033), URLs (NF034) and cgo in node code (NF035).

Each mistake here checks clean as far as types go, builds, and then fails at run time
(or at start-up): the rules make "what the checker accepts, the app runs" hold for them.

Most of them read annotations that a manifest puts on a config property (so that a fork
or a custom node gets the same checks by saying the same thing):

- ``"x-expression-type": <JSON Schema>``: the expression's value must fit the schema
  (``flow/if``'s ``condition``, ``flow/switch``'s ``cases[].when``: ``{"type": "boolean"}``);
- ``"x-sql-params": "<key>"``: the string is SQL whose placeholders the expressions of
  config key ``<key>`` fill, by position;
- ``"x-absolute-url": true``: the literal or template must be an absolute http(s) URL;
- ``"x-go-source": true``: the string is the Go source of a node, which may not use cgo.

Run after the types (they read the typed expression sites of ``ctx.facts``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from nodeforge.analysis.catalog import NodeManifest
from nodeforge.analysis.diagnostics import Related, Severity
from nodeforge.analysis.engine import CheckContext, ExpressionSite, NodeFacts
from nodeforge.analysis.expressions import parse_template
from nodeforge.analysis.schedule import check_cron, check_timezone
from nodeforge.analysis.sqlparams import Dialect, scan_placeholders
from nodeforge.analysis.types import AnyType, Type, check_assignable, describe, type_from_schema

__all__ = ["ANSWERED_TRIGGERS", "check_runtime", "config_annotation"]

#: Trigger types whose executions have someone to answer: an HTTP client, or the caller
#: of a flow (``flow/subflow``, ``nodeforge run``) that starts at its manual trigger.
ANSWERED_TRIGGERS = frozenset({"http/trigger", "trigger/manual"})


def check_runtime(ctx: CheckContext) -> None:
    memo, diagnostics = ctx.memo, ctx.diagnostics
    facts = list(ctx.facts.values())
    # A node's checks here read its value (by path), its manifest, its typed
    # expression sites and the fixed workspace alone: a node found clean with the
    # very same NodeInfo and sites (facts reused, or memoized) is clean again.
    clean = memo.get_all("runtime-clean", [fact.node for fact in facts])
    found_clean: list[NodeFacts] = []
    plans: dict[int, _Plan] = {}  # per manifest (alive in the facts: ids unique)
    for fact, clean_sites in zip(facts, clean, strict=True):
        manifest = fact.manifest
        if manifest is None or clean_sites is fact.expressions:
            continue
        found = len(diagnostics)
        plan = plans.get(id(manifest))
        if plan is None:
            plan = plans[id(manifest)] = _plan(manifest)
        typed_expressions, annotated, schedule = plan
        if fact.expressions and typed_expressions:
            _check_expression_types(ctx, fact, manifest)
        for key, sql_params, url, is_template, go_source in annotated:
            if sql_params is not None:
                _check_sql(ctx, fact, key, sql_params)
            if url:
                _check_url(ctx, fact, key, is_template=is_template)
            if go_source:
                _check_go_source(ctx, fact, key)
        if schedule:
            _check_schedule(ctx, fact)
        if len(diagnostics) == found:
            found_clean.append(fact)
    memo.put_all(
        "runtime-clean", [f.node for f in found_clean], [f.expressions for f in found_clean]
    )
    _check_unanswered(ctx)


#: Per manifest: whether its config schema says ``x-expression-type`` anywhere; its
#: top-level properties with ``x-sql-params``, ``x-absolute-url`` or ``x-go-source``
#: (key, the parameter list's key, whether an absolute URL, whether a template, whether
#: Go source), in order; whether a schedule.
_Annotated = tuple[str, str | None, bool, bool, bool]
_Plan = tuple[bool, tuple[_Annotated, ...], bool]
_PLANS: dict[int, tuple[NodeManifest, _Plan]] = {}


def _plan(manifest: NodeManifest) -> _Plan:
    """What :func:`check_runtime` looks at in a node of ``manifest``: found once per
    manifest (manifests never change; the entry keeps it, so ids stay unique)."""
    hit = _PLANS.get(id(manifest))
    if hit is not None and hit[0] is manifest:
        return hit[1]
    annotated: list[_Annotated] = []
    for key, schema in manifest.properties.items():
        if not isinstance(schema, dict):
            continue
        sql_params = schema.get("x-sql-params")
        url = schema.get("x-absolute-url") is True
        go_source = schema.get("x-go-source") is True
        if isinstance(sql_params, str) or url or go_source:
            sql = sql_params if isinstance(sql_params, str) else None
            annotated.append((key, sql, url, _is_template(manifest, key), go_source))
    plan: _Plan = (
        _mentions(manifest.config_schema, "x-expression-type"),
        tuple(annotated),
        manifest.type == "trigger/schedule" and bool(manifest.structural),
    )
    if len(_PLANS) > 4096:
        _PLANS.clear()
    _PLANS[id(manifest)] = (manifest, plan)
    return plan


def _mentions(schema: Any, name: str) -> bool:
    """Whether a key ``name`` appears anywhere in ``schema``."""
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if name in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# -- annotations --------------------------------------------------------------------------

_ANNOTATIONS: dict[tuple[int, tuple[str | int, ...], str], tuple[NodeManifest, Any]] = {}


def config_annotation(manifest: NodeManifest, path: tuple[str | int, ...], name: str) -> Any:
    """The annotation ``name`` on the config-schema property at a concrete config path
    (list indexes go through ``items``, unknown object keys through
    ``additionalProperties``), or None; cached per manifest (manifests never change)."""
    key = (id(manifest), path, name)
    hit = _ANNOTATIONS.get(key)
    if hit is not None and hit[0] is manifest:
        return hit[1]
    node: Any = manifest.config_schema
    for seg in path:
        if not isinstance(node, dict):
            node = None
            break
        if isinstance(seg, int):
            node = node.get("items")
        else:
            props = node.get("properties")
            sub = props.get(seg) if isinstance(props, dict) else None
            node = sub if sub is not None else node.get("additionalProperties")
    value = node.get(name) if isinstance(node, dict) else None
    if len(_ANNOTATIONS) > 4096:
        _ANNOTATIONS.clear()
    _ANNOTATIONS[key] = (manifest, value)  # keeps the manifest: ids stay unique
    return value


def _is_template(manifest: NodeManifest, key: str) -> bool:
    return key in manifest.templates


# -- NF018: expressions whose value must have a type ---------------------------------------

_EXPECTED: dict[int, tuple[Any, Type]] = {}


def _expected_type(schema: dict[str, Any]) -> Type:
    """The type of an ``x-expression-type`` schema: a manifest's own dict, so cached by
    identity (manifests never change; the entry keeps the dict: ids stay unique)."""
    hit = _EXPECTED.get(id(schema))
    if hit is None or hit[0] is not schema:
        if len(_EXPECTED) > 4096:
            _EXPECTED.clear()
        hit = _EXPECTED[id(schema)] = (schema, type_from_schema(schema))
    return hit[1]


def _check_expression_types(ctx: CheckContext, fact: NodeFacts, manifest: NodeManifest) -> None:
    for site in fact.expressions:
        if site.is_template or site.syntax_errors or site.result is None or site.result.errors:
            continue  # the expression's own errors come first
        schema = config_annotation(manifest, site.config_path, "x-expression-type")
        if not isinstance(schema, dict):
            continue
        actual = site.result.type
        if isinstance(actual, AnyType):
            continue  # dynamic: the app checks the value
        expected = _expected_type(schema)
        mismatches = check_assignable(actual, expected)
        if not mismatches:
            continue
        error = any(m.severity == "error" for m in mismatches)
        what = _where_name(site)
        message = (
            f"{what} must be {describe(expected)}, got {describe(actual)}"
            if error
            else f"{what} may not be {describe(expected)}: it is {describe(actual)} "
            "(the execution fails when it is not)"
        )
        ctx.report(
            "NF018",
            message,
            ctx.doc.span_of(site.path),
            severity=None if error else Severity.WARNING,
            data={"expected": describe(expected), "actual": describe(actual)},
        )


def _where_name(site: ExpressionSite) -> str:
    return (
        "`"
        + ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in site.config_path).replace(
            ".[", "["
        )
        + "`"
    )


# -- NF031: SQL placeholders -----------------------------------------------------------------


def _check_sql(ctx: CheckContext, fact: NodeFacts, key: str, params_key: str) -> None:
    node, doc = fact.node, ctx.doc
    sql = node.config.get(key)
    params = node.config.get(params_key, [])
    connector = node.config.get("connector")
    if not isinstance(sql, str) or not isinstance(params, list) or not isinstance(connector, str):
        return  # NF006 reports wrong types
    kind = ctx.workspace.connectors.get(connector)
    if kind not in ("sqlite", "postgres"):
        return  # NF020 reports an unknown connector; other kinds have no SQL
    dialect: Dialect = "sqlite" if kind == "sqlite" else "postgres"
    found = scan_placeholders(sql, dialect)
    sql_path = (*node.path, "config", key)
    params_path = (*node.path, "config", params_key)
    recommend = "use `$1`, `$2`, ... (numbered placeholders work on SQLite and PostgreSQL)"
    for p in found.named():
        ctx.report(
            "NF031",
            f"`{p.text}` is a named placeholder, but `{params_key}` is bound by position and "
            f"cannot fill it: {recommend}",
            doc.string_span(sql_path, p.start, p.end),
            data={"placeholder": p.text},
        )
    if dialect == "postgres":
        missing = found.missing_numbers()
        if missing:
            gaps = ", ".join(f"`${n}`" for n in missing)
            ctx.report(
                "NF031",
                f"The statement uses `${found.needed}` but not {gaps}: PostgreSQL needs every "
                f"placeholder from `$1` to the highest (renumber them)",
                doc.span_of(sql_path),
                data={"missing": missing},
            )
    needed, given = found.needed, len(params)
    if needed == given or found.named():
        return  # named placeholders: renumbering them decides the count
    count = f"{given} value{'s' if given != 1 else ''}"
    if needed > given:
        first = next(p for p in found.placeholders if p.number is not None and p.number > given)
        ctx.report(
            "NF031",
            f"`{first.text}` has no parameter: `{params_key}` has {count}, the statement "
            f"takes {needed}",
            doc.string_span(sql_path, first.start, first.end),
            related=(
                Related(
                    doc.span_of(params_path)
                    if params_key in node.config
                    else doc.span_of((*node.path, "config")),
                    f"`{params_key}` is here",
                ),
            ),
            data={"needed": needed, "given": given},
        )
        return
    highest = next((p.text for p in found.placeholders if p.number == needed), "")
    takes = "takes no parameters" if needed == 0 else f"takes {needed} (up to `{highest}`)"
    ctx.report(
        "NF031",
        f"Parameter {needed + 1} has no placeholder: the statement {takes}, "
        f"`{params_key}` has {count}",
        doc.span_of((*params_path, needed)),
        related=(Related(doc.span_of(sql_path), "the statement"),),
        data={"needed": needed, "given": given},
    )


# -- NF032: http/respond in executions that answer nobody -----------------------------------


def _check_unanswered(ctx: CheckContext) -> None:
    graph, facts, doc = ctx.graph, ctx.facts, ctx.doc
    reported: set[str] = set()
    for trigger in graph.triggers:
        fact = facts.get(trigger)
        manifest = fact.manifest if fact is not None else None
        if manifest is None or manifest.type in ANSWERED_TRIGGERS:
            continue
        for nid in sorted(graph.reachable_from([trigger])):
            target = facts.get(nid)
            if target is None or target.manifest is None or not target.manifest.responds:
                continue
            if nid in reported or nid == trigger:
                continue
            reported.add(nid)
            ctx.report(
                "NF032",
                f"`{nid}` answers an HTTP request, but it runs after `{trigger}` "
                f"({manifest.type}), whose executions have no request to answer: the answer "
                "would be dropped. Log the result, or send it (`http/request`, "
                "`queue/publish`, `email/send`)",
                doc.span_of((*target.node.path, "type")),
                related=(Related(doc.span_of((*fact.node.path, "id")), "the trigger"),)
                if fact is not None
                else (),
                data={"trigger": trigger},
            )


# -- NF033: schedules --------------------------------------------------------------------------


def _check_schedule(ctx: CheckContext, fact: NodeFacts) -> None:
    node, doc = fact.node, ctx.doc
    cron = node.config.get("cron")
    if isinstance(cron, str) and cron:
        path = (*node.path, "config", "cron")
        for problem in check_cron(cron):
            ctx.report("NF033", problem.message, doc.string_span(path, problem.start, problem.end))
    tz = node.config.get("timezone")
    if isinstance(tz, str):
        message = check_timezone(tz)
        if message is not None:
            ctx.report("NF033", message, doc.span_of((*node.path, "config", "timezone")))


# -- NF034: URLs ---------------------------------------------------------------------------------


def _check_url(ctx: CheckContext, fact: NodeFacts, key: str, *, is_template: bool) -> None:
    node = fact.node
    value = node.config.get(key)
    if not isinstance(value, str) or not value:
        return
    if is_template:
        template = parse_template(value)
        if template.errors:
            return  # NF017
        holes = template.holes
        known = value[: holes[0].start] if holes else value
        # A hole's start is where its `{{` begins in the template text.
        complete = not holes
    else:
        known, complete = value, True
    problem = url_problem(known, complete=complete)
    if problem is None:
        return
    message, start, end = problem
    ctx.report(
        "NF034",
        message,
        ctx.doc.string_span((*node.path, "config", key), start, end),
        data={"url": known},
    )


def url_problem(text: str, *, complete: bool) -> tuple[str, int, int] | None:
    """Why ``text`` (a whole URL, or the literal start of a templated one) cannot be an
    absolute http(s) URL that Go's HTTP client accepts, with the offsets to point at."""
    if not text:
        return None  # all of it comes from an expression: nothing to know yet
    if text[0].isspace():
        return "The URL starts with white space", 0, len(text) - len(text.lstrip())
    scheme, sep, _rest = text.partition("://")
    if not sep:
        if not complete and any(s.startswith(text.lower()) for s in ("http://", "https://")):
            return None  # `http` then a hole: the rest decides
        if text.startswith("/"):
            why = "a path, not an absolute URL: the app has no base URL to resolve it against"
        else:
            why = "not an absolute URL"
        hint = "write `https://host/...`, or put the base in an environment variable: `{{ env.API_URL }}/path`"
        return f"`{_short(text)}` is {why}; {hint}", 0, len(text)
    if scheme.lower() not in ("http", "https"):
        return (
            f"Unsupported URL scheme `{scheme}`: the request node speaks `http` and `https`",
            0,
            len(scheme),
        )
    host_end = len(text)
    for stop in "/?#":
        at = text.find(stop, len(scheme) + 3)
        if at >= 0:
            host_end = min(host_end, at)
    host_start = len(scheme) + 3
    authority = text[host_start:host_end]
    host_complete = complete or host_end < len(text)
    if host_complete and not authority:
        return "The URL has no host", 0, len(text)
    bad = next((c for c in authority if c.isspace() or c in '<>"{}|\\^`'), None)
    if bad is not None:
        at = host_start + authority.index(bad)
        return f"The URL's host contains {bad!r}", at, at + 1
    if host_complete:
        _host, colon, port = authority.rpartition("@")[2].rpartition(":")
        if colon and "]" not in port and not (port.isdigit() and int(port) <= 65535) and port:
            at = host_start + authority.rindex(":") + 1
            return f"The URL's port `{port}` is not a number from 0 to 65535", at, at + len(port)
        try:
            parsed = urlsplit(text[:host_end])
        except ValueError as exc:  # e.g. an unclosed `[` of an IPv6 address
            return f"Malformed URL: {exc}", host_start, host_end
        if not parsed.hostname:
            return "The URL has no host", host_start, host_end
    return None


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


# -- NF035: cgo in node code ------------------------------------------------------------------

# Comments and string literals (a comment marker may hide in one); runes are left alone.
_GO_SKIPPED = re.compile(r'//[^\n]*|/\*.*?(?:\*/|\Z)|`[^`]*`?|"(?:\\.|[^"\\\n])*"?', re.S)
_IMPORT_C = re.compile(r'\bimport\s+(?:[\w.]+\s+)?("C")')
_IMPORT_GROUP = re.compile(r"\bimport\s*\(([^)]*)\)")
_C_IN_GROUP = re.compile(r'(?:^|[;\n])\s*(?:[\w.]+\s+)?("C")\s*(?=;|\n|$)')


def _check_go_source(ctx: CheckContext, fact: NodeFacts, key: str) -> None:
    node = fact.node
    source = node.config.get(key)
    if not isinstance(source, str):
        return
    at = cgo_import(source)
    if at is None:
        return
    ctx.report(
        "NF035",
        '`import "C"` (cgo) is not available in node code: node tests build it as pure Go '
        "and apps link no C of their own; write it in Go, or call a service",
        ctx.doc.string_span((*node.path, "config", key), at[0], at[1]),
    )


def cgo_import(source: str) -> tuple[int, int] | None:
    """Where Go ``source`` imports the pseudo-package ``"C"`` (start and end of the
    ``"C"``), alone or in an import group; comments and other strings do not count."""
    # Comments and strings blanked (same length: offsets stay the source's), but for
    # the import path "C" itself.
    masked = _GO_SKIPPED.sub(
        lambda m: m.group() if m.group() == '"C"' else " " * len(m.group()), source
    )
    single = _IMPORT_C.search(masked)
    hits = [single.start(1)] if single else []
    for group in _IMPORT_GROUP.finditer(masked):
        inner = _C_IN_GROUP.search(group.group(1))
        if inner is not None:
            hits.append(group.start(1) + inner.start(1))
    if not hits:
        return None
    start = min(hits)
    return start, start + 3
