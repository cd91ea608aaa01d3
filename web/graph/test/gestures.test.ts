import assert from "node:assert/strict";
import { test } from "node:test";
import {
  centreOn,
  clickSelection,
  edgePathWhileMoving,
  edgesTouching,
  minimap,
  movedPositions,
  nodeAt,
  nodesInRect,
  nudge,
  portAt,
  pruneSelection,
  rectOf,
  snap,
  toCanvas,
} from "../src/gestures";
import { parseMessage } from "../src/protocol";
import { buildScene, curve } from "../src/scene";
import { ordersApi } from "./samples";

test("dragging moves the selected boxes, snapped, and their connections follow", () => {
  const scene = buildScene(ordersApi());
  const [a, b] = scene.nodes;
  const keys = new Set([a.key]);
  const moves = movedPositions(scene, keys, 33, -17);
  assert.deepEqual(moves, [{ node: a.key, x: snap(a.x + 33), y: snap(a.y - 17) }]);
  assert.deepEqual(movedPositions(scene, keys, 2, -3), []); // snapped back: no move
  const touching = edgesTouching(scene, keys);
  assert.ok(touching.length > 0);
  assert.ok(touching.every((e) => e.source === a.key || e.target === a.key));
  const edge = touching[0];
  const offsets = new Map([[a.key, { x: 10, y: 20 }]]);
  const moved = edgePathWhileMoving(edge, offsets);
  const from = edge.source === a.key ? { x: edge.from.x + 10, y: edge.from.y + 20 } : edge.from;
  const to = edge.target === a.key ? { x: edge.to.x + 10, y: edge.to.y + 20 } : edge.to;
  assert.equal(moved, curve(from, to));
  assert.equal(edgePathWhileMoving(edge, new Map()), edge.path);
  assert.notEqual(b.key, a.key);
});

test("ports are hit near their anchors; outputs and inputs apart", () => {
  const scene = buildScene(ordersApi());
  const node = scene.nodes.find((n) => n.inputs.length > 0 && n.outputs.length > 0)!;
  const out = node.outputs[0];
  assert.deepEqual(portAt(scene, { x: out.x + 3, y: out.y - 2 }), { node: node.key, port: out.name, output: true });
  const inp = node.inputs[0];
  assert.deepEqual(portAt(scene, { x: inp.x, y: inp.y }, 12, false), { node: node.key, port: inp.name, output: false });
  assert.equal(portAt(scene, { x: inp.x, y: inp.y }, 12, true), null);
  assert.equal(portAt(scene, { x: -1e6, y: -1e6 }), null);
  assert.equal(nodeAt(scene, { x: node.x + 5, y: node.y + 5 })?.key, node.key);
});

test("rubber band, clicks and the selection after a redraw", () => {
  const scene = buildScene(ordersApi());
  const all = rectOf({ x: scene.bounds.x + scene.bounds.width, y: scene.bounds.y + scene.bounds.height }, scene.bounds);
  assert.deepEqual(nodesInRect(scene, all), scene.nodes.map((n) => n.key));
  const first = scene.nodes[0];
  const one = nodesInRect(scene, { x: first.x + 1, y: first.y + 1, width: 2, height: 2 });
  assert.deepEqual(one, [first.key]);
  let sel = clickSelection(new Set(), "a", false);
  sel = clickSelection(sel, "b", true);
  assert.deepEqual([...sel], ["a", "b"]);
  assert.deepEqual([...clickSelection(sel, "a", true)], ["b"]);
  assert.deepEqual([...clickSelection(sel, "c", false)], ["c"]);
  assert.deepEqual([...pruneSelection(scene, new Set([first.key, "gone"]))], [first.key]);
});

test("keys, minimap and view arithmetic", () => {
  assert.deepEqual(nudge("ArrowLeft", false), { x: -10, y: 0 });
  assert.deepEqual(nudge("ArrowDown", true), { x: 0, y: 50 });
  assert.equal(nudge("a", false), null);
  const t = { x: 100, y: 50, k: 2 };
  assert.deepEqual(toCanvas(t, { x: 300, y: 250 }), { x: 100, y: 100 });
  const c = centreOn({ x: 100, y: 100 }, 2, { width: 800, height: 600 });
  assert.deepEqual(toCanvas(c, { x: 400, y: 300 }), { x: 100, y: 100 });
  const bounds = { x: 0, y: 0, width: 1000, height: 500 };
  const m = minimap(bounds, { x: 0, y: 0, k: 1 }, { width: 500, height: 250 }, { width: 180, height: 120 });
  // The drawing fits inside the minimap, and the viewport is its top-left quarter.
  assert.ok(m.x >= 0 && m.x + 1000 * m.k <= 180 + 1e-9 && m.y >= 0 && m.y + 500 * m.k <= 120 + 1e-9);
  assert.ok(Math.abs(m.view.width - 500 * m.k) < 1e-9 && Math.abs(m.view.x - m.x) < 1e-9);
});

test("the host may select nodes on the canvas", () => {
  assert.deepEqual(parseMessage({ type: "select", nodes: ["a", "b"] }), { type: "select", nodes: ["a", "b"] });
  assert.equal(parseMessage({ type: "select", nodes: [1] }), null);
});
