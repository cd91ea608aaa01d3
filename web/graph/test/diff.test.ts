import assert from "node:assert/strict";
import { test } from "node:test";
import { edgeSignature, graphChanges, nodeSignature, plan, touches, type Drawn } from "../src/diff";
import { type GraphNode, type GraphView, mergeGraph } from "../src/protocol";
import { buildScene, type SceneEdge, type SceneNode } from "../src/scene";
import { badConnections, ordersApi } from "./samples";

/** What a canvas has on screen after drawing `scene`. */
function drawnOf(nodes: SceneNode[]): Map<string, Drawn<SceneNode>> {
  return new Map(nodes.map((n) => [n.key, { item: n, sig: nodeSignature(n) }]));
}

function edgesDrawn(edges: SceneEdge[]): Map<number, Drawn<SceneEdge>> {
  return new Map(edges.map((e) => [e.index, { item: e, sig: edgeSignature(e) }]));
}

/** A copy of `graph` as a host that sends whole graphs would send it again. */
function resent(graph: GraphView): GraphView {
  return JSON.parse(JSON.stringify(graph)) as GraphView;
}

function withBadge(node: GraphNode): GraphNode {
  return {
    ...node,
    diagnostics: [{ severity: 1, code: "NF017", message: "unexpected end of expression", range: node.range }],
  };
}

test("the same graph sent again redraws nothing", () => {
  const graph = ordersApi();
  const first = buildScene(graph);
  const again = buildScene(resent(graph));
  const nodes = plan(drawnOf(first.nodes), again.nodes, (n) => n.key, nodeSignature);
  assert.deepEqual([nodes.draw, nodes.patch, nodes.remove, nodes.kept.length], [[], [], [], graph.nodes.length]);
  const edges = plan(edgesDrawn(first.edges), again.edges, (e) => e.index, edgeSignature);
  assert.deepEqual([edges.draw, edges.patch, edges.remove, edges.kept.length], [[], [], [], first.edges.length]);
});

test("a type that changes upstream patches the texts downstream, without drawing boxes again", () => {
  const graph = ordersApi();
  const first = buildScene(graph);
  const next = resent(graph);
  // The type of one output changes: its port and the connections from it carry another.
  const source = next.nodes.find((n) => n.outputs.length > 0 && next.connections.some((c) => c.source.node === n.key))!;
  source.outputs[0].type = "{changed: string}";
  for (const c of next.connections) if (c.source.node === source.key && c.source.port === source.outputs[0].name) c.type = "{changed: string}";
  const scene = buildScene(next);
  const nodes = plan(drawnOf(first.nodes), scene.nodes, (n) => n.key, nodeSignature);
  assert.deepEqual(nodes.draw, []);
  assert.deepEqual(
    nodes.patch.map((n) => n.key),
    [source.key],
  );
  const edges = plan(edgesDrawn(first.edges), scene.edges, (e) => e.index, edgeSignature);
  assert.deepEqual(edges.draw, []);
  assert.ok(edges.patch.length > 0 && edges.patch.every((e) => e.source === source.key && e.tooltip.includes("{changed: string}")));
});

test("a badge on one node redraws that node alone, and its connections not at all", () => {
  const graph = ordersApi();
  const first = buildScene(graph);
  const target = graph.nodes[2];
  const next = resent(graph);
  next.nodes[2] = withBadge(target);
  const scene = buildScene(next);
  const nodes = plan(drawnOf(first.nodes), scene.nodes, (n) => n.key, nodeSignature);
  assert.deepEqual(
    nodes.draw.map((n) => n.key),
    [target.key],
  );
  assert.equal(nodes.draw[0].badge?.count, 1);
  const edges = plan(edgesDrawn(first.edges), scene.edges, (e) => e.index, edgeSignature);
  assert.deepEqual(edges.draw, []);
});

test("a moved node redraws it and the connections that touch it", () => {
  const graph = ordersApi();
  const first = buildScene(graph);
  const target = graph.nodes[1];
  const next = resent(graph);
  next.nodes[1] = { ...target, position: { x: target.position.x + 50, y: target.position.y } };
  const scene = buildScene(next);
  const nodes = plan(drawnOf(first.nodes), scene.nodes, (n) => n.key, nodeSignature);
  assert.deepEqual(
    nodes.draw.map((n) => n.key),
    [target.key],
  );
  const edges = plan(edgesDrawn(first.edges), scene.edges, (e) => e.index, edgeSignature);
  const touching = first.edges.filter((e) => e.source === target.key || e.target === target.key).map((e) => e.index);
  assert.ok(touching.length > 0);
  assert.deepEqual(
    edges.draw.map((e) => e.index),
    touching,
  );
});

test("where a click reveals is not part of the drawing: shifted lines redraw nothing", () => {
  const graph = ordersApi();
  const first = buildScene(graph);
  const next = resent(graph);
  for (const n of next.nodes) {
    n.range = { start: { line: n.range.start.line + 1, character: 0 }, end: { line: n.range.end.line + 1, character: 0 } };
    n.selectionRange = n.range;
  }
  const scene = buildScene(next);
  assert.deepEqual(plan(drawnOf(first.nodes), scene.nodes, (n) => n.key, nodeSignature).draw, []);
});

