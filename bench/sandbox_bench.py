"""Sandboxed node tests through the language server (issue 5), as root.

    python -m bench.sandbox_bench            # figures for docs/sandbox.md
    python -m bench.sandbox_bench -n 20

Drives an in-process language server session (the real transport and handlers, with
``server/dev_commands.py`` registered) over memory queues, and times
``workspace/executeCommand nodeforge.testNode`` from request to response:

- warm: a standard node (data/map) whose harness is cached (the editor's usual case);
- cold: a standard node whose config changed (new harness: codegen + ``go build`` with a
  warm Go build cache);
- custom edit: a code/go node whose source changed, re-tested (harness rebuilt);
- bare sandbox: ``/usr/bin/true`` through bubblewrap + seccomp + rlimits + a fresh uid;
- first in a workspace: the first test of a new workspace (its sandboxed build cache is
  made and seeded from the trusted one, the trusted packages are compiled outside).

Every ``go build`` of a node test runs inside the sandbox (``sandbox/gobuild.py``).

Budgets (issue 5): warm <= 300 ms median, cold <= 3 s, custom edit <= 1.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from nodeforge.sandbox.runner import run_sandboxed, unavailable_reason
from nodeforge.sandbox.testing import code_node_flow
from nodeforge.server import dev_commands
from nodeforge.server.lsp import create_server
from nodeforge.server.transport import serve_session
from tests.lsp.inprocess import MemoryClient


class Client(MemoryClient):
    async def start(self, root: Path, options: Any = None) -> dict[str, Any]:
        server = create_server()
        dev_commands.register(server)
        self.task = asyncio.create_task(
            serve_session(self.inbox.get, self, framed=False, redact_errors=True, server=server)
        )
        result = await self.request(
            "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
        )
        self.notify("initialized", {})
        return result


def map_flow(constant: int) -> str:
    return json.dumps(
        {
            "nodeforge": "1",
            "id": "bench",
            "name": "bench",
            "nodes": [
                {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
                {
                    "id": "shape",
                    "type": "data/map",
                    "version": "1.0.0",
                    "config": {"mapping": {"n": f"input.n * {constant}", "s": "string(input.n)"}},
                },
            ],
            "connections": [{"from": "start.out", "to": "shape.in"}],
        }
    )


CUSTOM = (
    "func Run(ctx context.Context, in Input) (Output, error) {{\n"
    '\treturn Output{{"v": {k}, "echo": in}}, nil\n}}\n'
)


async def timed_test(
    client: Client, uri: str, node: str, value: Any
) -> tuple[float, dict[str, Any]]:
    t = time.perf_counter()
    r = await client.request(
        "workspace/executeCommand",
        {
            "command": dev_commands.TEST_NODE,
            "arguments": [{"uri": uri, "node": node, "input": value}],
        },
        timeout=300,
    )
    ms = (time.perf_counter() - t) * 1000
    result = r.get("result")
    if not result or result.get("status") != "ok":
        raise RuntimeError(f"test failed: {r}")
    return ms, result


def replace_text(client: Client, uri: str, version: int, text: str) -> None:
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
    )


async def run(n: int) -> dict[str, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="nf-bench-"))
    client = Client()
    await client.start(folder)
    out: dict[str, list[float]] = {
        "first": [],
        "warm": [],
        "cold": [],
        "custom_edit": [],
        "bare": [],
    }
    stamp = int(time.time())
    try:
        path = folder / "bench.flow.json"
        path.write_text(map_flow(stamp))
        uri = client.open(path)
        await client.published(uri)
        ms, _ = await timed_test(client, uri, "shape", {"n": 1})  # build once
        out["first"].append(ms)
        for i in range(n):
            ms, _ = await timed_test(client, uri, "shape", {"n": i})
            out["warm"].append(ms)
        version = 1
        for i in range(max(3, n // 4)):
            version += 1
            replace_text(client, uri, version, map_flow(stamp + 1000 + i))
            ms, result = await timed_test(client, uri, "shape", {"n": i})
            assert not result["cached"]
            out["cold"].append(ms)
        custom = folder / "custom.flow.json"
        custom.write_text(code_node_flow(CUSTOM.format(k=stamp)))
        curi = client.open(custom)
        await client.published(curi)
        await timed_test(client, curi, "code", {})
        cversion = 1
        for i in range(max(3, n // 4)):
            cversion += 1
            replace_text(client, curi, cversion, code_node_flow(CUSTOM.format(k=stamp + 1 + i)))
            ms, result = await timed_test(client, curi, "code", {"i": i})
            assert not result["cached"]
            out["custom_edit"].append(ms)
    finally:
        await client.stop()
    for _ in range(n):
        t = time.perf_counter()
        run_sandboxed(["/usr/bin/true"])
        out["bare"].append((time.perf_counter() - t) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=15, help="repeats of the warm test")
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason is not None:
        print(f"sandbox unavailable: {reason}")
        return 1
    results = asyncio.run(run(args.n))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print("| operation | median ms | min | max | runs | budget |")
    print("| --- | --- | --- | --- | --- | --- |")
    budgets = {"first": "-", "warm": "300", "cold": "3000", "custom_edit": "1500", "bare": "-"}
    names = {
        "first": "testNode, first test in a new workspace (cache seeded)",
        "warm": "testNode, standard node, warm harness (LSP)",
        "cold": "testNode, standard node, new config (codegen + go build)",
        "custom_edit": "testNode, code/go edited and re-tested",
        "bare": "bare sandbox run (/usr/bin/true)",
    }
    for key, samples in results.items():
        print(
            f"| {names[key]} | {statistics.median(samples):.0f} | {min(samples):.0f} | "
            f"{max(samples):.0f} | {len(samples)} | {budgets[key]} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
