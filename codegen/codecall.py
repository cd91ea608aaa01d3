"""Typed calls of ``code/go`` nodes: the flow's input converted to the node's ``Input``
and its ``Output`` back to the out port's type, field by field, in generated Go
(``nf.CallCode``), instead of a JSON round trip per call (``nf.RunCode``).

Both sides are Go types generated from the same analysis types, by two generators (the
flow's registry, :mod:`.gotypes`, and the node package's ``types.go``,
:mod:`.usercode`), so they agree on shapes but not on names: the converters walk the
two Go types together. Only conversions that give exactly what the JSON path gives are
generated: equal scalars (and integer to number), lists, maps and structs of those, with
optional fields through pointers. Anything else (``any``, unions, a required output
field the code may leave out) keeps the JSON path for that node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .gotypes import GoTypes, pascal
from .usercode import CodeField, code_types

__all__ = ["CodeCall", "Converters", "typed_call"]

_SCALARS = {"bool", "int64", "float64", "string"}


@dataclass(frozen=True)
class _Field:
    name: str
    json: str
    go: str  # without the pointer
    pointer: bool
    required: bool


@dataclass
class _Side:
    """One side's named structs: the flow's registry or a node package's types."""

    lookup: Callable[[str], list[_Field] | None]
    qualify: Callable[[str], str]  # a struct's name as the flow file spells it
    build: Callable[[str, dict[str, str]], str] | None = None  # composite literal, if special


@dataclass
class CodeCall:
    """How a template calls the node: ``input`` is the Go expression of its ``Input``
    from ``input``; ``output(res)`` the out port's value from its ``Output``."""

    input: str
    output_fn: str

    def output(self, value: str) -> str:
        return f"{self.output_fn}({value})" if self.output_fn else value


@dataclass
class Converters:
    """The conversion functions of one flow file (declared once, shared by its nodes)."""

    prefix: str
    decls: list[str] = field(default_factory=list)
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    def _name(self, src: str, dst: str, hint: str) -> str:
        base = f"conv{self.prefix}{hint}"
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}{n}", n + 1
        self.taken.add(name)
        self.names[(src, dst)] = name
        return name

    def convert(
        self, src: str, s: _Side, dst: str, d: _Side, hint: str, output: bool
    ) -> Callable[[str], str] | None:
        """A function from a Go expression of type ``src`` to one of ``dst`` (``None``:
        not convertible exactly). ``output``: the destination is the flow's port, whose
        required fields the source must always have."""
        if src in _SCALARS and dst in _SCALARS:
            if src == dst:
                return lambda e: e
            if (src, dst) == ("int64", "float64"):
                return lambda e: f"float64({e})"
            return None
        key = (s.qualify(src) if s.lookup(src) is not None else src, d.qualify(dst))
        done = self.names.get(key)
        if done is not None:
            return lambda e: f"{done}({e})"
        for kind in ("[]", "map[string]"):
            if src.startswith(kind) and dst.startswith(kind):
                inner = self.convert(
                    src[len(kind) :], s, dst[len(kind) :], d, hint + "Item", output
                )
                if inner is None:
                    return None
                name = self._name(*key, hint)
                sq, dq = _spell(src, s), _spell(dst, d)
                body = [f"func {name}(v {sq}) {dq} {{", "\tif v == nil {", "\t\treturn nil", "\t}"]
                if kind == "[]":
                    body += [f"\tout := make({dq}, len(v))", "\tfor i, x := range v {"]
                    body += [f"\t\tout[i] = {inner('x')}", "\t}"]
                else:
                    body += [f"\tout := make({dq}, len(v))", "\tfor k, x := range v {"]
                    body += [f"\t\tout[k] = {inner('x')}", "\t}"]
                self.decls += [*body, "\treturn out", "}", ""]
                return lambda e: f"{name}({e})"
        sf, df = s.lookup(src), d.lookup(dst)
        if sf is None or df is None:
            return None
        by_json = {f.json: f for f in sf}
        name = self._name(*key, hint)
        lines: list[str] = []
        for f in df:
            g = by_json.get(f.json)
            if g is None:
                if output and f.required:
                    self._undo(key, name)
                    return None
                continue
            conv = self.convert(g.go, s, f.go, d, hint + pascal(f.json), output)
            if conv is None:
                self._undo(key, name)
                return None
            if not g.pointer:
                value = conv(f"v.{g.name}")
                lines.append(f"\tout.{f.name} = {'nf.Ptr(' + value + ')' if f.pointer else value}")
                continue
            if output and f.required and not f.pointer:
                self._undo(key, name)
                return None
            value = conv(f"*v.{g.name}")
            lines += [f"\tif v.{g.name} != nil {{"]
            lines.append(f"\t\tout.{f.name} = {'nf.Ptr(' + value + ')' if f.pointer else value}")
            lines.append("\t}")
        dq = _spell(dst, d)
        self.decls += [
            f"func {name}(v {_spell(src, s)}) {dq} {{",
            f"\tvar out {dq}",
            *lines,
            "\treturn out",
            "}",
            "",
        ]
        return lambda e: f"{name}({e})"

    def _undo(self, key: tuple[str, str], name: str) -> None:
        del self.names[key]
        self.taken.discard(name)
        return None


def _spell(go: str, side: _Side) -> str:
    """``go`` as the flow file writes it (a node package's names qualified)."""
    for kind in ("[]", "map[string]"):
        if go.startswith(kind):
            return kind + _spell(go[len(kind) :], side)
    return side.qualify(go) if side.lookup(go) is not None else go


def _flow_side(types: GoTypes) -> _Side:
    def lookup(name: str) -> list[_Field] | None:
        s = types.by_name(name)
        if s is None:
            return None
        return [
            _Field(f.name, f.json, f.go[1:] if f.pointer else f.go, f.pointer, f.required)
            for f in s.all_fields()
        ]

    return _Side(lookup, lambda n: n)


def _code_side(pkg: str, structs: dict[str, list[CodeField]]) -> _Side:
    def lookup(name: str) -> list[_Field] | None:
        fields = structs.get(name)
        if fields is None:
            return None
        return [_Field(f.name, f.json, f.go, f.pointer, not f.pointer) for f in fields]

    return _Side(lookup, lambda n: f"{pkg}.{n}")


def typed_call(
    conv: Converters,
    types: GoTypes,
    pkg: str,
    node_hint: str,
    input_schema: object,
    output_schema: object,
    go_in: str,
    go_out: str,
) -> CodeCall | None:
    """The typed call of a code/go node whose package is ``pkg``, from its input's Go
    type ``go_in`` to its out port's ``go_out``; ``None`` when either direction needs
    the JSON path."""
    ct = code_types(input_schema, output_schema)
    flow, code = _flow_side(types), _code_side(pkg, ct.structs)
    saved = (len(conv.decls), dict(conv.names), set(conv.taken))
    into = conv.convert(go_in, flow, ct.input, code, node_hint + "Input", output=False)
    back = (
        conv.convert(ct.output, code, go_out, flow, node_hint + "Output", output=True)
        if into is not None
        else None
    )
    if into is None or back is None:
        del conv.decls[saved[0] :]
        conv.names, conv.taken = saved[1], saved[2]
        return None
    fn = back("x")
    if fn == "x":  # a scalar: no function needed
        return CodeCall(into("input"), "")
    return CodeCall(into("input"), fn.removesuffix("(x)"))
