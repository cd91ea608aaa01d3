"""JSON Schema checks exactly as the generated Go code does them (``nf.Schema`` in
``catalog/nf/schema.go``, formats in ``catalog/nf/formats.go``): the same subset, the same
order and the same messages, so a simulated 400 answer or ``data/validate`` ``invalid``
output is what the binary gives. Patterns use RE2 (``google-re2``), the app's regular
expression semantics. The supported keywords are listed in
:mod:`nodeforge.analysis.schemas` (the docs are generated from there).

Problems are ``{"pointer", "message"}`` (at most 20), properties in sorted order.
Values are JSON values as the app decodes them: :func:`loads` reads JSON text the app's
way (a duplicate key is an error, an integer beyond 64 bits is a double).
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from typing import Any

from nodeforge.analysis.expressions.evaluator import format_double, value_kind
from nodeforge.analysis.regex import compile_pattern
from nodeforge.analysis.schemas import FORMATS, resolve_pointer
from nodeforge.analysis.schemas import message_json as json_text

MAX_PROBLEMS = 20
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

kind = value_kind  # one naming of value kinds, shared with the expression evaluator


# --------------------------------------------------------------------------- JSON text


class JSONError(ValueError):
    """JSON text the app refuses, located like its 400 answer (line and column, 1-based)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message, self.line, self.column = message, line, column


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, len(text[start:offset].encode("utf-8")) + 1


def loads(text: str) -> Any:
    """JSON text to JSON values as the app's ``nf.DecodeJSON`` gives them: a duplicate key
    is an error (raised as :class:`JSONError`), integers outside int64 become doubles,
    lone surrogates become U+FFFD."""
    decoder = json.JSONDecoder(object_pairs_hook=_pairs)
    try:
        value = decoder.decode(text)
    except _Duplicate as dup:
        offset = _duplicate_offset(text, dup.key)
        line, column = _position(text, offset)
        raise JSONError(f"duplicate key {json_text(normalize(dup.key))}", line, column) from None
    except json.JSONDecodeError as exc:
        line, column = _position(text, exc.pos)
        raise JSONError(exc.msg, line, column) from None
    except RecursionError:
        raise JSONError("exceeded max depth", 1, 1) from None
    return normalize(value)


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


def _duplicate_offset(text: str, key: str) -> int:
    """Where the repeated key starts (the positioned parser of the analysis finds it)."""
    from nodeforge.analysis.jsontree import parse_json

    for error in parse_json(text).errors:
        if error.message.startswith("Duplicate property"):
            return int(error.span.start)
    return 0


