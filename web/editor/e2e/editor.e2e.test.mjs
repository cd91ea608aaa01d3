// The web editor in a real browser (Chromium through playwright-core) against a real
// `nodeforge serve` on a copy of the examples, started by tests/test_web_editor_e2e.py,
// which also floods the gateway from a second client meanwhile. The steps build on
// each other (one page, in order): open a flow, drop a node from the palette and
// connect it, an incompatible connection's diagnostic and its adapter quick fix, a
// config expression with completion, the text pane driving the canvas, simulation with
// data on the connections, a breakpoint, a node test in the sandbox, connectors, build,
// run and call the app, save a version, diff and restore, and a reload that finds it
// all persisted. Screenshots of the main states go to NODEFORGE_E2E_SHOTS.
//
// Environment: NODEFORGE_E2E_URL (the page's address with its token),
// NODEFORGE_E2E_WORKSPACE (the served folder), NODEFORGE_E2E_APP_ADDR (where the app
// listens), NODEFORGE_E2E_SHOTS, NODEFORGE_CHROMIUM (default /usr/bin/chromium).
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, afterEach, before, test } from "node:test";
import { chromium } from "playwright-core";

const URL_ = process.env.NODEFORGE_E2E_URL;
const WS = process.env.NODEFORGE_E2E_WORKSPACE;
const APP_ADDR = process.env.NODEFORGE_E2E_APP_ADDR ?? "127.0.0.1:18080";
const SHOTS = process.env.NODEFORGE_E2E_SHOTS ?? join(process.cwd(), "build", "e2e-screenshots");
if (!URL_ || !WS) throw new Error("NODEFORGE_E2E_URL and NODEFORGE_E2E_WORKSPACE are required (run tests/test_web_editor_e2e.py)");

const flowUri = (name) => pathToFileURL(join(WS, `${name}.flow.json`)).href;
const onDisk = (name) => readFileSync(join(WS, `${name}.flow.json`), "utf8");

let browser;
let page;
const errors = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: process.env.NODEFORGE_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(20000);
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("dialog", (d) => void d.accept(d.defaultValue() || undefined));
});

after(async () => {
  await browser?.close();
});

// The page as each step left it (kept beside the named screenshots, for a failure).
afterEach(async (t) => {
  await page?.screenshot({ path: join(SHOTS, `last-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, "-")}.png`) }).catch(() => undefined);
});

const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const text = () => page.evaluate(() => window.nodeforgeEditor.view.state.doc.toString());
const nodeCount = () => page.locator(".nf-node").count();
const edgeCount = () => page.locator(".nf-edge").count();
const node = (key) => page.locator(`.nf-node[data-key="${key}"]`);
const tab = (id) => page.click(`#nfe-tab-${id}`);
const status = () => page.textContent(".nfe-status");

async function openFlow(name) {
  await page.selectOption(".nfe-flow-picker", flowUri(name));
  await page.waitForFunction((uri) => window.nodeforgeEditor?.state.graph?.uri === uri, flowUri(name));
  await page.waitForSelector(".nf-node");
}

/** Put the cursor before the closing quote of `"title": "<title>"` in the text pane and type. */
async function appendToTitle(title, extra) {
  await page.locator(".nfe-text .cm-line", { hasText: `"title": "${title}"` }).click();
  await page.keyboard.press("End");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.type(extra);
}

/** Press on one port and release on another (the canvas's connect gesture). */
async function dragPort(fromKey, fromPort, toKey, toPort) {
  const a = await page.locator(`.nf-node[data-key="${fromKey}"] .nf-out[data-port="${fromPort}"] circle`).boundingBox();
  const b = await page.locator(`.nf-node[data-key="${toKey}"] .nf-in[data-port="${toPort}"] circle`).boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 4 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 4 });
  await page.mouse.up();
}

async function graphVersionAbove(version) {
  await page.waitForFunction((v) => (window.nodeforgeEditor.state.graph?.version ?? 0) > v, version);
}
const graphVersion = () => page.evaluate(() => window.nodeforgeEditor.state.graph?.version ?? 0);

test("opens a flow and shows its nodes and connections", async () => {
  await page.goto(`${URL_}&flow=${encodeURIComponent(flowUri("tax_rate"))}`);
  await page.waitForSelector(".nf-node");
  const flow = JSON.parse(onDisk("tax_rate"));
  assert.equal(await nodeCount(), flow.nodes.length);
  assert.equal(await edgeCount(), flow.connections.length);
  assert.equal(await page.textContent(".nf-title"), flow.name);
  assert.doesNotMatch(page.url(), /token=/, "the token is removed from the address bar");
  await shot("01-open");
});

