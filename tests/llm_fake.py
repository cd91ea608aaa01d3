"""A local fake LLM provider speaking the real wire formats (tests only).

``FakeLLMServer(script)`` listens on 127.0.0.1 (a free port) and answers every model
request with the next scripted :class:`Reply`, rendered in the wire format of the path it
was asked on:

============  =====================================================================
flavour       paths
============  =====================================================================
openai        ``/openai/v1/chat/completions`` (also Ollama, vLLM, llama.cpp, LM Studio)
azure         ``/azure/openai/deployments/<deployment>/chat/completions?api-version=``
anthropic     ``/anthropic/v1/messages``
gemini        ``/gemini/v1beta/models/<model>:generateContent`` and
              ``:streamGenerateContent?alt=sse``
============  =====================================================================

A streamed request (``"stream": true``, or Gemini's ``streamGenerateContent``) gets
Server-Sent Events split into several deltas, as the real APIs send them. Every request
is recorded (``.requests``: method, path, headers, raw body, parsed JSON) so tests can
search what was sent, e.g. for planted secrets. ``GET`` on each flavour's models path
lists ``models``. With ``api_key`` set, requests must carry it in the flavour's header
(``Authorization: Bearer``, ``api-key``, ``x-api-key``, ``x-goog-api-key``) or get 401.

The script is one queue shared by all flavours; when it runs out the server answers 418
(``bad_response`` for the client), so a test asking more than it scripted fails loudly.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAVOUR_PATHS = {
    "openai": "/openai/v1",
    "ollama": "/openai/v1",
    "vllm": "/openai/v1",
    "llamacpp": "/openai/v1",
    "lmstudio": "/openai/v1",
    "azure": "/azure",
    "anthropic": "/anthropic",
    "gemini": "/gemini",
}


@dataclass
class Reply:
    """One scripted answer, flavour-neutral.

    ``kind``: ``text`` (message content ``text``), ``structured`` (``data`` as the
    provider's structured output: OpenAI/Gemini JSON content, an Anthropic ``tool_use``
    block), ``refusal`` (OpenAI ``refusal``, Anthropic ``stop_reason: refusal``, Gemini
    ``finishReason: SAFETY``), ``status`` (an HTTP error ``status`` with an error body
    and ``headers``), ``raw`` (``body`` bytes as they are, status 200).
    ``delay_s``: sleep before answering (for timeouts)."""

    kind: str
    text: str = ""
    data: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_s: float = 0.0
    input_tokens: int = 11
    output_tokens: int = 7
    model: str | None = None  # the model the answer names (default: the one asked)


def text(value: str, **kw: Any) -> Reply:
    return Reply("text", text=value, **kw)


def json_content(data: Any, **kw: Any) -> Reply:
    """JSON as plain message content (what a model ignoring structured output says)."""
    return Reply("text", text=json.dumps(data), **kw)


def fenced(data: Any, *, prose: str = "Here is the answer:", **kw: Any) -> Reply:
    return Reply("text", text=f"{prose}\n\n```json\n{json.dumps(data, indent=2)}\n```\n", **kw)


def structured(data: Any, **kw: Any) -> Reply:
    return Reply("structured", data=data, **kw)


def refusal(reason: str = "I can't help with that.", **kw: Any) -> Reply:
    return Reply("refusal", text=reason, **kw)


def malformed(**kw: Any) -> Reply:
    """Content that claims to be JSON and is not."""
    return Reply("text", text='```json\n{"nodes": [1, 2,, }\n```', **kw)


def status(code: int, message: str = "", *, retry_after: str | None = None, **kw: Any) -> Reply:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply("status", status=code, text=message or f"error {code}", headers=headers, **kw)


def raw(body: bytes, **kw: Any) -> Reply:
    return Reply("raw", body=body, **kw)


def delayed(seconds: float, reply: Reply) -> Reply:
    reply.delay_s = seconds
    return reply


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    json: Any
    flavour: str


class FakeLLMServer:
    def __init__(
        self,
        script: Iterable[Reply] = (),
        *,
        api_key: str | None = None,
        models: Iterable[str] = ("fake-model",),
    ) -> None:
        self.script: deque[Reply] = deque(script)
        self.api_key = api_key
        self.models = list(models)
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, flavour: str = "openai") -> str:
        """The base URL a connector of provider ``flavour`` is given."""
        return self.base + FLAVOUR_PATHS[flavour]

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def bodies(self) -> Iterator[bytes]:
        """Every recorded request body, raw."""
        return (r.raw for r in self.requests)

    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    # -- handling ----------------------------------------------------------------------

    def _flavour(self, path: str) -> str | None:
        if path.startswith("/openai/"):
            return "openai"
        if path.startswith("/azure/"):
            return "azure"
        if path.startswith("/anthropic/"):
            return "anthropic"
        if path.startswith("/gemini/"):
            return "gemini"
        return None

    def _authorised(self, flavour: str, headers: dict[str, str]) -> bool:
        if self.api_key is None:
            return True
        expected = {
            "openai": ("authorization", f"Bearer {self.api_key}"),
            "azure": ("api-key", self.api_key),
            "anthropic": ("x-api-key", self.api_key),
            "gemini": ("x-goog-api-key", self.api_key),
        }[flavour]
        return headers.get(expected[0]) == expected[1]

    def _handle(self, h: http.server.BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        path = h.path
        flavour = self._flavour(path)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        with self._lock:
            self.requests.append(Recorded(method, path, headers, body, parsed, flavour or "?"))
        if flavour is None:
            return self._send(h, 404, {"error": {"message": f"no such path {path}"}})
        if flavour == "anthropic" and method == "POST" and "anthropic-version" not in headers:
            return self._send(
                h,
                400,
                {"type": "error", "error": {"message": "anthropic-version header is required"}},
            )
        if flavour == "azure" and "api-version=" not in path:
            return self._send(h, 404, {"error": {"message": "api-version query parameter missing"}})
        if not self._authorised(flavour, headers):
            return self._send(h, 401, {"error": {"message": "invalid api key"}})
        if method == "GET":
            return self._models(h, flavour)
        with self._lock:
            reply = self.script.popleft() if self.script else None
        if reply is None:
            return self._send(h, 418, {"error": {"message": "fake: no scripted answer left"}})
        if reply.delay_s:
            time.sleep(reply.delay_s)
        asked = parsed if isinstance(parsed, dict) else {}
        model = reply.model or str(asked.get("model") or _model_in_path(path) or "fake-model")
        stream = bool(asked.get("stream")) or ":streamGenerateContent" in path
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if reply.kind == "status":
                return self._status(h, flavour, reply)
            if reply.kind == "raw":
                return self._send_bytes(h, 200, reply.body, "application/json")
            if stream:
                return self._stream(h, flavour, reply, model, asked)
            return self._send(h, 200, self._whole(flavour, reply, model, asked))

    def _models(self, h: http.server.BaseHTTPRequestHandler, flavour: str) -> None:
        if flavour == "gemini":
            return self._send(h, 200, {"models": [{"name": f"models/{m}"} for m in self.models]})
        return self._send(h, 200, {"object": "list", "data": [{"id": m} for m in self.models]})

    def _status(self, h: http.server.BaseHTTPRequestHandler, flavour: str, reply: Reply) -> None:
        if flavour == "anthropic":
            payload: dict[str, Any] = {
                "type": "error",
                "error": {"type": "error", "message": reply.text},
            }
        elif flavour == "gemini":
            payload = {"error": {"code": reply.status, "message": reply.text, "status": "ERROR"}}
        else:
            payload = {"error": {"message": reply.text, "type": "error", "code": None}}
        self._send(h, reply.status, payload, reply.headers)

    # -- whole answers ----------------------------------------------------------------

    def _whole(self, flavour: str, reply: Reply, model: str, asked: dict[str, Any]) -> Any:
        if flavour in ("openai", "azure"):
            message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
            finish = "stop"
            if reply.kind == "refusal":
                message["refusal"] = reply.text
            elif reply.kind == "structured":
                message["content"] = json.dumps(reply.data)
            else:
                message["content"] = reply.text
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {
                    "prompt_tokens": reply.input_tokens,
                    "completion_tokens": reply.output_tokens,
                    "total_tokens": reply.input_tokens + reply.output_tokens,
                },
            }
        if flavour == "anthropic":
            content: list[dict[str, Any]] = []
            stop = "end_turn"
            if reply.kind == "refusal":
                stop = "refusal"
                content.append({"type": "text", "text": reply.text})
            elif reply.kind == "structured":
                stop = "tool_use"
                tool = _anthropic_tool(asked)
                content.append(
                    {"type": "tool_use", "id": "toolu_fake", "name": tool, "input": reply.data}
                )
            else:
                content.append({"type": "text", "text": reply.text})
            return {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
            }
        # gemini
        return self._gemini_chunk(reply, model, _gemini_text(reply), final=True)

    def _gemini_chunk(self, reply: Reply, model: str, piece: str, *, final: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {
            "content": {"role": "model", "parts": [{"text": piece}]},
            "index": 0,
        }
        if final:
            candidate["finishReason"] = "SAFETY" if reply.kind == "refusal" else "STOP"
        if reply.kind == "refusal":
            candidate["content"] = {"role": "model", "parts": []}
            candidate["safetyRatings"] = [
                {
                    "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                    "probability": "HIGH",
                    "blocked": True,
                }
            ]
        out: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
        if final:
            out["usageMetadata"] = {
                "promptTokenCount": reply.input_tokens,
                "candidatesTokenCount": reply.output_tokens,
                "totalTokenCount": reply.input_tokens + reply.output_tokens,
            }
        return out

    # -- streamed answers -------------------------------------------------------------

    def _stream(
        self,
        h: http.server.BaseHTTPRequestHandler,
        flavour: str,
        reply: Reply,
        model: str,
        asked: dict[str, Any],
    ) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        for event, data in self._events(flavour, reply, model, asked):
            frame = (f"event: {event}\n" if event else "") + f"data: {data}\n\n"
            h.wfile.write(frame.encode("utf-8"))
            h.wfile.flush()

    def _events(
        self, flavour: str, reply: Reply, model: str, asked: dict[str, Any]
    ) -> Iterator[tuple[str | None, str]]:
        if flavour in ("openai", "azure"):
            base = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
            }
            yield (
                None,
                json.dumps(
                    {
                        **base,
                        "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
                    }
                ),
            )
            if reply.kind == "refusal":
                for piece in _pieces(reply.text):
                    yield (
                        None,
                        json.dumps(
                            {**base, "choices": [{"index": 0, "delta": {"refusal": piece}}]}
                        ),
                    )
            else:
                content = json.dumps(reply.data) if reply.kind == "structured" else reply.text
                for piece in _pieces(content):
                    yield (
                        None,
                        json.dumps(
                            {**base, "choices": [{"index": 0, "delta": {"content": piece}}]}
                        ),
                    )
            yield (
                None,
                json.dumps(
                    {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                ),
            )
            if (asked.get("stream_options") or {}).get("include_usage"):
                usage = {
                    "prompt_tokens": reply.input_tokens,
                    "completion_tokens": reply.output_tokens,
                    "total_tokens": reply.input_tokens + reply.output_tokens,
                }
                yield None, json.dumps({**base, "choices": [], "usage": usage})
            yield None, "[DONE]"
            return
        if flavour == "anthropic":
            start = {
                "type": "message_start",
                "message": {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1},
                },
            }
            yield "message_start", json.dumps(start)
            yield "ping", json.dumps({"type": "ping"})
            if reply.kind == "structured":
                block = {
                    "type": "tool_use",
                    "id": "toolu_fake",
                    "name": _anthropic_tool(asked),
                    "input": {},
                }
                yield (
                    "content_block_start",
                    json.dumps({"type": "content_block_start", "index": 0, "content_block": block}),
                )
                for piece in _pieces(json.dumps(reply.data)):
                    delta = {"type": "input_json_delta", "partial_json": piece}
                    yield (
                        "content_block_delta",
                        json.dumps({"type": "content_block_delta", "index": 0, "delta": delta}),
                    )
                stop = "tool_use"
            else:
                block = {"type": "text", "text": ""}
                yield (
                    "content_block_start",
                    json.dumps({"type": "content_block_start", "index": 0, "content_block": block}),
                )
                for piece in _pieces(reply.text):
                    delta = {"type": "text_delta", "text": piece}
                    yield (
                        "content_block_delta",
                        json.dumps({"type": "content_block_delta", "index": 0, "delta": delta}),
                    )
                stop = "refusal" if reply.kind == "refusal" else "end_turn"
            yield "content_block_stop", json.dumps({"type": "content_block_stop", "index": 0})
            yield (
                "message_delta",
                json.dumps(
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": stop, "stop_sequence": None},
                        "usage": {"output_tokens": reply.output_tokens},
                    }
                ),
            )
            yield "message_stop", json.dumps({"type": "message_stop"})
            return
        pieces = _pieces(_gemini_text(reply)) or [""]
        for i, piece in enumerate(pieces):
            yield (
                None,
                json.dumps(self._gemini_chunk(reply, model, piece, final=i == len(pieces) - 1)),
            )

    # -- plumbing ---------------------------------------------------------------------

    def _send(
        self,
        h: http.server.BaseHTTPRequestHandler,
        code: int,
        payload: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send_bytes(h, code, json.dumps(payload).encode(), "application/json", headers)

    @staticmethod
    def _send_bytes(
        h: http.server.BaseHTTPRequestHandler,
        code: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            h.send_response(code)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                h.send_header(key, value)
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()


def _pieces(value: str, parts: int = 3) -> list[str]:
    if not value:
        return []
    size = max(1, -(-len(value) // parts))
    return [value[i : i + size] for i in range(0, len(value), size)]


def _gemini_text(reply: Reply) -> str:
    if reply.kind == "structured":
        return json.dumps(reply.data)
    if reply.kind == "refusal":
        return ""
    return reply.text


def _anthropic_tool(asked: dict[str, Any]) -> str:
    choice = asked.get("tool_choice") or {}
    if isinstance(choice, dict) and choice.get("name"):
        return str(choice["name"])
    tools = asked.get("tools") or [{}]
    return str(tools[0].get("name") or "answer")


def _model_in_path(path: str) -> str | None:
    if "/models/" in path:
        return path.split("/models/", 1)[1].split(":", 1)[0]
    if "/deployments/" in path:
        return path.split("/deployments/", 1)[1].split("/", 1)[0]
    return None


def configure(
    root: Path,
    server: FakeLLMServer,
    *,
    name: str = "llm",
    provider: str = "openai",
    model: str = "fake-model",
    api_key: str | None = None,
) -> None:
    """Store an ``llm`` connector in workspace ``root`` pointing at ``server`` (the
    caller provides the key directory, e.g. ``NODEFORGE_KEY_DIR`` in a temp folder)."""
    from nodeforge.project import connectors

    settings = {"provider": provider, "url": server.url(provider), "model": model}
    if api_key is not None:
        settings["api_key"] = api_key
    connectors.add(root, name, "llm", settings, replace=True)
