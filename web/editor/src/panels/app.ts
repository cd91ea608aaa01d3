// The App panel: build the workspace's Go app (`nodeforge.build`, with the server's
// progress shown in the toolbar's bar; Go errors come back as NF900 problems on the
// nodes), run it (`nodeforge.run`: its log lines go to the log panel), stop it, and
// call it with a small request form. The call goes through the server
// (`nodeforge.app.call`): the page's Content-Security-Policy lets it talk to its own
// origin only, and the app's port may not be reachable from the browser anyway.

import type { EditorContext } from "../context";
import { button, el, jsonBlock, messageOf } from "../dom";
import type { Panel } from "./registry";

interface BuildResult {
  state: string;
  binary?: string | null;
  seconds?: number;
  problems?: number;
  output?: string;
}

interface CallResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
  ms: number;
}

/** The path of the first HTTP trigger of the open flow (what the call form starts with). */
export function firstPath(ctx: EditorContext): string {
  const graph = ctx.state.graph;
  const trigger = graph?.nodes.find((n) => n.type === "http/trigger");
  if (trigger === undefined) return "/";
  const text = ctx.text();
  const start = ctx.offsetAt(trigger.range.start);
  const end = ctx.offsetAt(trigger.range.end);
  try {
    const node = JSON.parse(text.slice(start, end)) as { config?: { path?: unknown; method?: unknown } };
    const path = node.config?.path;
    return typeof path === "string" ? path.replace(/\{\w+\}/g, "1") : "/";
  } catch {
    return "/";
  }
}

