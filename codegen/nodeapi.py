"""The generator's API for call-site templates: what a node kit's ``call.go.j2`` sees.

A node kit (one folder per node version, see docs/writing-nodes.md) brings the Go that
calls its executor as a jinja2 template. The code generator renders it once per node of
a flow with one variable, ``node``, a :class:`NodeAPI`. Everything a template needs goes
through it: the node's config, its compiled expressions and templates, its executor
package, connectors, the error path and the ports it emits on. Methods return Go code
(a string: an expression, or statements one per line), already typed and escaped; a
template never builds Go literals from raw values itself (use :meth:`NodeAPI.lit`).

The rendered text is the body of the node's method: ``input`` holds the value that
arrived (its Go type is :meth:`NodeAPI.go_input`), ``r`` is the execution (``r.x`` its
``*nf.Exec``). Blank lines are dropped, ``//line`` directives are moved to column 1, and
gofmt indents the result, so a template is written like the Go it produces.

Templates render with ``StrictUndefined`` (a misspelt name is an error, never empty
text). Templates of untrusted packs (the workspace's ``nodes/``) render in jinja2's
``SandboxedEnvironment``: they can call this API and read data, nothing else; templates
are compiled once per file version and cached.
"""

from __future__ import annotations

import copy
import difflib
import functools
import importlib
import keyword
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime
from jinja2.compiler import Frame
from jinja2.sandbox import SandboxedEnvironment

from nodeforge.analysis import nodefiles
from nodeforge.analysis.types import ANY, BOOL, ArrayType, ObjectType, Type

from .expr_go import CodegenError
from .gotypes import pascal
from .literal import go_literal, go_string, json_text
from .templatecache import compile_template

if TYPE_CHECKING:
    from .codecall import CodeCall
    from .flowgen import FlowGen

__all__ = [
    "API_NAMES",
    "Converted",
    "NodeAPI",
    "TemplateError",
    "Value",
    "check_template",
    "load_template",
    "render_call",
]

Path_ = str | int


class TemplateError(CodegenError):
    """A kit's template is missing, does not compile or fails to render; ``path`` is the
    template file and ``line`` the template line (1-based) when known; ``node_id`` the
    flow's node it was rendered for (set by the generator)."""

    def __init__(self, message: str, path: Path, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.reason = message
        self.node_id: str | None = None


@dataclass(frozen=True)
class Value:
    """Go code of a value and its Go type."""

    code: str
    go: str


@dataclass(frozen=True)
class Converted:
    """A JSON value converted to a port field's Go type: ``lines`` (statements to put
    before use; empty when no conversion is needed) and ``value`` (the Go code)."""

    lines: str
    value: str


def _options() -> dict[str, Any]:
    return {
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": False,
        "autoescape": False,
    }


class _DirectCalls(jinja2.compiler.CodeGenerator):
    """A trusted template's ``node.<method>(...)`` compiled to the bound method's call
    when ``node`` is a :class:`NodeAPI` (what :func:`render_call` passes): without
    ``environment.getattr`` and ``Context.call``, a few microseconds on each of the
    thousands of calls a large flow makes. Other values of ``node`` go jinja2's way:
    ``Context.call`` of the attribute, with the loop's and block's variables."""

    def visit_Call(
        self, node: jinja2.nodes.Call, frame: Frame, forward_caller: bool = False
    ) -> None:
        target = node.node
        if (
            forward_caller
            or not isinstance(target, jinja2.nodes.Getattr)
            or not isinstance(target.node, jinja2.nodes.Name)
            or node.dyn_args is not None
            or node.dyn_kwargs is not None
            or any(keyword.iskeyword(k.key) for k in node.kwargs)
        ):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        if target.node.name == "node" and target.attr in _METHODS:
            kind = "environment.node_api"
        elif target.node.name != "node" and target.attr in _CONTAINER_METHODS:
            # `values.update(...)`, `args.append(...)` of a dict or list the template made:
            # what Context.call does for a builtin method (it takes no context)
            kind = _CONTAINER_METHODS[target.attr]
        else:
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        extra = []
        if frame.loop_frame:
            extra.append(", _loop_vars=_loop_vars")
        if frame.block_frame:
            extra.append(", _block_vars=_block_vars")
        # (X.attr if type(X) is NodeAPI else partial(context.call, X.attr, ...))(args); X
        # by its name: a missing X is not of that type, and the second branch handles it
        ref = frame.symbols.ref(target.node.name)
        self.write(f"({ref}.{target.attr} if type({ref}) is {kind}")
        self.write(" else environment.bound_call(context, ")
        self.visit(target.node, frame)
        self.write(f", {target.attr!r}{''.join(extra)}))(")
        for i, arg in enumerate([*node.args, *node.kwargs]):
            if i:
                self.write(", ")
            self.visit(arg, frame)
        self.write(")")

    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: Frame) -> None:
        # `node.config` and the other attributes alike: read directly from a NodeAPI.
        target = node.node
        if not isinstance(target, jinja2.nodes.Name):
            super().visit_Getattr(node, frame)
            return
        if target.name == "node" and node.attr in _ATTRIBUTES:
            kind = "environment.node_api"
        elif target.name == "loop" and node.attr in ("index", "index0"):
            kind = "LoopContext"  # (imported by every template's module)
        else:
            super().visit_Getattr(node, frame)
            return
        ref = frame.symbols.ref(target.name)
        self.write(f"({ref}.{node.attr} if type({ref}) is {kind} else environment.getattr(")
        self.visit(target, frame)
        self.write(f", {node.attr!r}))")


