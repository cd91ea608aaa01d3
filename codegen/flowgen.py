"""One flow -> one Go file: the flow's type, its triggers, and one method per node.

Shape of the generated code (see docs/codegen.md for a full example):

* ``type ordersAPIFlow struct`` holds the app and the flow's open connectors;
  ``Routes``/``Jobs``/``Run`` expose its triggers to ``main.go``.
* ``type ordersAPIRun struct`` is one execution: the ``nf.Exec`` plus the outputs that
  later nodes read through ``nodes.<id>.<port>``.
* one method per node (and per input port of a merge), called by its predecessors with
  the typed value of the connection; a node's method runs the node and calls the methods
  of the nodes connected to the port it emits on. Flows are acyclic, so this is plain
  direct calls: no scheduler, no maps, no reflection.

Node methods come last in the file and carry ``//line`` directives pointing into the
flow file, so Go compiler errors and panics name the node and the config string.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import jinja2

from nodeforge.analysis.catalog import NodeManifest
from nodeforge.analysis.engine import Analysis, ExpressionSite, NodeFacts
from nodeforge.analysis.expressions import (
    Call,
    Expr,
    Ident,
    Index,
    Literal,
    Select,
    TypeEnv,
    parse,
    parse_template,
    walk,
)
from nodeforge.analysis.graph import Edge
from nodeforge.analysis.kits import TEMPLATE_FILE, Kit, kit_of
from nodeforge.analysis.loops import collect_env
from nodeforge.analysis.schemas import param_kinds
from nodeforge.analysis.types import ANY, BOOL, ArrayType, ObjectType, Type
from nodeforge.analysis.workspace import standard_catalog

from .expr_go import CodegenError, Compiled, ExprCompiler, Scope
from .gonames import code_folder_name, flow_file_name
from .gotypes import GoTypes, lower_camel, pascal
from .jsonpos import LineColumns, object_item_starts, root_array_items, value_offset
from .jsonread import ReaderGen
from .literal import go_comment, go_literal, go_string, json_text
from .nodeapi import NodeAPI, TemplateError, load_template, render_call
from .queuegen import NATSQ, QUEUE, queue_connectors, run_value, services

if TYPE_CHECKING:
    from .codecall import CodeCall, Converters

__all__ = [
    "FlowCode",
    "LineMark",
    "executor_package",
    "flow_type_names",
    "generate_flow",
    "go_package",
    "subflow_calls",
]

CATALOG_MODULE = "nodeforge.dev/catalog"
EMPTY = '""'  # the JSON pointer of a whole value
# Runtime helpers that cannot fail (formatting): with only these, an expression cannot.
_SAFE_HELPERS = re.compile(r"\bnf\.(?:FormatInt|FormatFloat|FormatBool|RuneCount|Ptr)\(")
PARAMS = ("params", "query")  # an HTTP trigger's parameters that a schema may type


def flow_type_names(flow_id: str) -> tuple[str, str]:
    """(Go type, constructor) of a flow: ``ordersAPIFlow``, ``newOrdersAPIFlow``."""
    base = lower_camel(flow_id)
    if base.endswith("Node"):
        base = base[:-4]
    return base + "Flow", "new" + pascal(flow_id) + "Flow"


def subflow_calls(analysis: Analysis) -> dict[str, str]:
    """The flow/subflow nodes of a flow: node id -> the id of the flow it calls."""
    calls: dict[str, str] = {}
    for nid, facts in analysis.facts.items():
        m = facts.manifest
        if m is None or m.type != "flow/subflow":
            continue
        node = analysis.document.node_by_id(nid)  # a scan: only for the subflow nodes
        if node is not None:
            target = node.config.get("flow")
            if isinstance(target, str):
                calls[nid] = target
    return calls


def go_package(node_type: str) -> str:
    """The Go package name of a node type's executor: category and name without ``/``
    and ``_`` (``sqlquery`` for ``sql/query``, ``acmefetch`` for ``acme/fetch``)."""
    return node_type.replace("/", "").replace("_", "")


def executor_package(node_type: str, version: str) -> tuple[str, str]:
    """(package name, import path) of a node version's executor."""
    return go_package(node_type), f"{CATALOG_MODULE}/{node_type}/{version}"


class LineMark(NamedTuple):
    """A ``//line`` directive: flow line/column (1-based) -> node and config path (a
    tuple: two per node are made, in a hot loop)."""

    line: int
    column: int
    node_id: str
    config_path: tuple[str | int, ...]


# LineMark's fields as a tuple, made in C (its __new__ is Python code): two per node.
_new_mark = tuple.__new__


@dataclass
class FlowCode:
    flow_id: str
    go_type: str  # e.g. ordersAPIFlow
    constructor: str
    file_name: str
    head: list[str]  # Go source before the node methods (no //line directives)
    nodes: list[str]  # node methods
    imports: set[str]
    packages: dict[str, str]  # import path -> alias
    marks: list[LineMark]
    connectors: dict[str, str]  # name -> kind
    node_versions: dict[str, str]  # "type@version" -> executor import path ("" if inline)
    uses_tzdata: bool = False
    # Executors of forked nodes (`nodeforge fork`): import path -> the fork's folder.
    fork_sources: dict[str, Path] = field(default_factory=dict)
    # Packages of code/go nodes: module-relative path -> Go source.
    code_files: dict[str, str] = field(default_factory=dict)
    # Their node.go files -> (node id, lines before the node's source).
    code_sources: dict[str, tuple[str, int]] = field(default_factory=dict)
    # The nats connectors the flow uses (queue triggers, queue/publish nodes).
    nats: set[str] = field(default_factory=set)
    jobs: bool = False  # the flow has schedules


@dataclass
class _Port:
    node: str
    port: str


@dataclass
class _Names:
    used: set[str] = field(default_factory=set)

    def take(self, want: str) -> str:
        name, n = want, 2
        while name in self.used:
            name, n = f"{want}{n}", n + 1
        self.used.add(name)
        return name


_RESERVED_RUN = {"x", "mu", "app", "open", "ID", "Triggers", "Open", "Routes", "Jobs", "Run"}


