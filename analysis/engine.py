"""The analysis engine: one flow document in, diagnostics and typed facts out.

Invariants: :func:`analyze` never raises and does no I/O; it reads only the
document snapshot and the workspace it is handed. Each check runs isolated, so a
crash in one becomes a single ``NF000`` diagnostic and the rest still report.
The facts it returns (manifests, port types, expression sites, the graph) are
what completion, hover, navigation and code generation build on.
"""

from __future__ import annotations

import gc
import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import is_
from typing import Any

from nodeforge.analysis.catalog import NodeManifest, config_strings
from nodeforge.analysis.diagnostics import Diagnostic, Related, Severity, Tag
from nodeforge.analysis.expressions import (
    CheckResult,
    ExprError,
    NodeRef,
    TypeEnv,
    check,
    check_template,
    parse,
    parse_template,
)
from nodeforge.analysis.flow import FlowDocument, JsonPath, NodeInfo, load_document
from nodeforge.analysis.graph import Edge, FlowGraph
from nodeforge.analysis.jsontree import unparsed
from nodeforge.analysis.rules.registry import RULES
from nodeforge.analysis.text import Span
from nodeforge.analysis.types import (
    ANY,
    ArrayType,
    Field,
    ObjectType,
    Type,
    merge_objects,
    new_field,
    object_type,
    type_from_schema,
    union,
)
from nodeforge.analysis.workspace import Workspace, load_workspace

log = logging.getLogger(__name__)


#: The syntax errors of a site that has none: one object for every such site.
NO_ERRORS: Sequence[ExprError] = ()


@dataclass(slots=True)
class ExpressionSite:
    """One expression or template string in a node's config."""

    node_id: str
    index: int  # the node's, in the document
    config_path: tuple[str | int, ...]
    source: str
    is_template: bool
    result: CheckResult | None = None
    syntax_errors: Sequence[ExprError] = NO_ERRORS
    # No environment here: sites are shared between analyses (see ``Memo``), and the
    # environment an expression sees (``Analysis.env_of``) belongs to one analysis.

    @property
    def path(self) -> JsonPath:
        """The full JSON path of the string in the document (made when asked: a site
        is kept per expression of every node, the path mostly never read)."""
        return ("nodes", self.index, "config", *self.config_path)


@dataclass(slots=True)
class NodeFacts:
    node: NodeInfo
    manifest: NodeManifest | None
    input_types: dict[str, Type] = field(default_factory=dict)  # what arrives, per port
    declared_inputs: dict[str, Type] = field(default_factory=dict)  # what the port accepts
    output_types: dict[str, Type] = field(default_factory=dict)
    expressions: tuple[ExpressionSite, ...] = ()
    # The type of ``input`` in the node's expressions (None: the node was not typed).
    # Not the whole environment: facts are shared between analyses, and the node types
    # an expression sees belong to one analysis (``Analysis.env_of``).
    input: Type | None = None
    quiet: bool = True  # no expression errors and no node references to re-check
    # An expression names ``nodes``: its result depends on other nodes' types, or on
    # which node ids exist (`unknown node`, and the ids it suggests).
    names_nodes: bool = False
    # The output types this node's typing read (its inputs' sources and the nodes its
    # expressions name), as the very objects it saw: while each node's outputs are
    # still those objects, a re-analysis can take this node's facts over. Two tuples,
    # the node ids and the objects, compared by the caller in one pass; or, when it
    # read one node (most nodes: a tuple each costs 48 bytes), its id and its types.
    read_nodes: str | tuple[str, ...] = ()
    read_types: Mapping[str, Type] | tuple[Mapping[str, Type] | None, ...] | None = ()


#: What :meth:`Memo.get` returns when it holds no entry for a key (``None`` may be a
#: stored value). Checks and :mod:`answers` compare with ``is MISSING``.
MISSING: Any = object()