_DICT_NAMES = frozenset(dir(dict))
# Methods of a template's own dicts and lists called directly (_DirectCalls): name -> type
_CONTAINER_METHODS = {"update": "dict", "append": "list"}


class _TrustedEnvironment(jinja2.Environment):
    code_generator_class = _DirectCalls
    node_api: type  # NodeAPI, set below

    def getattr(self, obj: Any, attribute: str) -> Any:
        # `node.config.level`: jinja2 asks a dict for the attribute first, and raising and
        # catching that AttributeError costs more than the rest; a name a dict does not
        # have (_DICT_NAMES: what an instance finds) is its key, as jinja2 then reads it.
        if type(obj) is dict and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except LookupError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def bound_call(
        self, context: jinja2.runtime.Context, obj: Any, attribute: str, **extra: Any
    ) -> Any:
        """``context.call`` of ``obj``'s attribute, its arguments still to come."""
        return functools.partial(context.call, self.getattr(obj, attribute), **extra)


# Compiled code of trusted templates is kept by this name (templatecache): a new one
# when _DirectCalls changes what it writes.
_TRUSTED_KIND = "trusted:direct-calls-3"
_TRUSTED = _TrustedEnvironment(**_options())
_SANDBOXED = SandboxedEnvironment(**_options())
for _env in (_TRUSTED, _SANDBOXED):
    _env.filters["lit"] = go_literal
    _env.filters["str"] = go_string

_cache: dict[tuple[str, bool], tuple[tuple[int, int, int], jinja2.Template]] = {}
_cache_lock = threading.Lock()


def load_template(path: Path, *, trusted: bool) -> jinja2.Template:
    """The compiled template at ``path``, cached per file version. The file is read
    through :mod:`nodefiles` (no links, no special files, capped); untrusted templates
    compile in the sandboxed environment."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError as exc:
        raise TemplateError(f"cannot read the call-site template: {exc.strerror}", path) from None
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    key = (str(path), trusted)
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        text = nodefiles.read_text(path, limit=256 * 1024)
    except OSError as exc:
        reason = exc.reason if isinstance(exc, nodefiles.NodeFileError) else str(exc)
        raise TemplateError(f"cannot read the call-site template: {reason}", path) from None
    env = _TRUSTED if trusted else _SANDBOXED
    try:
        template = compile_template(env, text, _TRUSTED_KIND if trusted else "sandboxed")
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(exc.message or "syntax error", path, exc.lineno) from None
    with _cache_lock:
        _cache[key] = (stamp, template)
    return template


def check_template(text: str) -> list[tuple[int, str]]:
    """What fails in a call-site template before any flow renders it, as (line, message)
    pairs (1-based lines): a jinja2 syntax error, a name other than ``node`` that the
    template never sets, and ``node.X`` where X is not in the generator's API."""
    try:
        tree = _SANDBOXED.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        return [(exc.lineno, exc.message or "syntax error")]
    problems: list[tuple[int, str]] = []
    names = list(tree.find_all(jinja2.nodes.Name))
    known = {"node", "loop", "caller", "varargs", "kwargs", *_SANDBOXED.globals}
    known |= {n.name for n in names if n.ctx in ("store", "param")}
    for name in names:
        if name.ctx == "load" and name.name not in known:
            problems.append((name.lineno, f"`{name.name}` is not defined: a template sees `node`"))
    for attr in tree.find_all(jinja2.nodes.Getattr):
        target = attr.node
        on_node = isinstance(target, jinja2.nodes.Name) and target.name == "node"
        if on_node and attr.attr not in API_NAMES:
            close = difflib.get_close_matches(attr.attr, sorted(API_NAMES), n=1)
            hint = f"; did you mean `node.{close[0]}`?" if close else ""
            problems.append(
                (attr.lineno, f"`node.{attr.attr}` is not in the generator's API{hint}")
            )
    return sorted(problems)


