// The bundle in a real browser (Chromium through playwright-core): hosted as in a VS Code
// webview (acquireVsCodeApi), it says ready, draws the graphs it is sent with their
// badges and marks, reveals what is clicked or entered, zooms and fits. Screenshots of
// the main states go to build/screenshots/. NODEFORGE_CHROMIUM names the browser
// (default /usr/bin/chromium).
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

const here = new URL(".", import.meta.url);
const media = new URL("../../../vscode-extension/media/", here);
const shots = new URL("../build/screenshots/", here);
const sample = (name) => JSON.parse(readFileSync(new URL(`../sample/${name}`, here), "utf8"));
const script = readFileSync(new URL("graph.js", media), "utf8");
const style = readFileSync(new URL("graph.css", media), "utf8");

const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>${style}</style>
<style>body{margin:0}</style></head>
<body><div id="graph" style="position:absolute;inset:0"></div></body></html>`;

let browser;
let page;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.NODEFORGE_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  page.setDefaultTimeout(5000);
  await page.setContent(PAGE);
  // What a VS Code webview provides: the API the canvas posts to.
  await page.evaluate(() => {
    window.sent = [];
    window.acquireVsCodeApi = () => ({ postMessage: (m) => window.sent.push(m) });
  });
  await page.addScriptTag({ content: script });
});

after(async () => {
  await browser?.close();
});

const send = (message) => page.evaluate((m) => window.postMessage(m, "*"), message);
const sent = () => page.evaluate(() => window.sent);
const transform = () => page.getAttribute(".nf-viewport", "transform");

test("says ready, then draws the flow it is sent", async () => {
  assert.deepEqual(await sent(), [{ type: "ready" }]);
  const graph = sample("orders_api.graph.json");
  await send({ type: "graph", uri: graph.uri, version: 1, graph });
  await page.waitForSelector(".nf-node");
  assert.equal(await page.locator(".nf-node").count(), graph.nodes.length);
  assert.equal(await page.locator(".nf-edge").count(), graph.connections.length);
  assert.equal(await page.locator(".nf-badge").count(), 0);
  assert.equal(await page.textContent(".nf-title"), "Orders API");
  const label = await page.getAttribute('.nf-node[data-key="create_order"]', "aria-label");
  assert.match(label, /^trigger .*http\/trigger@1\.1\.0$/);
  // Fitted: every box is inside the viewport.
  for (const box of await page.locator(".nf-node .nf-box").evaluateAll((els) =>
    els.map((e) => e.getBoundingClientRect().toJSON()),
  )) {
    assert.ok(box.left >= 0 && box.top >= 0 && box.right <= 1100 && box.bottom <= 700, JSON.stringify(box));
  }
  await page.screenshot({ path: new URL("orders_api.png", shots).pathname });
});

test("a click or Enter on a node reveals it in the text", async () => {
  const graph = sample("orders_api.graph.json");
  await page.click('.nf-node[data-key="insert_order"] .nf-label');
  const node = graph.nodes.find((n) => n.key === "insert_order");
  assert.deepEqual((await sent()).at(-1), { type: "reveal", node: "insert_order", range: node.selectionRange });
  await page.focus('.nf-node[data-key="created"]');
  await page.keyboard.press("Enter");
  assert.equal((await sent()).at(-1).node, "created");
});

test("a changed graph replaces only the elements of what changed", async () => {
  const graph = sample("orders_api.graph.json");
  // Mark every element on screen, then send the same flow with a problem in one node
  // and every line shifted by one (as after a line typed above the nodes).
  await page.evaluate(() => {
    for (const g of document.querySelectorAll(".nf-node, .nf-edge")) g.dataset.before = "1";
  });
  const next = JSON.parse(JSON.stringify(graph));
  const shift = (r) => ({ start: { ...r.start, line: r.start.line + 1 }, end: { ...r.end, line: r.end.line + 1 } });
  for (const n of next.nodes) {
    n.range = shift(n.range);
    n.selectionRange = shift(n.selectionRange);
  }
  const target = next.nodes.find((n) => n.key === "insert_order");
  target.diagnostics = [{ severity: 1, code: "NF017", message: "unexpected end of expression", range: target.range }];
  await send({ type: "graph", graph: next });
  await page.waitForSelector('.nf-node[data-key="insert_order"] .nf-badge');
  const fresh = await page.evaluate(() =>
    [...document.querySelectorAll(".nf-node, .nf-edge")].filter((g) => g.dataset.before !== "1").map((g) => g.dataset.key ?? `edge ${g.dataset.index}`),
  );
  assert.deepEqual(fresh, ["insert_order"]);
  // A kept element reveals where its node is now.
  await page.click('.nf-node[data-key="created"] .nf-label');
  const created = next.nodes.find((n) => n.key === "created");
  assert.deepEqual((await sent()).at(-1), { type: "reveal", node: "created", range: created.selectionRange });
  // A type that changes: the port's tooltip is replaced in place, the box stays.
  const typed = JSON.parse(JSON.stringify(next));
  const source = typed.nodes.find((n) => n.key === "create_order");
  source.outputs[0].type = "{changed: string}";
  await send({ type: "graph", graph: typed });
  await page.waitForFunction(() =>
    document.querySelector('.nf-node[data-key="create_order"] .nf-port.nf-out title')?.textContent.includes("{changed: string}"),
  );
  assert.equal(await page.getAttribute('.nf-node[data-key="create_order"]', "data-before"), "1");
  // A focused node drawn again (moved, as with the arrow keys) keeps the focus.
  await page.focus('.nf-node[data-key="created"]');
  const moved = JSON.parse(JSON.stringify(typed));
  const box = moved.nodes.find((n) => n.key === "created");
  box.position = { x: box.position.x + 10, y: box.position.y };
  await send({ type: "graph", graph: moved });
  await page.waitForFunction(() => document.querySelector('.nf-node[data-key="created"]')?.dataset.before === undefined);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset?.key), "created");
  // Back to the first graph: the badge goes, the order of the nodes is the file's.
  await send({ type: "graph", graph });
  await page.waitForFunction(() => document.querySelector(".nf-badge") === null);
  const keys = await page.locator(".nf-node").evaluateAll((els) => els.map((e) => e.dataset.key));
  assert.deepEqual(keys, graph.nodes.map((n) => n.key));
});

test("zoom with the wheel and the buttons, pan by dragging, fit again", async () => {
  const fitted = await transform();
  await page.mouse.move(550, 350);
  await page.mouse.wheel(0, -400);
  const zoomed = await transform();
  assert.notEqual(zoomed, fitted);
  // Drag from a point of the background (no node or connection under it).
  const [x, y] = await page.evaluate(() => {
    for (let y = 690; y > 0; y -= 10) {
      for (let x = 10; x < 1090; x += 10) {
        if (document.elementFromPoint(x, y)?.classList.contains("nf-canvas")) return [x, y];
      }
    }
    throw new Error("no empty background");
  });
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + 60, y - 40, { steps: 4 });
  await page.mouse.up();
  assert.notEqual(await transform(), zoomed);
  await page.click('button[aria-label="Fit the flow in view (0)"]');
  assert.equal(await transform(), fitted);
  await page.click('button[aria-label="Zoom in (+)"]');
  assert.match(await transform(), /scale\(/);
  assert.notEqual(await transform(), fitted);
});

test("a broken flow: badges, marks and the problems list, and the view is kept", async () => {
  const before = await transform();
  const graph = sample("bad_connections.graph.json");
  await send({ type: "graph", graph });
  await page.waitForSelector(".nf-mark");
  assert.equal(await transform(), before); // later graphs keep the user's view
  assert.equal(await page.locator(".nf-edge").count(), graph.connections.length - 1);
  assert.equal(await page.locator(".nf-mark").count(), 3);
  assert.equal(await page.locator(".nf-mark.nf-sev-1").count(), 2);
  assert.equal(await page.locator(".nf-port-unknown").count(), 1);
  const problems = page.locator(".nf-problem");
  assert.equal(await problems.count(), 1);
  assert.match(await problems.first().textContent(), /NF007 \(check\.true → logger\.in\)/);
  await problems.first().click();
  const problem = graph.connections[3].diagnostics[0];
  assert.deepEqual((await sent()).at(-1), { type: "reveal", connection: 3, range: problem.range });
  await page.click('button[aria-label="Fit the flow in view (0)"]');
  await page.screenshot({ path: new URL("bad_connections.png", shots).pathname });
});

test("errors and malformed graphs show a message instead of a half-drawn canvas", async () => {
  await send({ type: "graph", graph: { nodes: [], connections: "no" } });
  assert.match(await page.textContent(".nf-message"), /Bad graph: the graph has no `connections` list/);
  await send({ type: "error", message: "The language server stopped." });
  assert.equal(await page.textContent(".nf-message"), "The language server stopped.");
  await send({ type: "graph", graph: null });
  assert.equal(await page.locator(".nf-node").count(), 0);
});
