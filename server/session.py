"""One client's language-server state: documents, workspaces, analyses, settings.

Every connection (stdio, a TCP client, each WebSocket) gets its own
:class:`Session`, so clients never see each other's documents or settings.

Scheduling follows gopls. Each edit makes a new immutable snapshot. Diagnostics are
recomputed after a short debounce on a worker thread (the event loop only routes
messages), stale work is dropped, and a publish carries the version it was computed
for and only goes out while that version is still the newest. A request (hover,
completion, ...) needs the analysis of the newest snapshot: it joins the analysis
already running for that version, or starts one at once without waiting for the
debounce. Work on one document never overlaps (an analysis, or a feature computed
on one of its analyses). Each session has its own worker slots in three lanes
(analyses, editor features, long jobs), so a client that floods the server only
queues its own work, and a hover never waits behind a big analysis or a build.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import functools
import itertools
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from lsprotocol import types as lsp
from pygls.uris import from_fs_path, to_fs_path

from nodeforge.analysis import answers
from nodeforge.analysis.catalog import MANIFEST_FILE, CatalogError
from nodeforge.analysis.diagnostics import Diagnostic
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.flowindex import SUBFLOW, summarize
from nodeforge.analysis.kits import TEMPLATE_FILE
from nodeforge.analysis.text import PositionEncoding
from nodeforge.analysis.workspace import (
    CONFIG_FILE,
    Workspace,
    WorkspaceError,
    find_root,
    load_workspace,
    standard_catalog,
)
from nodeforge.server import idlegc, runs_commands
from nodeforge.server.confine import PathRefused, confine, inside, resolved_roots
from nodeforge.server.convert import lsp_diagnostics
from nodeforge.server.documents import Snapshot, TextChange, new_snapshot
from nodeforge.server.settings import Settings

if TYPE_CHECKING:
    from nodeforge.server.jobs import JobRoute
    from nodeforge.server.lsp import NodeforgeServer

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_WORKERS = 16  # threads are cheap and share the GIL: more of them keep everyone moving
_POOL: ThreadPoolExecutor | None = None
SLOTS_PER_SESSION = 2  # per lane: analyses, editor features, long jobs (builds)
CONFIGURATION_TIMEOUT = 5.0
# Sent after each analysis of a document to clients that declared
# ``experimental.nodeforgeGraph``, so a canvas re-requests ``nodeforge/graph``.
GRAPH_CHANGED = "nodeforge/graphChanged"
_SKIPPED_DIRS = {".git", ".nodeforge", "node_modules", "build", ".venv", "__pycache__"}


def shared_pool() -> ThreadPoolExecutor:
    """The worker threads every session shares (created on first use)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(_WORKERS, thread_name_prefix="nodeforge-analysis")
    return _POOL


def shared_pool_if_started() -> ThreadPoolExecutor | None:
    return _POOL


def uri_to_path(uri: str) -> Path | None:
    fs = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(fs) if fs else None


FLOW_LANGUAGES = ("nodeforge", "nodeforge-flow", "flow")


def is_flow_document(uri: str, language_id: str, text: str = "", on_disk: bool = True) -> bool:
    """Flows are ``*.flow.json`` files, documents with no file behind them (a web
    editor's models), documents marked with a flow language, and JSON that declares
    ``"nodeforge"``. Other JSON, such as a manifest opened by go-to-definition, is
    kept in sync but never analysed as a flow (a kit's files are checked as such)."""
    if language_id in FLOW_LANGUAGES:
        return True
    if is_kit_document(uri):
        return False
    if '"nodeforge"' in text[:4096]:
        return True
    path = uri_to_path(uri)
    return path is None or path.name.endswith(".flow.json") or not on_disk


def is_kit_document(uri: str) -> bool:
    """A node kit's manifest (``node.json``) or call-site template (``call.go.j2``)."""
    path = uri_to_path(uri)
    return path is not None and path.name in (MANIFEST_FILE, TEMPLATE_FILE)


def is_workspace_config(path: Path) -> bool:
    """``nodeforge.toml`` or a file under a ``nodes/`` folder: edits change the catalog."""
    return path.name == CONFIG_FILE or "nodes" in path.parts[:-1]