def normalize(v: Any) -> Any:
    """A Python JSON value as the app holds it (see :func:`loads`)."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return v if INT64_MIN <= v <= INT64_MAX else float(v)
    if isinstance(v, str):
        return _valid_text(v)
    if isinstance(v, list):
        return [normalize(x) for x in v]
    if isinstance(v, dict):
        return {_valid_text(k): normalize(x) for k, x in v.items()}
    return v


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_text(s: str) -> str:
    """Lone surrogates (``"\\ud800"`` in JSON) become U+FFFD, one each, as in Go."""
    if s.isascii():
        return s
    return _LONE_SURROGATE.sub("\ufffd", s)


format_float = format_double  # Go's strconv.FormatFloat(f, 'g', -1, 64)


# --------------------------------------------------------------------------- compiling


class Schema:
    """A compiled schema node (``nf.Schema``)."""

    __slots__ = (
        "additional",
        "all_of",
        "any_of",
        "const",
        "else_",
        "enum",
        "excl_maximum",
        "excl_minimum",
        "format",
        "has_const",
        "has_enum",
        "if_",
        "items",
        "max_items",
        "max_length",
        "max_props",
        "maximum",
        "min_items",
        "min_length",
        "min_props",
        "minimum",
        "multiple_of",
        "multiple_text",
        "names",
        "no_additional",
        "not_",
        "one_of",
        "pattern",
        "pattern_props",
        "pattern_text",
        "properties",
        "ref",
        "reject",
        "required",
        "then",
        "types",
        "unique_items",
    )

    def __init__(self) -> None:
        self.reject = False
        self.types: list[str] = []
        self.enum: list[Any] = []
        self.has_enum = False
        self.const: Any = None
        self.has_const = False
        self.properties: dict[str, Schema] = {}
        self.names: list[str] = []
        self.pattern_props: list[tuple[Any, Schema]] = []
        self.required: list[str] = []
        self.additional: Schema | None = None
        self.no_additional = False
        self.min_props: int | None = None
        self.max_props: int | None = None
        self.items: Schema | None = None
        self.min_items: int | None = None
        self.max_items: int | None = None
        self.unique_items = False
        self.minimum: float | None = None
        self.maximum: float | None = None
        self.excl_minimum: float | None = None
        self.excl_maximum: float | None = None
        self.multiple_of: Fraction | None = None
        self.multiple_text = ""
        self.min_length: int | None = None
        self.max_length: int | None = None
        self.pattern: Any = None
        self.pattern_text = ""
        self.format = ""
        self.ref: Schema | None = None
        self.all_of: list[Schema] = []
        self.any_of: list[Schema] = []
        self.one_of: list[Schema] = []
        self.not_: Schema | None = None
        self.if_: Schema | None = None
        self.then: Schema | None = None
        self.else_: Schema | None = None


_COMPILED: dict[str, Schema] = {}


def compile_schema(raw: Any) -> Schema:
    """``nf.CompileSchema`` of a schema value (cached by its JSON text)."""
    key = json.dumps(raw, sort_keys=True)
    hit = _COMPILED.get(key)
    if hit is not None:
        return hit
    root = normalize(raw)
    s = _Compiler(root).compile(root, "")
    if len(_COMPILED) > 512:
        _COMPILED.clear()
    _COMPILED[key] = s
    return s


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _count(v: Any) -> int | None:
    f = _num(v)
    if f is None or not (0 <= f < 2**31) or f != math.trunc(f):
        return None
    return int(f)


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


class _Compiler:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.by_pointer: dict[str, Schema] = {}

    def compile(self, raw: Any, ptr: str) -> Schema:
        hit = self.by_pointer.get(ptr)
        if hit is not None:
            return hit
        s = Schema()
        self.by_pointer[ptr] = s
        if isinstance(raw, bool):
            s.reject = not raw
        elif isinstance(raw, dict):
            self.fill(s, raw, ptr)
        return s

    def sub(self, raw: Any, ptr: str) -> Schema | None:
        return self.compile(raw, ptr) if isinstance(raw, bool | dict) else None

    def list(self, raw: Any, ptr: str) -> list[Schema]:
        if not isinstance(raw, list):
            return []
        out = []
        for i, item in enumerate(raw):
            sub = self.sub(item, f"{ptr}/{i}")
            if sub is not None:
                out.append(sub)
        return out

    def fill(self, s: Schema, m: dict[str, Any], ptr: str) -> None:
        t = m.get("type")
        if isinstance(t, str):
            s.types = [t]
        elif isinstance(t, list):
            s.types = [x for x in t if isinstance(x, str)]
        if m.get("nullable") is True and s.types:
            s.types.append("null")
        if isinstance(m.get("enum"), list):
            s.enum, s.has_enum = m["enum"], True
        if "const" in m:
            s.const, s.has_const = m["const"], True
        props = m.get("properties")
        if isinstance(props, dict):
            for k, v in props.items():
                sub = self.sub(v, f"{ptr}/properties/{_escape(k)}")
                if sub is not None:
                    s.properties[k] = sub
            s.names = sorted(s.properties)
        pp = m.get("patternProperties")
        if isinstance(pp, dict):
            for k in sorted(pp):
                sub = self.sub(pp[k], f"{ptr}/patternProperties/{_escape(k)}")
                compiled = compile_pattern(k)
                if compiled is not None and sub is not None:
                    s.pattern_props.append((compiled, sub))
        req = m.get("required")
        if isinstance(req, list):
            s.required = [r for r in req if isinstance(r, str)]
        ap = m.get("additionalProperties")
        if isinstance(ap, bool):
            s.no_additional = not ap
        elif isinstance(ap, dict):
            s.additional = self.compile(ap, f"{ptr}/additionalProperties")
        s.min_props, s.max_props = _count(m.get("minProperties")), _count(m.get("maxProperties"))
        s.items = self.sub(m.get("items"), f"{ptr}/items")
        s.min_items, s.max_items = _count(m.get("minItems")), _count(m.get("maxItems"))
        s.unique_items = m.get("uniqueItems") is True
        s.minimum, s.maximum = _num(m.get("minimum")), _num(m.get("maximum"))
        s.excl_minimum = _num(m.get("exclusiveMinimum"))
        s.excl_maximum = _num(m.get("exclusiveMaximum"))
        mult = _num(m.get("multipleOf"))
        if mult is not None and math.isfinite(mult) and mult > 0:
            s.multiple_of, s.multiple_text = _exact(mult), format_float(mult)
        s.min_length, s.max_length = _count(m.get("minLength")), _count(m.get("maxLength"))
        pattern = m.get("pattern")
        if isinstance(pattern, str):
            s.pattern, s.pattern_text = compile_pattern(pattern), pattern
        fmt = m.get("format")
        if isinstance(fmt, str) and fmt in FORMATS:
            s.format = fmt
        ref = m.get("$ref")
        if isinstance(ref, str):
            found = resolve_pointer(self.root, ref)
            if found is not None:
                s.ref = self.compile(found[0], found[1])
        s.all_of = self.list(m.get("allOf"), f"{ptr}/allOf")
        s.any_of = self.list(m.get("anyOf"), f"{ptr}/anyOf")
        s.one_of = self.list(m.get("oneOf"), f"{ptr}/oneOf")
        s.not_ = self.sub(m.get("not"), f"{ptr}/not")
        if "if" in m:
            s.if_ = self.sub(m["if"], f"{ptr}/if")
            s.then = self.sub(m.get("then"), f"{ptr}/then")
            s.else_ = self.sub(m.get("else"), f"{ptr}/else")


def _exact(f: float) -> Fraction:
    """The rational of ``f``'s shortest decimal form (``nf.exactRat``)."""
    return Fraction(repr(f))


