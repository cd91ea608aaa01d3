import * as assert from "node:assert/strict";
import { test } from "node:test";
import { HistoryContentProvider, HistoryTreeProvider, RevisionItem, historyUri, parseHistoryUri } from "../src/history";
import { FakeServer } from "./helpers";
import * as stub from "./stub/vscode";

const revision = {
  commit: "a".repeat(40),
  short: "aaaaaaaaaa",
  time: "2026-12-04T10:00:00+00:00",
  author: "ana",
  message: "first",
  node_versions: ["http/trigger@1.0.0"],
};

test("nodeforge-history: URIs name a flow and a revision", () => {
  const uri = historyUri("/ws/flows/my orders.flow.json", "@1");
  assert.equal(uri.scheme, "nodeforge-history");
  assert.deepEqual(parseHistoryUri(uri as never), { flow: "/ws/flows/my orders.flow.json", rev: "@1" });
  assert.throws(() => parseHistoryUri(stub.Uri.file("/x") as never), /not a nodeforge-history/);
  assert.throws(() => parseHistoryUri(stub.Uri.from({ scheme: "nodeforge-history", path: "/x" }) as never), /no revision/);
});

test("a saved version's text comes from history.read", async () => {
  const server = new FakeServer({ "nodeforge.history.read": { text: "{\"id\": \"old\"}\n", commit: revision.commit } });
  const text = await new HistoryContentProvider(server).provideTextDocumentContent(historyUri("/ws/a.flow.json", revision.commit) as never);
  assert.equal(text, "{\"id\": \"old\"}\n");
  assert.deepEqual(server.calls, [{ command: "nodeforge.history.read", argument: { flow: "/ws/a.flow.json", rev: revision.commit } }]);
});

test("the history view follows the active flow and opens the diff editor", async () => {
  stub.reset();
  const server = new FakeServer({ "nodeforge.history.list": [revision] });
  const provider = new HistoryTreeProvider(server);
  assert.deepEqual(await provider.getChildren(), []);
  provider.follow(stub.Uri.file("/ws/readme.md") as never);
  assert.equal(provider.current, undefined);
  const flow = stub.Uri.file("/ws/a.flow.json");
  provider.follow(flow as never);
  const [item] = await provider.getChildren();
  assert.ok(item instanceof RevisionItem);
  assert.equal(item.label, "first");
  assert.equal(item.contextValue, "revision");
  assert.deepEqual(server.calls[0], { command: "nodeforge.history.list", argument: { flow: "/ws/a.flow.json", limit: 100 } });
  assert.equal(item.command?.command, "nodeforge.history.openRevision");
});
