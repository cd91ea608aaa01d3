// The palette: the catalog's node types by category, with a search, descriptions,
// icons and versions. Drag a type onto the canvas, or press Enter on it to add it in
// the middle of the view.

import { DROP_TYPE } from "../../../graph/src/canvas";
import { glyphOf } from "../../../graph/src/scene";
import { el } from "../dom";
import { paletteGroups, type CatalogType } from "../catalog";
import { addNode } from "../commands";
import type { Panel } from "./registry";

export const palette: Panel = {
  id: "palette",
  title: "Palette",
  area: "left",
  shortcut: "Alt+1",
  mount(body, ctx) {
    const search = el("input", "nfe-search", body) as HTMLInputElement;
    search.type = "search";
    search.placeholder = "Search nodes";
    search.setAttribute("aria-label", "Search node types");
    const list = el("div", "nfe-palette-list", body);
    list.setAttribute("role", "tree");
    list.setAttribute("aria-label", "Node types");
    const add = (t: CatalogType, version: string): void => {
      // In the middle of the view.
      const c = ctx.canvasCentre();
      void ctx.run((uri, v) => addNode(uri, v, { type: t.type, version }, c));
    };
    const draw = (): void => {
      list.replaceChildren();
      const catalog = ctx.state.catalog;
      if (catalog === null) {
        list.textContent = "Loading the catalog…";
        return;
      }
      const groups = paletteGroups(catalog, search.value);
      if (groups.length === 0) list.textContent = `No node type matches “${search.value}”.`;
      for (const g of groups) {
        const group = el("div", "nfe-palette-group", list);
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", g.title);
        el("h3", "nfe-palette-category", group, g.title);
        for (const t of g.types) {
          const item = el("div", "nfe-palette-item", group);
          item.tabIndex = 0;
          item.setAttribute("role", "treeitem");
          item.draggable = true;
          item.title = `${t.type}@${t.version}\n${t.description}`;
          item.setAttribute("aria-label", `${t.title} (${t.type}), ${t.description}. Enter adds it to the flow.`);
          el("span", "nfe-glyph", item, glyphOf(t.icon, t.category)).setAttribute("aria-hidden", "true");
          const text = el("span", "nfe-palette-text", item);
          el("span", "nfe-palette-title", text, t.title);
          el("span", "nfe-palette-desc", text, t.description.split("\n")[0]);
          const versions = el("select", "nfe-version", item) as HTMLSelectElement;
          versions.setAttribute("aria-label", `Version of ${t.title}`);
          for (const v of t.versions) {
            const o = el("option", "", versions, v) as HTMLOptionElement;
            o.value = v;
          }
          versions.value = t.version;
          versions.addEventListener("keydown", (e) => e.stopPropagation());
          item.addEventListener("dragstart", (e) => {
            e.dataTransfer?.setData(DROP_TYPE, JSON.stringify({ type: t.type, version: versions.value }));
            if (e.dataTransfer) e.dataTransfer.effectAllowed = "copy";
          });
          item.addEventListener("keydown", (e) => {
            if (e.key === "Enter" && e.target === item) {
              e.preventDefault();
              add(t, versions.value);
            }
          });
          item.addEventListener("dblclick", () => add(t, versions.value));
        }
      }
    };
    search.addEventListener("input", draw);
    ctx.on("catalog", draw);
    draw();
  },
};
