import * as assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_RUNS, RunLog, describeRun, durationMs, listeningAddress, parseAppLine } from "../src/runs";

const line = (record: Record<string, unknown>) =>
  `[app] ${JSON.stringify({ time: "2026-12-04T10:00:00Z", level: "DEBUG", app: "shop", ...record })}`;

test("app log lines become runs: nodes, outcome, duration", () => {
  const log = new RunLog();
  log.add(line({ msg: "node start", flow: "orders_api", node: "create", execution: "e1" }));
  log.add(line({ msg: "node end", flow: "orders_api", node: "create", execution: "e1", took: 1000 }));
  log.add(line({ msg: "node start", flow: "orders_api", node: "reply", execution: "e1" }));
  log.add(line({ msg: "execution done", flow: "orders_api", trigger: "create", execution: "e1", took: 2_500_000 }));
  log.add(line({ msg: "node error", flow: "orders_api", node: "save", execution: "e2", error: "db down", code: "sql" }));
  log.add(line({ msg: "execution failed", level: "ERROR", flow: "orders_api", trigger: "create", execution: "e2", error: "db down", took: 4_000_000 }));
  log.add(line({ msg: "request rejected", flow: "orders_api", trigger: "create", execution: "e3", error: "body: qty is required" }));
  const [rejected, failed, done] = log.list();
  assert.deepEqual(
    { status: done.status, nodes: done.nodes, tookMs: done.tookMs, trigger: done.trigger },
    { status: "done", nodes: ["create", "reply"], tookMs: 2.5, trigger: "create" },
  );
  assert.deepEqual(
    { status: failed.status, failedNode: failed.failedNode, error: failed.error },
    { status: "failed", failedNode: "save", error: "db down" },
  );
  assert.equal(rejected.status, "rejected");
  assert.deepEqual(describeRun(done), { label: "orders_api · create", description: "done in 2.5 ms" });
  assert.deepEqual(describeRun(failed), { label: "orders_api · create", description: "failed in 4.0 ms: db down" });
});

test("other lines are no runs; the listening address is read", () => {
  const log = new RunLog();
  assert.equal(log.add("[app] exited with code 0"), undefined);
  assert.equal(log.add("[info] Build succeeded"), undefined);
  assert.equal(log.add(line({ msg: "listening", addr: "127.0.0.1:8080" })), undefined);
  assert.equal(log.add("[app] {not json"), undefined);
  assert.deepEqual(log.list(), []);
  const record = parseAppLine(line({ msg: "listening", addr: "127.0.0.1:8080", routes: 2 }));
  assert.equal(record && listeningAddress(record), "127.0.0.1:8080");
  assert.equal(parseAppLine("[app] [1, 2]"), undefined);
});

test("only the newest runs are kept", () => {
  const log = new RunLog();
  for (let i = 0; i < MAX_RUNS + 5; i++) {
    log.add(line({ msg: "execution done", flow: "f", execution: `e${i}`, took: 1e6 }));
  }
  const runs = log.list();
  assert.equal(runs.length, MAX_RUNS);
  assert.equal(runs[0].execution, `e${MAX_RUNS + 4}`);
  assert.equal(runs[runs.length - 1].execution, "e5");
  log.clear();
  assert.deepEqual(log.list(), []);
});

test("slog durations", () => {
  assert.equal(durationMs(1_500_000), 1.5);
  assert.equal(durationMs("1.5ms"), 1.5);
  assert.equal(durationMs("2s"), 2000);
  assert.equal(durationMs("250µs"), 0.25);
  assert.equal(durationMs("soon"), undefined);
  assert.equal(durationMs(undefined), undefined);
});
