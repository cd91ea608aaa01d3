import assert from "node:assert/strict";
import { test } from "node:test";
import { parseGraph, parseMessage } from "../src/protocol";
import { badConnections, ordersApi } from "./samples";

test("the server's graphs are accepted as they are", () => {
  for (const graph of [ordersApi(), badConnections()]) {
    assert.equal(parseGraph(graph), graph);
  }
});

test("malformed graphs are refused with the reason", () => {
  const good = ordersApi();
  assert.equal(parseGraph(null), "the graph is not an object");
  assert.equal(parseGraph({ ...good, nodes: undefined }), "the graph has no `nodes` list");
  const noPosition = { ...good, nodes: [{ ...good.nodes[0], position: { x: "1", y: 2 } }] };
  assert.equal(parseGraph(noPosition), `node ${good.nodes[0].key} has no position`);
  const noEnds = { ...good, connections: [{ ...good.connections[0], source: null }] };
  assert.equal(parseGraph(noEnds), "connection 0 has no ends");
});

test("host messages", () => {
  const graph = ordersApi();
  assert.deepEqual(parseMessage({ type: "graph", graph, uri: graph.uri, version: 3 }), {
    type: "graph",
    graph,
  });
  assert.deepEqual(parseMessage({ type: "graph", graph: null }), { type: "graph", graph: null });
  assert.deepEqual(parseMessage({ type: "error", message: "server stopped" }), {
    type: "error",
    message: "server stopped",
  });
  assert.deepEqual(parseMessage({ type: "graph", graph: { nodes: 1 } }), {
    type: "error",
    message: "Bad graph: the graph has no `nodes` list",
  });
  assert.equal(parseMessage({ type: "response", id: 1 }), null);
  assert.equal(parseMessage("graph"), null);
});