class Memo:
    """Results of earlier analyses, reused while their inputs are the very same objects.

    An edit inside one node re-parses only that node (``reparse_json``): every other
    node keeps its Python value object, so results keyed by object identity (schema
    checks, config checks, typed facts) stay valid. Each entry holds its key object,
    which keeps ids unique; entries not used by an analysis are dropped after it.
    """

    __slots__ = ("_entries", "_old", "_shrunk")

    def __init__(self, previous: Memo | None = None) -> None:
        # kind -> id(key) -> (key, extra, value), or the key alone for a mark (``put``
        # of True without extra: a node's structure found valid, a node without
        # problems): one table per kind, so that a lookup builds no key of its own
        # (thousands of them per analysis), and a mark costs no tuple (one per node of
        # an open document).
        self._old: dict[str, dict[int, Any]] = previous._entries if previous is not None else {}
        self._entries: dict[str, dict[int, Any]] = {}
        self._shrunk: set[str] = set()  # kinds with entries discarded: repacked to settle

    def get(self, kind: str, key: Any, extra: Any = None) -> Any:
        """The stored value, or ``MISSING``; ``extra`` must be equal too (but for a mark:
        True whatever the extra)."""
        slot = id(key)
        entries = self._entries.get(kind)
        hit = entries.get(slot) if entries is not None else None
        if hit is None:
            old = self._old.get(kind)
            hit = old.get(slot) if old is not None else None
            if hit is None:
                return MISSING
            if hit is not key and (hit[0] is not key or not (hit[1] is extra or hit[1] == extra)):
                return MISSING
            if entries is None:
                entries = self._entries[kind] = {}
            entries[slot] = hit
        elif hit is not key and (hit[0] is not key or not (hit[1] is extra or hit[1] == extra)):
            return MISSING
        return True if hit is key else hit[2]

    def get_all(
        self, kind: str, keys: Sequence[Any], extras: Sequence[Any] | None = None
    ) -> list[Any]:
        """:meth:`get` of each key (with the extra at its index), in one call: the
        checks that look up a key per node do it for thousands of nodes."""
        entries = self._entries.setdefault(kind, {})
        old = self._old.get(kind) or {}
        if not entries and not old:  # nothing of this kind (a first analysis): none found
            return [MISSING] * len(keys)
        # Most often every key has a mark (the nodes of a document, found sound or of a
        # valid structure): tested over all keys at once, in C, before key by key.
        # (A key without an entry finds ``MISSING``: not itself, even when it is None.)
        if entries:
            if all(map(is_, map(entries.get, map(id, keys), repeat(MISSING)), keys)):
                return [True] * len(keys)
        elif all(map(is_, map(old.get, map(id, keys), repeat(MISSING)), keys)):
            entries.update(zip(map(id, keys), keys, strict=True))  # taken over
            return [True] * len(keys)
        found: list[Any] = []
        append = found.append
        if not entries:  # the first lookup of this kind in this analysis: the old ones
            get_old = old.get
            for key, extra in zip(
                keys, extras if extras is not None else repeat(None), strict=False
            ):
                slot = id(key)
                hit = get_old(slot)
                if hit is None:  # first: a key None is no mark of None
                    append(MISSING)
                elif hit is key:  # a mark
                    entries[slot] = hit
                    append(True)
                elif hit[0] is not key or not (hit[1] is extra or hit[1] == extra):
                    append(MISSING)
                else:
                    entries[slot] = hit
                    append(hit[2])
            return found
        for key, extra in zip(keys, extras if extras is not None else repeat(None), strict=False):
            slot = id(key)
            hit = entries.get(slot)
            if hit is None:
                hit = old.get(slot)
                if hit is None:
                    append(MISSING)
                    continue
                if hit is not key and (
                    hit[0] is not key or not (hit[1] is extra or hit[1] == extra)
                ):
                    append(MISSING)
                    continue
                entries[slot] = hit
            elif hit is not key and (hit[0] is not key or not (hit[1] is extra or hit[1] == extra)):
                append(MISSING)
                continue
            append(True if hit is key else hit[2])
        return found

    def settle(self) -> None:
        """The analysis is done: what it did not use of the previous one's entries is
        dropped (they would keep the previous snapshot's graph and facts alive)."""
        self._old = {}
        for kind in self._shrunk:  # a dict keeps its size when entries are removed
            self._entries[kind] = dict(self._entries[kind])
        self._shrunk.clear()

    def discard(self, kind: str, key: Any) -> None:
        """Drop this analysis' entry for ``key``, if any (another entry stands for it)."""
        entries = self._entries.get(kind)
        if entries is not None and entries.pop(id(key), None) is not None:
            self._shrunk.add(kind)

    def mark_all(self, kind: str, keys: Sequence[Any]) -> None:
        """:meth:`put` of a mark (True, no extra) for each key, in one call."""
        if keys:
            entries = self._entries.get(kind)
            if entries is None:
                entries = self._entries[kind] = {}
            entries.update(zip(map(id, keys), keys, strict=True))

    def discard_all(self, kind: str, keys: Sequence[Any]) -> None:
        """:meth:`discard` of each key, in one call."""
        entries = self._entries.get(kind)
        if entries is None or not keys:
            return
        size = len(entries)
        pop = entries.pop
        for key in keys:
            pop(id(key), None)
        if len(entries) != size:
            self._shrunk.add(kind)

    def put_all(self, kind: str, keys: Sequence[Any], values: Sequence[Any]) -> None:
        """:meth:`put` of each key (without an extra) with the value at its index (none
        of them True: not marks), in one call."""
        if keys:
            entries = self._entries.get(kind)
            if entries is None:
                entries = self._entries[kind] = {}
            entries.update(
                zip(map(id, keys), zip(keys, repeat(None), values, strict=False), strict=True)
            )

    def put(self, kind: str, key: Any, extra: Any, value: Any) -> None:
        """Store ``value`` for ``key`` and ``extra``; True without an extra is a mark:
        the key alone is kept."""
        entries = self._entries.get(kind)
        if entries is None:
            entries = self._entries[kind] = {}
        entries[id(key)] = key if value is True and extra is None else (key, extra, value)


