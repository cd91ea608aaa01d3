import * as assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commandHandlers } from "../src/commands";
import { RevisionItem } from "../src/history";
import { parseFlow } from "../src/flows";
import { NodeItem } from "../src/views";
import { EXAMPLE_FLOW, FakeServer, makeContext } from "./helpers";
import * as stub from "./stub/vscode";

const BUILT = { state: "succeeded", binary: "/ws/.nodeforge/bin/app", seconds: 1.25, problems: 0, output: "" };
const FILE = "/ws/orders.flow.json";
const URI = stub.Uri.file(FILE).toString();

beforeEach(() => stub.reset());

test("build sends the flow's URI and shows the outcome", async () => {
  stub.openDocument(FILE, EXAMPLE_FLOW);
  const server = new FakeServer({ "nodeforge.build": BUILT });
  const ctx = makeContext(server);
  await commandHandlers(ctx)["nodeforge.build"]();
  assert.deepEqual(server.calls, [{ command: "nodeforge.build", argument: { uri: URI } }]);
  assert.deepEqual(ctx.builds.map((b) => b.state), ["building", "succeeded"]);
  server.replies["nodeforge.build"] = { ...BUILT, state: "failed", binary: null, problems: 2, output: "x.go:1: bad" };
  await commandHandlers(ctx)["nodeforge.build"](stub.Uri.file("/ws/other.flow.json"));
  assert.deepEqual(server.calls[1].argument, { uri: stub.Uri.file("/ws/other.flow.json").toString() });
  assert.deepEqual(ctx.builds.at(-1), { state: "failed", detail: "2 problem(s) in the flows" });
  assert.ok(stub.recorded.outputs.get("Nodeforge")?.lines.includes("x.go:1: bad"));
});

test("a code lens's run (uri, trigger) runs the app at the configured address", async () => {
  stub.settings.set("nodeforge.app.address", "127.0.0.1:9090");
  const server = new FakeServer({
    "nodeforge.run": { running: true, pid: 42, addr: "127.0.0.1:9090", build: BUILT },
    "nodeforge.stop": { stopped: true, exit_code: 0 },
  });
  const ctx = makeContext(server);
  const handlers = commandHandlers(ctx);
  await handlers["nodeforge.run"](URI, "create");
  assert.deepEqual(server.calls[0], {
    command: "nodeforge.run",
    argument: { uri: URI, trigger: "create", addr: "127.0.0.1:9090" },
  });
  assert.equal(ctx.address, "127.0.0.1:9090");
  await handlers["nodeforge.stop"]();
  assert.deepEqual(server.calls[1], { command: "nodeforge.stop", argument: {} });
  assert.equal(ctx.address, undefined);
});

test("test node: the node at the cursor, its input from the flow's test case", async () => {
  stub.openDocument(FILE, EXAMPLE_FLOW, EXAMPLE_FLOW.indexOf("/orders"));
  const server = new FakeServer({ "nodeforge.testNode": { status: "ok", outputs: { out: { body: {} } } } });
  const ctx = makeContext(server);
  stub.answers.push((items: { label: string }[]) => items.find((i) => i.label.includes("small order")));
  await commandHandlers(ctx)["nodeforge.testNode"]();
  assert.deepEqual(server.calls, [
    { command: "nodeforge.testNode", argument: { uri: URI, node: "create", input: { body: { sku: "A1", qty: 2 } } } },
  ]);
  assert.equal(stub.recorded.messages.at(-1)?.level, "info");
});

test("test node from a lens (uri, node) with typed JSON saved for next time", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nf-ws-"));
  fs.writeFileSync(path.join(dir, "nodeforge.toml"), "");
  const file = path.join(dir, "orders.flow.json");
  stub.openDocument(file, EXAMPLE_FLOW);
  const server = new FakeServer({ "nodeforge.testNode": { status: "failed", message: "boom" } });
  const handlers = commandHandlers(makeContext(server));
  stub.answers.push((items: { source: string }[]) => items.find((i) => i.source === "json"), '{"qty": 100}', "bulk");
  await handlers["nodeforge.testNode"](stub.Uri.file(file).toString(), "is_bulk");
  assert.deepEqual(server.calls[0].argument, { uri: stub.Uri.file(file).toString(), node: "is_bulk", input: { qty: 100 } });
  const saved = path.join(dir, ".nodeforge", "inputs", "orders_api", "bulk.json");
  assert.deepEqual(JSON.parse(fs.readFileSync(saved, "utf8")), { qty: 100 });
  assert.equal(stub.recorded.messages.at(-1)?.level, "warning");
  // Next time the saved input is offered first.
  stub.answers.push((items: { source: string; label: string }[]) => {
    assert.equal(items[0].source, "saved");
    assert.match(items[0].label, /bulk/);
    return items[0];
  });
  await handlers["nodeforge.testNode"](stub.Uri.file(file).toString(), "is_bulk");
  assert.deepEqual(server.calls[1].argument.input, { qty: 100 });
});

