"""The JSON Schema subset of flows: what is enforced, and the check of a user's schema.

One table (:data:`KEYWORDS`) says, per keyword, whether the validators (the app's
``nf.Schema`` and the simulator's ``nodeforge.sandbox.schemacheck``) enforce it, take it
as an annotation, or ignore it; :data:`FORMATS` lists the enforced formats. The docs'
lists are generated from here (``docs/schemas.md``, ``python -m
nodeforge.analysis.schemas``), and a test keeps them current.

:func:`lint_schema` walks a schema a user wrote (an `http/trigger` ``body_schema``, a
``data/validate`` ``schema``...) and reports, located by JSON path inside it:

* errors (``NF028`` invalid-schema): a value of the wrong shape (``"minLength": -1``,
  ``"required": "a"``), an unknown type name, a ``pattern`` RE2 cannot compile, a
  ``$ref`` that does not resolve within the schema;
* warnings (``NF029`` schema-keyword-not-enforced): a JSON Schema keyword or format that
  is valid but not enforced;
* warnings (``NF030`` unknown-schema-keyword): a keyword JSON Schema does not have,
  with the closest known one (``minimun`` -> ``minimum``).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import unquote

from nodeforge.analysis.regex import pattern_error

__all__ = [
    "FORMATS",
    "KEYWORDS",
    "NO_RETRIEVAL",
    "TYPE_NAMES",
    "Keyword",
    "SchemaIssue",
    "lint_schema",
    "local_validator",
    "message_json",
    "param_kinds",
    "reference_issues",
    "resolve_pointer",
    "supported_markdown",
]

Status = Literal["enforced", "annotation", "not-enforced"]


@dataclass(frozen=True, slots=True)
class Keyword:
    name: str
    applies: str  # "any", "number", "string", "array", "object"
    status: Status
    doc: str


def _k(name: str, applies: str, status: Status, doc: str) -> tuple[str, Keyword]:
    return name, Keyword(name, applies, status, doc)


KEYWORDS: dict[str, Keyword] = dict(
    [
        _k("type", "any", "enforced", "a type name or a list of them"),
        _k("enum", "any", "enforced", "one of the listed values (numbers compare by value)"),
        _k("const", "any", "enforced", "exactly this value"),
        _k("allOf", "any", "enforced", "every subschema"),
        _k("anyOf", "any", "enforced", "at least one subschema"),
        _k("oneOf", "any", "enforced", "exactly one subschema"),
        _k("not", "any", "enforced", "not the subschema"),
        _k("if", "any", "enforced", "`then` applies when it matches, `else` when not"),
        _k("then", "any", "enforced", "with `if`"),
        _k("else", "any", "enforced", "with `if`"),
        _k("$ref", "any", "enforced", "`#` or a `#/...` pointer within the schema"),
        _k("$defs", "any", "enforced", "subschemas for `$ref`"),
        _k("definitions", "any", "enforced", "subschemas for `$ref` (older drafts)"),
        _k("nullable", "any", "enforced", "OpenAPI: `true` adds `null` to `type`"),
        _k("minimum", "number", "enforced", "value >= minimum"),
        _k("maximum", "number", "enforced", "value <= maximum"),
        _k("exclusiveMinimum", "number", "enforced", "value > the number"),
        _k("exclusiveMaximum", "number", "enforced", "value < the number"),
        _k("multipleOf", "number", "enforced", "value / multipleOf is whole (exact decimals)"),
        _k("minLength", "string", "enforced", "at least this many code points"),
        _k("maxLength", "string", "enforced", "at most this many code points"),
        _k("pattern", "string", "enforced", "RE2 syntax, matches anywhere (anchor with ^...$)"),
        _k("format", "string", "enforced", "the formats below are enforced, others ignored"),
        _k("items", "array", "enforced", "every element (a schema, not a list)"),
        _k("minItems", "array", "enforced", "at least this many elements"),
        _k("maxItems", "array", "enforced", "at most this many elements"),
        _k("uniqueItems", "array", "enforced", "no two equal elements"),
        _k("properties", "object", "enforced", "the named members"),
        _k("required", "object", "enforced", "these members are present"),
        _k(
            "additionalProperties",
            "object",
            "enforced",
            "members not in `properties` nor matching `patternProperties`",
        ),
        _k("patternProperties", "object", "enforced", "members whose name matches (RE2)"),
        _k("minProperties", "object", "enforced", "at least this many members"),
        _k("maxProperties", "object", "enforced", "at most this many members"),
        # annotations: accepted, no effect on validation
        _k("title", "any", "annotation", ""),
        _k("description", "any", "annotation", "shown on hover and completion"),
        _k("default", "any", "annotation", ""),
        _k("examples", "any", "annotation", ""),
        _k("deprecated", "any", "annotation", ""),
        _k("readOnly", "any", "annotation", ""),
        _k("writeOnly", "any", "annotation", ""),
        _k("$comment", "any", "annotation", ""),
        _k("$schema", "any", "annotation", ""),
        _k("$id", "any", "annotation", "references resolve within the schema only"),
        # JSON Schema keywords that are not enforced: a warning where used
        _k("prefixItems", "array", "not-enforced", ""),
        _k("additionalItems", "array", "not-enforced", ""),
        _k("contains", "array", "not-enforced", ""),
        _k("minContains", "array", "not-enforced", ""),
        _k("maxContains", "array", "not-enforced", ""),
        _k("unevaluatedItems", "array", "not-enforced", ""),
        _k("propertyNames", "object", "not-enforced", ""),
        _k("dependentRequired", "object", "not-enforced", ""),
        _k("dependentSchemas", "object", "not-enforced", ""),
        _k("dependencies", "object", "not-enforced", ""),
        _k("unevaluatedProperties", "object", "not-enforced", ""),
        _k("contentEncoding", "string", "not-enforced", ""),
        _k("contentMediaType", "string", "not-enforced", ""),
        _k("contentSchema", "string", "not-enforced", ""),
        _k("$anchor", "any", "not-enforced", ""),
        _k("$dynamicRef", "any", "not-enforced", ""),
        _k("$dynamicAnchor", "any", "not-enforced", ""),
        _k("$recursiveRef", "any", "not-enforced", ""),
        _k("$recursiveAnchor", "any", "not-enforced", ""),
        _k("$vocabulary", "any", "not-enforced", ""),
    ]
)

FORMATS: dict[str, str] = {
    "email": "RFC 5321 mailbox: dot-atom or quoted local part, host name or [address literal]",
    "date": "RFC 3339 full-date, `2024-02-29`",
    "time": "RFC 3339 full-time, `23:59:60Z` only as a leap second in UTC, `z` accepted",
    "date-time": "RFC 3339 date-time, `T` or `t`; offsets up to ±23:59",
    "uuid": "8-4-4-4-12 hex digits, nothing before or after",
    "uri": "RFC 3986 URI with a scheme, ASCII only",
}

TYPE_NAMES = ("null", "boolean", "integer", "number", "string", "array", "object")

# Keywords whose value is a schema, a list of schemas, or a map of name -> schema.
_SCHEMA = {
    "not",
    "if",
    "then",
    "else",
    "items",
    "additionalProperties",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "additionalItems",
}
_SCHEMA_LIST = {"allOf", "anyOf", "oneOf", "prefixItems"}
# Keywords that constrain one kind of value (the first found is named when `type` is missing).
_KIND_KEYWORDS = ("properties", "required", "additionalProperties", "items")
_SCHEMA_MAP = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
_COUNTS = {
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
}
_NUMBERS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
_BOOLEANS = {"uniqueItems", "nullable", "deprecated", "readOnly", "writeOnly"}
_MAX_DEPTH = 64

Code = Literal["NF028", "NF029", "NF030"]


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One problem of a schema, at ``path`` inside it (ending at the keyword; ``at_key``
    when the key itself is the place, an unknown keyword)."""

    code: Code
    message: str
    path: tuple[str | int, ...]
    at_key: bool = False


