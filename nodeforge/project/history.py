"""The internal, append-only git history of a workspace's flows.

Layout: a bare repository at ``<workspace>/.nodeforge/history.git`` with one branch,
``refs/heads/main``. Its tree mirrors the workspace's flow files (``flows/orders.flow.json``)
plus ``nodeforge.lock.json``, the node version lock at that commit. Each save is one
commit of one flow's canonical form (``analysis.ide.format_document``); the message ends
with trailers ``Flow: <path>`` and one ``Node-Version: type@version`` per node type used.

The user's own repository is never touched: every git process gets an explicit
``--git-dir`` and an environment scrubbed of ``GIT_*`` variables, and nothing uses an
index or a work tree (objects are written with ``hash-object``/``mktree``/``commit-tree``
and the branch moves with a compare-and-swap ``update-ref``). Reads go through GitPython
with its pure-Python object database.

Durability:

* All writers serialise on ``fcntl.flock`` of ``.nodeforge/history.lock`` (released by the
  kernel when a process dies, so it can never go stale).
* Git writes objects to temporary files and renames them; the branch only moves (atomic
  rename of a lock file) after every object of the commit exists. A process killed at any
  point therefore leaves the old or the new commit as the tip and at worst unreferenced
  objects, which ``git fsck`` accepts. ``core.fsync`` makes that hold over power loss too.
* Before writing, a save records its intent in ``history.pending.json``; it is removed
  when the branch has moved. The next writer (or :meth:`History.recover`) finds a leftover
  intent, checks whether that save landed, and reports the ones that did not.
* Git's own ``*.lock`` files and temporary object files left by a killed process are
  stale by construction while we hold the flock (every writer holds it), so they are
  removed before each write.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import git
from gitdb.exc import BadName, BadObject

from nodeforge.project.fsutil import (
    ProjectError,
    atomic_write,
    fsync_dir,
    relative_flow_path,
    state_dir,
)

BRANCH = "refs/heads/main"
LOCK_ENTRY = "nodeforge.lock.json"
ZERO = "0" * 40
_HEX = re.compile(r"^[0-9a-f]{4,40}$")
_BACK = re.compile(r"^[@~](\d+)$")
GIT_TIMEOUT = 60


@dataclass(frozen=True, slots=True)
class Revision:
    """One saved version of a flow."""

    commit: str
    short: str
    time: str  # ISO 8601, UTC
    author: str
    message: str  # the subject line
    node_versions: list[str] = field(default_factory=list)
    note: str = ""  # the message given to the save (the body's first line), if any

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SaveResult:
    path: str
    commit: str
    created: bool  # False: the content was already the newest saved version
    node_versions: list[str]
    notes: list[str] = field(default_factory=list)  # recovery reports

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def canonical_text(text: str, path: str = "") -> str:
    """The canonical form of a flow file; refuses text that is not valid JSON."""
    from nodeforge.analysis.ide import format_document

    out = format_document(text)
    if out is None:
        raise ProjectError(f"{path or 'the flow'} is not valid JSON: fix it before saving")
    return out


def node_versions(text: str) -> list[str]:
    """The flow's node version map as sorted unique ``type@version`` strings."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return []
    out = set()
    nodes = data.get("nodes") if isinstance(data, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and isinstance(node.get("type"), str):
            out.add(f"{node['type']}@{node.get('version', '')}")
    return sorted(out)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        LC_ALL="C",
        LANGUAGE="C",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    return env


def _author() -> tuple[str, str]:
    name = os.environ.get("NODEFORGE_AUTHOR_NAME")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:
            name = "nodeforge"
    email = os.environ.get("NODEFORGE_AUTHOR_EMAIL") or f"{name}@nodeforge.invalid"
    return name, email


class History:
    """The history of one workspace. Cheap to create; opens the repository lazily."""

    def __init__(self, root: Path, *, record_lock: bool = True) -> None:
        self.root = root.resolve()
        self.record_lock = record_lock
        self.state = state_dir(self.root, create=False)
        self.git_dir = self.state / "history.git"
        self.lock_path = self.state / "history.lock"
        self.pending_path = self.state / "history.pending.json"
        self.workspace_lock = self.state / "lock.json"
        self._repo: git.Repo | None = None

    # -- plumbing -----------------------------------------------------------------------------

    def _git(
        self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None
    ) -> str:
        full_env = _clean_env()
        if env:
            full_env.update(env)
        proc = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", *args],
            input=input,
            capture_output=True,
            env=full_env,
            cwd=self.state,
            timeout=GIT_TIMEOUT,
            check=False,
        )
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise ProjectError(f"git {args[0]} failed in {self.git_dir}: {err}")
        return proc.stdout.decode("utf-8", "replace")

    @property
    def repo(self) -> git.Repo:
        if self._repo is None:
            if not self.git_dir.is_dir():
                raise ProjectError(f"no history yet in {self.root} (save a flow first)")
            repo = git.Repo(self.git_dir)
            # GitPython's git processes inherit os.environ: pin them to our repository
            # even when the caller exports the user's GIT_DIR/GIT_INDEX_FILE (git hooks).
            repo.git.update_environment(
                GIT_DIR=str(self.git_dir),
                GIT_OBJECT_DIRECTORY=str(self.git_dir / "objects"),
                GIT_ALTERNATE_OBJECT_DIRECTORIES="",
                GIT_INDEX_FILE=str(self.state / "history.index"),
                GIT_WORK_TREE=str(self.state / "history.git"),
                GIT_CONFIG_NOSYSTEM="1",
                GIT_CONFIG_GLOBAL=os.devnull,
            )
            self._repo = repo
        return self._repo

    def close(self) -> None:
        """Stop GitPython's helper processes (also done when the object is collected)."""
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def exists(self) -> bool:
        return (self.git_dir / "HEAD").is_file()

    @contextlib.contextmanager
    def locked(self, timeout: float = 60.0) -> Iterator[list[str]]:
        """Hold the history's writer lock; yields the recovery notes of this acquisition."""
        state_dir(self.root)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise ProjectError(
                            f"the history of {self.root} is busy (another save holds "
                            f"{self.lock_path} for more than {timeout:.0f} s)"
                        ) from None
                    time.sleep(0.01)
            self._ensure_repo()
            notes = self._recover_locked()
            yield notes
        finally:
            os.close(fd)  # releases the flock

    def _ensure_repo(self) -> None:
        if self.exists():
            return
        # Build the repository beside its final place and rename it in: a half-made
        # repository is never visible under the real name.
        tmp = self.state / f"history.git.tmp-{os.getpid()}"
        if tmp.exists():
            _rmtree(tmp)
        for stale in self.state.glob("history.git.tmp-*"):
            _rmtree(stale)
        if self.git_dir.exists():  # a leftover without HEAD: not a repository
            _rmtree(self.git_dir)
        subprocess.run(
            ["git", "init", "--bare", "--quiet", "--initial-branch=main", str(tmp)],
            check=True,
            capture_output=True,
            env=_clean_env(),
            timeout=GIT_TIMEOUT,
        )
        for key, value in (
            ("core.fsync", "objects,derived-metadata,reference"),
            ("core.fsyncMethod", "fsync"),
            ("gc.auto", "0"),
            ("core.logAllRefUpdates", "true"),
            ("user.name", "nodeforge"),
            ("user.email", "nodeforge@nodeforge.invalid"),
        ):
            subprocess.run(
                ["git", f"--git-dir={tmp}", "config", key, value],
                check=True,
                capture_output=True,
                env=_clean_env(),
                timeout=GIT_TIMEOUT,
            )
        (tmp / "description").write_text("Nodeforge flow history (internal; do not edit)\n")
        os.rename(tmp, self.git_dir)
        fsync_dir(self.state)

    # -- recovery -------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Clean up after a killed writer and report interrupted saves (takes the lock)."""
        if not self.state.is_dir():
            return []
        with self.locked() as notes:
            return notes

    def _recover_locked(self) -> list[str]:
        notes: list[str] = []
        # Git lock files and temporary objects: no writer runs while we hold the flock.
        for lock in [*self.git_dir.glob("*.lock"), *self.git_dir.glob("refs/**/*.lock")]:
            with contextlib.suppress(OSError):
                lock.unlink()
                notes.append(f"removed a stale git lock file {lock.relative_to(self.root)}")
        objects = self.git_dir / "objects"
        for tmp in [*objects.glob("tmp_obj_*"), *objects.glob("??/tmp_obj_*")]:
            with contextlib.suppress(OSError):
                tmp.unlink()
        for tmp in self.state.glob(".history.pending.json.*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
        if self.pending_path.exists():
            try:
                pending = json.loads(self.pending_path.read_text(encoding="utf-8"))
                path, blob = str(pending["path"]), str(pending["blob"])
                when, pid = str(pending.get("time", "?")), pending.get("pid", "?")
            except (OSError, ValueError, KeyError, TypeError):
                notes.append("an interrupted save left an unreadable journal; it was discarded")
            else:
                head = self._head()
                landed = head is not None and self._blob_at(head, path) == blob
                if not landed:
                    notes.append(
                        f"the save of {path} at {when} (process {pid}) was interrupted and "
                        "is not in the history; the file on disk is unchanged by this: save it "
                        "again to record it"
                    )
            with contextlib.suppress(FileNotFoundError):
                self.pending_path.unlink()
            fsync_dir(self.state)
        if notes:
            log_path = self.state / "history.log"
            with open(log_path, "a", encoding="utf-8") as log:
                stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                for note in notes:
                    log.write(f"{stamp} recovery: {note}\n")
        return notes

    # -- reading ----------------------------------------------------------------------------

    def _head(self) -> str | None:
        ref = self.git_dir / BRANCH
        try:
            value = ref.read_text().strip()
        except FileNotFoundError:
            packed = self.git_dir / "packed-refs"
            if packed.exists():
                for line in packed.read_text().splitlines():
                    if line.endswith(" " + BRANCH):
                        return line.split()[0]
            return None
        return value or None

    def _commit(self, sha: str) -> git.Commit:
        return self.repo.commit(sha)

    def _blob_at(self, commit: str, path: str) -> str | None:
        try:
            item = self._commit(commit).tree / path
        except KeyError:
            return None
        return str(item.hexsha) if item.type == "blob" else None

    def head(self) -> str | None:
        return self._head() if self.exists() else None

    def resolve(self, path: str, rev: str) -> str:
        """A full commit id from ``rev``: a commit id (prefix), ``HEAD``, or ``@N`` (the
        N-th save of ``path`` before its newest, ``@0`` being the newest; ``~N`` is accepted too)."""
        rev = rev.strip()
        head = self.head()
        if head is None:
            raise ProjectError("the history is empty")
        back = _BACK.match(rev)
        if back is not None or (rev.upper() == "HEAD" and path):
            n = int(back.group(1)) if back is not None else 0
            revs = self.log(path, limit=n + 1)
            if len(revs) <= n:
                raise ProjectError(f"{path} has only {len(revs)} saved version(s); no {rev}")
            return revs[n].commit
        if rev.upper() == "HEAD":
            return head
        if not _HEX.match(rev.lower()):
            raise ProjectError(f"`{rev}` is not a revision (a commit id or @N)")
        try:
            commit = self.repo.commit(rev.lower())
        except (BadName, BadObject, ValueError):
            raise ProjectError(f"no saved version `{rev}` in the history") from None
        if not self._reachable(str(commit.hexsha), head):
            raise ProjectError(f"`{rev}` is not part of the history")
        return str(commit.hexsha)

    def _reachable(self, sha: str, head: str) -> bool:
        commit: git.Commit | None = self._commit(head)
        while commit is not None:
            if commit.hexsha == sha:
                return True
            commit = commit.parents[0] if commit.parents else None
        return False

    def log(self, path: str | None = None, limit: int | None = None) -> list[Revision]:
        """Saves, newest first; with ``path`` only those that changed that flow."""
        head = self.head()
        if head is None:
            return []
        out: list[Revision] = []
        commit: git.Commit | None = self._commit(head)
        while commit is not None:
            parent = commit.parents[0] if commit.parents else None
            if path is None or self._changed(commit, parent, path):
                out.append(_revision(commit))
                if limit is not None and len(out) >= limit:
                    break
            commit = parent
        return out

    def _changed(self, commit: git.Commit, parent: git.Commit | None, path: str) -> bool:
        mine = _blob_sha(commit, path)
        if mine is None:
            return False
        return parent is None or _blob_sha(parent, path) != mine

    def read(self, path: str, rev: str = "HEAD") -> str:
        """The flow's text at ``rev``."""
        commit = self.resolve(path, rev)
        try:
            blob = self._commit(commit).tree / path
        except KeyError:
            raise ProjectError(f"{path} is not in the history at {commit[:10]}") from None
        data: bytes = blob.data_stream.read()
        return data.decode("utf-8")

    def lock_at(self, rev: str = "HEAD") -> dict[str, Any]:
        """The node version lock recorded with commit ``rev``."""
        commit = self.resolve("", rev)
        try:
            blob = self._commit(commit).tree / LOCK_ENTRY
        except KeyError:
            return {}
        loaded: dict[str, Any] = json.loads(blob.data_stream.read())
        return loaded

    def saved_paths(self) -> list[str]:
        head = self.head()
        if head is None:
            return []
        out = []
        for item in self._commit(head).tree.traverse():
            path = getattr(item, "path", None)
            if getattr(item, "type", "") == "blob" and path and path != LOCK_ENTRY:
                out.append(str(path))
        return sorted(out)

    # -- writing ----------------------------------------------------------------------------

    def save(
        self,
        flow: Path,
        message: str = "",
        *,
        text: str | None = None,
    ) -> SaveResult:
        """Commit the canonical form of ``flow`` (or of ``text``, e.g. an editor's
        buffer). A no-op when it equals the newest saved version."""
        path = relative_flow_path(self.root, flow)
        if text is None:
            try:
                text = (self.root / path).read_text(encoding="utf-8")
            except FileNotFoundError:
                raise ProjectError(f"{path} does not exist") from None
        canonical = canonical_text(text, path)
        versions = node_versions(canonical)
        with self.locked() as notes:
            result = self._save_locked(path, canonical, message, versions)
        return SaveResult(result.path, result.commit, result.created, versions, notes)

    def _save_locked(
        self,
        path: str,
        canonical: str,
        message: str,
        versions: list[str],
        *,
        subject: str | None = None,
    ) -> SaveResult:
        data = canonical.encode("utf-8")
        blob = _git_blob_sha(data)
        head = self._head()
        if head is not None and self._blob_at(head, path) == blob:
            return SaveResult(path, head, False, versions)
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        atomic_write(
            self.pending_path,
            json.dumps({"path": path, "blob": blob, "time": stamp, "pid": os.getpid()}),
            mode=0o600,
        )
        _crash_point("after-journal")
        written = self._git("hash-object", "-w", "--stdin", input=data).strip()
        assert written == blob, (written, blob)
        _crash_point("after-blob")
        entries: dict[str, tuple[str, str]] = {path: ("100644", blob)}
        lock = self._next_lock(head, path, versions) if self.record_lock else None
        if lock is not None:
            lock_data = (json.dumps(lock, indent=2, sort_keys=True) + "\n").encode("utf-8")
            lock_sha = self._git("hash-object", "-w", "--stdin", input=lock_data).strip()
            entries[LOCK_ENTRY] = ("100644", lock_sha)
        tree = self._write_tree(head, entries)
        _crash_point("after-tree")
        name, email = _author()
        body = subject or f"save {path}"
        if message.strip():
            body += "\n\n" + message.strip()
        trailers = [f"Flow: {path}", *(f"Node-Version: {v}" for v in versions)]
        full_message = body + "\n\n" + "\n".join(trailers) + "\n"
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": "nodeforge",
            "GIT_COMMITTER_EMAIL": "nodeforge@nodeforge.invalid",
        }
        args = ["commit-tree", tree, "-F", "-"]
        if head is not None:
            args[2:2] = ["-p", head]
        commit = self._git(*args, input=full_message.encode("utf-8"), env=env).strip()
        _crash_point("after-commit")
        self._git("update-ref", "-m", body.splitlines()[0], BRANCH, commit, head or ZERO)
        _crash_point("after-ref")
        if lock is not None:
            atomic_write(self.workspace_lock, json.dumps(lock, indent=2, sort_keys=True) + "\n")
        with contextlib.suppress(FileNotFoundError):
            self.pending_path.unlink()
        fsync_dir(self.state)
        return SaveResult(path, commit, True, versions)

    def _next_lock(self, head: str | None, path: str, versions: list[str]) -> dict[str, Any]:
        from nodeforge.project.lockfile import build_lock

        previous: dict[str, Any] = {}
        if head is not None:
            try:
                previous = json.loads((self._commit(head).tree / LOCK_ENTRY).data_stream.read())
            except (KeyError, ValueError):
                previous = {}
        flows = dict(previous.get("flows", {})) if isinstance(previous.get("flows"), dict) else {}
        flows[path] = versions
        return build_lock(self.root, flows, previous)

    def _write_tree(self, base: str | None, entries: dict[str, tuple[str, str]]) -> str:
        """A new root tree: ``base``'s tree with ``entries`` (path -> (mode, blob)) set."""
        root_tree = self._commit(base).tree if base is not None else None
        return self._tree_with(root_tree, {tuple(p.split("/")): e for p, e in entries.items()})

    def _tree_with(
        self, tree: git.Tree | None, entries: dict[tuple[str, ...], tuple[str, str]]
    ) -> str:
        listing: dict[str, tuple[str, str, str]] = {}  # name -> (mode, type, sha)
        if tree is not None:
            for item in tree:
                mode = f"{item.mode:06o}" if item.type == "blob" else "040000"
                listing[str(item.name)] = (mode, str(item.type), str(item.hexsha))
        sub: dict[str, dict[tuple[str, ...], tuple[str, str]]] = {}
        for parts, (mode, sha) in entries.items():
            if len(parts) == 1:
                listing[parts[0]] = (mode, "blob", sha)
            else:
                sub.setdefault(parts[0], {})[parts[1:]] = (mode, sha)
        for name, inner in sub.items():
            existing = None
            if tree is not None and name in listing and listing[name][1] == "tree":
                existing = tree / name
            listing[name] = ("040000", "tree", self._tree_with(existing, inner))
        lines = "".join(f"{m} {t} {s}\t{n}\n" for n, (m, t, s) in sorted(listing.items()))
        return self._git("mktree", input=lines.encode("utf-8")).strip()

    def restore(
        self,
        flow: Path,
        rev: str,
        *,
        force: bool = False,
        editor_dirty: bool = False,
    ) -> SaveResult:
        """Write the flow as it was at ``rev`` and record that as a new save.

        Refused while the file has changes that are not in the history (``editor_dirty``:
        the editor holds unsaved edits; otherwise the file on disk differs from its newest
        saved version) unless ``force``.
        """
        path = relative_flow_path(self.root, flow)
        if editor_dirty and not force:
            raise ProjectError(
                f"{path} has unsaved changes in the editor: save or discard them before restoring"
            )
        with self.locked() as notes:
            commit = self.resolve(path, rev)
            try:
                blob = self._commit(commit).tree / path
            except KeyError:
                raise ProjectError(f"{path} is not in the history at {commit[:10]}") from None
            target = blob.data_stream.read().decode("utf-8")
            file = self.root / path
            head = self._head()
            if not force and file.exists():
                current = file.read_text(encoding="utf-8")
                saved = None
                if head is not None and self._blob_at(head, path) is not None:
                    saved = (self._commit(head).tree / path).data_stream.read().decode("utf-8")
                try:
                    same = saved is not None and canonical_text(current) == saved
                except ProjectError:
                    same = False
                if not same:
                    raise ProjectError(
                        f"{path} has changes that are not in the history: save them first "
                        "(`nodeforge save`) or pass --force to discard them"
                    )
            atomic_write(file, target)
            versions = node_versions(target)
            result = self._save_locked(
                path,
                target,
                "",
                versions,
                subject=f"restore {path} to {commit[:10]}",
            )
        return SaveResult(result.path, result.commit, result.created, versions, notes)

    # -- checks -------------------------------------------------------------------------------

    def fsck(self) -> tuple[bool, str]:
        """``git fsck --full --strict``: (clean, output)."""
        if not self.exists():
            return True, ""
        proc = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", "fsck", "--full", "--strict", "--no-progress"],
            capture_output=True,
            env=_clean_env(),
            timeout=GIT_TIMEOUT * 5,
            check=False,
        )
        out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        bad = any(
            line and not line.startswith(("dangling ", "Checking", "notice"))
            for line in out.splitlines()
        )
        return proc.returncode == 0 and not bad, out


