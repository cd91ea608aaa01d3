// The web editor's speed, measured in the browser (Chromium through playwright-core),
// driven by bench/web_editor_bench.py (which starts `nodeforge serve` on generated
// flows). Prints one JSON object:
//   firstRender: ms from the page's load event to the 200-node flow drawn (runs, median)
//   keystroke:   ms from a keystroke in a config field to the node's badge on the canvas
//                appearing (an error typed) or vanishing (fixed) (runs, median), and where
//                the time went (medians, from the page's performance marks): the key's
//                handling until the edit is sent, the graph request until its answer
//                (the server's analysis and view), the answer until the canvas is drawn
//   drag:        requestAnimationFrame intervals (ms) during a scripted drag of a node
//                on the 500-node flow (median, p95, frames)
// Environment: BENCH_URL (page address with token), BENCH_FLOW200, BENCH_FLOW500 (file
// URIs), NODEFORGE_CHROMIUM.
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "web", "editor", "package.json"));
const { chromium } = require("playwright-core");

const URL_ = process.env.BENCH_URL;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor((s.length - 1) / 2)];
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const round = (x) => Math.round(x * 10) / 10;

const browser = await chromium.launch({ executablePath: process.env.NODEFORGE_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
page.setDefaultTimeout(60000);
const open = (flow) => page.goto(`${URL_}&flow=${encodeURIComponent(flow)}`);

// -- first render of 200 nodes after the load event --------------------------------------
const renders = [];
for (let i = 0; i < RUNS; i++) {
  await open(process.env.BENCH_FLOW200);
  const ms = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const check = () => {
          if (document.querySelectorAll(".nf-node").length >= 200) {
            const nav = performance.getEntriesByType("navigation")[0];
            resolve(performance.now() - nav.loadEventEnd);
          } else requestAnimationFrame(check);
        };
        check();
      }),
  );
  renders.push(ms);
}

// -- a keystroke in a config field to the badge on the canvas ------------------------------
// The node: a data/set node of the 200-node flow, its first expression field.
const key = await page.evaluate(() => window.nodeforgeEditor.state.graph.nodes.find((n) => n.type === "data/set" && n.diagnostics.length === 0).key);
await page.evaluate((k) => window.nodeforgeEditor.select([k]), key);
await page.click("#nfe-tab-config");
const field = page.locator(".nfe-panel-config .nfe-expr .cm-content").first();
await field.click();
await page.keyboard.press("End");
const keystrokes = [];
const phases = [];
let missed = 0;
for (let i = 0; i < RUNS * 2; i++) {
  const wantBadge = i % 2 === 0;
  const waiting = page.evaluate(
    ({ k, want }) =>
      new Promise((resolve) => {
        let t0 = null;
        const onKey = () => {
          t0 = performance.now();
        };
        document.addEventListener("keydown", onKey, { capture: true, once: true });
        const root = document.querySelector(".nfe-canvas");
        const has = () => document.querySelector(`.nf-node[data-key="${CSS.escape(k)}"] .nf-badge`) !== null;
        // A keystroke the page lost (e.g. to a completion popup) counts as a miss.
        setTimeout(() => {
          obs.disconnect();
          resolve({ ms: Number.POSITIVE_INFINITY, phases: null });
        }, 10000);
        const at = (name) => performance.getEntriesByName(name).at(-1)?.startTime ?? null;
        const obs = new MutationObserver(() => {
          if (t0 !== null && has() === want) {
            obs.disconnect();
            const end = performance.now();
            const sent = at("nf:edit-sent");
            const asked = at("nf:graph-request");
            const answered = at("nf:graph-answer");
            const drawn = at("nf:graph-drawn");
            const phases =
              sent !== null && asked !== null && answered !== null && drawn !== null && asked >= t0
                ? { send: sent - t0, server: answered - asked, draw: drawn - answered, waited: asked - sent }
                : null;
            resolve({ ms: end - t0, phases });
          }
        });
        obs.observe(root, { childList: true, subtree: true });
      }),
    { k: key, want: wantBadge },
  );
  await page.waitForTimeout(50);
  await page.keyboard.press(wantBadge ? "+" : "Backspace");
  const { ms, phases: got } = await waiting;
  if (Number.isFinite(ms)) keystrokes.push(ms);
  else missed++;
  if (got !== null) phases.push(got);
  await page.waitForTimeout(300);
}

// -- dragging a node on 500 nodes ------------------------------------------------------------
await open(process.env.BENCH_FLOW500);
await page.waitForFunction(() => document.querySelectorAll(".nf-node").length >= 500);
await page.waitForTimeout(500);
const drags = [];
let frames = [];
for (let run = 0; run < 3; run++) {
  // A node inside the view (the 500-node flow is fitted, so boxes are small).
  const box = await page.evaluate((skip) => {
    const view = document.querySelector(".nfe-canvas").getBoundingClientRect();
    const inside = [...document.querySelectorAll(".nf-node .nf-box")]
      .map((b) => b.getBoundingClientRect())
      .filter((r) => r.left > view.left + 20 && r.top > view.top + 60 && r.right < view.right - 220 && r.bottom < view.bottom - 20 && r.width > 8);
    const r = inside[Math.min(inside.length - 1, skip)];
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  }, 5 + run * 11);
  await page.evaluate(() => {
    window.__frames = [];
    window.__last = null;
    window.__on = true;
    const tick = (t) => {
      if (window.__last !== null) window.__frames.push(t - window.__last);
      window.__last = t;
      if (window.__on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.mouse.move(box.x + box.width / 2, box.y + Math.min(6, box.height / 3));
  await page.mouse.down();
  for (let i = 1; i <= 60; i++) {
    await page.mouse.move(box.x + box.width / 2 + i * 3, box.y + Math.min(6, box.height / 3) + i * 2);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  }
  const got = await page.evaluate(() => {
    window.__on = false;
    return window.__frames;
  });
  await page.mouse.up();
  await page.waitForTimeout(800);
  frames = frames.concat(got);
  drags.push(median(got));
}

console.log(
  JSON.stringify({
    firstRender: { runs: renders.map(round), median: round(median(renders)) },
    keystroke: {
      runs: keystrokes.map(round),
      median: round(median(keystrokes)),
      missed,
      phases: Object.fromEntries(["send", "waited", "server", "draw"].map((k) => [k, round(median(phases.map((p) => p[k])))])),
    },
    drag: { median: round(median(frames)), p95: round(pct(frames, 0.95)), frames: frames.length, perDrag: drags.map(round) },
  }),
);
await browser.close();