def lint_schema(schema: Any) -> list[SchemaIssue]:
    """Every problem of ``schema`` (see the module docs); never raises."""
    out: list[SchemaIssue] = []
    with contextlib.suppress(RecursionError):  # depth is bounded below
        _lint(schema, (), schema, out, 0)
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _lint(s: Any, at: tuple[str | int, ...], root: Any, out: list[SchemaIssue], depth: int) -> None:
    if isinstance(s, bool):
        return
    if not isinstance(s, dict):
        out.append(SchemaIssue("NF028", "a schema must be an object or a boolean", at))
        return
    if depth > _MAX_DEPTH:
        out.append(SchemaIssue("NF028", f"schema nested deeper than {_MAX_DEPTH} levels", at))
        return

    def error(key: str | int, message: str, *more: str | int) -> None:
        out.append(SchemaIssue("NF028", message, (*at, key, *more)))

    untyped = next((k for k in _KIND_KEYWORDS if k in s), None) if "type" not in s else None
    if untyped is not None and not ({"enum", "const"} & set(s)):
        kind = KEYWORDS[untyped].applies
        out.append(
            SchemaIssue(
                "NF029",
                f'`{untyped}` applies to {kind}s only: without `"type": "{kind}"` a value '
                f"of another kind passes, and the value is typed `any`",
                (*at, untyped),
                True,
            )
        )

    for key, value in s.items():
        if not isinstance(key, str):  # pragma: no cover - JSON keys are strings
            continue
        kw = KEYWORDS.get(key)
        if kw is None:
            hint = _closest(key)
            message = f"`{key}` is not a JSON Schema keyword; it is ignored"
            out.append(
                SchemaIssue(
                    "NF030",
                    message + (f"; did you mean `{hint}`?" if hint else ""),
                    (*at, key),
                    True,
                )
            )
            continue
        if kw.status == "not-enforced":
            out.append(
                SchemaIssue(
                    "NF029",
                    f"`{key}` is not enforced: neither the app nor the simulator checks it",
                    (*at, key),
                    True,
                )
            )
        if key == "type":
            _lint_type(value, (*at, key), out)
        elif key in _SCHEMA:
            if key == "items" and isinstance(value, list):
                error(key, "`items` must be a schema; a list of schemas is `prefixItems`")
            elif key in ("then", "else") and "if" not in s:
                _lint(value, (*at, key), root, out, depth + 1)
            else:
                _lint(value, (*at, key), root, out, depth + 1)
        elif key in _SCHEMA_LIST:
            if not isinstance(value, list) or not value:
                error(key, f"`{key}` must be a non-empty list of schemas")
            else:
                for i, sub in enumerate(value):
                    _lint(sub, (*at, key, i), root, out, depth + 1)
        elif key in _SCHEMA_MAP:
            if not isinstance(value, dict):
                error(key, f"`{key}` must be an object of schemas")
            else:
                for name, sub in value.items():
                    if key == "patternProperties":
                        problem = pattern_error(name)
                        if problem is not None:
                            out.append(
                                SchemaIssue(
                                    "NF028",
                                    f"invalid pattern {name!r} (RE2 syntax): {problem}",
                                    (*at, key, name),
                                    True,
                                )
                            )
                    _lint(sub, (*at, key, name), root, out, depth + 1)
        elif key in _COUNTS:
            if not (_is_number(value) and value >= 0 and value == int(value)):
                error(key, f"`{key}` must be a non-negative integer")
        elif key in _NUMBERS:
            if not _is_number(value):
                error(key, f"`{key}` must be a number")
            elif key == "multipleOf" and not value > 0:
                error(key, "`multipleOf` must be greater than 0")
        elif key in _BOOLEANS:
            if not isinstance(value, bool):
                error(key, f"`{key}` must be true or false")
        elif key == "required":
            if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
                error(key, "`required` must be a list of member names")
        elif key == "enum":
            if not isinstance(value, list):
                error(key, "`enum` must be a list of values")
        elif key == "pattern":
            if not isinstance(value, str):
                error(key, "`pattern` must be a string")
            else:
                problem = pattern_error(value)
                if problem is not None:
                    error(key, f"invalid pattern (RE2 syntax, as the app uses): {problem}")
        elif key == "format":
            if not isinstance(value, str):
                error(key, "`format` must be a string")
            elif value not in FORMATS:
                out.append(
                    SchemaIssue(
                        "NF029",
                        f"format `{value}` is not enforced (enforced: {', '.join(FORMATS)})",
                        (*at, key),
                    )
                )
        elif key == "$ref":
            _lint_ref(value, (*at, key), root, out)
        elif key == "$dynamicRef" and not (isinstance(value, str) and value.startswith("#")):
            _lint_ref(value, (*at, key), root, out)  # a URL: jsonschema would fetch it
    if ("then" in s or "else" in s) and "if" not in s:
        key = "then" if "then" in s else "else"
        out.append(SchemaIssue("NF029", f"`{key}` without `if` has no effect", (*at, key), True))


