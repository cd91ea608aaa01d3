import * as assert from "node:assert/strict";
import { test } from "node:test";
import { GraphPanels, allowedRequest, graphHtml } from "../src/graph";
import { EXAMPLE_FLOW, FakeServer } from "./helpers";
import * as stub from "./stub/vscode";

test("the webview page: strict CSP, the canvas script only with its nonce", () => {
  const html = graphHtml({ scriptUri: "vscode-resource:/media/graph.js", cspSource: "vscode-resource:", nonce: "N0NCE", title: "Graph: <a>" });
  assert.match(html, /script-src 'nonce-N0NCE'/);
  assert.match(html, /<script nonce="N0NCE" src="vscode-resource:\/media\/graph.js">/);
  assert.match(html, /Graph: &#60;a&#62;/);
  const without = graphHtml({ cspSource: "x", nonce: "n", title: "t" });
  assert.match(without, /media\/graph.js is missing/);
  assert.doesNotMatch(without, /<script/);
});

test("only nodeforge/ requests pass from the canvas to the server", () => {
  assert.ok(allowedRequest("nodeforge/graph"));
  assert.ok(!allowedRequest("workspace/executeCommand"));
  assert.ok(!allowedRequest("nodeforge/../exit"));
  assert.ok(!allowedRequest(42));
});

test("the panel sends the graph when the canvas is ready and forwards its requests", async () => {
  stub.reset();
  const document = stub.openDocument("/ws/a.flow.json", EXAMPLE_FLOW);
  const server = new FakeServer({
    "nodeforge/graph": (params: { textDocument: { uri: string } }) => ({ nodes: [{ id: "create" }], uri: params.textDocument.uri }),
    "nodeforge/connectionData": new Error("no simulation session"),
  });
  const panels = new GraphPanels(stub.Uri.file("/ext") as never, server);
  panels.show(document as never);
  const [view] = stub.recorded.webviews;
  assert.equal(view.title, "Graph: a.flow.json");
  await view.receive?.({ type: "ready" });
  assert.deepEqual(view.posted[0], {
    type: "graph",
    uri: document.uri.toString(),
    version: 1,
    graph: { nodes: [{ id: "create" }], uri: document.uri.toString() },
  });
  await view.receive?.({ type: "request", id: 7, method: "nodeforge/connectionData", params: { session: "s" } });
  assert.deepEqual(view.posted[1], { type: "response", id: 7, error: "no simulation session" });
  await view.receive?.({ type: "request", id: 8, method: "shutdown" });
  assert.match(String((view.posted[2] as { error: string }).error), /not allowed/);
  await view.receive?.({ type: "reveal", node: "reply" });
  const shown = stub.recorded.shownDocuments.at(-1);
  assert.equal(shown?.selection?.start.line, EXAMPLE_FLOW.slice(0, EXAMPLE_FLOW.indexOf('"reply"')).split("\n").length - 1);
  // A range (a connection, a problem) is revealed as given.
  const range = { start: { line: 14, character: 4 }, end: { line: 14, character: 46 } };
  await view.receive?.({ type: "reveal", range, connection: 0 });
  assert.deepEqual(stub.recorded.shownDocuments.at(-1)?.selection, new stub.Range(14, 4, 14, 46));
  // The server's nodeforge/graphChanged redraws the panel of that document.
  panels.changed(document.uri.toString());
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(view.posted.length, 4);
  assert.equal((view.posted[3] as { type: string }).type, "graph");
  assert.deepEqual(server.requests.at(-1), { method: "nodeforge/graph", params: { textDocument: { uri: document.uri.toString() } } });
  panels.dispose();
});
