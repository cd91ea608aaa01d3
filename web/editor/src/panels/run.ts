// The Simulate panel: run the open flow in the simulator (`nodeforge.simulate`) with an
// input (saved per flow: `nodeforge.inputs.*`), pause at breakpoints (F9 on a node,
// or the list here), continue and step, and inspect the data: the value on the
// selected connection or output port (click one on the canvas), or the value waiting
// at the node the run is paused before. Every connection shows its data on the canvas.

import type { GraphView } from "../../../graph/src/protocol";
import { type SimResult, connectionValues, parseJsonInput, parseSimResult, portValue, simulationLogs } from "../devmode";
import { button, el, jsonBlock, messageOf } from "../dom";
import type { Panel } from "./registry";

/** A starting input for the flow's trigger (what an HTTP trigger reads). */
export function defaultInput(graph: GraphView | null, trigger: string | null): string {
  const node = graph?.nodes.find((n) => n.id === trigger) ?? graph?.nodes.find((n) => n.kind === "trigger");
  if (node?.type === "http/trigger") return JSON.stringify({ params: {}, query: {}, headers: {}, body: {} }, null, 2);
  return "{}";
}

function triggers(graph: GraphView | null): string[] {
  return (graph?.nodes ?? []).filter((n) => n.kind === "trigger" && n.id !== null).map((n) => n.id as string);
}