test("a node dragged from the palette is added, and connected by dragging port to port", async () => {
  const before = await nodeCount();
  await page.fill(".nfe-search", "log");
  const item = page.locator(".nfe-palette-item", { hasText: "Log" }).first();
  const canvas = await page.locator(".nfe-canvas").boundingBox();
  await item.dragTo(page.locator(".nfe-canvas svg.nf-canvas"), { targetPosition: { x: canvas.width * 0.55, y: canvas.height * 0.8 } });
  await page.waitForFunction((n) => document.querySelectorAll(".nf-node").length === n + 1, before);
  assert.match(await text(), /"type": "util\/log"/);
  await page.fill(".nfe-search", "");
  const edges = await edgeCount();
  await dragPort("de", "out", "log", "in");
  await page.waitForFunction((n) => document.querySelectorAll(".nf-edge").length === n + 1, edges);
  assert.match(await text(), /\{"from": "de\.out", "to": "log\.in"\}/);
  // Its message (a template field of the config panel) says what it logs.
  await node("log").click();
  const message = page.locator(".nfe-panel-config .nfe-expr .cm-content").first();
  await message.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type("German rate {{ input.percent }}");
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => window.nodeforgeEditor.view.state.doc.toString().includes('"message": "German rate {{ input.percent }}"'));
  await shot("02-dropped-and-connected");
});

test("an incompatible connection shows its diagnostic, and the adapter quick fix repairs it", async () => {
  await openFlow("quote_api");
  const original = await text();
  await dragPort("quote", "out", "pricing", "in");
  const mark = page.locator(".nf-edge.nf-sev-1");
  await mark.first().waitFor();
  await page.waitForSelector('.nf-node[data-key="pricing"] .nf-badge, .nf-edge.nf-sev-1 .nf-mark');
  await shot("03-incompatible-connection");
  // The problem in the Problems list selects the connection; the config panel offers the fix.
  await tab("problems");
  await page.locator(".nfe-problem", { hasText: "NF009" }).first().click();
  await page.waitForSelector(".nfe-panel-config .nfe-field-problem:has-text('NF009')");
  const fix = page.locator(".nfe-panel-config .nfe-actions button", { hasText: /adapter/i }).first();
  await fix.waitFor();
  await fix.click();
  await page.waitForFunction(() => document.querySelectorAll(".nf-edge.nf-sev-1").length === 0);
  assert.match(await text(), /"type": "data\/map"/);
  await shot("04-quick-fix-applied");
  // Undo in the text takes both gestures back: the flow is as it was.
  for (let i = 0; i < 10 && (await text()) !== original; i++) {
    await page.click("button[aria-label='Undo (Ctrl+Z)']");
    await page.waitForTimeout(150);
  }
  assert.equal(await text(), original);
});

test("a config expression is edited with the server's completion, and the text follows", async () => {
  await openFlow("tax_rate");
  await node("answer").click();
  await page.waitForSelector(".nfe-panel-config .nfe-expr .cm-content");
  const field = page.locator(".nfe-panel-config .nfe-expr .cm-content").first();
  await field.click();
  await page.keyboard.press("End");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.type(', "cents": input.am', { delay: 40 });
  const option = page.locator(".cm-tooltip-autocomplete li", { hasText: "amount_cents" });
  await option.first().waitFor();
  await shot("05-completion");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.nodeforgeEditor.view.state.doc.toString().includes('\\"cents\\": input.amount_cents}'));
  // A mistake is underlined in the field after the next analysis.
  await page.keyboard.type(" +", { delay: 40 });
  await page.waitForSelector(".nfe-panel-config .nfe-expr .nfe-squiggle");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  await page.waitForFunction(() => document.querySelectorAll(".nfe-panel-config .nfe-expr .nfe-squiggle").length === 0);
  await page.keyboard.press("Escape");
});

test("typing in the text pane changes the canvas", async () => {
  await appendToTitle("19%", " VAT");
  await page.waitForFunction(() => document.querySelector('.nf-node[data-key="de"] .nf-label')?.textContent === "19% VAT");
  await shot("06-text-drives-canvas");
});