class FlowGen:
    def __init__(
        self,
        analysis: Analysis,
        flow_file: str,
        types: GoTypes,
        connector_kinds: dict[str, str],
        readers: ReaderGen | None = None,
        module: str = "nodeforge.app/app",
        called: frozenset[str] = frozenset(),
    ) -> None:
        self.readers = readers if readers is not None else ReaderGen(types)
        self.module = module
        self.called = called  # ids of the module's flows that flow/subflow nodes call
        self.code_files: dict[str, str] = {}
        self.code_sources: dict[str, tuple[str, int]] = {}
        self.code_converters: Converters | None = None  # typed code/go calls' converters
        self.a = analysis
        self.doc = analysis.document
        self.flow_file = flow_file
        self._line_name = flow_file.replace("\n", " ")  # as //line directives name it
        self.types = types
        self.connector_kinds = connector_kinds
        value = self.doc.value
        self.flow_id: str = str(value.get("id", "flow"))
        self.flow_name: str = str(value.get("name") or self.flow_id)
        self.flow_desc: str = str(value.get("description") or "")
        self.ftype, self.constructor = flow_type_names(self.flow_id)
        base = self.ftype.removesuffix("Flow")
        self.var_base = base
        self.rtype = base + "Run"
        self.imports: set[str] = {"nf"}
        self.packages: dict[str, str] = {}
        self.regexes: dict[str, str] = {}
        self.marks: list[LineMark] = []
        self.connectors: dict[str, str] = {}
        self.node_versions: dict[str, str] = {}
        self.fork_sources: dict[str, Path] = {}
        self.names = _Names(set(_RESERVED_RUN))
        self.callees: dict[str, str] = {}  # called flow id -> field of the flow struct
        self.forks = False  # a for-each runs iterations concurrently: needs run.fork()
        self.writers: set[str] = set()  # SQLite connectors written by sql/exec nodes
        self.methods: dict[tuple[str, str], str] = {}  # (node, input port) -> method
        self.stored: dict[tuple[str, str], tuple[str, str]] = {}  # (node, port) -> (field, go)
        self.merge_state: dict[str, list[tuple[str, str, str, str]]] = {}
        self.schemas: list[tuple[str, str]] = []  # (var name, json literal)
        self.uses_tzdata = False
        self.nats: set[str] = set()  # nats connectors used (queue triggers and publishers)
        self.row_dests: set[str] = set()
        self.merge_done: list[str] = []
        self.parallel = False
        self._request_fields: set[str] | None = None
        self.references: set[tuple[str, str]] = set()
        self.nodes = [n for n in self.doc.nodes if n.id is not None and n.id in analysis.facts]
        self.by_id = {n.id: n for n in self.nodes if n.id is not None}
        # The configs as written: the document's (analysis reads them, never changes
        # them; config() adds the manifest's defaults to a copy).
        self.raw: dict[str, dict[str, Any]] = {
            str(n.value.get("id")): n.config
            for n in self.doc.nodes
            if isinstance(n.value.get("config"), dict)
        }
        # Where each node starts (for //line): the nodes array's items told apart by one
        # regex pass when they can be (object_item_starts), else by one scan of the text.
        self._item_starts: list[int] | None = None
        items = self.doc.root.get("nodes") if self.doc.root is not None else None
        if (
            items is not None
            and items.kind == "array"
            and isinstance(items.value, list)
            and all(type(v) is dict for v in items.value)
        ):
            self._item_starts = object_item_starts(
                self.doc.text, items.start, items.end, len(items.value)
            )
        if self._item_starts is None:
            scanned = root_array_items(self.doc.text, "nodes")
            if scanned is not None:
                self._item_starts = scanned[0]
        doc = self.doc
        # //line positions' lines and columns
        self._lines = LineColumns(doc.text, lambda: doc.lines.line_starts)
        self._defaults: dict[int, tuple[NodeManifest, dict[str, Any]]] = {}
        self._go_in: dict[tuple[str, str], str] = {}
        self._node_starts: dict[str, int] = {}
        self._go_out: dict[tuple[str, str], str] = {}
        self._kits: dict[int, Kit] = {}
        self._templates: dict[int, tuple[Kit, jinja2.Template, Path]] = {}
        self._dynamic: dict[int, tuple[Expr, bool]] = {}  # the compilers' (ExprCompiler)

    # -- helpers -------------------------------------------------------------------

    def facts(self, node_id: str) -> NodeFacts:
        return self.a.facts[node_id]

    def manifest(self, node_id: str) -> NodeManifest:
        m = self.a.facts[node_id].manifest  # asked ~10 times per node: one call, not two
        if m is None:
            raise CodegenError(f"node `{node_id}` has no known type")
        return m

    def config(self, node_id: str) -> dict[str, Any]:
        node = self.by_id[node_id]
        manifest = self.manifest(node_id)
        # The manifest's defaults, built once per manifest (they are only read): building
        # them copies examples through JSON, a few microseconds per node and call.
        hit = self._defaults.get(id(manifest))
        if hit is None or hit[0] is not manifest:
            d = manifest.full_default_config() if hasattr(manifest, "full_default_config") else {}
            hit = self._defaults[id(manifest)] = (manifest, d if isinstance(d, dict) else {})
        cfg = dict(hit[1])
        cfg.update(node.config)
        return cfg

    def out_type(self, node_id: str, port: str) -> Type:
        return self.facts(node_id).output_types.get(port, ANY)

    def in_type(self, node_id: str, port: str = "in") -> Type:
        return self.facts(node_id).input_types.get(port, ANY)

    def type_hint(self, node_id: str, port: str) -> str:
        return pascal(node_id) + pascal(port)

    def go_out(self, node_id: str, port: str) -> str:
        key = (node_id, port)  # as for go_in: a port's Go type never changes once given
        go = self._go_out.get(key)
        if go is None:
            t = self.out_type(node_id, port)
            go = self._go_out[key] = self.types.go(t, self.type_hint(node_id, port))
        return go

    def go_in(self, node_id: str, port: str = "in") -> str:
        # Asked for several times per node; once given, a type's Go type never changes.
        key = (node_id, port)
        go = self._go_in.get(key)
        if go is None:
            go = self._go_in[key] = self._in_go(node_id, port)
        return go

    def _in_go(self, node_id: str, port: str) -> str:
        t = self.in_type(node_id, port)
        known = self.types.known(t)  # (usually: a predecessor's output) no hint to name
        if known is not None:
            return known
        preds = [e for e in self.a.graph.predecessors.get(node_id, []) if e.target_port == port]
        if len(preds) >= 1:
            first = preds[0]
            hint = self.type_hint(first.source, first.source_port)
            go = self.types.go(t, hint)
            return go
        return self.types.go(t, self.type_hint(node_id, port))

    def position(self, path: tuple[str | int, ...]) -> tuple[int, int]:
        span = self.doc.span_of(path)
        pos = self.doc.lines.position(span.start)
        return pos.line + 1, pos.character + 1

    def node_position(self, node_id: str, config_path: tuple[str | int, ...]) -> tuple[int, int]:
        """:meth:`position` of the node or of its config value at ``config_path``, the
        value found by scanning the node's text (``jsonpos``): the document's tree would
        expand every node's object and config into positioned children for it."""
        start = self._node_starts.get(node_id)
        if start is None:
            node = self.by_id[node_id]
            starts = self._item_starts
            if starts is not None and 0 <= node.index < len(starts):
                start = starts[node.index]
            else:
                start = self.doc.span_of(node.path).start
            self._node_starts[node_id] = start
        offset = start
        if config_path:
            # (an error-free document repeats no key: the first member found is the one)
            found = value_offset(self.doc.text, start, ("config", *config_path), unique_keys=True)
            if found is None:  # not all there: the deepest existing ancestor
                return self.position((*self.by_id[node_id].path, "config", *config_path))
            offset = found
        line, column = self._lines.position(offset)
        return line + 1, column + 1

    def line(self, node_id: str, config_path: tuple[str | int, ...] = ()) -> str:
        line, col = self.node_position(node_id, config_path)
        self.marks.append(_new_mark(LineMark, (line, col, node_id, config_path)))
        return f"//line {self._line_name}:{line}:{col}"

    def site(self, node_id: str, config_path: tuple[str | int, ...]) -> ExpressionSite | None:
        for s in self.facts(node_id).expressions:
            if s.config_path == config_path:
                return s
        return None

    def compiler(
        self,
        node_id: str,
        site: ExpressionSite | None,
        input_code: str,
        item: tuple[Type, str] | None = None,
    ) -> ExprCompiler:
        """The compiler of the node's expressions; ``item`` (the element's type and Go
        type) for a loop's ``collect``, whose ``input`` is the element."""
        facts = self.facts(node_id)
        env = self.a.env_of(facts) or TypeEnv()  # what the node's expressions see
        input_go = self.go_in(node_id)
        if item is not None:
            env, input_go = collect_env(env, item[0]), item[1]
        scope = Scope(input_code, input_go, self.node_ref)
        return ExprCompiler(
            self.types,
            env,
            scope,
            self.imports,
            self.regexes,
            pascal(node_id),
            self.var_base,
            self._dynamic,
        )

    def node_ref(self, node_id: str, port: str) -> Compiled:
        key = (node_id, port)
        if key not in self.stored:
            fname = self.names.take(lower_camel(node_id) + pascal(port))
            self.stored[key] = (fname, self.go_out(node_id, port))
        fname, go = self.stored[key]
        return Compiled(f"r.{fname}", go, self.out_type(node_id, port))

    def expr(
        self,
        node_id: str,
        config_path: tuple[str | int, ...],
        want: Type | None = None,
        *,
        source: str | None = None,
    ) -> Compiled:
        """Compile the expression at ``config_path`` (or ``source``, e.g. a default)."""
        site = self.site(node_id, config_path)
        text = site.source if site is not None else source
        if text is None:
            raise CodegenError(f"node `{node_id}`: no expression at {config_path}")
        parsed = parse(text)
        if parsed.expr is None:
            raise CodegenError(f"node `{node_id}`: the expression {text!r} does not parse")
        # The type the analysis gave the site, unless it names other nodes: their types
        # may have been unknown when it was checked (a node typed later in the order).
        typed = None
        if site is not None and site.result is not None and "nodes" not in text:
            typed = site.result.type
        return self.compiler(node_id, site, "input").expression(parsed.expr, want, typed)

    def template(self, node_id: str, config_path: tuple[str | int, ...], default: str = "") -> str:
        site = self.site(node_id, config_path)
        if site is None:
            value = self._config_at(node_id, config_path)
            return go_string(value if isinstance(value, str) else default)
        tpl = parse_template(site.source)
        return self.compiler(node_id, site, "input").template(tpl)

    def _config_at(self, node_id: str, path: tuple[str | int, ...]) -> Any:
        cur: Any = self.config(node_id)
        for p in path:
            if isinstance(cur, dict) and isinstance(p, str):
                cur = cur.get(p)
            elif isinstance(cur, list) and isinstance(p, int) and p < len(cur):
                cur = cur[p]
            else:
                return None
        return cur

    def base_type(self, node_id: str) -> str:
        """The node's type, or for a fork the standard type it was copied from: a fork
        keeps its base's config and ports, so its base's generator serves it."""
        m = self.manifest(node_id)
        fork = self.a.workspace.forks.get((m.type, m.version))
        return fork[0] if fork is not None else m.type

    def kit(self, node_id: str) -> Kit:
        m = self.manifest(node_id)
        hit = self._kits.get(id(m))
        if hit is None or hit.manifest is not m:
            hit = self._kits[id(m)] = kit_of(m)
        return hit

    def call_template(self, node_id: str) -> tuple[jinja2.Template, Path]:
        """The compiled call-site template of the node's kit (a fork made before kits
        carried templates uses its base's). Looked up once per kit and generation: the
        file's version is checked then, not for every node of that type."""
        kit = self.kit(node_id)
        hit = self._templates.get(id(kit))
        if hit is None or hit[0] is not kit:
            found = self._call_template(kit)
            self._templates[id(kit)] = (kit, *found)
            return found
        return hit[1], hit[2]

    def _call_template(self, kit: Kit) -> tuple[jinja2.Template, Path]:
        path, trusted = kit.template, kit.trusted
        if not path.is_file():
            m = kit.manifest
            base = self.a.workspace.forks.get((m.type, m.version))
            std = standard_catalog().get(*base) if base is not None else None
            if std is None:
                raise TemplateError(
                    f"{m.type} {m.version} has no call-site template ({TEMPLATE_FILE})", path
                )
            path, trusted = std.path.parent / TEMPLATE_FILE, True
        return load_template(path, trusted=trusted), path

    def package(self, node_id: str) -> str:
        node = self.by_id[node_id]
        assert node.type is not None and node.version is not None
        m = self.manifest(node_id)
        name, path = executor_package(node.type, node.version)
        if self.kit(node_id).pack.origin != "builtin":
            # A kit of another pack (a fork, a custom node, an installed pack): its own
            # Go files are copied into the module, as a package named after its type.
            self.fork_sources[path] = m.path.parent
        alias = self.packages.get(path)
        if alias is None:
            alias = name
            if alias in self.packages.values():
                alias = name + node.version.replace(".", "")
            self.packages[path] = alias
        self.node_versions[f"{node.type}@{node.version}"] = path
        return alias

    def code_package(self, node_id: str) -> str:
        """Write the package of a code/go node (its source and its Input/Output types)
        and return its import alias. Each node gets its own package, so two nodes may
        both define ``Run``, ``Input`` and their own helpers."""
        from .usercode import source_offset, types_source, user_source  # code/go only

        ident = re.sub(r"[^a-z0-9_]", "_", node_id.lower())
        name = self.names.take("code_" + ident)
        flow_folder = code_folder_name(re.sub(r"[^a-z0-9_]", "_", self.flow_id.lower()))
        folder = f"code/{flow_folder}/{name}"
        cfg = self.config(node_id)
        raw = self.raw.get(node_id, {})
        where = "".join(ch if ch.isprintable() else "?" for ch in self.flow_file)
        header = (
            "// Code generated by nodeforge. DO NOT EDIT.\n"
            f"// source: {where}, node {go_string(node_id)} (code/go)\n\n"
        )
        self.code_files[f"{folder}/types.go"] = header + types_source(
            raw.get("input_schema", cfg.get("input_schema")),
            raw.get("output_schema", cfg.get("output_schema")),
            package=name,
        )
        source = str(cfg.get("source", ""))
        text = header + user_source(source, package=name, origin=None)
        self.code_files[f"{folder}/node.go"] = text
        # Compiler errors in the file map back to the node's source string.
        self.code_sources[f"{folder}/node.go"] = (node_id, source_offset(text, source))
        self.packages[f"{self.module}/{folder}"] = name
        return name

    def code_call(self, node_id: str, package: str) -> CodeCall | None:
        """The typed call of code/go node ``node_id`` (package ``package``), or none."""
        from .codecall import Converters, typed_call  # code/go only

        if self.code_converters is None:
            self.code_converters = Converters(pascal(self.flow_id))
        cfg = self.config(node_id)
        raw = self.raw.get(node_id, {})
        return typed_call(
            self.code_converters,
            self.types,
            package,
            pascal(node_id),
            raw.get("input_schema", cfg.get("input_schema")),
            raw.get("output_schema", cfg.get("output_schema")),
            self.go_in(node_id, "in"),
            self.go_out(node_id, "out"),
        )

    def callee(self, flow_id: str) -> str:
        """The field holding the flow that a flow/subflow node calls (each calling flow
        holds its own instance; connectors are shared through the app)."""
        if flow_id not in self.callees:
            self.callees[flow_id] = self.names.take("flow" + pascal(flow_id))
        return self.callees[flow_id]

    def struct_lit(self, t: Type, values: dict[str, str], hint: str) -> str:
        """A composite literal of ``t``'s Go type from Go code per JSON field name."""
        go = self.types.go(t, hint)
        s = self.types.struct_of(t)
        if s is None:
            if go == "nf.NodeError":
                names = {"message": "Message", "code": "Code", "retryable": "Retryable"}
                inner = ", ".join(f"{names[k]}: {v}" for k, v in values.items())
                return f"nf.NodeError{{{inner}}}"
            entries = ", ".join(f"{go_string(k)}: {v}" for k, v in values.items())
            return f"{go}{{{entries}}}"
        return self.types.composite(s, values)

    # -- wiring ----------------------------------------------------------------------

    def method(self, node_id: str, port: str = "in") -> str:
        key = (node_id, port)
        found = self.methods.get(key)
        if found is None:
            manifest = self.manifest(node_id)
            base = lower_camel(node_id)
            if manifest.type == "flow/merge" or (manifest.kind == "trigger" and port != "in"):
                base += pascal(port)
            found = self.methods[key] = self.names.take(base)
        return found

    def emit(
        self, node_id: str, port: str, value: str, value_type: Type, value_go: str
    ) -> list[str]:
        """Statements that store (if referenced) and pass a port's value on; ends in return.
        The value is recorded as the node's output first (``nf.Out``, for the execution
        record; a trigger's output is the execution's input, recorded by ``nf.Input``)."""
        out: list[str] = []
        if self.manifest(node_id).kind != "trigger":  # (recorded(), inline: on every node)
            recorded = f"nf.Out(r.x, {go_string(node_id)}, {go_string(port)}, {value})"
            if value.isidentifier():
                out.append(recorded)
            else:
                value = recorded
        key = (node_id, port)
        if key in self.stored or key in self.references:
            ref = self.node_ref(node_id, port)
            out.append(f"{ref.code} = {value}")
            value = ref.code
        successors = self.a.graph.successors.get(node_id, ())
        if len(successors) == 1:  # (most nodes: no list made by a comprehension)
            edges = [successors[0]] if successors[0].source_port == port else []
        else:
            edges = [e for e in successors if e.source_port == port]
        if not edges:
            out.append("return nil")
            return out
        if len(edges) > 1:
            edges.sort(key=lambda e: e.index)
        calls = []
        for e in edges:
            arg = self.convert(value, value_type, value_go, e)
            calls.append(f"r.{self.method(e.target, e.target_port)}({arg})")
        if len(edges) > 1 and self.branches_meet(edges):
            # The branches meet again at a merge: run them at the same time.
            self.imports.add("nf")
            self.parallel = True
            funcs = "".join(f"\tfunc() error {{ return {c} }},\n" for c in calls)
            out.append(f"return nf.Parallel(\n{funcs})")
            return out
        for i, call in enumerate(calls):
            if i < len(calls) - 1:
                out.append(f"if err := {call}; err != nil {{\n\treturn err\n}}")
            else:
                out.append(f"return {call}")
        return out

    def recorded(self, node_id: str, port: str, value: str) -> str:
        """``value`` passed through ``nf.Out`` (the node's output in its execution record);
        unchanged for triggers."""
        if self.manifest(node_id).kind == "trigger":
            return value
        return f"nf.Out(r.x, {go_string(node_id)}, {go_string(port)}, {value})"

    def branches_meet(self, edges: list[Edge]) -> bool:
        """Whether two of the branches starting at ``edges`` reach the same flow/merge."""
        return bool(self.a.graph.branches_meet(edges))

    def port_used(self, node_id: str, port: str) -> bool:
        key = (node_id, port)
        if key in self.stored or key in self.references:
            return True
        return any(e.source_port == port for e in self.a.graph.successors.get(node_id, []))

    def output(self, node_id: str, port: str, value: str, t: Type, go: str) -> list[str]:
        """Build a port's value only if something uses it, then emit it."""
        if not self.port_used(node_id, port):
            return [
                f"_ = {self.recorded(node_id, port, value)} // recorded, not used",
                "return nil",
            ]
        if value.isidentifier():
            return self.emit(node_id, port, value, t, go)
        return [f"out := {value}", *self.emit(node_id, port, "out", t, go)]

    def _referenced(self, node_id: str, port: str) -> bool:
        return (node_id, port) in self.references

    def convert(self, value: str, t: Type, go: str, edge: Edge) -> str:
        want_go = self.go_in(edge.target, edge.target_port)
        if want_go == go:
            return value
        if want_go == "any":
            return f"any({value})"
        want_t = self.in_type(edge.target, edge.target_port)
        return self.types.decode(want_t, f"nf.JSONValue({value})", '""', pascal(edge.target))

    def on_error(self, node_id: str, err: str = "err") -> list[str]:
        edges = [e for e in self.a.graph.successors.get(node_id, []) if e.source_port == "error"]
        if not edges and (node_id, "error") not in self.references:
            return [f"return r.x.Fail({go_string(node_id)}, {err})"]
        value = f"r.x.Failed({go_string(node_id)}, {err})"
        lines = [f"failure := {value}"]
        t = self.out_type(node_id, "error")
        lines += self.emit(node_id, "error", "failure", t, "nf.NodeError")
        return lines

    # -- the file ---------------------------------------------------------------------

    def generate(
        self, sink: Callable[[list[str]], None] | None = None, sink_lines: int = 2000
    ) -> FlowCode:
        """The flow's code. With a ``sink``, the node methods are also handed to it as
        they are generated, in runs of whole methods of about ``sink_lines`` lines (the
        module formats them with gofmt meanwhile)."""
        for facts in self.a.facts.values():
            for s in facts.expressions:
                if s.result is not None:
                    for ref in s.result.references:
                        if ref.port is not None:
                            self.references.add((ref.node_id, ref.port))
        triggers = [n for n in self.by_id if self.manifest(n).kind == "trigger"]
        reachable = self.a.graph.reachable()
        order = [n for n in self.a.graph.topological_order() if n in reachable and n in self.by_id]
        # Names of the trigger methods first, so they read like the flow.
        for nid in order:
            self.method(nid)
        node_code: list[str] = []
        done = 0  # node_code[:done] went to the sink
        for nid in order:
            node_code.extend(self.node(nid))
            # Cut only after a blank line: gofmt formats each run on its own, and a
            # blank line between two declarations is what it would keep there anyway.
            ready = len(node_code) - done >= sink_lines and node_code[-1:] == [""]
            if sink is not None and ready:
                sink(node_code[done:])
                done = len(node_code)
        if sink is not None and done < len(node_code):
            sink(node_code[done:])
        head = self.head(triggers)
        if self.code_converters is not None:
            head += self.code_converters.decls
        return FlowCode(
            flow_id=self.flow_id,
            go_type=self.ftype,
            constructor=self.constructor,
            file_name=flow_file_name(self.flow_id),
            head=head,
            nodes=node_code,
            imports=self.imports,
            packages=self.packages,
            marks=self.marks,
            connectors=self.connectors,
            node_versions=self.node_versions,
            uses_tzdata=self.uses_tzdata,
            fork_sources=self.fork_sources,
            code_files=self.code_files,
            code_sources=self.code_sources,
            nats=self.nats,
            jobs=any(self.manifest(t).type == "trigger/schedule" for t in triggers),
        )

    def head(self, triggers: list[str]) -> list[str]:
        lines: list[str] = []
        doc = [f"{self.ftype} is the flow {self.flow_name!r} ({self.flow_file})."]
        lines += go_comment(" ".join(doc))
        if self.flow_desc:
            lines.append("//")
            lines += go_comment(self.flow_desc)
        lines.append(f"type {self.ftype} struct {{")
        lines.append("\tapp *nf.App")
        for name in sorted(self.connectors):
            lines.append(f"\t{self.db_field(name)} *sql.DB")
            if name in self.writers:
                lines.append(f"\t{self.db_field(name)}Writes *sql.DB // one writer at a time")
        callees = sorted(self.callees.items(), key=lambda kv: kv[1])
        for flow_id, fname in callees:
            lines.append(f"\t{fname} *{flow_type_names(flow_id)[0]} // called by flow/subflow")
        lines.append("}")
        lines.append("")
        inits = "".join(
            f", {fname}: {flow_type_names(flow_id)[1]}(app)" for flow_id, fname in callees
        )
        lines.append(f"func {self.constructor}(app *nf.App) *{self.ftype} {{")
        lines.append(f"\treturn &{self.ftype}{{app: app{inits}}}")
        lines.append("}")
        lines.append("")
        lines.append(f"func (f *{self.ftype}) ID() string {{ return {go_string(self.flow_id)} }}")
        lines.append("")
        tl = ", ".join(go_string(t) for t in triggers)
        lines.append(f"func (f *{self.ftype}) Triggers() []string {{ return []string{{{tl}}} }}")
        lines.append("")
        lines.append("// Open opens the connectors the flow uses.")
        lines.append(f"func (f *{self.ftype}) Open() error {{")
        for _flow_id, fname in callees:
            lines.append(f"\tif err := f.{fname}.Open(); err != nil {{")
            lines.append("\t\treturn err")
            lines.append("\t}")
        if self.connectors:
            lines.append("\tvar err error")
        for name in sorted(self.connectors):
            kind = self.connectors[name]
            lines.append(
                f"\tif f.{self.db_field(name)}, err = f.app.DB({go_string(name)}, "
                f"{go_string(kind)}); err != nil {{"
            )
            lines.append("\t\treturn err")
            lines.append("\t}")
            if name in self.writers:
                lines.append(
                    f"\tif f.{self.db_field(name)}Writes, err = f.app.WriteDB({go_string(name)}, "
                    f"{go_string(kind)}); err != nil {{"
                )
                lines.append("\t\treturn err")
                lines.append("\t}")
        for name in sorted(self.nats | queue_connectors(self, triggers)):
            # Connects in the background: the app is not ready while NATS is down.
            self.packages[NATSQ] = "natsq"
            lines.append(f"\tnatsq.Register(f.app, {go_string(name)})")
        lines.append("\treturn nil")
        lines.append("}")
        lines.append("")
        lines += self.routes(triggers)
        lines += self.jobs(triggers)
        lines += services(self, triggers)
        lines += self.run_fn(triggers)
        if self.flow_id in self.called:
            lines += self.call_fn(triggers)
        # The execution state.
        lines.append(
            f"// {self.rtype} is one execution of the flow: the outputs that later nodes read."
        )
        lines.append(f"type {self.rtype} struct {{")
        lines.append(f"\t*{self.ftype}")
        lines.append("\tx *nf.Exec")
        for (_node, _port), (fname, go) in sorted(self.stored.items(), key=lambda kv: kv[1][0]):
            lines.append(f"\t{fname} {go}")
        for _merge, states in sorted(self.merge_state.items()):
            for fname, go, flag, _port in states:
                lines.append(f"\t{fname} {go}")
                lines.append(f"\t{flag} bool")
        for done in self.merge_done:
            lines.append(f"\t{done} bool")
        if self.merge_state:
            self.imports.add("sync")
            lines.append("\tmu sync.Mutex // merges may be reached from parallel branches")
        lines.append("}")
        lines.append("")
        if self.forks:
            lines += self.fork_fn()
        for var, text in self.schemas:
            lines.append(f"var {var} = nf.MustSchema({text})")
        for pattern, var in sorted(self.regexes.items(), key=lambda kv: kv[1]):
            self.imports.add("regexp")
            lines.append(f"var {var} = regexp.MustCompile({go_string(pattern)})")
        if self.schemas or self.regexes:
            lines.append("")
        return lines

    def fork_fn(self) -> list[str]:
        """``fork``: the execution state for one concurrent for-each iteration. Outputs
        stored so far are copied; merge state starts afresh."""
        fields = "".join(
            f", {fname}: r.{fname}" for fname, _go in sorted(v for v in self.stored.values())
        )
        return [
            "// fork copies the execution state for one concurrent for-each iteration: the",
            "// nodes of the loop body store their outputs in their own copy.",
            f"func (r *{self.rtype}) fork() *{self.rtype} {{",
            f"\treturn &{self.rtype}{{{self.ftype}: r.{self.ftype}, x: r.x.Fork(){fields}}}",
            "}",
            "",
        ]

    def var_name(self, node_id: str, what: str) -> str:
        """A package-level variable of this flow: flows share package main, so the name
        starts with the flow's (``ordersAPICreateOrderBodySchema``)."""
        return self.var_base + pascal(node_id) + what

    def db_field(self, connector: str) -> str:
        return "db" + pascal(connector)

    # -- triggers -----------------------------------------------------------------------

    def http_triggers(self, triggers: list[str]) -> list[str]:
        return [t for t in triggers if self.manifest(t).type == "http/trigger"]

    def body_schema(self, trigger: str) -> str | None:
        cfg = self.raw.get(trigger, {})
        if "body_schema" not in cfg:
            return None
        var = self.var_name(trigger, "BodySchema")
        if all(v != var for v, _ in self.schemas):
            self.schemas.append((var, json_text(cfg["body_schema"])))
        return var

    def param_schema(self, trigger: str, key: str) -> tuple[str, str] | None:
        """For ``params``/``query`` of an HTTP trigger with a ``params_schema`` /
        ``query_schema``: the schema's Go variable and the Go map of the parameters
        converted before the check (``nf.TypedParams``)."""
        cfg = self.raw.get(trigger, {})
        schema = cfg.get(f"{key}_schema")
        if schema is None:
            return None
        var = self.var_name(trigger, pascal(key) + "Schema")
        if all(v != var for v, _ in self.schemas):
            self.schemas.append((var, json_text(schema)))
        kinds = param_kinds(schema)
        entries = ", ".join(f"{go_string(k)}: {go_string(v)}" for k, v in sorted(kinds.items()))
        return var, f"map[string]string{{{entries}}}"

    def check_params(
        self, trigger: str, values: dict[str, str], raw: dict[str, str], served: bool = True
    ) -> list[str]:
        """Go statements converting and checking the trigger's path and query parameters
        (``raw``: Go code of their JSON values by name) into variables ``params`` and
        ``query``, answering 400 before the flow starts (:meth:`reject`); ``values`` gets
        those names."""
        lines: list[str] = []
        titles = {"params": "nf.PathParams", "query": "nf.QueryParams"}
        for key in PARAMS:
            found = self.param_schema(trigger, key)
            if found is None:
                continue
            var, kinds = found
            lines += [
                f"{key}, bad := nf.Params({raw[key]}, {kinds}, {var}, {titles[key]})",
                "if bad != nil {",
                *("\t" + s for s in self.reject(trigger, served)),
                "}",
            ]
            values[key] = self.field_value(trigger, key, key, pascal(key))
        return lines

    def shapes_invalid(self, trigger: str) -> bool:
        """Whether the flow answers the trigger's invalid requests itself: an HTTP
        trigger whose ``invalid`` port (1.1.0) is connected."""
        return self.manifest(trigger).type == "http/trigger" and any(
            e.source_port == "invalid" for e in self.a.graph.successors.get(trigger, [])
        )

    def reject(self, trigger: str, served: bool) -> list[str]:
        """Go statements for a request ``bad`` (``*nf.BadRequest``) that broke the
        trigger's schemas, ending the handler (``served``) or the run callback: the
        default problem+json answer, or the flow run from the ``invalid`` port."""
        if not self.shapes_invalid(trigger):
            return ["x.Reject(bad)", "return" if served else "return nil"]
        call = f"r.{self.method(trigger, 'invalid')}(bad)"
        if not served:
            return [f"return {call}"]
        return [
            f"r := &{self.rtype}{{{self.ftype}: f, x: x}}",
            f"x.Run(func() error {{ return {call} }})",
            "return",
        ]

    def invalid_fn(self, nid: str) -> list[str]:
        """The method running an HTTP trigger's ``invalid`` port: the problem of a bad
        request as the port's type, recorded as the execution's input and passed on."""
        t, go = self.out_type(nid, "invalid"), self.go_out(nid, "invalid")
        m = self.manifest(nid)
        value = self.types.decode(t, "nf.JSONValue(bad)", EMPTY, self.type_hint(nid, "invalid"))
        name = self.method(nid, "invalid")
        return [
            *go_comment(f"{name} runs node {nid}'s `invalid` port: the request broke its schemas."),
            f"func (r *{self.rtype}) {name}(bad *nf.BadRequest) error {{",
            f"\tinvalid := nf.Input(r.x, {go_string(nid)}, {go_string(m.type)}, "
            f"{go_string(m.version)}, {value})",
            *(_indent(s) for s in self.emit(nid, "invalid", "invalid", t, go)),
            "}",
            "",
        ]

    def input_schema(self, trigger: str) -> str | None:
        cfg = self.raw.get(trigger, {})
        if "input_schema" not in cfg:
            return None
        var = self.var_name(trigger, "InputSchema")
        if all(v != var for v, _ in self.schemas):
            self.schemas.append((var, json_text(cfg["input_schema"])))
        return var

    def trigger_value(self, trigger: str, values: dict[str, str]) -> str:
        t = self.out_type(trigger, "out")
        return self.struct_lit(t, values, self.type_hint(trigger, "out"))

    def body_value(self, trigger: str, body: str) -> str:
        return self.field_value(trigger, "body", body, "Body")

    def field_value(self, trigger: str, name: str, value: str, hint: str) -> str:
        """Go code converting the JSON value ``value`` (checked against its schema
        already) to the type of the trigger output's field ``name`` (an HTTP body, a
        queue message's payload)."""
        t = self.out_type(trigger, "out")
        field_t: Type = ANY
        if isinstance(t, ObjectType):
            f = t.field(name)
            field_t = f.type if f is not None else ANY
        go = self.types.go(field_t, pascal(trigger) + hint)
        if go == "map[string]any":
            return f"nf.Object({value})"
        if go == "any":
            return value
        return self.types.decode(field_t, value, '""', pascal(trigger) + hint)

    def routes(self, triggers: list[str]) -> list[str]:
        lines = [f"func (f *{self.ftype}) Routes() []nf.Route {{"]
        https = self.http_triggers(triggers)
        if not https:
            lines += ["\treturn nil", "}", ""]
            return lines
        lines.append("\treturn []nf.Route{")
        for t in https:
            cfg = self.config(t)
            pattern = f"{cfg.get('method', 'GET')} {cfg.get('path', '/')}"
            lines.append(f"\t\t{{Pattern: {go_string(pattern)}, Handler: f.serve{pascal(t)}}},")
        lines += ["\t}", "}", ""]
        for t in https:
            lines += self.serve_fn(t)
        return lines

    def path_params(self, trigger: str) -> list[str]:
        path = str(self.config(trigger).get("path", "/"))
        names: list[str] = []
        for seg in path.split("/"):
            if seg.startswith("{") and seg.endswith("}"):
                name = seg[1:-1].rstrip(".")
                if name:
                    names.append(name)
        return names

    def serve_fn(self, t: str) -> list[str]:
        self.imports.add("net/http")
        schema = self.body_schema(t)
        cfg = self.config(t)
        reads_body = cfg.get("method", "GET") not in ("GET", "DELETE", "HEAD")
        lines = [
            f"func (f *{self.ftype}) serve{pascal(t)}(w http.ResponseWriter, req *http.Request) {{",
            f"\tx := f.app.NewExec(req.Context(), {go_string(self.flow_id)}, {go_string(t)}, "
            "nf.HTTPResponder{W: w})",
        ]
        params = self.path_params(t)
        p = ", ".join(f"{go_string(n)}: req.PathValue({go_string(n)})" for n in params)
        values = {
            "method": "req.Method",
            "path": "req.URL.Path",
            "params": f"map[string]string{{{p}}}",
        }
        raw = {"params": f"map[string]any{{{p}}}", "query": "nf.QueryValues(req)"}
        lines += ["\t" + line for line in self.check_params(t, values, raw)]
        reader = None
        if reads_body and schema is not None:
            reader = self.readers.reader(self.raw[t]["body_schema"], pascal(t) + "Body")
        rejected = ["\t\t" + s for s in self.reject(t, served=True)]
        if reader is not None:
            lines.append(f"\tbody, bad := nf.ReadRequest(req, {reader})")
            lines.append("\tif bad != nil {")
            lines += rejected
            lines.append("\t}")
        elif reads_body:
            lines.append(f"\tbody, bad := nf.ReadBody(req, {schema or 'nf.ObjectBody'})")
            lines.append("\tif bad != nil {")
            lines += rejected
            lines.append("\t}")
            body = "body"
        else:
            body = "nil"
        values["body"] = "body" if reader is not None else self.body_value(t, body)
        # The query and headers maps cost allocations on every request: build them only
        # when some expression can see them.
        used = self.request_fields_used()
        if "query" in used and "query" not in values:
            values["query"] = "nf.Query(req)"
        if "headers" in used:
            values["headers"] = "nf.Headers(req)"
        lines.append(f"\tr := &{self.rtype}{{{self.ftype}: f, x: x}}")
        lines.append("\tx.Run(func() error {")
        lines.append(f"\t\treturn r.{self.method(t)}({self.trigger_value(t, values)})")
        lines.append("\t})")
        lines.append("}")
        lines.append("")
        return lines

    def request_fields_used(self) -> set[str]:
        """Which of ``query``/``headers`` the flow's expressions may read. A bare value
        (``input``, ``nodes.t.out``: it may be returned or logged whole) counts as all."""
        if self._request_fields is not None:
            return self._request_fields
        used: set[str] = set()
        everything = {"query", "headers"}
        for nid in self.by_id:
            m = self.manifest(nid)
            if m.type == "http/respond" and "body" not in self.raw.get(nid, {}):
                used |= everything  # the default body is `input`
            for site in self.facts(nid).expressions:
                texts = [site.source]
                if site.is_template:
                    tpl = parse_template(site.source)
                    texts = [h.source for h in tpl.holes]
                for text in texts:
                    parsed = parse(text)
                    if parsed.expr is not None:
                        used |= _fields_read(parsed.expr, everything)
        self._request_fields = used
        return used

    def jobs(self, triggers: list[str]) -> list[str]:
        scheds = [t for t in triggers if self.manifest(t).type == "trigger/schedule"]
        lines = [f"func (f *{self.ftype}) Jobs() []nf.Job {{"]
        if not scheds:
            return [*lines, "\treturn nil", "}", ""]
        self.imports.update({"context", "time"})
        lines.append("\treturn []nf.Job{")
        for t in scheds:
            cfg = self.config(t)
            tz = str(cfg.get("timezone") or "UTC")
            if tz != "UTC":
                self.uses_tzdata = True
            lines.append("\t\t{")
            lines.append(f"\t\t\tFlow: {go_string(self.flow_id)}, Trigger: {go_string(t)},")
            # Parsed when the app starts (nf.PrepareJobs): a bad one stops it with a message.
            lines.append(
                f"\t\t\tSpec: {go_string(str(cfg.get('cron', '')))}, TimeZone: {go_string(tz)},"
            )
            lines.append(f"\t\t\tRun: f.schedule{pascal(t)},")
            lines.append("\t\t},")
        lines += ["\t}", "}", ""]
        for t in scheds:
            lines.append(
                f"func (f *{self.ftype}) schedule{pascal(t)}(ctx context.Context, at time.Time) {{"
            )
            lines.append(
                f"\tx := f.app.NewExec(ctx, {go_string(self.flow_id)}, {go_string(t)}, nil)"
            )
            lines.append(f"\tr := &{self.rtype}{{{self.ftype}: f, x: x}}")
            lines.append("\tutc, local, zone := nf.ScheduleTimes(at, at.Location())")
            value = self.trigger_value(
                t, {"time": "utc", "local_time": "local", "timezone": "zone"}
            )
            lines.append(f"\tx.Run(func() error {{ return r.{self.method(t)}({value}) }})")
            lines.append("}")
            lines.append("")
        return lines

    def run_fn(self, triggers: list[str]) -> list[str]:
        self.imports.update({"context", "encoding/json"})
        lines = [
            "// Run runs one execution from trigger with input, the trigger's output data as",
            "// JSON values (missing HTTP fields take the trigger's defaults).",
            f"func (f *{self.ftype}) Run(ctx context.Context, trigger string, input any, "
            "fixtures map[string]json.RawMessage) *nf.Captured {",
        ]
        if any(
            self.manifest(t).type in ("http/trigger", "trigger/schedule", QUEUE) for t in triggers
        ):
            lines.append("\tin := nf.Object(input)")
        lines.append("\tswitch trigger {")
        for t in triggers:
            m = self.manifest(t)
            lines.append(f"\tcase {go_string(t)}:")
            lines.append(
                f"\t\treturn f.app.RunCaptured(ctx, {go_string(self.flow_id)}, {go_string(t)}, "
                "fixtures, func(x *nf.Exec) error {"
            )
            lines.append(f"\t\t\tr := &{self.rtype}{{{self.ftype}: f, x: x}}")
            out_t = self.out_type(t, "out")
            hint = self.type_hint(t, "out")
            if m.type == "http/trigger":
                cfg = self.config(t)
                schema = self.body_schema(t)
                checked: dict[str, str] = {}
                raw = {k: f"nf.Default(in, {go_string(k)}, map[string]any{{}})" for k in PARAMS}
                for line in self.check_params(t, checked, raw, served=False):
                    lines.append("\t\t\t" + line)
                # Without a body_schema the body is any JSON object (nf.ObjectBody).
                default_body = "nil" if schema is not None else "map[string]any{}"
                lines.append(
                    f'\t\t\tif bad := nf.CheckValue(nf.Default(in, "body", {default_body}), '
                    f"{schema or 'nf.ObjectBody'}); bad != nil {{"
                )
                lines += ["\t\t\t\t" + s for s in self.reject(t, served=False)]
                lines.append("\t\t\t}")
                defaults = {
                    "method": go_string(str(cfg.get("method", "GET"))),
                    "path": go_string(str(cfg.get("path", "/"))),
                    "params": "map[string]any{}",
                    "query": "map[string]any{}",
                    "headers": "map[string]any{}",
                    "body": "map[string]any{}" if schema is None else "nil",
                }
                entries = "".join(
                    f"\t\t\t\t{go_string(k)}: "
                    f"{k if k in checked else f'nf.Default(in, {go_string(k)}, {v})'},\n"
                    for k, v in defaults.items()
                )
                value = f"map[string]any{{\n{entries}\t\t\t}}"
                lines.append(
                    f"\t\t\treturn r.{self.method(t)}({self.types.decode(out_t, value, EMPTY, hint)})"
                )
            elif m.type == QUEUE:
                lines += ["\t\t\t" + s for s in run_value(self, t)]
            elif m.type == "trigger/schedule":
                tz = str(self.config(t).get("timezone") or "UTC")
                value = f"nf.ScheduleInput(in, {go_string(tz)})"
                lines.append(
                    f"\t\t\treturn r.{self.method(t)}({self.types.decode(out_t, value, EMPTY, hint)})"
                )
            else:
                lines += ["\t\t\t" + s for s in self.start_manual(t, "input")]
            lines.append("\t\t})")
        lines.append("\t}")
        lines.append(
            '\treturn &nf.Captured{Error: "flow " + '
            f'{go_string(self.flow_id)} + " has no trigger " + nf.Quote(trigger)}}'
        )
        lines.append("}")
        lines.append("")
        return lines

    def start_manual(self, t: str, value: str) -> list[str]:
        """Start an execution at manual trigger ``t`` with the JSON value ``value``: a
        value breaking its input_schema is answered 400, else decoded and passed on."""
        lines: list[str] = []
        schema = self.input_schema(t)
        if schema is not None:
            lines += [f"if bad := nf.CheckValue({value}, {schema}); bad != nil {{"]
            lines += ["\tx.Reject(bad)", "\treturn nil", "}"]
        decoded = self.types.decode(self.out_type(t, "out"), value, EMPTY, self.type_hint(t, "out"))
        return [*lines, f"return r.{self.method(t)}({decoded})"]

    def call_fn(self, triggers: list[str]) -> list[str]:
        """``Call``: the flow run by another flow's flow/subflow node, from its first
        manual trigger."""
        manual = [t for t in triggers if self.manifest(t).type == "trigger/manual"]
        if not manual:
            raise CodegenError(
                f"flow `{self.flow_id}` is called by a flow/subflow node but has no "
                "trigger/manual node"
            )
        t = manual[0]
        lines = [
            f"// Call runs the flow from its manual trigger {t} for the flow/subflow node",
            "// node of the execution parent, and returns what its respond node answered.",
            f"func (f *{self.ftype}) Call(parent *nf.Exec, node string, "
            "input map[string]any) (any, error) {",
            f"\treturn f.app.CallFlow(parent, node, {go_string(self.flow_id)}, {go_string(t)}, "
            "func(x *nf.Exec) error {",
            f"\t\tr := &{self.rtype}{{{self.ftype}: f, x: x}}",
            "\t\tin := nf.JSONValue(input)",
        ]
        # Bad arguments are answered 400 with the problems, as `app run` does.
        lines += ["\t\t" + s for s in self.start_manual(t, "in")]
        lines += ["\t})", "}", ""]
        return lines

    # -- nodes -----------------------------------------------------------------------------

    def node(self, nid: str) -> list[str]:
        m = self.manifest(nid)
        title = self.by_id[nid].value.get("title")
        kind = self.base_type(nid)
        gen: Callable[[FlowGen, str], list[str]] = _render_kit
        if m.structural:
            # The flow language itself: generated here, one function per node type.
            found = STRUCTURAL.get(kind)
            if found is None:
                raise CodegenError(f"node `{nid}`: {kind}@{m.version} is not a structural node")
            gen = found
            self.node_versions.setdefault(f"{kind}@{m.version}", "")
        if kind == "flow/merge":
            return gen(self, nid)
        name = self.method(nid)
        doc = f"{name} runs node {nid} ({kind} {m.version})"
        if isinstance(title, str) and title:
            doc += f": {title}"
        # `//` between the doc comment and the directive, as gofmt writes it
        lines = [*go_comment(doc + "."), "//", self.line(nid)]
        if m.kind == "trigger":
            param = f"out {self.go_out(nid, 'out')}"
        else:
            param = f"input {self.go_in(nid)}"
        lines.append(f"func (r *{self.rtype}) {name}({param}) error {{")
        # The execution record's hook: the one place every node passes (kits need none).
        self.imports.add("nf")
        hook = "nf.Input" if m.kind == "trigger" else "nf.Enter"
        value = "out" if m.kind == "trigger" else "input"
        lines.append(
            f"\t{hook}(r.x, {go_string(nid)}, {go_string(m.type)}, {go_string(m.version)}, {value})"
        )
        if gen is _render_kit:
            lines += self._render_kit(nid, "\t")  # indented as it is split into lines
        else:
            lines += _indented(gen(self, nid))
        lines.append("}")
        lines.append("")
        if m.type == "http/trigger" and self.shapes_invalid(nid):
            lines += self.invalid_fn(nid)
        return lines

    def render_kit(self, nid: str) -> list[str]:
        """The node's method body from its kit's call-site template."""
        return self._render_kit(nid, "")

    def _render_kit(self, nid: str, indent: str) -> list[str]:
        try:
            template, path = self.call_template(nid)
            body = render_call(template, NodeAPI(self, nid), path, indent)
        except TemplateError as exc:
            exc.node_id = exc.node_id or nid
            raise
        m = self.manifest(nid)
        self.node_versions.setdefault(f"{m.type}@{m.version}", "")
        return body

    def check_err(self, nid: str) -> list[str]:
        """``if err != nil { <the node's error path> }`` after an executor call."""
        return ["if err != nil {", *(_indent(s) for s in self.on_error(nid)), "}"]

    def finish(self, nid: str, values: dict[str, str]) -> list[str]:
        """End the node's span, then send its ``out`` port the struct built from
        ``values`` (Go code per JSON field name)."""
        t, go = self.out_type(nid, "out"), self.go_out(nid, "out")
        literal = self.struct_lit(t, values, self.type_hint(nid, "out"))
        return [self.end(nid), *self.output(nid, "out", literal, t, go)]

    def finish_json(self, nid: str, value: str) -> list[str]:
        """Decode ``value``, a JSON value from outside the flow's types (custom code, a
        called flow), into the ``out`` port's type (a mismatch is the node's error), end
        the node's span and send it on."""
        t, go = self.out_type(nid, "out"), self.go_out(nid, "out")
        lines: list[str] = []
        if go != "any":
            decode = self.types.decode(t, value, EMPTY, self.type_hint(nid, "out"))
            lines.append(f"out, err := nf.Convert(func() {go} {{ return {decode} }})")
            lines += self.check_err(nid)
            value = "out"
        return [*lines, self.end(nid), *self.output(nid, "out", value, t, go)]

    def start(self, nid: str) -> str:
        return f"start := r.x.Start({go_string(nid)})"

    def end(self, nid: str) -> str:
        return f"r.x.End({go_string(nid)}, start)"

    def fixture(self, nid: str, port: str = "out") -> list[str]:
        """A pinned output (``app run --fixtures``), taken after the node's config
        expressions and templates are evaluated as its I/O would (one that fails fails
        the node, as in the simulator)."""
        evaluated = [_indent(s) for s in self.evaluate_config(nid)]
        if not self.port_used(nid, port):
            return [
                f"if _, ok := r.x.Fixture({go_string(nid)}); ok {{",
                *evaluated,
                "\treturn nil",
                "}",
            ]
        t = self.out_type(nid, port)
        go = self.go_out(nid, port)
        value = self.types.decode(t, "v", go_string("fixture:" + nid), self.type_hint(nid, port))
        return [
            f"if v, ok := r.x.Fixture({go_string(nid)}); ok {{",
            *evaluated,
            *[_indent(s) for s in self.emit(nid, port, value, t, go)],
            "}",
        ]

    def evaluate_config(self, nid: str) -> list[str]:
        """Statements evaluating each config expression and template of node ``nid``
        for its run-time errors only."""
        lines: list[str] = []
        for site in self.facts(nid).expressions:
            if site.is_template:
                code = self.template(nid, site.config_path)
            else:
                code = unwrap_any(self.expr(nid, site.config_path, ANY).code)
            if "nf." not in _SAFE_HELPERS.sub("", code):  # cannot fail: nothing to evaluate
                continue
            lines += [self.line(nid, site.config_path), f"_ = {code}"]
        return lines

    def at(self, nid: str, path: tuple[str | int, ...], stmt: str) -> str:
        """A statement preceded by the //line directive of its config string."""
        return f"{self.line(nid, path)}\n{stmt}"

    def connector_check(self, nid: str, name: str) -> None:
        if name not in self.connector_kinds:
            raise CodegenError(f"node `{nid}`: connector `{name}` is not in nodeforge.toml")

    def connector(self, nid: str, *, writes: bool = False) -> str:
        """The flow's handle of the node's SQL connector; ``writes`` for sql/exec, which
        goes through the connector's write pool (one connection for SQLite)."""
        name = str(self.config(nid).get("connector", ""))
        kind = self.connector_kinds.get(name)
        if kind is None:
            raise CodegenError(f"node `{nid}`: connector `{name}` is not in nodeforge.toml")
        self.connectors[name] = kind
        if writes and kind == "sqlite":
            self.writers.add(name)
            return f"r.{self.db_field(name)}Writes"
        return f"r.{self.db_field(name)}"


