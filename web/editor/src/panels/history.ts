// The History panel: save a version of the flow with a message (the workspace's own
// history, docs/projects.md), the list of saved versions, the semantic diff of any of
// them against the text being edited (nodes added, removed and changed value by
// value, connections, flow fields; the text diff below), and restore.

import type { EditorContext } from "../context";
import { button, el, messageOf } from "../dom";
import type { Panel } from "./registry";

export interface Revision {
  commit: string;
  short: string;
  time: string;
  author: string;
  message: string; // the subject ("save <path>", "restore ...")
  note?: string; // the message given to the save
}

export interface ValueChange {
  path: string;
  before: unknown;
  after: unknown;
  kind: string;
}

export interface FlowDiff {
  a_label: string;
  b_label: string;
  nodes_added: { id: string; type?: string; version?: string }[];
  nodes_removed: { id: string; type?: string; version?: string }[];
  nodes_changed: { id: string; changes: ValueChange[] }[];
  connections_added: string[];
  connections_removed: string[];
  flow_changes: ValueChange[];
  tests_added: string[];
  tests_removed: string[];
  tests_changed: string[];
  text_diff: string;
  parse_errors: string[];
}

const short = (v: unknown): string => {
  const text = v === undefined || v === null ? "∅" : JSON.stringify(v);
  return text.length > 60 ? text.slice(0, 59) + "…" : text;
};

/** The diff as rows: a sign (+ - ~), what, and details (unit-tested). */
export function diffRows(d: FlowDiff): { sign: "+" | "-" | "~"; what: string; detail: string }[] {
  const rows: { sign: "+" | "-" | "~"; what: string; detail: string }[] = [];
  for (const c of d.flow_changes) rows.push({ sign: "~", what: `flow ${c.path}`, detail: `${short(c.before)} → ${short(c.after)}` });
  for (const n of d.nodes_added) rows.push({ sign: "+", what: `node ${n.id}`, detail: `${n.type ?? "?"}@${n.version ?? "?"}` });
  for (const n of d.nodes_removed) rows.push({ sign: "-", what: `node ${n.id}`, detail: `${n.type ?? "?"}@${n.version ?? "?"}` });
  for (const n of d.nodes_changed) {
    for (const c of n.changes) {
      rows.push({ sign: "~", what: `node ${n.id}: ${c.path}`, detail: c.kind === "added" ? `added ${short(c.after)}` : c.kind === "removed" ? `removed ${short(c.before)}` : `${short(c.before)} → ${short(c.after)}` });
    }
  }
  for (const c of d.connections_added) rows.push({ sign: "+", what: "connection", detail: c });
  for (const c of d.connections_removed) rows.push({ sign: "-", what: "connection", detail: c });
  for (const t of d.tests_added) rows.push({ sign: "+", what: "test", detail: t });
  for (const t of d.tests_removed) rows.push({ sign: "-", what: "test", detail: t });
  for (const t of d.tests_changed) rows.push({ sign: "~", what: "test", detail: t });
  return rows;
}

export function drawDiff(parent: HTMLElement, d: FlowDiff): void {
  el("div", "nfe-data-title", parent, `${d.a_label} → ${d.b_label}`);
  for (const e of d.parse_errors) el("p", "nfe-sev-1", parent, e);
  const rows = diffRows(d);
  if (rows.length === 0) el("p", "nfe-hint", parent, "No flow changes.");
  const list = el("ul", "nfe-diff", parent);
  list.setAttribute("aria-label", "Changes");
  for (const r of rows) {
    const item = el("li", `nfe-diff-row nfe-diff-${r.sign === "+" ? "add" : r.sign === "-" ? "del" : "mod"}`, list);
    el("span", "nfe-diff-sign", item, r.sign);
    el("span", "nfe-diff-what", item, r.what);
    el("span", "nfe-diff-detail", item, r.detail);
  }
  if (d.text_diff) {
    const more = el("details", "nfe-details", parent);
    el("summary", "", more, "Text diff");
    const pre = el("pre", "nfe-json nfe-text-diff", more);
    for (const line of d.text_diff.split("\n")) {
      const cls = line.startsWith("+") && !line.startsWith("+++") ? "nfe-diff-add" : line.startsWith("-") && !line.startsWith("---") ? "nfe-diff-del" : "";
      el("span", cls, pre, line + "\n");
    }
  }
}

