"""The worker pool: an editor on the WebSocket gateway (``--workers``) whose builds and
node tests run on ``nodeforge worker`` processes through a real JetStream server; a
worker killed mid-job has its job finished by the other."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from nodeforge.sandbox.testing import code_node_flow
from nodeforge.server.gateway import Gateway, GatewayConfig
from nodeforge.worker.protocol import BlobRef, JobError, pack, unpack, workspace_files
from tests.lsp.wsclient import WsClient
from tests.nats_support import nats_server, require_nats_server, start_worker, stop_worker
from tests.sandbox_support import require_sandbox

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")

TOKEN = "workers-test-token"
SLOW_NODE = (
    "func Run(ctx context.Context, in Input) (Output, error) {\n"
    "\ttime.Sleep(3 * time.Second)\n"
    '\treturn Output{"slept": true, "n": in["n"]}, nil\n'
    "}\n"
)
HELLO = {
    "nodeforge": "1",
    "id": "hello",
    "name": "hello",
    "nodes": [
        {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
        {
            "id": "shape",
            "type": "data/map",
            "version": "1.0.0",
            "config": {"mapping": {"greeting": "'hello'"}},
        },
    ],
    "connections": [{"from": "start.out", "to": "shape.in"}],
}


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_nats_server()
    require_sandbox()
    with nats_server(tmp_path_factory.mktemp("jetstream")) as url:
        yield url


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "pool"
    (root / "flows").mkdir(parents=True)
    (root / "nodeforge.toml").write_text('[project]\nname = "pool"\n')
    (root / "flows" / "hello.flow.json").write_text(json.dumps(HELLO, indent=2))
    (root / "flows" / "slow.flow.json").write_text(code_node_flow(SLOW_NODE))
    (root / ".nodeforge").mkdir()
    (root / ".nodeforge" / "connectors.enc").write_text("never sent to a worker")
    return root


@pytest.fixture
async def editor(nats_url: str, workspace: Path) -> AsyncIterator[WsClient]:
    gateway = Gateway(
        GatewayConfig(port=0, ping_interval=None, token=TOKEN, base=workspace, workers=nats_url)
    )
    await gateway.start()
    client = await WsClient.connect(f"ws://127.0.0.1:{gateway.port}/?token={TOKEN}")
    await client.request(
        "initialize",
        {
            "processId": None,
            "rootUri": workspace.as_uri(),
            "capabilities": {"window": {"workDoneProgress": True}},
        },
    )
    client.notify("initialized", {})
    yield client
    await client.close()
    assert gateway.server is not None and gateway.pool is not None
    gateway.server.close()
    await gateway.server.wait_closed()
    await gateway.pool.close()


def progress_messages(client: WsClient) -> list[str]:
    return [
        n["params"]["value"].get("message", "")
        for n in client.notifications
        if n["method"] == "$/progress" and n["params"]["value"].get("kind") == "report"
    ]


async def wait_for(predicate: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_builds_and_node_tests_on_two_workers_one_killed_mid_job(
    nats_url: str, editor: WsClient, workspace: Path, tmp_path: Path
) -> None:
    workers = {name: start_worker(nats_url, name) for name in ("w1", "w2")}
    try:
        # A build through a worker: the same result shape as a local build, and the
        # binary lands where a local build puts it.
        hello = workspace / "flows" / "hello.flow.json"
        built = await editor.request(
            "workspace/executeCommand",
            {"command": "nodeforge.build", "arguments": [{"uri": hello.as_uri()}]},
            timeout=300,
        )
        result = built["result"]
        assert set(result) == {"state", "binary", "seconds", "problems", "output", "connectors"}
        assert result["state"] == "succeeded", result
        binary = Path(result["binary"])
        assert binary == workspace / ".nodeforge" / "bin" / "pool"
        assert os.access(binary, os.X_OK)
        assert any(m.startswith("running on worker w") for m in progress_messages(editor))

        # A node test whose worker is killed while it runs: another worker finishes it.
        slow = workspace / "flows" / "slow.flow.json"
        editor.open(slow)
        before = len(progress_messages(editor))
        answer = asyncio.ensure_future(
            editor.request(
                "workspace/executeCommand",
                {
                    "command": "nodeforge.testNode",
                    "arguments": [
                        {
                            "uri": slow.as_uri(),
                            "node": "code",
                            "input": {"n": 7},
                            "limits": {"wall_seconds": 30},
                        }
                    ],
                },
                timeout=300,
            )
        )
        started = await wait_for(
            lambda: [m for m in progress_messages(editor)[before:] if "running on worker" in m]
        )
        victim = started[0].split("running on worker ")[1].split(" ")[0]
        workers[victim].send_signal(signal.SIGKILL)
        workers[victim].wait(10)
        tested = (await answer)["result"]
        assert tested["status"] == "ok", json.dumps(tested)
        assert tested["outputs"] == {"out": {"slept": True, "n": 7}}
        survivor = "w2" if victim == "w1" else "w1"
        reports = progress_messages(editor)[before:]
        assert f"running on worker {survivor} (delivery 2)" in reports, reports
    finally:
        for proc in workers.values():
            stop_worker(proc)


async def test_a_worker_keeps_the_workspace_so_a_rebuild_is_incremental(
    nats_url: str, editor: WsClient, workspace: Path
) -> None:
    """The second build of an edited flow runs in the folder the first one left on the
    worker (one folder per workspace, generated files that did not change untouched),
    and each remote build leaves .nodeforge/build.json in the editor's workspace."""
    from tests.nats_support import _caches

    worker = start_worker(nats_url, "solo")
    try:
        hello = workspace / "flows" / "hello.flow.json"

        async def build() -> dict[str, Any]:
            answer = await editor.request(
                "workspace/executeCommand",
                {"command": "nodeforge.build", "arguments": [{"uri": hello.as_uri()}]},
                timeout=300,
            )
            assert answer["result"]["state"] == "succeeded", answer
            return dict(answer["result"])

        await build()
        state = json.loads((workspace / ".nodeforge" / "build.json").read_text())
        assert state["state"] == "succeeded" and state["worker"] == "solo"
        assert state["binary"] == str(workspace / ".nodeforge" / "bin" / "pool")
        assert "hello.flow.json" in json.dumps(state["flows"])
        kept = _caches[worker.pid] / "worker-workspaces"
        folders = [p for p in kept.iterdir() if p.is_dir()]
        assert len(folders) == 1
        gen = folders[0] / "pool" / ".nodeforge" / "gen"
        go_mod, flow_go = gen / "go.mod", gen / "flow_hello.go"
        before = go_mod.stat().st_mtime_ns, flow_go.read_text()

        doc = json.loads(hello.read_text())
        doc["nodes"][1]["config"]["mapping"]["greeting"] = "'hello again'"
        hello.write_text(json.dumps(doc))
        await build()
        assert [p for p in kept.iterdir() if p.is_dir()] == folders  # the same folder
        assert go_mod.stat().st_mtime_ns == before[0]  # unchanged: not rewritten
        assert flow_go.read_text() != before[1] and "hello again" in flow_go.read_text()
        assert (
            json.loads((workspace / ".nodeforge" / "build.json").read_text())["flows"]
            != (state["flows"])
        )
    finally:
        stop_worker(worker)


