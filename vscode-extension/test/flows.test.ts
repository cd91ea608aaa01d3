import * as assert from "node:assert/strict";
import { test } from "node:test";
import { isTriggerType, nodeAt, parseFlow } from "../src/flows";
import { EXAMPLE_FLOW } from "./helpers";

test("a flow's id, nodes with the place of their id, and test cases", () => {
  const outline = parseFlow(EXAMPLE_FLOW);
  assert.equal(outline.id, "orders_api");
  assert.equal(outline.name, "Orders API");
  assert.deepEqual(
    outline.nodes.map((n) => [n.id, n.type, n.trigger]),
    [
      ["create", "http/trigger", true],
      ["is_bulk", "flow/if", false],
      ["reply", "http/respond", false],
    ],
  );
  for (const node of outline.nodes) {
    assert.equal(EXAMPLE_FLOW.slice(node.offset, node.offset + node.length), `"${node.id}"`);
  }
  assert.deepEqual(outline.tests, [
    { name: "small order", trigger: "create", input: { body: { sku: "A1", qty: 2 } } },
  ]);
});

test("a broken flow gives what can be read", () => {
  const broken = '{"id": "x", "nodes": [{"id": "a", "type": "flow/if"}, {"type": "no id"}, 3, {"id": "b", "type"';
  const outline = parseFlow(broken);
  assert.equal(outline.id, "x");
  assert.deepEqual(outline.nodes.map((n) => n.id), ["a", "b"]);
  assert.deepEqual(parseFlow("").nodes, []);
  assert.deepEqual(parseFlow("[1, 2]").nodes, []);
});

test("the node under the cursor", () => {
  assert.equal(nodeAt(EXAMPLE_FLOW, EXAMPLE_FLOW.indexOf("input.body.qty"))?.id, "is_bulk");
  assert.equal(nodeAt(EXAMPLE_FLOW, EXAMPLE_FLOW.indexOf("201"))?.id, "reply");
  assert.equal(nodeAt(EXAMPLE_FLOW, EXAMPLE_FLOW.indexOf("connections")), undefined);
});

test("trigger types", () => {
  assert.ok(isTriggerType("http/trigger"));
  assert.ok(isTriggerType("trigger/schedule"));
  assert.ok(isTriggerType("trigger/manual"));
  assert.ok(!isTriggerType("http/respond"));
});
