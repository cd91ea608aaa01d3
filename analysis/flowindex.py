"""The flows of a workspace by id, for ``flow/subflow`` calls.

A :class:`FlowIndex` answers "which flow has this id, how is it started, what does
it take": the file, its ``trigger/manual`` nodes, the first one's ``input_schema``
(the payload a call must build) and the flows it calls in turn. Every
:class:`~nodeforge.analysis.workspace.Workspace` has one (``workspace.flows``).

It is cheap by construction:

- **Lazy.** Nothing is read until a check or an editor feature asks, which only
  happens for a document with a ``flow/subflow`` node. The first question walks the
  workspace root for ``*.flow.json`` (as the build does, skipping ``.nodeforge``,
  ``.git`` and other tool folders) and keeps a small summary per file; the texts are
  not kept.
- **Refreshed per file.** :meth:`FlowIndex.reload` re-reads the files a watcher says
  changed, were created or deleted, and says whether any answer changed; the
  language server calls it and re-analyses the documents that call flows.
- **Open documents win.** :meth:`FlowIndex.set_overlay` puts the summary of an open
  document's current text over its file (or beside the files, for a document with no
  file behind it); :meth:`FlowIndex.drop_overlay` lets the file speak again.

A file that is not valid JSON, or has no string ``id``, is skipped. Two files with one
id: the first by path wins, like the build. Without a workspace root (a lone file) the
index knows only the overlays it is given and is not :attr:`~FlowIndex.complete`:
absence then says nothing.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANUAL_TRIGGER = "trigger/manual"
SUBFLOW = "flow/subflow"
FLOW_SUFFIX = ".flow.json"
#: The manual trigger's ``input_schema`` default (its manifest's config schema).
DEFAULT_INPUT_SCHEMA: Mapping[str, Any] = {"type": "object"}
SKIPPED_DIRS = frozenset({".git", ".nodeforge", "node_modules", "__pycache__", ".venv"})

OverlayKey = Path | str  # the file of an open document, or its URI when it has none


@dataclass(frozen=True, slots=True)
class FlowSummary:
    """What a caller needs to know of one flow. Equality ignores where it lives
    (``uri``, ``path``, ``text``): two equal summaries check callers the same way."""

    id: str
    name: str | None
    description: str | None
    manual_triggers: tuple[str, ...]  # ids of its trigger/manual nodes, in document order
    input_schema: Any  # the first manual trigger's input_schema; None without one
    calls: tuple[str, ...]  # ids of the flows its flow/subflow nodes call
    uri: str = field(default="", compare=False)
    path: Path | None = field(default=None, compare=False)
    # The open document's text (overlays only), for go-to-definition; not a copy.
    text: str | None = field(default=None, compare=False, repr=False)


def summarize(
    value: Any, uri: str = "", path: Path | None = None, text: str | None = None
) -> FlowSummary | None:
    """The summary of a parsed flow document; None when it has no string ``id``."""
    if not isinstance(value, dict):
        return None
    flow_id = value.get("id")
    if not isinstance(flow_id, str):
        return None
    nodes = value.get("nodes")
    manual: list[str] = []
    schema: Any = None
    calls: list[str] = []
    for node in nodes if isinstance(nodes, list) else ():
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind != MANUAL_TRIGGER and kind != SUBFLOW:
            continue
        config = node.get("config")
        config = config if isinstance(config, dict) else {}
        if kind == SUBFLOW:
            target = config.get("flow")
            if isinstance(target, str):
                calls.append(target)
            continue
        node_id = node.get("id")
        if not isinstance(node_id, str):
            continue
        if not manual:
            given = config.get("input_schema", DEFAULT_INPUT_SCHEMA)
            schema = given if isinstance(given, dict) else DEFAULT_INPUT_SCHEMA
        manual.append(node_id)
    name = value.get("name")
    description = value.get("description")
    return FlowSummary(
        id=flow_id,
        name=name if isinstance(name, str) else None,
        description=description if isinstance(description, str) else None,
        manual_triggers=tuple(manual),
        input_schema=schema,
        calls=tuple(calls),
        uri=uri,
        path=path,
        text=text,
    )


def read_flow_file(path: Path) -> FlowSummary | None:
    """The summary of a flow file; None when it cannot be read or is not valid JSON."""
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return summarize(value, path.as_uri(), path)


def _normal(path: Path) -> Path:
    return Path(os.path.abspath(path))


class FlowIndex:
    """The flows of one workspace by id; thread-safe, lazily built, refreshed per file."""

    def __init__(self, root: Path | None) -> None:
        self.root = _normal(root) if root is not None else None
        self._lock = threading.Lock()
        self._disk: dict[Path, FlowSummary | None] | None = None  # None: not scanned yet
        self._overlays: dict[OverlayKey, FlowSummary | None] = {}
        self._by_id: dict[str, FlowSummary] | None = None
        #: Bumped whenever an answer may have changed.
        self.revision = 0

    @property
    def complete(self) -> bool:
        """Whether a flow the index does not know is surely not in the workspace.
        False without a root: a lone file's neighbours are not a workspace."""
        return self.root is not None

    def get(self, flow_id: str) -> FlowSummary | None:
        return self.flows().get(flow_id)

    def flows(self) -> Mapping[str, FlowSummary]:
        """Every known flow by id (read the workspace on first use). Do not mutate."""
        with self._lock:
            return self._flows_locked()

    # -- open documents ---------------------------------------------------------------

    def set_overlay(self, key: OverlayKey, summary: FlowSummary | None) -> bool:
        """Use ``summary`` (an open document's current text; None: it has no id) instead
        of the file at ``key``. True when an answer changed."""
        key = _normal(key) if isinstance(key, Path) else key
        with self._lock:
            before = self._effective(key)
            self._overlays[key] = summary
            return self._changed(before, summary)

    def drop_overlay(self, key: OverlayKey) -> bool:
        """The document at ``key`` was closed: its file speaks again."""
        key = _normal(key) if isinstance(key, Path) else key
        with self._lock:
            if key not in self._overlays:
                return False
            before = self._effective(key)
            del self._overlays[key]
            return self._changed(before, self._effective(key))

    # -- files on disk ------------------------------------------------------------------

    def reload(self, paths: Iterable[Path]) -> bool:
        """Re-read these files or folders (changed, created or deleted). True when an
        answer changed; nothing is read while the index has not been used."""
        with self._lock:
            if self._disk is None or self.root is None:
                return False
            disk = self._disk
            changed = False
            for raw in paths:
                path = _normal(raw)
                if not path.is_relative_to(self.root) or _skipped(path.relative_to(self.root)):
                    continue
                if path.is_dir():
                    found = {p: read_flow_file(p) for p in _flow_files(path)}
                elif path.name.endswith(FLOW_SUFFIX) and path.is_file():
                    found = {path: read_flow_file(path)}
                else:
                    found = {}
                gone = [p for p in disk if p not in found and (p == path or p.is_relative_to(path))]
                for p in [*gone, *found]:
                    before = self._effective(p)
                    if p in found:
                        disk[p] = found[p]
                    else:
                        del disk[p]
                    changed |= self._changed(before, self._effective(p))
            return changed

    def invalidate(self) -> None:
        """Forget every file: the next question reads the workspace again."""
        with self._lock:
            self._disk = None
            self._by_id = None
            self.revision += 1

    # -- internals ------------------------------------------------------------------------

    def _flows_locked(self) -> dict[str, FlowSummary]:
        if self._by_id is not None:
            return self._by_id
        if self._disk is None:
            self._disk = {}
            if self.root is not None:
                self._disk = {p: read_flow_file(p) for p in _flow_files(self.root)}
        entries: dict[OverlayKey, FlowSummary | None] = {p: s for p, s in self._disk.items()}
        entries.update(self._overlays)
        by_id: dict[str, FlowSummary] = {}
        for key in sorted(entries, key=str):  # the first file by path wins, as in builds
            summary = entries[key]
            if summary is not None:
                by_id.setdefault(summary.id, summary)
        self._by_id = by_id
        return by_id

    def _effective(self, key: OverlayKey) -> FlowSummary | None:
        if key in self._overlays:
            return self._overlays[key]
        if self._disk is not None and isinstance(key, Path):
            return self._disk.get(key)
        return None

    def _changed(self, before: FlowSummary | None, after: FlowSummary | None) -> bool:
        """Note a new answer for one entry; True (and a new revision) when it differs.
        An entry that is not used yet (index never read) changes nothing observable."""
        self._by_id = None  # rebuilt on the next question (also picks up new texts)
        if self._disk is None or before == after:
            return False
        self.revision += 1
        return True


def _skipped(relative: Path) -> bool:
    return any(part in SKIPPED_DIRS for part in relative.parts)


def _flow_files(folder: Path) -> list[Path]:
    """``*.flow.json`` under ``folder``, sorted, without tool folders."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        found.extend(Path(dirpath) / f for f in filenames if f.endswith(FLOW_SUFFIX))
    return sorted(found)