def render_call(template: jinja2.Template, api: NodeAPI, path: Path, indent: str = "") -> list[str]:
    """Render a call-site template: the statements of the node's method body (each but
    the ``//line`` directives after ``indent``)."""
    if template.environment is not _TRUSTED:
        # An untrusted template may call a dict's or a list's methods (the sandbox lets
        # it change its own values): it gets copies, so that nothing it does reaches the
        # analysed document (the editor's, in the language server) or another node.
        api.config = copy.deepcopy(api.config)
        api.written = copy.deepcopy(api.written)
    try:
        text = _render(template, api)
    except TemplateError:
        raise
    except CodegenError as exc:  # an API call refused (or `node.error`): at its line
        raise TemplateError(str(exc), path, _line(exc)) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(getattr(exc, "message", None) or str(exc), path, _line(exc)) from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise TemplateError(f"{type(exc).__name__}: {exc}", path, _line(exc)) from None
    return [
        stripped if stripped.startswith("//line ") else indent + line.rstrip()
        for line in text.split("\n")
        if (stripped := line.strip())
    ]


# A template's globals as a plain dict, per template (they never change once set up).
_globals: dict[int, tuple[jinja2.Template, dict[str, Any]]] = {}


def _render(template: jinja2.Template, api: NodeAPI) -> str:
    """``template.render(node=api)`` without rebuilding the template's globals (a
    ``ChainMap``, walked twice per render) for each of a flow's thousand nodes: the
    context is made from a dict copy of them, taken once per template."""
    env = template.environment
    if env.is_async:
        return template.render(node=api)
    hit = _globals.get(id(template))
    if hit is None or hit[0] is not template:
        hit = _globals[id(template)] = (template, dict(template.globals))
    names = hit[1]
    parent = dict(names)
    parent["node"] = api
    ctx = env.context_class(env, parent, template.name, template.blocks, globals=names)
    try:
        return env.concat(template.root_render_func(ctx))
    except Exception:
        env.handle_exception()
        raise  # not reached: handle_exception raises