export const appPanel: Panel = {
  id: "app",
  title: "Build & run",
  area: "bottom",
  shortcut: "Alt+7",
  mount(body, ctx) {
    const grid = el("div", "nfe-columns", body);
    const left = el("div", "nfe-column", grid);
    const right = el("div", "nfe-column nfe-wide", grid);

    const row = el("div", "nfe-row", left);
    const buildButton = button(row, "Build", "Generate the Go app and compile it", () => void build(), "nfe-button nfe-primary");
    buildButton.id = "nfe-build";
    const addr = el("input", "nfe-input nfe-narrow", row) as HTMLInputElement;
    addr.value = "127.0.0.1:8080";
    addr.setAttribute("aria-label", "Address the app listens on");
    addr.title = "Address the app listens on (host:port)";
    const runButton = button(row, "Run", "Build, then start the app on this address", () => void start());
    runButton.id = "nfe-app-run";
    const stopButton = button(row, "Stop", "Stop the running app", () => void stop());
    const state = el("div", "nfe-sim-state", left, "Not built in this session.");
    state.setAttribute("role", "status");
    const output = el("pre", "nfe-json nfe-build-output", left);
    output.hidden = true;

    el("h3", "nfe-subtitle", right, "Call the app");
    const form = el("form", "nfe-call", right);
    const line = el("div", "nfe-row", form);
    const method = el("select", "nfe-input nfe-narrow", line) as HTMLSelectElement;
    method.setAttribute("aria-label", "HTTP method");
    for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE"]) (el("option", "", method, m) as HTMLOptionElement).value = m;
    const path = el("input", "nfe-input", line) as HTMLInputElement;
    path.setAttribute("aria-label", "Path");
    path.value = "/";
    const send = el("button", "nfe-button nfe-primary", line, "Send") as HTMLButtonElement;
    send.type = "submit";
    send.id = "nfe-call-send";
    const bodyText = el("textarea", "nfe-input nfe-call-body", form) as HTMLTextAreaElement;
    bodyText.placeholder = "Request body (JSON), for POST, PUT, PATCH";
    bodyText.setAttribute("aria-label", "Request body");
    bodyText.spellcheck = false;
    const answer = el("div", "nfe-call-answer", right);
    answer.setAttribute("aria-live", "polite");
    let running = false;

    const buttons = (busy: boolean): void => {
      buildButton.disabled = busy;
      runButton.disabled = busy;
      stopButton.disabled = busy || !running;
      send.disabled = busy || !running;
    };
    const showBuild = (b: BuildResult): void => {
      const ok = b.state === "succeeded";
      state.className = `nfe-sim-state ${ok ? "nfe-ok" : "nfe-sev-1"}`;
      state.textContent = ok
        ? `Built in ${(b.seconds ?? 0).toFixed(1)} s.`
        : `Build ${b.state}${b.problems ? `: ${b.problems} problem(s) on the nodes (see Problems)` : ""}.`;
      output.hidden = ok || !b.output;
      output.textContent = b.output ?? "";
      if (b.output && !ok) ctx.log(b.output.split("\n").filter((l) => l.trim() !== "").map((text) => ({ source: "build", node: null, level: "ERROR", text })));
    };
    const build = async (): Promise<void> => {
      buttons(true);
      state.className = "nfe-sim-state";
      state.textContent = "Building…";
      try {
        if (!(await ctx.save())) throw new Error("the flow could not be saved");
        const b = (await ctx.command<BuildResult>("nodeforge.build", { uri: ctx.state.uri })) ?? { state: "failed" };
        showBuild(b);
      } catch (e) {
        state.className = "nfe-sim-state nfe-sev-1";
        state.textContent = `Not built: ${messageOf(e)}`;
      } finally {
        buttons(false);
      }
    };
    const start = async (): Promise<void> => {
      buttons(true);
      state.className = "nfe-sim-state";
      state.textContent = "Building and starting…";
      try {
        if (!(await ctx.save())) throw new Error("the flow could not be saved");
        const r = await ctx.command<{ running: boolean; addr?: string; build: BuildResult }>("nodeforge.run", { uri: ctx.state.uri, addr: addr.value.trim() });
        running = r.running;
        if (r.running) {
          state.className = "nfe-sim-state nfe-ok";
          state.textContent = `Running on http://${r.addr}: its log lines go to the Log panel.`;
          if (path.value === "/") path.value = firstPath(ctx);
        } else showBuild(r.build);
      } catch (e) {
        state.className = "nfe-sim-state nfe-sev-1";
        state.textContent = `Not started: ${messageOf(e)}`;
      } finally {
        buttons(false);
      }
    };
    const stop = async (): Promise<void> => {
      buttons(true);
      try {
        const r = await ctx.command<{ stopped: boolean; exit_code?: number }>("nodeforge.stop", {});
        state.className = "nfe-sim-state";
        state.textContent = r.stopped ? `Stopped (exit code ${r.exit_code}).` : "No app was running.";
      } catch (e) {
        ctx.status(messageOf(e), true);
      } finally {
        running = false;
        buttons(false);
      }
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void call();
    });
    const call = async (): Promise<void> => {
      send.disabled = true;
      answer.replaceChildren(el("p", "nfe-hint", undefined, "Calling…"));
      try {
        const sendsBody = method.value !== "GET" && method.value !== "DELETE" && bodyText.value.trim() !== "";
        const r = await ctx.command<CallResult>("nodeforge.app.call", { method: method.value, path: path.value, body: sendsBody ? bodyText.value : undefined });
        answer.replaceChildren();
        const ok = r.status < 400;
        el("div", `nfe-test-status ${ok ? "nfe-ok" : "nfe-sev-1"}`, answer, `${r.status} · ${r.ms} ms`).setAttribute("role", "status");
        let shown: unknown = r.body;
        try {
          shown = JSON.parse(r.body);
        } catch {
          // not JSON: the text as it came
        }
        if (typeof shown === "string") el("pre", "nfe-json", answer, shown || "(empty body)");
        else jsonBlock(answer, shown, "Response body");
        const headers = el("details", "nfe-details", answer);
        el("summary", "", headers, "Headers");
        jsonBlock(headers, r.headers);
      } catch (e) {
        answer.replaceChildren(el("p", "nfe-sev-1", undefined, messageOf(e)));
      } finally {
        send.disabled = !running;
      }
    };
    buttons(false);
  },
};
