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

It also keeps what the **answer types** of called flows (:mod:`..answers`) depend on:
each summary has the digest of its text, :meth:`FlowIndex.answer_key` names the
digests of a flow and of every flow its calls reach, and the answers computed for
those keys are cached here (:meth:`FlowIndex.cached_answer`,
:meth:`FlowIndex.store_answer`), so a flow's answer is computed again only when one of
those texts changed.

A file that is not valid JSON, or has no string ``id``, is skipped. Two files with one
id: the first by path wins, like the build. Without a workspace root (a lone file) the
index knows only the overlays it is given and is not :attr:`~FlowIndex.complete`:
absence then says nothing.
"""

from __future__ import annotations

import hashlib
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
#: What a flow's answer type depends on: ``(flow id, digest of its text)`` for the flow
#: and every flow its calls reach, sorted; the digest is None for an unknown flow.
AnswerKey = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class FlowSummary:
    """What a caller needs to know of one flow. Equality ignores where it lives
    (``uri``, ``path``, ``text``, ``digest``): two equal summaries check callers the
    same way."""

    id: str
    name: str | None
    description: str | None
    manual_triggers: tuple[str, ...]  # ids of its trigger/manual nodes, in document order
    input_schema: Any  # the first manual trigger's input_schema; None without one
    calls: tuple[str, ...]  # ids of the flows its flow/subflow nodes call
    #: What else callers' types depend on (the answer type): the answer itself when the
    #: summary's owner knows it (the server, from an open document's analysis), else
    #: the digest of the text (a file on disk), so that a change re-analyses callers.
    fingerprint: Any = None
    uri: str = field(default="", compare=False)
    path: Path | None = field(default=None, compare=False)
    # The open document's text (overlays only), for go-to-definition; not a copy.
    text: str | None = field(default=None, compare=False, repr=False)
    #: Digest of the text the summary was made from (see :func:`text_digest`); None:
    #: computed from ``text`` when asked.
    digest: str | None = field(default=None, compare=False, repr=False)


def text_digest(data: str | bytes) -> str:
    """The digest of a flow's text (its UTF-8 bytes), naming a version of it in keys."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def summarize(
    value: Any,
    uri: str = "",
    path: Path | None = None,
    text: str | None = None,
    digest: str | None = None,
    fingerprint: Any = None,
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
        fingerprint=fingerprint,
        uri=uri,
        path=path,
        text=text,
        digest=digest,
    )


def read_flow_file(path: Path) -> FlowSummary | None:
    """The summary of a flow file; None when it cannot be read or is not valid JSON.
    Its fingerprint is the file's digest: callers cannot know what changed without
    analysing it, so any change of the bytes counts."""
    try:
        data = path.read_bytes()
        value = json.loads(data)
    except (OSError, ValueError, RecursionError):
        return None
    digest = text_digest(data)
    return summarize(value, path.as_uri(), path, digest=digest, fingerprint=digest)


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
        # Answer keys of the current flows (cleared with _by_id), the digests of
        # overlays' texts (per summary object), and the answers computed per flow id.
        self._keys: dict[str, AnswerKey] = {}
        self._digests: dict[int, tuple[FlowSummary, str]] = {}
        self._answers: dict[str, tuple[AnswerKey, Any]] = {}
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

    # -- answer types of called flows (computed by nodeforge.analysis.answers) ------------

    def digest(self, summary: FlowSummary) -> str | None:
        """The digest of the text ``summary`` was made from (None: unknown)."""
        if summary.digest is not None:
            return summary.digest
        if summary.text is None:
            return None
        with self._lock:
            hit = self._digests.get(id(summary))
            if hit is not None and hit[0] is summary:
                return hit[1]
        digest = text_digest(summary.text)
        with self._lock:
            if len(self._digests) > 256:
                self._digests.clear()
            self._digests[id(summary)] = (summary, digest)  # keeps the id unique
        return digest

    def reach(self, flow_id: str, flows: Mapping[str, FlowSummary] | None = None) -> list[str]:
        """``flow_id`` and every flow id its calls reach, following calls through the
        known flows (unknown ids included), in the order first met."""
        flows = self.flows() if flows is None else flows
        seen = [flow_id]
        known = {flow_id}
        for current in seen:  # grows while walking
            summary = flows.get(current)
            for callee in summary.calls if summary is not None else ():
                if callee not in known:
                    known.add(callee)
                    seen.append(callee)
        return seen

    def answer_key(self, flow_id: str) -> AnswerKey:
        """What the answer type of ``flow_id`` depends on: the digests of its text and of
        the texts of every flow its calls reach (None for an unknown one)."""
        with self._lock:
            flows = self._flows_locked()
            key = self._keys.get(flow_id)
            if key is not None:
                return key
        entries: list[tuple[str, str | None]] = []
        for fid in self.reach(flow_id, flows):
            summary = flows.get(fid)
            if summary is None:
                entries.append((fid, None))
            else:  # a summary made without its text is a version of its own
                entries.append((fid, self.digest(summary) or f"summary {id(summary)}"))
        key = tuple(sorted(entries, key=lambda e: e[0]))
        with self._lock:
            if self._by_id is flows:  # no flow changed meanwhile
                self._keys[flow_id] = key
        return key

    def cached_answer(self, flow_id: str, key: AnswerKey) -> Any:
        """The answer stored for ``flow_id`` under ``key``, else None."""
        with self._lock:
            hit = self._answers.get(flow_id)
        return hit[1] if hit is not None and hit[0] == key else None

    def store_answer(self, flow_id: str, key: AnswerKey, answer: Any) -> None:
        """Keep the answer of ``flow_id`` computed from the texts ``key`` names (one
        answer per flow: the newest)."""
        with self._lock:
            self._answers[flow_id] = (key, answer)

    def is_called(self, flow_id: str) -> bool:
        """Whether some known flow calls ``flow_id``."""
        return any(flow_id in s.calls for s in self.flows().values())

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
            self._keys = {}
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
        self._keys = {}
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
