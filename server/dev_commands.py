"""Development-mode commands over LSP: sandboxed node tests, flow simulation with
breakpoints, and the data of any connection.

Each ``workspace/executeCommand`` takes one JSON object argument and returns JSON:

``nodeforge.testNode`` ``{uri, node, to?, input?, limits?, env?}``
    Run the node's real Go code in the sandbox (see :mod:`nodeforge.sandbox.nodetest`);
    with ``to``, the segment of the flow from ``node`` to ``to``.
    The server never runs code outside the sandbox: where it cannot be set up the result
    has status ``sandbox_unavailable`` and the reason.
``nodeforge.simulate`` ``{uri, input?, trigger?, fixtures?, env?, now?, breakpoints?, values?, runCode?}``
    Simulate the flow (the open buffer's text); ``values: false`` leaves the
    connections' values out of the results (fetch them with ``nodeforge/connectionData``);
    ``runCode: true`` runs ``code/go`` nodes for real, in the sandbox. With ``breakpoints`` (node ids) the run
    pauses before each of them: the result has ``status: "paused"``, ``paused_at`` and a
    ``session`` id for the commands below. ``env`` defaults to none (``{}``): the
    server's own environment is not exposed to flows.
``nodeforge.continue`` ``{session}``
    Run to the next breakpoint or the end.
``nodeforge.step`` ``{session}``
    Run the one node the session is paused before, then pause again.
``nodeforge.stopSimulation`` ``{session}``
    Forget a session.

and a request ``nodeforge/connectionData`` ``{session, connection}`` (an index, or
``"from.port->to.port"``) answering the values recorded on that connection.

A refused request answers ``RequestFailed`` with the reason.

Wiring (in ``server/lsp.py``)::

    from nodeforge.server import dev_commands
    ...
    def create_server():
        ...
        dev_commands.register(server)   # replaces the nodeforge.testNode placeholder
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from nodeforge.sandbox.limits import DEFAULT_LIMITS

log = logging.getLogger(__name__)

TEST_NODE = "nodeforge.testNode"
SIMULATE = "nodeforge.simulate"
CONTINUE = "nodeforge.continue"
STEP = "nodeforge.step"
STOP = "nodeforge.stopSimulation"
CONNECTION_DATA = "nodeforge/connectionData"
COMMAND_NAMES = (TEST_NODE, SIMULATE, CONTINUE, STEP, STOP)
MAX_SESSIONS = 16


class DevError(Exception):
    pass


class Sessions:
    """The paused simulations of one server (a client's editor), oldest dropped first."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, sim: Any) -> None:
        with self._lock:
            self._items[sim.id] = sim
            while len(self._items) > MAX_SESSIONS:
                self._items.popitem(last=False)

    def get(self, session: Any) -> Any:
        with self._lock:
            sim = self._items.get(str(session))
        if sim is None:
            raise DevError(f"no simulation session `{session}` (finished, stopped or expired)")
        return sim

    def drop(self, session: Any) -> bool:
        with self._lock:
            return self._items.pop(str(session), None) is not None


def _plain(value: Any) -> Any:
    """JSON values from pygls' params of custom requests (nested namedtuples)."""
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _params(args: tuple[Any, ...]) -> dict[str, Any]:
    value = _plain(args[0]) if args else None
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise DevError(f"the command's argument must be a JSON object, not {type(value).__name__}")


async def _analysis(ls: Any, params: dict[str, Any]) -> Any:
    from nodeforge.server.confine import PathRefused

    uri = params.get("uri") or params.get("flow")
    if not isinstance(uri, str) or not uri:
        raise DevError("`uri` (the flow document) is required")
    if uri not in ls.session.documents:
        raise DevError(f"{uri} is not an open flow document")
    if uri.startswith("file:"):  # its workspace's nodes are built and run
        try:
            ls.session.confine(uri)
        except PathRefused as exc:
            raise DevError(str(exc)) from exc
    got = await ls.session.analysis(uri)
    if got is None:
        raise DevError(f"{uri} is not an open flow document")
    return got[1]


def sessions_of(ls: Any) -> Sessions:
    sessions = getattr(ls, "dev_sessions", None)
    if sessions is None:
        sessions = Sessions()
        ls.dev_sessions = sessions
    return sessions


# -- the handlers (plain async functions of the server and the argument) --------------------


async def test_node(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    from nodeforge.sandbox.nodetest import NodeTestError, run_node_test

    analysis = await _analysis(ls, params)
    node = params.get("node") or params.get("nodeId")
    if not isinstance(node, str) or not node:
        raise DevError("`node` (the node id) is required")
    try:
        limits = DEFAULT_LIMITS.merged(params.get("limits"))
    except ValueError as exc:
        raise DevError(str(exc)) from exc

    def run() -> dict[str, Any]:
        # Never unsafe_no_sandbox here: only the command line may run code unconfined.
        to = params.get("to")
        env = params.get("env")
        result = run_node_test(
            analysis,
            node,
            params.get("input"),
            limits=limits,
            to=to if to else None,
            env=env if isinstance(env, dict) else None,
        )
        return result.as_dict()

    from nodeforge.server import commands, jobs

    progress = await commands._begin(ls, f"Testing node {node}")
    try:
        answer = await jobs.run_node_test(
            ls,
            params.get("uri") or params.get("flow") or "",
            params,
            run,
            lambda text: commands._report(ls, progress, text),
        )
    except (NodeTestError, jobs.JobRefused) as exc:
        commands._end(ls, progress, "failed")
        raise DevError(str(exc)) from exc
    except BaseException:
        commands._end(ls, progress, "failed")
        raise
    commands._end(ls, progress, str(answer.get("status", "done")))
    return answer


def new_simulation(analysis: Any, params: dict[str, Any]) -> Any:
    """The simulation a ``nodeforge.simulate`` request asks for, its arguments checked
    (:class:`DevError` with the reason otherwise): the flow without errors, breakpoints on
    known nodes, ``env`` and ``fixtures`` objects (``env`` defaults to none: the server's
    own environment is not exposed to flows). Shared with the debug adapter
    (``nodeforge.server.dap``)."""
    from nodeforge.sandbox.simulate import Simulation, SimulationError

    errors = [d for d in analysis.diagnostics if d.severity.name == "ERROR"]
    if errors:
        raise DevError(
            f"the flow has {len(errors)} error(s) to fix before it can run; "
            f"first: {errors[0].code} {errors[0].message}"
        )
    breakpoints = params.get("breakpoints") or []
    if not isinstance(breakpoints, list) or not all(isinstance(b, str) for b in breakpoints):
        raise DevError("`breakpoints` must be a list of node ids")
    unknown = [b for b in breakpoints if analysis.document.node_by_id(b) is None]
    if unknown:
        raise DevError(f"breakpoints on unknown node(s): {', '.join(unknown)}")
    env = params.get("env") or {}
    fixtures = params.get("fixtures") or {}
    if not isinstance(env, dict) or not isinstance(fixtures, dict):
        raise DevError("`env` and `fixtures` must be JSON objects")
    try:
        sim = Simulation(
            analysis,
            trigger=params.get("trigger"),
            input_value=params.get("input"),
            fixtures=fixtures,
            env={str(k): str(v) for k, v in env.items()},
            now=params.get("now"),
            breakpoints=breakpoints,
            run_code=params.get("runCode") is True or params.get("run_code") is True,
        )
    except SimulationError as exc:
        raise DevError(str(exc)) from exc
    sim.with_values = params.get("values", True) is not False
    return sim


async def simulate(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    analysis = await _analysis(ls, params)

    def run() -> dict[str, Any]:
        sim = new_simulation(analysis, params)
        result: dict[str, Any] = sim.resume()
        sessions_of(ls).add(sim)
        return result

    answer: dict[str, Any] = await ls.session.run(run)
    return answer


async def resume(ls: Any, params: dict[str, Any], *, step: bool) -> dict[str, Any]:
    sim = sessions_of(ls).get(params.get("session"))
    answer: dict[str, Any] = await ls.session.run(lambda: sim.resume(step=step))
    return answer


async def stop(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {"stopped": sessions_of(ls).drop(params.get("session"))}


async def connection_data(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    sim = sessions_of(ls).get(params.get("session"))
    selector = params.get("connection")
    if isinstance(selector, bool) or not isinstance(selector, int | str):
        raise DevError("`connection` must be an index or `from.port->to.port`")
    data = sim.connection_data(selector)
    if data is None:
        raise DevError(f"the flow has no connection {selector!r}")
    result: dict[str, Any] = data
    return result


# -- registration --------------------------------------------------------------------------


def _command(fn: Any) -> Any:
    async def command(ls: Any, *args: Any) -> Any:
        from nodeforge.server.lsp import RequestFailed

        try:
            return await fn(ls, _params(args))
        except DevError as exc:
            raise RequestFailed(str(exc)) from exc

    return command


def register(server: Any) -> None:
    """Add the commands and the request to ``server`` (replacing placeholders; calling it
    again replaces its own handlers)."""
    handlers = {
        TEST_NODE: test_node,
        SIMULATE: simulate,
        CONTINUE: lambda ls, p: resume(ls, p, step=False),
        STEP: lambda ls, p: resume(ls, p, step=True),
        STOP: stop,
    }
    commands = server.protocol.fm.commands
    for name, fn in handlers.items():
        commands.pop(name, None)  # the server's "not available yet" placeholder
        server.command(name)(_command(fn))

    async def _connection_data(ls: Any, params: Any) -> Any:
        from nodeforge.server.lsp import RequestFailed

        try:
            return await connection_data(ls, _params((params,)))
        except DevError as exc:
            raise RequestFailed(str(exc)) from exc

    server.protocol.fm.features.pop(CONNECTION_DATA, None)  # registering twice is harmless
    server.feature(CONNECTION_DATA)(_connection_data)