export const run: Panel = {
  id: "run",
  title: "Simulate",
  area: "bottom",
  shortcut: "Alt+4",
  mount(body, ctx) {
    const grid = el("div", "nfe-columns", body);
    const controls = el("div", "nfe-column nfe-sim-controls", grid);
    const points = el("div", "nfe-column nfe-sim-breakpoints", grid);
    const data = el("div", "nfe-column nfe-sim-data", grid);
    data.setAttribute("aria-live", "polite");

    // -- input and saved inputs ------------------------------------------------------
    const row = el("div", "nfe-row", controls);
    const trigger = el("select", "nfe-input", row) as HTMLSelectElement;
    trigger.setAttribute("aria-label", "Trigger to start from");
    trigger.title = "Trigger to start from";
    const saved = el("select", "nfe-input", row) as HTMLSelectElement;
    saved.setAttribute("aria-label", "Saved inputs of this flow");
    saved.title = "Saved inputs of this flow";
    const input = el("textarea", "nfe-input nfe-sim-input", controls) as HTMLTextAreaElement;
    input.setAttribute("aria-label", "Simulation input (JSON)");
    input.spellcheck = false;
    const inputError = el("div", "nfe-field-error", controls);
    inputError.setAttribute("role", "alert");
    const saveRow = el("div", "nfe-row", controls);
    const name = el("input", "nfe-input", saveRow) as HTMLInputElement;
    name.placeholder = "name to save the input as";
    name.setAttribute("aria-label", "Name of the saved input");
    button(saveRow, "Save input", "Save this input for the flow", () => void saveInput());
    button(saveRow, "Delete", "Delete the chosen saved input", () => void deleteInput());

    const actions = el("div", "nfe-row nfe-sim-actions", controls);
    const runButton = button(actions, "▶ Run", "Simulate the flow from the trigger with this input (F5)", () => void start(), "nfe-button nfe-primary");
    runButton.id = "nfe-sim-run";
    const cont = button(actions, "Continue", "Run to the next breakpoint or the end", () => void resume("nodeforge.continue"));
    const step = button(actions, "Step", "Run the node the simulation is paused before, then pause", () => void resume("nodeforge.step"));
    const stop = button(actions, "Stop", "End the paused simulation", () => void end());
    const state = el("div", "nfe-sim-state", controls);
    state.setAttribute("role", "status");

    let inputs: { name: string; input: unknown }[] = [];
    let busy = false;

    const sim = (): SimResult | null => ctx.state.simulation;
    const refreshButtons = (): void => {
      const paused = sim()?.status === "paused";
      runButton.disabled = busy;
      cont.disabled = busy || !paused;
      step.disabled = busy || !paused;
      stop.disabled = busy || !paused;
    };

    const loadInputs = async (): Promise<void> => {
      const uri = ctx.state.uri;
      if (uri === null) return;
      try {
        const answer = await ctx.command<{ inputs?: { name: string; input: unknown }[] }>("nodeforge.inputs.list", { uri });
        inputs = answer.inputs ?? [];
      } catch {
        inputs = []; // a flow without an id has no saved inputs
      }
      saved.replaceChildren();
      (el("option", "", saved, inputs.length === 0 ? "(no saved inputs)" : "(saved inputs)") as HTMLOptionElement).value = "";
      for (const i of inputs) (el("option", "", saved, i.name) as HTMLOptionElement).value = i.name;
    };
    saved.addEventListener("change", () => {
      const chosen = inputs.find((i) => i.name === saved.value);
      if (chosen === undefined) return;
      input.value = JSON.stringify(chosen.input, null, 2);
      name.value = chosen.name;
    });
    const saveInput = async (): Promise<void> => {
      const parsed = parseJsonInput(input.value);
      if ("error" in parsed) {
        inputError.textContent = parsed.error;
        return;
      }
      const uri = ctx.state.uri;
      if (uri === null || name.value.trim() === "") {
        inputError.textContent = "Give the input a name first.";
        return;
      }
      try {
        await ctx.command("nodeforge.inputs.save", { uri, name: name.value.trim(), input: parsed.value });
        inputError.textContent = "";
        ctx.status(`Saved the input “${name.value.trim()}”.`);
        await loadInputs();
        saved.value = name.value.trim();
      } catch (e) {
        inputError.textContent = messageOf(e);
      }
    };
    const deleteInput = async (): Promise<void> => {
      const uri = ctx.state.uri;
      if (uri === null || saved.value === "") return;
      try {
        await ctx.command("nodeforge.inputs.delete", { uri, name: saved.value });
        ctx.status(`Deleted the input “${saved.value}”.`);
        await loadInputs();
      } catch (e) {
        ctx.status(messageOf(e), true);
      }
    };

    // -- running -----------------------------------------------------------------------
    const show = (answer: unknown): void => {
      const result = parseSimResult(answer);
      if (typeof result === "string") {
        state.textContent = result;
        return;
      }
      ctx.setSimulation(result);
      ctx.log(simulationLogs(result).map((l) => ({ ...l, text: l.text })));
    };
    const guarded = async (what: () => Promise<void>): Promise<void> => {
      busy = true;
      refreshButtons();
      try {
        await what();
      } catch (e) {
        state.textContent = `Not run: ${messageOf(e)}`;
        state.className = "nfe-sim-state nfe-sev-1";
      } finally {
        busy = false;
        refreshButtons();
      }
    };
    const start = (): Promise<void> =>
      guarded(async () => {
        const parsed = parseJsonInput(input.value);
        if ("error" in parsed) {
          inputError.textContent = parsed.error;
          return;
        }
        inputError.textContent = "";
        const old = sim();
        if (old?.status === "paused") void ctx.command("nodeforge.stopSimulation", { session: old.session }).catch(() => undefined);
        state.textContent = "Simulating…";
        state.className = "nfe-sim-state";
        const answer = await ctx.run((uri) => ({
          command: "nodeforge.simulate",
          arguments: [{ uri, input: parsed.value, trigger: trigger.value || undefined, breakpoints: [...ctx.state.breakpoints] }],
        }));
        if (answer === null) {
          state.textContent = "Not run: see the status line.";
          state.className = "nfe-sim-state nfe-sev-1";
          return;
        }
        show(answer);
      });
    const resume = (command: string): Promise<void> =>
      guarded(async () => {
        const current = sim();
        if (current === null) return;
        show(await ctx.command(command, { session: current.session }));
      });
    const end = (): Promise<void> =>
      guarded(async () => {
        const current = sim();
        if (current === null) return;
        await ctx.command("nodeforge.stopSimulation", { session: current.session });
        ctx.setSimulation(null);
      });

    // -- what is drawn -------------------------------------------------------------------
    const drawState = (): void => {
      const s = sim();
      state.className = "nfe-sim-state";
      if (s === null) {
        state.textContent = "Not simulated yet. Set breakpoints with F9 on a node, then Run (F5).";
      } else if (s.status === "paused") {
        state.textContent = `Paused before ${s.paused_at?.node ?? "?"}${s.paused_at?.port ? ` (input ${s.paused_at.port})` : ""}. Continue, Step or Stop.`;
        state.classList.add("nfe-sev-2");
      } else if (s.status === "failed") {
        state.textContent = `Failed: ${s.error ?? "unknown error"}`;
        state.classList.add("nfe-sev-1");
      } else {
        const r = s.response;
        state.textContent = `Done in ${s.duration_ms.toFixed(1)} ms${r?.status !== undefined ? `: response ${r.status}` : ""}${s.faithful ? "" : ` (not faithful: ${s.unfaithful.join("; ")})`}.`;
        state.classList.add("nfe-ok");
      }
      refreshButtons();
    };
    // The list's content: node ids, labels, breakpoints and run chips. A graph that
    // changes none of them (a keystroke in a config value) leaves the list alone.
    let breakpointsShown: string | null = null;
    const drawBreakpoints = (): void => {
      const s = sim();
      const sig = JSON.stringify([
        (ctx.state.graph?.nodes ?? []).map((n) => [n.id, n.label, n.id === null ? null : (s?.nodes[n.id]?.status ?? null)]),
        [...ctx.state.breakpoints],
      ]);
      if (sig === breakpointsShown) return;
      breakpointsShown = sig;
      points.replaceChildren();
      el("h3", "nfe-subtitle", points, "Breakpoints");
      const graph = ctx.state.graph;
      const list = el("ul", "nfe-checklist", points);
      list.setAttribute("aria-label", "Breakpoints: the simulation pauses before these nodes");
      for (const n of graph?.nodes ?? []) {
        if (n.id === null) continue;
        const id = n.id;
        const item = el("li", "", list);
        const label = el("label", "", item);
        const box = el("input", "", label) as HTMLInputElement;
        box.type = "checkbox";
        box.checked = ctx.state.breakpoints.has(id);
        box.addEventListener("change", () => ctx.toggleBreakpoints([id]));
        label.append(` ${n.label}`);
        const rec = sim()?.nodes[id];
        if (rec !== undefined && rec.runs > 0) el("span", `nfe-run-chip nfe-run-${rec.status}`, item, rec.status);
      }
    };
    const drawData = (): void => {
      data.replaceChildren();
      el("h3", "nfe-subtitle", data, "Data");
      const s = sim();
      const graph = ctx.state.graph;
      if (s === null) {
        el("p", "nfe-hint", data, "Run a simulation, then click a connection or an output port to see its data.");
        return;
      }
      const at = ctx.state.connection;
      const port = ctx.state.port;
      if (at !== null) {
        const c = graph?.connections.find((x) => x.index === at);
        const rec = connectionValues(s, at);
        el("div", "nfe-data-title", data, `Connection ${c?.source.text ?? "?"} → ${c?.target.text ?? "?"}${c?.type ? ` (${c.type})` : ""}`);
        if (rec === null || rec.count === 0) el("p", "nfe-hint", data, "No data passed here in this run.");
        else {
          el("div", "nfe-hint", data, `${rec.count} value${rec.count === 1 ? "" : "s"}${rec.truncated ? " (the first ones shown)" : ""}`);
          for (const v of rec.values ?? []) jsonBlock(data, v, "Value on the connection");
        }
      } else if (port !== null) {
        const node = graph?.nodes.find((n) => n.key === port.node);
        const id = node?.id ?? port.node;
        const got = portValue(s, id, port.port);
        el("div", "nfe-data-title", data, `Output ${id}.${port.port}`);
        if (!got.ran) el("p", "nfe-hint", data, "Nothing left this port in this run.");
        else jsonBlock(data, got.value, "Value of the output port");
      } else if (s.paused_at !== null) {
        el("div", "nfe-data-title", data, `Waiting at ${s.paused_at.node}${s.paused_at.port ? `.${s.paused_at.port}` : ""}`);
        jsonBlock(data, s.paused_at.value, "Value the paused node receives");
      } else if (s.response !== null) {
        el("div", "nfe-data-title", data, `Response ${s.response.status ?? ""}`);
        jsonBlock(data, s.response.body, "Response body");
        el("p", "nfe-hint", data, "Click a connection or an output port on the canvas to see its data.");
      }
    };
    let triggersShown: string | null = null;
    const fillTriggers = (): void => {
      const list = triggers(ctx.state.graph);
      const sig = list.join("\n");
      if (sig === triggersShown) return; // the same triggers: leave the choice alone
      triggersShown = sig;
      const current = trigger.value;
      trigger.replaceChildren();
      for (const t of list) (el("option", "", trigger, t) as HTMLOptionElement).value = t;
      if (list.includes(current)) trigger.value = current;
      trigger.hidden = list.length <= 1;
      if (input.value === "") input.value = defaultInput(ctx.state.graph, trigger.value || null);
    };

    ctx.on("document", () => {
      triggersShown = null;
      input.value = "";
      name.value = "";
      void loadInputs();
    });
    ctx.on("graph", () => {
      fillTriggers();
      drawBreakpoints();
    });
    ctx.on("simulation", () => {
      drawState();
      drawBreakpoints();
      drawData();
    });
    ctx.on("breakpoints", drawBreakpoints);
    ctx.on("selection", drawData);
    drawState();
    drawBreakpoints();
    drawData();
  },
};