async def test_without_workers_a_job_fails_with_the_reason_after_max_deliveries(
    nats_url: str, tmp_path: Path
) -> None:
    """Every worker that takes the job dies: JetStream gives up after the consumer's
    maximum of deliveries and the editor's request fails saying so."""
    from nodeforge.worker.pool import WorkerPool

    pool = WorkerPool(nats_url, job_timeout=120)
    await pool.start()
    kills = 0
    workers: list[subprocess.Popen[str]] = []
    reports: list[str] = []
    try:
        # The durable consumer already exists with 3 deliveries (the test above or
        # this one's first worker); each worker is killed as soon as it starts the job.
        async def killer() -> None:
            nonlocal kills
            seen = 0
            while True:
                started = [r for r in reports if r.startswith("running on worker")]
                if len(started) > seen:
                    seen = len(started)
                    workers[-1].send_signal(signal.SIGKILL)
                    workers[-1].wait(10)
                    kills += 1
                    workers.append(start_worker(nats_url, f"k{kills}"))
                await asyncio.sleep(0.05)

        workers.append(start_worker(nats_url, "k0"))
        task = asyncio.create_task(killer())
        files = {"flows/slow.flow.json": code_node_flow(SLOW_NODE).encode()}
        with pytest.raises(JobError, match="no worker finished the job in 3 deliveries"):
            await pool.submit(
                "node_test",
                "doomed",
                files,
                {"flow": "flows/slow.flow.json", "node": "code", "limits": {"wall_seconds": 30}},
                code_node_flow(SLOW_NODE).encode(),
                reports.append,
            )
        task.cancel()
        assert kills == 3
    finally:
        for proc in workers:
            stop_worker(proc)
        await pool.close()


# -- the archive and blobs ---------------------------------------------------------------


def test_archive_is_content_addressed_and_skips_private_folders(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "a.flow.json").write_text("{}")
    (root / ".nodeforge").mkdir()
    (root / ".nodeforge" / "key").write_text("secret")
    (root / "outside-link").symlink_to("/etc/hostname")
    files = workspace_files(root)
    assert set(files) == {"flows/a.flow.json"}
    assert pack(files) == pack(dict(reversed(list(files.items()))))  # order-independent
    unpack(pack(files), tmp_path / "out")
    assert (tmp_path / "out" / "flows" / "a.flow.json").read_text() == "{}"


def test_unpack_refuses_escaping_entries(tmp_path: Path) -> None:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(JobError):
        unpack(buffer.getvalue(), tmp_path / "in")
    assert not (tmp_path / "escape").exists()


def test_blob_content_is_verified() -> None:
    ref = BlobRef.from_json(BlobRef("0" * 64, 1).as_json())
    assert ref.inline is None
    good = BlobRef.from_json(
        {
            "sha256": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
            "size": 1,
            "inline": "eA==",
        }
    )
    assert good.inline == b"x"
    with pytest.raises(JobError, match="does not match"):
        BlobRef.from_json({"sha256": "1" * 64, "size": 1, "inline": "eA=="})