@dataclass(slots=True)
class Analysis:
    document: FlowDocument
    workspace: Workspace
    diagnostics: list[Diagnostic]
    facts: dict[str, NodeFacts]
    graph: FlowGraph
    memo: Memo = field(default_factory=Memo)
    # What expressions see of the other nodes: node id -> output port -> type, and
    # every node id (set by the types check).
    outputs: Mapping[str, Mapping[str, Type]] = field(default_factory=dict)
    known_nodes: frozenset[str] = frozenset()
    _envs: dict[int, TypeEnv] = field(default_factory=dict, init=False, repr=False, compare=False)

    def env_of(self, fact: NodeFacts) -> TypeEnv | None:
        """What the node's expressions see in this analysis (None for an untyped node):
        its input type and this analysis's node types; one environment per input type."""
        if fact.input is None:
            return None
        env = self._envs.get(id(fact.input))
        if env is None or env.input is not fact.input:
            env = self._envs[id(fact.input)] = TypeEnv(
                input=fact.input,
                nodes=self.outputs,
                visible_nodes=None,
                env_names=None,
                known_nodes=self.known_nodes,
            )
        return env


class CheckContext:
    """What every check sees: the snapshot, the workspace and a diagnostic sink.

    :func:`analyze` makes one per analysis and hands it to each check of
    ``rules/checks.py`` in turn; the checks leave facts in it for the checks after them
    (``graph`` after the connections check, ``facts`` after the nodes and types checks).
    Public because the checks live in their own modules (``rules/checks.py``,
    ``rules/subflows.py``) and :mod:`answers` reads the facts of a called flow's finished
    analysis through it.
    """

    def __init__(self, doc: FlowDocument, workspace: Workspace, memo: Memo) -> None:
        self.doc = doc
        self.workspace = workspace
        self.memo = memo
        self.diagnostics: list[Diagnostic] = []
        self.facts: dict[str, NodeFacts] = {}
        self.graph = FlowGraph((), (), ())
        # node id -> output port -> type, and every node id (the types check's)
        self.outputs: Mapping[str, Mapping[str, Type]] = {}
        self.known_nodes: frozenset[str] = frozenset()
        # node id -> the manifest of the first node with that id (the connections check's)
        self.manifests: dict[str, NodeManifest | None] = {}

    def report(
        self,
        code: str,
        message: str,
        span: Span,
        *,
        severity: Severity | None = None,
        related: tuple[Related, ...] = (),
        tags: tuple[Tag, ...] = (),
        data: dict[str, Any] | None = None,
    ) -> None:
        rule = RULES[code]
        self.diagnostics.append(
            Diagnostic(
                code=code,
                message=message,
                severity=severity if severity is not None else rule.severity,
                span=span,
                related=related,
                tags=tags,
                data=data or {},
            )
        )

    def manifest(self, node: NodeInfo) -> NodeManifest | None:
        if node.type is None or node.version is None:
            return None
        return self.workspace.catalog.get(node.type, node.version)


