"""Flows from a description, and edits of an existing flow ("add retries to the API call").

The model proposes the whole flow file (structured output); every proposal is laid out
in the canonical format and analysed with the workspace (:func:`analyze`), and its
errors go back to the model for a bounded number of rounds (:mod:`.repair`). Only a
flow without errors is offered: as a new file, or, when editing, as a unified diff and
the minimal text edits that turn the old text into the new one.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nodeforge.analysis.diagnostics import Diagnostic, Severity
from nodeforge.analysis.engine import Analysis, analyze
from nodeforge.analysis.ide.format import format_document
from nodeforge.analysis.ide.model import TextEdit
from nodeforge.analysis.text import Span
from nodeforge.analysis.workspace import Workspace
from nodeforge.assist import prompts
from nodeforge.assist.catalog_context import build_context
from nodeforge.assist.repair import DEFAULT_MAX_ROUNDS, ChatClient, Checked, Outcome, run_loop

FEATURE = "assist"


@dataclass
class FlowProposal:
    """A check-clean flow: its canonical text and the analysis that passed it."""

    text: str
    analysis: Analysis
    warnings: list[str] = field(default_factory=list)

    @property
    def flow_id(self) -> str:
        value = self.analysis.document.value.get("id")
        return value if isinstance(value, str) else ""


@dataclass
class AssistResult:
    outcome: Outcome[FlowProposal]
    old_text: str | None = None  # the edited flow's text, when editing

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    @property
    def proposal(self) -> FlowProposal | None:
        return self.outcome.value

    def diff(self, path: str) -> str:
        """The unified diff from the old text to the proposal (editing only)."""
        if self.proposal is None or self.old_text is None:
            return ""
        return unified_diff(self.old_text, self.proposal.text, path)

    def edits(self) -> list[TextEdit]:
        """Minimal edits from the old text to the proposal (editing only)."""
        if self.proposal is None or self.old_text is None:
            return []
        return minimal_edits(self.old_text, self.proposal.text)

    def as_dict(self) -> dict[str, Any]:
        proposal = self.proposal
        return {
            "ok": self.ok,
            "rounds": self.outcome.rounds,
            "message": self.outcome.message,
            "error_kind": self.outcome.error_kind,
            "attempts": [a.as_dict() for a in self.outcome.attempts],
            "flow_id": proposal.flow_id if proposal is not None else None,
            "warnings": proposal.warnings if proposal is not None else [],
            "input_tokens": self.outcome.input_tokens,
            "output_tokens": self.outcome.output_tokens,
        }


def describe_diagnostic(analysis: Analysis, d: Diagnostic) -> str:
    """``NF009 in connection 2 (a.out -> b.in): message`` / ``NF006 in node `x`: ...``:
    where a problem is, in the terms of the JSON the model wrote."""
    doc = analysis.document
    where = "in the flow"
    for node in doc.nodes:
        span = doc.span_of(node.path)
        if span.start <= d.span.start and d.span.end <= span.end:
            where = f"in node `{node.id}`" if node.id else f"in node #{node.index}"
            break
    else:
        for conn in doc.connections:
            span = doc.span_of(conn.path)
            if span.start <= d.span.start and d.span.end <= span.end:
                frm, to = conn.value.get("from"), conn.value.get("to")
                where = f"in connection {conn.index} ({frm} -> {to})"
                break
    return f"{d.code} {where}: {d.message}"


def unwrap_flow(data: Any) -> Any:
    """The flow object of an answer: the object itself, or its ``flow`` member when
    a model wraps it (``{"flow": {...}}``)."""
    if isinstance(data, dict) and "nodes" not in data and isinstance(data.get("flow"), dict):
        return data["flow"]
    return data


def check_flow(
    data: Any, workspace: Workspace, uri: str, *, keep_id: str | None = None
) -> Checked[FlowProposal]:
    """Lay the proposal out canonically and analyse it: the proposal with its warnings
    when it has no error, else the problems (errors, each located)."""
    flow = unwrap_flow(data)
    if not isinstance(flow, dict):
        return None, [f"the answer must be a JSON object (the flow file), not {_kind(flow)}"]
    problems: list[str] = []
    if keep_id is not None and flow.get("id") != keep_id:
        problems.append(f"keep the flow's id `{keep_id}` (the answer has {flow.get('id')!r})")
    text = format_document(json.dumps(flow, ensure_ascii=False))
    if text is None:  # json.dumps gave JSON: only a non-finite number gets here
        return None, ["the flow is not valid JSON (NaN or Infinity are not JSON numbers)"]
    analysis = analyze(text, uri=uri, workspace=workspace)
    for d in analysis.diagnostics:
        if d.severity == Severity.ERROR:
            problems.append(describe_diagnostic(analysis, d))
    if problems:
        return None, problems
    warnings = [
        describe_diagnostic(analysis, d)
        for d in analysis.diagnostics
        if d.severity == Severity.WARNING
    ]
    return FlowProposal(text, analysis, warnings), []


def assist_flow(
    client: ChatClient,
    workspace: Workspace,
    description: str,
    *,
    uri: str,
    current_text: str | None = None,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    show_prompt: Callable[[dict[str, Any]], None] | None = None,
    on_round: Callable[[int], None] | None = None,
) -> AssistResult:
    """A new flow for ``description`` (``current_text`` None), or the flow
    ``current_text`` changed as it says. ``uri`` is where the flow lives (or will):
    the analysis reads the workspace's other flows from there."""
    if not description.strip():
        raise ValueError("the description is empty")
    keep_id: str | None = None
    if current_text is not None:
        try:
            current = json.loads(current_text)
        except ValueError:
            current = None
        if isinstance(current, dict) and isinstance(current.get("id"), str):
            keep_id = current["id"]
    context = build_context(workspace, flow_text=current_text)
    messages = prompts.flow_messages(context, description, editing=current_text is not None)
    outcome = run_loop(
        client,
        messages,
        lambda data: check_flow(data, workspace, uri, keep_id=keep_id),
        feature=FEATURE,
        schema=prompts.FLOW_SCHEMA,
        schema_name="flow",
        max_rounds=max_rounds,
        show_prompt=show_prompt,
        on_round=on_round,
    )
    return AssistResult(outcome, current_text)


def unified_diff(old: str, new: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


def minimal_edits(old: str, new: str) -> list[TextEdit]:
    """Edits (code-point spans of ``old``) replacing only the lines that changed."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    edits: list[TextEdit] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(TextEdit(Span(starts[i1], starts[i2]), "".join(b[j1:j2])))
    return edits


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """``text`` with non-overlapping ``edits`` applied."""
    out = text
    for edit in sorted(edits, key=lambda e: e.span.start, reverse=True):
        out = out[: edit.span.start] + edit.new_text + out[edit.span.end :]
    return out


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