# --------------------------------------------------------------------------- validating


def validate(value: Any, schema: Any) -> list[dict[str, str]]:
    """Every problem of ``value`` (a JSON value, see :func:`normalize`) against ``schema``."""
    out: list[dict[str, str]] = []
    compiled = compile_schema(schema if isinstance(schema, bool | dict) else {})
    _check(compiled, normalize(value), "", out, MAX_PROBLEMS)
    return out


def accepts(s: Schema, v: Any) -> bool:
    out: list[dict[str, str]] = []
    _check(s, v, "", out, 1)
    return not out


def _type_ok(types: list[str], v: Any) -> bool:
    for t in types:
        if t == "null" and v is None:
            return True
        if t == "boolean" and isinstance(v, bool):
            return True
        if t == "integer" and not isinstance(v, bool):
            if isinstance(v, int):
                return True
            if isinstance(v, float) and math.isfinite(v) and v == math.trunc(v):
                return -(2.0**63) <= v < 2.0**63
        if t == "number" and isinstance(v, int | float) and not isinstance(v, bool):
            return True
        if t == "string" and isinstance(v, str):
            return True
        if t == "array" and isinstance(v, list):
            return True
        if t == "object" and isinstance(v, dict):
            return True
    return False


def equal(a: Any, b: Any) -> bool:
    """``nf.Equal``: numbers by value across int and double, other kinds deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b) if isinstance(a, float) or isinstance(b, float) else a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return bool(type(a) is type(b) and a == b)


def _check(s: Schema, v: Any, at: str, out: list[dict[str, str]], limit: int) -> None:
    if len(out) >= limit:
        return

    def add(message: str) -> None:
        if len(out) < limit:
            out.append({"pointer": at, "message": message})

    if s.reject:
        add("no value is allowed here")
        return
    if s.ref is not None:
        _check(s.ref, v, at, out, limit)
    if s.types and not _type_ok(s.types, v):
        whole = isinstance(v, float) and math.isfinite(v) and v == math.trunc(v)
        if whole and "integer" in s.types:
            add("integer out of range")
        else:
            add(f"expected {' or '.join(s.types)}, got {kind(v)}")
        return
    if s.has_enum and not any(equal(e, v) for e in s.enum):
        add("must be one of " + ", ".join(json_text(e) for e in s.enum))
    if s.has_const and not equal(s.const, v):
        add(f"must be {json_text(s.const)}")
    if isinstance(v, dict):
        _check_object(s, v, at, out, limit, add)
    elif isinstance(v, list):
        if s.min_items is not None and len(v) < s.min_items:
            add(f"must have at least {s.min_items} items")
        if s.max_items is not None and len(v) > s.max_items:
            add(f"must have at most {s.max_items} items")
        if s.unique_items:
            _unique(v, add)
        if s.items is not None:
            for i, item in enumerate(v):
                _check(s.items, item, f"{at}/{i}", out, limit)
    elif isinstance(v, str):
        n = len(v)
        if s.min_length is not None and n < s.min_length:
            add(f"must be at least {s.min_length} characters long")
        if s.max_length is not None and n > s.max_length:
            add(f"must be at most {s.max_length} characters long")
        if s.pattern is not None and not s.pattern.search(v):
            add(f"must match the pattern {json_text(s.pattern_text)}")
        if s.format and not format_ok(s.format, v):
            add(f"must be a valid {s.format}")
    elif isinstance(v, int | float) and not isinstance(v, bool):
        _check_number(s, v, add)
    for sub in s.all_of:
        _check(sub, v, at, out, limit)
    if s.any_of and not any(accepts(sub, v) for sub in s.any_of):
        add("must match at least one schema of anyOf")
    if s.one_of:
        n = sum(1 for sub in s.one_of if accepts(sub, v))
        if n != 1:
            add(f"must match exactly one schema of oneOf (matches {n})")
    if s.not_ is not None and accepts(s.not_, v):
        add("must not match the schema of not")
    if s.if_ is not None:
        if accepts(s.if_, v):
            if s.then is not None:
                _check(s.then, v, at, out, limit)
        elif s.else_ is not None:
            _check(s.else_, v, at, out, limit)


def _unique(v: list[Any], add: Any) -> None:
    for i in range(1, len(v)):
        for j in range(i):
            if equal(v[j], v[i]):
                add(f"items {j} and {i} are equal")
                return


def _check_object(
    s: Schema, v: dict[str, Any], at: str, out: list[dict[str, str]], limit: int, add: Any
) -> None:
    for r in s.required:
        if r not in v and len(out) < limit:
            out.append({"pointer": f"{at}/{_escape(r)}", "message": "required field is missing"})
    if s.min_props is not None and len(v) < s.min_props:
        add(f"must have at least {s.min_props} properties")
    if s.max_props is not None and len(v) > s.max_props:
        add(f"must have at most {s.max_props} properties")
    for name in s.names:
        if name in v:
            _check(s.properties[name], v[name], f"{at}/{_escape(name)}", out, limit)
    if not s.pattern_props and not s.no_additional and s.additional is None:
        return
    for k in sorted(v, key=lambda k: k.encode("utf-8", "surrogatepass")):
        matched = False
        for pattern, sub in s.pattern_props:
            if pattern.search(k):
                matched = True
                _check(sub, v[k], f"{at}/{_escape(k)}", out, limit)
        if k in s.properties or matched:
            continue
        if s.no_additional:
            if len(out) < limit:
                out.append({"pointer": f"{at}/{_escape(k)}", "message": "unknown field"})
        elif s.additional is not None:
            _check(s.additional, v[k], f"{at}/{_escape(k)}", out, limit)


def _check_number(s: Schema, v: int | float, add: Any) -> None:
    f = float(v)
    if s.minimum is not None and f < s.minimum:
        add(f"must be >= {format_float(s.minimum)}")
    if s.maximum is not None and f > s.maximum:
        add(f"must be <= {format_float(s.maximum)}")
    if s.excl_minimum is not None and f <= s.excl_minimum:
        add(f"must be > {format_float(s.excl_minimum)}")
    if s.excl_maximum is not None and f >= s.excl_maximum:
        add(f"must be < {format_float(s.excl_maximum)}")
    if s.multiple_of is not None and not _is_multiple(v, s.multiple_of):
        add(f"must be a multiple of {s.multiple_text}")


def _is_multiple(v: int | float, m: Fraction) -> bool:
    if isinstance(v, float):
        if not math.isfinite(v):
            return False
        r = _exact(v)
    else:
        r = Fraction(v)
    return (r / m).denominator == 1


# --------------------------------------------------------------------------- formats
# Byte for byte catalog/nf/formats.go: the same checks on the UTF-8 bytes.


def format_ok(fmt: str, s: str) -> bool:
    """Whether ``s`` is a valid ``fmt`` (unknown formats accept everything)."""
    check = _FORMAT_CHECKS.get(fmt)
    return check is None or check(s.encode("utf-8", "surrogatepass"))


def _digits(b: bytes) -> int | None:
    if not b or not all(0x30 <= c <= 0x39 for c in b):
        return None
    return int(b)


def _is_date(s: bytes) -> bool:
    if len(s) != 10 or s[4:5] != b"-" or s[7:8] != b"-":
        return False
    y, m, d = _digits(s[:4]), _digits(s[5:7]), _digits(s[8:])
    if y is None or m is None or d is None or not 1 <= m <= 12 or d < 1:
        return False
    days = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[m]
    if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        days = 29
    return d <= days


def _is_time(s: bytes) -> bool:
    if len(s) < 9 or s[2:3] != b":" or s[5:6] != b":":
        return False
    h, m, sec = _digits(s[:2]), _digits(s[3:5]), _digits(s[6:8])
    if h is None or m is None or sec is None or h > 23 or m > 59 or sec > 60:
        return False
    rest = s[8:]
    if rest[:1] == b".":
        i = 1
        while i < len(rest) and 0x30 <= rest[i] <= 0x39:
            i += 1
        if i == 1:
            return False
        rest = rest[i:]
    offset = 0
    if rest in (b"Z", b"z"):
        pass
    elif len(rest) == 6 and rest[:1] in (b"+", b"-") and rest[3:4] == b":":
        oh, om = _digits(rest[1:3]), _digits(rest[4:6])
        if oh is None or om is None or oh > 23 or om > 59:
            return False
        offset = oh * 60 + om
        if rest[:1] == b"-":
            offset = -offset
    else:
        return False
    if sec == 60:
        return (h * 60 + m - offset) % 1440 == 23 * 60 + 59
    return True


def _is_date_time(s: bytes) -> bool:
    return len(s) > 11 and s[10:11] in (b"T", b"t") and _is_date(s[:10]) and _is_time(s[11:])


_HEX = frozenset(b"0123456789abcdefABCDEF")


def _is_uuid(s: bytes) -> bool:
    if len(s) != 36:
        return False
    for i, c in enumerate(s):
        if i in (8, 13, 18, 23):
            if c != 0x2D:
                return False
        elif c not in _HEX:
            return False
    return True


def _is_ipv4(s: bytes) -> bool:
    parts = s.split(b".")
    if len(parts) != 4:
        return False
    for p in parts:
        n = _digits(p)
        if n is None or len(p) > 3 or n > 255 or (len(p) > 1 and p[:1] == b"0"):
            return False
    return True


def _is_ipv6(s: bytes) -> bool:
    head, tail, compressed = s, b"", False
    i = s.find(b"::")
    if i >= 0:
        head, tail, compressed = s[:i], s[i + 2 :], True
        if b"::" in tail:
            return False
    groups = 0
    for n, part in enumerate((head, tail)):
        if not part:
            continue
        fields = part.split(b":")
        for j, f in enumerate(fields):
            last = n == 1 or not compressed
            if last and j == len(fields) - 1 and b"." in f:
                if not _is_ipv4(f):
                    return False
                groups += 2
                continue
            if not 1 <= len(f) <= 4 or not all(c in _HEX for c in f):
                return False
            groups += 1
    return groups < 8 if compressed else groups == 8


def _alpha(c: int) -> bool:
    return 0x61 <= c <= 0x7A or 0x41 <= c <= 0x5A


def _digit(c: int) -> bool:
    return 0x30 <= c <= 0x39


_UNRESERVED = frozenset(b"-._~")
_SUB_DELIMS = frozenset(b"!$&'()*+,;=")


def _uri_chars(s: bytes, extra: bytes) -> bool:
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if _alpha(c) or _digit(c) or c in _UNRESERVED or c in _SUB_DELIMS or c in extra:
            pass
        elif c == 0x25:  # %
            if i + 2 >= n or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                return False
            i += 2
        else:
            return False
        i += 1
    return True


def _is_uri(s: bytes) -> bool:
    colon = s.find(b":")
    if colon < 1 or not _alpha(s[0]):
        return False
    for c in s[1:colon]:
        if not (_alpha(c) or _digit(c) or c in b"+-."):
            return False
    rest = s[colon + 1 :]
    i = rest.find(b"#")
    if i >= 0:
        if not _uri_chars(rest[i + 1 :], b":@/?"):
            return False
        rest = rest[:i]
    i = rest.find(b"?")
    if i >= 0:
        if not _uri_chars(rest[i + 1 :], b":@/?"):
            return False
        rest = rest[:i]
    if rest.startswith(b"//"):
        rest = rest[2:]
        end = rest.find(b"/")
        if end < 0:
            end = len(rest)
        if not _is_authority(rest[:end]):
            return False
        rest = rest[end:]
    return _uri_chars(rest, b":@/")


def _is_authority(a: bytes) -> bool:
    at = a.rfind(b"@")
    if at >= 0:
        if not _uri_chars(a[:at], b":"):
            return False
        a = a[at + 1 :]
    host, port = a, b""
    if a.startswith(b"["):
        end = a.find(b"]")
        if end < 0:
            return False
        host, port = a[1:end], a[end + 1 :]
        if port and port[:1] != b":":
            return False
        if host[:1] in (b"v", b"V"):
            dot = host.find(b".")
            if dot < 2 or dot == len(host) - 1 or not _uri_chars(host[dot + 1 :], b":"):
                return False
            if not all(c in _HEX for c in host[1:dot]):
                return False
        elif not _is_ipv6(host):
            return False
    else:
        i = a.find(b":")
        if i >= 0:
            host, port = a[:i], a[i:]
        if not _uri_chars(host, b""):
            return False
    return not (port and port != b":" and _digits(port[1:]) is None)


_ATEXT = frozenset(b"!#$%&'*+-/=?^_`{|}~")


def _atext(c: int) -> bool:
    return _alpha(c) or _digit(c) or c >= 0x80 or c in _ATEXT


def _is_dot_atom(local: bytes) -> bool:
    if local[:1] == b"." or local[-1:] == b".":
        return False
    prev = 0
    for c in local:
        if c == 0x2E and prev == 0x2E:
            return False
        if not (_atext(c) or c == 0x2E):
            return False
        prev = c
    return True


def _is_quoted_local(local: bytes) -> bool:
    if len(local) < 2 or local[:1] != b'"' or local[-1:] != b'"':
        return False
    body = local[1:-1]
    i = 0
    while i < len(body):
        c = body[i]
        if c == 0x5C:  # backslash
            i += 1
            if i == len(body) or not 32 <= body[i] <= 126:
                return False
        elif not 32 <= c <= 126 or c == 0x22:
            return False
        i += 1
    return True


def _is_email_bytes(b: bytes) -> bool:
    at = b.rfind(b"@")
    if at <= 0 or at == len(b) - 1 or len(b) > 254:
        return False
    local, domain = b[:at], b[at + 1 :]
    if len(local) > 64 or not (_is_dot_atom(local) or _is_quoted_local(local)):
        return False
    if domain[:1] == b"[":
        if domain[-1:] != b"]":
            return False
        lit = domain[1:-1]
        if lit.startswith(b"IPv6:"):
            return _is_ipv6(lit[5:])
        return _is_ipv4(lit)
    label = 0
    for i in range(len(domain) + 1):
        if i == len(domain) or domain[i] == 0x2E:
            if label == 0 or domain[i - 1] == 0x2D or domain[i - label] == 0x2D:
                return False
            label = 0
            continue
        c = domain[i]
        if not (_alpha(c) or _digit(c) or c == 0x2D) and c < 0x80:
            return False
        label += 1
    return True


def is_email(s: str) -> bool:
    """``nf.IsEmail``, byte for byte."""
    return _is_email_bytes(s.encode("utf-8", "surrogatepass"))


_FORMAT_CHECKS = {
    "email": _is_email_bytes,
    "date": _is_date,
    "time": _is_time,
    "date-time": _is_date_time,
    "uuid": _is_uuid,
    "uri": _is_uri,
}
assert set(_FORMAT_CHECKS) == set(FORMATS)


_DIGITS = re.compile(r"-?[0-9]+")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def typed_params(raw: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """``nf.TypedParams``: path or query parameters' text converted to the type ``kinds``
    names (see :func:`nodeforge.analysis.schemas.param_kinds`); a value that does not
    convert stays as it is, for the schema to report."""
    out = dict(raw)
    for k, v in raw.items():
        if not isinstance(v, str):
            continue
        kind_ = kinds.get(k)
        if kind_ == "integer" and _DIGITS.fullmatch(v):
            n = int(v)
            if -(2**63) <= n < 2**63:
                out[k] = n
        elif kind_ == "number" and _JSON_NUMBER.fullmatch(v):
            f = float(v)
            if math.isfinite(f):
                out[k] = f
        elif kind_ == "boolean" and v in ("true", "false"):
            out[k] = v == "true"
    return out
