// The page's panels, registered in one place (panels/index.ts). A panel is a module
// with an id, a title (its heading and its screen-reader label), the area it goes to,
// and a `mount` that draws it into its element and subscribes to the editor's events.
// A later panel (simulation, breakpoints, tests, builds, history, connectors) is one
// more module and one more line in panels/index.ts.

import type { EditorContext } from "../context";

export type Area = "left" | "right" | "bottom";

export interface Panel {
  id: string;
  title: string;
  area: Area;
  /** A key that focuses the panel (shown in its heading), e.g. "Alt+1". */
  shortcut?: string;
  mount(element: HTMLElement, ctx: EditorContext): void;
}

export class PanelRegistry {
  private readonly panels: Panel[] = [];

  register(panel: Panel): void {
    if (this.panels.some((p) => p.id === panel.id)) throw new Error(`panel ${panel.id} is registered twice`);
    this.panels.push(panel);
  }

  inArea(area: Area): Panel[] {
    return this.panels.filter((p) => p.area === area);
  }

  get all(): readonly Panel[] {
    return this.panels;
  }
}
