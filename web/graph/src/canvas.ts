// The canvas in the page: draws a Scene as SVG, with zoom (wheel, buttons, keys), pan
// (drag the background), fit view, tooltips, a problems list, and reveal on click or
// Enter on a node, a connection or a problem. Every node is focusable (Tab) and
// labelled for screen readers.

import type { FromCanvas, GraphView, Range, ToCanvas } from "./protocol";
import { parseMessage } from "./protocol";
import {
  type Scene,
  type SceneEdge,
  type SceneNode,
  type Transform,
  buildScene,
  ellipsis,
  fitTransform,
  severityName,
  zoomAt,
} from "./scene";

const SVG = "http://www.w3.org/2000/svg";
const ZOOM_STEP = 1.2;

export interface Host {
  post(message: FromCanvas): void;
}

export interface Canvas {
  /** Handle a host message (`{type: "graph", graph}` or `{type: "error", message}`). */
  receive(message: unknown): void;
  /** Show a graph view directly (what `receive` does for a graph message). */
  show(graph: GraphView | null): void;
  fit(): void;
  readonly transform: Transform;
  readonly scene: Scene | null;
  dispose(): void;
}

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number> = {},
  parent?: Element,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent !== undefined) parent.appendChild(node);
  return node;
}

function html<K extends keyof HTMLElementTagNameMap>(
  name: K,
  className: string,
  parent?: Element,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(name);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent !== undefined) parent.appendChild(node);
  return node;
}

function tooltip(parent: Element, text: string): void {
  el("title", {}, parent).textContent = text;
}

