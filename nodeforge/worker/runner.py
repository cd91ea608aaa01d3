"""``nodeforge worker``: take build and node-test jobs from the JetStream work queue
and run them here, in the sandbox.

Each job is acknowledged only after its result is stored, and heartbeats
(``+WPI``, "in progress") go out every third of the AckWait while it runs; a worker
that dies stops heartbeating and JetStream hands the job to another worker after the
AckWait. A job whose document is malformed is terminated (never redelivered); one
that fails on this worker (a compile error, a node test that crashes) is a result
like any other. The workspace arrives with the job: workers share no disk with the
editor. It is brought into this worker's folder for that workspace (kept between jobs,
least recently used removed first: :mod:`.workspaces`), so a rebuild after an edit is
incremental here as on the editor's machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nats.js import api

from nodeforge.sandbox.gobuild import cache_base
from nodeforge.sandbox.goprogress import BuildProgress, ProgressFn

from .protocol import (
    BUILD,
    CONSUMER,
    JOB_SUBJECT,
    PROGRESS_SUBJECT,
    STREAM,
    Job,
    JobError,
    diagnostic_to_json,
    relative_inside,
)
from .store import Stores, connect
from .workspaces import DEFAULT_KEEP, Workspaces

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    url: str
    name: str = ""
    jobs: int = 1  # jobs run at once by this process
    ack_wait: float = 30.0  # seconds without a heartbeat before a job goes to another worker
    max_deliver: int = 3  # deliveries of one job before JetStream gives up on it
    work_dir: Path | None = None  # where workspaces are kept (default: the cache folder)
    keep_workspaces: int = DEFAULT_KEEP  # workspace folders kept between jobs (0: none)

    @property
    def worker_name(self) -> str:
        return self.name or f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.name = config.worker_name
        self.stores: Stores | None = None
        self.workspaces = Workspaces(
            config.work_dir or cache_base() / "worker-workspaces", config.keep_workspaces
        )

    async def run(self, stop: asyncio.Event) -> None:
        config = self.config
        stores = self.stores = await connect(config.url, f"nodeforge-worker {self.name}")
        await stores.js.add_consumer(
            STREAM,
            api.ConsumerConfig(
                durable_name=CONSUMER,
                ack_policy=api.AckPolicy.EXPLICIT,
                ack_wait=config.ack_wait,
                max_deliver=config.max_deliver,
                filter_subject=f"{JOB_SUBJECT}.>",
            ),
        )
        print(f"nodeforge worker {self.name}: taking jobs from {config.url}", flush=True)
        loops = [asyncio.create_task(self._loop(stores, stop)) for _ in range(config.jobs)]
        try:
            await stop.wait()
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await stores.close()

    async def _loop(self, stores: Stores, stop: asyncio.Event) -> None:
        subscription = await stores.js.pull_subscribe_bind(durable=CONSUMER, stream=STREAM)
        while not stop.is_set():
            try:
                messages = await subscription.fetch(1, timeout=2)
            except TimeoutError:
                continue
            except Exception as exc:  # NATS reconnecting: try again shortly
                log.info("fetch failed: %s", exc)
                await asyncio.sleep(0.5)
                continue
            for msg in messages:
                await self.handle(stores, msg)

    async def handle(self, stores: Stores, msg: Any) -> None:
        delivery = msg.metadata.num_delivered
        try:
            job = Job.from_json(json.loads(msg.data))
        except (ValueError, JobError) as exc:
            log.warning("terminating a malformed job: %s", exc)
            await msg.term()
            return
        log.info("job %s (%s), delivery %d", job.id, job.kind, delivery)
        await self._progress(stores, job, {"event": "started", "delivery": delivery})
        beat = asyncio.create_task(self._heartbeat(msg))
        try:
            result = await self.execute(stores, job)
        except asyncio.CancelledError:  # stopping: hand the job back at once
            with contextlib.suppress(Exception):
                await msg.nak()
            raise
        except JobError as exc:
            result = {"error": str(exc)}
        except Exception as exc:
            log.exception("job %s failed", job.id)
            result = {"error": f"the worker failed: {type(exc).__name__}: {exc}"}
        finally:
            beat.cancel()
        result.update(worker=self.name, delivery=delivery, kind=job.kind, id=job.id)
        await stores.results.put(job.id, json.dumps(result).encode())
        await self._progress(stores, job, {"event": "done"})
        await msg.ack_sync()
        log.info("job %s done", job.id)

    async def _heartbeat(self, msg: Any) -> None:
        interval = max(0.2, self.config.ack_wait / 3)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _progress(self, stores: Stores, job: Job, event: dict[str, Any]) -> None:
        event["worker"] = self.name
        with contextlib.suppress(Exception):
            await stores.nc.publish(f"{PROGRESS_SUBJECT}.{job.id}", json.dumps(event).encode())

    async def execute(self, stores: Stores, job: Job) -> dict[str, Any]:
        archive = await stores.get_blob(job.workspace)
        text = await stores.get_blob(job.text) if job.text is not None else None
        if job.kind != BUILD and text is None:
            raise JobError("a node test job without the document's text")
        key = job.lineage or job.workspace.sha256
        loop = asyncio.get_running_loop()

        def progress(state: BuildProgress) -> None:  # on the job's thread
            event = {"event": "progress", "message": state.message()}
            asyncio.run_coroutine_threadsafe(self._progress(stores, job, event), loop)

        # One thread holds the workspace's folder (locked) for the whole job.
        result = await asyncio.to_thread(self._in_workspace, key, job, archive, text, progress)
        data = result.pop("binary_data", None)
        if isinstance(data, bytes):
            result["binary"]["blob"] = (await stores.put_blob(data)).as_json()
        return result

    def _in_workspace(
        self,
        key: str,
        job: Job,
        archive: bytes,
        text: bytes | None,
        progress: ProgressFn | None = None,
    ) -> dict[str, Any]:
        with self.workspaces.checkout(key, job.root_name, archive) as root:
            if job.kind != BUILD:
                assert text is not None
                return run_node_test(root, text.decode("utf-8"), job.params)
            result = run_build(root, job.params, progress)
            binary = result.pop("binary_path", None)
            if binary is not None:
                result["binary"] = {"name": Path(binary).name}
                result["binary_data"] = Path(binary).read_bytes()
            return result


def run_build(root: Path, params: Any, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Build the job's target in the unpacked workspace, as a local build does (user
    code compiled in the sandbox, never unconfined), its ``progress`` going to the
    editor that queued it."""
    from nodeforge.codegen import build as driver

    target = root / relative_inside(params.get("target", "."), "target")
    if not target.exists():
        raise JobError(f"{params.get('target')} is not in the job's workspace")
    result = driver.build(target, progress=progress)
    return {
        # The state a local build leaves in .nodeforge/build.json; the editor writes it
        # into its workspace (with its own paths).
        "build_state": driver.read_state(root),
        "state": result.state,
        "seconds": round(result.seconds, 3),
        "output": result.output,
        "sandbox_status": result.sandbox_status,
        "diagnostics": {
            rel: [diagnostic_to_json(d) for d in found] for rel, found in result.diagnostics.items()
        },
        "flows": sorted(result.flows),
        "requested": result.requested,
        "binary_path": str(result.binary) if result.ok and result.binary else None,
    }