def _lint_type(value: Any, at: tuple[str | int, ...], out: list[SchemaIssue]) -> None:
    names = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        out.append(SchemaIssue("NF028", "`type` must name at least one type", at))
    for i, name in enumerate(names):
        where = (*at, i) if isinstance(value, list) else at
        if not isinstance(name, str):
            out.append(SchemaIssue("NF028", "`type` must be a type name or a list of them", where))
        elif name not in TYPE_NAMES:
            close = difflib.get_close_matches(name, TYPE_NAMES, n=1, cutoff=0.5)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            out.append(
                SchemaIssue(
                    "NF028",
                    f"unknown type `{name}`{hint} (types: {', '.join(TYPE_NAMES)})",
                    where,
                )
            )


def _lint_ref(value: Any, at: tuple[str | int, ...], root: Any, out: list[SchemaIssue]) -> None:
    if not isinstance(value, str):
        out.append(SchemaIssue("NF028", "`$ref` must be a string", at))
    elif not value.startswith("#"):
        out.append(
            SchemaIssue(
                "NF028",
                f"`$ref` {value!r} points outside the schema; only `#` and `#/...` "
                "pointers within it resolve",
                at,
            )
        )
    else:
        try:
            found = resolve_pointer(root, value)
        except UnicodeDecodeError:
            found = None
        if found is None:
            out.append(
                SchemaIssue("NF028", f"`$ref` {value!r} does not resolve in this schema", at)
            )


