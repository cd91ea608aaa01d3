"""The editor's side of the worker pool: send a build or a node test to the workers
and wait for its result, relaying progress (``nodeforge lsp --ws ... --workers URL``).

A job is published on the work-queue stream with the workspace's files (a
deterministic tar named by its sha256, inline when small, else in the object store);
whichever worker takes it reports progress on ``nodeforge.progress.<id>``, stores the
result under the job's id in the results bucket and says ``done``. A worker that dies
mid-job stops heartbeating, so JetStream redelivers the job to another after the
consumer's AckWait; after the consumer's maximum of deliveries JetStream gives up and
says so in an advisory, which fails the job here with that reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nodeforge.analysis.workspace import find_root

from .protocol import (
    BUILD,
    JOB_SUBJECT,
    MAX_DELIVERIES_ADVISORY,
    NODE_TEST,
    PROGRESS_SUBJECT,
    STREAM,
    BlobRef,
    Job,
    JobError,
    diagnostic_from_json,
    lineage,
    pack,
    sha256,
    workspace_files,
)
from .store import Stores, connect

log = logging.getLogger(__name__)

Report = Callable[[str], None]
POLL_SECONDS = 5.0  # the results bucket is read this often too, in case a notice was lost
DEFAULT_JOB_TIMEOUT = 900.0


def workspace_root(target: Path) -> Path:
    """The folder a build of ``target`` reads (as the build driver decides it)."""
    if target.is_file():
        return find_root(target.parent) or target.parent
    return find_root(target) or target


class WorkerPool:
    """One connection per editor server, shared by every session."""

    def __init__(self, url: str, *, job_timeout: float = DEFAULT_JOB_TIMEOUT) -> None:
        self.url = url
        self.job_timeout = job_timeout
        self._stores: Stores | None = None
        self._waiting: dict[int, asyncio.Future[str]] = {}  # stream seq -> abandoned reason
        self._lock = asyncio.Lock()

    async def start(self) -> Stores:
        async with self._lock:
            if self._stores is None:
                stores = await connect(self.url, "nodeforge-editor")
                await stores.nc.subscribe(MAX_DELIVERIES_ADVISORY, cb=self._on_advisory)
                self._stores = stores
                log.info("worker pool on %s", self.url)
            return self._stores

    async def close(self) -> None:
        if self._stores is not None:
            with contextlib.suppress(Exception):
                await self._stores.close()
            self._stores = None

    async def _on_advisory(self, msg: Any) -> None:
        try:
            data = json.loads(msg.data)
            seq, deliveries = int(data["stream_seq"]), int(data.get("deliveries", 0))
        except (ValueError, KeyError, TypeError):
            return
        waiter = self._waiting.get(seq)
        if waiter is not None and not waiter.done():
            waiter.set_result(
                f"no worker finished the job in {deliveries} deliveries (each worker that "
                "took it died, stalled past the acknowledgement deadline or was stopped)"
            )

    # -- the two kinds of job --------------------------------------------------------------

    async def build(self, target: Path, report: Report) -> Any:
        """Build ``target`` (a flow file or folder) on a worker; a
        :class:`~nodeforge.codegen.build.BuildResult` as a local build gives, with the
        binary written where a local build writes it."""
        from nodeforge.codegen.build import BuildResult, state_dir
        from nodeforge.codegen.module import FlowInput

        root = workspace_root(target)
        files = await asyncio.to_thread(workspace_files, root)
        rel = target.relative_to(root).as_posix() if target != root else "."
        answer = await self.submit(
            BUILD, root.name, files, {"target": rel}, None, report, lineage(root)
        )
        flows = {
            name: FlowInput(root / name, name, files[name].decode("utf-8"))
            for name in answer.get("flows", [])
            if name in files
        }
        result = BuildResult(
            state="succeeded" if answer.get("state") == "succeeded" else "failed",
            root=root,
            out_dir=state_dir(root) / "gen",
            binary=None,
            module=None,
            diagnostics={
                str(name): [diagnostic_from_json(d) for d in found]
                for name, found in dict(answer.get("diagnostics") or {}).items()
            },
            flows=flows,
            requested=[str(r) for r in answer.get("requested", [])],
            output=str(answer.get("output", "")),
            seconds=float(answer.get("seconds", 0.0)),
            sandbox_status=str(answer.get("sandbox_status", "")),
        )
        binary = answer.get("binary")
        if result.ok and isinstance(binary, dict):
            name = str(binary.get("name", ""))
            if not name or "/" in name or name in (".", ".."):
                raise JobError(f"a worker named the binary {name!r}")
            ref = BlobRef.from_json(binary.get("blob"))
            path = state_dir(root) / "bin" / name
            if await asyncio.to_thread(_holds, path, ref.sha256):
                result.binary = path  # the binary did not change: nothing to fetch
            else:
                stores = await self.start()
                data = await stores.get_blob(ref)
                result.binary = await asyncio.to_thread(
                    _write_binary, state_dir(root) / "bin", name, data
                )
        state = answer.get("build_state")
        if isinstance(state, dict):
            await asyncio.to_thread(_write_build_state, root, state, result, answer)
        return result

    async def node_test(
        self,
        root: Path | None,
        flow: Path | None,
        text: str,
        params: Mapping[str, Any],
        report: Report,
    ) -> dict[str, Any]:
        """Run a node test on a worker; the result document a local test gives."""
        files = await asyncio.to_thread(workspace_files, root) if root is not None else {}
        rel = None
        if flow is not None and root is not None and flow.is_relative_to(root):
            rel = flow.relative_to(root).as_posix()
        answer = await self.submit(
            NODE_TEST,
            root.name if root is not None else "workspace",
            files,
            {**params, "flow": rel},
            text.encode("utf-8"),
            report,
        )
        result = answer.get("result")
        if not isinstance(result, dict):
            raise JobError("a worker sent a node test without its result")
        return result

    # -- sending one job and waiting ----------------------------------------------------------

    async def submit(
        self,
        kind: str,
        root_name: str,
        files: Mapping[str, bytes],
        params: Mapping[str, Any],
        text: bytes | None,
        report: Report,
        lineage: str | None = None,
    ) -> dict[str, Any]:
        """Publish a job and wait for its result document (:class:`JobError` with the
        reason when the job failed on the worker, was abandoned or timed out)."""
        stores = await self.start()
        job_id = uuid.uuid4().hex
        archive = await asyncio.to_thread(pack, files)
        job = Job(
            id=job_id,
            kind=kind,
            root_name=root_name,
            workspace=await stores.put_blob(archive),
            params=params,
            text=await stores.put_blob(text) if text is not None else None,
            lineage=lineage,
        )
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        abandoned: asyncio.Future[str] = loop.create_future()

        async def on_progress(msg: Any) -> None:
            try:
                event = json.loads(msg.data)
            except ValueError:
                return
            if event.get("event") == "done":
                done.set()
            elif event.get("event") == "started":
                report(
                    f"running on worker {event.get('worker')} (delivery {event.get('delivery')})"
                )
            elif isinstance(event.get("message"), str):
                report(event["message"])

        progress = await stores.nc.subscribe(f"{PROGRESS_SUBJECT}.{job_id}", cb=on_progress)
        seq = None
        try:
            ack = await stores.js.publish(
                f"{JOB_SUBJECT}.{kind}",
                json.dumps(job.as_json()).encode(),
                stream=STREAM,
                headers={"Nats-Msg-Id": job_id},
            )
            seq = ack.seq
            self._waiting[seq] = abandoned
            report("queued for a worker")
            deadline = loop.time() + self.job_timeout
            while True:
                found = await _result(stores, job_id)
                if found is not None:
                    return _checked(found)
                if abandoned.done():
                    with contextlib.suppress(Exception):
                        await stores.js.delete_msg(STREAM, seq)
                    raise JobError(abandoned.result())
                left = deadline - loop.time()
                if left <= 0:
                    raise JobError(f"no worker answered within {self.job_timeout:g} s")
                notice: asyncio.Future[Any] = asyncio.ensure_future(done.wait())
                either: set[asyncio.Future[Any]] = {notice, abandoned}
                try:
                    await asyncio.wait(
                        either,
                        timeout=min(POLL_SECONDS, left),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    notice.cancel()
        finally:
            if seq is not None:
                self._waiting.pop(seq, None)
            with contextlib.suppress(Exception):
                await progress.unsubscribe()


async def _result(stores: Stores, job_id: str) -> dict[str, Any] | None:
    from nats.js.errors import KeyNotFoundError

    try:
        entry = await stores.results.get(job_id)
    except KeyNotFoundError:
        return None
    if entry.value is None:
        return None
    with contextlib.suppress(Exception):
        await stores.results.purge(job_id)
    found = json.loads(entry.value)
    return found if isinstance(found, dict) else {"error": "a worker sent a malformed result"}


def _checked(found: dict[str, Any]) -> dict[str, Any]:
    if isinstance(found.get("error"), str):
        raise JobError(f"worker {found.get('worker', '?')}: {found['error']}")
    return found


def _holds(path: Path, digest: str) -> bool:
    """Whether ``path`` is a regular file (not a link) whose sha256 is ``digest``."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        return sha256(path.read_bytes()) == digest
    except OSError:
        return False


def _write_build_state(root: Path, state: dict[str, Any], result: Any, answer: Any) -> None:
    """``.nodeforge/build.json`` as a local build leaves it: the worker's state with this
    machine's paths, and which worker built it."""
    from nodeforge.codegen.build import write_state

    state = dict(state)
    state.update(
        binary=str(result.binary) if result.binary else None,
        module=None,  # the generated module stayed on the worker
        worker=str(answer.get("worker", "")),
    )
    write_state(root, state)


def _write_binary(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    tmp.chmod(0o755)
    tmp.replace(path)
    return path
