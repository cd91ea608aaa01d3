"""Reading an app's execution records (docs/runs.md).

A generated app writes one table (``catalog/nf/records_store.go``): ``nf_executions``, one
row per execution with its node logs as the JSON array ``nodes`` (stores of version 1 kept
them in ``nf_node_logs``, one row per node run; they are still read there). It lives in the app's
SQLite file (``.nodeforge/data/records.db`` under ``nodeforge run``; the
``NODEFORGE_RECORDS_PATH`` of a deployed app) or in the database of the connector named
by ``[records] connector`` in nodeforge.toml (SQLite or PostgreSQL). This module reads
and prunes them; nothing here writes a record.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from nodeforge.project.fsutil import ProjectError, state_dir

STATUSES = ("running", "completed", "failed")

_EXEC_COLUMNS = (
    "id, app, flow, flow_version, trigger_node, trigger_type, trigger_info, status, "
    "started_us, ended_us, duration_us, input, output, error, error_node, error_code, "
    "trace_id, parent_id, parent_node"
)
_LOG_COLUMNS = (
    "seq, node, node_type, node_version, started_us, duration_us, level, message, port, "
    "input, output"
)


def _json(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True, slots=True)
class NodeLog:
    """One node's run inside an execution."""

    seq: int
    node: str
    type: str
    version: str
    started_us: int
    duration_us: int
    level: str  # info or error
    message: str
    port: str  # the port it emitted on ("error" when it failed)
    input: Any
    output: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "node": self.node,
            "type": self.type,
            "version": self.version,
            "started": _iso(self.started_us),
            "duration_ms": self.duration_us / 1000,
            "level": self.level,
            "message": self.message,
            "port": self.port,
            "input": self.input,
            "output": self.output,
        }


@dataclass(frozen=True, slots=True)
class Execution:
    """One execution's record (``nodes`` filled by :meth:`RecordStore.get`)."""

    id: str
    app: str
    flow: str
    flow_version: str
    trigger: str
    trigger_type: str
    trigger_info: Any
    status: str
    started_us: int
    ended_us: int
    duration_us: int
    input: Any
    output: Any
    error: str
    error_node: str
    error_code: str
    trace_id: str
    parent_id: str
    parent_node: str
    nodes: tuple[NodeLog, ...] = field(default_factory=tuple)

    def to_json(self, *, nodes: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "app": self.app,
            "flow": self.flow,
            "flow_version": self.flow_version,
            "trigger": self.trigger,
            "trigger_type": self.trigger_type,
            "trigger_info": self.trigger_info,
            "status": self.status,
            "started": _iso(self.started_us),
            "ended": _iso(self.ended_us) if self.ended_us else None,
            "duration_ms": self.duration_us / 1000,
            "input": self.input,
            "output": self.output,
            "error": self.error or None,
            "error_node": self.error_node or None,
            "error_code": self.error_code or None,
            "trace_id": self.trace_id or None,
            "parent_id": self.parent_id or None,
            "parent_node": self.parent_node or None,
        }
        if nodes:
            out["nodes"] = [n.to_json() for n in self.nodes]
        return out


