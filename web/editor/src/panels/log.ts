// The log panel: what the simulation's nodes logged, the node tests' logs, the running
// app's log lines (`[app]` window/logMessage) and build output, newest last, with a
// filter by source and level. A line naming a node selects it on the canvas.

import type { LogLine } from "../devmode";
import { button, el } from "../dom";
import type { Panel } from "./registry";

const LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"];

export function visibleLines(lines: readonly LogLine[], source: string, minLevel: string, text: string): LogLine[] {
  const floor = Math.max(0, LEVELS.indexOf(minLevel));
  const needle = text.trim().toLowerCase();
  return lines.filter(
    (l) =>
      (source === "" || l.source === source) &&
      Math.max(0, LEVELS.indexOf(l.level === "WARNING" ? "WARN" : l.level)) >= floor &&
      (needle === "" || l.text.toLowerCase().includes(needle) || (l.node ?? "").toLowerCase().includes(needle)),
  );
}

export const log: Panel = {
  id: "log",
  title: "Log",
  area: "bottom",
  shortcut: "Alt+5",
  mount(body, ctx) {
    const bar = el("div", "nfe-row", body);
    const source = el("select", "nfe-input nfe-narrow", bar) as HTMLSelectElement;
    source.setAttribute("aria-label", "Show lines from");
    for (const [value, text] of [["", "all sources"], ["sim", "simulation"], ["test", "node tests"], ["app", "app"], ["build", "builds"]]) {
      (el("option", "", source, text) as HTMLOptionElement).value = value;
    }
    const level = el("select", "nfe-input nfe-narrow", bar) as HTMLSelectElement;
    level.setAttribute("aria-label", "Lowest level shown");
    for (const l of LEVELS) (el("option", "", level, `${l} and above`) as HTMLOptionElement).value = l;
    level.value = "DEBUG";
    const filter = el("input", "nfe-input nfe-narrow", bar) as HTMLInputElement;
    filter.type = "search";
    filter.placeholder = "Filter";
    filter.setAttribute("aria-label", "Filter the log");
    button(bar, "Clear", "Clear the log", () => {
      ctx.state.log.splice(0);
      draw();
    });
    const list = el("ol", "nfe-log", body);
    list.setAttribute("aria-label", "Log lines");
    const draw = (): void => {
      list.replaceChildren();
      const lines = visibleLines(ctx.state.log, source.value, level.value, filter.value);
      if (lines.length === 0) el("li", "nfe-hint", list, ctx.state.log.length === 0 ? "Nothing logged yet: simulate, test a node or run the app." : "No line matches.");
      for (const l of lines.slice(-500)) {
        const item = el("li", `nfe-log-line nfe-level-${l.level.toLowerCase()}`, list);
        el("span", "nfe-log-source", item, l.source);
        el("span", "nfe-log-level", item, l.level);
        if (l.node !== null) {
          const node = l.node;
          const link = el("button", "nfe-link", item, node) as HTMLButtonElement;
          link.type = "button";
          link.title = `Select ${node} on the canvas`;
          link.addEventListener("click", () => {
            const key = ctx.state.graph?.nodes.find((n) => n.id === node)?.key;
            if (key !== undefined) ctx.select([key]);
          });
        }
        el("span", "nfe-log-text", item, l.text);
      }
      list.scrollTop = list.scrollHeight;
    };
    for (const control of [source, level]) control.addEventListener("change", draw);
    filter.addEventListener("input", draw);
    ctx.on("log", draw);
    draw();
  },
};
