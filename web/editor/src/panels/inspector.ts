// The config panel: the selected node's id (rename), type and version, its problems
// with their quick fixes, a form generated from its type's config JSON Schema, and
// keyboard connection of its output ports. Values are written by the server
// (`nodeforge.graph.setConfig`); expression and template fields edit their string in
// the text directly, with the server's completion (exprfield.ts).

import { touches } from "../../../graph/src/diff";
import type { GraphConnection, GraphNode } from "../../../graph/src/protocol";
import { findType } from "../catalog";
import { connectPorts, renameNode, setConfig } from "../commands";
import type { EditorContext } from "../context";
import { connectionValues } from "../devmode";
import { button, el, jsonBlock, messageOf } from "../dom";
import { expressionField } from "../exprfield";
import { spanAt } from "../jsonvalue";
import { actionList, quickFixes } from "../quickfix";
import { type Field, fieldsOf, parseInput } from "../schema";
import type { Panel } from "./registry";
import { planUpgrades } from "./upgrades";

/** The selected connection: its ends, type, problems with their quick fixes (the
 * adapter for an incompatible pair, NF009), and the data it carried in the last run. */
function drawConnection(ctx: EditorContext, body: HTMLElement, c: GraphConnection): void {
  el("div", "nfe-data-title", body, `Connection ${c.source.text ?? "?"} → ${c.target.text ?? "?"}`);
  el("div", "nfe-node-type", body, c.type ?? "(type unknown)");
  if (c.diagnostics.length > 0) {
    const problems = el("div", "nfe-node-problems", body);
    el("h3", "", problems, "Problems");
    for (const d of c.diagnostics) el("div", `nfe-field-problem nfe-sev-${d.severity}`, problems, `${d.code}: ${d.message}`);
    const fixes = el("div", "nfe-fixes", problems);
    fixes.textContent = "Looking for quick fixes…";
    void quickFixes(ctx, c.range, c.diagnostics).then(
      (actions) => actionList(ctx, fixes, actions),
      (e) => {
        fixes.textContent = `No quick fixes: ${messageOf(e)}`;
      },
    );
  } else {
    el("p", "nfe-hint", body, "No problems: the types fit.");
  }
  const sim = ctx.state.simulation;
  if (sim !== null) {
    const rec = connectionValues(sim, c.index);
    el("h3", "nfe-subtitle", body, "Data in the last run");
    if (rec === null || rec.count === 0) el("p", "nfe-hint", body, "No data passed here.");
    else for (const v of rec.values ?? []) jsonBlock(body, v, "Value on the connection");
  }
  const row = el("div", "nfe-row", body);
  button(row, "Disconnect", "Remove this connection", () => void ctx.run((uri, v) => ({ command: "nodeforge.graph.disconnect", arguments: [{ uri, version: v, index: c.index }] })));
}

/** The file of a fork's Go code: the base's executor file (`<last part of the type>.go`). */
export function forkGoFile(root: string, folder: string, baseType: string): string {
  const base = baseType.split("/").pop() ?? baseType;
  return `${root.replace(/\/$/, "")}/${folder.split("/").map(encodeURIComponent).join("/")}/${encodeURIComponent(base)}.go`;
}

async function fork(ctx: EditorContext, node: GraphNode): Promise<void> {
  const root = ctx.state.catalog?.root ?? null;
  if (node.type === null || root === null) return;
  const suggested = `${node.type.split("/").pop() ?? "node"}_custom`;
  const name = window.prompt(`Fork ${node.type}@${node.version ?? ""} as (a name, or category/name):`, suggested);
  if (!name) return;
  try {
    const info = await ctx.command<{ type: string; folder: string; base_type: string }>("nodeforge.fork.create", {
      flow: ctx.state.uri,
      node: `${node.type}${node.version ? `@${node.version}` : ""}`,
      as: name.trim(),
    });
    await ctx.reloadCatalog();
    ctx.status(`Forked ${info.base_type} as ${info.type} in ${info.folder}: its Go code is open in the text pane.`);
    await ctx.openFile(forkGoFile(root, info.folder, info.base_type));
  } catch (e) {
    ctx.status(`Not forked: ${messageOf(e)}`, true);
  }
}