export function mount(root: HTMLElement, host: Host): Canvas {
  root.classList.add("nf-graph");
  root.replaceChildren();
  const svg = el("svg", { class: "nf-canvas", role: "group" }, root);
  svg.setAttribute("aria-label", "Flow graph");
  const defs = el("defs", {}, svg);
  const marker = el(
    "marker",
    { id: "nf-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
    defs,
  );
  el("path", { d: "M0,0 L10,5 L0,10 z", class: "nf-arrow" }, marker);
  const viewport = el("g", { class: "nf-viewport" }, svg);
  const toolbar = html("div", "nf-toolbar", root);
  const title = html("span", "nf-title", toolbar);
  const buttons: [string, string, () => void][] = [
    ["−", "Zoom out (-)", () => zoomBy(1 / ZOOM_STEP)],
    ["+", "Zoom in (+)", () => zoomBy(ZOOM_STEP)],
    ["Fit", "Fit the flow in view (0)", () => canvas.fit()],
  ];
  for (const [label, help, action] of buttons) {
    const button = html("button", "nf-button", toolbar, label);
    button.type = "button";
    button.title = help;
    button.setAttribute("aria-label", help);
    button.addEventListener("click", action);
  }
  const problems = html("ul", "nf-problems", root);
  problems.setAttribute("aria-label", "Problems not on a node");
  const message = html("div", "nf-message", root);
  message.setAttribute("role", "status");

  let scene: Scene | null = null;
  let transform: Transform = { x: 0, y: 0, k: 1 };
  let fitted = false;

  const apply = (): void => {
    viewport.setAttribute("transform", `translate(${transform.x},${transform.y}) scale(${transform.k})`);
  };
  const size = (): { width: number; height: number } => {
    const box = svg.getBoundingClientRect();
    return { width: box.width || root.clientWidth || 800, height: box.height || root.clientHeight || 600 };
  };
  const zoomBy = (factor: number, at?: { x: number; y: number }): void => {
    const { width, height } = size();
    transform = zoomAt(transform, at ?? { x: width / 2, y: height / 2 }, factor);
    apply();
  };
  const reveal = (range: Range, extra: { node?: string; connection?: number }): void => {
    host.post({ type: "reveal", range, ...extra });
  };

  const drawNode = (parent: Element, n: SceneNode): void => {
    const classes = ["nf-node", `nf-cat-${n.category.replace(/[^a-z0-9_-]/gi, "")}`];
    if (n.badge !== null) classes.push(`nf-sev-${n.badge.severity}`);
    if (n.deprecated) classes.push("nf-deprecated");
    if (n.kind !== null) classes.push(`nf-kind-${n.kind}`);
    const g = el("g", { class: classes.join(" "), transform: `translate(${n.x},${n.y})` }, parent);
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", n.ariaLabel);
    g.dataset.key = n.key;
    tooltip(g, n.tooltip);
    el("rect", { class: "nf-box", width: n.width, height: n.height, rx: 6 }, g);
    el("rect", { class: "nf-header", width: n.width, height: 40, rx: 6 }, g);
    el("text", { class: "nf-glyph", x: 14, y: 25, "text-anchor": "middle" }, g).textContent = n.glyph;
    el("text", { class: "nf-label", x: 28, y: 18 }, g).textContent = ellipsis(n.label, 24);
    el("text", { class: "nf-subtitle", x: 28, y: 33 }, g).textContent = ellipsis(n.subtitle, 30);
    for (const [list, output] of [
      [n.inputs, false],
      [n.outputs, true],
    ] as const) {
      for (const p of list) {
        const port = el("g", { class: `nf-port${p.known ? "" : " nf-port-unknown"}` }, g);
        const px = output ? n.width : 0;
        const py = p.y - n.y;
        el("circle", { cx: px, cy: py, r: 4.5 }, port);
        const text = el(
          "text",
          { x: output ? px - 9 : px + 9, y: py + 4, "text-anchor": output ? "end" : "start" },
          port,
        );
        text.textContent = ellipsis(p.name, 14);
        const optional = !output && !p.required ? " (optional)" : "";
        const what = p.type === null ? "not a port of this node" : p.type;
        tooltip(port, `${output ? "output" : "input"} ${p.name}${optional}: ${what}${p.description ? `\n${p.description}` : ""}`);
      }
    }
    if (n.badge !== null) {
      const badge = el("g", { class: `nf-badge nf-sev-${n.badge.severity}`, transform: `translate(${n.width - 2},2)` }, g);
      el("circle", { r: 9 }, badge);
      el("text", { y: 4, "text-anchor": "middle" }, badge).textContent = String(n.badge.count);
      tooltip(badge, n.badge.text);
    }
    const go = (): void => reveal(n.reveal, n.id !== null ? { node: n.id } : {});
    g.addEventListener("click", (e) => {
      e.stopPropagation();
      go();
    });
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        go();
      }
    });
  };

  const drawEdge = (parent: Element, e: SceneEdge): void => {
    const classes = ["nf-edge"];
    if (e.badge !== null) classes.push(`nf-sev-${e.badge.severity}`);
    const g = el("g", { class: classes.join(" ") }, parent);
    g.dataset.index = String(e.index);
    tooltip(g, e.tooltip);
    el("path", { class: "nf-edge-hit", d: e.path }, g);
    el("path", { class: "nf-edge-line", d: e.path, "marker-end": "url(#nf-arrow)" }, g);
    if (e.badge !== null) {
      const mark = el("g", { class: `nf-mark nf-sev-${e.badge.severity}`, transform: `translate(${e.mid.x},${e.mid.y})` }, g);
      el("circle", { r: 8 }, mark);
      el("text", { y: 4, "text-anchor": "middle" }, mark).textContent = "!";
    }
    g.addEventListener("click", (ev) => {
      ev.stopPropagation();
      reveal(e.reveal, { connection: e.index });
    });
  };

  const render = (): void => {
    viewport.replaceChildren();
    problems.replaceChildren();
    if (scene === null) return;
    title.textContent = scene.title;
    const edges = el("g", { class: "nf-edges" }, viewport);
    for (const e of scene.edges) drawEdge(edges, e);
    const nodes = el("g", { class: "nf-nodes" }, viewport);
    for (const n of scene.nodes) drawNode(nodes, n);
    for (const p of scene.problems) {
      const item = html("li", `nf-problem nf-sev-${p.severity}`, problems);
      item.tabIndex = 0;
      item.textContent = `${severityName(p.severity)} ${p.code} (${p.where}): ${p.message}`;
      const go = (): void => reveal(p.range, p.connection !== undefined ? { connection: p.connection } : {});
      item.addEventListener("click", go);
      item.addEventListener("keydown", (e) => {
        if (e.key === "Enter") go();
      });
    }
    problems.hidden = scene.problems.length === 0;
    message.textContent = scene.nodes.length === 0 ? "This flow has no nodes yet." : "";
  };

  // -- pan and zoom ------------------------------------------------------------------
  let drag: { x: number; y: number; from: Transform; id: number } | null = null;
  svg.addEventListener("pointerdown", (e) => {
    if ((e.target as Element).closest(".nf-node, .nf-edge") !== null) return;
    drag = { x: e.clientX, y: e.clientY, from: transform, id: e.pointerId };
    svg.setPointerCapture?.(e.pointerId);
    svg.classList.add("nf-panning");
  });
  svg.addEventListener("pointermove", (e) => {
    if (drag === null || e.pointerId !== drag.id) return;
    transform = { ...drag.from, x: drag.from.x + e.clientX - drag.x, y: drag.from.y + e.clientY - drag.y };
    apply();
  });
  const endDrag = (): void => {
    drag = null;
    svg.classList.remove("nf-panning");
  };
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);
  svg.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      const box = svg.getBoundingClientRect();
      zoomBy(Math.exp(-e.deltaY * 0.0015), { x: e.clientX - box.left, y: e.clientY - box.top });
    },
    { passive: false },
  );
  root.addEventListener("keydown", (e) => {
    if ((e.target as Element).closest?.("button") != null) return;
    if (e.key === "+" || e.key === "=") zoomBy(ZOOM_STEP);
    else if (e.key === "-") zoomBy(1 / ZOOM_STEP);
    else if (e.key === "0") canvas.fit();
  });

  const canvas: Canvas = {
    receive(raw: unknown): void {
      const msg: ToCanvas | null = parseMessage(raw);
      if (msg === null) return;
      if (msg.type === "error") {
        message.textContent = msg.message;
        return;
      }
      canvas.show(msg.graph);
    },
    show(graph: GraphView | null): void {
      if (graph === null) {
        scene = null;
        render();
        message.textContent = "Not a flow document, or it is closed.";
        return;
      }
      scene = buildScene(graph);
      render();
      if (!fitted) {
        canvas.fit();
        fitted = scene.nodes.length > 0;
      } else {
        apply();
      }
    },
    fit(): void {
      if (scene !== null) transform = fitTransform(scene.bounds, size());
      apply();
    },
    get transform(): Transform {
      return transform;
    },
    get scene(): Scene | null {
      return scene;
    },
    dispose(): void {
      root.replaceChildren();
    },
  };
  return canvas;
}
