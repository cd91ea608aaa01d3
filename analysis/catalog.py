"""The node catalog: loading, checking and querying node manifests.

A manifest lives at ``catalog/<category>/<name>/<version>/node.json`` (standard nodes) or
anywhere under a workspace's ``nodes/`` folder (custom and forked nodes, same format).
This module is pure: it reads files and returns plain data, and never imports LSP code.

Loading is strict and reports *every* problem at once: each file is parsed, validated
against the file format's pydantic models (:mod:`manifest_model`, which build the plain
:class:`NodeManifest` objects the rest of Nodeforge reads), and cross-checked (config
schema is a valid JSON Schema, defaults match their schemas, derivation operators such
as ``{"$config": "key"}`` name existing config keys or input ports, expression/template
paths exist, folder names match type and version). All problems across all files are
raised as one :class:`CatalogError`.

Config validation (:meth:`NodeManifest.validate_config`) uses a fastjsonschema-compiled
validator as the fast path and only falls back to ``jsonschema`` to explain failures.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import fastjsonschema

from nodeforge.analysis import catalog_cache, nodefiles
from nodeforge.analysis.jsontree import parse_json
from nodeforge.analysis.text import LineIndex, PositionEncoding, Span

if TYPE_CHECKING:
    import jsonschema

# jsonschema (~60 ms to import) only checks manifests and explains invalid configs:
# imported where used, so a start-up that reads the cached catalog never pays for it.

__all__ = [
    "OPERATORS",
    "REQUIRED",
    "Catalog",
    "CatalogError",
    "CatalogProblem",
    "ConfigError",
    "ConfigMigration",
    "DeclaredError",
    "KitExample",
    "ManifestRecord",
    "Migration",
    "MigrationConflict",
    "MigrationConflicts",
    "NodeManifest",
    "PortSpec",
    "SimulationSpec",
    "config_strings",
    "format_config_path",
    "iter_config_strings",
    "load_manifest_text",
    "match_config_path",
    "migrate_config",
    "parse_path_pattern",
    "plan_migration",
    "semver_key",
]

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$"
)
_IDENT = r"[a-z][a-z0-9_]*"
#: What a node type must look like (``category/name``).
TYPE_PATTERN = rf"^{_IDENT}/{_IDENT}$"

#: Derivation operators allowed in port schemas, and what their argument must name.
OPERATORS: dict[str, str] = {
    "$config": "config",
    "$expr": "expression",
    "$exprItems": "expression",
    "$exprObject": "expression-object",
    "$input": "input",
    "$merge": "list",
    "$if": "boolean config",
    "$flowAnswer": "flow id config",
    "$enumFromConfig": "list of strings config",
}

MANIFEST_FILE = "node.json"


def semver_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """Sort key for a semver string; pre-releases sort before their release.

    Raises ``ValueError`` for a string that is not semver.
    """
    m = _SEMVER.match(version)
    if m is None:
        raise ValueError(f"not a semver version: {version!r}")
    pre = m.group(4)
    pre_key: tuple[tuple[int, int | str], ...] = ()
    if pre:
        pre_key = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if pre else 1, pre_key)


# --------------------------------------------------------------------------- manifests

# The classes of a loaded manifest are plain slotted ones, not pydantic models: every
# process reads the (cached) catalog, and pydantic (~60 ms to import, plus building the
# models) would be paid for by each. A manifest *file* is checked by the pydantic models
# of :mod:`manifest_model`, the one statement of the format, which then build these;
# ``tests/test_catalog.py`` checks that both agree on every field.


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of a field the file must give.
REQUIRED: Any = _Required()

_FIELDS_SETS: dict[frozenset[str], frozenset[str]] = {}


class ManifestRecord:
    """Base of the manifest's classes: built with keyword arguments by the fields'
    Python names (``schema_``, ``from_``, ``set_``), never changed afterwards (a
    manifest is shared by every analysis; like the frozen models they were), compared
    by their fields, and picklable (the catalog cache) without their compiled
    validators. :meth:`to_json` is the object as its file spells it."""

    __slots__ = ("_fields_set",)

    #: Python name -> (the field's key in the file, None: not part of the file; its
    #: default, :data:`REQUIRED` if none). An empty list or dict default is copied.
    FIELDS: ClassVar[dict[str, tuple[str | None, Any]]] = {}
    #: Caches kept in slots, left out of a pickle (None after loading).
    _TRANSIENT: ClassVar[tuple[str, ...]] = ()
    #: Caches kept in slots and in a pickle (None until made), not part of the fields.
    _KEPT: ClassVar[tuple[str, ...]] = ()
    #: The slots a pickle holds, in order.
    _STATE: ClassVar[tuple[str, ...]] = ("_fields_set",)

    _fields_set: frozenset[str]

    def __init_subclass__(cls) -> None:
        slots = ("_fields_set", *cls.__dict__.get("__slots__", ()))
        cls._STATE = tuple(s for s in slots if s not in cls._TRANSIENT)

    def __init__(self, **values: Any) -> None:
        setattr_ = object.__setattr__
        fields = self.FIELDS
        for name, (_, default) in fields.items():
            if name in values:
                value = values[name]
            elif default is REQUIRED:
                raise TypeError(f"{type(self).__name__}() needs the field {name!r}")
            else:
                value = default.copy() if isinstance(default, list | dict) else default
            setattr_(self, name, value)
        if not values.keys() <= fields.keys():
            unknown = ", ".join(repr(k) for k in values if k not in fields)
            raise TypeError(f"{type(self).__name__}() has no field {unknown}")
        for name in (*self._TRANSIENT, *self._KEPT):
            setattr_(self, name, None)
        given = frozenset(values)
        setattr_(self, "_fields_set", _FIELDS_SETS.setdefault(given, given))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._STATE)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        setattr_ = object.__setattr__
        for name, value in zip(self._STATE, state, strict=True):
            setattr_(self, name, value)
        for name in self._TRANSIENT:
            setattr_(self, name, None)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.FIELDS)

    __hash__ = None  # type: ignore[assignment]  # holds dicts and lists

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({fields})"

    @property
    def fields_set(self) -> frozenset[str]:
        """The fields given when it was built (for a loaded manifest: the keys its file
        has), by their Python names."""
        return self._fields_set

    def to_json(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        """The object as its file spells it: keys by their names in the file, values
        copied, the ``path`` left out; ``exclude_unset``: only the fields it was given
        (:attr:`fields_set`), so that a loaded manifest gives back its file's content."""
        out: dict[str, Any] = {}
        for name, (key, _) in self.FIELDS.items():
            if key is not None and (not exclude_unset or name in self._fields_set):
                out[key] = _to_json(getattr(self, name), exclude_unset)
        return out


def _to_json(value: Any, exclude_unset: bool) -> Any:
    if isinstance(value, ManifestRecord):
        return value.to_json(exclude_unset=exclude_unset)
    if isinstance(value, dict):
        return {k: _to_json(v, exclude_unset) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v, exclude_unset) for v in value]
    return value


class PortSpec(ManifestRecord):
    """An input or output port. ``schema_`` is a port schema (JSON Schema subset that may
    contain derivation operators); it is spelled ``schema`` in the manifest file."""

    FIELDS = {
        "description": ("description", REQUIRED),
        "schema_": ("schema", REQUIRED),
        "required": ("required", True),
    }
    __slots__ = tuple(FIELDS)

    description: str
    schema_: dict[str, Any]
    required: bool

    if TYPE_CHECKING:

        def __init__(
            self, *, description: str, schema_: dict[str, Any], required: bool = ...
        ) -> None: ...