def _iso(us: int) -> str:
    t = time.gmtime(us // 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{(us % 1_000_000) // 1000:03d}Z"


def _execution(row: Sequence[Any], nodes: tuple[NodeLog, ...] = ()) -> Execution:
    return Execution(
        id=row[0],
        app=row[1],
        flow=row[2],
        flow_version=row[3],
        trigger=row[4],
        trigger_type=row[5],
        trigger_info=_json(row[6]),
        status=row[7],
        started_us=int(row[8]),
        ended_us=int(row[9]),
        duration_us=int(row[10]),
        input=_json(row[11]),
        output=_json(row[12]),
        error=row[13],
        error_node=row[14],
        error_code=row[15],
        trace_id=row[16],
        parent_id=row[17],
        parent_node=row[18],
        nodes=nodes,
    )


def _node_logs(text: Any) -> tuple[NodeLog, ...]:
    """The ``nodes`` column: a JSON array of node log objects."""
    items = _json(text)
    if not isinstance(items, list):
        return ()
    out: list[NodeLog] = []
    for i, n in enumerate(items):
        if not isinstance(n, dict):
            continue
        out.append(
            NodeLog(
                seq=int(n.get("seq", i)),
                node=str(n.get("node", "")),
                type=str(n.get("type", "")),
                version=str(n.get("version", "")),
                started_us=int(n.get("started_us", 0)),
                duration_us=int(n.get("duration_us", 0)),
                level=str(n.get("level", "info")),
                message=str(n.get("message", "")),
                port=str(n.get("port", "")),
                input=n.get("input"),
                output=n.get("output"),
            )
        )
    return tuple(out)


def _node_log(row: Sequence[Any]) -> NodeLog:
    return NodeLog(
        seq=int(row[0]),
        node=row[1],
        type=row[2],
        version=row[3],
        started_us=int(row[4]),
        duration_us=int(row[5]),
        level=row[6],
        message=row[7],
        port=row[8],
        input=_json(row[9]),
        output=_json(row[10]),
    )


_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d|w)$")


def parse_age(text: str) -> int:
    """``30m``, ``12h``, ``7d``, ``2w`` -> seconds; a located error otherwise."""
    m = _DURATION.match(text.strip())
    if m is None:
        raise ProjectError(f"`{text}` is not a duration (like 30m, 12h, 7d, 2w)")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}[m.group(2)]
    return int(m.group(1)) * unit


def parse_time(text: str, now: float | None = None) -> int:
    """A point in time as Unix microseconds: an ISO 8601 date or date-time (UTC unless it
    says otherwise), or an age back from now (``2h``, ``7d``)."""
    import datetime as dt

    now = time.time() if now is None else now
    if _DURATION.match(text.strip()):
        return int((now - parse_age(text)) * 1_000_000)
    try:
        t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ProjectError(
            f"`{text}` is not a time (an ISO date like 2026-12-04T10:00 or an age like 2h)"
        ) from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return int(t.timestamp() * 1_000_000)