_render_kit = FlowGen.render_kit


def _fields_read(e: Expr, names: set[str]) -> set[str]:
    """Names in ``names`` that ``e`` selects, or all of them if ``e`` uses a value whole."""
    found: set[str] = set()
    selected: set[int] = set()
    for n in walk(e):
        if isinstance(n, Select):
            selected.add(id(n.operand))
            if n.field in names:
                found.add(n.field)
        elif isinstance(n, Index):
            selected.add(id(n.operand))
            if isinstance(n.index, Literal) and n.index.value in names:
                found.add(str(n.index.value))
        elif isinstance(n, Call) and n.fn == "has":
            selected.update(id(a) for a in n.args)
    for n in walk(e):
        bare_input = isinstance(n, Ident) and n.name == "input"
        bare_node = (
            isinstance(n, Select)
            and isinstance(n.operand, Select)
            and isinstance(n.operand.operand, Ident)
            and n.operand.operand.name == "nodes"
        )
        if (bare_input or bare_node) and id(n) not in selected:
            return set(names)
    return found


def _indented(body: list[str]) -> list[str]:
    """``[_indent(s) for s in body]``, one-line statements (most) without a call each."""
    return [
        _indent(s) if "\n" in s else s if not s or s[:7] == "//line " else "\t" + s for s in body
    ]