test("a simulation shows the data on every connection, and on the one clicked", async () => {
  await tab("run");
  await page.fill(".nfe-sim-input", JSON.stringify({ country: "DE", amount_cents: 1000 }));
  await page.fill(".nfe-sim-controls input[aria-label='Name of the saved input']", "germany");
  await page.click("button:text('Save input')");
  await page.waitForSelector(".nfe-sim-controls option[value='germany']", { state: "attached" });
  await page.click("#nfe-sim-run");
  await page.waitForSelector(".nfe-sim-state.nfe-ok");
  assert.match(await page.textContent(".nfe-sim-state"), /response 200/);
  assert.ok((await page.locator(".nf-edge-data").count()) >= 3, "data labels on the connections that carried data");
  // The connection into `de` carried the input.
  const index = await page.evaluate(() => window.nodeforgeEditor.state.graph.connections.find((c) => c.target.node === "de").index);
  await page.locator(`.nf-edge[data-index="${index}"] .nf-edge-hit`).click({ force: true });
  await tab("run");
  await page.waitForSelector(".nfe-sim-data .nfe-json");
  assert.match(await page.textContent(".nfe-sim-data"), /"amount_cents": 1000/);
  await shot("07-simulation-data");
});

test("a breakpoint pauses the run before its node; step and continue finish it", async () => {
  await node("answer").click();
  await page.keyboard.press("F9");
  await page.waitForSelector('.nf-node[data-key="answer"] .nf-breakpoint');
  await tab("run");
  await page.click("#nfe-sim-run");
  await page.waitForSelector(".nfe-sim-state.nfe-sev-2");
  assert.match(await page.textContent(".nfe-sim-state"), /Paused before answer/);
  await page.waitForSelector('.nf-node.nf-run-paused[data-key="answer"]');
  await page.click(".nfe-canvas", { position: { x: 5, y: 60 } }); // clear the selection: the data panel shows the paused value
  await shot("08-paused-at-breakpoint");
  await page.click("button:text('Continue')");
  await page.waitForSelector(".nfe-sim-state.nfe-ok");
  await tab("log");
  await page.waitForSelector(".nfe-log-line");
});

test("a node's Go code is tested in the sandbox with outputs, logs, duration and status", async () => {
  await openFlow("quote_api");
  await node("pricing").click();
  await tab("test");
  await page.fill(".nfe-panel-test textarea", JSON.stringify({ lines: [{ sku: "TEA", qty: 12, unit_cents: 500 }] }));
  await page.click("#nfe-test-run");
  await page.waitForSelector(".nfe-panel-test .nfe-test-status", { timeout: 240000 });
  const result = await page.textContent(".nfe-panel-test");
  assert.match(result, /✓ ok/, result);
  assert.match(result, /"subtotal_cents": 6000/);
  assert.match(result, /ms in all/);
  await shot("09-node-test");
});

/** Wait for connector `name`'s "settings stored" chip (the text alone would also match
 * "no settings stored: ..."); on a timeout, say what the form answered. */
async function storedChip(name) {
  try {
    await page.waitForFunction(
      (n) => [...document.querySelectorAll(".nfe-connector")].some((c) => c.querySelector(".nfe-connector-name")?.textContent === n && c.querySelector(".nfe-chip.nfe-ok") !== null),
      name,
    );
  } catch (e) {
    const answer = await page.evaluate(() => document.querySelector(".nfe-panel-connectors form")?.textContent ?? "");
    throw new Error(`${name} has no stored settings; the form says: ${answer.slice(-300)}`, { cause: e });
  }
}

test("connectors are added (the secret never comes back) and tested", async () => {
  await tab("connectors");
  const form = page.locator(".nfe-panel-connectors form");
  await form.locator("input").first().fill("shopdb");
  await form.locator("select").selectOption("sqlite");
  await form.locator("input[name='path']").fill("shop.db");
  await form.locator("input[name='schema']").fill("db/shopdb.sql");
  await form.locator("button[type='submit']").click();
  await page.waitForSelector(".nfe-panel-connectors .nfe-connector .nfe-chip.nfe-ok");
  for (const [name, schema] of [["reports_db", "db/reports_db.sql"]]) {
    await form.locator("input").first().fill(name);
    await form.locator("select").selectOption("sqlite");
    await form.locator("input[name='path']").fill(`${name}.db`);
    await form.locator("input[name='schema']").fill(schema);
    await form.locator("button[type='submit']").click();
    await storedChip(name);
  }
  // A secret typed into a password field goes to the server and is cleared at once.
  await form.locator("input").first().fill("mailer");
  await form.locator("select").selectOption("smtp");
  const secret = "s3cret-never-shown";
  const fields = await form.locator("input[type='password']").count();
  assert.ok(fields > 0, "smtp has a secret field");
  for (const input of await form.locator("input[name]").all()) {
    const name = await input.getAttribute("name");
    if ((await input.getAttribute("type")) === "password") await input.fill(secret);
    else if (name === "host") await input.fill("127.0.0.1");
    else if (name === "from") await input.fill("shop@example.com");
    else if (name === "username" || name === "user") await input.fill("shop");
  }
  await form.locator("button[type='submit']").click();
  await storedChip("mailer");
  assert.equal(await page.locator(".nfe-panel-connectors input[type='password']").evaluateAll((els) => els.filter((e) => e.value !== "").length), 0);
  assert.ok(!(await page.content()).includes(secret), "the secret is nowhere in the page");
  const shop = page.locator(".nfe-connector", { hasText: "shopdb" });
  await shop.locator("button", { hasText: "Test" }).click();
  await shop.locator(".nfe-connector-test.nfe-ok").waitFor();
  await shot("10-connectors");
});

