"""The Debug Adapter Protocol's wire format: JSON messages framed by a ``Content-Length``
header (``Content-Length: N\\r\\n\\r\\n`` then N bytes of UTF-8 JSON), over byte streams.

Nothing here knows about flows: :class:`FrameReader` turns a stream into messages (a
malformed frame raises :class:`FrameError` once its bytes are consumed, so the caller can
report it and read on), :class:`Channel` writes responses and events, numbered, from any
thread.
"""

from __future__ import annotations

import json
import threading
from typing import Any, BinaryIO

MAX_FRAME_BYTES = 64 * 1024 * 1024
MAX_HEADER_LINE = 8192
_LENGTH = b"content-length:"


class FrameError(Exception):
    """A frame that cannot be read; its bytes are consumed, the stream goes on."""


class FrameReader:
    """Reads one framed message at a time from ``stream``."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._pending: bytes | None = None  # a header line found after garbage

    def _readline(self) -> bytes:
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        return self.stream.readline(MAX_HEADER_LINE)

    def read(self) -> dict[str, Any]:
        """The next message; :class:`FrameError` for a bad frame, :class:`EOFError` at the
        end of the stream."""
        length = self._read_header()
        body = self._read_exactly(length)
        try:
            message = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise FrameError(f"the body is not UTF-8: {exc}") from None
        except ValueError as exc:
            raise FrameError(f"the body is not JSON: {exc}") from None
        if not isinstance(message, dict):
            raise FrameError(f"the body is a JSON {type(message).__name__}, not an object")
        return message

    def _read_header(self) -> int:
        length: int | None = None
        seen = False
        while True:
            line = self._readline()
            if not line:
                if seen:
                    raise FrameError("the stream ended inside a header")
                raise EOFError
            if line.strip() == b"":
                if length is not None:
                    return length
                if seen:
                    raise FrameError("a header without Content-Length")
                continue  # blank lines between frames
            if not line.endswith(b"\n") and len(line) >= MAX_HEADER_LINE:
                self._skip_line()
                raise FrameError(f"a header line longer than {MAX_HEADER_LINE} bytes")
            at = line.lower().find(_LENGTH)
            if at > 0:
                # Garbage glued in front of a header: report it; the header is read next.
                garbage = line[:at].decode("utf-8", "replace").strip()
                self._pending = line[at:]
                raise FrameError(f"unexpected bytes before a header: {garbage[:80]!r}")
            seen = True
            name, colon, value = line.decode("ascii", "replace").partition(":")
            if not colon:
                raise FrameError(f"not a header line: {line[:80].decode('utf-8', 'replace')!r}")
            if name.strip().lower() == "content-length":
                length = self._length(value.strip())

    def _length(self, text: str) -> int:
        if not text.isdigit():
            raise FrameError(f"Content-Length is not a number: {text[:40]!r}")
        length = int(text)
        if length > MAX_FRAME_BYTES:
            self._discard_frame(length)
            raise FrameError(f"a frame of {length} bytes (at most {MAX_FRAME_BYTES})")
        return length

    def _discard_frame(self, length: int) -> None:
        while True:  # the rest of the header, then the body
            line = self.stream.readline(MAX_HEADER_LINE)
            if not line or line.strip() == b"":
                break
        remaining = length
        while remaining > 0:
            chunk = self.stream.read(min(remaining, 1 << 20))
            if not chunk:
                return
            remaining -= len(chunk)

    def _skip_line(self) -> None:
        while True:
            line = self.stream.readline(MAX_HEADER_LINE)
            if not line or line.endswith(b"\n"):
                return

    def _read_exactly(self, length: int) -> bytes:
        data = self.stream.read(length)
        while len(data) < length:
            more = self.stream.read(length - len(data))
            if not more:
                raise FrameError(f"the stream ended inside a body ({len(data)} of {length} bytes)")
            data += more
        return data


class Channel:
    """Writes numbered messages to ``stream``; safe to use from several threads."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._seq = 0
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            message = {"seq": self._seq, **message}
            body = json.dumps(message, ensure_ascii=False, default=str).encode("utf-8")
            self.stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.stream.flush()

    def respond(self, request: dict[str, Any], body: Any = None) -> None:
        message: dict[str, Any] = {
            "type": "response",
            "request_seq": request.get("seq", 0),
            "success": True,
            "command": request.get("command", ""),
        }
        if body is not None:
            message["body"] = body
        self.send(message)

    def fail(self, request: dict[str, Any], text: str, *, code: int = 1) -> None:
        """An error response: ``message`` and ``body.error`` (what clients show)."""
        self.send(
            {
                "type": "response",
                "request_seq": request.get("seq", 0),
                "success": False,
                "command": str(request.get("command", "")),
                "message": text,
                "body": {"error": {"id": code, "format": text, "showUser": True}},
            }
        )

    def event(self, name: str, body: Any = None) -> None:
        message: dict[str, Any] = {"type": "event", "event": name}
        if body is not None:
            message["body"] = body
        self.send(message)