def _indent(s: str) -> str:
    if "\n" not in s:  # one line, the common case
        return "\t" + s if s and not s.startswith("//line ") else s
    return "\n".join(
        ("\t" + line if line and not line.startswith("//line ") else line) for line in s.split("\n")
    )


# -- per node type ------------------------------------------------------------------------------


def _trigger(g: FlowGen, nid: str) -> list[str]:
    return g.emit(nid, "out", "out", g.out_type(nid, "out"), g.go_out(nid, "out"))


def _respond(g: FlowGen, nid: str) -> list[str]:
    pkg = g.package(nid)
    cfg = g.config(nid)
    status = cfg.get("status", 200)
    lines = [g.start(nid)]
    site = g.site(nid, ("body",))
    if site is not None or "body" not in g.raw.get(nid, {}):
        body = g.expr(nid, ("body",), source="input")
        lines.append(g.at(nid, ("body",), f"body := {body.code}"))
    else:
        lines.append("var body any")
    headers = cfg.get("headers") or {}
    hdr = "nil"
    if isinstance(headers, dict) and headers:
        entries = []
        for k in sorted(headers):
            entries.append(f"{go_string(str(k))}: {g.template(nid, ('headers', k))}")
        hdr = "map[string]string{" + ", ".join(entries) + "}"
    lines.append(
        f"if err := {pkg}.Run(r.x, {go_string(nid)}, {go_literal(int(status))}, {hdr}, body); err != nil {{"
    )
    lines.append(f"\treturn r.x.Fail({go_string(nid)}, err)")
    lines.append("}")
    lines.append(g.end(nid))
    lines.append("return nil")
    return lines


