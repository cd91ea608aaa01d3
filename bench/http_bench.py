"""Side-by-side HTTP benchmark of generated code (docs/benchmarks.md, "Generated code").

    python -m bench.http_bench [--duration 10] [--connections 16] [--write-docs]

In one run, on loopback, with ``wrk -t1 -cN``:

1. ``quote``: an HTTP flow with no I/O (JSON body validated against its schema, a
   condition, a mapping with a few expressions, a JSON answer), as (a) the binary
   Nodeforge generates from ``bench/http/quote/quote.flow.json``, (b) the same endpoint
   hand-written in idiomatic Go (``bench/http/handwritten``) and (c) Node-RED 4 running
   the equivalent http-in -> function -> http-response flow (``bench/http/nodered``;
   skipped when Node-RED is not installed: ``npm install node-red@4`` into
   ``build/bench-nodered``).
2. ``orders``: ``examples/orders_api.flow.json`` on SQLite, ``GET /orders/{id}`` (the SQL
   read family) and ``POST /orders`` (SQL write), against its hand-written twin
   (``bench/http/orders_handwritten``).
3. ``families``: one scenario per remaining node family, the workspace
   ``bench/http/families`` against ``bench/http/families_handwritten``: ``quote code/go``
   (the quote endpoint whose total over all items is a ``code/go`` node), ``HTTP
   request`` (one call to a local upstream, ``bench/http/upstream``, its JSON typed) and
   ``foreach x4`` (four upstream calls per request, at most four at a time).

Each server gets a warm-up, then one measured run; peak RSS is the process's VmHWM.
Results go to ``build/bench/http.json``; ``--write-docs`` rewrites the "Generated code"
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTTP = ROOT / "bench" / "http"
OUT = ROOT / "build" / "bench"
NODERED_DIR = ROOT / "build" / "bench-nodered"

QUOTE_BODY = json.dumps(
    {
        "customer": {"email": "Ana@Example.com", "country": "es", "vip": False},
        "items": [
            {"sku": "A-1", "qty": 3, "unit_price": 12.5},
            {"sku": "B-2", "qty": 1, "unit_price": 99.0},
        ],
    }
)
ORDER_BODY = json.dumps({"sku": "A-100", "qty": 2, "customer_email": "ana@example.com"})


@dataclass
class Result:
    scenario: str
    server: str
    rps: float
    p50_ms: float
    p99_ms: float
    rss_mb: float
    errors: int
    non2xx: int
    records_kept: float = -1.0  # records on: the fraction of executions recorded (/metrics)
    cpu_us: float = 0.0  # the server's CPU time (user + system) per request, microseconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port} never opened")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wrk_script(method: str, body: str | None) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"wrk_{method.lower()}_{abs(hash(body)) % 10**8}.lua"
    lines = [f'wrk.method = "{method}"', 'wrk.headers["Content-Type"] = "application/json"']
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    value, unit = float(m[1]), m[2]
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    cmd = [
        "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url,
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, flags=re.M))
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": _ms(lat.get("50", "nan")),
        "p99": _ms(lat.get("99", "nan")),
        "errors": sum(int(x) for x in errs.groups()) if errs else 0,
        "non2xx": int(non2xx[1]) if non2xx else 0,
    }


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (Linux /proc; 0 elsewhere). Per
    request it measures a server's cost even on a machine shared with other work, where
    throughput moves with the other work's load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def records_kept(port: int) -> float:
    """The fraction of the app's executions so far that were recorded, from its /metrics
    (executions counted, record drops counted); -1 when it has no metrics."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return -1.0
    total = sum(
        float(m[1]) for m in re.finditer(r"^nodeforge_executions_total\{[^}]*\} (\S+)$", text, re.M)
    )
    dropped = re.search(r"^nodeforge_records_dropped_total (\S+)$", text, re.M)
    if not total or dropped is None:
        return -1.0
    return max(0.0, 1 - float(dropped[1]) / total)


def measure(
    scenario: str,
    server: str,
    cmd: list[str],
    env: dict[str, str],
    port: int,
    path: str,
    method: str,
    body: str | None,
    duration: int,
    connections: int,
) -> Result:
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}{path}"
        script = wrk_script(method, body)
        run_wrk(url, script, 2, connections)  # warm-up (JIT, caches, connection pools)
        cpu0 = cpu_seconds(proc.pid)
        r = run_wrk(url, script, duration, connections)
        cpu = cpu_seconds(proc.pid) - cpu0
        rss = peak_rss_mb(proc.pid)
        kept = records_kept(port) if "records on" in server else -1.0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    res = Result(
        scenario,
        server,
        r["rps"],
        r["p50"],
        r["p99"],
        rss,
        int(r["errors"]),
        int(r["non2xx"]),
        kept,
        cpu / max(1.0, r["rps"] * duration) * 1e6,
    )
    print(
        f"{scenario:8} {server:22} {res.rps:10.0f} req/s  p50 {res.p50_ms:6.2f} ms  "
        f"p99 {res.p99_ms:6.2f} ms  RSS {res.rss_mb:6.1f} MB  CPU {res.cpu_us:5.1f} us/req  "
        f"errors {res.errors} non2xx {res.non2xx}"
        + (f"  recorded {kept:.0%}" if kept >= 0 else ""),
        flush=True,
    )
    return res