def run_node_test(root: Path, text: str, params: Any) -> dict[str, Any]:
    """Analyse the editor's text against the unpacked workspace and run the node test
    in the sandbox (what ``nodeforge.testNode`` does locally)."""
    from nodeforge.analysis.engine import analyze
    from nodeforge.analysis.workspace import CONFIG_FILE, load_workspace
    from nodeforge.sandbox.limits import DEFAULT_LIMITS
    from nodeforge.sandbox.nodetest import NodeTestError
    from nodeforge.sandbox.nodetest import run_node_test as run_test

    flow = params.get("flow")
    path = root / (relative_inside(flow, "flow") if flow else "untitled.flow.json")
    workspace = load_workspace(root if (root / CONFIG_FILE).is_file() else None)
    analysis = analyze(text, uri=path.as_uri(), workspace=workspace)
    node = params.get("node")
    if not isinstance(node, str) or not node:
        raise JobError("`node` (the node id) is required")
    try:
        limits = DEFAULT_LIMITS.merged(params.get("limits"))
    except ValueError as exc:
        raise JobError(str(exc)) from None
    env = params.get("env")
    try:
        result = run_test(
            analysis,
            node,
            params.get("input"),
            limits=limits,
            to=params.get("to") or None,
            env=env if isinstance(env, dict) else None,
        )
    except NodeTestError as exc:
        raise JobError(str(exc)) from None
    return {"result": result.as_dict()}


def run_worker(config: WorkerConfig) -> int:
    """Run until SIGINT/SIGTERM; a job in hand then is handed back (``nak``) for
    another worker."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await Worker(config).run(stop)

    asyncio.run(main())
    return 0
