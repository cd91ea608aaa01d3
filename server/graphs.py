"""The graph views one session answers (``nodeforge/graph``, docs/graph-view.md).

Per document it keeps the :class:`~nodeforge.analysis.ide.GraphMemo` that makes the
next view cheap after a small edit (the ports of unchanged nodes are reused), and the
item signatures of the last few answers under their tags. A client that says which
answer it shows (``since``: that answer's ``tag``) is sent only the nodes and
connections that differ from it; the others are named by key or index. A tag is
unique in the session, so an answer is always relative to exactly what the client
holds (a version is not enough: a build's errors change the view of one version).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nodeforge.analysis import ide
from nodeforge.analysis.text import LineIndex, PositionEncoding
from nodeforge.server.convert import ItemSignature, lsp_graph_answer

Signatures = tuple[dict[str, ItemSignature], dict[int, ItemSignature]]


@dataclass
class _Document:
    memo: ide.GraphMemo = field(default_factory=ide.GraphMemo)
    sent: OrderedDict[str, Signatures] = field(default_factory=OrderedDict)


class GraphAnswers:
    """The graph answers of one session (one per connection)."""

    #: Answers remembered per document: the one the client shows, and newer ones
    #: that may be on their way to it while it asks again.
    KEEP = 3
    #: Documents remembered (least recently asked dropped first; closing one drops it).
    DOCUMENTS = 32

    def __init__(self) -> None:
        self._documents: OrderedDict[str, _Document] = OrderedDict()
        self._lock = threading.Lock()  # features of different documents run in parallel
        self._count = 0

    def answer(
        self,
        uri: str,
        since: str | None,
        build: Callable[[ide.GraphMemo], ide.GraphView],
        lines: LineIndex,
        encoding: PositionEncoding,
    ) -> dict[str, Any]:
        """The answer for ``uri``'s view (``build`` makes it with the document's memo):
        relative to the answer tagged ``since`` when that one is remembered
        (``base`` then names it), else whole. Runs on a worker; one document's
        answers are computed one at a time (the session's lane)."""
        with self._lock:
            document = self._documents.get(uri)
            if document is None:
                document = self._documents[uri] = _Document()
                while len(self._documents) > self.DOCUMENTS:
                    self._documents.popitem(last=False)
            self._documents.move_to_end(uri)
            self._count += 1
            tag = str(self._count)
        base = document.sent.get(since) if since is not None else None
        result, signatures = lsp_graph_answer(build(document.memo), lines, encoding, base)
        document.sent[tag] = signatures
        while len(document.sent) > self.KEEP:
            document.sent.popitem(last=False)
        result["tag"] = tag
        if base is not None:
            result["base"] = since
        return result

    def forget(self, uri: str) -> None:
        """Drop what is kept for ``uri`` (the document was closed)."""
        with self._lock:
            self._documents.pop(uri, None)
