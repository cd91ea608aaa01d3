"""The simulator and the compiled app must agree (issue 12, item 26).

Random valid flows (``bench/differential_gen.py``) are generated in batches; each batch
is ONE workspace (a flow per route, a helper flow for ``flow/subflow``, a SQLite
connector) compiled into ONE binary, served, and sent every flow's requests over HTTP
(an upstream for ``http/request`` runs in this process). The app's execution records
(docs/runs.md) give, per request, the failing node and every node's outputs; the same
request is then simulated, with the recorded outputs of the I/O nodes as fixtures (the
replay of ``nodeforge simulate --replay``), and the two are compared: status, body,
whether the execution failed, the failing node, and each node's last output per port.

Every difference is reported with the seed of its flow, which regenerates it::

    python3 -m bench.differential --flows 2000          # the long run
    python3 -m bench.differential --flows 20 --seed 4242 --keep /tmp/diff   # one batch, kept

Flows the checker rejects are discarded and counted (the generator aims at valid flows;
the checker is the judge). A check-clean flow that does not build is a difference too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from bench.differential_gen import (
    DB_SCHEMA,
    FEATURES,
    GenFlow,
    Options,
    Request,
    generate,
    helper_flow,
    supported,
)

ID_RE = re.compile(r"\b[0-9a-f]{16}\b|\b[0-9a-f]{12}\b")


# -- the upstream ------------------------------------------------------------------------


class _Upstream(BaseHTTPRequestHandler):
    """/echo/...: 200 {method, path, got}; /status/NNN/...: that status."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        got = self.rfile.read(length) if length else b""
        parts = self.path.strip("/").split("/")
        body: dict[str, Any]
        if parts[0] == "status" and len(parts) > 1 and parts[1].isdigit():
            status, body = int(parts[1]), {"error": f"status {parts[1]}"}
        else:
            status, body = 200, {"method": self.command, "path": self.path, "got": len(got)}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Upstream:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- results -----------------------------------------------------------------------------


@dataclass
class Difference:
    seed: int
    flow: str
    kind: str  # status, body, failed, error_node, node_output, node_runs, build, records
    detail: str
    request: str = ""

    def __str__(self) -> str:
        req = f" request {self.request}" if self.request else ""
        return f"[{self.kind}] flow {self.flow} (seed {self.seed}){req}: {self.detail}"


@dataclass
class Report:
    generated: int = 0
    rejected: int = 0  # by the checker
    rejected_codes: Counter[str] = field(default_factory=Counter)
    flows: int = 0  # run
    requests: int = 0
    compared_nodes: int = 0
    batches: int = 0
    build_seconds: float = 0.0
    seconds: float = 0.0
    differences: list[Difference] = field(default_factory=list)

    def merge(self, other: Report) -> None:
        self.generated += other.generated
        self.rejected += other.rejected
        self.rejected_codes.update(other.rejected_codes)
        self.flows += other.flows
        self.requests += other.requests
        self.compared_nodes += other.compared_nodes
        self.batches += other.batches
        self.build_seconds += other.build_seconds
        self.seconds += other.seconds
        self.differences.extend(other.differences)

    def summary(self) -> dict[str, Any]:
        return {
            "generated": self.generated,
            "rejected_by_checker": self.rejected,
            "rejected_codes": dict(self.rejected_codes.most_common()),
            "flows_run": self.flows,
            "requests": self.requests,
            "node_outputs_compared": self.compared_nodes,
            "batches": self.batches,
            "build_seconds": round(self.build_seconds, 1),
            "seconds": round(self.seconds, 1),
            "differences": len(self.differences),
            "by_kind": dict(Counter(d.kind for d in self.differences).most_common()),
        }


# -- comparing ---------------------------------------------------------------------------


def _norm(v: Any) -> Any:
    """JSON values as compared: ids masked, 2 == 2.0 (Go prints float64 2 as 2)."""
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items() if k != "execution_id"}
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        return ID_RE.sub("<id>", v)
    return v


def _short(v: Any, n: int = 300) -> str:
    text = json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= n else text[:n] + "..."


def _sim_error_node(sim: dict[str, Any]) -> str:
    """The node whose failure ended a failed simulation (the last that errored)."""
    if sim["status"] != "failed":
        return ""
    for node in reversed(sim["trace"]):
        if sim["nodes"][node]["status"] == "error":
            return str(node)
    return ""