@dataclass(eq=False)
class DocumentState:
    snapshot: Snapshot
    root: Path | None
    analysis: Analysis | None = None
    analysis_key: tuple[int, int, int] | None = None
    latest: Analysis | None = None  # newest finished, maybe stale: reused by the next
    running: asyncio.Future[Analysis] | None = None
    running_key: tuple[int, int, int] | None = None
    # Bumped when a flow this document calls (flow/subflow) changed: same text, new analysis.
    flows_epoch: int = 0
    # Held by an analysis of this document and by each feature computed on one of its
    # analyses: analyses expand their JSON trees lazily, and the next analysis reuses
    # the previous one, so two threads never work on one document's data at once.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    debounce: asyncio.Task[None] | None = None
    published_version: int | None = None
    is_flow: bool = True
    kit: bool = False  # a node kit's node.json or call.go.j2: its own problems are shown


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """What one connection may hold; the WebSocket gateway sets these, stdio does not."""

    max_documents: int | None = None
    max_text: int | None = None  # characters of open documents, all together
    base: Path | None = None  # workspace folders (and files) outside it are ignored
    folder: Path | None = None  # the workspace folder of a client that names none (serve)
    # An authenticated user's workspace roots (server/auth.py): every path must lead
    # into one of them (``base`` is the first); ``owner`` names the user in refusals.
    roots: tuple[Path, ...] = ()
    owner: str | None = None
    # Where builds and node tests run (here or on the worker pool) and under whose
    # concurrency limits (server/jobs.py); None: here, without limits.
    jobs: JobRoute | None = None


@dataclass(slots=True)
class DiskEntry:
    """A flow file's analysis; ``serial`` is new for each analysis (result ids), and
    ``flows_revision`` is the flow index's revision it saw when it calls flows."""

    stamp: tuple[int, int, int]
    analysis: Analysis
    serial: int = 0
    flows_revision: int | None = None  # None: it calls no flow (flow/subflow)


