"""Schema-specialised JSON decoders: a request body straight into its typed struct.

For an HTTP trigger whose ``body_schema`` stays within the subset below, the generator
writes ``read<Type>(r *nf.Reader, out *<Type>)`` functions that walk the JSON bytes once,
fill the struct and check the schema as they go (same JSON pointers and messages as
``nf.Schema.Validate``). No ``map[string]any``, no reflection, no second pass. Any other
schema (unions, ``nullable``, ``const``, non-string enums, ``additionalProperties`` with a
schema...) keeps the generic path: parse, validate, convert.

Supported per schema node: ``type`` (one of object, array, string, integer, number,
boolean), ``properties``, ``required``, ``additionalProperties: false``, ``items``, string
``enum``, ``minimum`` ``maximum`` ``exclusiveMinimum`` ``exclusiveMaximum``,
``minLength`` ``maxLength`` ``pattern`` ``format``, ``minItems`` ``maxItems``; annotations
(``description``, ``title``, ``examples``, ``default``) are ignored. A property without a
``type`` is read as any JSON value and validated with ``nf.Schema``.
"""

from __future__ import annotations

import json
from typing import Any

from nodeforge.analysis.regex import pattern_error
from nodeforge.analysis.schemas import message_json
from nodeforge.analysis.types import Type, type_from_schema

from .gotypes import GoTypes, name_join, pascal, singular
from .literal import go_float, go_int, go_string, json_text

__all__ = ["ReaderGen", "supported"]

_ANNOTATIONS = {"description", "title", "examples", "default", "$comment", "deprecated"}
_COMMON = _ANNOTATIONS | {"type"}
_BY_TYPE = {
    "object": {"properties", "required", "additionalProperties"},
    "array": {"items", "minItems", "maxItems"},
    "string": {"enum", "minLength", "maxLength", "pattern", "format"},
    "integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "boolean": set(),
}


def supported(schema: Any, top: bool = True) -> bool:
    """Whether ``schema`` is in the subset the specialised decoders handle."""
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind is None and not top:
        return not (set(schema) - _ANNOTATIONS)  # any value, validated generically
    if not isinstance(kind, str) or kind not in _BY_TYPE:
        return False
    if set(schema) - _COMMON - _BY_TYPE[kind]:
        return False
    if kind == "object":
        props = schema.get("properties", {})
        if not isinstance(props, dict) or not props:
            return False
        if schema.get("additionalProperties", True) not in (True, False):
            return False
        req = schema.get("required", [])
        if not isinstance(req, list) or not all(isinstance(r, str) for r in req):
            return False
        if any(not isinstance(k, str) or not k for k in props):
            return False
        return all(supported(sub, top=False) for sub in props.values())
    if kind == "array":
        items = schema.get("items")
        return items is None or supported(items, top=False)
    if kind == "string":
        enum = schema.get("enum")
        if enum is not None and not (
            isinstance(enum, list) and enum and all(isinstance(e, str) for e in enum)
        ):
            return False
        pattern = schema.get("pattern")
        if pattern is not None and (not isinstance(pattern, str) or pattern_error(pattern)):
            return False
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        v = schema.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            return False
    for key in ("minLength", "maxLength", "minItems", "maxItems"):
        v = schema.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            return False
    return True