def rebind_postgres(sql: str) -> str:
    """``?`` placeholders -> ``$1``, ``$2``... (outside quotes and comments), so one flow
    runs on SQLite and PostgreSQL. Statements that already use ``$n`` stay as they are."""
    if re.search(r"\$\d", sql):
        return sql
    out: list[str] = []
    i, n, count = 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i : j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
        elif c == "?":
            count += 1
            out.append(f"${count}")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def sql_text(g: FlowGen, nid: str, key: str) -> str:
    """The SQL at config ``key`` as a Go string (placeholders rebound for PostgreSQL)."""
    text = str(g.config(nid).get(key, ""))
    name = str(g.config(nid).get("connector", ""))
    if g.connector_kinds.get(name) == "postgres":
        text = rebind_postgres(text)
    return go_string(text)


def unwrap_any(code: str) -> str:
    """``any(x)`` -> ``x`` where Go converts implicitly (kept for constants: any(int64(1)))."""
    if not (code.startswith("any(") and code.endswith(")")) or code.startswith("any(int64("):
        return code
    inner = code[4:-1]
    depth = 0
    for ch in inner:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return code
    return inner if depth == 0 else code


def _if(g: FlowGen, nid: str) -> list[str]:
    cond = g.expr(nid, ("condition",), _BOOL_T)
    t = g.in_type(nid)
    go = g.go_in(nid)
    lines = [g.at(nid, ("condition",), f"if {cond.code} {{")]
    lines += _indented(g.emit(nid, "true", "input", t, go))
    lines.append("}")
    lines += g.emit(nid, "false", "input", t, go)
    return lines