function nodeConfig(ctx: EditorContext, node: GraphNode): { config: Record<string, unknown>; start: number } | null {
  const start = ctx.offsetAt(node.range.start);
  const end = ctx.offsetAt(node.range.end);
  try {
    const value = JSON.parse(ctx.text().slice(start, end)) as { config?: unknown };
    const config = value.config;
    return { config: typeof config === "object" && config !== null && !Array.isArray(config) ? (config as Record<string, unknown>) : {}, start };
  } catch {
    return null;
  }
}

function drawField(ctx: EditorContext, parent: HTMLElement, node: GraphNode, field: Field, nodeStart: number): void {
  const id = node.id ?? node.key;
  const row = el("div", `nfe-field nfe-field-${field.kind}`, parent);
  const labelId = `nfe-f-${field.path.join("-")}`;
  const label = el("label", "nfe-field-label", row, field.label + (field.required ? " *" : ""));
  label.id = labelId;
  const help = field.description.split("\n")[0];
  const set = (value: unknown): void => void ctx.run((uri, v) => setConfig(uri, v, id, field.path, value));
  const error = el("div", "nfe-field-error", row);
  error.setAttribute("role", "alert");
  const commitText = (text: string): void => {
    const parsed = parseInput(field.kind, text, field.required);
    if ("error" in parsed) {
      error.textContent = parsed.error;
      return;
    }
    error.textContent = "";
    set(parsed.value);
  };
  switch (field.kind) {
    case "enum":
    case "connector": {
      const select = el("select", "nfe-input", row) as HTMLSelectElement;
      select.setAttribute("aria-labelledby", labelId);
      const options = [...field.options];
      if (typeof field.value === "string" && !options.includes(field.value)) options.unshift(field.value);
      if (!field.required || field.value === undefined) el("option", "", select, "(not set)").setAttribute("value", "");
      for (const o of options) (el("option", "", select, o) as HTMLOptionElement).value = o;
      select.value = typeof field.value === "string" ? field.value : "";
      select.addEventListener("change", () => set(select.value === "" ? undefined : select.value));
      if (field.kind === "connector" && field.options.length === 0) el("div", "nfe-hint", row, "No connector of a matching type in this workspace.");
      break;
    }
    case "boolean": {
      const box = el("input", "nfe-check", row) as HTMLInputElement;
      box.type = "checkbox";
      box.setAttribute("aria-labelledby", labelId);
      box.checked = (field.value ?? field.defaultValue) === true;
      box.addEventListener("change", () => set(box.checked));
      break;
    }
    case "expression":
    case "template": {
      const span = spanAt(ctx.text(), nodeStart, ["config", ...field.path.map(String)]);
      const literal = span === null ? null : ctx.text().slice(span.start, span.end);
      const host = el("div", "nfe-expr-host", row);
      const view = literal === null ? null : expressionField(ctx, host, `${field.label} (${field.kind})`, span!.start, literal);
      if (view === null) {
        const input = el("input", "nfe-input", host) as HTMLInputElement;
        input.setAttribute("aria-labelledby", labelId);
        input.value = typeof field.value === "string" ? field.value : "";
        input.placeholder = field.kind;
        input.addEventListener("change", () => commitText(input.value));
      }
      // The problems inside this value, from the newest analysis.
      if (span !== null) {
        for (const d of node.diagnostics) {
          const at = ctx.offsetAt(d.range.start);
          if (at >= span.start && at <= span.end) el("div", `nfe-field-problem nfe-sev-${d.severity}`, row, `${d.code}: ${d.message}`);
        }
      }
      break;
    }
    case "object": {
      const box = el("fieldset", "nfe-group", row);
      el("legend", "", box, field.label);
      for (const child of field.children) drawField(ctx, box, node, child, nodeStart);
      break;
    }
    case "list":
    case "map": {
      const box = el("fieldset", "nfe-group", row);
      el("legend", "", box, field.label);
      for (const child of field.children) drawField(ctx, box, node, child, nodeStart);
      const addButton = el("button", "nfe-button", box, field.kind === "list" ? "Add item" : "Add entry") as HTMLButtonElement;
      addButton.type = "button";
      addButton.addEventListener("click", () => {
        if (field.kind === "list") {
          const list = Array.isArray(field.value) ? field.value : [];
          set([...list, ""]);
        } else {
          const name = window.prompt("Name of the new entry");
          if (name) set({ ...((field.value as Record<string, unknown>) ?? {}), [name]: "" });
        }
      });
      break;
    }
    default: {
      const json = field.kind === "json";
      const input = el(json ? "textarea" : "input", "nfe-input", row) as HTMLInputElement;
      input.setAttribute("aria-labelledby", labelId);
      if (!json) input.type = field.kind === "number" || field.kind === "integer" ? "number" : "text";
      const value = field.value;
      input.value = value === undefined ? "" : json ? JSON.stringify(value, null, 2) : String(value);
      if (value === undefined && field.defaultValue !== undefined) input.placeholder = `default: ${JSON.stringify(field.defaultValue)}`;
      input.addEventListener("change", () => commitText(input.value));
    }
  }
  if (help) {
    const h = el("div", "nfe-hint", row, help);
    h.id = `${labelId}-help`;
  }
}