class Session:
    """The state behind one connection; handlers reach it as ``ls.session``."""

    def __init__(
        self,
        server: NodeforgeServer,
        executor: Executor | None = None,
        limits: SessionLimits | None = None,
    ) -> None:
        self.server = server
        self.limits = limits if limits is not None else SessionLimits()
        self._text_total = 0
        self.executor = executor if executor is not None else shared_pool()
        self.settings = Settings()
        self.encoding = PositionEncoding.UTF16
        self.folders: list[Path] = []
        self.documents: dict[str, DocumentState] = {}
        self.client: lsp.ClientCapabilities = lsp.ClientCapabilities()
        self._workspaces: dict[Path | None, Workspace] = {}
        self._workspace_loads: dict[Path | None, asyncio.Future[tuple[Workspace, str | None]]] = {}
        self._generation = 0  # bumped when a workspace reloads: every analysis is stale
        self._analysis_slots = asyncio.Semaphore(SLOTS_PER_SESSION)
        self._feature_slots = asyncio.Semaphore(SLOTS_PER_SESSION)
        self._job_slots = asyncio.Semaphore(1)
        self.extra: dict[str, tuple[int, list[Diagnostic]]] = {}  # e.g. build errors
        self.revision = 0  # bumped whenever published diagnostics may change
        self._disk: dict[Path, DiskEntry] = {}
        self._closed = False
        self.on_published: Callable[[str, int], None] | None = None  # benchmarks hook
        self.graph_changes = False  # send GRAPH_CHANGED (experimental.nodeforgeGraph)
        self._refresh_pending = False
        # Set once the client's settings are read, so no diagnostics go out with
        # severities the user has overridden.
        self.configured = asyncio.Event()

    @property
    def generation(self) -> int:
        return self._generation

    # -- running work off the event loop ---------------------------------------------

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run an editor feature (or any short work) on a worker thread."""
        return await self._in_lane(self._feature_slots, lambda: fn(*args, **kwargs))

    async def run_on(self, uri: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a feature on one document's data, never concurrently with other work
        on that document (an analysis reusing it, another feature)."""
        state = self.documents.get(uri)
        lock = state.lock if state is not None else None
        return await self._in_lane(self._feature_slots, lambda: fn(*args, **kwargs), lock)

    async def run_analysis(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run analysis work; its own lane, so features never queue behind it."""
        return await self._in_lane(self._analysis_slots, lambda: fn(*args, **kwargs))

    async def run_job(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a long job (a build); one at a time per session."""
        return await self._in_lane(self._job_slots, lambda: fn(*args, **kwargs))

    async def _in_lane(
        self, slots: asyncio.Semaphore, call: Callable[[], T], lock: asyncio.Lock | None = None
    ) -> T:
        """Cancelling the caller (``$/cancelRequest``) abandons the result at once; the
        slot (and the document's lock) are only freed when the thread is done, so
        cancelled work can neither pile up nor overlap the next."""
        if lock is not None:
            await lock.acquire()
        try:
            await slots.acquire()
        except BaseException:
            if lock is not None:
                lock.release()
            raise

        def release(_: object) -> None:
            slots.release()
            if lock is not None:
                lock.release()

        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self.executor, call)
        except BaseException:
            release(None)
            raise
        future.add_done_callback(release)
        return await asyncio.shield(future)

    # -- documents ------------------------------------------------------------------

    def open(self, uri: str, version: int, text: str, language_id: str) -> DocumentState | None:
        """Track a document; None (and a message) when it would exceed the limits."""
        self.close(uri)
        limits = self.limits
        refusal = None
        if not self.document_allowed(uri):
            refusal = f"it lies outside {self.where()}"
        elif limits.max_documents is not None and len(self.documents) >= limits.max_documents:
            refusal = f"this connection already has {len(self.documents)} documents open"
        elif limits.max_text is not None and self._text_total + len(text) > limits.max_text:
            refusal = (
                f"this connection's open documents would exceed {limits.max_text:,} characters"
            )
        if refusal is not None:
            self.notify(lsp.MessageType.Error, f"Nodeforge: not opening {uri}: {refusal}.")
            return None
        state = DocumentState(new_snapshot(uri, version, text, language_id), self.root_for(uri))
        state.is_flow = is_flow_document(uri, language_id, text, self.on_disk(uri))
        state.kit = not state.is_flow and is_kit_document(uri) and self.on_disk(uri)
        self.documents[uri] = state
        self._text_total += len(text)
        return state

    def change(self, uri: str, version: int, changes: Sequence[TextChange]) -> DocumentState | None:
        state = self.documents.get(uri)
        if state is None:
            log.info("change for a document that is not open: %s", uri)
            return None
        before = len(state.snapshot.text)
        state.snapshot = state.snapshot.apply(changes, version, self.encoding)
        self._text_total += len(state.snapshot.text) - before
        limit = self.limits.max_text
        if limit is not None and self._text_total > limit:
            self.close(uri)
            self.clear_diagnostics(uri)
            self.notify(
                lsp.MessageType.Error,
                f"Nodeforge: closed {uri}: this connection's open documents exceed "
                f"{limit:,} characters.",
            )
            return None
        return state

    def close(self, uri: str) -> None:
        self.extra.pop(uri, None)
        state = self.documents.pop(uri, None)
        if state is not None:
            self._text_total -= len(state.snapshot.text)
            if state.debounce is not None:
                state.debounce.cancel()
            workspace = self._workspaces.get(state.root)
            overlay = self._overlay_key(uri, workspace) if workspace is not None else None
            # Its file speaks again in the flow index.
            if (
                workspace is not None
                and overlay is not None
                and workspace.flows.drop_overlay(overlay)
            ):
                self.flows_changed(workspace)

    def snapshot(self, uri: str) -> Snapshot | None:
        state = self.documents.get(uri)
        return state.snapshot if state is not None else None

    # -- analyses ---------------------------------------------------------------------

    async def analysis(self, uri: str) -> tuple[Snapshot, Analysis] | None:
        """The newest snapshot of ``uri`` and its analysis (computed now if needed);
        None when the document is not open or is not a flow."""
        state = self.documents.get(uri)
        if state is None or not state.is_flow:
            return None
        snapshot = state.snapshot
        return snapshot, await self._analysis_of(state, snapshot)

    async def _analysis_of(self, state: DocumentState, snapshot: Snapshot) -> Analysis:
        workspace = await self.workspace(state.root)
        key = (snapshot.version, self._generation, state.flows_epoch)
        if state.analysis_key == key and state.analysis is not None:
            return state.analysis
        running = state.running
        failed = (
            running is not None
            and running.done()
            and (running.cancelled() or running.exception() is not None)
        )
        if state.running_key != key or running is None or failed:
            running = asyncio.ensure_future(self._compute(state, snapshot, workspace, key))
            state.running_key, state.running = key, running
        # Shielded: a cancelled request must not cancel work that others share.
        return await asyncio.shield(running)

    async def _compute(
        self,
        state: DocumentState,
        snapshot: Snapshot,
        workspace: Workspace,
        key: tuple[int, int, int],
    ) -> Analysis:
        async with state.lock:  # one analysis per document at a time
            if state.analysis_key == key and state.analysis is not None:
                return state.analysis
            overlay = self._overlay_key(snapshot.uri, workspace)
            analysis, flows_changed = await self.run_analysis(
                idlegc.frozen_after, _analyze, snapshot, workspace, state.latest, overlay
            )
            state.latest = analysis
        current = key[1] == self._generation and key[2] == state.flows_epoch
        if state.snapshot is snapshot and current:
            state.analysis, state.analysis_key = analysis, key
        elif state.analysis_key != (state.snapshot.version, self._generation, state.flows_epoch):
            # Superseded while it ran: the analysis kept for an older key can no longer be
            # asked for, and keeping it beside ``latest`` would hold two analyses of one
            # document (an open document's memory).
            state.analysis = state.analysis_key = None
        if flows_changed and self.documents.get(snapshot.uri) is state:
            self.flows_changed(workspace, but=state)
        return analysis

    def schedule(self, uri: str, delay: float | None = None) -> None:
        """(Re)start the debounced analysis + publish of ``uri``, dropping pending work."""
        state = self.documents.get(uri)
        if state is None or self._closed or not (state.is_flow or state.kit):
            return
        if state.debounce is not None:
            state.debounce.cancel()
        wait = self.settings.debounce_ms / 1000 if delay is None else delay
        state.debounce = asyncio.ensure_future(self._publish_later(state, wait))

    async def _publish_later(self, state: DocumentState, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        await self.settings_ready()
        if state.kit:
            await self._publish_kit(state)
            return
        snapshot = state.snapshot
        try:
            analysis = await self._analysis_of(state, snapshot)
            if state.snapshot is not snapshot or self.documents.get(snapshot.uri) is not state:
                return  # a newer version (or a close) superseded this one
            diagnostics = (
                []
                if self.pulls_diagnostics
                else await self.run(self.lsp_diagnostics_of, snapshot, analysis)
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("analysis of %s failed", snapshot.uri)
            return
        if state.snapshot is not snapshot or self._closed:
            return
        state.published_version = snapshot.version
        self.graph_changed(snapshot.uri, snapshot.version)
        if self.pulls_diagnostics:
            return  # it asks for them (textDocument/diagnostic): pushing would show each twice
        self.server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=snapshot.uri, version=snapshot.version, diagnostics=diagnostics
            )
        )
        idlegc.settle()
        if self.on_published is not None:
            self.on_published(snapshot.uri, snapshot.version)

    async def _publish_kit(self, state: DocumentState) -> None:
        """Push the problems of an open kit file (unless the client pulls them)."""
        snapshot = state.snapshot
        if self.pulls_diagnostics:
            return
        try:
            diagnostics = await self.run(self.kit_diagnostics_of, snapshot)
        except Exception:
            log.exception("check of kit file %s failed", snapshot.uri)
            return
        if state.snapshot is not snapshot or self.documents.get(snapshot.uri) is not state:
            return
        if self._closed:
            return
        state.published_version = snapshot.version
        self.server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=snapshot.uri, version=snapshot.version, diagnostics=diagnostics
            )
        )

    def kit_diagnostics_of(self, snapshot: Snapshot) -> list[lsp.Diagnostic]:
        """An open kit file's problems (``codegen.kitcheck``), converted."""
        from nodeforge.codegen.kitcheck import check_kit_file  # jinja2: only when needed

        path = uri_to_path(snapshot.uri)
        if path is None or not self.settings.diagnostics:
            return []
        found = check_kit_file(path, snapshot.text)
        return lsp_diagnostics(found, snapshot.uri, snapshot.lines, self.encoding, self.settings)

    async def settings_ready(self) -> None:
        """Wait until the client's settings are read (at most a few seconds), so that no
        diagnostics go out, pushed or pulled, with severities the user has overridden."""
        if not self.configured.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.configured.wait(), CONFIGURATION_TIMEOUT)

    @property
    def pulls_diagnostics(self) -> bool:
        """Whether the client pulls diagnostics: it declared ``textDocument.diagnostic``.

        Such a client (vscode-languageclient, monaco-languageclient, Neovim 0.10+) asks
        for them on open and on each edit and keeps what it pulled apart from what is
        pushed, so it is never pushed any: each problem would show twice. Others get
        ``publishDiagnostics``. What changes without an edit of the document (a build's
        errors, settings, a called flow, a reloaded workspace) reaches a pull client
        through ``workspace/diagnostic/refresh``."""
        text = self.client.text_document
        return text is not None and text.diagnostic is not None

    def lsp_diagnostics_of(self, snapshot: Snapshot, analysis: Analysis) -> list[lsp.Diagnostic]:
        if not self.settings.diagnostics:
            return []
        found = self.diagnostics_of(snapshot, analysis)
        return lsp_diagnostics(found, snapshot.uri, snapshot.lines, self.encoding, self.settings)

    def diagnostics_of(self, snapshot: Snapshot, analysis: Analysis) -> list[Diagnostic]:
        """The analysis' diagnostics with those from outside it (a build's) for this
        version, in document order, before the user's per-rule settings."""
        found = analysis.diagnostics
        extra = self.extra.get(snapshot.uri)
        if extra is not None and extra[0] == snapshot.version and extra[1]:
            found = sorted([*found, *extra[1]], key=Diagnostic.sort_key)
        # The selected execution's error, on the node that failed (until deselected).
        ran = runs_commands.diagnostics(self, analysis.document)
        if ran:
            found = sorted([*found, *ran], key=Diagnostic.sort_key)
        return found

    def graph_changed(self, uri: str, version: int) -> None:
        """Tell a client that asked for it that ``uri``'s graph view changed."""
        if self.graph_changes and not self._closed:
            self.server.protocol.notify(GRAPH_CHANGED, {"uri": uri, "version": version})

    def set_extra_diagnostics(self, uri: str, version: int, found: list[Diagnostic]) -> None:
        """Diagnostics from outside the analysis (a build) for one version of a document;
        they vanish with the next edit, whose positions they would no longer match."""
        self.extra[uri] = (version, found)
        self.revision += 1
        self.graph_changed(uri, version)
        self.refresh_pull_diagnostics()

    def clear_diagnostics(self, uri: str) -> None:
        if self.pulls_diagnostics:
            return  # nothing was pushed; the client drops what it pulled on close
        self.server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def reanalyse_all(self) -> None:
        for uri in self.documents:
            self.schedule(uri, delay=0)
        self.refresh_pull_diagnostics()

    # -- workspaces -----------------------------------------------------------------

    def set_folders(self, uris: Iterable[str]) -> None:
        folders = [f for f in (uri_to_path(u) for u in uris) if f is not None]
        kept = [f for f in folders if self.on_disk_allowed(f)]
        if len(kept) < len(folders):
            ignored = ", ".join(str(f) for f in folders if f not in kept)
            self.notify(
                lsp.MessageType.Warning,
                f"Nodeforge: ignoring workspace folders outside {self.limits.base}: {ignored}",
            )
        if not folders and self.limits.folder is not None:
            kept = [self.limits.folder]  # `nodeforge serve`: the page names no folder
        self.folders = kept

    # -- what this session may reach on disk (one rule, server/confine.py) -----------

    def roots(self) -> list[Path]:
        """Where the paths of this session may lead: the server's base directory over
        the network transports (``limits.base``); else (stdio) the client's workspace
        folders, or the server's working directory when it named none."""
        if self.limits.roots:
            return list(self.limits.roots)
        base = self.limits.base
        if base is not None:
            return [base]
        return list(self.folders) or [Path.cwd()]

    def where(self) -> str:
        """The roots, in words, for refusals."""
        if self.limits.owner is not None:
            return f"the workspace roots of user `{self.limits.owner}`"
        if self.limits.base is not None:
            return "the server's base directory"
        if self.folders:
            return "the client's workspace folders"
        return "the server's working directory"

    def confine(self, value: str | Path, *, relative_to: Path | None = None) -> Path:
        """The resolved path a command's ``value`` (a path or ``file://`` URI) leads to;
        :class:`PathRefused` unless it lies inside :meth:`roots`. A relative path is read
        against ``relative_to``, else against the only root."""
        roots = resolved_roots(self.roots())
        if relative_to is None and len(roots) == 1:
            relative_to = roots[0]
        return confine(value, roots, where=self.where(), relative_to=relative_to)

    def workspace_holding(self, path: Path) -> Path | None:
        """The workspace (nearest ``nodeforge.toml`` at or above ``path``, already
        confined) or None; :class:`PathRefused` when it lies outside the roots, so a
        command never climbs out of them."""
        root = find_root(path)
        if root is None:
            return None
        try:
            return self.confine(root)
        except PathRefused:
            raise PathRefused(f"`{path}` belongs to a workspace outside {self.where()}") from None

    def folder_workspaces(self) -> set[Path]:
        """The workspaces holding the client's folders, those inside the roots."""
        found: set[Path] = set()
        for folder in self.folders:
            with contextlib.suppress(PathRefused):
                root = self.workspace_holding(folder)
                if root is not None:
                    found.add(root)
        return found

    def on_disk_allowed(self, path: Path) -> bool:
        """May this session read ``path`` on disk for a document's sake? Over the
        network only inside the base; over stdio documents are the editor's own files
        (commands are confined all the same)."""
        if self.limits.base is None:
            return True
        return inside(path, resolved_roots(self.roots()))

    def document_allowed(self, uri: str) -> bool:
        """A document without a file behind it always; a file only where it may be read."""
        path = uri_to_path(uri)
        return path is None or self.on_disk_allowed(path)

    def on_disk(self, uri: str) -> bool:
        path = uri_to_path(uri)
        return path is not None and self.on_disk_allowed(path) and path.exists()

    def root_for(self, uri: str) -> Path | None:
        """The workspace a document belongs to: the nearest ``nodeforge.toml`` above
        it, else the innermost workspace folder holding it, else the only workspace
        folder, else the workspace the server was started in (its working directory).
        The last two serve web editors, whose models have no file behind them. Over
        the network none of these may lie outside the base."""
        path = uri_to_path(uri)
        if path is not None and self.on_disk_allowed(path):
            try:
                root = find_root(path.parent)
            except OSError:
                root = None
            if root is not None and self.on_disk_allowed(root):
                return root
            holding = [f for f in self.folders if path.is_relative_to(f)]
            if holding:
                return max(holding, key=lambda f: len(f.parts))
        if len(self.folders) == 1:
            return self.folders[0]
        started = _started_in()
        return started if started is not None and self.on_disk_allowed(started) else None

    async def workspace(self, root: Path | None) -> Workspace:
        cached = self._workspaces.get(root)
        if cached is not None:
            return cached
        loading = self._workspace_loads.get(root)
        if loading is None:
            loading = asyncio.ensure_future(self.run_analysis(self._load_workspace, root))
            self._workspace_loads[root] = loading
        workspace, problem = await asyncio.shield(loading)
        if self._workspace_loads.get(root) is loading:
            self._workspace_loads.pop(root, None)
            self._workspaces[root] = workspace
            if problem is not None:
                self.notify(lsp.MessageType.Warning, problem)
        return workspace

    @staticmethod
    def _load_workspace(root: Path | None) -> tuple[Workspace, str | None]:
        """The workspace at ``root``; a broken one falls back to the standard catalog."""
        try:
            return load_workspace(root), None
        except (WorkspaceError, CatalogError, OSError) as exc:
            log.warning("workspace %s: %s", root, exc)
            message = f"Nodeforge: {exc}. Using the standard catalog until it is fixed."
        except Exception as exc:  # a bug in loading must not stop every request
            log.exception("loading workspace %s failed", root)
            message = f"Nodeforge: internal error loading the workspace ({exc})."
        return Workspace(root=root, catalog=standard_catalog()), message

    def invalidate_workspaces(self, roots: Iterable[Path | None] | None = None) -> None:
        """Forget loaded workspaces (all, or ``roots``); every open document is re-analysed."""
        if roots is None:
            self._workspaces.clear()
            self._workspace_loads.clear()
        else:
            for root in roots:
                self._workspaces.pop(root, None)
                self._workspace_loads.pop(root, None)
        self._generation += 1
        self._disk.clear()
        for uri, state in self.documents.items():
            state.root = self.root_for(uri)
        self.reanalyse_all()

    def roots_affected_by(self, path: Path) -> set[Path | None]:
        """Loaded workspaces whose catalog or config a change to ``path`` touches."""
        return {r for r in self._workspaces if r is not None and path.is_relative_to(r)}

    # -- the workspaces' flows (flow/subflow targets) ------------------------------------

    def _overlay_key(self, uri: str, workspace: Workspace) -> Path | str | None:
        """Where an open document sits in its workspace's flow index: its file, or its
        URI when it has none; None for a file outside the workspace root."""
        path = uri_to_path(uri)
        if path is None:
            return uri
        root = workspace.flows.root
        if root is not None and not path.is_relative_to(root):
            return None
        return path

    async def flow_files_changed(self, paths: list[Path]) -> None:
        """Flow files changed, were created or deleted on disk (watchers, saves): the
        index of each loaded workspace holding them re-reads them, and documents that
        call flows are re-analysed when an answer changed."""
        for root, workspace in list(self._workspaces.items()):
            mine = [p for p in paths if root is not None and p.is_relative_to(root)]
            changed = bool(mine) and await self.run_analysis(workspace.flows.reload, mine)
            if changed and self._workspaces.get(root) is workspace:
                self.flows_changed(workspace)

    def flows_changed(self, workspace: Workspace, but: DocumentState | None = None) -> None:
        """A flow of ``workspace`` changed (its id, manual triggers, input schema or
        calls): re-analyse the open documents of that workspace that call flows."""
        stale = False
        for uri, state in self.documents.items():
            if state is but or self._workspaces.get(state.root) is not workspace:
                continue
            latest = state.latest
            if latest is not None and any(n.type == SUBFLOW for n in latest.document.nodes):
                state.flows_epoch += 1
                stale = True
                self.schedule(uri, delay=0)
        if stale:
            self.revision += 1
            self.refresh_pull_diagnostics()

    def refresh_pull_diagnostics(self) -> None:
        """Ask a pull client to request diagnostics again (if it supports it)."""
        ws = self.client.workspace
        diagnostics = ws.diagnostics if ws is not None else None
        if diagnostics is None or not diagnostics.refresh_support or self._closed:
            return
        if self._refresh_pending:
            return  # one refresh for everything that changed in this turn of the loop
        self._refresh_pending = True

        def send() -> None:
            self._refresh_pending = False
            if not self._closed:
                self.server.workspace_diagnostic_refresh(None)

        try:
            asyncio.get_running_loop().call_soon(send)
        except RuntimeError:  # no loop running (a direct call): send now
            send()

    # -- flow files on disk (workspace symbols) ------------------------------------------

    def forget_disk(self, path: Path) -> None:
        self._disk.pop(path, None)

    def flow_files(self) -> list[Path]:
        """Flow files under the workspace folders (bounded by a setting)."""
        limit = self.settings.workspace_symbol_files
        found: list[Path] = []
        for folder in self.folders:
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
                for name in sorted(fnmatch.filter(filenames, "*.flow.json")):
                    found.append(Path(dirpath) / name)
                    if len(found) >= limit:
                        return found
        return found

    async def all_analyses(self) -> list[Analysis]:
        """Analyses of every open document and of every flow file on disk."""
        result: list[Analysis] = []
        open_paths: set[Path] = set()
        for uri in list(self.documents):
            got = await self.analysis(uri)
            if got is not None:
                result.append(got[1])
            path = uri_to_path(uri)
            if path is not None:
                open_paths.add(path)
        for path in await self.run_analysis(self.flow_files):
            if path in open_paths:
                continue
            disk = await self.disk_entry(path)
            if disk is not None:
                result.append(disk.analysis)
        return result

    async def disk_entry(self, path: Path) -> DiskEntry | None:
        """The analysis of the flow file at ``path`` as it is on disk (cached while the
        file, the workspace and, for a flow that calls flows, the flows are unchanged)."""
        workspace = await self.workspace(self.root_for(from_fs_path(str(path)) or ""))
        return await self.run_analysis(self._disk_analysis, path, workspace)

    def _disk_analysis(self, path: Path, workspace: Workspace) -> DiskEntry | None:
        if not self.on_disk_allowed(path):  # a link out of the base
            return None
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, self._generation)
            cached = self._disk.get(path)
            flows = workspace.flows.revision
            if (
                cached is not None
                and cached.stamp == stamp
                and cached.flows_revision in (None, flows)
            ):
                return cached
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        uri = from_fs_path(str(path)) or path.as_uri()
        analysis = analyze(text, uri, None, workspace)
        calls = any(n.type == SUBFLOW for n in analysis.document.nodes)
        entry = DiskEntry(stamp, analysis, next(_DISK_SERIALS), flows if calls else None)
        self._disk[path] = entry
        return entry

    # -- messages to the user -------------------------------------------------------

    def notify(self, kind: lsp.MessageType, message: str) -> None:
        """``window/showMessage``; call on the event loop only."""
        self.server.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    def log_message(self, kind: lsp.MessageType, message: str) -> None:
        self.server.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    def dispose(self) -> None:
        """Drop everything (the connection is gone); running threads finish unobserved."""
        self._closed = True
        from nodeforge.server import app_commands  # imports this module

        app_commands.terminate(self)
        for state in self.documents.values():
            if state.debounce is not None:
                state.debounce.cancel()
        self.documents.clear()
        self._disk.clear()