class RecordStore:
    """The records of one app, in a SQLite file or a PostgreSQL database."""

    def __init__(self, conn: Any, *, postgres: bool, where: str) -> None:
        self._conn = conn
        self.postgres = postgres
        self.where = where  # for messages: the file, or the connector's name

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def sqlite(cls, path: Path, *, writable: bool = False) -> RecordStore:
        if not path.is_file():
            raise ProjectError(
                f"no execution records at {path} (run the app first, or name the records "
                "with --db or --connector)"
            )
        mode = "rw" if writable else "ro"
        conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=5.0)
        return cls(conn, postgres=False, where=str(path))

    @classmethod
    def postgres_dsn(cls, dsn: str, where: str) -> RecordStore:
        import pg8000.dbapi

        kwargs = _pg_kwargs(dsn)
        try:
            conn = pg8000.dbapi.connect(**kwargs)
        except Exception as exc:  # pg8000 raises several kinds; none carries the password
            raise ProjectError(f"cannot connect to the records of {where}: {exc}") from None
        conn.autocommit = True
        return cls(conn, postgres=True, where=where)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries ---------------------------------------------------------------------------

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        cur = self._conn.cursor()
        try:
            cur.execute(self._q(sql), tuple(args))
            return list(cur.fetchall())
        except Exception as exc:
            if "nf_executions" in str(exc) or "no such table" in str(exc):
                raise ProjectError(f"{self.where} holds no execution records") from None
            raise
        finally:
            cur.close()

    def list(
        self,
        *,
        flow: str | None = None,
        status: str | None = None,
        since_us: int | None = None,
        until_us: int | None = None,
        after_us: int | None = None,
        limit: int = 50,
    ) -> list[Execution]:
        """Executions, newest first (``after_us``: only those that started after it)."""
        if status is not None and status not in STATUSES:
            raise ProjectError(f"status `{status}` is not one of {', '.join(STATUSES)}")
        cond: list[str] = []
        args: list[Any] = []
        if flow:
            cond.append("flow = ?")
            args.append(flow)
        if status:
            cond.append("status = ?")
            args.append(status)
        if since_us is not None:
            cond.append("started_us >= ?")
            args.append(since_us)
        if until_us is not None:
            cond.append("started_us < ?")
            args.append(until_us)
        if after_us is not None:
            cond.append("started_us > ?")
            args.append(after_us)
        where = f" WHERE {' AND '.join(cond)}" if cond else ""
        rows = self._rows(
            f"SELECT {_EXEC_COLUMNS} FROM nf_executions{where} ORDER BY started_us DESC, id LIMIT ?",
            [*args, max(1, limit)],
        )
        return [_execution(r) for r in rows]

    def get(self, execution_id: str) -> Execution:
        """One execution with its node logs; a unique prefix of the id is enough."""
        ident = execution_id.strip()
        if not re.fullmatch(r"[0-9a-f]{4,32}", ident):
            raise ProjectError(f"`{execution_id}` is not an execution id")
        rows = self._rows(
            f"SELECT {_EXEC_COLUMNS} FROM nf_executions WHERE id LIKE ? ORDER BY id LIMIT 2",
            [ident + "%"],
        )
        if not rows:
            raise ProjectError(f"no execution `{ident}` in {self.where}")
        if len(rows) > 1:
            raise ProjectError(f"`{ident}` names several executions: give more of the id")
        nodes: tuple[NodeLog, ...] = ()
        if self._has("nf_executions", "nodes"):
            got = self._rows("SELECT nodes FROM nf_executions WHERE id = ?", [rows[0][0]])
            nodes = _node_logs(got[0][0])
        if not nodes and self._has("nf_node_logs"):
            logs = self._rows(
                f"SELECT {_LOG_COLUMNS} FROM nf_node_logs WHERE execution_id = ? ORDER BY seq",
                [rows[0][0]],
            )
            nodes = tuple(_node_log(r) for r in logs)
        return _execution(rows[0], nodes)

    def _has(self, table: str, column: str | None = None) -> bool:
        """Whether the store has ``table`` (and its ``column``): version 1 kept the node
        logs in nf_node_logs, version 2 in the ``nodes`` column of nf_executions."""
        if self.postgres:
            where = "table_schema = current_schema() AND table_name = ?"
            if column is None:
                sql = f"SELECT count(*) FROM information_schema.tables WHERE {where}"
                return bool(self._rows(sql, [table])[0][0])
            sql = (
                f"SELECT count(*) FROM information_schema.columns WHERE {where} AND column_name = ?"
            )
            return bool(self._rows(sql, [table, column])[0][0])
        if column is None:
            sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
            return bool(self._rows(sql, [table])[0][0])
        sql = "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?"
        return bool(self._rows(sql, [table, column])[0][0])

    def delete(self, *, before_us: int | None = None, keep: int | None = None) -> int:
        """Delete executions (and their node logs) that started before ``before_us`` and
        all but the newest ``keep``; returns how many executions went."""
        deleted = 0
        if before_us is not None:
            deleted += self._delete_where("started_us < ?", before_us)
        if keep is not None:
            rows = self._rows(
                "SELECT started_us FROM nf_executions ORDER BY started_us DESC LIMIT 1 OFFSET ?",
                [keep],
            )
            if rows:
                deleted += self._delete_where("started_us <= ?", int(rows[0][0]))
        return deleted

    def _delete_where(self, cond: str, arg: Any) -> int:
        legacy = self._has("nf_node_logs")
        cur = self._conn.cursor()
        try:
            if legacy:
                cur.execute(
                    self._q(
                        "DELETE FROM nf_node_logs WHERE execution_id IN "
                        f"(SELECT id FROM nf_executions WHERE {cond})"
                    ),
                    (arg,),
                )
            cur.execute(self._q(f"DELETE FROM nf_executions WHERE {cond}"), (arg,))
            count = int(cur.rowcount or 0)
            if not self.postgres:
                self._conn.commit()
            return count
        finally:
            cur.close()


