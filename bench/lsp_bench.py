"""Language-server latency through the real protocol (issue 3).

    python -m bench.lsp_bench                 # 1,000 and 5,000 nodes
    python -m bench.lsp_bench --sizes 1000 -n 100 --append docs/benchmarks.md

Starts ``nodeforge lsp --stdio`` as a subprocess and speaks JSON-RPC to it over its
pipes, exactly as an editor does, on flows from ``bench.genflow`` (valid flows of
catalog nodes with ~1% errors). Per size it reports:

- open: ``didOpen`` until the first ``publishDiagnostics`` (cold, full analysis);
- completion and hover: request to response on an unchanged document, at node
  types, config keys, expression paths and connection endpoints across the file;
- diagnostics after ``didChange``: from a one-character edit to the publish of
  that version, minus the configured debounce (150 ms), i.e. analysis +
  conversion + transport; and, on alternate edits, completion sent right after
  the edit (it has to wait for that version's analysis: the typing path);
- memory: the server's resident set growth per open document (five copies).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.genflow import generate_text

DEBOUNCE_MS = 150
ROOT = Path(__file__).resolve().parent.parent


class Server:
    """A bare JSON-RPC client over a server subprocess's pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.published: dict[tuple[str, int | None], float] = {}
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls) -> Server:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "nodeforge", "lsp", "--stdio",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=ROOT, limit=1 << 26,
        )  # fmt: skip
        return cls(process)

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                if not line.strip():
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(await stdout.readexactly(length))
            now = time.perf_counter()
            if "method" in message:
                if "id" in message:
                    self._write({"jsonrpc": "2.0", "id": message["id"], "result": None})
                elif message["method"] == "textDocument/publishDiagnostics":
                    params = message["params"]
                    self.published[(params["uri"], params.get("version"))] = now
            elif message.get("id") in self.pending:
                self.pending.pop(message["id"]).set_result((now, message))

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: Any) -> tuple[float, Any]:
        """(milliseconds from send to response, result)."""
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        started = time.perf_counter()
        self._write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        done, message = await asyncio.wait_for(future, 120)
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error']}")
        return (done - started) * 1000, message.get("result")

    async def published_at(self, uri: str, version: int, timeout: float = 120) -> float:
        deadline = time.perf_counter() + timeout
        while (uri, version) not in self.published:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no diagnostics for {uri}@{version}")
            await asyncio.sleep(0.0005)
        return self.published[(uri, version)]

    def rss_kb(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    async def stop(self) -> None:
        await self.request("shutdown", None)
        self.notify("exit", None)
        await asyncio.wait_for(self.process.wait(), 10)
        self.reader.cancel()


def position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def positions(text: str, needle: str, delta: int, count: int) -> list[dict[str, int]]:
    """``count`` positions spread over the file, each ``delta`` past a ``needle``."""
    found: list[int] = []
    start = 0
    while (i := text.find(needle, start)) >= 0:
        found.append(i + delta)
        start = i + 1
    step = max(1, len(found) // count)
    return [position(text, i) for i in found[::step][:count]]


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "max": ordered[-1],
    }


async def bench_size(nodes: int, repeats: int) -> dict[str, Any]:
    text = generate_text(nodes)
    server = await Server.start()
    root = (ROOT / "examples").as_uri()
    await server.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root,
            "capabilities": {
                "textDocument": {
                    "completion": {"completionItem": {"snippetSupport": True}},
                }
            },
            "initializationOptions": {"debounceMs": DEBOUNCE_MS},
        },
    )
    server.notify("initialized", {})
    warm_uri = (ROOT / "examples" / "warm.flow.json").as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": warm_uri, "languageId": "json", "version": 1, "text": "{}"}},
    )
    await server.published_at(warm_uri, 1)
    base_rss = server.rss_kb()

    uri = (ROOT / "examples" / f"bench_{nodes}.flow.json").as_uri()
    doc = {"uri": uri}
    started = time.perf_counter()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}},
    )
    open_ms = (await server.published_at(uri, 1) - started) * 1000
    one_doc_rss = server.rss_kb()

    async def measure(method: str, spots: list[dict[str, int]]) -> list[float]:
        out = []
        for spot in (spots * (repeats // max(1, len(spots)) + 1))[:repeats]:
            ms, _ = await server.request(method, {"textDocument": doc, "position": spot})
            out.append(ms)
        return out

    completion_spots = (
        positions(text, '"type": "', len('"type": "') + 3, 10)  # node types
        + positions(text, "input.total", len("input."), 10)  # expression fields
        + positions(text, '"config": {', len('"config": {'), 10)  # config keys
        + positions(text, '"to": "', len('"to": "') + 2, 10)  # endpoints
    )
    hover_spots = (
        positions(text, '"type": "', len('"type": "') + 3, 10)
        + positions(text, "input.total", len("input.") + 2, 10)
        + positions(text, '"from": "', len('"from": "') + 2, 10)
        + positions(text, '"level"', 2, 10)
    )
    completion = await measure("textDocument/completion", completion_spots)
    hover = await measure("textDocument/hover", hover_spots)

    # Edits: flip one character of a config value; time until that version is published.
    edit_at = text.index('"input.total > 100"') + len('"input.total > 10')
    edit_pos = position(text, edit_at)
    diagnostics: list[float] = []
    typing_completion: list[float] = []
    version = 1
    for i in range(max(20, repeats // 3)):
        version += 1
        change = {
            "range": {
                "start": edit_pos,
                "end": {**edit_pos, "character": edit_pos["character"] + 1},
            },
            "text": str(i % 10),
        }
        sent = time.perf_counter()
        server.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        if i % 2:  # the typing path: completion right after the edit waits for its analysis
            ms, _ = await server.request(
                "textDocument/completion", {"textDocument": doc, "position": completion_spots[1]}
            )
            typing_completion.append(ms)
            await server.published_at(uri, version)
        else:  # diagnostics alone: debounce, analysis, conversion, transport
            published = await server.published_at(uri, version)
            diagnostics.append((published - sent) * 1000 - DEBOUNCE_MS)
        await asyncio.sleep(0.3)  # a pause between keystrokes, as when typing

    # Memory: four more copies of the document.
    for copy in range(4):
        copy_uri = uri.replace(".flow.json", f"_{copy}.flow.json")
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": copy_uri, "languageId": "json", "version": 1, "text": text}},
        )
        await server.published_at(copy_uri, 1)
    five_docs_rss = server.rss_kb()
    await server.stop()
    return {
        "nodes": nodes,
        "bytes": len(text.encode()),
        "open_ms": open_ms,
        "completion": summary(completion),
        "hover": summary(hover),
        "diagnostics_after_change": summary(diagnostics),
        "completion_after_change": summary(typing_completion),
        "rss_first_doc_mb": (one_doc_rss - base_rss) / 1024,
        "rss_per_doc_mb": (five_docs_rss - one_doc_rss) / 4 / 1024,
        "rss_total_mb": five_docs_rss / 1024,
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()}, load average {load}"
    )


def render(results: list[dict[str, Any]]) -> str:
    def fmt(s: dict[str, float]) -> str:
        return f"{s['median']:.1f} / {s['p95']:.1f} / {s['max']:.1f}"

    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, "
        f"with `python -m bench.lsp_bench` (stdio, debounce {DEBOUNCE_MS} ms subtracted).",
        "",
        "| measure (ms: median / p95 / max) | "
        + " | ".join(f"{r['nodes']:,} nodes ({r['bytes'] / 1e6:.1f} MB)" for r in results)
        + " |",
        "| --- |" + " --- |" * len(results),
        "| open to first diagnostics | "
        + " | ".join(f"{r['open_ms']:.0f}" for r in results)
        + " |",
        "| completion | " + " | ".join(fmt(r["completion"]) for r in results) + " |",
        "| hover | " + " | ".join(fmt(r["hover"]) for r in results) + " |",
        "| diagnostics after `didChange` | "
        + " | ".join(fmt(r["diagnostics_after_change"]) for r in results)
        + " |",
        "| completion right after an edit | "
        + " | ".join(fmt(r["completion_after_change"]) for r in results)
        + " |",
        "| memory per open document (MB RSS) | "
        + " | ".join(
            f"{r['rss_per_doc_mb']:.1f} (first: {r['rss_first_doc_mb']:.1f})" for r in results
        )
        + " |",
    ]
    return "\n".join(lines) + "\n"


def append(path: Path, table: str) -> None:
    heading = "## Language server"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if heading not in text:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{INTRO}\n"
    start = text.index(heading)
    nxt = text.find("\n## ", start + len(heading))
    section_end = len(text) if nxt < 0 else nxt
    section = text[start:section_end].rstrip("\n") + "\n\n" + table
    text = text[:start] + section + ("\n" + text[section_end:].lstrip("\n") if nxt >= 0 else "")
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


INTRO = (
    "Through the real protocol (`bench/lsp_bench.py`): a subprocess `nodeforge lsp "
    "--stdio` driven over its pipes, on `bench/genflow.py` flows. Targets (issue 3): "
    "completion <= 20 ms, hover <= 10 ms, diagnostics <= 50 ms after `didChange` on "
    "1,000 nodes; nothing above 250 ms on 5,000."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("-n", "--repeats", type=int, default=60)
    parser.add_argument("--append", type=Path, help="append the table to this markdown file")
    parser.add_argument("--json", action="store_true", help="print raw figures as JSON")
    args = parser.parse_args(argv)
    results = [asyncio.run(bench_size(n, args.repeats)) for n in args.sizes]
    if args.json:
        print(json.dumps(results, indent=2))
    table = render(results)
    print(table)
    if args.append:
        append(args.append, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
