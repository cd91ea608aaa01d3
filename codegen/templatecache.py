"""jinja2 templates compiled once per content, kept on disk for the next process.

Compiling a template (jinja2's lexer, whose regular expressions are built on first
use, its parser, its code generator, then Python's ``compile``) costs a few
milliseconds per template; a ``nodeforge generate`` compiles ``main.go.j2`` and one
call-site template per node kit it uses, each process anew. The compiled code depends
only on the source, the environment's settings (one ``kind`` per environment of this
package), jinja2's version and Python's, so it is kept as ``marshal`` data under a
SHA-256 of those, in memory and in ``<cache>/templates``
(``analysis.catalog_cache.cache_base``).

Loading marshal data runs no code, but the code it holds runs when the template
renders: a file is used only if it is a regular file this user owns and nobody else
can write, and its body matches the SHA-256 in its first line. Only templates that
compile are kept. At most :data:`MAX_FILES` files are kept, the least recently
written go first. ``NODEFORGE_TEMPLATE_CACHE=0`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import threading
from pathlib import Path
from types import CodeType

import jinja2

from nodeforge.analysis.diskcache import prune, read_signed, write_signed

__all__ = ["MAX_FILES", "compile_template"]

MAX_FILES = 256
_MEMO_MAX = 128  # compiled templates kept in memory
_HEAD = b"nodeforge-template 1 "
_memo: dict[str, CodeType] = {}
_lock = threading.Lock()


def enabled() -> bool:
    return os.environ.get("NODEFORGE_TEMPLATE_CACHE", "1") not in ("0", "false", "no", "off")


def compile_template(
    env: jinja2.Environment,
    source: str,
    kind: str,
    name: str | None = None,
    filename: str | None = None,
) -> jinja2.Template:
    """``env.from_string(source)`` (with ``name`` and ``filename`` as a loader would
    give them), its compiled code taken from the cache when there. ``kind`` names the
    environment's settings: environments of different settings never share code."""
    if not enabled():
        return env.template_class.from_code(
            env, env.compile(source, name, filename), env.make_globals(None), None
        )
    meta = f"{jinja2.__version__}\0{sys.version}\0{kind}\0{_settings(env)}\0{name}\0{filename}\0"
    key = hashlib.sha256(meta.encode() + source.encode("utf-8", "surrogatepass")).hexdigest()
    code = _memo.get(key)
    if code is None:
        path = _folder() / f"{key}.code"
        code = _read(path)
        if code is None:
            code = env.compile(source, name, filename)  # raises on a syntax error: not kept
            _write(path, code)
        with _lock:
            if len(_memo) >= _MEMO_MAX:  # a long-running server sees edited templates
                _memo.pop(next(iter(_memo)))  # the oldest
            _memo[key] = code
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def _settings(env: jinja2.Environment) -> str:
    """What of ``env`` the compiled code depends on: its class, syntax, whitespace
    handling, and the names of its filters, tests and extensions (checked at compile
    time). ``kind`` still names the environment; this catches a changed setting."""
    auto = env.autoescape if isinstance(env.autoescape, bool) else "function"
    return repr(
        (
            type(env).__qualname__,
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            env.optimized,
            auto,
            sorted(env.filters),
            sorted(env.tests),
            sorted(env.extensions),
        )
    )


def _folder() -> Path:
    from nodeforge.analysis.catalog_cache import cache_base

    return cache_base() / "templates"


def _read(path: Path) -> CodeType | None:
    # The code runs when the template renders: only a file this user wrote and nobody
    # else can change (read_signed).
    body = read_signed(path, _HEAD)
    if body is None:
        return None
    try:
        code = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def _write(path: Path, code: CodeType) -> None:
    with contextlib.suppress(OSError, ValueError):
        write_signed(path, _HEAD, marshal.dumps(code))
        prune(path.parent, suffix=".code", keep=MAX_FILES)