def _line(exc: BaseException) -> int | None:
    """The template line of an error raised while rendering (jinja2 rewrites the
    traceback so that template frames carry the template's line numbers)."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    tb = exc.__traceback__
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


def _flowgen() -> ModuleType:
    """The generator's module (it imports this one): an import statement in a method
    costs a microsecond on each call."""
    name = __package__ + ".flowgen"
    return sys.modules.get(name) or importlib.import_module(name)


def _want(want: Type | str | None) -> Type | None:
    if want is None or isinstance(want, Type):
        return want
    if want == "any":
        return ANY
    if want == "bool":
        return BOOL
    raise CodegenError(f"want must be a type, 'any', 'bool' or none, not {want!r}")


class NodeAPI:
    """One node as its call-site template sees it. Attributes: ``id``, ``type``,
    ``version``, ``config`` (the node's config with the manifest's defaults filled in)
    and ``written`` (the config as written in the flow file)."""

    def __init__(self, gen: FlowGen, node_id: str) -> None:
        self._g = gen
        self._id = node_id
        m = gen.manifest(node_id)
        self.id: str = node_id
        self.type: str = m.type
        self.version: str = m.version
        self.config: dict[str, Any] = gen.config(node_id)
        # (a copy: the configs as written are the analysed document's own)
        self.written: dict[str, Any] = dict(gen.raw.get(node_id, ()))

    # -- config ----------------------------------------------------------------------

    def has(self, key: str) -> bool:
        """Whether the flow file sets config ``key`` (defaults do not count)."""
        return key in self.written

    def is_expression(self, *path: Path_) -> bool:
        """Whether ``path`` holds an expression or template of the node."""
        return self._g.site(self._id, tuple(path)) is not None

    def line(self, *path: Path_) -> str:
        """The ``//line`` directive of the node (no ``path``) or of its config value at
        ``path``: put it on the line before the statement using that value, so compiler
        errors and panics point into the flow file."""
        return self._g.line(self._id, tuple(path))

    def expr(self, *path: Path_, want: Type | str | None = None) -> str:
        """The Go code of the expression at config ``path``, typed as the analysis typed
        it (``want``: a type to convert to, ``"any"`` or ``"bool"``)."""
        return self._g.expr(self._id, tuple(path), _want(want)).code

    def expr_or(self, *path: Path_, default: str, want: Type | str | None = None) -> str:
        """:meth:`expr`, or the expression ``default`` where the config has none."""
        return self._g.expr(self._id, tuple(path), _want(want), source=default).code

    def any_expr(self, *path: Path_) -> str:
        """The expression at ``path`` as a Go ``any`` (for ``[]any{...}`` and maps)."""
        code: str = _flowgen().unwrap_any(self._g.expr(self._id, tuple(path), ANY).code)
        return code

    def any_exprs(self, *path: Path_) -> list[str]:
        """:meth:`any_expr` of each item of the list of expressions at ``path``."""
        items = self._at(tuple(path)) or []
        return [self.any_expr(*path, i) for i in range(len(items))]

    def text(self, *path: Path_, default: str = "") -> str:
        """A Go string expression: the template at config ``path`` rendered at run
        time, or the plain string there (``default`` if none)."""
        return self._g.template(self._id, tuple(path), default)

    def _at(self, path: tuple[Path_, ...]) -> Any:
        return self._g._config_at(self._id, path)

    # -- literals --------------------------------------------------------------------

    def lit(self, value: Any) -> str:
        """A Go literal of a JSON value (strings quoted and escaped, ``int64``...)."""
        return go_literal(value)

    def integer(self, value: Any) -> str:
        """A Go integer literal of ``value`` (a config number)."""
        return go_literal(int(value))

    def number(self, value: Any) -> str:
        """A Go floating-point literal of ``value`` (a config number)."""
        return go_literal(float(value))

    def boolean(self, value: Any) -> str:
        """``true`` or ``false``: ``value``'s truth."""
        return go_literal(bool(value))

    def string(self, value: Any) -> str:
        """A Go string literal of ``value`` as text."""
        return go_string(value if isinstance(value, str) else str(value))

    def json(self, value: Any) -> str:
        """A Go string literal holding ``value`` as JSON text."""
        return json_text(value)

    # -- executor, connectors, imports ----------------------------------------------

    def package(self) -> str:
        """The import name of the kit's executor package (imported on first use)."""
        return self._g.package(self._id)

    def use_import(self, path: str) -> str:
        """Import a standard-library package (``"time"``); renders as nothing."""
        self._g.imports.add(path)
        return ""

    def connector(self) -> str:
        """The name of the node's connector (config ``connector``), as a Go string; it
        must be declared in nodeforge.toml. Executors read its settings at run time."""
        name = str(self.config.get("connector", ""))
        self._g.connector_check(self._id, name)
        if self._g.connector_kinds.get(name) == "nats":
            self._g.nats.add(name)  # the module compiles in the runtime's nf/natsq
        return go_string(name)

    def sql_db(self, writes: bool = False) -> str:
        """The flow's ``*sql.DB`` of the node's SQL connector (``writes``: the
        connector's write pool, one connection for SQLite)."""
        return self._g.connector(self._id, writes=writes)

    def sql_text(self, key: str) -> str:
        """The SQL at config ``key`` as a Go string, ``?`` placeholders rewritten to
        ``$n`` for PostgreSQL connectors."""
        from .flowgen import sql_text

        return sql_text(self._g, self._id, key)

    def scan_dest(self, field: str, fallback: str) -> str:
        """For an output field holding a list of rows: the generated scan function of
        its typed row struct, or ``fallback`` when rows are untyped maps."""
        g = self._g
        t = g.out_type(self._id, "out")
        row_t: Type = ANY
        if isinstance(t, ObjectType):
            f = t.field(field)
            if f is not None and isinstance(f.type, ArrayType):
                row_t = f.type.items
        g.types.go(row_t, pascal(self._id) + "Row")  # names the row struct after this node
        s = g.types.struct_of(row_t)
        if s is None:
            return fallback
        g.row_dests.add(s.name)
        return "dest" + s.name

    def schema_var(self, key: str) -> str:
        """A package-level ``nf.Schema`` compiled at start-up from the JSON Schema at
        config ``key``."""
        from .flowgen import schema_var

        return schema_var(self._g, self._id, key)[0]

    def schema_json(self, key: str) -> str:
        """The JSON Schema at config ``key`` as a Go string of JSON text."""
        from .flowgen import schema_var

        return json_text(schema_var(self._g, self._id, key)[1])

    def code_package(self) -> str:
        """For custom code nodes: write the node's own Go package (its ``source`` and
        its ``Input``/``Output`` types) and return its import name."""
        return self._g.code_package(self._id)

    def code_call(self, package: str) -> CodeCall | None:
        """For custom code nodes: the typed call of the node's package (its input
        converted to ``Input`` and its ``Output`` to the out port's type in generated Go,
        :mod:`.codecall`), or none when a type needs the JSON path (``nf.RunCode``)."""
        return self._g.code_call(self._id, package)

    # -- types -----------------------------------------------------------------------

    def go_input(self, port: str = "in") -> str:
        """The Go type of ``input`` (the value arriving on ``port``)."""
        return self._g.go_in(self._id, port)

    def go_output(self, port: str = "out") -> str:
        """The Go type of output ``port``."""
        return self._g.go_out(self._id, port)

    def field_type(self, port: str, field: str) -> Type | None:
        """The type of ``field`` of output ``port`` when the port is a struct with that
        field, else none."""
        s = self._g.types.struct_of(self._g.out_type(self._id, port))
        if s is None:
            return None
        f = s.field(field)
        return f.type if f is not None else None

    def is_struct(self, port: str = "out") -> bool:
        """Whether output ``port`` is a Go struct (its fields are known)."""
        return self._g.types.struct_of(self._g.out_type(self._id, port)) is not None

    def field_go(self, port: str, field: str, hint: str) -> str:
        """The Go type of ``field`` of output ``port`` (``any`` when unknown); ``hint``
        names a new struct (``<NodeId><hint>``)."""
        return self._g.types.go(self._field_t(port, field), pascal(self._id) + hint)

    def _field_t(self, port: str, field: str) -> Type:
        t = self._g.out_type(self._id, port)
        if isinstance(t, ObjectType):
            f = t.field(field)
            return f.type if f is not None else ANY
        return ANY

    def struct(self, port: str, values: Mapping[str, str]) -> str:
        """A value of output ``port``'s type from Go code per JSON field name."""
        g = self._g
        return g.struct_lit(g.out_type(self._id, port), dict(values), g.type_hint(self._id, port))

    def field_struct(self, port: str, field: str, hint: str, values: Mapping[str, str]) -> str:
        """A value of the type of ``field`` of output ``port``, from Go code per JSON
        field name."""
        return self._g.struct_lit(self._field_t(port, field), dict(values), pascal(self._id) + hint)

    def decode(self, port: str, value: str) -> str:
        """Go code decoding the JSON value ``value`` into output ``port``'s type."""
        g = self._g
        t = g.out_type(self._id, port)
        return g.types.decode(t, value, '""', g.type_hint(self._id, port))

    def convert_field(self, port: str, field: str, value: str, var: str, hint: str) -> Converted:
        """Convert the JSON value ``value`` to the type of ``field`` of output ``port``
        in a new variable ``var`` (a mismatch takes the node's error path)."""
        g = self._g
        ft = self._field_t(port, field)
        go = g.types.go(ft, pascal(self._id) + hint)
        if go == "any":
            return Converted("", value)
        dec = g.types.decoder(ft, pascal(self._id) + hint)
        lines = [f'{var}, err := nf.Convert(func() {go} {{ return {dec}({value}, "") }})']
        lines += g.check_err(self._id)
        return Converted("\n".join(lines), var)

    def list_item(self, port: str, field: str, values: Mapping[str, str]) -> Value | None:
        """For ``field`` of output ``port`` that is a typed list: one item built from Go
        code per JSON field name (``code``) and the list's Go type (``go``); none when
        the port or field is untyped."""
        g = self._g
        s = g.types.struct_of(g.out_type(self._id, port))
        f = s.field(field) if s is not None else None
        if f is None or not f.go.startswith("[]"):
            return None
        item_s = g.types.by_name(f.go[2:])
        item = g.types.composite(item_s, dict(values)) if item_s is not None else "p"
        return Value(item, f.go)

    def input_plus(self, values: Mapping[str, str]) -> Value:
        """The output value made of the input's fields plus ``values`` (Go code per
        JSON key, winning over input fields of the same name), and its Go type."""
        g = self._g
        t, go = g.out_type(self._id, "out"), g.go_out(self._id, "out")
        code, go = _flowgen().extend_input(g, self._id, t, go, dict(values))
        return Value(code, go)

    # -- running, errors, emitting ---------------------------------------------------

    def start(self) -> str:
        """Start the node's span (``start``); pair it with :meth:`end`."""
        return self._g.start(self._id)

    def end(self) -> str:
        """End the node's span."""
        return self._g.end(self._id)

    def fixture(self, port: str = "out") -> str:
        """Use a pinned output when the run has one for this node (``app run
        --fixtures``, tests): put it first in nodes that do I/O."""
        return "\n".join(self._g.fixture(self._id, port))

    def check_error(self) -> str:
        """``if err != nil { ... }``: the node's error path (its ``error`` port when
        connected, else the execution fails)."""
        return "\n".join(self._g.check_err(self._id))

    def fail(self, err: str = "err") -> str:
        """The node's error path for the Go error ``err`` (ends in ``return``)."""
        return "\n".join(self._g.on_error(self._id, err))

    def port_used(self, port: str) -> bool:
        """Whether anything reads output ``port`` (a connection or an expression)."""
        return self._g.port_used(self._id, port)

    def emit(self, port: str, value: str, go: str | None = None) -> str:
        """Send ``value`` (a Go variable of the port's type, or ``go``) on output
        ``port`` and return (ends in ``return``)."""
        g = self._g
        t = g.out_type(self._id, port)
        return "\n".join(g.emit(self._id, port, value, t, go or g.go_out(self._id, port)))

    def output(self, port: str, value: str, go: str | None = None) -> str:
        """Like :meth:`emit` for any Go expression, built only if the port is used."""
        g = self._g
        t = g.out_type(self._id, port)
        return "\n".join(g.output(self._id, port, value, t, go or g.go_out(self._id, port)))

    def pass_input(self, port: str = "out") -> str:
        """Send the input on unchanged (its type is the port's) and return."""
        g = self._g
        return "\n".join(g.emit(self._id, port, "input", g.in_type(self._id), g.go_in(self._id)))

    def finish(self, values: Mapping[str, str]) -> str:
        """End the span, then send ``out`` the value built from Go code per JSON field
        name, and return."""
        return "\n".join(self._g.finish(self._id, dict(values)))

    def finish_json(self, value: str) -> str:
        """End the span and send ``out`` the JSON value ``value`` decoded into the
        port's type (a mismatch takes the error path)."""
        return "\n".join(self._g.finish_json(self._id, value))

    def error(self, message: str) -> None:
        """Stop generation with ``message`` (shown on the node)."""
        raise CodegenError(f"node `{self._id}`: {message}")


# The attributes every NodeAPI has (set by its __init__).
_ATTRIBUTES = frozenset({"id", "type", "version", "config", "written"})
#: What a template may read of ``node``: the API's public methods and its attributes.
API_NAMES: frozenset[str] = frozenset(
    {n for n in vars(NodeAPI) if not n.startswith("_")} | _ATTRIBUTES
)
# The methods a trusted template calls directly (_DirectCalls).
_METHODS = frozenset(n for n, v in vars(NodeAPI).items() if not n.startswith("_") and callable(v))
_TRUSTED.node_api = NodeAPI
