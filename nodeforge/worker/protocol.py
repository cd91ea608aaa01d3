"""What the editor's server and the workers agree on: names on NATS, the job and result
documents, content-addressed blobs, and the workspace archive a job carries.

Nothing here talks to NATS; :mod:`.pool` (the editor's side) and :mod:`.runner` (the
worker) do. ``docs/scale-out.md`` describes the whole path of a job.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import socket
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from nodeforge.analysis.diagnostics import Diagnostic, Related, Severity, Tag
from nodeforge.analysis.text import Span

VERSION = 1
STREAM = "NODEFORGE_JOBS"
JOB_SUBJECT = "nodeforge.jobs"  # + ".build" / ".node_test"
CONSUMER = "workers"
BLOBS = "nodeforge-blobs"  # object store: workspace archives and binaries, by sha256
RESULTS = "nodeforge-results"  # key-value: job id -> result document
PROGRESS_SUBJECT = "nodeforge.progress"  # + ".<job id>": progress and "done" notices
MAX_DELIVERIES_ADVISORY = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{STREAM}.{CONSUMER}"

BUILD = "build"
NODE_TEST = "node_test"
KINDS = (BUILD, NODE_TEST)

INLINE_MAX = 64 * 1024  # blobs up to this size travel inside the job message
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024  # a workspace bigger than this is refused
BLOB_TTL_SECONDS = 24 * 3600
RESULT_TTL_SECONDS = 3600

# Never sent to a worker: the internal history, encrypted connectors and build output
# (.nodeforge), version control, dependencies and caches.
SKIPPED_DIRS = frozenset(
    {".nodeforge", ".git", "node_modules", "build", ".venv", "__pycache__", ".mypy_cache"}
)


class JobError(Exception):
    """A job that cannot be sent or run (message for the user)."""


# -- blobs: content-addressed bytes ------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class BlobRef:
    """Bytes named by their sha256: inline (small) or in the object store."""

    sha256: str
    size: int
    inline: bytes | None = None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"sha256": self.sha256, "size": self.size}
        if self.inline is not None:
            found["inline"] = base64.b64encode(self.inline).decode("ascii")
        return found

    @classmethod
    def from_json(cls, value: Any) -> BlobRef:
        if not isinstance(value, dict):
            raise JobError("a blob reference must be an object")
        digest, size, inline = value.get("sha256"), value.get("size"), value.get("inline")
        if not isinstance(digest, str) or len(digest) != 64 or not isinstance(size, int):
            raise JobError("a blob reference needs `sha256` (64 hex digits) and `size`")
        data = None
        if inline is not None:
            if not isinstance(inline, str):
                raise JobError("a blob's `inline` must be base64 text")
            data = base64.b64decode(inline, validate=True)
            verify(data, digest)
        return cls(digest, size, data)


def verify(data: bytes, digest: str) -> bytes:
    """``data`` if its sha256 is ``digest``; else :class:`JobError` (a corrupt transfer)."""
    got = sha256(data)
    if got != digest:
        raise JobError(f"blob content does not match its name: expected {digest}, got {got}")
    return data


# -- the workspace archive -----------------------------------------------------------------


def workspace_files(root: Path, limit: int = MAX_ARCHIVE_BYTES) -> dict[str, bytes]:
    """The files of ``root`` a worker needs (relative POSIX path -> bytes): regular
    files only, symbolic links skipped (a link could reach outside the user's roots),
    and none under :data:`SKIPPED_DIRS`. :class:`JobError` beyond ``limit`` bytes."""
    files: dict[str, bytes] = {}
    total = 0
    for path in _walk(root):
        rel = path.relative_to(root).as_posix()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise JobError(f"cannot read {path}: {exc.strerror or exc}") from None
        total += len(data)
        if total > limit:
            raise JobError(
                f"the workspace {root} holds more than {limit // (1024 * 1024)} MiB of files "
                "to send to a worker"
            )
        files[rel] = data
    return files


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if not path.is_symlink() and path.is_file():
                yield path


def pack(files: Mapping[str, bytes]) -> bytes:
    """A deterministic tar of ``files`` (sorted, no times or owners): equal workspaces
    give equal bytes, so the archive's sha256 names its content."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sorted(files):
            data = files[rel]
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def unpack(archive: bytes, into: Path) -> None:
    """Extract an archive made by :func:`pack` into ``into``: regular files only, every
    path inside (tarfile's ``data`` filter refuses absolute paths, ``..`` and links)."""
    into.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            members = tar.getmembers()
            for member in members:
                if not member.isfile() or PurePosixPath(member.name).is_absolute():
                    raise JobError(f"the job's archive holds an unexpected entry: {member.name}")
            tar.extractall(into, members=members, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise JobError(f"the job's archive cannot be unpacked: {exc}") from None


# -- diagnostics as JSON -----------------------------------------------------------------


def diagnostic_to_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "message": d.message,
        "severity": int(d.severity),
        "span": [d.span.start, d.span.end],
        "related": [
            [r.span.start, r.span.end, r.message]
            + ([str(r.path), r.line] if r.path is not None else [])
            for r in d.related
        ],
        "tags": [int(t) for t in d.tags],
        "data": d.data,
    }


def diagnostic_from_json(value: Any) -> Diagnostic:
    try:
        start, end = value["span"]
        return Diagnostic(
            code=str(value["code"]),
            message=str(value["message"]),
            severity=Severity(int(value["severity"])),
            span=Span(int(start), int(end)),
            related=tuple(_related_from_json(r) for r in value.get("related", [])),
            tags=tuple(Tag(int(t)) for t in value.get("tags", [])),
            data=dict(value.get("data") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise JobError(f"a worker sent a malformed diagnostic: {exc}") from None


def _related_from_json(value: Any) -> Related:
    """``[start, end, message]``, or with ``path`` and ``line`` for another file's line."""
    start, end, message, *other = value
    if not other:
        return Related(Span(int(start), int(end)), str(message))
    path, line = other
    return Related(
        Span(int(start), int(end)),
        str(message),
        Path(str(path)),
        int(line) if line is not None else None,
    )


# -- jobs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    """One build or node test. ``root_name`` is the workspace folder's name (the
    worker unpacks under a folder of that name: a project without a name in
    ``nodeforge.toml`` is named after it); ``params`` depend on the kind:

    - build: ``target``, the flow or folder to build, relative to the workspace;
    - node_test: ``flow`` (relative path, or None for a model with no file),
      ``text`` (a blob: the editor's buffer), ``node``, ``input``, ``to``, ``env``,
      ``limits``.

    ``lineage`` (optional, hex) names the workspace whatever its content (the editor's
    :func:`lineage` of its machine and path): a worker keeps one folder per lineage
    between jobs. Without it the archive's sha256 keys the folder.
    """

    id: str
    kind: str
    root_name: str
    workspace: BlobRef
    params: Mapping[str, Any]
    text: BlobRef | None = None
    lineage: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "id": self.id,
            "kind": self.kind,
            "root_name": self.root_name,
            "workspace": self.workspace.as_json(),
            "text": self.text.as_json() if self.text is not None else None,
            "params": dict(self.params),
            "lineage": self.lineage,
        }

    @classmethod
    def from_json(cls, value: Any) -> Job:
        if not isinstance(value, dict) or value.get("v") != VERSION:
            raise JobError(f"not a version-{VERSION} job document")
        kind, job_id, root_name = value.get("kind"), value.get("id"), value.get("root_name")
        if kind not in KINDS:
            raise JobError(f"unknown job kind {kind!r}")
        if not isinstance(job_id, str) or not job_id.isalnum():
            raise JobError("a job needs an alphanumeric `id`")
        if (
            not isinstance(root_name, str)
            or not root_name
            or "/" in root_name
            or root_name in (".", "..")
        ):
            raise JobError("a job needs a plain folder name as `root_name`")
        params = value.get("params")
        if not isinstance(params, dict):
            raise JobError("a job's `params` must be an object")
        text = value.get("text")
        lineage = value.get("lineage")
        if lineage is not None and (
            not isinstance(lineage, str) or not re.fullmatch(r"[0-9a-f]{16,64}", lineage)
        ):
            raise JobError("a job's `lineage` must be 16-64 lower-case hex digits")
        return cls(
            id=job_id,
            kind=kind,
            root_name=root_name,
            workspace=BlobRef.from_json(value.get("workspace")),
            params=params,
            text=BlobRef.from_json(text) if text is not None else None,
            lineage=lineage,
        )


def lineage(root: Path) -> str:
    """The lineage of the workspace at ``root`` on this machine: the same for every job
    of this workspace, whatever its content, and different for another workspace or
    another editor's machine (32 hex digits)."""
    where = f"{socket.gethostname()}\0{root.resolve()}"
    return hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def relative_inside(value: Any, what: str) -> str:
    """A relative POSIX path that stays inside the workspace (checked on the worker)."""
    if not isinstance(value, str):
        raise JobError(f"`{what}` must be a relative path")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts:
        raise JobError(f"`{what}` must stay inside the workspace: {value!r}")
    return value