def _revision(commit: git.Commit) -> Revision:
    message = str(commit.message)
    versions = [
        line.split(":", 1)[1].strip()
        for line in message.splitlines()
        if line.startswith("Node-Version:")
    ]
    when = dt.datetime.fromtimestamp(commit.committed_date, dt.UTC)
    return Revision(
        commit=str(commit.hexsha),
        short=str(commit.hexsha)[:10],
        time=when.isoformat(timespec="seconds"),
        author=str(commit.author.name),
        message=message.splitlines()[0] if message else "",
        node_versions=versions,
        note=_note(message),
    )


def _note(message: str) -> str:
    """The save's own message: the first line of the body that is not a trailer."""
    for line in message.splitlines()[1:]:
        if line.strip() and not re.match(r"^[A-Z][A-Za-z-]*: ", line):
            return line.strip()
    return ""


def _blob_sha(commit: git.Commit, path: str) -> str | None:
    try:
        item = commit.tree / path
    except KeyError:
        return None
    return str(item.hexsha)


def _git_blob_sha(data: bytes) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    h.update(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _crash_point(name: str) -> None:
    """Tests set NODEFORGE_TEST_CRASH_AT=<name> to die (SIGKILL) right there."""
    if os.environ.get("NODEFORGE_TEST_CRASH_AT") == name:
        os.kill(os.getpid(), 9)


def require_history(root: Path) -> History:
    history = History(root)
    if not history.exists():
        raise ProjectError(f"no history yet in {root}: save a flow first (`nodeforge save FLOW`)")
    return history


def all_flow_files(root: Path) -> Sequence[Path]:
    """Every ``*.flow.json`` in the workspace, skipping private and build folders."""
    skip = {".nodeforge", ".git", "node_modules", "build", ".venv"}
    out = []
    for path in sorted(root.rglob("*.flow.json")):
        rel = path.relative_to(root)
        if not any(part in skip for part in rel.parts[:-1]):
            out.append(path)
    return out