Check = Callable[[CheckContext], None]


def analyze(
    text: str,
    uri: str = "",
    version: int | None = None,
    workspace: Workspace | None = None,
    previous: Analysis | None = None,
) -> Analysis:
    """Analyse one flow document; never raises.

    Pass the ``previous`` analysis of the same document (same workspace) to reuse
    its work: an edit inside one node then costs little more than that node.
    """
    workspace = workspace if workspace is not None else load_workspace(None)
    reuse = previous is not None and previous.workspace is workspace
    previous = previous if reuse else None
    from nodeforge.analysis.rules import checks  # the checks import this module's types

    # The analysis allocates many small objects and no garbage cycles worth chasing:
    # pausing the cyclic collector keeps its full passes over the (large) previous
    # snapshots out of the typing latency. Reference counting still frees everything.
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            doc = load_document(text, uri, version, previous.document if previous else None)
        except Exception as exc:  # a parser bug: the document still gets its diagnostics
            log.exception("parsing %s crashed", uri)
            doc = FlowDocument(uri=uri, text=text, version=version, parsed=unparsed(text))
            crash: Diagnostic | None = _internal_error("parsing", exc)
        else:
            crash = None
        ctx = CheckContext(doc, workspace, Memo(previous.memo if previous is not None else None))
        if crash is not None:
            ctx.diagnostics.append(crash)
        for run in checks.ALL_CHECKS:
            _run_isolated(ctx, run)
        ctx.memo.settle()
    finally:
        if collecting:
            _to_oldest_generation()
            gc.enable()
    ctx.diagnostics.sort(key=Diagnostic.sort_key)
    return Analysis(
        doc,
        workspace,
        ctx.diagnostics,
        ctx.facts,
        ctx.graph,
        ctx.memo,
        ctx.outputs,
        ctx.known_nodes,
    )


def _to_oldest_generation() -> None:
    """Move what the analysis allocated (~300,000 objects for 5,000 nodes), with every
    other tracked object, to the collector's oldest generation: ``gc.freeze`` then
    ``gc.unfreeze`` splice its lists, without looking at any object. Else the young
    collection that the next allocation starts walks all of it to find nothing
    (~12 ms for 5,000 nodes, inside ``analyze`` or just after it). What an analysis
    allocates is long-lived or freed by reference counting; cyclic garbage waits for
    the next full collection. Not while objects are frozen: the server's collector
    (``server/idlegc.py``) runs analyses with the collector paused and freezes what
    they allocated itself, and the command line freezes a command's imported modules
    (``cli._lazy``); their frozen objects must stay so."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _run_isolated(ctx: CheckContext, run: Check) -> None:
    try:
        run(ctx)
    except Exception as exc:  # one broken check must not silence the others
        log.exception("check %s crashed on %s", run.__name__, ctx.doc.uri)
        ctx.diagnostics.append(_internal_error(f"check `{run.__name__}`", exc))


def _internal_error(what: str, exc: Exception) -> Diagnostic:
    """The ``NF000`` diagnostic for a crash: where it happened, at the document's start."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    message = str(exc)
    if len(message) > 200:
        message = message[:200] + "…"
    return Diagnostic(
        code="NF000",
        message=f"Internal error in {what}: {type(exc).__name__}: {message}{where}; "
        "other checks still ran",
        severity=RULES["NF000"].severity,
        span=Span(0, 0),
    )


# -- types of ports -------------------------------------------------------------

_OPERATORS = (
    "$config",
    "$input",
    "$expr",
    "$exprItems",
    "$exprObject",
    "$merge",
    "$if",
    "$flowAnswer",
    "$enumFromConfig",
)
# Which operator decides when a schema has several (the first present).
_PRECEDENCE = (
    "$if",
    "$flowAnswer",
    "$enumFromConfig",
    "$config",
    "$input",
    "$expr",
    "$exprItems",
    "$exprObject",
    "$merge",
)
_NO_DEFAULTS: Mapping[str, Any] = {}
_NO_ANSWERS: Mapping[str, Type] = {}