class ReaderGen:
    """Writes the reader functions of one module (shared by its flows)."""

    def __init__(self, types: GoTypes) -> None:
        self.types = types
        self.funcs: dict[str, str] = {}  # name -> Go source
        self.vars: dict[str, str] = {}  # Go var name -> initialiser
        self._by_key: dict[str, str] = {}
        self._lists = 0  # depth of the list being read, for its loop's variable names

    def reader(self, schema: dict[str, Any], hint: str) -> str | None:
        """The name of ``func(r *nf.Reader, out *T)`` for a top-level object schema, or
        None when the schema needs the generic path."""
        if not supported(schema):
            return None
        t = type_from_schema(schema)
        go = self.types.go(t, hint)
        s = self.types.struct_of(t)
        if s is None or s.name != go:
            return None
        return self._object(schema, t, hint)

    def _object(self, schema: dict[str, Any], t: Type, hint: str) -> str:
        s = self.types.struct_of(t)
        assert s is not None
        key = json.dumps(schema, sort_keys=True) + "|" + s.name
        if key in self._by_key:
            return self._by_key[key]
        name = "read" + s.name
        n = 2
        while name in self.funcs:
            name, n = f"read{s.name}{n}", n + 1
        self._by_key[key] = name
        self.funcs[name] = ""  # reserve
        props: dict[str, Any] = schema.get("properties", {})
        # Every required name, declared in `properties` or not (an undeclared one is
        # only looked for: its value is skipped, or reported where the object is closed).
        required = list(dict.fromkeys(schema.get("required", [])))
        closed = schema.get("additionalProperties", True) is False
        lines = [
            f"// {name} reads a {s.name} from JSON, checking its schema as it goes.",
            f"func {name}(r *nf.Reader, out *{s.name}) {{",
            "\tif !r.BeginObject() {",
            "\t\treturn",
            "\t}",
        ]
        if required:
            lines.append(f"\tvar has [{len(required)}]bool")
        lines += [
            "\tfor first := true; ; {",
            "\t\tkey, ok := r.NextKey(&first)",
            "\t\tif !ok {",
            "\t\t\tbreak",
            "\t\t}",
            "\t\tswitch string(key) {",
        ]
        for prop, sub in props.items():
            f = s.field(prop)
            if f is None:
                continue
            lines.append(f"\t\tcase {go_string(prop)}:")
            if prop in required:
                lines.append(f"\t\t\thas[{required.index(prop)}] = true")
            lines.append(f"\t\t\tr.Push({go_string(prop)})")
            inner_hint = name_join(s.name, prop)
            if f.pointer:
                inner = f.go[1:]
                lines.append(f"\t\t\tvar v {inner}")
                lines += _indent(self._value(sub, f.type, "v", inner, inner_hint), 3)
                lines.append(f"\t\t\tout.{f.name} = &v")
            else:
                lines += _indent(self._value(sub, f.type, f"out.{f.name}", f.go, inner_hint), 3)
            lines.append("\t\t\tr.Pop()")
        for prop in required:
            if prop in props and s.field(prop) is not None:
                continue
            lines.append(f"\t\tcase {go_string(prop)}:")
            lines.append(f"\t\t\thas[{required.index(prop)}] = true")
            if closed:
                lines.append("\t\t\tr.Unknown(key)")
            lines.append("\t\t\tr.Skip()")
        lines.append("\t\tdefault:")
        if closed:
            lines.append("\t\t\tr.Unknown(key)")
        lines.append("\t\t\tr.Skip()")
        lines += ["\t\t}", "\t}"]
        if required:
            lines += ["\tif !r.OK() {", "\t\treturn", "\t}"]
            for i, prop in enumerate(required):
                lines += [f"\tif !has[{i}] {{", f"\t\tr.Missing({go_string(prop)})", "\t}"]
        lines.append("}")
        self.funcs[name] = "\n".join(lines) + "\n"
        return name

    def _value(self, schema: dict[str, Any], t: Type, target: str, go: str, hint: str) -> list[str]:
        """Statements reading one value into ``target`` (of Go type ``go``)."""
        kind = schema.get("type")
        if kind is None or go in ("any", "map[string]any"):
            var = self._schema_var(schema, hint)
            if go == "map[string]any":
                return [f"if v, ok := r.Any({var}).(map[string]any); ok {{", f"\t{target} = v", "}"]
            return [f"{target} = r.Any({var})"]
        if kind == "string":
            out = [f"{target} = r.String()"]
            if "minLength" in schema:
                out.append(f"r.CheckMinLength({target}, {go_int(schema['minLength'])})")
            if "maxLength" in schema:
                out.append(f"r.CheckMaxLength({target}, {go_int(schema['maxLength'])})")
            if "pattern" in schema:
                var = self._var(
                    "pattern", f"regexp.MustCompile({go_string(schema['pattern'])})", hint
                )
                out.append(f"r.CheckPattern({target}, {var})")
            if "format" in schema and isinstance(schema["format"], str):
                out.append(f"r.CheckFormat({target}, {go_string(schema['format'])})")
            if "enum" in schema:
                allowed = ", ".join(go_string(e) for e in schema["enum"])
                var = self._var("enum", f"[]string{{{allowed}}}", hint)
                message = "must be one of " + ", ".join(message_json(e) for e in schema["enum"])
                out.append(f"r.CheckEnum({target}, {var}, {go_string(message)})")
            return out
        if kind in ("integer", "number"):
            read = "r.Int()" if kind == "integer" else "r.Float()"
            out = [f"{target} = {read}"]
            bounds = [
                schema.get(k)
                for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
            ]
            if any(b is not None for b in bounds):
                args = ", ".join("math.NaN()" if b is None else go_float(float(b)) for b in bounds)
                value = target if kind == "number" else f"float64({target})"
                out.append(f"r.CheckNumber({value}, {args})")
            return out
        if kind == "boolean":
            return [f"{target} = r.Bool()"]
        if kind == "array":
            item_schema = schema.get("items") or {}
            elem = go[2:]
            item_t = getattr(t, "items", None)
            # Names per nesting level: a list of lists reads its items in an inner loop.
            level = self._lists
            n, item = ("n", "item") if level == 0 else (f"n{level + 1}", f"item{level + 1}")
            self._lists += 1
            out = [
                "if r.BeginList() {",
                f"\t{n} := 0",
                f"\tfor first := true; r.NextItem(&first); {n}++ {{",
            ]
            out.append(f"\t\tr.PushIndex({n})")
            out.append(f"\t\tvar {item} {elem}")
            try:
                if item_t is None:
                    out.append(f"\t\t{item} = r.Any(nil)")
                else:
                    out += _indent(self._value(item_schema, item_t, item, elem, singular(hint)), 2)
            finally:
                self._lists -= 1
            out += [f"\t\t{target} = append({target}, {item})", "\t\tr.Pop()", "\t}"]
            lo, hi = schema.get("minItems"), schema.get("maxItems")
            if lo is not None or hi is not None:
                lo_s = go_int(lo) if lo is not None else "-1"
                hi_s = go_int(hi) if hi is not None else "-1"
                out.append(f"\tr.CheckItems({n}, {lo_s}, {hi_s})")
            out += [f"\tif {target} == nil {{", f"\t\t{target} = {go}{{}}", "\t}", "}"]
            return out
        if kind == "object":
            fn = self._object(schema, t, hint)
            return [f"{fn}(r, &{target})"]
        raise AssertionError(kind)  # pragma: no cover - filtered by supported()

    def _schema_var(self, schema: dict[str, Any], hint: str) -> str:
        body = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
        if not body:
            return "nil"
        return self._var("schema", f"nf.MustSchema({json_text(schema)})", hint)

    def _var(self, kind: str, init: str, hint: str) -> str:
        for name, existing in self.vars.items():
            if existing == init:
                return name
        base = "json" + pascal(hint) + pascal(kind)
        name, n = base[:1].lower() + base[1:], 2
        while name in self.vars:
            name, n = f"{base}{n}", n + 1
        self.vars[name] = init
        return name

    def source(self) -> str:
        """The Go declarations, for models.go."""
        parts = [f"var {n} = {init}" for n, init in sorted(self.vars.items())]
        text = "\n".join(parts) + ("\n\n" if parts else "")
        return text + "\n".join(self.funcs[n] for n in sorted(self.funcs))


def _indent(lines: list[str], depth: int) -> list[str]:
    pad = "\t" * depth
    return [pad + line if line else line for line in lines]