def _switch(g: FlowGen, nid: str) -> list[str]:
    cases = g.config(nid).get("cases") or []
    t = g.in_type(nid)
    go = g.go_in(nid)
    lines: list[str] = []
    for i in range(len(cases)):
        cond = g.expr(nid, ("cases", i, "when"), _BOOL_T)
        lines.append(g.at(nid, ("cases", i, "when"), f"if {cond.code} {{"))
        lines += [_indent(s) for s in g.emit(nid, f"case{i + 1}", "input", t, go)]
        lines.append("}")
    lines += g.emit(nid, "default", "input", t, go)
    return lines


def _foreach(g: FlowGen, nid: str) -> list[str]:
    listed = g.expr(nid, ("list",))
    item_t = g.out_type(nid, "item")
    item_go = g.go_out(nid, "item")
    lines = [g.at(nid, ("list",), f"items := {listed.code}")]
    if not listed.go.startswith("[]"):
        lines.append('list := nf.AsList(nf.JSONValue(items), "", nf.AsAny)')
    items = "items" if listed.go.startswith("[]") else "list"
    have_go = listed.go[2:] if listed.go.startswith("[]") else "any"
    arg = "item"
    if have_go != item_go:
        arg = g.types.decode(item_t, "nf.JSONValue(item)", '""', pascal(nid) + "Item")
    # 1.1.0: `done` is {input, results, count}; with `collect`, results[i] is its value
    # for the i-th element (index-assigned: in list order, and no race under concurrency)
    results = g.manifest(nid).version != "1.0.0"
    collect = results and g.site(nid, ("collect",)) is not None
    if collect and arg != "item":
        lines.append(f"elems := make([]{item_go}, len({items}))")
        lines.append(f"for i, item := range {items} {{")
        lines.append(f"\telems[i] = {arg}")
        lines.append("}")
        items, arg = "elems", "item"
    body = g.emit(nid, "item", arg, item_t, item_go)
    concurrency = int(g.config(nid).get("concurrency", 1) or 1)
    tail: list[str] = []
    results_go = "[]any"
    elem_t: Type = ANY
    if results:
        g.go_out(nid, "done")  # registers its struct
        field = g.types.struct_of(g.out_type(nid, "done"))
        spec = field.field("results") if field is not None else None
        if spec is not None and isinstance(spec.type, ArrayType):
            results_go, elem_t = spec.go, spec.type.items
    if collect:
        lines.append(f"results := make({results_go}, len({items}))")
        site = g.site(nid, ("collect",))
        assert site is not None
        parsed = parse(site.source)
        if parsed.expr is None:
            raise CodegenError(f"node `{nid}`: the expression {site.source!r} does not parse")
        value = g.compiler(nid, site, "item", (item_t, item_go)).expression(parsed.expr, elem_t)
        tail = [g.at(nid, ("collect",), f"results[i] = {value.code}")]
    uses_item = re.search(r"\bitem\b", "\n".join(body + tail)) is not None
    if concurrency > 1:
        # Each iteration runs on its own copy of the execution state, so nodes of the
        # loop body store their outputs without racing each other.
        g.forks = True
        lines.append(f"if err := nf.ForEach(len({items}), {concurrency}, func(i int) error {{")
        lines.append("\tr := r.fork()")
        if uses_item:
            lines.append(f"\titem := {items}[i]")
        lines += [_indent(s) for s in _then(body, tail)]
        lines.append("}); err != nil {")
        lines.append("\treturn err")
        lines.append("}")
    else:
        index = "i" if collect else "_"
        if uses_item:
            lines.append(f"for {index}, item := range {items} {{")
        else:
            lines.append(f"for {index} := range {items} {{" if collect else f"for range {items} {{")
        # emit ends in `return ...`; inside the loop, only stop on errors.
        seq = _then(body, tail)
        for s in seq[:-1]:
            lines.append(_indent(s))
        last = seq[-1]
        if last != "return nil":
            call = last[len("return ") :]
            lines.append(_indent(f"if err := {call}; err != nil {{\n\treturn err\n}}"))
        lines.append("}")
    if not results:
        lines += g.emit(nid, "done", "input", g.in_type(nid), g.go_in(nid))
        return lines
    if not collect:
        lines.append(f"results := {results_go}{{}}")
    done_t = g.out_type(nid, "done")
    count = f"int64(len({items}))"
    values = {"input": "input", "results": "results", "count": count}
    lines += g.output(
        nid,
        "done",
        g.struct_lit(done_t, values, g.type_hint(nid, "done")),
        done_t,
        g.go_out(nid, "done"),
    )
    return lines