def resolve_port_schema(
    schema: Any,
    config: dict[str, Any],
    inputs: dict[str, Type],
    expression_type: Callable[[tuple[str | int, ...]], Type],
    defaults: Mapping[str, Any] = _NO_DEFAULTS,
    flow_answers: Mapping[str, Type] = _NO_ANSWERS,
) -> Type:
    """The type of a port schema, with the manifest's derivation operators resolved.

    ``defaults`` are the config schema's top-level defaults
    (:attr:`NodeManifest.config_defaults`): ``$if`` reads its key there when the config
    does not set it. ``flow_answers`` are the answer types of the flows that the config
    keys named by ``$flowAnswer`` call (:func:`flow_answer_keys`; any when absent).
    """
    if not isinstance(schema, dict):
        return ANY
    plan = _PLANS.get(id(schema))
    if plan is None or plan[0] is not schema:
        plan = _plan(schema)
    # The operator that decides (the first of ``_OPERATORS`` present; None: no operator
    # anywhere, "": only nested ones), the most common ones first.
    operator, key = plan[1], plan[2]
    if operator is None:
        return type_from_schema(schema)
    if operator == "$input":  # a node passing its input on
        return inputs.get(key, ANY)
    if operator == "$merge":
        parts: list[ObjectType] = []
        for part in key:
            # A part passing an input on (`data/set`'s first), resolved inline.
            passing = _PLANS.get(id(part))
            if passing is not None and passing[0] is part and passing[1] == "$input":
                part_type = inputs.get(passing[2], ANY)
            else:
                part_type = resolve_port_schema(
                    part, config, inputs, expression_type, defaults, flow_answers
                )
            if not isinstance(part_type, ObjectType):
                return ANY
            parts.append(part_type)
        return merge_objects(parts)
    if operator == "$exprObject":
        mapping = config.get(key)
        if not isinstance(mapping, dict):
            return ObjectType((), ANY)
        # Keys of a dict are unique: the fields' index is built here, once.
        return object_type(
            {name: new_field(name, expression_type((key, name)), True) for name in mapping},
            None,
        )
    if operator == "$if":
        flag = config[key] if key in config else defaults.get(key)
        if not isinstance(flag, bool):
            return ANY  # not a boolean: the config check reports it
        branch = schema.get("then" if flag else "else")
        return resolve_port_schema(branch, config, inputs, expression_type, defaults, flow_answers)
    if operator == "$flowAnswer":
        return flow_answers.get(key, ANY)
    if operator == "$enumFromConfig":
        return _enum_from_config(config.get(key))
    if operator == "$config":
        value = config.get(key, schema.get("default"))
        return type_from_schema(value) if value is not None else ANY
    if operator == "$expr":
        return expression_type((key,))
    if operator == "$exprItems":
        listed = expression_type((key,))
        return listed.items if isinstance(listed, ArrayType) else ANY
    # Operators nested inside a plain schema: resolve the containers structurally.
    if isinstance(schema.get("properties"), dict):
        required = set(schema.get("required", []) or [])
        props = schema["properties"]
        fields = tuple(
            Field(
                name,
                resolve_port_schema(sub, config, inputs, expression_type, defaults, flow_answers),
                name in required,
                sub.get("description") if isinstance(sub, dict) else None,
            )
            for name, sub in props.items()
        )
        extra = schema.get("additionalProperties", True)
        additional: Type | None
        if extra is False:
            additional = None
        elif isinstance(extra, dict):
            additional = type_from_schema(extra)
        else:
            additional = ANY
        return ObjectType(fields, additional)
    if "items" in schema:
        items = resolve_port_schema(
            schema["items"], config, inputs, expression_type, defaults, flow_answers
        )
        return ArrayType(items)
    return ANY


def fixed_port_type(schema: Any) -> Type | None:
    """The type of a port schema without any operator (the same for every node), or
    None when it depends on the node (:func:`resolve_port_schema`)."""
    if not isinstance(schema, dict):
        return ANY
    plan = _PLANS.get(id(schema))
    if plan is None or plan[0] is not schema:
        plan = _plan(schema)
    return type_from_schema(schema) if plan[1] is None else None


def passed_input(schema: Any) -> str | None:
    """The input port whose type a port schema is (``{"$input": port}`` decides how it
    resolves: :func:`resolve_port_schema` returns what arrives there), or None."""
    if not isinstance(schema, dict):
        return None
    plan = _PLANS.get(id(schema))
    if plan is None or plan[0] is not schema:
        plan = _plan(schema)
    return plan[2] if plan[1] == "$input" and isinstance(plan[2], str) else None


