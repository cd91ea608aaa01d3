"""Queue throughput and latency of a generated app against a hand-written Go consumer.

The work, the same on both sides: take an order from the JetStream stream ``BENCH``
(subject ``bench.orders``), decode and check it, insert it once into PostgreSQL
(``ON CONFLICT DO NOTHING`` on its idempotency key), acknowledge. The generated side is a
flow (``trigger/queue`` -> ``sql/exec``) compiled by ``nodeforge build``; the baseline is
``bench/queue/handwritten`` (nats.go pull consumer, pgx through database/sql, the same
pool size and concurrency).

For 1 and 3 replicas of each:

* **throughput**: ``--messages`` orders are stored in the stream first, then the
  replicas start; messages/s from the first insert to the last;
* **latency**: orders published at a steady ``--rate`` for ``--seconds``, each carrying
  its publication time; end-to-end latency = insert time - publication time, p50/p99.

The generated app runs without tracing and, by default, without execution records
(``--records on`` keeps them): the baseline does neither. ``--profile DIR`` writes a CPU
profile of each generated replica's throughput phase (``go tool pprof -top``).

Needs ``nats-server`` (scripts/setup), Go and PostgreSQL (NODEFORGE_TEST_PG_DSN)::

    python -m bench.queue_bench [--messages 20000] [--rate 300] [--seconds 5]
        [--records off|on] [--profile DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.queue_support import (
    PG_DSN,
    NatsServer,
    Replica,
    add_stream,
    pg_database,
    psql,
    publish_orders,
    stream_messages,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[1]
HANDWRITTEN = ROOT / "bench" / "queue" / "handwritten"
CONCURRENCY = 32

TABLE = """
CREATE TABLE bench_orders (
  idempotency_key TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL,
  sent_at TEXT NOT NULL,
  processed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
"""

FLOW = {
    "nodeforge": "1",
    "id": "bench_orders",
    "name": "Queue benchmark",
    "nodes": [
        {
            "id": "order",
            "type": "trigger/queue",
            "version": "1.0.0",
            "config": {
                "connector": "events",
                "stream": "BENCH",
                "subject": "bench.orders",
                "durable": "bench",
                "concurrency": CONCURRENCY,
                "payload_schema": {
                    "type": "object",
                    "required": ["order_id", "sku", "qty", "sent_at"],
                    "properties": {
                        "order_id": {"type": "string", "minLength": 1},
                        "sku": {"type": "string", "minLength": 1},
                        "qty": {"type": "integer", "minimum": 1},
                        "sent_at": {"type": "string"},
                    },
                },
            },
        },
        {
            "id": "insert",
            "type": "sql/exec",
            "version": "1.0.0",
            "config": {
                "connector": "db",
                "statement": "INSERT INTO bench_orders (idempotency_key, order_id, sku, qty, "
                "sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING",
                "params": [
                    "input.idempotency_key",
                    "input.payload.order_id",
                    "input.payload.sku",
                    "input.payload.qty",
                    "input.payload.sent_at",
                ],
            },
        },
    ],
    "connections": [{"from": "order.out", "to": "insert.in"}],
}


# Added to the generated module with --profile: a CPU profile of the first
# NODEFORGE_BENCH_CPUPROFILE_SECONDS of the process, written to NODEFORGE_BENCH_CPUPROFILE.
PROFILER = """package main

import (
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

func init() {
	path := os.Getenv("NODEFORGE_BENCH_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	seconds, _ := strconv.Atoi(os.Getenv("NODEFORGE_BENCH_CPUPROFILE_SECONDS"))
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	go func() {
		time.Sleep(time.Duration(max(seconds, 1)) * time.Second)
		pprof.StopCPUProfile()
		f.Close()
	}()
}
"""


def build_generated(work: Path, records: bool = False, profile: bool = False) -> Path:
    from nodeforge.codegen.build import build, go_env

    ws = work / "ws"
    ws.mkdir()
    (ws / "nodeforge.toml").write_text(
        '[project]\nname = "queue-bench"\n[codegen]\ntracing = false\n'
        f"[records]\nenabled = {'true' if records else 'false'}\n"
        '[connectors.events]\ntype = "nats"\n[connectors.db]\ntype = "postgres"\n'
    )
    (ws / "bench_orders.flow.json").write_text(json.dumps(FLOW))
    result = build(ws, out_dir=work / "gen", binary=work / "app")
    if not result.ok or result.binary is None:
        raise SystemExit(f"build failed: {result.output} {result.diagnostics}")
    if profile:
        (work / "gen" / "zz_bench_profile.go").write_text(PROFILER)
        subprocess.run(
            ["go", "build", "-trimpath", "-o", str(work / "app"), "."],
            cwd=work / "gen",
            env=go_env(),
            check=True,
        )
    return Path(result.binary)


def build_handwritten(work: Path) -> Path:
    from nodeforge.codegen.build import go_env

    out = work / "handwritten"
    subprocess.run(
        ["go", "build", "-trimpath", "-o", str(out), "."],
        cwd=HANDWRITTEN,
        env=go_env(),
        check=True,
    )
    return out


def order_payload(order_id: str) -> bytes:
    return json.dumps(
        {"order_id": order_id, "sku": "A-100", "qty": 1, "sent_at": repr(time.time())}
    ).encode()


def publish_steady(url: str, rate: int, seconds: float, prefix: str) -> int:
    async def go() -> int:
        import nats

        nc = await nats.connect(url)
        js = nc.jetstream()
        n, start, tick = 0, time.monotonic(), 0.02
        try:
            while time.monotonic() - start < seconds:
                due = int((time.monotonic() - start) * rate)
                acks = []
                while n < due:
                    oid = f"{prefix}{n}"
                    acks.append(js.publish("bench.orders", order_payload(oid),
                                           headers={"Nats-Msg-Id": oid}))  # fmt: skip
                    n += 1
                await asyncio.gather(*acks)
                await asyncio.sleep(tick)
        finally:
            await nc.close()
        return n

    return asyncio.run(go())


class Proc:
    """A hand-written consumer process (ready when it prints `consuming`)."""

    def __init__(self, binary: Path, env: dict[str, str], log: Path) -> None:
        self.binary, self.env, self.log = binary, env, log
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        with self.log.open("a") as err:
            self.proc = subprocess.Popen(
                [str(self.binary)], env={**os.environ, **self.env}, stdout=subprocess.PIPE,
                stderr=err, text=True,
            )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "consuming" not in line:
            raise SystemExit(f"handwritten consumer did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_case(kind: str, binary: Path, replicas: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="queue-bench-") as tmp, pg_database() as dsn:
        work = Path(tmp)
        psql(dsn, TABLE)
        nats = NatsServer(work / "js")
        nats.start()
        procs: list[Any] = []
        try:
            # The stream exists before the consumers (as an operator would create it).
            add_stream(nats.url, "BENCH", ["bench.orders"], work_queue=True)
            ids = [f"t{i}" for i in range(args.messages)]
            publish_orders(nats.url, "bench.orders", ids, payload=order_payload, window=512)
            for i in range(replicas):
                r: Replica | Proc
                if kind == "generated":
                    env = {
                        "NODEFORGE_CONNECTOR_EVENTS_URL": nats.url,
                        "NODEFORGE_CONNECTOR_DB_DSN": dsn,
                        "NODEFORGE_LOG_LEVEL": "warn",
                        "NODEFORGE_RECORDS_PATH": str(work / f"r{i}-records.db"),
                    }
                    if args.profile:
                        out = Path(args.profile) / f"generated-{replicas}r-{i}.pprof"
                        env["NODEFORGE_BENCH_CPUPROFILE"] = str(out.resolve())
                        env["NODEFORGE_BENCH_CPUPROFILE_SECONDS"] = str(args.profile_seconds)
                    r = Replica(f"r{i}", binary, env, work / f"r{i}.log")
                else:
                    r = Proc(binary, {
                        "NATS_URL": nats.url, "PG_DSN": dsn, "STREAM": "BENCH",
                        "SUBJECT": "bench.orders", "DURABLE": "bench",
                        "CONCURRENCY": str(CONCURRENCY),
                    }, work / f"r{i}.log")  # fmt: skip
                procs.append(r)
            for r in procs:
                r.start()
            count = "SELECT count(*) FROM bench_orders"
            wait_until(lambda: int(psql(dsn, count)) >= args.messages, 600, "throughput", 0.05)
            # CPU of the consumers over start-up and the throughput phase, per message.
            cpu = sum(cpu_seconds(r.proc.pid) for r in procs if r.proc is not None)
            span = psql(
                dsn,
                "SELECT extract(epoch FROM max(processed_at) - min(processed_at)) FROM bench_orders",
            )
            throughput = args.messages / max(float(span), 1e-9)
            wait_until(lambda: stream_messages(nats.url, "BENCH") == 0, 60, "acks")
            psql(dsn, "TRUNCATE bench_orders")
            sent = publish_steady(nats.url, args.rate, args.seconds, "l")
            wait_until(lambda: int(psql(dsn, count)) >= sent, 120, "latency phase", 0.05)
            rows = psql(
                dsn,
                "SELECT extract(epoch FROM processed_at) - sent_at::float8 FROM bench_orders",
            )
            lat = sorted(float(x) * 1000 for x in rows.split())
            return {
                "kind": kind,
                "replicas": replicas,
                "throughput": throughput,
                "p50_ms": statistics.median(lat),
                "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                "latency_messages": len(lat),
                "cpu_us_per_message": cpu / args.messages * 1e6,
            }
        finally:
            for r in procs:
                r.stop()
            nats.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=300, help="messages/s in the latency phase")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--records", choices=("off", "on"), default="off",
                        help="the generated app's execution records (default off)")  # fmt: skip
    parser.add_argument("--profile", metavar="DIR", help="CPU profiles of generated replicas")
    parser.add_argument("--profile-seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=1, help="repeat, report each round")
    parser.add_argument("--replicas", default="1,3", help="comma-separated (default 1,3)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    if not PG_DSN or shutil.which("go") is None:
        print("needs Go and PostgreSQL (NODEFORGE_TEST_PG_DSN)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="queue-bench-build-") as tmp:
        work = Path(tmp)
        generated = build_generated(work, args.records == "on", bool(args.profile))
        binaries = {"generated": generated, "handwritten": build_handwritten(work)}
        results = []
        counts = [int(n) for n in args.replicas.split(",")]
        for round_ in range(1, args.rounds + 1):
            for replicas in counts:
                for kind in ("handwritten", "generated"):
                    res = run_case(kind, binaries[kind], replicas, args)
                    res["round"] = round_
                    results.append(res)
                    print(json.dumps(res), file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"machine: {platform.node()}, {os.cpu_count()} cores; {args.messages} messages; "
          f"latency at {args.rate}/s for {args.seconds:.0f}s; records {args.records}; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| round | replicas | hand-written Go msg/s | generated msg/s | ratio | "
          "p50 / p99 ms (hand-written) | p50 / p99 ms (generated) | "
          "CPU µs/msg (hand-written / generated) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for round_ in range(1, args.rounds + 1):
        for replicas in counts:
            h, g = (
                next(r for r in results if (r["round"], r["replicas"], r["kind"]) == (round_, replicas, k))
                for k in ("handwritten", "generated")
            )  # fmt: skip
            print(
                f"| {round_} | {replicas} | {h['throughput']:,.0f} | {g['throughput']:,.0f} | "
                f"{g['throughput'] / h['throughput']:.2f}x | {h['p50_ms']:.1f} / "
                f"{h['p99_ms']:.1f} | {g['p50_ms']:.1f} / {g['p99_ms']:.1f} | "
                f"{h['cpu_us_per_message']:.0f} / {g['cpu_us_per_message']:.0f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