def _pg_kwargs(dsn: str) -> dict[str, Any]:
    """pg8000's connect arguments from a ``postgres://`` URL or a ``key=value`` DSN."""
    out: dict[str, Any] = {}
    if "://" in dsn:
        u = urlparse(dsn)
        out["host"] = u.hostname or "localhost"
        if u.port:
            out["port"] = u.port
        out["user"] = unquote(u.username or "postgres")
        if u.password is not None:
            out["password"] = unquote(u.password)
        out["database"] = (u.path or "/").lstrip("/") or "postgres"
        return out
    for part in dsn.split():
        key, _, value = part.partition("=")
        value = value.strip("'")
        if key in ("host", "user", "password"):
            out[key] = value
        elif key == "port":
            out["port"] = int(value)
        elif key == "dbname":
            out["database"] = value
    return out


def open_records(
    root: Path | None,
    *,
    db: Path | None = None,
    connector: str | None = None,
    writable: bool = False,
) -> RecordStore:
    """The records to read: ``db`` (a SQLite file), else ``connector`` (a sqlite or
    postgres connector of the workspace: its settings from the connector store or the
    environment), else ``[records] connector`` of nodeforge.toml, else the app's file
    ``.nodeforge/data/records.db`` (``NODEFORGE_RECORDS_PATH`` when set)."""
    if db is not None:
        return RecordStore.sqlite(db, writable=writable)
    if root is None:
        env_path = os.environ.get("NODEFORGE_RECORDS_PATH")
        if env_path:
            return RecordStore.sqlite(Path(env_path), writable=writable)
        raise ProjectError("not in a workspace: name the records with --db FILE")
    if connector is None:
        from nodeforge.analysis.workspace import load_workspace
        from nodeforge.codegen.records import records_settings

        ws = load_workspace(root)
        try:
            settings = records_settings(root, ws.connectors)
        except Exception as exc:
            raise ProjectError(str(exc)) from None
        connector = settings.connector or None
    if connector is None:
        env_path = os.environ.get("NODEFORGE_RECORDS_PATH")
        path = Path(env_path) if env_path else state_dir(root, create=False) / "data" / "records.db"
        return RecordStore.sqlite(path, writable=writable)
    return _connector_store(root, connector, writable)


def _connector_store(root: Path, name: str, writable: bool) -> RecordStore:
    from nodeforge.analysis.workspace import load_workspace
    from nodeforge.project.connectors import Store, runtime_env, setting_prefix

    ws = load_workspace(root)
    kind = ws.connectors.get(name)
    if kind is None:
        raise ProjectError(f"no connector `{name}` in nodeforge.toml")
    prefix = setting_prefix(name)
    settings = {k: v for k, v in os.environ.items() if k.startswith(prefix)}
    if not settings and name in Store(root).names():
        settings = runtime_env(root, [name])
    if kind == "postgres":
        dsn = settings.get(prefix + "DSN")
        if not dsn:
            raise ProjectError(
                f"connector `{name}` has no DSN (nodeforge connector add {name} ... or {prefix}DSN)"
            )
        return RecordStore.postgres_dsn(dsn, f"connector `{name}`")
    if kind == "sqlite":
        path = settings.get(prefix + "PATH")
        if not path:
            path = str(state_dir(root, create=False) / "data" / f"{name}.db")
        return RecordStore.sqlite(Path(path), writable=writable)
    raise ProjectError(
        f"connector `{name}` is a {kind} connector: records are in sqlite or postgres"
    )