# id(schema) -> (the schema, which keeps the id unique; the operator that decides how it
# resolves, None without any operator, "" with nested ones only; that operator's value)
_PLANS: dict[int, tuple[Any, str | None, Any]] = {}


def _plan(schema: dict[str, Any]) -> tuple[Any, str | None, Any]:
    """How :func:`resolve_port_schema` resolves a port schema (a manifest's: they never
    change), found once per schema object: the first operator of ``_OPERATORS`` in it."""
    plan: tuple[Any, str | None, Any] = (schema, None, None)
    if _has_operator(schema):
        operator = next((op for op in _PRECEDENCE if op in schema), "")
        plan = (schema, operator, schema.get(operator) if operator else None)
    if len(_PLANS) > 4096:
        _PLANS.clear()
    _PLANS[id(schema)] = plan
    return plan


def _enum_from_config(values: Any) -> Type:
    """``{"$enumFromConfig": "key"}``: a string that is one of the config list's strings
    (``llm/classify``'s ``label``); a plain string while the list is not one of strings."""
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        return type_from_schema({"type": "string", "enum": list(dict.fromkeys(values))})
    return type_from_schema({"type": "string"})


_HAS_OPERATOR: dict[int, tuple[Any, bool]] = {}


def _has_operator(schema: Any) -> bool:
    """Whether a port schema uses derivation operators; cached, manifests never change."""
    cached = _HAS_OPERATOR.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    result = _scan_operator(schema)
    if len(_HAS_OPERATOR) > 4096:
        _HAS_OPERATOR.clear()
    _HAS_OPERATOR[id(schema)] = (schema, result)  # keeps the schema alive: ids stay unique
    return result


def _scan_operator(schema: Any) -> bool:
    if isinstance(schema, dict):
        if any(op in schema for op in _OPERATORS):
            return True
        return any(_scan_operator(v) for v in schema.values() if isinstance(v, (dict, list)))
    if isinstance(schema, list):
        return any(_scan_operator(v) for v in schema)
    return False


_FLOW_ANSWER_KEYS: dict[int, tuple[Any, tuple[str, ...]]] = {}


def flow_answer_keys(manifest: NodeManifest) -> tuple[str, ...]:
    """The config keys that the manifest's output ports name with ``$flowAnswer`` (each
    holds the id of a flow whose answer types the port); cached, manifests never change.
    Empty for every node but ``flow/subflow``: those never look at the flow index."""
    hit = _FLOW_ANSWER_KEYS.get(id(manifest))
    if hit is not None and hit[0] is manifest:
        return hit[1]
    found: list[str] = []
    stack: list[Any] = [spec.schema_ for spec in manifest.outputs.values()]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            key = item.get("$flowAnswer")
            if isinstance(key, str) and key not in found:
                found.append(key)
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(item)
    keys = tuple(sorted(found))
    if len(_FLOW_ANSWER_KEYS) > 4096:
        _FLOW_ANSWER_KEYS.clear()
    _FLOW_ANSWER_KEYS[id(manifest)] = (manifest, keys)  # keeps the manifest: ids stay unique
    return keys


# -- expressions ------------------------------------------------------------------


def check_string(
    source: str, is_template: bool, env: TypeEnv
) -> tuple[CheckResult, Sequence[ExprError]]:
    """Parse and type-check one config string: the check, and the syntax errors apart
    (``NO_ERRORS`` when there are none)."""
    if is_template:
        result = check_template(parse_template(source), env)
    else:
        parsed = parse(source)
        if parsed.expr is None:
            return CheckResult(ANY, [], []), list(parsed.errors) or NO_ERRORS
        result = check(parsed.expr, env)
        result.errors[:0] = parsed.errors
    errors = result.errors
    if not errors:
        return result, NO_ERRORS
    syntax = [e for e in errors if e.code == "syntax"]
    result.errors = [e for e in errors if e.code != "syntax"]
    return result, syntax or NO_ERRORS


def collect_expression_sites(node: NodeInfo, manifest: NodeManifest) -> tuple[ExpressionSite, ...]:
    """The node's expression sites, in a tuple (a list costs more, kept per node)."""
    node_id, index = node.id or "", node.index
    shared = shared_config_paths()
    return tuple(
        [
            ExpressionSite(node_id, index, shared(config_path, config_path), source, is_template)
            for config_path, source, is_template in config_strings(manifest, node.config)
        ]
    )


