// The Upgrades panel: the open flow's nodes that have a newer version, each with what
// the upgrade does to the flow (the migration's diff) and its conflicts (config values
// a migration would replace), upgraded with one click (`nodeforge.upgrade.plan` and
// `.apply`, docs/projects.md). The flow is saved first: upgrades work on the file,
// whose new text then replaces the editor's (Ctrl+Z takes it back).

import type { EditorContext } from "../context";
import { button, el, messageOf } from "../dom";
import type { Panel } from "./registry";

export interface FlowUpgrade {
  path: string;
  upgrades: { node: string; type: string; from_version: string; to_version: string; config_migrated: boolean }[];
  skipped: string[];
  new_errors: string[];
  conflicts: { node: string; type?: string; key?: string; flow_value?: unknown; migration_value?: unknown }[];
  diff: string;
  written: boolean;
}

function diffBlock(parent: HTMLElement, diff: string): void {
  const pre = el("pre", "nfe-json nfe-text-diff", parent);
  for (const line of diff.split("\n")) {
    const cls = line.startsWith("+") && !line.startsWith("+++") ? "nfe-diff-add" : line.startsWith("-") && !line.startsWith("---") ? "nfe-diff-del" : "";
    el("span", cls, pre, line + "\n");
  }
}

/** Plan the upgrade of `nodes` (all outdated nodes when absent) and draw it into `out`. */
export async function planUpgrades(ctx: EditorContext, out: HTMLElement, nodes?: string[]): Promise<void> {
  const uri = ctx.state.uri;
  if (uri === null) return;
  out.replaceChildren(el("p", "nfe-hint", undefined, "Looking for newer node versions…"));
  try {
    if (!(await ctx.save())) throw new Error("the flow could not be saved first");
    const plans = await ctx.command<FlowUpgrade[]>("nodeforge.upgrade.plan", { flow: uri, ...(nodes ? { nodes } : {}) });
    out.replaceChildren();
    const plan = plans[0];
    if (plan === undefined || (plan.upgrades.length === 0 && plan.conflicts.length === 0)) {
      el("p", "nfe-ok", out, "Every node of this flow is at its newest version.");
      return;
    }
    const list = el("ul", "nfe-upgrades", out);
    list.setAttribute("aria-label", "Node upgrades");
    for (const u of plan.upgrades) {
      const item = el("li", "nfe-row", list);
      el("span", "nfe-connector-name", item, u.node);
      el("span", "nfe-hint", item, `${u.type} ${u.from_version} → ${u.to_version}${u.config_migrated ? " (config migrated)" : ""}`);
      button(item, "Upgrade", `Upgrade ${u.node} to ${u.to_version}`, () => void apply(ctx, out, [u.node], plan));
    }
    if (plan.conflicts.length > 0) {
      el("h3", "nfe-subtitle nfe-sev-2", out, "Conflicts");
      const c = el("ul", "nfe-conflicts", out);
      for (const x of plan.conflicts) {
        el("li", "nfe-sev-2", c, `${x.node}${x.key ? `: ${x.key}` : ""}: the flow has ${JSON.stringify(x.flow_value)}, the migration sets ${JSON.stringify(x.migration_value)}`);
      }
      el("p", "nfe-hint", out, "A node with a conflict is upgraded only when you confirm that the migration's value replaces yours.");
    }
    for (const e of plan.new_errors) el("p", "nfe-sev-1", out, `After the upgrade: ${e}`);
    if (plan.upgrades.length > 1) button(out, "Upgrade all", "Upgrade every node listed", () => void apply(ctx, out, plan.upgrades.map((u) => u.node), plan), "nfe-button nfe-primary");
    if (plan.diff) {
      el("h3", "nfe-subtitle", out, "What the upgrade changes");
      diffBlock(out, plan.diff);
    }
  } catch (e) {
    out.replaceChildren(el("p", "nfe-sev-1", undefined, messageOf(e)));
  }
}

async function apply(ctx: EditorContext, out: HTMLElement, nodes: string[], plan: FlowUpgrade): Promise<void> {
  const conflicted = plan.conflicts.filter((c) => nodes.includes(c.node));
  let force = false;
  if (conflicted.length > 0) {
    force = window.confirm(`${conflicted.length} config value(s) of ${[...new Set(conflicted.map((c) => c.node))].join(", ")} will be replaced by the migration. Upgrade anyway?`);
    if (!force) return;
  }
  try {
    if (!(await ctx.save())) throw new Error("the flow could not be saved first");
    const done = await ctx.command<FlowUpgrade[]>("nodeforge.upgrade.apply", { flow: ctx.state.uri, nodes, force });
    await ctx.reloadFromDisk();
    const n = done.reduce((sum, f) => sum + f.upgrades.length, 0);
    ctx.status(`Upgraded ${n} node${n === 1 ? "" : "s"}. Ctrl+Z in the text takes it back.`);
    await planUpgrades(ctx, out);
  } catch (e) {
    ctx.status(`Not upgraded: ${messageOf(e)}`, true);
  }
}

export const upgrades: Panel = {
  id: "upgrades",
  title: "Upgrades",
  area: "bottom",
  mount(body, ctx) {
    const row = el("div", "nfe-row", body);
    const out = el("div", "nfe-upgrade-plan", body);
    out.setAttribute("aria-live", "polite");
    button(row, "Check for upgrades", "Save the flow and list its nodes that have a newer version", () => void planUpgrades(ctx, out), "nfe-button nfe-primary");
    el("span", "nfe-hint", row, "Nodes with a newer version show an ↑ hint in the Config panel.");
  },
};