def compare(
    g: GenFlow,
    request_text: str,
    answer: tuple[int, Any, dict[str, str]],
    execution: Any,
    sim: dict[str, Any],
    structural: set[str],
) -> tuple[list[tuple[str, str]], int]:
    """(kind, detail) for each difference between the app's answer and record and the
    simulation; and how many node outputs were compared."""
    diffs: list[tuple[str, str]] = []
    status, body, headers = answer
    response = sim["response"] or {}
    if status != response.get("status"):
        diffs.append(
            (
                "status",
                f"app {status} {_short(body)}, simulator {response.get('status')} "
                f"{_short(response.get('body'))} (sim error: {sim['error']})",
            )
        )
    elif _norm(body) != _norm(response.get("body")):
        diffs.append(
            (
                "body",
                f"app {_short(body)}, simulator {_short(response.get('body'))}",
            )
        )
    for name, value in (response.get("headers") or {}).items():
        # HTTP drops the spaces around a header value
        if (headers.get(name.lower()) or "").strip() != str(value).strip():
            diffs.append(
                ("header", f"{name}: app {headers.get(name.lower())!r}, simulator {value!r}")
            )
    if execution is None:
        return diffs, 0
    app_failed = execution.status == "failed" and execution.error_code != "validation"
    sim_failed = sim["status"] == "failed"
    if app_failed != sim_failed:
        diffs.append(
            (
                "failed",
                f"app failed={app_failed} ({execution.error_code}: "
                f"{execution.error}), simulator failed={sim_failed} ({sim['error']})",
            )
        )
    elif app_failed and execution.error_node != _sim_error_node(sim):
        diffs.append(
            (
                "error_node",
                f"app {execution.error_node!r} ({execution.error}), "
                f"simulator {_sim_error_node(sim)!r} ({sim['error']})",
            )
        )
    # The generator's row schemas fit its table: a row the app could not read is a bug
    # (the simulator takes the recorded failure as it is, so it would agree with it).
    for log in execution.nodes:
        out = log.output if isinstance(log.output, dict) else {}
        if log.type == "sql/query" and out.get("code") == "scan":
            diffs.append(("io_scan", f"node {log.node}: {out.get('message')}"))
    # node by node: runs, and the last value per port
    app_runs: Counter[str] = Counter()
    app_out: dict[str, dict[str, Any]] = {}
    for log in execution.nodes:
        app_runs[log.node] += 1
        if log.port:
            app_out.setdefault(log.node, {})[log.port] = log.output
    compared = 0
    rejected = execution.error_code == "validation"
    for node, rec in sim["nodes"].items():
        if node in structural or rejected:  # answers are not logged; a rejected request
            continue  # runs no node
        # A merge is logged when it fires (its last input arrived: once here, merges are
        # not generated inside loops); the simulator counts each arrival.
        runs = rec["runs"]
        if rec["type"] == "flow/merge":
            runs = 1 if "out" in rec["outputs"] else 0
        if runs != app_runs.get(node, 0):
            diffs.append(
                (
                    "node_runs",
                    f"node {node}: app ran it {app_runs.get(node, 0)} times, simulator {runs}",
                )
            )
            continue
        if not rec["runs"] or (rec["status"] == "error" and "error" not in rec["outputs"]):
            continue
        for port, value in rec["outputs"].items():
            if port == "item" and rec["type"] == "flow/foreach":
                continue  # records keep a loop's last emission (`done`), not its items
            compared += 1
            got = app_out.get(node, {}).get(port, "<nothing>")
            if _norm(got) != _norm(value):
                if not rec.get("faithful", True):
                    value = f"{_short(value)} (not faithful: {rec.get('reason', '')})"
                diffs.append(
                    (
                        "node_output",
                        f"node {node} port {port}: app {_short(got)}, simulator {_short(value)}",
                    )
                )
    return diffs, compared


# -- one batch ---------------------------------------------------------------------------


def _headers(items: Any) -> dict[str, str]:
    """Header names in lower case, values as the UTF-8 the app wrote (http.client reads
    them as Latin-1)."""
    out = {}
    for k, v in items:
        try:
            out[k.lower()] = v.encode("latin-1").decode("utf-8")
        except UnicodeError:
            out[k.lower()] = v
    return out


def _post(url: str, text: str) -> tuple[int, Any, dict[str, str]]:
    """POST ``text``: the status, the body (JSON, else text) and the headers (names in
    lower case)."""
    req = urllib.request.Request(
        url, data=text.encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            status = resp.status
            headers = _headers(resp.headers.items())
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
        headers = _headers(exc.headers.items())
    try:
        return status, json.loads(raw) if raw else None, headers
    except ValueError:
        return status, raw.decode("utf-8", "replace"), headers


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode} at start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"the app does not listen on port {port}")


def workspace(folder: Path, flows: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nodeforge.toml").write_text(
        '[project]\nname = "differential"\n[codegen]\ntracing = false\nmetrics = false\n'
        '[connectors.db]\ntype = "sqlite"\n'
    )
    (folder / "db").mkdir(exist_ok=True)
    (folder / "db" / "db.sql").write_text(DB_SCHEMA)
    for flow in flows:
        (folder / f"{flow['id']}.flow.json").write_text(json.dumps(flow, indent=2))