def resolve_pointer(root: Any, ref: str) -> tuple[Any, str] | None:
    """A ``$ref``'s target within ``root`` and its pointer: ``#`` or ``#/a/b``
    (percent- and ~-escapes decoded); None for any other reference."""
    if not ref.startswith("#"):
        return None
    frag = unquote(ref[1:], errors="strict") if "%" in ref else ref[1:]
    if frag == "":
        return root, ""
    if not frag.startswith("/"):
        return None
    cur = root
    for part in frag[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict):
            if part not in cur:
                return None
            cur = cur[part]
        elif isinstance(cur, list):
            if not part.isdigit() or not part.isascii() or str(int(part)) != part:
                return None
            i = int(part)
            if i >= len(cur):
                return None
            cur = cur[i]
        else:
            return None
    return (cur, frag) if isinstance(cur, bool | dict) else None


def reference_issues(schema: Any) -> list[SchemaIssue]:
    """The ``$ref``/``$dynamicRef`` problems of :func:`lint_schema`: a reference that is
    not a pointer within the schema (a URL or a file a validator would fetch) or that
    does not resolve in it. A node kit's schemas must have none: they come from
    workspaces the editor opens, and nothing a workspace says may make it fetch."""
    return [
        issue
        for issue in lint_schema(schema)
        if issue.code == "NF028" and issue.path and issue.path[-1] in ("$ref", "$dynamicRef")
    ]


def _refuse(uri: str) -> Any:
    raise ValueError(f"the schema refers to {uri!r}: references resolve within the schema only")