export const inspector: Panel = {
  id: "config",
  title: "Config",
  area: "left",
  shortcut: "Alt+2",
  mount(body, ctx) {
    let pending = false;
    const draw = (): void => {
      if (body.contains(document.activeElement) && document.activeElement !== body) {
        pending = true; // never redraw under the user's cursor; redraw when they leave
        return;
      }
      pending = false;
      body.replaceChildren();
      const graph = ctx.state.graph;
      const keys = ctx.state.selection;
      const connection = ctx.state.connection === null ? undefined : graph?.connections.find((c) => c.index === ctx.state.connection);
      if (keys.length === 0 && connection !== undefined) {
        drawConnection(ctx, body, connection);
        return;
      }
      if (graph === null || keys.length !== 1) {
        el("p", "nfe-hint", body, keys.length > 1 ? `${keys.length} nodes selected.` : "Select a node to edit its config.");
        return;
      }
      const node = graph.nodes.find((n) => n.key === keys[0]);
      if (node === undefined) return;
      const id = node.id ?? node.key;
      const head = el("div", "nfe-node-head", body);
      const idLabel = el("label", "nfe-field-label", head, "Id ");
      const idInput = el("input", "nfe-input", idLabel) as HTMLInputElement;
      idInput.value = node.id ?? "";
      idInput.addEventListener("change", () => {
        if (node.id !== null && idInput.value !== node.id) void ctx.run((uri, v) => renameNode(uri, v, node.id!, idInput.value));
      });
      el("div", "nfe-node-type", head, `${node.type ?? "(no type)"}@${node.version ?? "?"}${node.deprecated ? " (deprecated version)" : ""}`);
      const entry = ctx.state.catalog === null ? null : findType(ctx.state.catalog, node.type, node.version);
      if (entry !== null && entry.description) el("p", "nfe-hint", head, entry.description.split("\n")[0]);
      const latest = node.type === null ? undefined : ctx.state.catalog?.types.find((t) => t.type === node.type);
      const tools = el("div", "nfe-row nfe-node-tools", head);
      if (node.id !== null) {
        const nodeId = node.id;
        const bp = el("label", "nfe-hint", tools);
        const box = el("input", "", bp) as HTMLInputElement;
        box.type = "checkbox";
        box.checked = ctx.state.breakpoints.has(nodeId);
        box.addEventListener("change", () => ctx.toggleBreakpoints([nodeId]));
        bp.append(" breakpoint (F9)");
        button(tools, "Test…", "Test this node in the sandbox", () => ctx.showPanel("test", true));
      }
      if (entry !== null && entry.origin === "standard") button(tools, "Fork…", "Copy this node type into the workspace and edit its Go code", () => void fork(ctx, node));
      if (latest !== undefined && node.version !== null && latest.version !== node.version && latest.versions.indexOf(latest.version) < latest.versions.indexOf(node.version)) {
        const hint = el("div", "nfe-upgrade-hint", body);
        el("span", "", hint, `↑ ${node.type}@${latest.version} is available.`);
        const out = el("div", "nfe-upgrade-plan", body);
        button(hint, "Upgrade…", `See what upgrading ${node.label} changes, then upgrade it`, () => void planUpgrades(ctx, out, node.id !== null ? [node.id] : undefined));
      }

      if (node.diagnostics.length > 0) {
        const problems = el("div", "nfe-node-problems", body);
        el("h3", "", problems, "Problems");
        for (const d of node.diagnostics) el("div", `nfe-field-problem nfe-sev-${d.severity}`, problems, `${d.code}: ${d.message}`);
        const fixes = el("div", "nfe-fixes", problems);
        const b = el("button", "nfe-button", problems, "Quick fixes…") as HTMLButtonElement;
        b.type = "button";
        b.addEventListener("click", () => {
          void quickFixes(ctx, node.range, node.diagnostics).then((actions) => actionList(ctx, fixes, actions));
        });
      }

      const read = nodeConfig(ctx, node);
      const form = el("form", "nfe-form", body);
      form.setAttribute("aria-label", `Config of ${node.label}`);
      form.addEventListener("submit", (e) => e.preventDefault());
      if (read === null) {
        el("p", "nfe-hint", form, "This node's text is not valid JSON: fix it in the text pane.");
      } else if (entry === null) {
        el("p", "nfe-hint", form, "Unknown node type: its config cannot be described.");
      } else {
        const fields = fieldsOf(entry.configSchema, read.config, {
          expressions: entry.expressions,
          templates: entry.templates,
          connectorTypes: entry.connectors,
          connectors: ctx.state.catalog?.connectors ?? [],
        });
        if (fields.length === 0) el("p", "nfe-hint", form, "This node type has no config.");
        for (const f of fields) drawField(ctx, form, node, f, read.start);
      }

      // Connect from the keyboard: one of this node's outputs to another node's input.
      if (node.outputs.length > 0) {
        const box = el("fieldset", "nfe-group nfe-connect", body);
        el("legend", "", box, "Connect an output");
        const from = el("select", "nfe-input", box) as HTMLSelectElement;
        from.setAttribute("aria-label", "Output port");
        for (const p of node.outputs) (el("option", "", from, `${p.name}: ${p.type ?? "?"}`) as HTMLOptionElement).value = p.name;
        const to = el("select", "nfe-input", box) as HTMLSelectElement;
        to.setAttribute("aria-label", "Input port of another node");
        // The other nodes' inputs, listed when the list is opened (from the newest
        // graph): the panel then depends on its own node only, and a flow of
        // thousands of nodes does not rebuild thousands of options per keystroke.
        const fill = (): void => {
          const chosen = to.value;
          to.replaceChildren();
          for (const other of ctx.state.graph?.nodes ?? []) {
            if (other.key === node.key) continue;
            for (const p of other.inputs) {
              (el("option", "", to, `${other.label}.${p.name}: ${p.type ?? "?"}`) as HTMLOptionElement).value = JSON.stringify({ node: other.key, port: p.name });
            }
          }
          if (chosen !== "") to.value = chosen;
        };
        to.addEventListener("focus", fill);
        to.addEventListener("pointerdown", fill);
        const go = el("button", "nfe-button", box, "Connect") as HTMLButtonElement;
        go.type = "button";
        go.addEventListener("click", () => {
          if (to.value === "") return;
          const target = JSON.parse(to.value) as { node: string; port: string };
          void ctx.run((uri, v) => connectPorts(uri, v, { node: node.key, port: from.value }, target));
        });
      }
      void id;
    };
    body.addEventListener("focusout", (e) => {
      if (pending && !body.contains(e.relatedTarget as Node | null)) setTimeout(draw, 0);
    });
    ctx.on("selection", () => {
      pending = false;
      body.replaceChildren();
      draw();
    });
    // A new graph redraws the panel only when what it shows changed: the selected
    // node, or the selected connection.
    ctx.on("graph", () => {
      const keys = ctx.state.selection.length === 1 ? ctx.state.selection : [];
      const connection = ctx.state.selection.length === 0 ? ctx.state.connection : null;
      if (touches(ctx.state.changes, keys, connection === null ? [] : [connection])) draw();
    });
    ctx.on("catalog", draw);
    draw();
  },
};