# A config path -> that very tuple: the sites of every node of a type mostly have the
# same paths (``("condition",)``), kept per site of every open document.
_CONFIG_PATHS: dict[tuple[str | int, ...], tuple[str | int, ...]] = {}


def shared_config_paths() -> Callable[
    [tuple[str | int, ...], tuple[str | int, ...]], tuple[str | int, ...]
]:
    """The config paths' table's ``setdefault`` (trimmed when large): ``shared(path,
    path)`` is the one tuple kept for an expression site's config path."""
    if len(_CONFIG_PATHS) > 4096:
        _CONFIG_PATHS.clear()
    return _CONFIG_PATHS.setdefault


def active_output_ports(manifest: NodeManifest, config: dict[str, Any]) -> list[str]:
    """Output ports that can emit with this config (a switch has one per case, plus default)."""
    if manifest.type == "flow/switch":
        cases = config.get("cases")
        count = len(cases) if isinstance(cases, list) else 0
        return [p for p in manifest.outputs if not p.startswith("case") or int(p[4:]) <= count]
    return list(manifest.outputs)


def path_without_response(
    graph: FlowGraph, facts: Mapping[str, NodeFacts], trigger: str
) -> str | None:
    """Where some run from ``trigger`` can end with no respond node run, or None.

    A fact of an analysed flow (its ``graph`` and node ``facts``): the HTTP check reports
    it (NF014) and :mod:`answers` uses it to tell whether a called flow always answers.
    Targets of one output port all run (fan-out), so one responding target covers
    the port; different output ports are alternatives (if/switch branches, out vs
    error), so each must be covered, except for ``flow/foreach`` whose ports all run.
    An unconnected ``error`` port is covered by the flow's error handler (HTTP 500), and
    an unconnected ``invalid`` port of ``http/trigger`` by its default 400 answer.
    """
    memo: dict[str, str | None] = {}
    in_progress: set[str] = set()

    def targets_by_port(nid: str) -> dict[str, list[str]]:
        by_port: dict[str, list[str]] = {}
        for edge in graph.successors[nid]:
            by_port.setdefault(edge.source_port, []).append(edge.target)
        return by_port

    def result_of(nid: str) -> str | None:
        """Combine the already computed results of ``nid``'s successors."""
        fact = facts.get(nid)
        manifest = fact.manifest if fact else None
        if manifest is None or manifest.responds:
            return None  # unknown types are reported elsewhere; do not guess
        by_port = targets_by_port(nid)
        ends: list[str | None] = []
        for port in active_output_ports(manifest, fact.node.config if fact else {}):
            targets = by_port.get(port)
            if not targets:
                answered = port == "error" or (
                    port == "invalid" and manifest.type == "http/trigger"
                )
                ends.append(None if answered else nid)
                continue
            port_ends = [memo.get(t, t) for t in targets]
            ends.append(None if None in port_ends else port_ends[0])
        if not manifest.outputs:
            ends.append(nid)
        if manifest.type == "flow/foreach":
            return None if None in ends else next(e for e in ends if e is not None)
        return next((e for e in ends if e is not None), None)

    # Iterative post-order walk: flows can be chains of thousands of nodes.
    stack: list[tuple[str, bool]] = [(trigger, False)]
    while stack:
        nid, children_done = stack.pop()
        if children_done:
            in_progress.discard(nid)
            memo[nid] = result_of(nid)
            continue
        if nid in memo or nid in in_progress:
            continue  # done, or on a cycle (NF011): an unfinished node counts as an end
        in_progress.add(nid)
        stack.append((nid, True))
        stack.extend((e.target, False) for e in graph.successors[nid] if e.target not in memo)
    return memo.get(trigger)


def union_of(types: list[Type]) -> Type:
    return union(*types) if types else ANY


__all__ = [
    "MISSING",
    "NO_ERRORS",
    "Analysis",
    "CheckContext",
    "Edge",
    "ExpressionSite",
    "Memo",
    "NodeFacts",
    "NodeRef",
    "active_output_ports",
    "analyze",
    "check_string",
    "flow_answer_keys",
    "passed_input",
    "path_without_response",
    "resolve_port_schema",
    "shared_config_paths",
]
