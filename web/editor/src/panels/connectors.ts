// The Connectors panel: the workspace's connectors (name, type, whether their settings
// are stored, problems), a form to add one (fields from the server's connector types;
// secret fields are password inputs, sent once to the server, which encrypts them,
// and cleared at once), and a test of each (a real connection made by the server).
// Secrets are never sent back: the list shows only whether a secret is set.

import type { EditorContext } from "../context";
import { button, el, labelled, messageOf } from "../dom";
import type { Panel } from "./registry";

export interface ConnectorField {
  name: string;
  description: string;
  required: boolean;
  secret: boolean;
  default: string | null;
}

export interface ConnectorInfo {
  name: string;
  type: string;
  declared: boolean;
  stored: boolean;
  settings: Record<string, string>;
  problems: string[];
}

/** A connector's settings as the page shows them: secret fields only as set or not. */
export function shownSettings(info: ConnectorInfo, fields: ConnectorField[]): [string, string][] {
  const secret = new Set(fields.filter((f) => f.secret).map((f) => f.name));
  return Object.entries(info.settings).map(([k, v]) => [k, secret.has(k) || /password|secret|token|key/i.test(k) ? (v ? "(set)" : "(not set)") : v]);
}

export const connectors: Panel = {
  id: "connectors",
  title: "Connectors",
  area: "bottom",
  shortcut: "Alt+9",
  mount(body, ctx) {
    const grid = el("div", "nfe-columns", body);
    const left = el("div", "nfe-column nfe-wide", grid);
    const right = el("div", "nfe-column", grid);
    const list = el("ul", "nfe-connectors", left);
    list.setAttribute("aria-label", "Connectors of the workspace");
    el("h3", "nfe-subtitle", right, "Add a connector");
    const form = el("form", "nfe-form", right);
    form.setAttribute("aria-label", "Add a connector");
    form.setAttribute("autocomplete", "off");
    const name = el("input", "nfe-input", undefined) as HTMLInputElement;
    labelled(form, "Name", name);
    const kind = el("select", "nfe-input", undefined) as HTMLSelectElement;
    labelled(form, "Type", kind);
    const fieldsBox = el("div", "", form);
    const replace = el("input", "", undefined) as HTMLInputElement;
    replace.type = "checkbox";
    const replaceLabel = el("label", "nfe-hint", form);
    replaceLabel.append(replace, " replace a connector of this name");
    const submit = el("button", "nfe-button nfe-primary", form, "Add connector") as HTMLButtonElement;
    submit.type = "submit";
    const result = el("div", "nfe-hint", form);
    result.setAttribute("role", "status");
    let types: Record<string, ConnectorField[]> = {};
    let known: ConnectorInfo[] = [];
    const inputs = new Map<string, HTMLInputElement>();

    const drawFields = (): void => {
      fieldsBox.replaceChildren();
      inputs.clear();
      for (const f of types[kind.value] ?? []) {
        const input = el("input", "nfe-input", undefined) as HTMLInputElement;
        input.type = f.secret ? "password" : "text";
        input.autocomplete = f.secret ? "new-password" : "off";
        input.name = f.name;
        if (f.default !== null) input.placeholder = `default: ${f.default}`;
        input.required = f.required;
        const row = labelled(fieldsBox, `${f.name}${f.required ? " *" : ""}${f.secret ? " (secret)" : ""}`, input);
        el("div", "nfe-hint", row, f.description);
        inputs.set(f.name, input);
      }
    };
    kind.addEventListener("change", drawFields);

    const load = async (): Promise<void> => {
      const uri = ctx.state.uri;
      if (uri === null) return;
      list.replaceChildren();
      try {
        if (Object.keys(types).length === 0) {
          types = await ctx.command<Record<string, ConnectorField[]>>("nodeforge.connector.types", { flow: uri });
          kind.replaceChildren();
          for (const t of Object.keys(types).sort()) (el("option", "", kind, t) as HTMLOptionElement).value = t;
          drawFields();
        }
        const found = await ctx.command<ConnectorInfo[]>("nodeforge.connector.list", { flow: uri });
        known = found;
        if (found.length === 0) el("li", "nfe-hint", list, "No connectors yet.");
        for (const c of found) drawConnector(ctx, list, c, types[c.type] ?? []);
      } catch (e) {
        el("li", "nfe-sev-1", list, messageOf(e));
      }
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const settings: Record<string, string> = {};
      for (const [k, input] of inputs) if (input.value !== "") settings[k] = input.value;
      // The secrets leave the page now, once: clear them from the form at once.
      for (const input of inputs.values()) if (input.type === "password") input.value = "";
      void (async () => {
        submit.disabled = true;
        try {
          // A connector nodeforge.toml declares without settings yet gets them without "replace".
          const declaredOnly = known.some((c) => c.name === name.value.trim() && !c.stored);
          await ctx.command("nodeforge.connector.add", { flow: ctx.state.uri, name: name.value.trim(), type: kind.value, settings, replace: replace.checked || declaredOnly });
          result.className = "nfe-ok";
          result.textContent = `Added ${name.value.trim()}: its secrets are stored encrypted on the server.`;
          for (const input of inputs.values()) input.value = "";
          name.value = "";
          await load();
        } catch (err) {
          result.className = "nfe-sev-1";
          result.textContent = messageOf(err);
        } finally {
          submit.disabled = false;
        }
      })();
    });
    ctx.on("document", () => void load());
    void load();
  },
};

function drawConnector(ctx: EditorContext, list: HTMLElement, c: ConnectorInfo, fields: ConnectorField[]): void {
  const item = el("li", "nfe-connector", list);
  const head = el("div", "nfe-row", item);
  el("span", "nfe-connector-name", head, c.name);
  el("span", "nfe-chip", head, c.type);
  el("span", `nfe-chip ${c.stored ? "nfe-ok" : "nfe-sev-2"}`, head, c.stored ? "settings stored" : "no settings yet");
  if (!c.declared) el("span", "nfe-chip nfe-sev-2", head, "not in nodeforge.toml");
  const outcome = el("span", "nfe-connector-test", head);
  outcome.setAttribute("role", "status");
  const test = button(head, "Test", `Connect with ${c.name}'s settings`, () => {
    test.disabled = true;
    outcome.className = "nfe-connector-test nfe-hint";
    outcome.textContent = "Testing…";
    ctx
      .command<{ ok: boolean; message: string; elapsed_ms: number }>("nodeforge.connector.test", { flow: ctx.state.uri, name: c.name })
      .then(
        (r) => {
          outcome.className = `nfe-connector-test ${r.ok ? "nfe-ok" : "nfe-sev-1"}`;
          outcome.textContent = `${r.ok ? "✓" : "✗"} ${r.message} (${r.elapsed_ms} ms)`;
        },
        (e) => {
          outcome.className = "nfe-connector-test nfe-sev-1";
          outcome.textContent = messageOf(e);
        },
      )
      .finally(() => {
        test.disabled = false;
      });
  });
  test.disabled = !c.stored;
  const settings = shownSettings(c, fields);
  if (settings.length > 0) el("div", "nfe-hint nfe-settings", item, settings.map(([k, v]) => `${k}: ${v}`).join(" · "));
  for (const p of c.problems) el("div", "nfe-sev-2", item, p);
}
