"""A small deterministic YAML writer for the manifests ``nodeforge deploy`` writes: maps,
lists, strings, integers and booleans. Every string is written as a JSON string (a valid
YAML double-quoted scalar), so no value can change type or escape its place."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dump", "dump_all"]


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    raise TypeError(f"cannot write {type(v).__name__} as YAML")


def _lines(v: Any, indent: int) -> list[str]:
    pad = "  " * indent
    out: list[str] = []
    if isinstance(v, dict):
        if not v:
            return [pad + "{}"]
        for key, item in v.items():
            k = _key(key)
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{k}:")
                out += _lines(item, indent + 1 if isinstance(item, dict) else indent)
            else:
                out.append(f"{pad}{k}: {_inline(item)}")
        return out
    if isinstance(v, list):
        if not v:
            return [pad + "[]"]
        for item in v:
            if isinstance(item, (dict, list)) and item:
                inner = _lines(item, indent + 1)
                out.append(f"{pad}- {inner[0].lstrip()}")
                out += inner[1:]
            else:
                out.append(f"{pad}- {_inline(item)}")
        return out
    return [pad + _scalar(v)]


def _inline(v: Any) -> str:
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    return _scalar(v)


def _key(k: str) -> str:
    plain = k.replace("-", "").replace("_", "").replace(".", "").replace("/", "").isalnum()
    return k if plain and not k[0].isdigit() else json.dumps(k)


def dump(doc: dict[str, Any]) -> str:
    """One document."""
    return "\n".join(_lines(doc, 0)) + "\n"


def dump_all(docs: list[dict[str, Any]]) -> str:
    """Documents separated by ``---``."""
    return "---\n".join(dump(d) for d in docs)