def sim_input(g: GenFlow, req: Request, execution: Any) -> dict[str, Any]:
    """The request as the simulator's trigger input: the body as sent; the request
    metadata (path, params, query, headers) as the app recorded it when it ran the flow
    (it builds ``query`` and ``headers`` only when an expression reads them, and the
    client sets the headers), else as the URL gives it (a refused request)."""
    url = urlsplit(g.route + req.url_tail)
    value: dict[str, Any] = {"method": "POST", "path": unquote(url.path), "body": req.body}
    if g.param:
        value["params"] = {"id": unquote(url.path.rsplit("/", 1)[1])}
    query: dict[str, str] = {}
    for k, v in parse_qsl(url.query, keep_blank_values=True):
        query.setdefault(k, v)  # the first value of each name
    value["query"] = query
    recorded = execution.input if execution is not None else None
    if isinstance(recorded, dict):
        for key in ("path", "params", "query", "headers"):
            if key in recorded:
                value[key] = recorded[key]
    return value


def _replay_fixtures(execution: Any, analysis: Any) -> dict[str, Any]:
    """The recorded outputs of the execution's I/O nodes (the replay's fixtures); called
    flows are simulated, not pinned."""
    from nodeforge.runs.replay import replay_of

    fixtures = replay_of(execution, analysis).fixtures
    return {
        k: v
        for k, v in fixtures.items()
        if (n := analysis.document.node_by_id(k)) is not None and n.type != "flow/subflow"
    }


def run_batch(
    seeds: list[int],
    inputs: int,
    folder: Path,
    upstream: Upstream,
    features: frozenset[str] | None = None,
    *,
    unsafe_no_sandbox: bool = False,
) -> Report:
    """Generate the flows of ``seeds``, keep the check-clean ones, build them into one
    app, send each its requests, and compare with the simulator."""
    from nodeforge.analysis.diagnostics import Severity
    from nodeforge.analysis.engine import analyze
    from nodeforge.analysis.workspace import load_workspace
    from nodeforge.codegen.build import app_env, build
    from nodeforge.runs.store import RecordStore
    from nodeforge.sandbox.simulate import simulate

    started = time.monotonic()
    report = Report(batches=1)
    helper = f"helper_{seeds[0]}"
    opts = Options(
        upstream=upstream.url, helper=helper, features=supported(features or frozenset(FEATURES))
    )
    gens = [generate(seed, opts, inputs) for seed in seeds]
    report.generated = len(gens)
    workspace(folder, [helper_flow(helper)] + [g.flow for g in gens])
    ws = load_workspace(folder)
    analyses: dict[str, Any] = {}
    kept: list[tuple[int, GenFlow]] = []
    for seed, g in zip(seeds, gens, strict=True):
        path = folder / f"{g.flow['id']}.flow.json"
        a = analyze(path.read_text(), uri=path.as_uri(), workspace=ws)
        errors = [d for d in a.diagnostics if d.severity == Severity.ERROR]
        if errors:
            report.rejected += 1
            report.rejected_codes.update({str(d.code) for d in errors})
            path.unlink()
            continue
        analyses[g.flow["id"]] = a
        kept.append((seed, g))
    # A check-clean flow must build; one that does not is a difference, and is left out.
    t0 = time.monotonic()
    while True:
        result = build(
            folder,
            out_dir=folder / ".gen",
            binary=folder / "app",
            unsafe_no_sandbox=unsafe_no_sandbox,
        )
        if result.ok:
            break
        broken = {
            Path(rel).name.removesuffix(".flow.json")
            for rel, ds in result.diagnostics.items()
            if ds
        }
        broken &= {g.flow["id"] for _, g in kept}
        if not broken:
            raise RuntimeError(f"the batch does not build:\n{result.output[-3000:]}")
        for seed, g in [k for k in kept if k[1].flow["id"] in broken]:
            msgs = "; ".join(
                d.message for d in result.diagnostics.get(f"{g.flow['id']}.flow.json", [])
            )
            report.differences.append(Difference(seed, g.flow["id"], "build", msgs[:500]))
            (folder / f"{g.flow['id']}.flow.json").unlink()
        kept = [k for k in kept if k[1].flow["id"] not in broken]
    report.build_seconds = time.monotonic() - t0
    report.flows = len(kept)
    assert result.binary is not None

    # Serve it, send every request (one at a time: records are matched by start order).
    port = _free_port()
    data = folder / "data"
    if data.exists():
        shutil.rmtree(data)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        **app_env(folder, data),
        "NODEFORGE_ADDR": f"127.0.0.1:{port}",
        "NODEFORGE_DRAIN_DELAY": "0s",
        "NODEFORGE_RECORDS_FLUSH": "20ms",
        "NODEFORGE_LOG_LEVEL": "error",
    }
    log = (folder / "app.log").open("wb")
    proc = subprocess.Popen([str(result.binary)], env=env, stdout=log, stderr=log)
    answers: dict[str, list[tuple[int, Any, dict[str, str]]]] = {}
    try:
        _wait(port, proc)
        for _, g in kept:
            answers[g.flow["id"]] = [
                _post(f"http://127.0.0.1:{port}{g.route}{r.url_tail}", r.text) for r in g.requests
            ]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

    store = RecordStore.sqlite(Path(env["NODEFORGE_RECORDS_PATH"]))
    try:
        for seed, g in kept:
            fid = g.flow["id"]
            a = analyses[fid]
            structural = {n.id for n in a.document.nodes if n.id and n.type == "http/respond"}
            listed = [e for e in store.list(flow=fid, limit=10_000) if not e.parent_id]
            listed.sort(key=lambda e: (e.started_us, e.id))
            executions: list[Any] = [store.get(e.id) for e in listed]
            if len(executions) != len(g.requests):
                report.differences.append(
                    Difference(
                        seed,
                        fid,
                        "records",
                        f"{len(executions)} records for {len(g.requests)} requests",
                    )
                )
                executions = [None] * len(g.requests)
            for req, answer, execution in zip(g.requests, answers[fid], executions, strict=True):
                report.requests += 1
                fixtures = {}
                if execution is not None and execution.nodes:
                    fixtures = _replay_fixtures(execution, a)
                value = sim_input(g, req, execution)
                sim = simulate(a, value, fixtures=fixtures, env={}, now="2026-12-04T12:00:00Z")
                diffs, n = compare(g, req.text, answer, execution, sim, structural)
                report.compared_nodes += n
                for kind, detail in diffs:
                    report.differences.append(Difference(seed, fid, kind, detail, req.text[:200]))
    finally:
        store.close()
    report.seconds = time.monotonic() - started
    return report