def build_generated(path: Path, name: str) -> Path:
    from nodeforge.codegen.build import build

    out = OUT / name
    result = build(path, out_dir=out / "gen", binary=out / "app")
    if not result.ok or result.binary is None:
        sys.exit(f"build of {path} failed: {result.output} {result.diagnostics}")
    binary: Path = result.binary
    return binary


def build_go(src: Path, binary: Path) -> Path:
    from nodeforge.codegen.build import go_build_flags, go_env

    subprocess.run(
        ["go", "build", *go_build_flags(), "-o", str(binary), "."],
        cwd=src,
        env=go_env(),
        check=True,
    )  # the same flags and settings as the generated apps' release builds
    return binary


def node_red() -> list[str] | None:
    exe = os.environ.get("NODE_RED") or str(NODERED_DIR / "node_modules" / ".bin" / "node-red")
    return [exe] if Path(exe).exists() or shutil.which(exe) else None


@dataclass
class Spec:
    scenario: str
    server: str
    cmd: list[str]
    env: dict[str, str]
    path: str
    method: str
    body: str | None
    port_var: str  # the environment variable that carries the port ("" for Node-RED's PORT)
    setup: object = None  # callable run before each measurement (fresh database)


def with_records(specs: list[Spec], mode: str) -> list[Spec]:
    """The generated apps with execution records on (into a fresh file per
    measurement, as deployed apps write them), off (NODEFORGE_RECORDS=off), or both."""
    from dataclasses import replace

    out: list[Spec] = []
    for sp in specs:
        if sp.server != "Nodeforge (generated)":
            out.append(sp)
            continue
        if mode in ("on", "both"):
            rec = OUT / f"records_{re.sub(r'[^a-z]+', '_', sp.scenario)}.db"

            def fresh(rec: Path = rec, inner: object = sp.setup) -> None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{rec}{suffix}").unlink(missing_ok=True)
                if callable(inner):
                    inner()

            name = "Nodeforge (records on)" if mode == "both" else sp.server
            env = {**sp.env, "NODEFORGE_RECORDS_PATH": str(rec)}
            out.append(replace(sp, server=name, env=env, setup=fresh))
        if mode in ("off", "both"):
            name = "Nodeforge (records off)" if mode == "both" else sp.server
            out.append(replace(sp, server=name, env={**sp.env, "NODEFORGE_RECORDS": "off"}))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians reported")
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--only", choices=("quote", "orders", "families"))
    ap.add_argument(
        "--records",
        choices=("on", "off", "both"),
        default="on",
        help="execution records of the generated apps (docs/runs.md); both: side by side",
    )
    ap.add_argument(
        "--no-baselines",
        action="store_true",
        help="only the generated apps (with --records both: the on/off comparison alone)",
    )
    args = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    OUT.mkdir(parents=True, exist_ok=True)
    d, c = args.duration, args.connections
    specs: list[Spec] = []
    sizes: dict[str, int] = {}

    if args.only in (None, "quote"):
        gen = build_generated(HTTP / "quote", "quote")
        hand = build_go(HTTP / "handwritten", OUT / "quote_handwritten")
        sizes["quote (generated)"] = gen.stat().st_size
        sizes["quote (hand-written)"] = hand.stat().st_size
        quiet = {"NODEFORGE_LOG_LEVEL": "warn"}
        specs.append(
            Spec(
                "quote",
                "Nodeforge (generated)",
                [str(gen)],
                quiet,
                "/quote",
                "POST",
                QUOTE_BODY,
                "NODEFORGE_ADDR",
            )
        )
        specs.append(
            Spec("quote", "hand-written Go", [str(hand)], {}, "/quote", "POST", QUOTE_BODY, "ADDR")
        )
        nr = node_red()
        if nr is not None:
            user = OUT / "nodered-user"
            user.mkdir(parents=True, exist_ok=True)
            flows = user / "flows.json"
            shutil.copy(HTTP / "nodered" / "flows.json", flows)
            env = {"NODERED_FLOWS": str(flows), "NODERED_USERDIR": str(user)}
            cmd = [*nr, "--userDir", str(user), "--settings", str(HTTP / "nodered" / "settings.js")]
            specs.append(
                Spec("quote", "Node-RED 4", cmd, env, "/quote", "POST", QUOTE_BODY, "PORT")
            )
        else:
            print("Node-RED not installed: skipped (npm install node-red@4 in build/bench-nodered)")

    if args.only in (None, "orders"):
        gen = build_generated(ROOT / "examples" / "orders_api.flow.json", "orders")
        hand = build_go(HTTP / "orders_handwritten", OUT / "orders_handwritten")
        sizes["orders (generated)"] = gen.stat().st_size
        sizes["orders (hand-written)"] = hand.stat().st_size
        for server, binary in (("Nodeforge (generated)", gen), ("hand-written Go", hand)):
            db = OUT / f"orders_{binary.name}.db"
            env = {"NODEFORGE_LOG_LEVEL": "warn", "NODEFORGE_CONNECTOR_SHOPDB_PATH": str(db)}

            def fresh(db: Path = db) -> None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
                with sqlite3.connect(db) as conn:
                    conn.executescript((ROOT / "examples" / "db" / "shopdb.sql").read_text())
                    conn.execute(
                        "INSERT INTO orders (sku, qty, customer_email) "
                        "VALUES ('A-1', 2, 'a@example.com')"
                    )

            for sc, path, method, body in (
                ("orders GET", "/orders/1", "GET", None),
                ("orders POST", "/orders", "POST", ORDER_BODY),
            ):
                specs.append(
                    Spec(
                        sc, server, [str(binary)], env, path, method, body, "NODEFORGE_ADDR", fresh
                    )
                )

    upstream: subprocess.Popen[bytes] | None = None
    if args.only in (None, "families"):
        gen = build_generated(HTTP / "families", "families")
        hand = build_go(HTTP / "families_handwritten", OUT / "families_handwritten")
        up = build_go(HTTP / "upstream", OUT / "upstream")
        sizes["families (generated)"] = gen.stat().st_size
        sizes["families (hand-written)"] = hand.stat().st_size
        up_port = free_port()
        upstream = subprocess.Popen(
            [str(up)], env={**os.environ, "ADDR": f"127.0.0.1:{up_port}"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(up_port)
        url = {"UPSTREAM_URL": f"http://127.0.0.1:{up_port}"}
        batch = json.dumps({"skus": ["A-1", "B-2", "C-3", "D-4"]})
        for server, binary, port_var in (
            ("Nodeforge (generated)", gen, "NODEFORGE_ADDR"),
            ("hand-written Go", hand, "ADDR"),
        ):
            env = {"NODEFORGE_LOG_LEVEL": "warn", **url}
            for sc, path, method, body in (
                ("quote code/go", "/quote", "POST", QUOTE_BODY),
                ("HTTP request", "/price/A-1", "GET", None),
                ("foreach x4", "/batch", "POST", batch),
            ):
                specs.append(Spec(sc, server, [str(binary)], env, path, method, body, port_var))

    if args.no_baselines:
        specs = [sp for sp in specs if sp.server == "Nodeforge (generated)"]
    specs = with_records(specs, args.records)
    runs: dict[tuple[str, str], list[Result]] = {}
    for rnd in range(args.rounds):
        print(f"-- round {rnd + 1}/{args.rounds}", flush=True)
        # Every other round in the reverse order: a pair measured side by side (records on
        # and off) does not always have the same one first.
        for sp in specs if rnd % 2 == 0 else specs[::-1]:
            if callable(sp.setup):
                sp.setup()
            port = free_port()
            value = f"127.0.0.1:{port}" if sp.port_var != "PORT" else str(port)
            env = {**sp.env, sp.port_var: value}
            res = measure(
                sp.scenario, sp.server, sp.cmd, env, port, sp.path, sp.method, sp.body, d, c
            )
            runs.setdefault((sp.scenario, sp.server), []).append(res)
    if upstream is not None:
        upstream.terminate()
        upstream.wait(timeout=15)
    results = [
        Result(
            sc,
            server,
            statistics.median(r.rps for r in rs),
            statistics.median(r.p50_ms for r in rs),
            statistics.median(r.p99_ms for r in rs),
            max(r.rss_mb for r in rs),
            sum(r.errors for r in rs),
            sum(r.non2xx for r in rs),
            statistics.median(r.records_kept for r in rs),
            statistics.median(r.cpu_us for r in rs),
        )
        for (sc, server), rs in runs.items()
    ]
    data = {
        "machine": {"cpus": os.cpu_count(), "wrk": f"-t1 -c{c} -d{d}s", "rounds": args.rounds},
        "results": [asdict(r) for r in results],
        "runs": {f"{k[0]} / {k[1]}": [asdict(r) for r in v] for k, v in runs.items()},
        "binary_bytes": sizes,
    }
    (OUT / "http.json").write_text(json.dumps(data, indent=2) + "\n")
    table = markdown(results, sizes, c, d, args.rounds, runs)
    print()
    print(table)
    if args.write_docs:
        from bench.codegen_bench import write_docs_section

        write_docs_section("http", table)
    return 0


def paired(
    runs: dict[tuple[str, str], list[Result]], sc: str, field: str
) -> tuple[float, float, float] | None:
    """Records on / off of ``field`` in each round (the two measured side by side): the
    median, lowest and highest of the per-round ratios."""
    on, off = runs.get((sc, "Nodeforge (records on)")), runs.get((sc, "Nodeforge (records off)"))
    if not on or not off:
        return None
    ratios = [
        getattr(a, field) / getattr(b, field)
        for a, b in zip(on, off, strict=False)
        if getattr(b, field)
    ]
    if not ratios:
        return None
    return statistics.median(ratios), min(ratios), max(ratios)


def markdown(
    results: list[Result],
    sizes: dict[str, int],
    c: int,
    d: int,
    rounds: int,
    runs: dict[tuple[str, str], list[Result]] | None = None,
) -> str:
    from nodeforge.sandbox.goflags import cgo_enabled

    lines = [
        f"HTTP throughput on loopback, `wrk -t1 -c{c} -d{d}s` after a 2 s warm-up, median of "
        f"{rounds} interleaved rounds, {os.cpu_count()} cores shared with other work "
        "(`python -m bench.http_bench`; every run in `build/bench/http.json`):",
        "",
        "| scenario | server | req/s | p50 | p99 | peak RSS | CPU/request |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.scenario} | {r.server} | {r.rps:,.0f} | {r.p50_ms:.2f} ms | {r.p99_ms:.2f} ms | {r.rss_mb:.0f} MB | {r.cpu_us:.0f} µs |"
        )
    by = {(r.scenario, r.server): r for r in results}
    ratios = []
    gen = by.get(("quote", "Nodeforge (generated)"))
    hand = by.get(("quote", "hand-written Go"))
    nr = by.get(("quote", "Node-RED 4"))
    if gen and hand:
        ratios.append(
            f"quote: generated / hand-written throughput {gen.rps / hand.rps:.2f}x, "
            f"p99 {gen.p99_ms / hand.p99_ms:.2f}x"
        )
    if gen and nr:
        ratios.append(
            f"quote: generated / Node-RED throughput {gen.rps / nr.rps:.1f}x, "
            f"peak RSS {gen.rss_mb / nr.rss_mb:.2f}x"
        )
    for sc in (
        "orders GET",
        "orders POST",
        "quote code/go",
        "HTTP request",
        "foreach x4",
    ):
        h = by.get((sc, "hand-written Go"))
        for server, label in (
            ("Nodeforge (generated)", "generated"),
            ("Nodeforge (records off)", "generated, records off"),
            ("Nodeforge (records on)", "generated, records on"),
        ):
            g = by.get((sc, server))
            if g and h:
                ratios.append(
                    f"{sc}: {label} / hand-written throughput {g.rps / h.rps:.2f}x, "
                    f"p99 {g.p99_ms / h.p99_ms:.2f}x"
                )
    for sc in ("quote", "orders GET", "orders POST"):
        on, off = by.get((sc, "Nodeforge (records on)")), by.get((sc, "Nodeforge (records off)"))
        if on and off:
            ratios.append(
                f"{sc}: records on / off throughput {on.rps / off.rps:.2f}x, "
                f"p99 {on.p99_ms / off.p99_ms:.2f}x, CPU per request {on.cpu_us / off.cpu_us:.2f}x"
                + (
                    f", {on.records_kept:.0%} of executions recorded"
                    if on.records_kept >= 0
                    else ""
                )
            )
            per_round = [
                (label, paired(runs or {}, sc, field))
                for label, field in (("throughput", "rps"), ("p99", "p99_ms"), ("CPU", "cpu_us"))
            ]
            if (
                all(p is not None for _, p in per_round)
                and len((runs or {})[(sc, "Nodeforge (records on)")]) > 1
            ):
                ratios.append(
                    f"{sc}: per round, records on / off median (lowest-highest): "
                    + ", ".join(
                        f"{label} {p[0]:.2f}x ({p[1]:.2f}-{p[2]:.2f})"
                        for label, p in per_round
                        if p
                    )
                )
    if ratios:
        lines += ["", *[f"- {x}" for x in ratios]]
    if sizes:
        lines += [
            "",
            "Binary sizes (release builds with the settings of `sandbox/goflags.py`, "
            f"cgo {'on' if cgo_enabled() else 'off'}, for the generated apps as "
            "`nodeforge build` makes them and for the twins alike): "
            + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items())
            + ".",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
