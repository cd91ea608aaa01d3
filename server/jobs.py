"""Where a session's builds and node tests run, and under whose limits.

The one dispatch point of ``nodeforge.build`` (and so ``nodeforge.run``) and
``nodeforge.testNode``: on this machine (the default, no NATS), or on the worker pool
when the server was started with ``--workers URL``; either way under the user's
concurrency limits when the gateway authenticated one (``server/auth.py``). The
result has the same shape both ways, so the commands above do not know the
difference; a remote job reports its progress (queued, which worker runs it) through
the command's work-done progress.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodeforge.server.auth import Busy, JobGate

if TYPE_CHECKING:
    from nodeforge.sandbox.goprogress import BuildProgress
    from nodeforge.worker.pool import WorkerPool

Report = Callable[[str], None]


class JobRefused(Exception):
    """A job that cannot run now (the user's slots are full, the pool failed it)."""


@dataclass(frozen=True, slots=True)
class JobRoute:
    gate: JobGate | None = None
    pool: WorkerPool | None = None


def route_of(ls: Any) -> JobRoute:
    found: JobRoute | None = ls.session.limits.jobs
    return found if found is not None else JobRoute()


@contextlib.asynccontextmanager
async def _slot(route: JobRoute, kind: str) -> AsyncIterator[None]:
    if route.gate is None:
        yield
        return
    try:
        async with route.gate.slot(kind):
            yield
    except Busy as exc:
        raise JobRefused(str(exc)) from None


async def run_build(ls: Any, target: Path, report: Report) -> Any:
    """Build ``target``: a :class:`~nodeforge.codegen.build.BuildResult`. Its progress
    (stage, packages compiled, elapsed) goes to ``report`` whichever way it runs: here
    from the build itself, from a worker through the pool."""
    from nodeforge.codegen import build as driver
    from nodeforge.worker.protocol import JobError

    route = route_of(ls)
    async with _slot(route, "build"):
        if route.pool is None:
            loop = asyncio.get_running_loop()

            def progress(state: BuildProgress) -> None:  # on the job's thread
                loop.call_soon_threadsafe(report, state.message())

            return await ls.session.run_job(driver.build, target, progress=progress)
        try:
            return await route.pool.build(target, report)
        except JobError as exc:
            raise JobRefused(str(exc)) from None


async def run_node_test(
    ls: Any, uri: str, params: dict[str, Any], local: Callable[[], dict[str, Any]], report: Report
) -> dict[str, Any]:
    """A node test of the open document ``uri``: ``local`` here, or the same request
    on a worker with the document's text and its workspace."""
    from nodeforge.server.confine import PathRefused
    from nodeforge.server.session import uri_to_path
    from nodeforge.worker.protocol import JobError

    route = route_of(ls)
    async with _slot(route, "node test"):
        if route.pool is None:
            answer: dict[str, Any] = await ls.session.run(local)
            return answer
        state = ls.session.documents.get(uri)
        if state is None:
            raise JobRefused(f"{uri} is not an open flow document")
        keys = ("node", "nodeId", "input", "to", "env", "limits")
        request = {key: params[key] for key in keys if key in params}
        request.setdefault("node", params.get("nodeId"))
        root = state.root
        if root is not None:  # its files travel to a worker: only ever the user's own
            try:
                root = ls.session.confine(root)
            except PathRefused:
                root = None
        try:
            return await route.pool.node_test(
                root, uri_to_path(uri), state.snapshot.text, request, report
            )
        except JobError as exc:
            raise JobRefused(str(exc)) from None
