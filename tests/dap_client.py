"""A raw Debug Adapter Protocol client for tests: frames written by hand to a real
``python -m nodeforge dap`` subprocess, its output read on a thread."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60.0  # seconds before a test gives up on an answer (a hang guard, not a budget)


def frame(message: dict[str, Any] | bytes) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class DapClient:
    def __init__(self, cwd: Path = ROOT) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nodeforge", "dap"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
        )
        self.seq = 0
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.events: list[dict[str, Any]] = []  # every event seen, in order
        self._pending: list[dict[str, Any]] = []  # read but not yet consumed
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            header = b""
            while not header.endswith(b"\r\n\r\n"):
                byte = out.read(1)
                if not byte:
                    self.inbox.put(None)
                    return
                header += byte
            fields = dict(
                line.split(":", 1) for line in header.decode().strip().split("\r\n") if line
            )
            length = int(fields["Content-Length"].strip())
            self.inbox.put(json.loads(out.read(length)))

    def _next(self) -> dict[str, Any]:
        message = self.inbox.get(timeout=WAIT)
        if message is None:
            raise EOFError("the adapter closed its output")
        if message.get("type") == "event":
            self.events.append(message)
        return message

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, command: str, arguments: Any = None) -> int:
        self.seq += 1
        message: dict[str, Any] = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        self.write(frame(message))
        return self.seq

    def response(self, seq: int) -> dict[str, Any]:
        for i, message in enumerate(self._pending):
            if message.get("type") == "response" and message.get("request_seq") == seq:
                return self._pending.pop(i)
        while True:
            message = self._next()
            if message.get("type") == "response" and message.get("request_seq") == seq:
                return message
            self._pending.append(message)

    def request(self, command: str, arguments: Any = None) -> dict[str, Any]:
        """The response (success or not) to one request."""
        return self.response(self.send(command, arguments))

    def ok(self, command: str, arguments: Any = None) -> Any:
        answer = self.request(command, arguments)
        assert answer["success"] is True, answer
        return answer.get("body")

    def event(self, name: str) -> dict[str, Any]:
        """The next event called ``name`` (earlier events stay in ``events``)."""
        for i, message in enumerate(self._pending):
            if message.get("type") == "event" and message.get("event") == name:
                return self._pending.pop(i)
        while True:
            message = self._next()
            if message.get("type") == "event" and message.get("event") == name:
                return message
            self._pending.append(message)

    def output(self) -> str:
        return "".join(e["body"]["output"] for e in self.events if e["event"] == "output")

    def close(self) -> int:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                return self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise
        return self.proc.returncode