def _then(body: list[str], tail: list[str]) -> list[str]:
    """``body`` (an emit, ending in ``return ...``) then ``tail``, ending in a return:
    the body's last call only stops on errors when something follows it."""
    if not tail:
        return body
    last = body[-1]
    lines = body[:-1]
    if last != "return nil":
        call = last[len("return ") :]
        lines.append(f"if err := {call}; err != nil {{\n\treturn err\n}}")
    return [*lines, *tail, "return nil"]


def _merge(g: FlowGen, nid: str) -> list[str]:
    m = g.manifest(nid)
    ports = list(m.inputs)
    states = []
    for p in ports:
        field_name = g.names.take(lower_camel(nid) + "In" + pascal(p))
        flag = g.names.take(lower_camel(nid) + "Has" + pascal(p))
        states.append((field_name, g.go_in(nid, p), flag, p))
    g.merge_state[nid] = states
    run = g.names.take(lower_camel(nid) + "Run")
    done = g.names.take(lower_camel(nid) + "Done")
    g.merge_done.append(done)
    ready = " && ".join(f"r.{flag}" for _, _, flag, _ in states)
    lines: list[str] = []
    for field_name, go, flag, p in states:
        lines += go_comment(f"{g.method(nid, p)} receives input {p} of node {nid} (flow/merge).")
        lines += ["//", g.line(nid)]
        lines.append(f"func (r *{g.rtype}) {g.method(nid, p)}(input {go}) error {{")
        lines.append("\tr.mu.Lock()")
        lines.append(f"\tr.{field_name}, r.{flag} = input, true")
        lines.append(f"\tready := {ready} && !r.{done}")
        lines.append(f"\tr.{done} = r.{done} || ready")
        lines.append("\tr.mu.Unlock()")
        lines.append("\tif !ready {")
        lines.append("\t\treturn nil")
        lines.append("\t}")
        lines.append(f"\treturn r.{run}()")
        lines.append("}")
        lines.append("")
    t = g.out_type(nid, "out")
    go = g.go_out(nid, "out")
    lines += go_comment(f"{run} runs node {nid}: all its inputs have arrived.")
    lines += ["//", g.line(nid)]
    lines.append(f"func (r *{g.rtype}) {run}() error {{")
    values = {p: f"r.{f}" for f, _, _, p in states}
    lines.append(_indent(f"out := {g.struct_lit(t, values, g.type_hint(nid, 'out'))}"))
    # Its execution record's log: it runs once all inputs are in; its input is them by
    # port, which is also what it emits.
    g.imports.add("nf")
    lines.append(
        f"\tnf.Enter(r.x, {go_string(nid)}, {go_string(m.type)}, {go_string(m.version)}, out)"
    )
    lines += [_indent(s) for s in g.emit(nid, "out", "out", t, go)]
    lines.append("}")
    lines.append("")
    return lines