class Migration(ManifestRecord):
    """How to upgrade a config from version ``from_`` to the manifest holding it.

    Applied in order: ``rename`` (old key to new key), ``remove``, then ``set``.
    """

    FIELDS = {
        "from_": ("from", REQUIRED),
        "notes": ("notes", ""),
        "rename": ("rename", {}),
        "set_": ("set", {}),
        "remove": ("remove", []),
    }
    __slots__ = tuple(FIELDS)

    from_: str
    notes: str
    rename: dict[str, str]
    set_: dict[str, Any]
    remove: list[str]

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            from_: str,
            notes: str = ...,
            rename: dict[str, str] = ...,
            set_: dict[str, Any] = ...,
            remove: list[str] = ...,
        ) -> None: ...

    def apply(
        self,
        config: Mapping[str, Any],
        version: str = "",
        conflicts: list[MigrationConflict] | None = None,
        produced: set[str] | None = None,
    ) -> dict[str, Any]:
        """The migrated config, as the migration is written. Where it replaces a value
        the config already holds with a different one (a rename onto a key that is set,
        a ``set`` of a key that is set), a :class:`MigrationConflict` is appended to
        ``conflicts``; keys in ``produced`` hold values earlier steps made, not the
        user's, and are updated with the keys this step makes."""
        produced = set() if produced is None else produced
        out = dict(config)

        def replaces(key: str, value: Any, via: str) -> None:
            clash = key in out and key not in produced and out[key] != value
            if clash and conflicts is not None:
                conflicts.append(MigrationConflict(key, out[key], value, version, via))

        for old, new in self.rename.items():
            if old in out:
                replaces(new, out[old], f"renames `{old}` to `{new}`")
                out[new] = out.pop(old)
                if old in produced:
                    produced.discard(old)
                    produced.add(new)
                else:
                    produced.discard(new)
        for key in self.remove:
            out.pop(key, None)
            produced.discard(key)
        for key, value in self.set_.items():
            replaces(key, value, f"sets `{key}`")
            out[key] = json.loads(json.dumps(value))  # a private copy
            produced.add(key)
        return out


@dataclass(frozen=True, slots=True)
class MigrationConflict:
    """A migration step would replace a value the flow sets with another one."""

    key: str
    flow_value: Any  # what the flow's config holds
    migration_value: Any  # what the migration would put there
    version: str  # the version whose migration it is
    via: str  # what the migration does: "sets `k`", "renames `a` to `b`"

    def __str__(self) -> str:
        return (
            f"`{self.key}`: the flow has {json.dumps(self.flow_value)}, the migration to "
            f"{self.version} {self.via} = {json.dumps(self.migration_value)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "flow_value": self.flow_value,
            "migration_value": self.migration_value,
            "version": self.version,
            "via": self.via,
            "message": str(self),
        }


class MigrationConflicts(ValueError):
    """Migrating would overwrite values the user set; ``conflicts`` says which."""

    def __init__(self, type_: str, conflicts: Sequence[MigrationConflict]) -> None:
        self.conflicts = list(conflicts)
        super().__init__(
            f"upgrading `{type_}` would overwrite: " + "; ".join(str(c) for c in self.conflicts)
        )


@dataclass(frozen=True, slots=True)
class ConfigError:
    """One problem in a node's config.

    ``path`` locates the problem inside the config: for ``required`` it is the object
    missing the key, for ``additionalProperties`` it is the unknown key itself (so an
    editor can underline the key), otherwise the offending value.
    """

    path: tuple[str | int, ...]
    message: str
    validator: str
    key: str | None = None
    expected: tuple[Any, ...] | None = None
    suggestion: str | None = None


class DeclaredError(ManifestRecord):
    """A failure a declared simulation models: when the node's ``config`` has the values
    given here (omitted: any config) and the expression ``when`` is true, the node emits
    ``{"message", "code", "retryable"}`` on its ``error`` port (or fails the execution
    when that port is unconnected), as its executor's ``nf.NodeError`` does. ``when``
    and the template ``message`` see ``input`` (the arriving value), ``nodes.self.config``
    (the node's config, defaults filled in) and ``nodes.self.out`` (what the node would
    emit otherwise), besides the flow's ``nodes`` and ``env``."""

    FIELDS = {
        "when": ("when", "true"),
        "config": ("config", {}),
        "code": ("code", REQUIRED),
        "message": ("message", REQUIRED),
        "retryable": ("retryable", False),
    }
    __slots__ = tuple(FIELDS)

    when: str
    config: dict[str, Any]
    code: str
    message: str
    retryable: bool

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            when: str = ...,
            config: dict[str, Any] = ...,
            code: str,
            message: str,
            retryable: bool = ...,
        ) -> None: ...


class SimulationSpec(ManifestRecord):
    """How the simulator runs a node kit (the manifest's ``simulation``).

    * ``python``: the kit's ``simulation.py`` (its ``simulate(run)`` function). Only kits
      of trusted packs (the built-in pack and installed distributions) may ship Python;
      a workspace kit's module runs only when its bytes equal a trusted kit's module
      (a fork not edited since it was copied).
    * ``declared``: data, no code: ``port`` receives ``value``, a JSON value in which
      ``{"$input": "a.b"}`` reads the arriving value (``""``: all of it),
      ``{"$config": "key"}`` copies a config value, ``{"$expr": "key"}`` evaluates the
      config expression at ``key`` and ``{"$template": "key"}`` renders the config
      template at ``key``. Its ``errors`` model failures (:class:`DeclaredError`): the
      first whose condition holds goes to the ``error`` port instead.
    * ``io``: not simulated (the node does I/O): its output comes from the fixtures, or
      is a value made from its output schema, and the result says ``reason``.
    """

    FIELDS = {
        "kind": ("kind", REQUIRED),
        "reason": ("reason", ""),
        "port": ("port", "out"),
        "value": ("value", None),
        "errors": ("errors", []),
    }
    __slots__ = tuple(FIELDS)

    kind: Literal["python", "declared", "io"]
    reason: str
    port: str
    value: Any
    errors: list[DeclaredError]

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            kind: Literal["python", "declared", "io"],
            reason: str = ...,
            port: str = ...,
            value: Any = ...,
            errors: list[DeclaredError] = ...,
        ) -> None: ...


class KitExample(ManifestRecord):
    """A worked example of a kit: config, input, and what the node emits (``outputs``,
    port -> value). ``nodeforge node test`` runs it through the simulation and the
    compiled executor and compares both with ``outputs``."""

    FIELDS = {
        "name": ("name", REQUIRED),
        "config": ("config", {}),
        "input": ("input", None),
        "outputs": ("outputs", {}),
    }
    __slots__ = tuple(FIELDS)

    name: str
    config: dict[str, Any]
    input: Any
    outputs: dict[str, Any]

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            name: str,
            config: dict[str, Any] = ...,
            input: Any = ...,
            outputs: dict[str, Any] = ...,
        ) -> None: ...


