"""``nodeforge assist``: the model writes or changes a flow, an adapter or a node's Go code,
and only what passes the checks is offered (docs/llm.md).

- ``nodeforge assist "DESCRIPTION" [-o FILE]``: a new flow (printed, or written to FILE);
- ``nodeforge assist "CHANGE" --flow FLOW [--apply]``: an edited flow, as a unified diff
  (written only with ``--apply``);
- ``nodeforge assist --adapter FLOW INDEX [--apply]``: a ``data/map`` adapter for the
  mismatched connection number INDEX (the model is asked only for fields the matcher
  cannot match by name and type);
- ``nodeforge assist --node FLOW NODE "CHANGE" [--tests FILE] [--apply]``: new Go code for
  a ``code/go`` node, built and tested in the sandbox, shown as a diff with the model's
  own test; for a forked or custom node (a kit of the workspace's ``nodes/``), its kit's
  Go files changed, vetted and tested (its ``*_test.go`` and the model's new test file)
  in the sandbox, shown as a diff of the kit's files (``--apply`` writes them).

``--show-prompt`` prints every request body sent to the provider (on stderr, exactly as
sent; secrets are never in them). Exit codes: 0 offered, 1 nothing acceptable (after the
rounds, a refusal, a provider failure), 2 usage (no workspace, no ``llm`` connector, a
bad argument).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nodeforge.analysis.catalog import CatalogError
from nodeforge.analysis.engine import analyze
from nodeforge.analysis.workspace import Workspace, WorkspaceError, load_workspace
from nodeforge.assist.repair import check_rounds
from nodeforge.llm.types import LLMError
from nodeforge.project.fsutil import ProjectError, UsageError, require_root

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
NAME = "nodeforge assist"


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (UsageError, ValueError, CatalogError, WorkspaceError) as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LLMError as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.kind == "config" else EXIT_REFUSED
    except ProjectError as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return EXIT_REFUSED


def _run(args: argparse.Namespace) -> int:
    check_rounds(args.max_rounds)
    modes = [m for m in ("flow", "node", "adapter") if getattr(args, m)]
    if len(modes) > 1:
        raise UsageError("use only one of --flow, --node and --adapter")
    mode = modes[0] if modes else "new"
    if args.output is not None and mode != "new":
        raise UsageError("-o is for a new flow; --flow, --node and --adapter change a file")
    if mode != "adapter" and not (args.description or "").strip():
        raise UsageError('say what to build or change: nodeforge assist "DESCRIPTION"')
    if args.tests is not None and mode != "node":
        raise UsageError("--tests goes with --node")
    start = {
        "new": args.output.parent if args.output is not None else None,
        "flow": args.flow,
        "node": Path(args.node[0]) if args.node else None,
        "adapter": Path(args.adapter[0]) if args.adapter else None,
    }[mode]
    root = require_root(
        start.resolve().parent if start is not None and start.is_file() else start,
        explicit=args.workspace,
    )
    workspace = load_workspace(root)
    show = _printer() if args.show_prompt else None
    if mode == "new":
        return _new_flow(args, root, workspace, show)
    if mode == "flow":
        return _edit_flow(args, root, workspace, Path(args.flow), show)
    if mode == "adapter":
        return _adapter(args, root, workspace, show)
    return _node(args, root, workspace, show)


def _client(root: Path, feature: str, args: argparse.Namespace) -> Any:
    from nodeforge.llm import client_for

    return client_for(root, feature, connector=args.connector)


def _printer() -> Callable[[dict[str, Any]], None]:
    count = 0

    def show(body: dict[str, Any]) -> None:
        nonlocal count
        count += 1
        print(f"--- request {count} ---", file=sys.stderr)
        print(json.dumps(body, indent=2, ensure_ascii=False), file=sys.stderr)

    return show


def _progress(args: argparse.Namespace) -> Callable[[int], None] | None:
    if args.json:
        return None
    return lambda n: print(f"{NAME}: round {n}...", file=sys.stderr)


def _read_flow(path: Path) -> str:
    if not path.is_file():
        raise UsageError(f"{path}: no such flow file")
    return path.read_text(encoding="utf-8")


def _rounds_line(result: Any) -> str:
    o = result.outcome
    return f"{o.message} ({o.rounds} round(s), {o.input_tokens} tokens in, {o.output_tokens} out)"


def _refused(args: argparse.Namespace, result: Any) -> int:
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        for attempt in result.outcome.attempts:
            for problem in attempt.problems[:5]:
                print(f"  round {attempt.round}: {problem}", file=sys.stderr)
    print(f"{NAME}: nothing offered: {result.outcome.message}", file=sys.stderr)
    return EXIT_REFUSED


def _new_flow(args: argparse.Namespace, root: Path, workspace: Workspace, show: Any) -> int:
    from nodeforge.assist.flows import assist_flow

    output: Path | None = args.output
    if output is not None and output.exists():
        raise UsageError(f"{output} exists: change it with --flow {output}")
    target = (output or root / "assist.flow.json").resolve()
    client = _client(root, "assist", args)
    result = assist_flow(
        client,
        workspace,
        args.description,
        uri=target.as_uri(),
        max_rounds=args.max_rounds,
        show_prompt=show,
        on_round=_progress(args),
    )
    if not result.ok or result.proposal is None:
        return _refused(args, result)
    text = result.proposal.text
    if output is not None:
        _write_new(output, text)
    if args.json:
        print(
            json.dumps({**result.as_dict(), "text": text, "written": str(output or "")}, indent=2)
        )
    else:
        if output is None:
            sys.stdout.write(text)
        else:
            print(f"{NAME}: wrote {output}", file=sys.stderr)
        print(f"{NAME}: check-clean: {_rounds_line(result)}", file=sys.stderr)
        for warning in result.proposal.warnings:
            print(f"  warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _offer_change(
    args: argparse.Namespace, path: Path, old: str, new: str, result: Any, extra: str = ""
) -> int:
    from nodeforge.assist.flows import unified_diff

    diff = unified_diff(old, new, path.as_posix())
    if args.apply:
        if _read_flow(path) != old:
            raise ProjectError(f"{path} changed while the model was answering: not written")
        path.write_text(new, encoding="utf-8")
    if args.json:
        print(json.dumps({**result.as_dict(), "diff": diff, "applied": args.apply}, indent=2))
        return EXIT_OK
    if extra:
        sys.stdout.write(extra)
    sys.stdout.write(diff)
    what = (
        f"{NAME}: applied to {path}" if args.apply else f"{NAME}: not written (--apply writes it)"
    )
    print(f"{what}; {_rounds_line(result)}", file=sys.stderr)
    return EXIT_OK


def _edit_flow(
    args: argparse.Namespace, root: Path, workspace: Workspace, path: Path, show: Any
) -> int:
    from nodeforge.assist.flows import assist_flow

    old = _read_flow(path)
    client = _client(root, "assist", args)
    result = assist_flow(
        client,
        workspace,
        args.description,
        uri=path.resolve().as_uri(),
        current_text=old,
        max_rounds=args.max_rounds,
        show_prompt=show,
        on_round=_progress(args),
    )
    if not result.ok or result.proposal is None:
        return _refused(args, result)
    return _offer_change(args, path, old, result.proposal.text, result)


def _adapter(args: argparse.Namespace, root: Path, workspace: Workspace, show: Any) -> int:
    from nodeforge.assist.adapters import AdapterError, adapt

    path = Path(args.adapter[0])
    try:
        index = int(args.adapter[1])
    except ValueError:
        raise UsageError(
            f"--adapter {args.adapter[1]}: the connection index must be a number"
        ) from None
    old = _read_flow(path)
    analysis = analyze(old, uri=path.resolve().as_uri(), workspace=workspace)
    client = None
    try:
        client = _client(root, "adapter", args)
    except LLMError as exc:
        if exc.kind != "config":
            raise
        no_model: LLMError | None = exc
    else:
        no_model = None
    try:
        result = adapt(
            client,
            analysis,
            index,
            max_rounds=args.max_rounds,
            show_prompt=show,
            on_round=_progress(args),
        )
    except AdapterError as exc:
        if no_model is not None:
            raise no_model from None
        raise UsageError(str(exc)) from None
    if not result.ok or result.outcome.value is None:
        return _refused(args, result)
    return _offer_change(args, path, old, result.outcome.value.text, result)


def _node(args: argparse.Namespace, root: Path, workspace: Workspace, show: Any) -> int:
    from nodeforge.assist.customize import (
        CustomizeError,
        customize_node,
        editable_kit,
        parse_tests,
    )

    path = Path(args.node[0])
    node_id = args.node[1]
    old = _read_flow(path)
    analysis = analyze(old, uri=path.resolve().as_uri(), workspace=workspace)
    if editable_kit(analysis, node_id) is not None:
        if args.tests is not None:
            raise UsageError("--tests is for code/go nodes: a kit's tests are its *_test.go")
        return _kit(args, root, analysis, node_id, show)
    tests = []
    if args.tests is not None:
        try:
            tests = parse_tests(json.loads(Path(args.tests).read_text(encoding="utf-8")))
        except ValueError as exc:
            raise UsageError(f"--tests {args.tests}: {exc}") from None
    client = _client(root, "customize", args)
    try:
        result = customize_node(
            client,
            analysis,
            node_id,
            args.description,
            tests=tests,
            max_rounds=args.max_rounds,
            show_prompt=show,
            on_round=_progress(args),
        )
    except CustomizeError as exc:
        raise ProjectError(str(exc)) from None
    if not result.ok or result.outcome.value is None:
        return _refused(args, result)
    change = result.outcome.value
    shown = [f"The model's test ({change.test.name}):", json.dumps(change.test.as_dict(), indent=2)]
    shown += [f"  {'pass' if r.passed else 'FAIL'} {r.test.name}: {r.detail}" for r in change.runs]
    extra = "\n".join(shown) + "\n\n" + result.source_diff() + "\n"
    return _offer_change(args, path, old, change.text, result, extra)


def _kit(args: argparse.Namespace, root: Path, analysis: Any, node_id: str, show: Any) -> int:
    """``--node`` on a forked or custom node: its kit's Go files (docs/llm.md)."""
    from nodeforge.assist.customize import CustomizeError, customize_kit, write_kit_change

    client = _client(root, "customize", args)
    try:
        result = customize_kit(
            client,
            analysis,
            node_id,
            args.description,
            max_rounds=args.max_rounds,
            show_prompt=show,
            on_round=_progress(args),
        )
    except CustomizeError as exc:
        raise ProjectError(str(exc)) from None
    change = result.outcome.value
    if not result.ok or change is None:
        return _refused(args, result)
    if args.apply:
        try:
            write_kit_change(change)
        except CustomizeError as exc:
            raise ProjectError(str(exc)) from None
    if args.json:
        print(json.dumps({**result.as_dict(), "applied": args.apply}, indent=2))
        return EXIT_OK
    sys.stdout.write(f"The model's test ({change.test_file}); {change.tests}\n\n")
    sys.stdout.write(result.source_diff())
    where = result.as_dict()["kit"]
    what = f"{NAME}: applied to {where}" if args.apply else f"{NAME}: not written (--apply)"
    print(f"{what}; {_rounds_line(result)}", file=sys.stderr)
    return EXIT_OK
