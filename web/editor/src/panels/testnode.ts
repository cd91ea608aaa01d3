// The Test node panel: run the selected node's real Go code in the sandbox
// (`nodeforge.testNode`) on an input (prefilled from the last simulation's value at
// that node), and show its status, outputs, logs, duration and build errors.

import type { EditorContext } from "../context";
import { type LogLine, logText, parseJsonInput } from "../devmode";
import { button, el, jsonBlock, messageOf } from "../dom";
import type { Panel } from "./registry";

export interface NodeTestResult {
  status: string;
  node: string;
  type: string | null;
  version: string | null;
  outputs: Record<string, unknown> | unknown;
  logs: { level?: string; msg?: string }[];
  duration_ms: number;
  run_ms: number;
  build_ms: number;
  cached: boolean;
  message: string;
  build_errors: string;
  confined: boolean;
}

/** The test's log records as log panel lines. */
export function testLogLines(result: NodeTestResult): LogLine[] {
  const lines: LogLine[] = (result.logs ?? []).map((r) => ({ source: "test", node: result.node, level: String(r.level ?? "INFO").toUpperCase(), text: logText(r) }));
  if (result.status !== "ok") lines.push({ source: "test", node: result.node, level: "ERROR", text: `${result.status}: ${result.message || result.build_errors}` });
  return lines;
}

function selectedId(ctx: EditorContext): string | null {
  if (ctx.state.selection.length !== 1) return null;
  return ctx.state.graph?.nodes.find((n) => n.key === ctx.state.selection[0])?.id ?? null;
}

export const testNode: Panel = {
  id: "test",
  title: "Test node",
  area: "bottom",
  shortcut: "Alt+6",
  mount(body, ctx) {
    const grid = el("div", "nfe-columns", body);
    const left = el("div", "nfe-column", grid);
    const right = el("div", "nfe-column nfe-wide", grid);
    right.setAttribute("aria-live", "polite");
    const heading = el("div", "nfe-data-title", left);
    const input = el("textarea", "nfe-input nfe-sim-input", left) as HTMLTextAreaElement;
    input.setAttribute("aria-label", "Input of the node under test (JSON)");
    input.spellcheck = false;
    const error = el("div", "nfe-field-error", left);
    error.setAttribute("role", "alert");
    const row = el("div", "nfe-row", left);
    const go = button(row, "Test in the sandbox", "Build and run this node's Go code in the sandbox on the input", () => void test(), "nfe-button nfe-primary");
    go.id = "nfe-test-run";
    el("p", "nfe-hint", left, "The node's real code runs confined (bubblewrap, seccomp, limits); the first test builds it.");
    let node: string | null = null;

    const prefill = (): void => {
      const id = selectedId(ctx);
      if (id === node) return;
      node = id;
      heading.textContent = id === null ? "Select one node on the canvas to test it." : `Node ${id}`;
      go.disabled = id === null;
      const rec = id === null ? undefined : ctx.state.simulation?.nodes[id];
      const first = rec === undefined ? undefined : Object.values(rec.inputs)[0];
      input.value = first === undefined ? "{}" : JSON.stringify(first, null, 2);
    };
    const test = async (): Promise<void> => {
      const id = node;
      if (id === null) return;
      const parsed = parseJsonInput(input.value);
      if ("error" in parsed) {
        error.textContent = parsed.error;
        return;
      }
      error.textContent = "";
      go.disabled = true;
      right.replaceChildren(el("p", "nfe-hint", undefined, `Testing ${id}…`));
      try {
        const answer = (await ctx.run((uri) => ({ command: "nodeforge.testNode", arguments: [{ uri, node: id, input: parsed.value }] }))) as NodeTestResult | null;
        right.replaceChildren();
        if (answer === null) {
          el("p", "nfe-sev-1", right, "Not run: see the status line.");
          return;
        }
        const ok = answer.status === "ok";
        const head = el("div", `nfe-test-status ${ok ? "nfe-ok" : "nfe-sev-1"}`, right, `${ok ? "✓" : "✗"} ${answer.status}`);
        head.setAttribute("role", "status");
        el(
          "div",
          "nfe-hint",
          right,
          `${answer.duration_ms.toFixed(0)} ms in all (build ${answer.build_ms.toFixed(0)} ms${answer.cached ? ", cached" : ""}, run ${answer.run_ms.toFixed(1)} ms)${answer.confined ? " · sandboxed" : ""}`,
        );
        if (answer.message) el("p", ok ? "nfe-hint" : "nfe-sev-1", right, answer.message);
        if (answer.build_errors) el("pre", "nfe-json nfe-sev-1", right, answer.build_errors);
        el("h3", "nfe-subtitle", right, "Outputs");
        jsonBlock(right, answer.outputs, "Outputs of the node");
        el("h3", "nfe-subtitle", right, "Logs");
        const logs = el("ol", "nfe-log", right);
        if ((answer.logs ?? []).length === 0) el("li", "nfe-hint", logs, "No log lines.");
        for (const r of answer.logs ?? []) el("li", `nfe-log-line nfe-level-${String(r.level ?? "info").toLowerCase()}`, logs, `${r.level ?? "INFO"} ${logText(r)}`);
        ctx.log(testLogLines(answer));
      } catch (e) {
        right.replaceChildren(el("p", "nfe-sev-1", undefined, messageOf(e)));
      } finally {
        go.disabled = node === null;
      }
    };
    ctx.on("selection", prefill);
    ctx.on("simulation", () => {
      node = null;
      prefill();
    });
    prefill();
  },
};