def extend_input(g: FlowGen, nid: str, t: Type, go: str, values: dict[str, str]) -> tuple[str, str]:
    """The out value of a node whose out type ``t`` (Go type ``go``) is its input's fields
    plus ``values`` (Go code per JSON key, winning over input fields of the same name),
    and its Go type: `data/set`, and `data/map` with `keep_input`."""
    s = g.types.struct_of(t)
    if s is None:
        extra = ", ".join(f"{go_string(k)}: any({v})" for k, v in values.items())
        return f"nf.Merge(input, map[string]any{{{extra}}})", "map[string]any"
    in_s = g.types.by_name(g.go_in(nid))
    # (each key is looked up in the base, whose fields are not copied per struct: a
    # chain of data/set nodes stays linear)
    base = s.base
    if base is not None and base is in_s and all(base.field(k) is None for k in values):
        # The output extends the input: embed it whole.
        return g.types.composite(s, values, base_value="input"), go
    values = dict(values)
    copied: set[str] = set()
    for f in s.all_fields():
        if f.json in values:
            continue
        src = in_s.field(f.json) if in_s is not None else None
        if src is None:
            raise CodegenError(f"node `{nid}`: cannot copy field `{f.json}` from the input")
        values[f.json] = f"input.{src.name}"
        if src.pointer:
            copied.add(f.json)
    return g.types.composite(s, values, raw=frozenset(copied)), go


def schema_var(g: FlowGen, nid: str, key: str) -> tuple[str, Any]:
    """A package-level ``nf.Schema`` for the node's config schema at ``key``."""
    schema = g.raw.get(nid, {}).get(key, g.config(nid).get(key) or {})
    var = g.var_name(nid, pascal(key))
    if all(v != var for v, _ in g.schemas):
        g.schemas.append((var, json_text(schema)))
    return var, schema


def _subflow(g: FlowGen, nid: str) -> list[str]:
    cfg = g.config(nid)
    field_name = g.callee(str(cfg.get("flow", "")))
    lines = [*g.fixture(nid), g.start(nid)]
    args = cfg.get("arguments") or {}
    values: list[str] = []
    for i, key in enumerate(args):
        c = g.expr(nid, ("arguments", key), ANY)
        var = f"a{i + 1}"
        lines.append(g.at(nid, ("arguments", key), f"{var} := {unwrap_any(c.code)}"))
        values.append(f"{go_string(str(key))}: {var}")
    lines.append(
        f"res, err := r.{field_name}.Call(r.x, {go_string(nid)}, "
        f"map[string]any{{{', '.join(values)}}})"
    )
    lines += g.check_err(nid)
    lines += g.finish_json(nid, "res")
    return lines


_BOOL_T: Type = BOOL

STRUCTURAL: dict[str, Callable[[FlowGen, str], list[str]]] = {
    "http/trigger": _trigger,
    "trigger/schedule": _trigger,
    "trigger/manual": _trigger,
    QUEUE: _trigger,
    "http/respond": _respond,
    "flow/if": _if,
    "flow/switch": _switch,
    "flow/foreach": _foreach,
    "flow/merge": _merge,
    "flow/subflow": _subflow,
}


def generate_flow(
    analysis: Analysis,
    flow_file: str,
    types: GoTypes,
    connector_kinds: dict[str, str],
    readers: ReaderGen | None = None,
    module: str = "nodeforge.app/app",
    called: frozenset[str] = frozenset(),
    sink: Callable[[list[str]], None] | None = None,
    sink_lines: int = 2000,
) -> tuple[FlowCode, set[str]]:
    """Generate one flow; returns its code and the row structs needing scan functions.
    ``called`` names the module's flows that flow/subflow nodes call (they get ``Call``);
    ``sink`` receives the node methods as they are made (:meth:`FlowGen.generate`)."""
    g = FlowGen(analysis, flow_file, types, connector_kinds, readers, module, called)
    code = g.generate(sink, sink_lines)
    return code, g.row_dests