class NodeManifest(ManifestRecord):
    """A node type at one version, as described by its ``node.json``."""

    FIELDS = {
        "type": ("type", REQUIRED),
        "version": ("version", REQUIRED),
        "title": ("title", REQUIRED),
        "description": ("description", REQUIRED),
        "category": ("category", REQUIRED),
        "icon": ("icon", REQUIRED),
        "kind": ("kind", REQUIRED),
        "config_schema": ("config_schema", REQUIRED),
        "inputs": ("inputs", {}),
        "outputs": ("outputs", {}),
        "expressions": ("expressions", []),
        "templates": ("templates", []),
        "connectors": ("connectors", []),
        "responds": ("responds", False),
        "deprecated": ("deprecated", None),
        "migrations": ("migrations", []),
        "structural": ("structural", False),
        "simulation": ("simulation", None),
        "examples": ("examples", []),
        "path": (None, Path()),
    }
    # Caches, made on first use: the top-level defaults and the compiled config
    # validators (functions made at run time: not pickled). Kept in a pickle: the fast
    # validator's bytecode, made when the catalog cache is written (compile_validator).
    _TRANSIENT = ("_defaults", "_fast", "_slow")
    _KEPT = ("_fast_code",)
    __slots__ = (*FIELDS, *_TRANSIENT, *_KEPT)

    type: str
    version: str
    title: str
    description: str
    category: str
    icon: str
    kind: Literal["trigger", "action", "control"]
    config_schema: dict[str, Any]
    inputs: dict[str, PortSpec]
    outputs: dict[str, PortSpec]
    expressions: list[str]
    templates: list[str]
    connectors: list[str]
    responds: bool
    deprecated: str | None
    migrations: list[Migration]
    #: Part of the flow language (triggers, control flow, respond): generated and
    #: simulated by the core; a kit (``structural: false``) brings its call-site template.
    structural: bool
    simulation: SimulationSpec | None
    examples: list[KitExample]
    #: The manifest file (not part of the file's content).
    path: Path

    _defaults: dict[str, Any] | None
    _fast: Any  # fastjsonschema's function; False: the schema is beyond it
    _slow: Any  # jsonschema's Draft202012Validator
    # (the name of fastjsonschema's function, its module's marshalled bytecode); ("", b""):
    # the schema is beyond it; None: not compiled ahead
    _fast_code: tuple[str, bytes] | None

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            type: str,
            version: str,
            title: str,
            description: str,
            category: str,
            icon: str,
            kind: Literal["trigger", "action", "control"],
            config_schema: dict[str, Any],
            inputs: dict[str, PortSpec] = ...,
            outputs: dict[str, PortSpec] = ...,
            expressions: list[str] = ...,
            templates: list[str] = ...,
            connectors: list[str] = ...,
            responds: bool = ...,
            deprecated: str | None = ...,
            migrations: list[Migration] = ...,
            structural: bool = ...,
            simulation: SimulationSpec | None = ...,
            examples: list[KitExample] = ...,
            path: Path = ...,
        ) -> None: ...

    # -- identity -------------------------------------------------------------

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.version)

    @property
    def name(self) -> str:
        return self.type.split("/", 1)[1]

    @property
    def properties(self) -> dict[str, Any]:
        """The config schema's top-level ``properties``."""
        props = self.config_schema.get("properties", {})
        return props if isinstance(props, dict) else {}

    @property
    def config_defaults(self) -> dict[str, Any]:
        """The ``default`` of each top-level config property that has one (shared: do not
        mutate)."""
        defaults = self._defaults
        if defaults is None:
            defaults = {
                key: sub["default"]
                for key, sub in self.properties.items()
                if isinstance(sub, dict) and "default" in sub
            }
            object.__setattr__(self, "_defaults", defaults)
        return defaults

    @property
    def required_keys(self) -> list[str]:
        req = self.config_schema.get("required", [])
        return [r for r in req if isinstance(r, str)] if isinstance(req, list) else []

    @property
    def expression_paths(self) -> tuple[str, ...]:
        """Config path patterns whose string values are expressions."""
        return tuple(self.expressions)

    @property
    def template_paths(self) -> tuple[str, ...]:
        """Config path patterns whose string values are templates."""
        return tuple(self.templates)

    # -- config ---------------------------------------------------------------

    def default_config(self) -> dict[str, Any]:
        """A config with every required key filled: its default, else its first example,
        else its first enum value, else an empty value of its type."""
        props = self.properties
        cfg = self._required_placeholders()
        # A statement filled from its example names placeholders: fill the parameter list
        # it points at (x-sql-params) from that list's example, so the two agree (NF031).
        for key in self.required_keys:
            companion = props.get(key, {}).get("x-sql-params")
            sub = props.get(companion) if isinstance(companion, str) else None
            if isinstance(sub, dict) and companion not in cfg and sub.get("examples"):
                cfg[companion] = _copy_json(sub["examples"][0])
        return cfg

    def _required_placeholders(self) -> dict[str, Any]:
        props = self.properties
        return {key: _placeholder(props.get(key, {})) for key in self.required_keys}

    def full_default_config(self) -> dict[str, Any]:
        """Every required key filled as in :meth:`default_config`, plus every optional key
        that has a default: what a node's config means where it leaves a key out (the code
        generator's base). Not the example parameter list a new node gets with its example
        statement: a node without `params` has the default `[]`, not the example's."""
        cfg = self._required_placeholders()
        for key, sub in self.properties.items():
            if key not in cfg and isinstance(sub, dict) and "default" in sub:
                cfg[key] = _copy_json(sub["default"])
        return cfg

    def compile_validator(self) -> None:
        """Generate fastjsonschema's validator of the config schema and compile it to
        bytecode, kept with the manifest: the catalog cache stores it, so that a process
        loading the cached catalog neither generates nor compiles validators (a few
        milliseconds per node type, in every ``nodeforge check``)."""
        if self._fast_code is not None:
            return
        import marshal

        from nodeforge.analysis.schemas import NO_RETRIEVAL

        made: tuple[str, bytes] = ("", b"")
        try:
            source = fastjsonschema.compile_to_code(  # it rewrites `$ref`s: give it a copy
                copy.deepcopy(self.config_schema),
                handlers=NO_RETRIEVAL,  # a reference to a URL is refused, never fetched
                use_formats=False,
                use_default=False,
            )
            root = _FIRST_DEF.search(source)  # the schema's own function comes first
            if root is not None:
                where = f"<config validator of {self.type}@{self.version}>"
                made = (root.group(1), marshal.dumps(compile(source, where, "exec")))
        except Exception:  # schema uses something fastjsonschema lacks: slow path only
            pass
        object.__setattr__(self, "_fast_code", made)

    def _fast_validator(self) -> Any:
        """fastjsonschema's function for the config schema, or False (beyond it)."""
        if self._fast_code is None:
            self.compile_validator()
        import marshal

        assert self._fast_code is not None
        name, code = self._fast_code
        if not code:
            return False
        scope: dict[str, Any] = {}
        exec(marshal.loads(code), scope)  # bytecode compile_validator made
        return scope[name]

    def validate_config(self, config: Any) -> list[ConfigError]:
        """All problems of ``config`` against ``config_schema``; ``[]`` when valid."""
        fast = self._fast
        if fast is None:
            fast = self._fast_validator()
            object.__setattr__(self, "_fast", fast)
        if fast is not False:
            try:
                fast(config)
                return []
            except fastjsonschema.JsonSchemaValueException as exc:
                fast_message = exc.message
        else:
            fast_message = "invalid config"
        errors = self._explain(config)
        if not errors:  # engines disagree (rare): still report the fast verdict
            errors = [ConfigError((), fast_message, "unknown")]
        return errors

    def _explain(self, config: Any) -> list[ConfigError]:
        slow = self._slow
        if slow is None:
            from nodeforge.analysis.schemas import local_validator

            slow = local_validator(self.config_schema)
            object.__setattr__(self, "_slow", slow)
        out: list[ConfigError] = []
        for err in slow.iter_errors(config):
            out.extend(_convert_error(err))
        out.sort(key=lambda e: (tuple(str(p) for p in e.path), e.validator, e.key or ""))
        return out


_FIRST_DEF = re.compile(r"^def (\w+)\(", re.M)


# --------------------------------------------------------------------------- config errors


