"""A build through the worker pool versus on the editor's machine (issue 16).

    python -m bench.worker_bench             # figures for docs/benchmarks.md
    python -m bench.worker_bench -n 10

Starts a real ``nats-server`` with JetStream (``$(go env GOPATH)/bin/nats-server``,
see ``scripts/setup``) and one ``nodeforge worker``, then times
``workspace/executeCommand nodeforge.build`` from request to response through two
WebSocket gateways over the same workspace: one building locally, one with
``--workers``. Two workspaces are measured: a catalog-only flow (built outside the
sandbox) and a flow with a ``code/go`` node (compiled in the sandbox). Each kind gets
one warm-up build (Go build caches filled on both sides), then ``-n`` timed builds,
alternating local and remote; the flow file is touched between builds so each one
really builds. The remote figure includes packing the workspace, the job's trip
through JetStream, unpacking on the worker, the build there, storing the binary in
the object store and fetching it back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from nodeforge.sandbox.testing import code_node_flow
from nodeforge.server.gateway import Gateway, GatewayConfig
from tests.lsp.wsclient import WsClient
from tests.nats_support import nats_server, nats_server_binary, start_worker, stop_worker

TOKEN = "bench-token"
CATALOG_FLOW = {
    "nodeforge": "1",
    "id": "hello",
    "name": "hello",
    "nodes": [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {
            "id": "shape",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"greeting": "'hello ' + string(input.n)"}},
        },
    ],
    "connections": [{"from": "start.out", "to": "shape.in"}],
}
CODE_SOURCE = (
    "func Run(ctx context.Context, in Input) (Output, error) {\n"
    '\treturn Output{"n": in["n"], "v": %d}, nil\n'
    "}\n"
)


def make_workspace(folder: Path, name: str, text: str) -> Path:
    root = folder / name
    (root / "flows").mkdir(parents=True)
    (root / "nodeforge.toml").write_text(f'[project]\nname = "{name}"\n')
    flow = root / "flows" / "main.flow.json"
    flow.write_text(text)
    return flow


async def gateway(base: Path, workers: str | None) -> tuple[Gateway, WsClient]:
    gw = Gateway(GatewayConfig(port=0, ping_interval=None, token=TOKEN, base=base, workers=workers))
    await gw.start()
    client = await WsClient.connect(f"ws://127.0.0.1:{gw.port}/?token={TOKEN}")
    await client.initialize(base.as_uri())
    return gw, client


async def timed_build(client: WsClient, flow: Path) -> float:
    started = time.perf_counter()
    answer = await client.request(
        "workspace/executeCommand",
        {"command": "nodeforge.build", "arguments": [{"uri": flow.as_uri()}]},
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    result = answer.get("result") or {}
    if result.get("state") != "succeeded":
        raise RuntimeError(f"build failed: {json.dumps(answer)[:2000]}")
    return elapsed


def edit(flow: Path, kind: str, serial: int) -> None:
    """A new version of the flow, so the build has something to compile."""
    if kind == "catalog":
        doc = json.loads(json.dumps(CATALOG_FLOW))
        doc["nodes"][1]["config"]["mapping"]["serial"] = str(serial)
        flow.write_text(json.dumps(doc, indent=2))
    else:
        # its own flow id, so the two kinds' binaries differ
        doc = json.loads(code_node_flow(CODE_SOURCE % serial))
        doc["id"] = "coded"
        flow.write_text(json.dumps(doc, indent=2))


async def measure(url: str, folder: Path, runs: int) -> dict[str, dict[str, list[float]]]:
    figures: dict[str, dict[str, list[float]]] = {}
    for kind in ("catalog", "code"):
        flow = make_workspace(folder, f"bench-{kind}", "{}")
        root = flow.parents[1]
        edit(flow, kind, 0)
        local_gw, local = await gateway(root, None)
        remote_gw, remote = await gateway(root, url)
        times: dict[str, list[float]] = {"local": [], "worker": []}
        try:
            for serial in range(runs + 1):
                for mode, client in (("local", local), ("worker", remote)):
                    edit(flow, kind, serial * 2 + (mode == "worker"))
                    elapsed = await timed_build(client, flow)
                    if serial > 0:  # the first of each is the warm-up
                        times[mode].append(elapsed)
        finally:
            for gw, client in ((local_gw, local), (remote_gw, remote)):
                await client.close()
                assert gw.server is not None
                gw.server.close()
                await gw.server.wait_closed()
                if gw.pool is not None:
                    await gw.pool.close()
        figures[kind] = times
    return figures


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values) * 1000, 1),
        "min_ms": round(min(values) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="a build through a worker versus local")
    parser.add_argument("-n", "--runs", type=int, default=5)
    args = parser.parse_args()
    binary = nats_server_binary()
    if binary is None:
        raise SystemExit("nats-server is not installed (scripts/setup builds it)")
    folder = Path(tempfile.mkdtemp(prefix="nf-worker-bench-"))
    try:
        with nats_server(folder / "jetstream", binary) as url:
            worker = start_worker(url, "bench", ack_wait=30)
            try:
                figures = asyncio.run(measure(url, folder, args.runs))
            finally:
                stop_worker(worker)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report: dict[str, Any] = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores)",
        "load": [round(x, 2) for x in os.getloadavg()],
        "runs": args.runs,
    }
    for kind, times in figures.items():
        local, remote = summary(times["local"]), summary(times["worker"])
        report[kind] = {
            "local": local,
            "worker": remote,
            "overhead_ms": round(remote["median_ms"] - local["median_ms"], 1),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
