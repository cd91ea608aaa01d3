"""JSON Schema checks exactly as the generated Go code does them (``nf.Schema`` in
``catalog/nf/schema.go``): the same subset, the same order and the same messages, so a
simulated 400 answer or ``data/validate`` ``invalid`` output is what the binary gives.

Problems are ``{"pointer", "message"}`` (at most 20), properties in sorted order.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

from nodeforge.analysis.expressions.evaluator import value_kind

MAX_PROBLEMS = 20


def validate(value: Any, schema: Any) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    _check(value, schema if isinstance(schema, dict) else {}, "", out)
    return out


kind = value_kind  # one naming of value kinds, shared with the expression evaluator


def _types(s: dict[str, Any]) -> list[str]:
    t = s.get("type")
    types = (
        [t]
        if isinstance(t, str)
        else [x for x in t if isinstance(x, str)]
        if isinstance(t, list)
        else []
    )
    if s.get("nullable") is True and types:
        types.append("null")
    return types


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
                return True
        if t == "number" and isinstance(v, int | float) and not isinstance(v, bool):
            return True
        if t == "string" and isinstance(v, str):
            return True
        if t == "array" and isinstance(v, list):
            return True
        if t == "object" and isinstance(v, dict):
            return True
    return False


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def format_float(f: float) -> str:
    """Go's ``strconv.FormatFloat(f, 'g', -1, 64)``."""
    if f == math.trunc(f) and abs(f) < 1e21:
        return str(int(f))
    text = repr(f)
    if "e" in text:
        mantissa, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        digits = exp.lstrip("+-").rjust(2, "0")
        return f"{mantissa}e{sign}{digits}"
    return text


def _count(v: Any) -> int | None:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _check(v: Any, s: dict[str, Any], at: str, out: list[dict[str, str]]) -> None:
    if len(out) >= MAX_PROBLEMS:
        return

    def add(message: str) -> None:
        out.append({"pointer": at, "message": message})

    types = _types(s)
    if types and not _type_ok(types, v):
        add(f"expected {' or '.join(types)}, got {kind(v)}")
        return
    enum = (
        [s["const"]] if "const" in s else s.get("enum") if isinstance(s.get("enum"), list) else None
    )
    if enum is not None and not any(_equal(e, v) for e in enum):
        parts = ", ".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in enum)
        add(f"must be one of {parts}")
    if isinstance(v, dict):
        props = s.get("properties") if isinstance(s.get("properties"), dict) else None
        for r in s.get("required") or []:
            if isinstance(r, str) and r not in v:
                out.append(
                    {"pointer": f"{at}/{_escape(r)}", "message": "required field is missing"}
                )
        for name in sorted(props or {}):
            if name in v:
                sub = props[name] if isinstance(props[name], dict) else {}  # type: ignore[index]
                _check(v[name], sub, f"{at}/{_escape(name)}", out)
        extra_rule = s.get("additionalProperties")
        if extra_rule is False or isinstance(extra_rule, dict):
            for k in sorted(k for k in v if k not in (props or {})):
                if extra_rule is False:
                    out.append({"pointer": f"{at}/{_escape(k)}", "message": "unknown field"})
                else:
                    _check(v[k], extra_rule, f"{at}/{_escape(k)}", out)
    elif isinstance(v, list):
        lo, hi = _count(s.get("minItems")), _count(s.get("maxItems"))
        if lo is not None and len(v) < lo:
            add(f"must have at least {lo} items")
        if hi is not None and len(v) > hi:
            add(f"must have at most {hi} items")
        if isinstance(s.get("items"), dict):
            for i, item in enumerate(v):
                _check(item, s["items"], f"{at}/{i}", out)
    elif isinstance(v, str):
        lo, hi = _count(s.get("minLength")), _count(s.get("maxLength"))
        if lo is not None and len(v) < lo:
            add(f"must be at least {lo} characters long")
        if hi is not None and len(v) > hi:
            add(f"must be at most {hi} characters long")
        pattern = s.get("pattern")
        if isinstance(pattern, str):
            try:
                if re.search(pattern, v) is None:
                    add(f"must match the pattern {json.dumps(pattern)}")
            except re.error:
                pass  # Go skips a pattern it cannot compile
        fmt = s.get("format")
        if isinstance(fmt, str) and fmt and not _format_ok(fmt, v):
            add(f"must be a valid {fmt}")
    elif isinstance(v, int | float) and not isinstance(v, bool):
        f = float(v)
        for key, op in (
            ("minimum", ">="),
            ("maximum", "<="),
            ("exclusiveMinimum", ">"),
            ("exclusiveMaximum", "<"),
        ):
            bound = _num(s.get(key))
            if bound is None:
                continue
            ok = {">=": f >= bound, "<=": f <= bound, ">": f > bound, "<": f < bound}[op]
            if not ok:
                add(f"must be {op} {format_float(bound)}")


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ATEXT = set("!#$%&'*+-/=?^_`{|}~")


def _format_ok(fmt: str, s: str) -> bool:
    if fmt == "email":
        return is_email(s)
    if fmt == "date-time":
        return _rfc3339(s)
    if fmt == "date":
        try:
            datetime.strptime(s, "%Y-%m-%d")
            return len(s) == 10
        except ValueError:
            return False
    if fmt == "uuid":
        return _UUID.match(s) is not None
    if fmt == "uri":
        return ":" in s
    return True


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _rfc3339(s: str) -> bool:
    if _RFC3339.match(s) is None:
        return False
    try:
        datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def is_email(s: str) -> bool:
    """``nf.IsEmail``, byte for byte."""
    b = s.encode()
    at = b.rfind(b"@")
    if at <= 0 or at == len(b) - 1 or len(b) > 254:
        return False
    local, domain = b[:at], b[at + 1 :]
    if len(local) > 64 or local[:1] == b"." or local[-1:] == b".":
        return False
    prev = 0
    for c in local:
        if c == ord(".") and prev == ord("."):
            return False
        if not (_atext(c) or c == ord(".")):
            return False
        prev = c
    label = 0
    for i in range(len(domain) + 1):
        if i == len(domain) or domain[i] == ord("."):
            if label == 0 or domain[i - 1] == ord("-") or domain[i - label] == ord("-"):
                return False
            label = 0
            continue
        c = domain[i]
        if not (chr(c).isascii() and (chr(c).isalnum() or c == ord("-"))) and c < 0x80:
            return False
        label += 1
    return True


def _atext(c: int) -> bool:
    ch = chr(c)
    return c >= 0x80 or (ch.isascii() and ch.isalnum()) or ch in _ATEXT
