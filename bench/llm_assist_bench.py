"""The assistant's overhead around the model (issue 14): budget 100 ms per round on a
100-node workspace, and the size of the catalog context in tokens.

    python -m bench.llm_assist_bench            # 20 runs
    python -m bench.llm_assist_bench -n 50 --nodes 100

The model is scripted in-process (it answers at once), so every millisecond measured is
the assistant's own: building the context and the messages, reading the answer, laying
the proposal out, analysing it with the workspace, and the repair bookkeeping. Each run
edits a 100-node flow (so the context carries that flow too) in two rounds: the first
answer has two errors (an unknown node version, an unknown connector), the second is
clean. Reported: the median per round of the whole loop, and of its parts; the context
sizes (chars / 4 tokens, see nodeforge/assist/catalog_context.py).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.genflow import generate_flow
from nodeforge.analysis.ide.format import format_document
from nodeforge.analysis.workspace import load_workspace
from nodeforge.assist.catalog_context import build_context, estimate_tokens
from nodeforge.assist.flows import assist_flow, check_flow
from nodeforge.llm.types import ChatRequest, ChatResponse, Usage

ROOT = Path(__file__).resolve().parents[1]


class ScriptedModel:
    """Answers with the scripted data at once, like a provider's structured output."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = list(answers)

    def chat(self, request: ChatRequest, **_: Any) -> ChatResponse:
        data = self.answers.pop(0)
        return ChatResponse(json.dumps(data), data, Usage(0, 0), "scripted", "bench", False, None)


def workspace_folder(tmp: Path, nodes: int) -> tuple[Path, dict[str, Any], str]:
    root = tmp / "ws"
    (root / "flows").mkdir(parents=True)
    (root / "nodeforge.toml").write_text(
        '[project]\nname = "bench"\n\n[connectors.shopdb]\ntype = "postgres"\n\n'
        '[connectors.assistant]\ntype = "llm"\n',
        encoding="utf-8",
    )
    flow = generate_flow(nodes, error_rate=0)
    text = format_document(json.dumps(flow))
    assert text is not None
    (root / "flows" / "big.flow.json").write_text(text, encoding="utf-8")
    return root, flow, text


def broken(flow: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(flow)
    out["nodes"][1]["version"] = "9.9.9"
    out["nodes"].append(
        {
            "id": "store",
            "type": "sql/exec",
            "version": "1.0.0",
            "config": {"connector": "nowhere", "statement": "SELECT 1"},
        }
    )
    return out


def run(n: int, nodes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root, flow, text = workspace_folder(Path(tmp), nodes)
        workspace = load_workspace(root)
        uri = (root / "flows" / "big.flow.json").as_uri()
        edited = copy.deepcopy(flow)
        edited["nodes"][1]["title"] = "Renamed"
        loop_ms, context_ms, check_ms = [], [], []
        rounds = 0
        for _ in range(n):
            model = ScriptedModel([broken(flow), edited])
            started = time.perf_counter()
            result = assist_flow(
                model, workspace, "rename the first node", uri=uri, current_text=text
            )
            elapsed = (time.perf_counter() - started) * 1000
            assert result.ok and result.outcome.rounds == 2, result.outcome.message
            rounds = result.outcome.rounds
            loop_ms.append(elapsed / rounds)
            t0 = time.perf_counter()
            build_context(workspace, flow_text=text)
            context_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            check_flow(broken(flow), workspace, uri)
            check_ms.append((time.perf_counter() - t0) * 1000)
        bare = build_context(load_workspace(None))
        examples = build_context(load_workspace(ROOT / "examples"))
        editing = build_context(workspace, flow_text=text)
        return {
            "nodes": nodes,
            "runs": n,
            "rounds": rounds,
            "per_round_ms": statistics.median(loop_ms),
            "per_round_max_ms": max(loop_ms),
            "context_ms": statistics.median(context_ms),
            "check_ms": statistics.median(check_ms),
            "context_tokens_standard_catalog": estimate_tokens(bare),
            "context_tokens_examples_workspace": estimate_tokens(examples),
            "context_tokens_with_flow": estimate_tokens(editing),
            "flow_tokens": estimate_tokens(text),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("-n", type=int, default=20, help="runs (default 20)")
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = run(args.n, args.nodes)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"assistant overhead, {figures['nodes']}-node flow, {figures['runs']} runs:")
    print(
        f"  per round (whole loop): median {figures['per_round_ms']:.1f} ms, "
        f"max {figures['per_round_max_ms']:.1f} ms (budget 100 ms)"
    )
    print(f"  context building: {figures['context_ms']:.1f} ms")
    print(f"  validating one proposal (layout + analysis): {figures['check_ms']:.1f} ms")
    print("context size (tokens, chars/4):")
    print(f"  standard catalog alone: {figures['context_tokens_standard_catalog']}")
    print(f"  examples workspace: {figures['context_tokens_examples_workspace']}")
    print(
        f"  editing the {figures['nodes']}-node flow: {figures['context_tokens_with_flow']} "
        f"(the flow itself {figures['flow_tokens']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
