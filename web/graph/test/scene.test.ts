import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MAX_ZOOM,
  MIN_ZOOM,
  NODE_HEADER,
  PORT_ROW,
  badgeOf,
  boundsOf,
  buildScene,
  curve,
  ellipsis,
  fitTransform,
  glyphOf,
  zoomAt,
} from "../src/scene";
import { badConnections, ordersApi } from "./samples";

function start(path: string): [number, number] {
  const m = /^M([-\d.]+),([-\d.]+) /.exec(path);
  assert.ok(m, path);
  return [Number(m[1]), Number(m[2])];
}

function end(path: string): [number, number] {
  const m = / ([-\d.]+),([-\d.]+)$/.exec(path);
  assert.ok(m, path);
  return [Number(m[1]), Number(m[2])];
}

test("every node of the flow is a box where the file puts it", () => {
  const graph = ordersApi();
  const scene = buildScene(graph);
  assert.equal(scene.title, "Orders API");
  assert.equal(scene.nodes.length, graph.nodes.length);
  for (const [i, node] of scene.nodes.entries()) {
    const source = graph.nodes[i];
    assert.equal(node.key, source.key);
    assert.deepEqual([node.x, node.y], [source.position.x, source.position.y]);
    assert.deepEqual([node.width, node.height], [source.size.width, source.size.height]);
    assert.equal(node.subtitle, `${source.type}@${source.version}`);
    assert.equal(node.badge, null);
    assert.deepEqual(node.reveal, source.selectionRange);
    assert.equal(node.inputs.length, source.inputs.length);
    for (const [j, port] of node.outputs.entries()) {
      assert.equal(port.x, node.x + node.width);
      assert.equal(port.y, node.y + NODE_HEADER + PORT_ROW * (j + 0.5));
      assert.equal(port.type, source.outputs[j].type);
    }
  }
  assert.deepEqual(scene.problems, []);
});

test("connections run from the output port to the input port", () => {
  const graph = ordersApi();
  const scene = buildScene(graph);
  assert.equal(scene.edges.length, graph.connections.length);
  const byKey = new Map(scene.nodes.map((n) => [n.key, n]));
  for (const [i, edge] of scene.edges.entries()) {
    const conn = graph.connections[i];
    const from = byKey.get(conn.source.node ?? "")!;
    const to = byKey.get(conn.target.node ?? "")!;
    const out = from.outputs.find((p) => p.name === conn.source.port)!;
    const inp = to.inputs.find((p) => p.name === conn.target.port)!;
    assert.deepEqual(start(edge.path), [out.x, out.y]);
    assert.deepEqual(end(edge.path), [inp.x, inp.y]);
    assert.equal(edge.type, conn.type);
    assert.ok(edge.tooltip.startsWith(`${conn.source.text} → ${conn.target.text}\n`), edge.tooltip);
  }
});

test("a broken flow: badges, marks, and what cannot be drawn goes to the problems list", () => {
  const graph = badConnections();
  const scene = buildScene(graph);
  assert.ok(scene.nodes.every((n) => n.badge === null));
  // check.true -> logger.in names no node: not drawn, its problem listed.
  assert.equal(scene.edges.length, graph.connections.length - 1);
  assert.deepEqual(
    scene.problems.map((p) => [p.code, p.where, p.connection]),
    [["NF007", "check.true → logger.in", 3]],
  );
  const marked = scene.edges.filter((e) => e.badge !== null);
  assert.deepEqual(
    marked.map((e) => [e.index, e.badge!.severity]),
    [
      [1, 1],
      [2, 1],
      [5, 2],
    ],
  );
  // check.yes is not a port of flow/if: drawn from the port the view adds, marked unknown.
  const check = scene.nodes.find((n) => n.key === "check")!;
  const yes = check.outputs.find((p) => p.name === "yes")!;
  assert.equal(yes.known, false);
  assert.deepEqual(start(scene.edges[1].path), [yes.x, yes.y]);
  // `from: check.in` names an input: the curve leaves from the middle of the box's side.
  assert.deepEqual(start(scene.edges[2].path), [check.x + check.width, check.y + check.height / 2]);
  // No positions in the file: the server's layout puts the trigger first, left to right.
  const start0 = scene.nodes[0];
  assert.ok(scene.nodes.slice(1).every((n) => n.x > start0.x));
});

test("badges count the problems and take the worst severity", () => {
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
  assert.equal(badgeOf([]), null);
  const badge = badgeOf([
    { severity: 3, code: "NF021", message: "outdated", range },
    { severity: 2, code: "NF010", message: "may be missing", range },
  ]);
  assert.deepEqual([badge?.count, badge?.severity], [2, 2]);
  assert.equal(badge?.text, "info NF021: outdated\nwarning NF010: may be missing");
});

test("fit shows the whole drawing centred and never enlarges it", () => {
  const scene = buildScene(ordersApi());
  const viewport = { width: 800, height: 500 };
  const t = fitTransform(scene.bounds, viewport, 40);
  const b = scene.bounds;
  assert.ok(t.k <= 1 && t.k >= MIN_ZOOM);
  const left = b.x * t.k + t.x;
  const right = (b.x + b.width) * t.k + t.x;
  const top = b.y * t.k + t.y;
  const bottom = (b.y + b.height) * t.k + t.y;
  assert.ok(left >= 39.999 && right <= 760.001 && top >= 39.999 && bottom <= 460.001);
  assert.ok(Math.abs((left + right) / 2 - 400) < 1e-6 && Math.abs((top + bottom) / 2 - 250) < 1e-6);
  const small = fitTransform({ x: 10, y: 10, width: 100, height: 50 }, viewport);
  assert.equal(small.k, 1);
  assert.deepEqual(fitTransform(boundsOf([]), viewport).k, 1);
});

test("zooming keeps the point under the cursor and stays in range", () => {
  const t = { x: 30, y: -20, k: 0.8 };
  const at = { x: 200, y: 150 };
  const z = zoomAt(t, at, 1.5);
  const before = [(at.x - t.x) / t.k, (at.y - t.y) / t.k];
  const after = [(at.x - z.x) / z.k, (at.y - z.y) / z.k];
  assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9);
  assert.equal(zoomAt(t, at, 1000).k, MAX_ZOOM);
  assert.equal(zoomAt(t, at, 1e-6).k, MIN_ZOOM);
});

test("curves, glyphs and ellipses", () => {
  assert.equal(curve({ x: 0, y: 0 }, { x: 200, y: 50 }), "M0,0 C100,0 100,50 200,50");
  assert.equal(curve({ x: 0, y: 0 }, { x: 10, y: 0 }), "M0,0 C40,0 -30,0 10,0");
  assert.equal(glyphOf("play", "trigger"), "▶");
  assert.equal(glyphOf("no-such-icon", "sql"), "S");
  assert.equal(glyphOf(null, null), "?");
  assert.equal(ellipsis("short", 10), "short");
  assert.equal(ellipsis("a rather long label", 8), "a rathe…");
});