def format_config_path(path: Sequence[str | int]) -> str:
    """``("cases", 0, "when")`` -> ``cases[0].when``; the empty path is ``config``."""
    if not path:
        return "config"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def json_type(value: Any) -> str:
    """The JSON Schema type name of a JSON value (``integer`` before ``number``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    cands = list(candidates)
    close = difflib.get_close_matches(word, cands, n=1, cutoff=cutoff)
    if close:
        return close[0]
    low = word.lower()
    for c in cands:
        if c.lower() == low or (len(low) >= 3 and (c.startswith(low) or low.startswith(c))):
            return c
    return None


def _convert_error(err: jsonschema.ValidationError) -> list[ConfigError]:
    path: tuple[str | int, ...] = tuple(err.absolute_path)
    where = f"`{format_config_path(path)}`"
    v = str(err.validator)
    inst = err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    val: Any = err.validator_value
    if v == "required":
        present = inst if isinstance(inst, dict) else {}
        missing = [k for k in val if k not in present]
        out = []
        for key in missing:
            loc = f" in {where}" if path else ""
            out.append(ConfigError(path, f"missing required key `{key}`{loc}", v, key, (key,)))
        return out
    if v == "additionalProperties" and isinstance(inst, dict):
        props = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        extras = [k for k in inst if k not in props and not any(re.search(p, k) for p in patterns)]
        out = []
        for key in extras:
            hint = _did_you_mean(key, props)
            msg = f"unknown key `{key}`"
            if path:
                msg += f" in {where}"
            if hint is not None:
                msg += f"; did you mean `{hint}`?"
            elif props:
                msg += f"; expected one of {', '.join(f'`{p}`' for p in props)}"
            out.append(ConfigError((*path, key), msg, v, key, tuple(props) or None, hint))
        return out
    if v == "enum":
        options = ", ".join(str(o) if isinstance(o, str) else _json(o) for o in val)
        hint = None
        if isinstance(inst, str):
            hint = _did_you_mean(inst, [o for o in val if isinstance(o, str)], cutoff=0.75)
        msg = f"{where} must be one of {options}; got {_json(inst)}"
        if hint is not None:
            msg += f" (did you mean {hint}?)"
        return [ConfigError(path, msg, v, None, tuple(val), hint)]
    if v == "type":
        types: list[str] = [str(t) for t in val] if isinstance(val, list) else [str(val)]
        want = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        got = json_type(inst)
        msg = f"{where} must be {want}; got {got} {_json(inst)}"
        return [ConfigError(path, msg, v, None, tuple(types))]
    if v == "const":
        return [
            ConfigError(path, f"{where} must be {_json(val)}; got {_json(inst)}", v, None, (val,))
        ]
    simple = {
        "minimum": "must be at least",
        "maximum": "must be at most",
        "exclusiveMinimum": "must be greater than",
        "exclusiveMaximum": "must be less than",
        "minLength": "must have at least this many characters:",
        "maxLength": "must have at most this many characters:",
        "minItems": "must have at least this many items:",
        "maxItems": "must have at most this many items:",
        "minProperties": "must have at least this many keys:",
        "maxProperties": "must have at most this many keys:",
    }
    if v in simple:
        msg = f"{where} {simple[v]} {val}; got {_json(inst)}"
        if v == "minLength" and val == 1 and inst == "":
            msg = f"{where} must not be empty"
        return [ConfigError(path, msg, v)]
    if v == "pattern":
        return [
            ConfigError(path, f"{where} does not match the pattern `{val}`; got {_json(inst)}", v)
        ]
    if v == "uniqueItems":
        return [ConfigError(path, f"{where} must not contain duplicates", v)]
    return [ConfigError(path, f"{where}: {err.message}", v)]


def _copy_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _placeholder(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return None
    if "default" in schema:
        return _copy_json(schema["default"])
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return _copy_json(examples[0])
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return _copy_json(enum[0])
    t = schema.get("type")
    if isinstance(t, list):
        t = t[0] if t else None
    return (
        {
            "string": "",
            "integer": 0,
            "number": 0,
            "boolean": False,
            "array": [],
            "object": {},
            "null": None,
        }.get(t)
        if isinstance(t, str)
        else None
    )


# --------------------------------------------------------------------------- config paths

PathPattern = tuple[str, ...]
"""A parsed config path pattern: keys, ``*`` (every key of an object), ``[]`` (every item)."""


def parse_path_pattern(pattern: str) -> PathPattern:
    """``"cases[].when"`` -> ``("cases", "[]", "when")``; ``"headers.*"`` ->
    ``("headers", "*")``. Raises ``ValueError`` on an empty segment."""
    parts: list[str] = []
    for seg in pattern.split("."):
        base = seg
        n = 0
        while base.endswith("[]"):
            base = base[:-2]
            n += 1
        if not base:
            raise ValueError(f"empty segment in config path {pattern!r}")
        parts.append(base)
        parts.extend(["[]"] * n)
    return tuple(parts)


def match_config_path(pattern: PathPattern, path: Sequence[str | int]) -> bool:
    """Whether a concrete config path is matched by a parsed pattern."""
    if len(pattern) != len(path):
        return False
    for pat, part in zip(pattern, path, strict=True):
        if pat == "[]":
            if not isinstance(part, int):
                return False
        elif pat == "*":
            if not isinstance(part, str):
                return False
        elif pat != part:
            return False
    return True


def _walk_pattern(
    pattern: PathPattern, value: Any, prefix: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every (path, value) the pattern matches; breadth-first over plain lists (hot path)."""
    level: list[tuple[tuple[str | int, ...], Any]] = [(prefix, value)]
    for head in pattern:
        nxt: list[tuple[tuple[str | int, ...], Any]] = []
        for path, item in level:
            if head == "[]":
                if isinstance(item, list):
                    nxt.extend(((*path, i), sub) for i, sub in enumerate(item))
            elif head == "*":
                if isinstance(item, dict):
                    nxt.extend(((*path, k), sub) for k, sub in item.items())
            elif isinstance(item, dict) and head in item:
                nxt.append(((*path, head), item[head]))
        if not nxt:
            return nxt
        level = nxt
    return level


def iter_config_strings(
    manifest: NodeManifest, config: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str, bool]]:
    """Every string in ``config`` that is an expression or a template, as
    ``(path, text, is_template)``, in the order of the manifest's patterns."""
    yield from config_strings(manifest, config)


def config_strings(
    manifest: NodeManifest, config: Mapping[str, Any]
) -> list[tuple[tuple[str | int, ...], str, bool]]:
    """:func:`iter_config_strings` as a list (run per node on every analysis): a
    pattern of one key, or of a key and ``*`` (most of them), is read directly."""
    found: list[tuple[tuple[str | int, ...], str, bool]] = []
    hit = _CONFIG_PLANS.get(id(manifest))
    if (
        hit is None
        or hit[0] is not manifest
        or hit[1] != manifest.expressions
        or hit[2] != manifest.templates
    ):
        hit = _config_plan(manifest)
    is_dict = isinstance(config, dict)
    for read, head, one_key, pattern, is_template in hit[3]:
        if read == _ONE_KEY:
            value = config.get(head) if is_dict else None
            if isinstance(value, str):
                found.append((one_key, value, is_template))
        elif read == _KEY_AND_ANY:
            value = config.get(head) if is_dict else None
            if isinstance(value, dict):
                for key, sub in value.items():
                    if isinstance(sub, str):
                        found.append(((head, key), sub, is_template))
        else:
            for path, value in _walk_pattern(pattern, config, ()):
                if isinstance(value, str):
                    found.append((path, value, is_template))
    return found


# How :func:`config_strings` reads a pattern: one key, a key and ``*``, or a walk.
_ONE_KEY, _KEY_AND_ANY, _WALK = 1, 2, 0
_PlanEntry = tuple[int, str, tuple[str], PathPattern, bool]
# id(manifest) -> (manifest, its expressions and templates as last seen, how each of its
# patterns is read: the way, the first key, the path of a one-key pattern, the pattern,
# whether a template), as ``_compiled_patterns`` keeps them
_CONFIG_PLANS: dict[int, tuple[Any, list[str], list[str], tuple[_PlanEntry, ...]]] = {}


def _config_plan(
    manifest: NodeManifest,
) -> tuple[Any, list[str], list[str], tuple[_PlanEntry, ...]]:
    plan: list[_PlanEntry] = []
    for pattern, is_template in _compiled_patterns(manifest):
        head = pattern[0]
        read = _WALK
        if len(pattern) <= 2 and head != "*" and head != "[]":
            if len(pattern) == 1:
                read = _ONE_KEY
            elif pattern[1] == "*":
                read = _KEY_AND_ANY
        plan.append((read, head, (head,), pattern, is_template))
    if len(_CONFIG_PLANS) > 4096:
        _CONFIG_PLANS.clear()
    hit = _CONFIG_PLANS[id(manifest)] = (
        manifest,
        list(manifest.expressions),
        list(manifest.templates),
        tuple(plan),
    )
    return hit


