import * as assert from "node:assert/strict";
import { test } from "node:test";
import { statusView } from "../src/status";

test("status bar: server, build and app states", () => {
  assert.deepEqual(statusView({ server: "missing", build: "idle" }).command, "nodeforge.restartServer");
  assert.ok(statusView({ server: "missing", build: "idle" }).error);
  assert.equal(statusView({ server: "stopped", build: "succeeded" }).command, "nodeforge.restartServer");
  assert.match(statusView({ server: "starting", build: "idle" }).text, /loading~spin/);
  assert.match(statusView({ server: "running", build: "building" }).text, /Building/);
  const built = statusView({ server: "running", build: "succeeded", buildDetail: "bin/app (1.2 s)" });
  assert.match(built.text, /Built/);
  assert.match(built.tooltip, /bin\/app \(1\.2 s\)/);
  assert.equal(built.command, "nodeforge.showOutput");
  const failed = statusView({ server: "running", build: "failed", buildDetail: "2 problem(s)" });
  assert.ok(failed.error);
  assert.match(failed.text, /Build failed/);
  const running = statusView({ server: "running", build: "succeeded", app: "127.0.0.1:8080" });
  assert.match(running.text, /127\.0\.0\.1:8080/);
  assert.match(running.tooltip, /http:\/\/127\.0\.0\.1:8080/);
  assert.equal(running.command, "nodeforge.openApp");
  assert.ok(!running.error);
});