test("added, removed and dirty items", () => {
  const graph = ordersApi();
  const first = buildScene(graph);
  const next = resent(graph);
  const removed = next.nodes.splice(1, 1)[0];
  next.nodes.push({ ...next.nodes[0], key: "added", id: "added", index: 99 });
  const scene = buildScene(next);
  const dirty = new Set([next.nodes[0].key]);
  const nodes = plan(drawnOf(first.nodes), scene.nodes, (n) => n.key, nodeSignature, dirty);
  assert.deepEqual(
    nodes.draw.map((n) => n.key),
    [next.nodes[0].key, "added"],
  );
  assert.deepEqual(nodes.remove, [removed.key]);
  assert.equal(nodes.kept.length, graph.nodes.length - 2);
});

test("identical objects are kept without computing their signature", () => {
  const graph = ordersApi();
  const first = buildScene(graph);
  const drawn = new Map(first.nodes.map((n) => [n.key, { item: n, sig: { shape: "stale on purpose", text: "" } }]));
  const again = buildScene(graph); // the same graph objects: the scene hands the same boxes on
  assert.equal(again.nodes[0], first.nodes[0]);
  const nodes = plan(drawn, again.nodes, (n) => n.key, nodeSignature);
  assert.equal(nodes.kept.length, graph.nodes.length);
});

test("a relative answer is completed from the graph shown, with its very objects", () => {
  const shown = { ...ordersApi(), tag: "4" };
  const changed = withBadge(shown.nodes[1]);
  const answer = {
    ...shown,
    tag: "5",
    base: "4",
    version: 7,
    nodes: shown.nodes.map((n, i) => (i === 1 ? changed : n.key)),
    connections: shown.connections.map((c) => c.index),
  };
  const merged = mergeGraph(answer, shown);
  assert.ok(typeof merged !== "string", String(merged));
  assert.equal(merged.version, 7);
  assert.equal(merged.tag, "5");
  assert.equal((merged as unknown as { base?: string }).base, undefined);
  assert.equal(merged.nodes[0], shown.nodes[0]);
  assert.deepEqual(merged.nodes[1], changed);
  assert.equal(merged.connections[0], shown.connections[0]);
  // What changed, for the panels: only that node.
  const changes = graphChanges(shown, merged);
  assert.deepEqual([...changes.nodes], [changed.key]);
  assert.deepEqual([...changes.connections], []);
  assert.equal(changes.structure, false);
  assert.equal(changes.flow, false);
  // The scene keeps the other boxes as they were: the canvas redraws one node.
  const before = buildScene(shown);
  const after = buildScene(merged);
  assert.equal(after.nodes[0], before.nodes[0]);
  assert.notEqual(after.nodes[1], before.nodes[1]);
  for (const [i, e] of after.edges.entries()) {
    const touches = e.source === changed.key || e.target === changed.key;
    // Untouched connections are the same objects; those of the changed node are
    // computed again but draw the same (a badge does not move a port).
    if (touches) assert.deepEqual(edgeSignature(e), edgeSignature(before.edges[i]));
    else assert.equal(e, before.edges[i]);
  }
});

test("a relative answer to another graph, or naming what the graph shown lacks, is refused", () => {
  const shown = { ...ordersApi(), tag: "4" };
  const answer = { ...shown, tag: "5", base: "3", nodes: shown.nodes.map((n) => n.key) };
  assert.match(String(mergeGraph(answer, shown)), /relative to 3/);
  assert.match(String(mergeGraph({ ...answer, base: "4", nodes: ["nope"] }, shown)), /node 0 names nope/);
  assert.match(String(mergeGraph({ ...answer, base: "4", connections: [99] }, shown)), /connection 0 names 99/);
  assert.match(String(mergeGraph({ ...answer, base: "4", nodes: [{ key: 1 }] }, shown)), /node 0 has no key/);
  assert.match(String(mergeGraph(answer, null)), /not the graph shown/);
  // A whole answer needs no graph shown.
  assert.equal(typeof mergeGraph(badConnections(), null), "object");
});

test("changes between whole graphs: by content, with structure and the flow's own problems", () => {
  const graph = ordersApi();
  const next = resent(graph);
  assert.deepEqual([...graphChanges(graph, next).nodes], []);
  next.nodes.pop();
  next.diagnostics = [{ severity: 2, code: "NF013", message: "no trigger", range: graph.nodes[0].range }];
  const changes = graphChanges(graph, next);
  assert.deepEqual([...changes.nodes], [graph.nodes[graph.nodes.length - 1].key]);
  assert.equal(changes.structure, true);
  assert.equal(changes.flow, true);
  const all = graphChanges(null, graph);
  assert.equal(all.nodes.size, graph.nodes.length);
  assert.equal(all.structure, true);
});

test("a panel showing a node or a connection is touched only by their changes", () => {
  const shown = ordersApi();
  const next = resent(shown);
  next.nodes[1] = withBadge(next.nodes[1]);
  const changes = graphChanges(shown, next);
  assert.equal(touches(changes, [next.nodes[1].key]), true);
  assert.equal(touches(changes, [next.nodes[2].key]), false);
  assert.equal(touches(changes, [], [0]), false);
  assert.equal(touches(changes, []), false);
  assert.equal(touches(null, []), true); // a new document: everything is new
});