test("cancelling a prompt sends nothing", async () => {
  stub.openDocument(FILE, EXAMPLE_FLOW);
  const server = new FakeServer({});
  const handlers = commandHandlers(makeContext(server));
  stub.answers.push(undefined);
  await handlers["nodeforge.testNode"](URI, "create");
  stub.answers.push(undefined);
  await handlers["nodeforge.saveWithMessage"]();
  assert.deepEqual(server.calls, []);
});

test("simulate fires a trigger with the picked input and stops its session", async () => {
  stub.openDocument(FILE, EXAMPLE_FLOW);
  const server = new FakeServer({
    "nodeforge.simulate": { session: "s1", status: "done", nodes: { create: { status: "ran" } }, response: { status: 201 }, duration_ms: 1.5 },
    "nodeforge.stopSimulation": { stopped: true },
  });
  const tree = new NodeItem(stub.Uri.file(FILE) as never, parseFlow(EXAMPLE_FLOW).nodes[0]);
  stub.answers.push((items: { source: string }[]) => items.find((i) => i.source === "empty"));
  await commandHandlers(makeContext(server))["nodeforge.simulate"](tree);
  assert.deepEqual(server.calls[0], {
    command: "nodeforge.simulate",
    argument: { uri: URI, trigger: "create", input: {}, values: false },
  });
  assert.deepEqual(server.calls[1], { command: "nodeforge.stopSimulation", argument: { session: "s1" } });
  assert.ok(stub.recorded.outputs.get("Nodeforge")?.lines.some((l) => l.includes("simulation done")));
});

test("save with message commits the buffer, then saves the file", async () => {
  const document = stub.openDocument(FILE, EXAMPLE_FLOW);
  document.setText(EXAMPLE_FLOW.replace("Orders API", "Orders"));
  let savedBeforeCommit: number | undefined;
  const server = new FakeServer({
    "nodeforge.history.save": () => {
      savedBeforeCommit = document.saved;
      return { commit: "b".repeat(40), created: true };
    },
  });
  stub.answers.push("  rename the flow ");
  await commandHandlers(makeContext(server))["nodeforge.saveWithMessage"]();
  assert.deepEqual(server.calls[0].argument, { flow: FILE, message: "rename the flow", text: document.getText() });
  assert.equal(savedBeforeCommit, 0);
  assert.equal(document.saved, 1);
  assert.match(stub.recorded.messages.at(-1)?.text ?? "", /saved version bbbbbbbbbb/);
});

test("restore asks first and forces over unsaved edits", async () => {
  const document = stub.openDocument(FILE, EXAMPLE_FLOW);
  document.setText("{}");
  const revision = { commit: "c".repeat(40), short: "cccccccccc", time: "2026-12-04T09:00:00+00:00", author: "a", message: "old", node_versions: [] };
  const server = new FakeServer({ "nodeforge.history.restore": { commit: revision.commit, created: true } });
  stub.answers.push("Restore");
  await commandHandlers(makeContext(server))["nodeforge.history.restoreRevision"](
    new RevisionItem(stub.Uri.file(FILE) as never, revision),
  );
  assert.deepEqual(server.calls[0].argument, { flow: FILE, rev: revision.commit, force: true, dirty: true });
  assert.match(stub.recorded.messages[0].text, /unsaved edits will be discarded/);
  assert.ok(stub.recorded.executed.some((e) => e.command === "workbench.action.files.revert"));
  // Declining sends nothing.
  stub.answers.push(undefined);
  await commandHandlers(makeContext(server))["nodeforge.history.restoreRevision"](
    new RevisionItem(stub.Uri.file(FILE) as never, revision),
  );
  assert.equal(server.calls.length, 1);
});

test("diff: the semantic summary and VS Code's diff editor on a history URI", async () => {
  stub.openDocument(FILE, EXAMPLE_FLOW);
  const revision = { commit: "d".repeat(40), short: "dddddddddd", time: "2026-12-04T09:00:00+00:00", author: "a", message: "m", node_versions: [] };
  const server = new FakeServer({
    "nodeforge.history.list": [revision],
    "nodeforge.history.diff": { a_label: "a", b_label: "b", nodes_added: [{ id: "reply" }], nodes_removed: [], nodes_changed: [], connections_added: ["x->y"], connections_removed: [] },
  });
  stub.answers.push((items: { revision: unknown }[]) => items[0]);
  await commandHandlers(makeContext(server))["nodeforge.diff"]();
  assert.deepEqual(server.calls[1], { command: "nodeforge.history.diff", argument: { flow: FILE, a: revision.commit } });
  const diff = stub.recorded.executed.find((e) => e.command === "vscode.diff");
  assert.ok(diff);
  assert.equal(String(diff.args[0]), `nodeforge-history:${FILE}?rev=${revision.commit}`);
  const lines = stub.recorded.outputs.get("Nodeforge")?.lines ?? [];
  assert.ok(lines.includes("nodes added: reply"));
  assert.ok(lines.includes("connections added: x->y"));
});