_PATTERN_CACHE: dict[tuple[tuple[str, ...], tuple[str, ...]], list[tuple[PathPattern, bool]]] = {}
# id(manifest) -> (manifest, its expressions and templates as last seen, their patterns)
_MANIFEST_PATTERNS: dict[int, tuple[Any, list[str], list[str], list[tuple[PathPattern, bool]]]] = {}


def _compiled_patterns(manifest: NodeManifest) -> list[tuple[PathPattern, bool]]:
    """The manifest's patterns, parsed; per manifest (the entry keeps it: ids stay
    unique), while its lists of patterns are equal to those it was parsed from."""
    hit = _MANIFEST_PATTERNS.get(id(manifest))
    if (
        hit is not None
        and hit[0] is manifest
        and hit[1] == manifest.expressions
        and hit[2] == manifest.templates
    ):
        return hit[3]
    key = (tuple(manifest.expressions), tuple(manifest.templates))
    cached = _PATTERN_CACHE.get(key)
    if cached is None:
        cached = [(parse_path_pattern(p), False) for p in manifest.expressions]
        cached += [(parse_path_pattern(p), True) for p in manifest.templates]
        _PATTERN_CACHE[key] = cached
    if len(_MANIFEST_PATTERNS) > 4096:
        _MANIFEST_PATTERNS.clear()
    _MANIFEST_PATTERNS[id(manifest)] = (
        manifest,
        list(manifest.expressions),
        list(manifest.templates),
        cached,
    )
    return cached


def _schema_at(config_schema: Mapping[str, Any], pattern: PathPattern) -> Any:
    """The sub-schema a path pattern points at, or ``None`` when it points nowhere."""
    node: Any = config_schema
    for seg in pattern:
        if not isinstance(node, dict):
            return None
        if seg == "[]":
            node = node.get("items")
        elif seg == "*":
            node = node.get("additionalProperties")
            if node is True:
                return {}
        else:
            props = node.get("properties")
            node = props.get(seg) if isinstance(props, dict) else None
    return node if isinstance(node, dict) else None


# --------------------------------------------------------------------------- migrations


@dataclass(frozen=True, slots=True)
class ConfigMigration:
    """A config migrated as the catalog's migrations are written, and the values of the
    original config they would replace (empty: nothing the user set is lost)."""

    config: dict[str, Any]
    conflicts: list[MigrationConflict]


def migrate_config(
    catalog: Catalog,
    type_: str,
    from_version: str,
    to_version: str,
    config: Mapping[str, Any],
    *,
    force: bool = False,
) -> dict[str, Any]:
    """Upgrade ``config`` of node ``type_`` from ``from_version`` to ``to_version`` (see
    :func:`plan_migration`). A migration never silently overwrites a value the config
    sets: that raises :class:`MigrationConflicts` unless ``force``."""
    plan = plan_migration(catalog, type_, from_version, to_version, config)
    if plan.conflicts and not force:
        raise MigrationConflicts(type_, plan.conflicts)
    return plan.config


def plan_migration(
    catalog: Catalog, type_: str, from_version: str, to_version: str, config: Mapping[str, Any]
) -> ConfigMigration:
    """Migrate ``config`` of node ``type_`` from ``from_version`` to ``to_version`` by
    applying, for each later version in turn, its migration from the previous step, and
    collect the conflicts: where a step replaces a value the config set (not one an
    earlier step made) with a different one. Versions without a matching migration carry
    the config over unchanged.

    Raises ``KeyError`` for an unknown type/version and ``ValueError`` for a downgrade.
    """
    versions = catalog.versions(type_)
    for v in (from_version, to_version):
        if v not in versions:
            raise KeyError(f"unknown node {type_}@{v}")
    if semver_key(to_version) < semver_key(from_version):
        raise ValueError(f"cannot migrate {type_} down from {from_version} to {to_version}")
    out = dict(config)
    conflicts: list[MigrationConflict] = []
    produced: set[str] = set()
    current = from_version
    lo, hi = semver_key(from_version), semver_key(to_version)
    for v in versions:
        k = semver_key(v)
        if not lo < k <= hi:
            continue
        manifest = catalog.get(type_, v)
        assert manifest is not None
        for mig in manifest.migrations:
            if mig.from_ == current:
                out = mig.apply(out, v, conflicts, produced)
                break
        current = v
    return ConfigMigration(out, conflicts)


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class CatalogProblem:
    """One problem in one manifest file. ``where`` is a key path inside the manifest
    (e.g. ``config_schema.properties.method.default``) or empty."""

    path: Path
    message: str
    line: int | None = None
    column: int | None = None
    where: str = ""

    def __str__(self) -> str:
        loc = str(self.path)
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return f"{loc}: {self.where + ': ' if self.where else ''}{self.message}"


class CatalogError(Exception):
    """Loading found problems. ``problems`` lists them all; ``path`` is the first file."""

    def __init__(self, problems: Sequence[CatalogProblem]) -> None:
        self.problems: list[CatalogProblem] = list(problems)
        self.paths: list[Path] = list(dict.fromkeys(p.path for p in self.problems))
        self.path: Path | None = self.paths[0] if self.paths else None
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the node catalog"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


# --------------------------------------------------------------------------- checking