test("the app is built and run with progress, and called from the page", async () => {
  await tab("app");
  await page.fill(".nfe-panel-app input[aria-label='Address the app listens on']", APP_ADDR);
  const sawProgress = page.waitForSelector(".nfe-progress:not([hidden])", { timeout: 240000 }).then(() => true, () => false);
  await page.click("#nfe-app-run");
  await page.waitForSelector(".nfe-panel-app .nfe-sim-state.nfe-ok", { timeout: 300000 });
  assert.match(await page.textContent(".nfe-panel-app .nfe-sim-state"), /Running on/);
  assert.ok(await sawProgress, "the build's work-done progress showed in the toolbar");
  await page.selectOption(".nfe-panel-app select[aria-label='HTTP method']", "POST");
  await page.fill(".nfe-panel-app input[aria-label='Path']", "/quotes");
  await page.fill(".nfe-panel-app textarea", JSON.stringify({ country: "FR", lines: [{ sku: "TEA", qty: 12, unit_cents: 500 }] }));
  await page.click("#nfe-call-send");
  await page.waitForSelector(".nfe-call-answer .nfe-test-status", { timeout: 60000 });
  const answer = await page.textContent(".nfe-call-answer");
  assert.match(answer, /^200/, answer);
  assert.match(answer, /"total_cents": 6840/);
  await shot("11-app-called");
  await page.click(".nfe-panel-app button:text('Stop')");
  await page.waitForSelector(".nfe-panel-app .nfe-sim-state:has-text('Stopped')");
});

test("a version is saved with a message, diffed against the edits, and restored", async () => {
  await openFlow("tax_rate");
  // (Switching flows saved the edits so far: the page asks, the test accepts.)
  assert.match(onDisk("tax_rate"), /"title": "19% VAT"/);
  await appendToTitle("20%", " TVA");
  await page.waitForFunction(() => document.querySelector('.nf-node[data-key="fr"] .nf-label')?.textContent === "20% TVA");
  await tab("history");
  await page.fill(".nfe-panel-history input[aria-label='Message of the saved version']", "French TVA titled");
  await page.click("#nfe-history-save");
  await page.waitForSelector(".nfe-history-item:has-text('French TVA titled')");
  assert.match(onDisk("tax_rate"), /"title": "20% TVA"/);
  // An edit after the save, then the diff of the saved version against it.
  await appendToTitle("21%", " IVA");
  await page.waitForFunction(() => document.querySelector('.nf-node[data-key="es"] .nf-label')?.textContent === "21% IVA");
  const saved = page.locator(".nfe-history-item", { hasText: "French TVA titled" });
  await saved.locator("button", { hasText: "Diff" }).click();
  await page.waitForSelector(".nfe-diff-row");
  assert.match(await page.textContent(".nfe-panel-history"), /node es: title/);
  await shot("12-diff");
  await saved.locator("button", { hasText: "Restore" }).click(); // confirms dropping the unsaved edit
  await page.waitForFunction(() => document.querySelector('.nf-node[data-key="es"] .nf-label')?.textContent === "21%");
  assert.match(await text(), /"title": "20% TVA"/);
  assert.doesNotMatch(await text(), /21% IVA/);
});

test("after a reload everything saved is there", async () => {
  await page.reload();
  await page.waitForSelector(".nf-node");
  await openFlow("tax_rate");
  await page.waitForSelector('.nf-node[data-key="log"]');
  assert.equal(await page.textContent('.nf-node[data-key="de"] .nf-label'), "19% VAT");
  assert.equal(await page.textContent('.nf-node[data-key="fr"] .nf-label'), "20% TVA");
  assert.match(await text(), /input\.amount_cents\}/);
  await tab("run");
  await page.waitForSelector(".nfe-sim-controls option[value='germany']", { state: "attached" });
  await tab("history");
  await page.waitForSelector(".nfe-history-item:has-text('French TVA titled')");
  await tab("connectors");
  await page.waitForSelector(".nfe-connector:has-text('mailer') .nfe-chip.nfe-ok");
  assert.ok(!(await page.content()).includes("s3cret-never-shown"));
  await shot("13-after-reload");
  assert.deepEqual(errors, [], "no uncaught errors in the page");
});
