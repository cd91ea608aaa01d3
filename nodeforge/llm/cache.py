"""The response cache: ``.nodeforge/llm-cache/<aa>/<sha256>.json``.

The key is the SHA-256 of the canonical JSON of everything that decides an answer:
provider, endpoint URL, model, the (scrubbed) messages, temperature, max_tokens, the
schema and its name. Entries expire after a TTL; the folder is kept under a size cap by
removing the least recently used entries (a hit refreshes an entry's mtime). Writes are
atomic (temporary file, then rename), so concurrent readers never see half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge.llm.types import Message

CACHE_DIR = "llm-cache"
FORMAT = 1


def cache_key(
    *,
    provider: str,
    url: str,
    model: str,
    messages: Sequence[Message],
    temperature: float,
    max_tokens: int | None,
    json_schema: Mapping[str, Any] | None,
    schema_name: str,
) -> str:
    """The hex SHA-256 naming one request's entry."""
    canonical = json.dumps(
        {
            "format": FORMAT,
            "provider": provider,
            "url": url.rstrip("/"),
            "model": model,
            "messages": [[m.role, m.content] for m in messages],
            "temperature": temperature,
            "max_tokens": max_tokens,
            "schema": json_schema,
            "schema_name": schema_name if json_schema is not None else None,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_jsonable,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


@dataclass
class ResponseCache:
    folder: Path
    ttl_s: float
    max_bytes: int

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str, *, now: float | None = None) -> dict[str, Any] | None:
        """The stored answer, or None (absent, expired, damaged). A hit marks the entry
        as recently used."""
        path = self._path(key)
        now = time.time() if now is None else now
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            return None
        created = entry.get("created")
        if not isinstance(created, int | float) or now - created > self.ttl_s:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path, (now, now))
        answer = entry.get("answer")
        return answer if isinstance(answer, dict) else None

    def put(self, key: str, answer: Mapping[str, Any], *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps({"format": FORMAT, "created": now, "answer": dict(answer)})
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
            os.utime(path, (now, now))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.trim()

    def entries(self) -> list[tuple[Path, float, int]]:
        """(path, mtime, size) of every entry."""
        out = []
        for path in self.folder.glob("??/*.json"):
            with contextlib.suppress(OSError):
                st = path.stat()
                out.append((path, st.st_mtime, st.st_size))
        return out

    def trim(self) -> int:
        """Remove least recently used entries until the folder fits ``max_bytes``;
        returns how many were removed."""
        entries = self.entries()
        total = sum(size for _, _, size in entries)
        removed = 0
        for path, _mtime, size in sorted(entries, key=lambda e: e[1]):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
            total -= size
        return removed

    def clear(self) -> int:
        count = 0
        for path, _, _ in self.entries():
            with contextlib.suppress(OSError):
                path.unlink()
                count += 1
        return count
