"""pygls' protocol, adjusted for Nodeforge sessions.

- Documents live in the session's snapshot store, not in pygls' workspace: one copy
  of each text, and an incremental change splices the line table instead of
  re-splitting the whole document (pygls does the latter on every keystroke).
- ``exit`` ends only this connection when a transport installs ``exit_hook``
  (pygls calls ``sys.exit``, which would stop a gateway serving other clients).
- With ``redact_errors`` (network transports), error responses carry no traceback.
- Finished notification futures are forgotten (see :attr:`in_flight`): pygls keeps
  them forever.
- The plain JSON result of a custom request is encoded without the converter's copy
  (see :meth:`_send_response`).
- A :class:`RequestFailed` (a request the server refuses, with the reason for the
  user) is answered without being logged as a server error: pygls logs every
  exception a handler raises with its traceback, and the log should hold those
  only for real faults.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from concurrent.futures import Future
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCProtocol, LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger(__name__)


class RequestFailed(JsonRpcException):
    """LSP ``RequestFailed``: a valid request the server refuses, with the reason."""

    CODE = -32803
    MESSAGE = "Request failed"


class NodeforgeProtocol(LanguageServerProtocol):
    exit_hook: Callable[[int], None] | None = None
    redact_errors: bool = False

    def _user(self, method: str, params: Any) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: lsp.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user(lsp.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: lsp.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user(lsp.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: lsp.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user(lsp.TEXT_DOCUMENT_DID_CLOSE, params)

    @lsp_method(lsp.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        if self.exit_hook is None:
            yield from super().lsp_exit(*args)
            return
        if (handler := self.fm.features.get(lsp.EXIT)) is not None:
            yield handler, args, None
        self.exit_hook(0 if self._shutdown else 1)

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        """Answer a request; a refusal is an answer, logged at info without traceback."""
        if not future.cancelled():
            refusal = future.exception()
            if isinstance(refusal, RequestFailed):
                self._request_futures.pop(msg_id, None)
                log.info("request %s refused: %s", msg_id, refusal.message)
                self._send_response(msg_id, error=refusal.to_response_error())
                return
        super()._send_handler_result(future, msg_id=msg_id)

    def _send_response(
        self,
        msg_id: Any,
        result: Any | None = None,
        error: lsp.ResponseError | None = None,
    ) -> None:
        if error is not None and self.redact_errors and error.data is not None:
            error = lsp.ResponseError(code=error.code, message=error.message)
        if error is None and isinstance(result, dict | list) and msg_id not in self._result_types:
            # A custom request's plain JSON (``nodeforge/graph``: megabytes on a big
            # flow) is encoded as it is: pygls would first copy it whole through the
            # lsprotocol converter, which costs about four times the encoding. Objects
            # of lsprotocol inside it still go through the converter (``default``).
            self._send_data({"jsonrpc": JsonRPCProtocol.VERSION, "id": msg_id, "result": result})
            return
        super()._send_response(msg_id, result, error)

    @property
    def in_flight(self) -> int:
        """Requests still being handled (the client's, and ours awaiting answers).

        Also forgets finished futures: pygls files the future of every notification
        handler that is a coroutine or generator (``didOpen``, ``didChange``, ...)
        under a fresh id and never removes it, which would grow without bound.
        """
        futures = self._request_futures
        for msg_id in [k for k, f in futures.items() if f.done()]:
            del futures[msg_id]
        return len(futures)
