"""``nodeforge.generate``, ``nodeforge.run`` and ``nodeforge.stop`` from the editor.

``run`` builds the workspace (as ``nodeforge.build`` does), then starts the binary with
its connector settings in the environment, streams the app's log lines to the client
as ``window/logMessage``, and returns where it listens. One app runs per editor
session: ``run`` again restarts it, ``stop`` ends it gracefully (SIGTERM, then
SIGKILL after a grace period), and it also ends when the session or the server does.
``app.call`` sends one HTTP request to the session's running app (a browser page cannot
reach the app's port: its Content-Security-Policy allows only its own origin).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import signal
from dataclasses import dataclass
from typing import Any

from lsprotocol import types as lsp

from nodeforge.server import commands

log = logging.getLogger(__name__)

GENERATE = "nodeforge.generate"
RUN = "nodeforge.run"
STOP = "nodeforge.stop"
CALL = "nodeforge.app.call"
CALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
CALL_MAX_BYTES = 1 << 20
CALL_TIMEOUT_SECONDS = 30.0
STOP_GRACE_SECONDS = 10.0
DEFAULT_ADDR = "127.0.0.1:8080"


@dataclass
class _App:
    process: asyncio.subprocess.Process
    addr: str
    pump: asyncio.Task[None]


_apps: dict[int, _App] = {}  # by id(session): one running app per editor session


def register(server: Any) -> None:
    server.command(GENERATE)(generate_command)
    server.command(RUN)(run_command)
    server.command(STOP)(stop_command)
    server.command(CALL)(call_command)


async def generate_command(ls: Any, *args: Any) -> dict[str, Any]:
    from nodeforge.codegen import build as driver

    target = commands._target(ls, commands._argument(args))
    result = await ls.session.run_job(driver.generate, target)
    problems = commands._publish_build_diagnostics(ls, result)
    ls.session.notify(
        lsp.MessageType.Info if result.ok else lsp.MessageType.Error,
        f"Nodeforge: generated Go in {result.seconds:.1f} s"
        if result.ok
        else f"Nodeforge: generation failed ({problems} problem(s) in the flows)",
    )
    return {"state": result.state, "problems": problems, "output": result.output}


async def run_command(ls: Any, *args: Any) -> dict[str, Any]:
    from nodeforge.codegen.build import app_environment

    params = commands._argument(args)
    addr = str(params.get("addr") or DEFAULT_ADDR)
    built = await commands.build_command(ls, *args)
    if built["state"] != "succeeded" or not built["binary"]:
        return {"running": False, "build": built}
    await _stop(ls.session)
    target = commands._target(ls, params)  # confined, and so is its workspace
    root = ls.session.workspace_holding(target) or (target if target.is_dir() else target.parent)
    env = {**app_environment(root, built["connectors"]), "NODEFORGE_ADDR": addr}
    process = await asyncio.create_subprocess_exec(
        built["binary"],
        env=env,
        cwd=str(root),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    pump = asyncio.create_task(_pump(ls, process))
    _apps[id(ls.session)] = _App(process, addr, pump)
    ls.session.notify(lsp.MessageType.Info, f"Nodeforge: app running on http://{addr}")
    return {"running": True, "pid": process.pid, "addr": addr, "build": built}


async def stop_command(ls: Any, *args: Any) -> dict[str, Any]:
    code = await _stop(ls.session)
    if code is None:
        return {"stopped": False, "reason": "no app is running"}
    ls.session.notify(lsp.MessageType.Info, f"Nodeforge: app stopped (exit code {code})")
    return {"stopped": True, "exit_code": code}


async def _stop(session: Any) -> int | None:
    app = _apps.pop(id(session), None)
    if app is None:
        return None
    process = app.process
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)  # the app drains in-flight requests
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(app.pump, 1)
    return process.returncode


async def call_command(ls: Any, *args: Any) -> dict[str, Any]:
    """``nodeforge.app.call {method, path, body?, headers?}``: one request to this session's
    running app (never another address), answering ``{status, headers, body, ms}``; the
    body is text, at most 1 MiB each way."""
    from nodeforge.server.lsp import RequestFailed

    params = commands._argument(args)
    app = _apps.get(id(ls.session))
    if app is None or app.process.returncode is not None:
        raise RequestFailed("no app is running: run it first (nodeforge.run)")
    method = str(params.get("method") or "GET").upper()
    if method not in CALL_METHODS:
        raise RequestFailed(f"method must be one of {', '.join(CALL_METHODS)}, not {method}")
    path = params.get("path") or "/"
    if not isinstance(path, str) or not path.startswith("/") or any(c in path for c in " \r\n"):
        raise RequestFailed("path must start with / and hold no spaces or line breaks")
    body = params.get("body")
    if body is not None and not isinstance(body, str):
        raise RequestFailed("body must be a string")
    data = None if body in (None, "") else body.encode("utf-8")
    if data is not None and len(data) > CALL_MAX_BYTES:
        raise RequestFailed(f"the body is larger than {CALL_MAX_BYTES:,} bytes")
    raw_headers = params.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise RequestFailed("headers must be an object")
    headers = {str(k): str(v) for k, v in raw_headers.items()}
    if data is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    url = f"http://{app.addr}{path}"
    return await asyncio.to_thread(_call, url, method, data, headers)


def _call(url: str, method: str, data: bytes | None, headers: dict[str, str]) -> dict[str, Any]:
    import time
    import urllib.error
    import urllib.request

    from nodeforge.server.lsp import RequestFailed

    request = urllib.request.Request(url, data=data, method=method, headers=headers)

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # a redirect is the answer: never follow it to another address

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    started = time.monotonic()
    try:
        with opener.open(request, timeout=CALL_TIMEOUT_SECONDS) as answer:
            status, got, body = answer.status, answer.headers, answer.read(CALL_MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:  # 4xx and 5xx are answers too
        status, got, body = exc.code, exc.headers, exc.read(CALL_MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise RequestFailed(f"the app did not answer: {exc}") from exc
    truncated = len(body) > CALL_MAX_BYTES
    return {
        "status": status,
        "headers": dict(got.items()),
        "body": body[:CALL_MAX_BYTES].decode("utf-8", "replace"),
        "truncated": truncated,
        "ms": round((time.monotonic() - started) * 1000, 1),
    }


def terminate(session: Any) -> None:
    """The session is gone: ask its app to stop (it drains requests on SIGTERM)."""
    app = _apps.pop(id(session), None)
    if app is not None and app.process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            app.process.send_signal(signal.SIGTERM)


async def _pump(ls: Any, process: asyncio.subprocess.Process) -> None:
    """Forward the app's log lines to the client's output channel."""
    assert process.stdout is not None
    while line := await process.stdout.readline():
        text = line.decode("utf-8", "replace").rstrip()
        kind = lsp.MessageType.Error if '"level":"ERROR"' in text else lsp.MessageType.Log
        try:
            ls.session.log_message(kind, f"[app] {text}")
        except Exception:  # the client went away: keep draining so the app never blocks
            log.debug("dropping app output", exc_info=True)
    code = await process.wait()
    with contextlib.suppress(Exception):
        ls.session.log_message(lsp.MessageType.Info, f"[app] exited with code {code}")


def _die_with_parent() -> None:
    """Linux: SIGTERM the app when the language server dies, so no app outlives it."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