async function restore(ctx: EditorContext, rev: Revision, done: () => void): Promise<void> {
  const uri = ctx.state.uri;
  if (uri === null) return;
  const args = { flow: uri, rev: rev.commit };
  try {
    try {
      await ctx.command("nodeforge.history.restore", args);
    } catch (e) {
      const why = messageOf(e);
      if (!/unsaved|dirty|force/i.test(why)) throw e;
      if (!window.confirm(`${why}\n\nRestore ${rev.short} anyway and lose the unsaved edits?`)) return;
      await ctx.command("nodeforge.history.restore", { ...args, force: true });
    }
    await ctx.reloadFromDisk();
    ctx.status(`Restored ${rev.short} (“${rev.note || rev.message}”). Undo (Ctrl+Z) takes the text back.`);
    done();
  } catch (e) {
    ctx.status(`Not restored: ${messageOf(e)}`, true);
  }
}

export const history: Panel = {
  id: "history",
  title: "History",
  area: "bottom",
  shortcut: "Alt+8",
  mount(body, ctx) {
    const grid = el("div", "nfe-columns", body);
    const left = el("div", "nfe-column", grid);
    const right = el("div", "nfe-column nfe-wide", grid);
    right.setAttribute("aria-live", "polite");
    const form = el("form", "nfe-row", left);
    const message = el("input", "nfe-input", form) as HTMLInputElement;
    message.placeholder = "What changed (the version's message)";
    message.setAttribute("aria-label", "Message of the saved version");
    const saveButton = el("button", "nfe-button nfe-primary", form, "Save version") as HTMLButtonElement;
    saveButton.type = "submit";
    saveButton.id = "nfe-history-save";
    const list = el("ul", "nfe-history", left);
    list.setAttribute("aria-label", "Saved versions, newest first");

    const load = async (): Promise<void> => {
      const uri = ctx.state.uri;
      list.replaceChildren();
      if (uri === null) return;
      let revs: Revision[] = [];
      try {
        revs = await ctx.command<Revision[]>("nodeforge.history.list", { flow: uri, limit: 50 });
      } catch (e) {
        el("li", "nfe-hint", list, messageOf(e));
        return;
      }
      if (revs.length === 0) el("li", "nfe-hint", list, "No saved versions yet.");
      for (const rev of revs) {
        const item = el("li", "nfe-history-item", list);
        const text = el("div", "nfe-history-text", item);
        el("span", "nfe-history-message", text, rev.note || rev.message || "(no message)");
        el("span", "nfe-hint", text, `${rev.short} · ${new Date(rev.time).toLocaleString()} · ${rev.author}`);
        const actions = el("div", "nfe-row", item);
        button(actions, "Diff", `Compare ${rev.short} with the text being edited`, () => void diff(rev));
        button(actions, "Restore", `Restore the flow to ${rev.short}`, () => void restore(ctx, rev, () => void load()));
      }
    };
    const diff = async (rev: Revision): Promise<void> => {
      const uri = ctx.state.uri;
      if (uri === null) return;
      right.replaceChildren(el("p", "nfe-hint", undefined, "Comparing…"));
      try {
        const d = await ctx.command<FlowDiff>("nodeforge.history.diff", { flow: uri, a: rev.commit, text: ctx.text() });
        right.replaceChildren();
        drawDiff(right, d);
      } catch (e) {
        right.replaceChildren(el("p", "nfe-sev-1", undefined, messageOf(e)));
      }
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void (async () => {
        const uri = ctx.state.uri;
        if (uri === null) return;
        saveButton.disabled = true;
        try {
          const saved = await ctx.command<{ short?: string; commit: string; created: boolean }>("nodeforge.history.save", {
            flow: uri,
            message: message.value.trim() || "saved in the editor",
            text: ctx.text(),
          });
          if (!(await ctx.save())) return;
          ctx.status(saved.created ? `Saved version ${saved.commit.slice(0, 10)}.` : "Saved: no change since the last version.");
          message.value = "";
          await load();
        } catch (e) {
          ctx.status(`Not saved: ${messageOf(e)}`, true);
        } finally {
          saveButton.disabled = false;
        }
      })();
    });
    el("p", "nfe-hint", right, "Pick Diff on a version to compare it with the text being edited.");
    ctx.on("document", () => void load());
    void load();
  },
};
