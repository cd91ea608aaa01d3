"""The web editor's built files, served by the gateway (``nodeforge serve``).

Only ``GET`` of files under one folder (the page built into ``nodeforge/webui/``):
no directory listing, no hidden files, no path that leads out of the folder (``..``,
encoded slashes, symbolic links pointing elsewhere), content types from a fixed
table (``nosniff``), validators (``ETag``, ``If-None-Match`` -> 304) and caching
(``no-cache`` for the page and unversioned files, a year for files whose name carries
a content hash), and a strict Content-Security-Policy on every answer. The files are
the same for every user and hold no data, so no token is needed; the language
server's WebSocket is what needs it.
"""

from __future__ import annotations

import hashlib
import re
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

INDEX = "index.html"
MAX_FILE_BYTES = 32 * 1024 * 1024
#: Scripts only from the page's own files (no inline script, no eval); styles may be
#: inline (the canvas and the code editor set element styles); the WebSocket goes to
#: the same host and port ('self' covers ws: and wss: there).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),  # the page's address holds the token
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".wasm": "application/wasm",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# esbuild's `[name]-[hash]` asset names: the content decides the name, so it never changes.
_HASHED = re.compile(r"-[A-Za-z0-9]{8,}\.[A-Za-z0-9]+$")
_SEGMENT = re.compile(r"[A-Za-z0-9_@+~-][A-Za-z0-9_.@+~-]*")


class StaticSite:
    """The files under ``root``, answered as HTTP responses."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def file_for(self, target: str) -> Path | None:
        """The file a request target names, or None (not found, hidden, outside)."""
        raw = urlsplit(target).path
        if "\\" in raw or "\x00" in raw or "%2f" in raw.lower() or "%5c" in raw.lower():
            return None
        path = unquote(raw)
        segments = [s for s in path.split("/") if s]
        if not segments:
            segments = [INDEX]
        if any(not _SEGMENT.fullmatch(s) or s in (".", "..") for s in segments):
            return None  # hidden files, `..`, odd characters: never served
        candidate = self.root.joinpath(*segments)
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            return None  # a link leading out, or a folder (no listing)
        return resolved

    def respond(self, request: Request) -> Response:
        path = self.file_for(request.path)
        if path is None:
            return plain_response(HTTPStatus.NOT_FOUND, "Not found\n")
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return plain_response(HTTPStatus.NOT_FOUND, "Not found\n")
            body = path.read_bytes()
        except OSError:
            return plain_response(HTTPStatus.NOT_FOUND, "Not found\n")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = Headers(SECURITY_HEADERS)
        headers["Cache-Control"] = IMMUTABLE if _HASHED.search(path.name) else REVALIDATE
        headers["ETag"] = etag
        if etag in _etags(request.headers.get_all("If-None-Match")):
            headers["Content-Length"] = "0"
            return Response(HTTPStatus.NOT_MODIFIED, "Not Modified", headers, b"")
        headers["Content-Type"] = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        headers["Content-Length"] = str(len(body))
        return Response(HTTPStatus.OK, "OK", headers, body)


def _etags(values: list[str]) -> set[str]:
    return {tag.strip().removeprefix("W/") for value in values for tag in value.split(",")}


def plain_response(status: HTTPStatus, text: str) -> Response:
    """A short text answer with the same security headers as the page's files."""
    body = text.encode("utf-8")
    headers = Headers(SECURITY_HEADERS)
    headers["Content-Type"] = "text/plain; charset=utf-8"
    headers["Cache-Control"] = "no-store"
    headers["Content-Length"] = str(len(body))
    return Response(status.value, status.phrase, headers, body)
