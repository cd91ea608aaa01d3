// The problems list: every diagnostic of the flow, worst first; picking one selects its
// node on the canvas and puts the cursor on it in the text.

import { severityName } from "../../../graph/src/scene";
import type { GraphView, Range, Severity } from "../../../graph/src/protocol";
import { el } from "../dom";
import type { Panel } from "./registry";

export interface ProblemRow {
  severity: Severity;
  code: string;
  message: string;
  range: Range;
  node: string | null; // the node's key
  connection: number | null; // the connection's index, for a problem of a connection
  where: string;
}

/** Every problem of the view: in nodes, in connections, and of the flow. */
export function problemRows(graph: GraphView): ProblemRow[] {
  const rows: ProblemRow[] = [];
  for (const n of graph.nodes) for (const d of n.diagnostics) rows.push({ ...d, node: n.key, connection: null, where: n.label });
  for (const c of graph.connections) {
    const where = `${c.source.text ?? "?"} → ${c.target.text ?? "?"}`;
    for (const d of c.diagnostics) rows.push({ ...d, node: c.target.node ?? c.source.node, connection: c.index, where });
  }
  for (const d of graph.diagnostics) rows.push({ ...d, node: null, connection: null, where: "flow" });
  rows.sort((a, b) => a.severity - b.severity || a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return rows;
}

export const problems: Panel = {
  id: "problems",
  title: "Problems",
  area: "bottom",
  shortcut: "Alt+3",
  mount(body, ctx) {
    const list = el("ul", "nfe-problems", body);
    list.setAttribute("aria-label", "Problems of the flow");
    let shown: string | null = null;
    const draw = (): void => {
      const graph = ctx.state.graph;
      const rows = graph === null ? [] : problemRows(graph);
      const sig = JSON.stringify([graph === null, rows]);
      if (sig === shown) return; // the same problems (a keystroke that fixed nothing)
      shown = sig;
      list.replaceChildren();
      if (rows.length === 0) {
        el("li", "nfe-hint", list, graph === null ? "No flow open." : "No problems.");
        return;
      }
      for (const r of rows) {
        const item = el("li", `nfe-problem nfe-sev-${r.severity}`, list, `${severityName(r.severity)} ${r.code} (${r.where}, line ${r.range.start.line + 1}): ${r.message}`);
        item.tabIndex = 0;
        item.setAttribute("role", "button");
        const go = (): void => {
          // A connection's problem selects the connection (the config panel offers its fixes).
          if (r.connection !== null) ctx.selectConnection(r.connection);
          else if (r.node !== null) ctx.select([r.node]);
          ctx.reveal(r.range);
        };
        item.addEventListener("click", go);
        item.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            go();
          }
        });
      }
    };
    ctx.on("graph", draw);
    draw();
  },
};