class _NoRetrieval(Mapping[str, Callable[[str], Any]]):
    """fastjsonschema's ``handlers``: it fetches a reference's URI with ``urllib`` unless a
    handler is registered for its scheme; here every scheme has one, which refuses."""

    def __getitem__(self, scheme: str) -> Callable[[str], Any]:
        return _refuse

    def __contains__(self, scheme: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


NO_RETRIEVAL: Mapping[str, Callable[[str], Any]] = _NoRetrieval()


def local_validator(schema: Any) -> Any:
    """A JSON Schema 2020-12 validator (``jsonschema``) of ``schema`` whose references
    resolve within it only: one to anything else is an error, never a fetch (jsonschema
    retrieves ``http(s)`` references by default)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry

    # (`retrieve` is the documented argument, an attrs alias mypy does not see)
    registry = Registry(retrieve=_refuse)  # type: ignore[call-arg]
    return Draft202012Validator(schema, registry=registry)


def _closest(word: str) -> str | None:
    close = difflib.get_close_matches(word, list(KEYWORDS), n=1, cutoff=0.6)
    if close:
        return close[0]
    low = word.lower()
    for k in KEYWORDS:
        if k.lower() == low:
            return k
    return None


def iter_subschemas(schema: Any) -> Iterator[Any]:
    """``schema`` and every schema inside it (for callers that look for something)."""
    stack = [schema]
    while stack:
        s = stack.pop()
        if not isinstance(s, dict):
            continue
        yield s
        for key, value in s.items():
            if key in _SCHEMA:
                stack.append(value)
            elif key in _SCHEMA_LIST and isinstance(value, list):
                stack.extend(value)
            elif key in _SCHEMA_MAP and isinstance(value, dict):
                stack.extend(value.values())


def message_json(v: Any) -> str:
    """``nf.JSONText``: compact JSON, sorted keys, no HTML escaping, Go's number forms."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_json_float(v)
    if isinstance(v, str):
        return (
            json.dumps(v, ensure_ascii=False)
            .replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029")
        )
    if isinstance(v, list):
        return "[" + ",".join(message_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(f"{message_json(k)}:{message_json(v[k])}" for k in sorted(v)) + "}"
    return str(v)


def _go_json_float(f: float) -> str:
    """encoding/json's float64: plain decimals between 1e-6 and 1e21, else the shortest
    exponent form without a zero-padded negative exponent (``1e-7``, ``1e+21``)."""
    if not math.isfinite(f):
        return "null"  # not JSON; Go's encoder fails, messages never carry one
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        mantissa, exp = repr(f).split("e")
        if exp.startswith("-0"):
            exp = "-" + exp[2:]
        return f"{mantissa}e{exp}"
    text = format(Decimal(repr(f)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" and math.copysign(1.0, f) > 0 else text


def supported_markdown() -> str:
    """The generated part of ``docs/schemas.md``: keywords by status, and formats."""
    lines = ["| keyword | applies to | what it checks |", "| --- | --- | --- |"]
    for kw in KEYWORDS.values():
        if kw.status == "enforced":
            lines.append(f"| `{kw.name}` | {kw.applies} | {kw.doc} |")
    lines += ["", "Annotations (accepted, no effect on validation): "]
    lines[-1] += ", ".join(f"`{k.name}`" for k in KEYWORDS.values() if k.status == "annotation")
    lines += ["", "Not enforced (a warning, `NF029`, where a schema uses them): "]
    lines[-1] += ", ".join(f"`{k.name}`" for k in KEYWORDS.values() if k.status == "not-enforced")
    lines += ["", "| format | what it accepts |", "| --- | --- |"]
    lines += [f"| `{name}` | {doc} |" for name, doc in FORMATS.items()]
    lines += ["", f"Type names: {', '.join(f'`{t}`' for t in TYPE_NAMES)}."]
    return "\n".join(lines) + "\n"


_PARAM_KINDS = ("integer", "number", "boolean")


def param_kinds(schema: Any) -> dict[str, str]:
    """For an ``http/trigger`` ``params_schema`` or ``query_schema``: the parameters whose
    text is converted before the check, by name, to ``integer``, ``number`` or
    ``boolean`` (a property whose ``type`` is that one name; others stay strings)."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {}
    out: dict[str, str] = {}
    for name, sub in props.items():
        t = sub.get("type") if isinstance(sub, dict) else None
        if isinstance(t, str) and t in _PARAM_KINDS:
            out[name] = t
    return out


if __name__ == "__main__":  # pragma: no cover
    print(supported_markdown(), end="")
