"""Secrets never reach a prompt: every outgoing string is scrubbed of the workspace's
secret values before a request body is built (and before it is shown or cached).

The values: every stored connector's secret settings (passwords, keys, tokens; and the
password inside a URL), the values of the environment variables the workspace's flows
read (``env.NAME``) plus those named in ``[llm] redact_env``, ``NODEFORGE_SECRET_KEY``
and this process's ``NODEFORGE_CONNECTOR_*`` variables that hold a secret setting. Values shorter than
:data:`MIN_LENGTH` characters are not scrubbed: they cannot be told from ordinary words.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REDACTED = "[REDACTED]"
MIN_LENGTH = 4
_ENV_REF = re.compile(r"\benv\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_ENV_INDEX = re.compile(r"\benv\s*\[\s*\\?[\"']([A-Za-z_][A-Za-z0-9_]*)\\?[\"']\s*\]")


class Scrubber:
    """Replaces each known secret value by :data:`REDACTED` in strings, recursively in
    JSON-like data. Longer values first, so a secret containing another is caught whole."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            if isinstance(value, str) and len(value.strip()) >= MIN_LENGTH:
                self._values.add(value)
                for variant in _variants(value):
                    if len(variant) >= MIN_LENGTH:
                        self._values.add(variant)
        ordered = sorted(self._values, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __len__(self) -> int:
        return len(self._values)

    def text(self, value: str) -> str:
        if self._pattern is None:
            return value
        return self._pattern.sub(REDACTED, value)

    def data(self, value: Any) -> Any:
        """``value`` with every string (keys too) scrubbed."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


def _variants(value: str) -> list[str]:
    """Spellings a secret takes in text: URL-quoted, JSON-escaped, stripped."""
    out = [value.strip(), urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)]
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    out.append(escaped)
    return [v for v in out if v != value]


def env_names_in_flows(root: Path) -> set[str]:
    """Names of the environment variables the workspace's flows read (``env.NAME``)."""
    names: set[str] = set()
    for path in root.rglob("*.flow.json"):
        if ".nodeforge" in path.relative_to(root).parts:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        names.update(_ENV_REF.findall(text))
        names.update(_ENV_INDEX.findall(text))
    return names


def secret_values_of(kind: str, settings: Mapping[str, str]) -> list[str]:
    """The secret settings of one connector, and passwords inside URLs."""
    from nodeforge.project.connectors import specs

    secret = {f.name for f in specs(kind) if f.secret}
    out = [v for k, v in settings.items() if k in secret and v]
    for value in settings.values():
        if "://" in value:
            password = urllib.parse.urlsplit(value).password
            if password:
                out.append(urllib.parse.unquote(password))
                out.append(password)
    return out


def workspace_secrets(
    root: Path, *, extra_env: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> list[str]:
    """Every value a prompt built in this workspace must not carry (see the module's
    docstring). Connectors whose settings cannot be read (no key) contribute nothing:
    nothing of theirs can reach a prompt either."""
    from nodeforge.project.connectors import Store
    from nodeforge.project.fsutil import ProjectError

    environ = os.environ if environ is None else environ
    values: list[str] = []
    store = Store(root)
    try:
        names = store.names()
    except ProjectError:
        names = []
    for name in names:
        try:
            kind, settings = store.get(name)
        except ProjectError:
            continue
        values.extend(secret_values_of(kind, settings))
    env_names = env_names_in_flows(root) | set(extra_env)
    env_names.update(k for k in environ if _secret_variable(k))
    values.extend(environ[n] for n in sorted(env_names) if environ.get(n))
    return values


def _secret_variable(name: str) -> bool:
    """``NODEFORGE_SECRET_KEY``, and connector variables holding a secret setting
    (``NODEFORGE_CONNECTOR_<NAME>_PASSWORD``, ``..._API_KEY``, ``..._TOKEN``, ``..._DSN``)."""
    from nodeforge.project.connectors import SETTING_PREFIX, types_table

    if name == "NODEFORGE_SECRET_KEY":
        return True
    if not name.startswith(SETTING_PREFIX):
        return False
    suffixes = {"DSN"} | {
        f["name"].upper() for fields in types_table().values() for f in fields if f["secret"]
    }
    return any(name.endswith("_" + s) for s in suffixes)