def _loc_str(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_ALIASES = {"schema_": "schema", "from_": "from", "set_": "set"}


def _check_manifest(m: NodeManifest, path: Path, check_layout: bool) -> list[CatalogProblem]:
    probs: list[CatalogProblem] = []

    def add(msg: str, where: str = "") -> None:
        probs.append(CatalogProblem(path, msg, where=where))

    category, name = m.type.split("/", 1)
    if m.category != category:
        add(f"category {m.category!r} does not match type {m.type!r}", "category")
    if check_layout:
        parts = path.parent.parts[-3:]
        expected = (category, name, m.version)
        if tuple(parts) != expected:
            add(
                f"manifest must live at {'/'.join(expected)}/{MANIFEST_FILE} for type "
                f"{m.type!r} version {m.version!r}; found in {'/'.join(parts)}/",
            )

    from jsonschema import Draft202012Validator, SchemaError

    schema = m.config_schema
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = _loc_str(["config_schema", *exc.absolute_path])
        add(f"invalid JSON Schema: {exc.message}", where)
        return probs  # later checks assume a sound schema
    from nodeforge.analysis.schemas import local_validator, reference_issues

    # A kit comes from whatever workspace is opened: a reference its validators would
    # fetch (a URL, a file) or could not resolve is refused here, located.
    refs = reference_issues(schema)
    for issue in refs:
        add(issue.message, _loc_str(["config_schema", *issue.path]))
    if refs:
        return probs
    if schema.get("type") != "object":
        add('config_schema must have "type": "object"', "config_schema.type")
    props = m.properties
    for req in m.required_keys:
        if req not in props:
            add(f"required key {req!r} is not in properties", "config_schema.required")
    probs.extend(CatalogProblem(path, msg, where=where) for where, msg in _check_defaults(schema))
    probs.extend(CatalogProblem(path, msg, where=where) for where, msg in _check_annotations(m))

    # expressions / templates
    for attr in ("expressions", "templates"):
        for i, pat in enumerate(getattr(m, attr)):
            where = f"{attr}[{i}]"
            try:
                parsed = parse_path_pattern(pat)
            except ValueError as exc:
                add(str(exc), where)
                continue
            sub = _schema_at(schema, parsed)
            if sub is None:
                add(f"{pat!r} does not point at a config property", where)
            elif sub.get("type", "string") != "string":
                add(f"{pat!r} points at a {sub.get('type')!r} property, not a string", where)

    # connectors
    if m.connectors and "connector" not in props:
        add("node lists connectors but its config has no `connector` key", "connectors")
    if "connector" in props and not m.connectors:
        add("config has a `connector` key but `connectors` is empty", "connectors")

    # ports
    if m.kind == "trigger" and m.inputs:
        add("trigger nodes have no inputs", "inputs")
    expr_patterns = {parse_path_pattern(p) for p in m.expressions if _valid_pattern(p)}
    for direction, ports in (("inputs", m.inputs), ("outputs", m.outputs)):
        for port, spec in ports.items():
            if not re.fullmatch(_IDENT, port):
                add(f"port name {port!r} must match {_IDENT}", f"{direction}.{port}")
            for where, msg in _check_port_schema(
                spec.schema_, f"{direction}.{port}.schema", m, expr_patterns
            ):
                add(msg, where)

    # kit: simulation and examples
    sim = m.simulation
    if sim is not None:
        if sim.kind == "io" and not sim.reason:
            add('an "io" simulation needs a "reason" (what I/O the node does)', "simulation.reason")
        if sim.kind == "declared" and sim.port not in m.outputs:
            add(f"port {sim.port!r} is not an output of the node", "simulation.port")
        for where, msg in _check_declared_errors(m, sim):
            add(msg, where)
    for i, ex in enumerate(m.examples):
        for port in ex.outputs:
            if port not in m.outputs:
                add(f"port {port!r} is not an output of the node", f"examples[{i}].outputs")
        if m.validate_config(ex.config):
            first = m.validate_config(ex.config)[0]
            add(f"config does not match config_schema: {first.message}", f"examples[{i}].config")

    # migrations
    for i, mig in enumerate(m.migrations):
        where = f"migrations[{i}]"
        if semver_key(mig.from_) >= semver_key(m.version):
            add(f"migration from {mig.from_} must start below {m.version}", where)
        for old, new in mig.rename.items():
            if new not in props:
                add(f"rename target {new!r} is not a config key", f"{where}.rename.{old}")
        for key, value in mig.set_.items():
            if key not in props:
                add(f"{key!r} is not a config key", f"{where}.set.{key}")
                continue
            errs = list(local_validator(props[key]).iter_errors(value))
            if errs:
                add(
                    f"value does not match the property schema: {errs[0].message}",
                    f"{where}.set.{key}",
                )
    return probs


def _check_declared_errors(m: NodeManifest, sim: SimulationSpec) -> Iterator[tuple[str, str]]:
    """The ``errors`` of a declared simulation: only for ``declared``, with an ``error``
    port, known config keys, and a condition and message that parse."""
    from nodeforge.analysis.expressions import parse, parse_template

    if sim.errors and sim.kind != "declared":
        yield "simulation.errors", 'only a "declared" simulation declares its errors'
        return
    if sim.errors and "error" not in m.outputs:
        yield "simulation.errors", "the node has no `error` output port to emit them on"
    for i, case in enumerate(sim.errors):
        where = f"simulation.errors[{i}]"
        for key in case.config:
            if key not in m.properties:
                yield f"{where}.config.{key}", f"{key!r} is not a config key"
        parsed = parse(case.when)
        if parsed.errors:
            yield f"{where}.when", f"the condition does not parse: {parsed.errors[0].message}"
        template = parse_template(case.message)
        if template.errors:
            yield f"{where}.message", f"the message does not parse: {template.errors[0].message}"


#: The ``x-`` annotations a config schema may carry, and what reads them: the checker's
#: run-time rules (``analysis/rules/runtime.py``) and the execution records
#: (``codegen/records.py``). Any other ``x-`` key is an error, so that a typo never
#: silently turns a check off.
ANNOTATIONS: dict[str, str] = {
    "x-expression-type": "the expression's value must fit this JSON Schema (NF018)",
    "x-sql-params": "the SQL's placeholders are filled by position from this list key (NF031)",
    "x-absolute-url": "the literal or template must be an absolute http(s) URL (NF034)",
    "x-go-source": 'the string is Go source, which may not import "C" (cgo, NF035)',
    "x-sensitive": "the value is masked in execution records",
}

# Keywords whose value is a sub-schema, a list of them, or a map of them; only the
# first three are config paths (how the checker finds an annotation for a value).
_SCHEMA_ONE: tuple[str, ...] = ("items", "additionalProperties", "not", "if", "then", "else")
_SCHEMA_ONE += ("contains", "propertyNames", "unevaluatedProperties", "unevaluatedItems")
_SCHEMA_LIST = ("prefixItems", "anyOf", "oneOf", "allOf")
_SCHEMA_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")


def _check_annotations(m: NodeManifest) -> Iterator[tuple[str, str]]:
    """Every ``x-`` annotation in the config schema: a known name, a value of the right
    kind, at a place where the checker reads it (see :data:`ANNOTATIONS`)."""
    expressions = {parse_path_pattern(p) for p in m.expressions if _valid_pattern(p)}
    props = m.properties

    def walk(schema: Any, where: str, config: PathPattern | None) -> Iterator[tuple[str, str]]:
        if not isinstance(schema, dict):
            return
        for key, value in schema.items():
            if key.startswith("x-"):
                yield from check(key, value, f"{where}.{key}", config)
        for key in _SCHEMA_MAP:
            sub = schema.get(key)
            if isinstance(sub, dict):
                for name, child in sub.items():
                    inner = (*config, name) if key == "properties" and config is not None else None
                    yield from walk(child, f"{where}.{key}.{name}", inner)
        for key in _SCHEMA_ONE:
            if key in schema:
                inner = None
                if config is not None and key == "items":
                    inner = (*config, "[]")
                elif config is not None and key == "additionalProperties":
                    inner = (*config, "*")
                yield from walk(schema[key], f"{where}.{key}", inner)
        for key in _SCHEMA_LIST:
            sub = schema.get(key)
            if isinstance(sub, list):
                for i, child in enumerate(sub):
                    yield from walk(child, f"{where}.{key}[{i}]", None)

    def check(
        name: str, value: Any, where: str, config: PathPattern | None
    ) -> Iterator[tuple[str, str]]:
        shown = ".".join(config or ()).replace(".[]", "[]") or "the config"
        if name not in ANNOTATIONS:
            close = _did_you_mean(name, ANNOTATIONS, cutoff=0.6)
            hint = f"; did you mean `{close}`?" if close else f" (known: {', '.join(ANNOTATIONS)})"
            yield where, f"unknown annotation `{name}`{hint}"
        elif name == "x-sensitive":
            if not isinstance(value, bool):
                yield where, f"`x-sensitive` must be true or false, not {_json(value)}"
        elif name == "x-expression-type":
            if not isinstance(value, dict):
                yield where, f"`x-expression-type` must be a JSON Schema object, not {_json(value)}"
                return
            from jsonschema import Draft202012Validator, SchemaError

            try:
                Draft202012Validator.check_schema(value)
            except SchemaError as exc:
                yield where, f"`x-expression-type` is not a valid JSON Schema: {exc.message}"
                return
            if config is None or config not in expressions:
                yield (
                    where,
                    (
                        f"`x-expression-type` is only read on an expression, and {shown} is not "
                        "one (list its path in `expressions`)"
                    ),
                )
        elif config is None or len(config) != 1:
            yield where, f"`{name}` is only read on a top-level config property"
        elif name in ("x-absolute-url", "x-go-source"):
            if not isinstance(value, bool):
                yield where, f"`{name}` must be true or false, not {_json(value)}"
        elif name == "x-sql-params":
            if not isinstance(value, str):
                yield where, f"`x-sql-params` must name a config key, not {_json(value)}"
                return
            target = props.get(value)
            if target is None:
                close = _did_you_mean(value, props)
                hint = f"; did you mean {close!r}?" if close else ""
                yield where, f"`x-sql-params`: {value!r} is not a config key{hint}"
            elif not isinstance(target, dict) or target.get("type") != "array":
                yield where, f"`x-sql-params`: config key {value!r} is not a list"
            elif (value, "[]") not in expressions:
                yield (
                    where,
                    (
                        f"`x-sql-params`: the items of {value!r} are not expressions "
                        f"(list `{value}[]` in `expressions`)"
                    ),
                )

    yield from walk(m.config_schema, "config_schema", ())


def _valid_pattern(p: str) -> bool:
    try:
        parse_path_pattern(p)
    except ValueError:
        return False
    return True


_SUBSCHEMA_KEYS = frozenset(
    [
        "items",
        "additionalProperties",
        "prefixItems",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
    ]
)


def _check_defaults(schema: Any, where: str = "config_schema") -> Iterator[tuple[str, str]]:
    """Every ``default`` in the schema tree validates against its own schema."""
    from nodeforge.analysis.schemas import local_validator

    if isinstance(schema, dict):
        if "default" in schema:
            own = {k: v for k, v in schema.items() if k != "default"}
            errs = list(local_validator(own).iter_errors(schema["default"]))
            if errs:
                yield f"{where}.default", f"default does not match its schema: {errs[0].message}"
        for key, sub in schema.items():
            if key in ("properties", "patternProperties", "$defs") and isinstance(sub, dict):
                for name, s in sub.items():
                    yield from _check_defaults(s, f"{where}.{key}.{name}")
            elif key in _SUBSCHEMA_KEYS:
                yield from _check_defaults(sub, f"{where}.{key}")
    elif isinstance(schema, list):
        for i, sub in enumerate(schema):
            yield from _check_defaults(sub, f"{where}[{i}]")


#: Keys an operator's schema may hold besides the operator and ``description``.
_OPERATOR_SIBLINGS: dict[str, set[str]] = {"$config": {"default"}, "$if": {"then", "else"}}


def _check_if(
    schema: dict[str, Any], where: str, m: NodeManifest, expr_patterns: set[PathPattern]
) -> Iterator[tuple[str, str]]:
    """``{"$if": "key", "then": a, "else": b}``: ``key`` is a boolean config key that
    always has a value (required, or with a default), and both branches are port schemas."""
    key = schema["$if"]
    if not isinstance(key, str):
        yield f"{where}.$if", "$if takes a name (string)"
    elif key not in m.properties:
        hint = _did_you_mean(key, m.properties)
        yield (
            f"{where}.$if",
            f"$if names {key!r}, which is not a config key"
            + (f"; did you mean {hint!r}?" if hint else ""),
        )
    else:
        sub = m.properties[key]
        if not isinstance(sub, dict) or sub.get("type") != "boolean":
            yield f"{where}.$if", f"$if names {key!r}, which is not a boolean config key"
        elif key not in m.required_keys and "default" not in sub:
            yield (
                f"{where}.$if",
                f"$if names {key!r}, which may be absent: give it a default or require it",
            )
    for branch in ("then", "else"):
        if branch not in schema:
            yield where, f"$if takes both `then` and `else`; `{branch}` is missing"
        else:
            yield from _check_port_schema(schema[branch], f"{where}.{branch}", m, expr_patterns)


def _check_port_schema(
    schema: Any, where: str, m: NodeManifest, expr_patterns: set[PathPattern]
) -> Iterator[tuple[str, str]]:
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        yield where, "a port schema must be an object"
        return
    ops = [k for k in schema if k.startswith("$")]
    if ops:
        if len(ops) > 1:
            yield where, f"one derivation operator per schema; found {', '.join(ops)}"
            return
        op = ops[0]
        arg = schema[op]
        if op not in OPERATORS:
            yield where, f"unknown operator {op!r}; known: {', '.join(OPERATORS)}"
            return
        allowed_extra = {"description"} | _OPERATOR_SIBLINGS.get(op, set())
        extra = set(schema) - {op} - allowed_extra
        if extra:
            yield (
                where,
                f"{op} takes no sibling keys besides {sorted(allowed_extra)}; "
                f"found {sorted(extra)}",
            )
        if op == "$if":
            yield from _check_if(schema, where, m, expr_patterns)
            return
        if op == "$merge":
            if not isinstance(arg, list) or len(arg) < 2:
                yield f"{where}.$merge", "$merge takes a list of at least two schemas"
                return
            for i, sub in enumerate(arg):
                yield from _check_port_schema(sub, f"{where}.$merge[{i}]", m, expr_patterns)
            return
        if not isinstance(arg, str):
            yield f"{where}.{op}", f"{op} takes a name (string)"
            return
        if op == "$input":
            if arg not in m.inputs:
                yield (
                    f"{where}.{op}",
                    f"$input names {arg!r}, which is not an input port"
                    + (
                        f"; did you mean {hint!r}?"
                        if (hint := _did_you_mean(arg, m.inputs))
                        else ""
                    ),
                )
            return
        if arg not in m.properties:
            hint = _did_you_mean(arg, m.properties)
            yield (
                f"{where}.{op}",
                f"{op} names {arg!r}, which is not a config key"
                + (f"; did you mean {hint!r}?" if hint else ""),
            )
            return
        if op == "$config":
            if "default" in schema:
                from jsonschema import Draft202012Validator, SchemaError

                try:
                    Draft202012Validator.check_schema(schema["default"])
                except SchemaError as exc:
                    yield f"{where}.default", f"not a valid JSON Schema: {exc.message}"
        elif op in ("$expr", "$exprItems"):
            if (arg,) not in expr_patterns:
                yield f"{where}.{op}", f"config key {arg!r} is not listed in `expressions`"
        elif op == "$exprObject" and (arg, "*") not in expr_patterns:
            yield f"{where}.{op}", f"config key '{arg}.*' is not listed in `expressions`"
        elif op == "$enumFromConfig":
            sub = m.properties[arg]
            items = sub.get("items") if isinstance(sub, dict) else None
            if not (
                isinstance(sub, dict)
                and sub.get("type") == "array"
                and isinstance(items, dict)
                and items.get("type") == "string"
            ):
                yield (
                    f"{where}.{op}",
                    f"$enumFromConfig names {arg!r}, which is not a list-of-strings config key",
                )
        elif op == "$flowAnswer":
            sub = m.properties[arg]
            if not isinstance(sub, dict) or sub.get("type") != "string":
                yield (
                    f"{where}.{op}",
                    f"$flowAnswer names {arg!r}, which is not a string config key",
                )
        return
    for key, sub in schema.items():
        if key == "properties" and isinstance(sub, dict):
            for name, s in sub.items():
                yield from _check_port_schema(s, f"{where}.properties.{name}", m, expr_patterns)
        elif key in ("items", "additionalProperties") and isinstance(sub, dict | bool):
            yield from _check_port_schema(sub, f"{where}.{key}", m, expr_patterns)


# --------------------------------------------------------------------------- the catalog


@dataclass
class Catalog:
    """An immutable-by-convention set of node manifests, indexed by type and version."""

    _by_type: dict[str, dict[str, NodeManifest]] = field(default_factory=dict)

    # -- construction -----------------------------------------------------------

    @classmethod
    def standard_dir(cls) -> Path:
        import nodeforge.catalog as pkg

        return Path(pkg.__file__).parent

    @classmethod
    def load_standard(cls) -> Catalog:
        """The standard nodes shipped in the ``nodeforge.catalog`` package."""
        return cls.load([cls.standard_dir()], cached=True)

    @classmethod
    def load(
        cls, dirs: Sequence[Path], *, check_layout: bool = True, cached: bool = False
    ) -> Catalog:
        """Load every ``node.json`` under ``dirs``. With ``check_layout`` the folders must
        be ``<category>/<name>/<version>/``. Raises :class:`CatalogError` listing all
        problems. ``cached``: through the on-disk cache keyed by the files' content
        (:mod:`catalog_cache`)."""
        cat = cls()
        problems = cat._add_files(_find_manifests(dirs), check_layout=check_layout, cached=cached)
        if problems:
            raise CatalogError(problems)
        return cat

    def with_custom(self, nodes_dir: Path) -> Catalog:
        """A new catalog: this one plus the workspace's custom nodes under ``nodes_dir``
        (any folder layout). A custom node may add versions to a standard type, but a
        type+version that already exists is an error."""
        cat = Catalog({t: dict(vs) for t, vs in self._by_type.items()})
        if nodes_dir.is_dir():
            problems = cat._add_files(_find_manifests([nodes_dir]), check_layout=False)
            if problems:
                raise CatalogError(problems)
        return cat

    def with_pack(self, pack_dir: Path) -> Catalog:
        """A new catalog: this one plus the kits of an installed node pack, laid out as
        ``<category>/<name>/<version>/`` like the built-in one. A type+version that
        already exists is an error."""
        cat = Catalog({t: dict(vs) for t, vs in self._by_type.items()})
        problems = cat._add_files(_find_manifests([pack_dir]), check_layout=True, cached=True)
        if problems:
            raise CatalogError(problems)
        return cat

    def _add_files(
        self, files: Iterable[Path], *, check_layout: bool, cached: bool = False
    ) -> list[CatalogProblem]:
        files = list(files)

        def load_all() -> list[tuple[NodeManifest | None, list[CatalogProblem]]]:
            return [_load_file(path, check_layout) for path in files]

        def compile_validators(
            loaded: list[tuple[NodeManifest | None, list[CatalogProblem]]],
        ) -> None:
            for manifest, _ in loaded:  # stored with the catalog: compiled once, not per process
                if manifest is not None:
                    manifest.compile_validator()

        loaded = (
            catalog_cache.cached(files, check_layout, load_all, before_store=compile_validators)
            if cached
            else load_all()
        )
        problems: list[CatalogProblem] = []
        for manifest, probs in loaded:
            problems.extend(probs)
            if manifest is None:
                continue
            versions = self._by_type.setdefault(manifest.type, {})
            existing = versions.get(manifest.version)
            if existing is not None:
                problems.append(
                    CatalogProblem(
                        manifest.path,
                        f"{manifest.type}@{manifest.version} is already defined in {existing.path}",
                        where="version",
                    )
                )
                continue
            versions[manifest.version] = manifest
            self.__dict__.pop("_sorted", None)
            self.__dict__.pop("_suggestions", None)
        return problems

    # -- queries ----------------------------------------------------------------

    @cached_property
    def _sorted(self) -> dict[str, list[str]]:
        return {t: sorted(vs, key=semver_key) for t, vs in self._by_type.items()}

    def get(self, type_: str, version: str) -> NodeManifest | None:
        versions = self._by_type.get(type_)
        return versions.get(version) if versions is not None else None

    def versions(self, type_: str) -> list[str]:
        """Known versions of ``type_``, ascending by semver (``[]`` if unknown)."""
        return list(self._sorted.get(type_, []))

    def latest_version(self, type_: str) -> str | None:
        """The highest version of ``type_`` by semver, pre-releases included (what
        :meth:`versions` lists last), or None if unknown; without copying the list."""
        versions = self._sorted.get(type_)
        return versions[-1] if versions else None

    def latest(self, type_: str, *, include_prerelease: bool = False) -> NodeManifest | None:
        """The highest version (pre-releases only when nothing else exists or asked)."""
        vs = self._sorted.get(type_)
        if not vs:
            return None
        if not include_prerelease:
            stable = [v for v in vs if "-" not in v.split("+")[0]]
            if stable:
                return self._by_type[type_][stable[-1]]
        return self._by_type[type_][vs[-1]]

    def types(self) -> list[str]:
        return sorted(self._by_type)

    def all(self) -> list[NodeManifest]:
        """Every manifest, by type then ascending version."""
        return [self._by_type[t][v] for t in self.types() for v in self._sorted[t]]

    @cached_property
    def _suggestions(self) -> dict[str, str | None]:
        return {}

    def suggest(self, type_: str) -> str | None:
        """The closest known type name, for "did you mean" messages; remembered per
        name (a misspelt type is usually misspelt in several nodes, and on every
        analysis of the document)."""
        cache = self._suggestions
        if type_ not in cache:
            if len(cache) > 1024:
                cache.clear()
            cache[type_] = self._closest_type(type_)
        return cache[type_]

    def _closest_type(self, type_: str) -> str | None:
        types = self.types()
        close = difflib.get_close_matches(type_, types, n=1, cutoff=0.5)
        if close:
            return close[0]
        # `request` -> `http/request`: match on the name part alone
        tail = type_.rsplit("/", 1)[-1]
        by_name = {t.split("/", 1)[1]: t for t in types}
        close = difflib.get_close_matches(tail, list(by_name), n=1, cutoff=0.7)
        return by_name[close[0]] if close else None

    def __contains__(self, type_: object) -> bool:
        return type_ in self._by_type

    def __len__(self) -> int:
        return sum(len(vs) for vs in self._by_type.values())


def _find_manifests(dirs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        files.extend(sorted(d.rglob(MANIFEST_FILE)))
    return files


def _load_file(path: Path, check_layout: bool) -> tuple[NodeManifest | None, list[CatalogProblem]]:
    try:
        text = nodefiles.read_text(path)  # no links, no special files, capped
    except nodefiles.NodeFileError as exc:
        return None, [CatalogProblem(path, f"cannot read: {exc.reason}")]
    except OSError as exc:
        return None, [CatalogProblem(path, f"cannot read: {exc}")]
    return load_manifest_text(path, text, check_layout)


def load_manifest_text(
    path: Path, text: str, check_layout: bool
) -> tuple[NodeManifest | None, list[CatalogProblem]]:
    """The manifest in ``text`` (the contents of ``path``, e.g. an editor's unsaved
    buffer) and its problems, located at their line and column; the manifest is None
    when it does not load at all."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [CatalogProblem(path, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)]
    if not isinstance(data, dict):
        return None, [CatalogProblem(path, "a manifest must be a JSON object", 1, 1)]
    if "path" in data:
        return None, [CatalogProblem(path, "unknown key 'path'", where="path")]
    # The file format's pydantic models: imported only here, where a file is checked.
    from pydantic import ValidationError

    from nodeforge.analysis.manifest_model import validate_manifest

    try:
        manifest = validate_manifest({**data, "path": path})
    except ValidationError as exc:
        probs = []
        for e in exc.errors():
            loc = [_ALIASES.get(str(p), p) if isinstance(p, str) else p for p in e["loc"]]
            probs.append(CatalogProblem(path, e["msg"], where=_loc_str(loc)))
        return None, locate_problems(probs, text)
    return manifest, locate_problems(_check_manifest(manifest, path, check_layout), text)


def where_path(where: str) -> tuple[str | int, ...]:
    """The JSON path of a problem's ``where`` (``simulation.errors[0].when`` ->
    ``("simulation", "errors", 0, "when")``)."""
    out: list[str | int] = []
    for part in where.split("."):
        name, *indexes = part.split("[")
        if name:
            out.append(name)
        out.extend(int(i.rstrip("]")) for i in indexes if i.rstrip("]").isdigit())
    return tuple(out)


def problem_span(text: str, where: str) -> Span | None:
    """Where in the manifest ``text`` the problem at ``where`` is: the value at that
    path, else the member of its deepest existing ancestor that holds it (the key of a
    missing or unknown field's object); None when the text does not parse."""
    root = parse_json(text).root
    if root is None:
        return None
    path = where_path(where)
    node = root
    for depth, segment in enumerate(path):
        nxt = node.child(segment)
        if nxt is None:
            if isinstance(segment, str) and node.kind == "object":
                member = node.member(segment)
                if member is not None:
                    return member.key_span
            return node.span if depth else None
        node = nxt
    return node.span if path else None


def locate_problems(problems: list[CatalogProblem], text: str) -> list[CatalogProblem]:
    """``problems`` of one manifest with the line and column (1-based, in code points)
    of their ``where`` in its ``text``, so that every tool shows ``node.json:LINE:COL``."""
    index: LineIndex | None = None
    out: list[CatalogProblem] = []
    for problem in problems:
        span = problem_span(text, problem.where) if problem.where and problem.line is None else None
        if span is None:
            out.append(problem)
            continue
        index = index or LineIndex(text)
        pos = index.position(span.start, PositionEncoding.UTF32)
        out.append(dataclasses.replace(problem, line=pos.line + 1, column=pos.character + 1))
    return out