test("connectors: test and remove through the server, by name", async () => {
  stub.workspace.workspaceFolders = [{ uri: stub.Uri.file("/ws"), name: "ws", index: 0 }];
  const server = new FakeServer({
    "nodeforge.connector.list": [{ name: "shopdb", type: "postgres", declared: true, stored: true, settings: { password: "****" }, problems: [] }],
    "nodeforge.connector.test": { ok: false, message: "connection refused", details: {}, elapsed_ms: 3 },
    "nodeforge.connector.remove": { removed: true },
  });
  const handlers = commandHandlers(makeContext(server));
  stub.answers.push((items: { label: string }[]) => items[0]);
  await handlers["nodeforge.connector.test"]();
  assert.deepEqual(server.calls[1], { command: "nodeforge.connector.test", argument: { name: "shopdb" } });
  assert.equal(stub.recorded.messages.at(-1)?.level, "error");
  stub.answers.push("Remove");
  await handlers["nodeforge.connector.remove"]("shopdb");
  assert.deepEqual(server.calls.at(-1), { command: "nodeforge.connector.remove", argument: { name: "shopdb" } });
});

test("upgrade nodes: plan, pick, apply", async () => {
  stub.openDocument(FILE, EXAMPLE_FLOW);
  const plan = [{ path: "orders.flow.json", upgrades: [{ node: "create", type: "http/trigger", from_version: "1.0.0", to_version: "1.1.0" }], new_errors: [], conflicts: [] }];
  const server = new FakeServer({ "nodeforge.upgrade.plan": plan, "nodeforge.upgrade.apply": plan });
  stub.answers.push((items: { label: string }[]) => items);
  await commandHandlers(makeContext(server))["nodeforge.upgradeNodes"]();
  assert.deepEqual(server.calls.map((c) => c.command), ["nodeforge.upgrade.plan", "nodeforge.upgrade.apply"]);
  assert.deepEqual(server.calls[1].argument, { flow: FILE, nodes: ["create"], force: false });
});

test("fork the node at the cursor", async () => {
  stub.openDocument(FILE, EXAMPLE_FLOW, EXAMPLE_FLOW.indexOf("201"));
  const server = new FakeServer({ "nodeforge.fork.create": { folder: "nodes/custom/respond" } });
  stub.answers.push("custom/respond");
  await commandHandlers(makeContext(server))["nodeforge.forkNode"]();
  assert.deepEqual(server.calls[0], { command: "nodeforge.fork.create", argument: { node: "http/respond@1.0.0", as: "custom/respond" } });
});

test("check, watch and flow tests run as tasks; debug starts a nodeforge launch", async () => {
  stub.workspace.workspaceFolders = [{ uri: stub.Uri.file("/ws"), name: "ws", index: 0 }];
  stub.openDocument(FILE, EXAMPLE_FLOW);
  const handlers = commandHandlers(makeContext(new FakeServer({})));
  await handlers["nodeforge.checkWorkspace"]();
  await handlers["nodeforge.watch"]();
  await handlers["nodeforge.test"]();
  assert.deepEqual(
    stub.recorded.tasks.map((t) => (t.execution as stub.ProcessExecution).args),
    [["check", "."], ["watch", "."], ["test", "orders.flow.json"]],
  );
  await handlers["nodeforge.debugFlow"](URI, "create");
  assert.deepEqual(stub.recorded.debugSessions, [
    { type: "nodeforge", request: "launch", name: "Debug create", flow: FILE, stopOnEntry: false, trigger: "create" },
  ]);
});

test("reveal a node from the Flows view; show the graph", async () => {
  stub.openDocument(FILE, EXAMPLE_FLOW);
  const ctx = makeContext(new FakeServer({}));
  const handlers = commandHandlers(ctx);
  assert.equal(await handlers["nodeforge.revealNode"](stub.Uri.file(FILE), "is_bulk"), true);
  const shown = stub.recorded.shownDocuments.at(-1);
  assert.equal(shown?.selection?.start.line, 7);
  assert.equal(await handlers["nodeforge.revealNode"](stub.Uri.file(FILE), "nope"), false);
  await handlers["nodeforge.showGraph"]();
  assert.deepEqual(ctx.graphs, [URI]);
});
