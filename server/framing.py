"""Content-Length framing on a file descriptor, without pygls.

Kept free of pygls and lsprotocol so that the stdio server can read its first
message (``initialize``) and answer it before those are imported
(:mod:`nodeforge.server.fastinit`); :mod:`nodeforge.server.transport` reads the rest
of the stream with the same reader.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


class FdReader:
    """``readline``/``read`` straight on a file descriptor.

    No ``BufferedReader``: a daemon thread blocked in one holds its lock, and the
    interpreter aborts at shutdown trying to take it.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = os.read(self._fd, 1 << 16)
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def unread(self, data: bytes) -> None:
        """Put ``data`` back in front of what is still to be read."""
        self._buffer[:0] = data

    def readline(self) -> bytes:
        while (end := self._buffer.find(b"\n")) < 0:
            if not self._fill():
                end = len(self._buffer) - 1
                break
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        return line

    def read(self, n: int) -> bytes:
        if not self._buffer:
            if n >= 1 << 16 and not self._eof:  # large body: read it directly
                parts = [b""]
                remaining = n
                while remaining > 0:
                    chunk = os.read(self._fd, min(remaining, 1 << 22))
                    if not chunk:
                        self._eof = True
                        break
                    parts.append(chunk)
                    remaining -= len(chunk)
                return b"".join(parts)
            self._fill()
        while len(self._buffer) < n and self._fill():
            pass
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data


def content_length(line: bytes, length: int | None) -> int | None:
    """Fold one header line into the Content-Length read so far (others are ignored)."""
    name, _, value = line.decode("ascii", "replace").partition(":")
    if name.strip().lower() != "content-length":
        return length
    try:
        return int(value.strip())
    except ValueError:
        log.warning("bad Content-Length header: %r", line)
        return length


def read_headers(stream: FdReader) -> int | None:
    """The Content-Length of the next message (headers read), None at the end."""
    length: int | None = None
    while True:
        line = stream.readline()
        if not line:
            return None
        if not line.strip():
            if length is not None:
                return length
            continue
        length = content_length(line, length)
