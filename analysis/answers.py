"""The answer type of a flow: what a ``flow/subflow`` node calling it emits on ``out``.

A called flow runs from its first ``trigger/manual``. The node's ``out`` is the body of
the flow's ``http/respond`` answer, ``null`` when the flow ends without answering; an
answer with a status of 400 or more, or a failed execution, goes to the node's
``error`` port instead (the compiled ``CallFlow`` and the simulator agree). So the
answer type is the union of the body types of the ``http/respond`` nodes that the
manual trigger reaches and whose ``status`` is below 400 (a respond without ``body``
sends its input: its input type).

**No answer: any, not ``| null``.** When some run from the trigger can end without any
respond node (the walk behind NF014: the alternative output ports of a node, if/switch
branches and ``out`` against ``error``, must each reach one; an unconnected ``error``
port fails the execution, which goes to the caller's ``error`` port, not to ``out``),
``out`` may be null, and so may it after a ``204`` answer (the simulator drops its
body). The type would be ``T | null``, but the generated Go code holds a ``T | null``
port as a ``T`` (``codegen/gotypes.py`` collapses the null away), where a null answer
fails to decode and becomes a node error while the simulator passes null on. Such a
flow's answer is left as ``any`` instead: Go then holds the JSON value, null included,
and the contract "``out`` is null when the flow ends without answering" holds in both.

It is ``any`` too (nothing checked, as before) when it cannot be told: an unknown flow,
one without manual trigger, a call that comes back to the caller (a cycle, which NF026
reports), a callee that does not parse or whose analysis crashed, a reachable node of
an unknown type or a responding node other than ``http/respond``, a respond whose
status or body has an error, and a flow that always answers 400 or more (its ``out``
never fires).

**Lazy and cached.** Only the flows that a ``flow/subflow`` node calls are analysed, on
the first question; the answer is kept in the workspace's flow index
(:class:`~nodeforge.analysis.flowindex.FlowIndex`) under the digests of the callee's
text and of every flow its calls reach (:meth:`~.FlowIndex.answer_key`), so it is
computed again only when one of those texts changed. A language server that has
analysed an open called flow anyway hands its answer over (:func:`with_answer`,
:func:`seed`), so callers do not analyse it a second time, and puts the answer in the
flow's summary, whose equality decides whether callers are re-analysed: typing in a
called flow re-analyses its callers only when its answer type changes.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nodeforge.analysis.catalog import NodeManifest
from nodeforge.analysis.engine import (
    MISSING,
    Analysis,
    CheckContext,
    NodeFacts,
    analyze,
    flow_answer_keys,
    path_without_response,
)
from nodeforge.analysis.flow import NodeInfo
from nodeforge.analysis.flowindex import MANUAL_TRIGGER, AnswerKey, FlowSummary, text_digest
from nodeforge.analysis.types import ANY, Type, union
from nodeforge.analysis.workspace import Workspace

RESPOND = "http/respond"

__all__ = [
    "answer_of",
    "called_answer",
    "flow_answer",
    "node_answers",
    "recording",
    "seed",
    "with_answer",
]


class _State(threading.local):
    """Per thread: the flows whose answers are being computed (the recursion guard), how
    often the guard answered any, and the answer keys the current analyses consulted."""

    def __init__(self) -> None:
        self.busy: set[str] = set()
        self.guarded = 0
        self.consulted: list[set[tuple[str, str | None]]] = []


_state = _State()


@contextmanager
def recording() -> Iterator[set[tuple[str, str | None]]]:
    """Collect the answer-key entries that the analyses run inside consult (not those
    of the callees' own analyses): what an analysis's types depend on in other flows."""
    used: set[tuple[str, str | None]] = set()
    _state.consulted.append(used)
    try:
        yield used
    finally:
        _state.consulted.pop()


def node_answers(ctx: CheckContext, node: NodeInfo, manifest: NodeManifest) -> dict[str, Type]:
    """The answer types a node's ``$flowAnswer`` port schemas name, by config key: those
    of the flows its config calls, from the flow this context analyses."""
    own = ctx.doc.value.get("id")
    caller = own if isinstance(own, str) else None
    return {
        key: called_answer(ctx.workspace, caller, node.config.get(key))
        for key in flow_answer_keys(manifest)
    }


def called_answer(workspace: Workspace, caller_id: str | None, target: Any) -> Type:
    """The type of ``out`` of a flow/subflow node of flow ``caller_id`` calling ``target``."""
    if not isinstance(target, str):
        return ANY
    index = workspace.flows
    key = index.answer_key(target)
    if _state.consulted:
        _state.consulted[-1].update(key)
    summary = index.get(target)
    if summary is None or not summary.manual_triggers:
        return ANY  # NF026
    if caller_id is not None and any(fid == caller_id for fid, _ in key):
        return ANY  # the calls come back to the caller: NF026
    return flow_answer(workspace, target)


def flow_answer(workspace: Workspace, flow_id: str) -> Type:
    """The answer type of flow ``flow_id`` (see the module's docs); cached in the index."""
    index = workspace.flows
    key = index.answer_key(flow_id)
    hit = index.cached_answer(flow_id, key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    if flow_id in _state.busy:
        _state.guarded += 1  # the index's calls disagree with the texts: give up here
        return ANY
    summary = index.get(flow_id)
    if summary is None:
        return ANY
    text = _text_of(summary)
    if text is None:
        return ANY
    guarded = _state.guarded
    _state.busy.add(flow_id)
    try:
        with recording():  # the callee's own dependencies are in its key already
            analysis = analyze(text, summary.uri, None, workspace)
        answer = answer_of(analysis)
    finally:
        _state.busy.discard(flow_id)
    if _state.guarded == guarded and index.answer_key(flow_id) == key:
        index.store_answer(flow_id, key, answer)
    return answer


def _text_of(summary: FlowSummary) -> str | None:
    """The text the summary was made from: an open document's, else its file's (None
    when the file changed since it was read, or cannot be read)."""
    if summary.text is not None:
        return summary.text
    if summary.path is None or summary.digest is None:
        return None  # made without its text: which text is unknown
    try:
        data = summary.path.read_bytes()
    except OSError:
        return None
    if text_digest(data) != summary.digest:
        return None  # changed on disk: the watcher's reload comes next
    return data.decode("utf-8", "replace")


def answer_of(analysis: Analysis) -> Type:
    """The answer type of the analysed flow, from its first manual trigger."""
    if any(d.code in ("NF000", "NF001") for d in analysis.diagnostics):
        return ANY
    trigger = next(
        (n.id for n in analysis.document.nodes if n.type == MANUAL_TRIGGER and n.id is not None),
        None,
    )
    if trigger is None or trigger not in analysis.graph.successors:
        return ANY
    responds = _responds(analysis, trigger)
    if responds is None:
        return ANY
    bodies: list[Type] = []
    for fact in responds:
        config = fact.node.config
        status = config.get("status", 200)
        if not isinstance(status, int) or isinstance(status, bool):
            return ANY
        if status >= 400:
            continue
        if status == 204:
            return ANY  # may come without its body: null (see the module's docs)
        if "body" not in config:
            body = fact.input_types.get("in", ANY)
        else:
            site = next((s for s in fact.expressions if s.config_path == ("body",)), None)
            if site is None or site.result is None or site.syntax_errors or site.result.errors:
                return ANY
            body = site.result.type
        bodies.append(body)
    if not bodies:
        return ANY  # it never answers below 400: `out` never fires
    return union(*bodies)


_SWITCH = "flow/switch"


def _responds(analysis: Analysis, trigger: str) -> list[NodeFacts] | None:
    """The facts of the respond nodes that ``trigger`` reaches, in document order; None
    when the answer cannot be typed from them: a reached node of unknown type, another
    responding type, or a run that can end without answering (``out`` may be null).

    Which nodes those are, and whether a run can end without answering, are facts of the
    graph (its ids, types and connections) and of the ``flow/switch`` nodes' case counts:
    kept in the analysis's memo for the next analysis of the document (an open called
    flow's answer is asked for after each edit; most edits change neither)."""
    graph, facts, memo = analysis.graph, analysis.facts, analysis.memo
    switches: tuple[str, ...] = memo.get("answer-switches", graph)
    if switches is MISSING:
        switches = tuple(
            nid for nid in graph.nodes if (f := facts.get(nid)) and f.node.type == _SWITCH
        )
        memo.put("answer-switches", graph, None, switches)
    cases = tuple(_case_count(facts[nid].node.config) for nid in switches if nid in facts)
    shape: tuple[str, ...] | None = memo.get("answer-shape", graph, (trigger, cases))
    if shape is MISSING:
        shape = _shape(analysis, trigger)
        memo.put("answer-shape", graph, (trigger, cases), shape)
    if shape is None:
        return None
    found = [facts.get(nid) for nid in shape]
    return [f for f in found if f is not None]


def _case_count(config: dict[str, Any]) -> int:
    cases = config.get("cases")
    return len(cases) if isinstance(cases, list) else 0


def _shape(analysis: Analysis, trigger: str) -> tuple[str, ...] | None:
    """The ids of the respond nodes ``trigger`` reaches (see :func:`_responds`)."""
    graph, facts = analysis.graph, analysis.facts
    reached = graph.reachable_from([trigger])
    responds: list[str] = []
    for nid in (n for n in graph.nodes if n in reached):  # document order: a stable union
        fact = facts.get(nid)
        manifest = fact.manifest if fact is not None else None
        if manifest is None:
            return None  # a node of unknown type: it may answer anything
        if manifest.responds:
            if manifest.type != RESPOND:
                return None
            responds.append(nid)
    if path_without_response(graph, facts, trigger) is not None:
        return None  # `out` may be null (see the module's docs)
    return tuple(responds)


# -- a server's open documents ---------------------------------------------------------------


def with_answer(workspace: Workspace, summary: FlowSummary, analysis: Analysis) -> FlowSummary:
    """``summary`` of an open document, with the answer type of its ``analysis`` as its
    fingerprint when some flow calls it (else it stays None: nobody asks)."""
    if not summary.manual_triggers or not workspace.flows.is_called(summary.id):
        return summary
    return dataclasses.replace(summary, fingerprint=answer_of(analysis))


def seed(workspace: Workspace, summary: FlowSummary, used: set[tuple[str, str | None]]) -> None:
    """Cache the answer of an open document (``summary``, set as its overlay, with its
    answer as fingerprint: :func:`with_answer`) that its analysis computed consulting
    ``used`` (:func:`recording`): callers then need not analyse it again. Kept only when
    that is exactly what its answer key names now (nothing it depends on changed)."""
    if summary.fingerprint is None:
        return
    index = workspace.flows
    if index.get(summary.id) is not summary:
        return  # another file holds the id
    key: AnswerKey = index.answer_key(summary.id)
    if set(key) == {*used, (summary.id, index.digest(summary))}:
        index.store_answer(summary.id, key, summary.fingerprint)
