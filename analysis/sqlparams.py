"""Placeholders of a SQL text, as SQLite and PostgreSQL number them (NF031).

The app binds ``params`` by position (``database/sql`` with ``modernc.org/sqlite`` or
``pgx``), so a statement needs exactly as many parameters as its highest placeholder
number:

- **SQLite**: ``?`` takes the number after the highest one so far, ``?NNN`` and ``$NNN``
  are number NNN. Named placeholders (``:name``, ``@name``, ``$name``) get numbers too,
  but the driver binds them by name only, so a positional ``params`` list can never fill
  them: they are reported.
- **PostgreSQL**: ``$N``; every number from 1 to the highest must appear (the server
  cannot type a parameter it never sees). ``?`` and ``:name`` are no placeholders there
  (``?`` is a jsonb operator, ``::`` a cast).

Placeholders inside string literals (``'...'``, ``E'...'``), quoted identifiers
(``"..."``, and in SQLite `` `...` `` and ``[...]``), comments (``-- ...``, ``/* ... */``)
and PostgreSQL dollar-quoted strings (``$tag$...$tag$``) are text, not placeholders.
``$1`` works on both databases: it is the style the catalog recommends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Dialect", "Placeholder", "SqlParams", "scan_placeholders"]

Dialect = Literal["sqlite", "postgres"]


@dataclass(frozen=True, slots=True)
class Placeholder:
    text: str
    start: int  # offsets in the SQL text
    end: int
    number: int | None  # None: a named placeholder that positions cannot fill


@dataclass(slots=True)
class SqlParams:
    placeholders: list[Placeholder] = field(default_factory=list)

    @property
    def needed(self) -> int:
        """How many positional parameters the statement takes (its highest number)."""
        return max((p.number for p in self.placeholders if p.number is not None), default=0)

    def named(self) -> list[Placeholder]:
        return [p for p in self.placeholders if p.number is None]

    def missing_numbers(self) -> list[int]:
        """Numbers below the highest that no placeholder uses."""
        used = {p.number for p in self.placeholders if p.number is not None}
        return [n for n in range(1, self.needed + 1) if n not in used]


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|[0-9]+")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_SQLITE_MAX_NUMBER = 32766  # SQLITE_MAX_VARIABLE_NUMBER


def scan_placeholders(sql: str, dialect: Dialect) -> SqlParams:
    """The placeholders of ``sql`` in order, skipping literals, quoted names and comments."""
    out = SqlParams()
    highest = 0
    # The generator rebinds `?` to `$1, $2, ...` for PostgreSQL when the statement has no
    # `$n` (codegen.flowgen.rebind_postgres), so one flow runs on both databases.
    rebound = dialect == "postgres" and re.search(r"\$\d", sql) is None
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if rebound and c == "?":
            highest += 1
            out.placeholders.append(Placeholder("?", i, i + 1, highest))
            i += 1
            continue
        if c == "'" or c == '"' or (dialect == "sqlite" and c == "`"):
            escapes = dialect == "postgres" and c == "'" and _escape_string(sql, i)
            i = _skip_quoted(sql, i, c, backslash=escapes)
            continue
        if c == "[" and dialect == "sqlite":
            close = sql.find("]", i + 1)
            i = n if close < 0 else close + 1
            continue
        if c == "-" and sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline + 1
            continue
        if c == "/" and sql.startswith("/*", i):
            i = _skip_block_comment(sql, i, nested=dialect == "postgres")
            continue
        if dialect == "postgres" and c == "$":
            tag = _DOLLAR_TAG.match(sql, i)
            if tag is not None:
                close = sql.find(tag.group(), tag.end())
                i = n if close < 0 else close + len(tag.group())
                continue
            digits = re.match(r"\$([0-9]+)", sql[i:])
            if digits is not None and not _in_identifier(sql, i):
                end = i + digits.end()
                out.placeholders.append(Placeholder(sql[i:end], i, end, int(digits.group(1))))
                i = end
                continue
            i += 1
            continue
        if dialect == "sqlite" and c in "?:@$":
            end, number = _sqlite_placeholder(sql, i, highest)
            if end > i:
                out.placeholders.append(Placeholder(sql[i:end], i, end, number))
                if number is not None:
                    highest = max(highest, number)
                i = end
                continue
        i += 1
    return out


def _escape_string(sql: str, i: int) -> bool:
    """Whether the quote at ``i`` opens a PostgreSQL ``E'...'`` string (backslash escapes)."""
    return (
        i > 0 and sql[i - 1] in "Ee" and not (i > 1 and (sql[i - 2].isalnum() or sql[i - 2] == "_"))
    )


def _in_identifier(sql: str, i: int) -> bool:
    """Whether ``$`` at ``i`` continues an identifier (PostgreSQL allows ``$`` inside)."""
    return i > 0 and (sql[i - 1].isalnum() or sql[i - 1] in "_$")


def _sqlite_placeholder(sql: str, i: int, highest: int) -> tuple[int, int | None]:
    """The end and number of the SQLite placeholder at ``i`` (``end == i``: none there).

    Numbers follow ``sqlite3_bind_parameter_index``: ``?`` is one more than the highest
    so far, ``?NNN`` is NNN; ``$NNN`` is NNN for the driver too (it binds ``$NNN`` and
    ``?NNN`` by position). Other names are bound by name only: number None."""
    c = sql[i]
    if c == "?":
        digits = re.match(r"[0-9]+", sql[i + 1 :])
        if digits is None:
            return i + 1, highest + 1
        end = i + 1 + digits.end()
        return end, min(int(digits.group()), _SQLITE_MAX_NUMBER + 1)
    if c == ":" and sql.startswith("::", i):
        return i, None  # not SQLite syntax, but never a placeholder
    word = _IDENT.match(sql, i + 1)
    if word is None:
        return i, None
    end = word.end()
    if c == "$" and word.group().isdigit():
        return end, int(word.group())
    return end, None


def _skip_quoted(sql: str, i: int, quote: str, *, backslash: bool = False) -> int:
    """Past the quoted text starting at ``i`` (a doubled quote is an escaped one, and in
    an ``E'...'`` string a backslash escapes the next character)."""
    j = i + 1
    while True:
        close = sql.find(quote, j)
        if close < 0:
            return len(sql)
        if backslash and _odd_backslashes(sql, close):
            j = close + 1
            continue
        if sql.startswith(quote * 2, close):
            j = close + 2
            continue
        return close + 1


def _odd_backslashes(sql: str, at: int) -> bool:
    count = 0
    while at - count - 1 >= 0 and sql[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _skip_block_comment(sql: str, i: int, *, nested: bool) -> int:
    depth, j = 1, i + 2
    while j < len(sql) and depth:
        if nested and sql.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif sql.startswith("*/", j):
            depth, j = depth - 1, j + 2
        else:
            j += 1
    return j