def run(
    flows: int,
    *,
    batch: int = 20,
    inputs: int = 5,
    seed: int = 0,
    keep: Path | None = None,
    features: frozenset[str] | None = None,
    unsafe_no_sandbox: bool = False,
    progress: bool = False,
) -> Report:
    """``flows`` flows from seed ``seed`` on, ``batch`` per app, ``inputs`` requests each."""
    total = Report()
    upstream = Upstream()
    base = keep or Path(tempfile.mkdtemp(prefix="nf-differential-"))
    try:
        for start in range(seed, seed + flows, batch):
            seeds = list(range(start, min(start + batch, seed + flows)))
            try:
                rep = run_batch(
                    seeds,
                    inputs,
                    base / f"batch_{start}",
                    upstream,
                    features,
                    unsafe_no_sandbox=unsafe_no_sandbox,
                )
            except Exception as exc:  # the batch as a whole failed: say so, and go on
                import traceback

                rep = Report(batches=1, generated=len(seeds))
                detail = "".join(traceback.format_exception(exc))[-1500:]
                rep.differences.append(Difference(start, f"batch_{start}", "batch", detail))
            total.merge(rep)
            if progress:
                print(
                    f"seeds {seeds[0]}-{seeds[-1]}: {rep.flows} flows, {rep.requests} requests, "
                    f"{len(rep.differences)} differences ({rep.seconds:.1f} s, build "
                    f"{rep.build_seconds:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
                for d in rep.differences:
                    print(f"  {d}", file=sys.stderr, flush=True)
    finally:
        upstream.close()
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return total


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python3 -m bench.differential", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--flows", type=int, default=40)
    p.add_argument("--batch", type=int, default=20, help="flows per compiled app")
    p.add_argument("--inputs", type=int, default=5, help="requests per flow")
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--keep", type=Path, help="keep the batches' workspaces here")
    p.add_argument(
        "--without",
        action="append",
        default=[],
        choices=FEATURES,
        help="leave a node kind or feature out (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="compile code/go without the sandbox (where it cannot be set up)",
    )
    args = p.parse_args(argv)
    features = frozenset(FEATURES) - set(args.without)
    report = run(
        args.flows,
        batch=args.batch,
        inputs=args.inputs,
        seed=args.seed,
        keep=args.keep,
        features=features,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
        progress=True,
    )
    if args.json:
        print(
            json.dumps({**report.summary(), "list": [str(d) for d in report.differences]}, indent=2)
        )
    else:
        for d in report.differences:
            print(d)
        print(json.dumps(report.summary(), indent=2))
    return 1 if report.differences else 0


if __name__ == "__main__":
    os.environ.setdefault("NODEFORGE_CATALOG_CACHE", "1")
    sys.exit(main())
