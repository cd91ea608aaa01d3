import assert from "node:assert/strict";
import { test } from "node:test";
import { detectHost } from "../src/host";

const range = { start: { line: 1, character: 2 }, end: { line: 1, character: 9 } };

test("in a VS Code webview the canvas talks to the extension", () => {
  const sent: unknown[] = [];
  const host = detectHost({
    acquireVsCodeApi: () => ({ postMessage: (m: unknown) => sent.push(m) }),
    parent: null,
  });
  assert.ok(host);
  host.post({ type: "reveal", node: "check", range });
  assert.deepEqual(sent, [{ type: "reveal", node: "check", range }]);
});

test("in an iframe it talks to the parent page", () => {
  const sent: unknown[][] = [];
  const parent = { postMessage: (m: unknown, origin: string) => sent.push([m, origin]) };
  const host = detectHost({ parent });
  assert.ok(host);
  host.post({ type: "ready" });
  assert.deepEqual(sent, [[{ type: "ready" }, "*"]]);
});

test("a top-level page without VS Code has no host of its own", () => {
  const win: { parent: unknown } = { parent: null };
  win.parent = win;
  assert.equal(detectHost(win), null);
});
