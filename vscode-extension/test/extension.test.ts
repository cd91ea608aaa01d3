// The bundled extension (dist/extension.js, what the .vsix ships) activated against the
// fake `vscode`: what it registers must match what package.json declares.
import * as assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as fs from "fs";
import * as path from "path";
import { EXTENSION_ROOT } from "./helpers";
import * as stub from "./stub/vscode";

const BUNDLE = process.env.NODEFORGE_EXTENSION_BUNDLE ?? path.join(EXTENSION_ROOT, "dist", "extension.js");
const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, "package.json"), "utf8"));

async function activate(): Promise<{ deactivate(): Promise<void> }> {
  const extension = require(BUNDLE);
  const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: stub.Uri.file(EXTENSION_ROOT) };
  await extension.activate(context);
  return extension;
}

beforeEach(() => stub.reset());

test("every declared command is registered, and every registered one declared", async () => {
  stub.settings.set("nodeforge.path", "/nonexistent/bin/nodeforge");
  const extension = await activate();
  const declared = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
  const registered = [...stub.recorded.commands.keys()].sort();
  assert.deepEqual(registered, declared);
  for (const menu of Object.values(manifest.contributes.menus) as { command: string }[][]) {
    for (const entry of menu) {
      assert.ok(declared.includes(entry.command), `menu entry ${entry.command} is not a declared command`);
    }
  }
  await extension.deactivate();
});

test("views, history documents, tasks and the debugger are registered", async () => {
  stub.settings.set("nodeforge.path", "/opt/nf/bin/nodeforge");
  await activate();
  const views = manifest.contributes.views.nodeforge.map((v: { id: string }) => v.id).sort();
  assert.deepEqual([...stub.recorded.treeProviders.keys()].sort(), views);
  assert.deepEqual([...stub.recorded.contentProviders.keys()], ["nodeforge-history"]);
  assert.deepEqual([...stub.recorded.taskProviders.keys()], manifest.contributes.taskDefinitions.map((t: { type: string }) => t.type));
  const debuggers = manifest.contributes.debuggers.map((d: { type: string }) => d.type);
  assert.deepEqual([...stub.recorded.debugFactories.keys()], debuggers);
  assert.deepEqual([...stub.recorded.debugProviders.keys()], debuggers);
  const factory = stub.recorded.debugFactories.get("nodeforge") as { createDebugAdapterDescriptor(): stub.DebugAdapterExecutable };
  const descriptor = factory.createDebugAdapterDescriptor();
  assert.deepEqual([descriptor.command, descriptor.args], ["/opt/nf/bin/nodeforge", ["dap"]]);
});

test("a missing executable: a notification saying how to install, a status item, no crash", async () => {
  stub.settings.set("nodeforge.path", "/nonexistent/bin/nodeforge");
  await activate();
  const [notice] = stub.recorded.messages;
  assert.equal(notice.level, "error");
  assert.match(notice.text, /\/nonexistent\/bin\/nodeforge` executable was not found/);
  assert.match(notice.text, /pip install nodeforge/);
  assert.deepEqual(notice.items, ["Open Settings", "Installation Guide"]);
  const [item] = stub.recorded.statusItems;
  assert.ok(item.visible);
  assert.equal(item.command, "nodeforge.restartServer");
  // A command that needs the server tells the user again instead of failing silently.
  stub.openDocument("/ws/a.flow.json", '{"nodeforge": "1", "id": "a", "nodes": []}');
  await stub.commands.executeCommand("nodeforge.build");
  assert.equal(stub.recorded.messages.filter((m) => /was not found/.test(m.text)).length, 2);
});
