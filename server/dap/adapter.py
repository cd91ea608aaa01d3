"""``nodeforge dap``: the debug adapter's loop over stdio.

Reads framed requests, hands each to :class:`~nodeforge.server.dap.session.DebugSession`
and writes its response (then whatever the session deferred until after it, such as the
``initialized`` event or starting the run). Nothing a client sends ends the adapter but
``disconnect`` or the end of its input: an unknown command, bad arguments or a failure
inside a request is an error response, a malformed frame is reported in the debug console
and skipped.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

from nodeforge.server.dap.protocol import Channel, FrameError, FrameReader
from nodeforge.server.dap.session import DapError, DebugSession

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Any]


def handlers(session: DebugSession) -> dict[str, Handler]:
    return {
        "initialize": session.initialize,
        "launch": session.launch,
        "configurationDone": session.configuration_done,
        "setBreakpoints": session.set_breakpoints,
        "setExceptionBreakpoints": session.set_exception_breakpoints,
        "threads": session.threads,
        "stackTrace": session.stack_trace,
        "scopes": session.scopes,
        "variables": session.variables,
        "evaluate": session.evaluate,
        "exceptionInfo": session.exception_info,
        "continue": session.continue_,
        "next": session.step,
        "stepIn": session.step,
        "stepOut": session.step,
        "pause": session.pause,
        "terminate": session.terminate,
        "disconnect": session.disconnect,
    }


class Adapter:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.session = DebugSession(channel.event)
        self.handlers = handlers(self.session)

    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind != "request":
            if kind not in ("response", "event"):
                self._report(f"a message of type {kind!r} (expected a request)")
            return  # answers to reverse requests: we send none
        seq, command = message.get("seq"), message.get("command")
        if not isinstance(seq, int) or isinstance(seq, bool):
            self._report("a request without an integer `seq`")
            return
        if not isinstance(command, str):
            self.channel.fail(message, "the request has no `command`")
            return
        handler = self.handlers.get(command)
        if handler is None:
            self.channel.fail(message, f"unsupported request `{command}`")
            return
        args = message.get("arguments", {})
        if args is None:
            args = {}
        if not isinstance(args, dict):
            self.channel.fail(message, f"`{command}`: `arguments` must be an object")
            return
        try:
            body = handler(args)
        except DapError as exc:
            self.channel.fail(message, str(exc))
            return
        except Exception as exc:  # a bug must not end the session
            log.exception("request %s failed", command)
            self.channel.fail(
                message, f"internal error in `{command}`: {type(exc).__name__}: {exc}"
            )
            return
        self.channel.respond(message, body)
        try:
            self.session.run_deferred()
        except Exception as exc:
            log.exception("after %s", command)
            self._report(f"internal error after `{command}`: {type(exc).__name__}: {exc}")

    def _report(self, problem: str) -> None:
        self.channel.event(
            "output", {"category": "stderr", "output": f"nodeforge dap: {problem}; skipped\n"}
        )


def serve(reader: BinaryIO, writer: BinaryIO) -> int:
    """Answer requests from ``reader`` on ``writer`` until ``disconnect`` or the end."""
    channel = Channel(writer)
    adapter = Adapter(channel)
    frames = FrameReader(reader)
    while not adapter.session.ended:
        try:
            message = frames.read()
        except EOFError:
            break
        except FrameError as exc:
            adapter._report(f"malformed message: {exc}")
            continue
        adapter.handle(message)
    return 0


def run(args: argparse.Namespace) -> int:
    """The sub-command: DAP on stdin/stdout. Anything else that writes to file descriptor
    1 (a library, a child process) goes to stderr instead, so it cannot break the frames."""
    log_file = getattr(args, "log_file", None)
    logging.basicConfig(
        level=logging.INFO if log_file else logging.WARNING,
        filename=str(log_file) if log_file else None,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return serve(sys.stdin.buffer, out)