_DISK_SERIALS = itertools.count(1)


@functools.lru_cache(maxsize=1)
def _started_in() -> Path | None:
    """The workspace holding the server's working directory, if any."""
    try:
        return find_root(Path.cwd())
    except OSError:
        return None


def _analyze(
    snapshot: Snapshot,
    workspace: Workspace,
    previous: Analysis | None,
    overlay: Path | str | None = None,
) -> tuple[Analysis, bool]:
    """Analyse on a worker; ``previous`` (same document) lets an edit reuse the rest.

    With an ``overlay`` key, the document's flow summary (id, manual triggers, input
    schema, calls, and its answer type when some flow calls it) goes over its file in
    the workspace's flow index, unless the text is not valid JSON (the last good summary
    stays); its answer is cached there for callers. True: a flow changed for callers.
    """
    with answers.recording() as used:  # what its types took from the flows it calls
        analysis = analyze(snapshot.text, snapshot.uri, snapshot.version, workspace, previous)
    analysis.document.lines = snapshot.lines  # same text: share the line table
    changed = False
    doc = analysis.document
    if overlay is not None and not doc.parsed.errors:
        path = overlay if isinstance(overlay, Path) else None
        summary = summarize(doc.value, snapshot.uri, path, snapshot.text)
        if summary is not None:
            summary = answers.with_answer(workspace, summary, analysis)
        changed = workspace.flows.set_overlay(overlay, summary)
        if summary is not None:
            answers.seed(workspace, summary, used)
    return analysis, changed


def changes_from(params: Sequence[Any]) -> list[TextChange]:
    """LSP ``contentChanges`` as :class:`TextChange` values."""
    from nodeforge.server.convert import text_position

    out: list[TextChange] = []
    for change in params:
        r = getattr(change, "range", None)
        if r is None:
            out.append(TextChange(None, None, change.text))
        else:
            out.append(TextChange(text_position(r.start), text_position(r.end), change.text))
    return out
