// The canvas in the page: draws a Scene as SVG, with zoom (wheel, buttons, keys), pan
// (drag the background), fit view, a minimap, tooltips, a problems list, and reveal on
// click or Enter on a node, a connection or a problem. Every node is focusable (Tab)
// and labelled for screen readers.
//
// An editable canvas (the web editor's: `mount(root, host, {editable: true})`) adds the
// gestures: select (click, Shift/Ctrl-click, Shift-drag a rectangle, Ctrl+A), drag the
// selected boxes, drag from an output port to an input port to connect, Delete, copy
// and paste, undo and redo, arrow keys to move, drop a node type from a palette. Each
// gesture is a message to the host, which asks the server for the text edit; the
// canvas never changes the flow itself and redraws from the next graph view.
//
// Redrawing is incremental: each graph is turned into a scene, compared item by item
// with what is on screen (diff.ts: the same object, or an equal signature), and only
// the elements of nodes and connections that changed are replaced, so a keystroke that
// changes one node's badge touches that node's element and nothing else.

import {
  centreOn,
  clickSelection,
  edgePathWhileMoving,
  edgesTouching,
  minimap,
  movedPositions,
  nodesInRect,
  nudge,
  portAt,
  pruneSelection,
  rectOf,
  toCanvas,
  type Point,
} from "./gestures";
import { type Drawn, edgeSignature, nodeSignature, plan, problemsSignature } from "./diff";
import type { Decorations, FromCanvas, GraphView, Range, ToCanvas } from "./protocol";
import { parseMessage } from "./protocol";
import {
  type Scene,
  type SceneEdge,
  type SceneNode,
  type ScenePort,
  type Transform,
  buildScene,
  curve,
  ellipsis,
  fitTransform,
  severityName,
  zoomAt,
} from "./scene";

const SVG = "http://www.w3.org/2000/svg";
const ZOOM_STEP = 1.2;
const MINI = { width: 180, height: 120 };

export interface Host {
  post(message: FromCanvas): void;
}

export interface MountOptions {
  /** Offer the editing gestures (the host turns them into server edits). */
  editable?: boolean;
}

/** The drag-and-drop type a palette puts on what it drags onto the canvas. */
export const DROP_TYPE = "application/x-nodeforge-node";

export interface Canvas {
  /** Handle a host message (`{type: "graph", graph}` or `{type: "error", message}`). */
  receive(message: unknown): void;
  /** Show a graph view directly (what `receive` does for a graph message). */
  show(graph: GraphView | null): void;
  fit(): void;
  /** Select these nodes (keys) and bring the first into view. */
  select(keys: string[]): void;
  /** Draw the last graph again (e.g. after the server refused a move). */
  redraw(): void;
  /** Draw run states, breakpoints and connection labels over the graph (kept until replaced). */
  decorate(decorations: Decorations): void;
  readonly selection: ReadonlySet<string>;
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

/** Replace the tooltip `tooltip` gave `parent` (its own <title> child). */
function retitle(parent: Element | null | undefined, text: string): void {
  if (parent == null) return;
  for (const child of Array.from(parent.children)) {
    if (child.tagName === "title") {
      if (child.textContent !== text) child.textContent = text;
      return;
    }
  }
}

function portTooltip(p: ScenePort, output: boolean): string {
  const optional = !output && !p.required ? " (optional)" : "";
  const what = p.type === null ? "not a port of this node" : p.type;
  return `${output ? "output" : "input"} ${p.name}${optional}: ${what}${p.description ? `\n${p.description}` : ""}`;
}

function edgeLabel(e: SceneEdge): string {
  return `connection ${e.tooltip.split("\n").join(", ")}`;
}

export function mount(root: HTMLElement, host: Host, options: MountOptions = {}): Canvas {
  const editable = options.editable === true;
  root.classList.add("nf-graph");
  if (editable) root.classList.add("nf-editable");
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
  const edgesLayer = el("g", { class: "nf-edges" }, viewport);
  const nodesLayer = el("g", { class: "nf-nodes" }, viewport);
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
  const mini = el("svg", { class: "nf-minimap", width: MINI.width, height: MINI.height }, root);
  mini.setAttribute("aria-label", "Minimap: click to move the view");
  mini.setAttribute("role", "img");
  const miniNodes = el("g", {}, mini);
  const miniView = el("rect", { class: "nf-minimap-view" }, mini);

  let scene: Scene | null = null;
  let lastGraph: GraphView | null = null;
  let transform: Transform = { x: 0, y: 0, k: 1 };
  let fitted = false;
  let selection = new Set<string>();
  let selectedEdge: number | null = null;
  let lastPointer: Point | null = null;
  let decorations: Decorations = {};
  // What is on screen: per node key / connection index, its element and the scene
  // item it was drawn from (diff.ts); the minimap's box per node; the decorations
  // drawn on each element (their signature); items changed in place (dragged) that
  // the next render must draw again; the problems list's signature.
  const nodeEls = new Map<string, SVGGElement>();
  const edgeEls = new Map<number, SVGGElement>();
  const nodeDrawn = new Map<string, Drawn<SceneNode>>();
  const edgeDrawn = new Map<number, Drawn<SceneEdge>>();
  const miniEls = new Map<string, SVGRectElement>();
  const nodeDeco = new Map<string, string>();
  const edgeDeco = new Map<number, string>();
  const dirtyNodes = new Set<string>();
  const dirtyEdges = new Set<number>();
  let problemsDrawn: string | null = null;
  let sceneNodes = new Map<string, SceneNode>();
  let sceneEdges = new Map<number, SceneEdge>();
  let shownSelection = new Set<string>();
  let shownEdge: number | null = null;

  const apply = (): void => {
    viewport.setAttribute("transform", `translate(${transform.x},${transform.y}) scale(${transform.k})`);
    drawMinimapView();
  };
  const drawMinimapView = (): void => {
    if (scene === null || scene.nodes.length === 0) {
      mini.style.display = "none";
      return;
    }
    mini.style.display = "";
    const m = minimap(scene.bounds, transform, size(), MINI);
    miniNodes.setAttribute("transform", `translate(${m.x},${m.y}) scale(${m.k})`);
    miniView.setAttribute("x", String(m.view.x));
    miniView.setAttribute("y", String(m.view.y));
    miniView.setAttribute("width", String(Math.max(2, m.view.width)));
    miniView.setAttribute("height", String(Math.max(2, m.view.height)));
  };
  // Only the elements whose selection state changes are touched.
  const showSelection = (): void => {
    for (const key of shownSelection) if (!selection.has(key)) nodeEls.get(key)?.classList.remove("nf-selected");
    for (const key of selection) nodeEls.get(key)?.classList.add("nf-selected");
    shownSelection = new Set(selection);
    if (shownEdge !== null && shownEdge !== selectedEdge) edgeEls.get(shownEdge)?.classList.remove("nf-selected");
    if (selectedEdge !== null) edgeEls.get(selectedEdge)?.classList.add("nf-selected");
    shownEdge = selectedEdge;
  };
  const setSelection = (keys: Set<string>, edge: number | null = null, tell = true): void => {
    selection = keys;
    selectedEdge = edge;
    showSelection();
    if (editable && tell) {
      host.post({ type: "select", nodes: [...selection], ...(edge !== null ? { connection: edge } : {}) });
    }
  };
  const measure = (): { width: number; height: number } => {
    const box = svg.getBoundingClientRect();
    return { width: box.width || root.clientWidth || 800, height: box.height || root.clientHeight || 600 };
  };
  // The canvas's size, kept by a ResizeObserver: measuring on every graph would force
  // the browser to lay the page out at once (tens of ms on a loaded machine).
  let measured: { width: number; height: number } | null = null;
  const resizes =
    typeof ResizeObserver === "function"
      ? new ResizeObserver(() => {
          measured = measure();
          drawMinimapView();
        })
      : null;
  resizes?.observe(root);
  const size = (): { width: number; height: number } => measured ?? measure();
  const zoomBy = (factor: number, at?: { x: number; y: number }): void => {
    const { width, height } = size();
    transform = zoomAt(transform, at ?? { x: width / 2, y: height / 2 }, factor);
    apply();
  };
  const reveal = (range: Range, extra: { node?: string; connection?: number }): void => {
    host.post({ type: "reveal", range, ...extra });
  };

  // A node's element (not yet placed). Its handlers read the node's current scene item
  // when they run: a kept element outlives the scene it was drawn from.
  const drawNode = (n: SceneNode): SVGGElement => {
    const classes = ["nf-node", `nf-cat-${n.category.replace(/[^a-z0-9_-]/gi, "")}`];
    if (n.badge !== null) classes.push(`nf-sev-${n.badge.severity}`);
    if (n.deprecated) classes.push("nf-deprecated");
    if (n.kind !== null) classes.push(`nf-kind-${n.kind}`);
    const g = el("g", { class: classes.join(" "), transform: `translate(${n.x},${n.y})` });
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
        const port = el("g", { class: `nf-port${p.known ? "" : " nf-port-unknown"}${output ? " nf-out" : " nf-in"}` }, g);
        port.dataset.port = p.name;
        const px = output ? n.width : 0;
        const py = p.y - n.y;
        el("circle", { cx: px, cy: py, r: 4.5 }, port);
        const text = el(
          "text",
          { x: output ? px - 9 : px + 9, y: py + 4, "text-anchor": output ? "end" : "start" },
          port,
        );
        text.textContent = ellipsis(p.name, 14);
        tooltip(port, portTooltip(p, output));
      }
    }
    if (n.badge !== null) {
      const badge = el("g", { class: `nf-badge nf-sev-${n.badge.severity}`, transform: `translate(${n.width - 2},2)` }, g);
      el("circle", { r: 9 }, badge);
      el("text", { y: 4, "text-anchor": "middle" }, badge).textContent = String(n.badge.count);
      tooltip(badge, n.badge.text);
    }
    if (selection.has(n.key)) g.classList.add("nf-selected");
    const key = n.key;
    const go = (): void => {
      const now = sceneNodes.get(key);
      if (now !== undefined) reveal(now.reveal, now.id !== null ? { node: now.id } : {});
    };
    g.addEventListener("click", (e) => {
      e.stopPropagation();
      // An editable canvas selects and reveals at the end of the press (pointerup).
      if (!editable) go();
    });
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        if (editable) setSelection(new Set([key]));
        go();
      } else if (e.key === " ") {
        e.preventDefault();
        if (editable) setSelection(clickSelection(selection, key, true));
        else go();
      }
    });
    return g;
  };

  const drawEdge = (e: SceneEdge): SVGGElement => {
    const classes = ["nf-edge"];
    if (e.badge !== null) classes.push(`nf-sev-${e.badge.severity}`);
    if (e.index === selectedEdge) classes.push("nf-selected");
    const g = el("g", { class: classes.join(" ") });
    g.dataset.index = String(e.index);
    tooltip(g, e.tooltip);
    el("path", { class: "nf-edge-hit", d: e.path }, g);
    el("path", { class: "nf-edge-line", d: e.path, "marker-end": "url(#nf-arrow)" }, g);
    if (e.badge !== null) {
      const mark = el("g", { class: `nf-mark nf-sev-${e.badge.severity}`, transform: `translate(${e.mid.x},${e.mid.y})` }, g);
      el("circle", { r: 8 }, mark);
      el("text", { y: 4, "text-anchor": "middle" }, mark).textContent = "!";
    }
    if (editable) {
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-label", edgeLabel(e));
    }
    const index = e.index;
    const pick = (): void => {
      const now = sceneEdges.get(index);
      if (now === undefined) return;
      if (editable) setSelection(new Set(), index);
      reveal(now.reveal, { connection: index });
    };
    g.addEventListener("click", (ev) => {
      ev.stopPropagation();
      pick();
    });
    g.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        pick();
      }
    });
    return g;
  };

  // The texts of a drawn node whose shape did not change (diff.ts): its tooltip and
  // label, its ports' tooltips (their types), its badge's problems.
  const patchNode = (g: SVGGElement, n: SceneNode): void => {
    g.setAttribute("aria-label", n.ariaLabel);
    retitle(g, n.tooltip);
    const ports = g.querySelectorAll(":scope > .nf-port");
    const all: [ScenePort, boolean][] = [...n.inputs.map((p): [ScenePort, boolean] => [p, false]), ...n.outputs.map((p): [ScenePort, boolean] => [p, true])];
    all.forEach(([p, output], i) => retitle(ports[i], portTooltip(p, output)));
    if (n.badge !== null) retitle(g.querySelector(":scope > .nf-badge"), n.badge.text);
  };
  const patchEdge = (g: SVGGElement, e: SceneEdge): void => {
    retitle(g, e.tooltip);
    if (editable) g.setAttribute("aria-label", edgeLabel(e));
  };

  const clear = (): void => {
    nodesLayer.replaceChildren();
    edgesLayer.replaceChildren();
    miniNodes.replaceChildren();
    problems.replaceChildren();
    for (const m of [nodeEls, edgeEls, nodeDrawn, edgeDrawn, miniEls, nodeDeco, edgeDeco]) m.clear();
    dirtyNodes.clear();
    dirtyEdges.clear();
    problemsDrawn = null;
    shownSelection = new Set();
    shownEdge = null;
  };

  /** Put `items`' elements in `parent` in their order, moving only those out of place. */
  const order = <K>(parent: Element, keys: Iterable<K>, els: Map<K, Element>): void => {
    let previous: Element | null = null;
    for (const key of keys) {
      const g = els.get(key);
      if (g === undefined) continue;
      const want: Element | null = previous === null ? parent.firstElementChild : previous.nextElementSibling;
      if (want !== g) {
        if (previous === null) parent.prepend(g);
        else previous.after(g);
      }
      previous = g;
    }
  };

  /** Put `next` where `old` is; the keyboard focus stays on the item (a node moved
   * with the arrow keys is drawn again after each move). */
  const replace = (old: Element, next: SVGGElement): void => {
    const focused = old.contains(document.activeElement);
    old.replaceWith(next);
    if (focused) next.focus({ preventScroll: true });
  };

  const render = (): void => {
    if (scene === null) {
      clear();
      return;
    }
    if (title.textContent !== scene.title) title.textContent = scene.title;
    const nodes = plan(nodeDrawn, scene.nodes, (n) => n.key, nodeSignature, dirtyNodes);
    for (const key of nodes.remove) {
      nodeEls.get(key)?.remove();
      miniEls.get(key)?.remove();
      nodeEls.delete(key);
      miniEls.delete(key);
      nodeDrawn.delete(key);
      nodeDeco.delete(key);
    }
    for (const n of nodes.draw) {
      const g = drawNode(n);
      const old = nodeEls.get(n.key);
      if (old !== undefined) replace(old, g);
      else nodesLayer.appendChild(g);
      nodeEls.set(n.key, g);
      nodeDrawn.set(n.key, { item: n, sig: nodeSignature(n) });
      nodeDeco.delete(n.key); // a fresh element has no decorations yet
      const cls = n.badge === null ? "" : ` nf-sev-${n.badge.severity}`;
      const rect = el("rect", { class: `nf-minimap-node${cls}`, x: n.x, y: n.y, width: n.width, height: n.height });
      const oldRect = miniEls.get(n.key);
      if (oldRect !== undefined) oldRect.replaceWith(rect);
      else miniNodes.appendChild(rect);
      miniEls.set(n.key, rect);
    }
    for (const n of nodes.patch) {
      const g = nodeEls.get(n.key);
      if (g !== undefined) patchNode(g, n);
      nodeDrawn.set(n.key, { item: n, sig: nodeSignature(n) });
    }
    for (const n of nodes.kept) {
      const drawn = nodeDrawn.get(n.key);
      if (drawn !== undefined) drawn.item = n; // the next identity check hits
    }
    if (nodes.draw.length > 0 || nodes.remove.length > 0) order(nodesLayer, sceneNodes.keys(), nodeEls);

    const edges = plan(edgeDrawn, scene.edges, (e) => e.index, edgeSignature, dirtyEdges);
    for (const index of edges.remove) {
      edgeEls.get(index)?.remove();
      edgeEls.delete(index);
      edgeDrawn.delete(index);
      edgeDeco.delete(index);
    }
    for (const e of edges.draw) {
      const g = drawEdge(e);
      const old = edgeEls.get(e.index);
      if (old !== undefined) replace(old, g);
      else edgesLayer.appendChild(g);
      edgeEls.set(e.index, g);
      edgeDrawn.set(e.index, { item: e, sig: edgeSignature(e) });
      edgeDeco.delete(e.index);
    }
    for (const e of edges.patch) {
      const g = edgeEls.get(e.index);
      if (g !== undefined) patchEdge(g, e);
      edgeDrawn.set(e.index, { item: e, sig: edgeSignature(e) });
    }
    for (const e of edges.kept) {
      const drawn = edgeDrawn.get(e.index);
      if (drawn !== undefined) drawn.item = e;
    }
    if (edges.draw.length > 0 || edges.remove.length > 0) order(edgesLayer, sceneEdges.keys(), edgeEls);
    dirtyNodes.clear();
    dirtyEdges.clear();

    const problemsNow = problemsSignature(scene.problems);
    if (problemsNow !== problemsDrawn) {
      problemsDrawn = problemsNow;
      problems.replaceChildren();
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
    }
    const note = scene.nodes.length === 0 ? "This flow has no nodes yet." : "";
    if (message.textContent !== note) message.textContent = note;
    drawDecorations();
  };

  // Run states, breakpoints and data labels: drawn into their own elements, so that
  // replacing them never redraws the graph; an element whose decorations are already
  // the ones wanted is not touched.
  const RUN_CLASSES = ["nf-run-ok", "nf-run-error", "nf-run-paused", "nf-run-skipped", "nf-run-simulated", "nf-has-breakpoint"];
  const drawDecorations = (): void => {
    for (const [key, g] of nodeEls) {
      const d = decorations.nodes?.[key];
      const sig = d === undefined ? "" : JSON.stringify(d);
      if ((nodeDeco.get(key) ?? "") === sig) continue;
      nodeDeco.set(key, sig);
      g.classList.remove(...RUN_CLASSES);
      for (const old of Array.from(g.children)) if (old.classList.contains("nf-deco")) old.remove();
      if (d === undefined) continue;
      if (d.state !== undefined) g.classList.add(`nf-run-${d.state}`);
      if (d.breakpoint === true) {
        g.classList.add("nf-has-breakpoint");
        const dot = el("circle", { class: "nf-deco nf-breakpoint", cx: -1, cy: -1, r: 6 }, g);
        tooltip(dot, "breakpoint (F9 toggles)");
      }
      if (d.note !== undefined) {
        const box = sceneNodes.get(key);
        const t = el("text", { class: "nf-deco nf-run-note", x: 4, y: (box?.height ?? 60) + 13 }, g);
        t.textContent = ellipsis(d.note, 34);
      }
    }
    const texts = decorations.edges ?? {};
    for (const [index, g] of edgeEls) {
      const text = texts[index];
      if ((edgeDeco.get(index) ?? "") === (text ?? "")) continue;
      edgeDeco.set(index, text ?? "");
      for (const old of Array.from(g.children)) if (old.classList.contains("nf-deco")) old.remove();
      const e = sceneEdges.get(index);
      if (text === undefined || e === undefined) continue;
      const label = el("g", { class: "nf-deco nf-edge-data", transform: `translate(${e.mid.x},${e.mid.y + (e.badge === null ? 0 : 16)})` }, g);
      const shown = ellipsis(text, 28);
      el("rect", { x: -shown.length * 3.3 - 6, y: -9, width: shown.length * 6.6 + 12, height: 18, rx: 9 }, label);
      el("text", { y: 4, "text-anchor": "middle" }, label).textContent = shown;
      tooltip(label, text);
    }
  };

  // -- pointer gestures: pan, zoom, and (editable) select, drag, connect -------------
  const local = (e: { clientX: number; clientY: number }): Point => {
    const box = svg.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };
  const at = (e: { clientX: number; clientY: number }): Point => toCanvas(transform, local(e));

  type Gesture =
    | { kind: "pan"; x: number; y: number; from: Transform }
    | { kind: "band"; start: Point; rect: SVGRectElement }
    | {
        kind: "drag";
        start: Point;
        moved: boolean;
        keys: Set<string>;
        edges: SceneEdge[];
        key: string;
        additive: boolean;
        wasSelected: boolean;
      }
    | { kind: "connect"; node: string; port: string; from: Point; line: SVGPathElement; start: Point };
  let gesture: { g: Gesture; id: number } | null = null;
  // Pointer capture sends the click after a press on a node to the SVG: that click
  // must not clear the selection.
  let downOnItem = false;

  svg.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    const target = e.target as Element;
    const p = at(e);
    downOnItem = target.closest(".nf-node, .nf-edge") !== null;
    let g: Gesture | null = null;
    const nodeEl = target.closest(".nf-node") as SVGGElement | null;
    if (editable && scene !== null && nodeEl !== null) {
      const portEl = target.closest(".nf-port.nf-out") as SVGGElement | null;
      const key = nodeEl.dataset.key ?? "";
      if (portEl !== null && portEl.dataset.port !== undefined) {
        const hit = portAt(scene, p, 14, true);
        const node = scene.nodes.find((n) => n.key === key);
        const port = node?.outputs.find((o) => o.name === portEl.dataset.port);
        if (port !== undefined) {
          const line = el("path", { class: "nf-connecting", d: curve(port, p) }, viewport);
          g = { kind: "connect", node: key, port: hit?.port ?? port.name, from: { x: port.x, y: port.y }, line, start: local(e) };
          root.classList.add("nf-connect-mode");
        }
      } else {
        let keys = selection;
        const additive = e.shiftKey || e.ctrlKey || e.metaKey;
        const wasSelected = selection.has(key);
        if (!wasSelected) {
          keys = clickSelection(selection, key, additive);
          setSelection(keys);
        }
        g = { kind: "drag", start: p, moved: false, keys: new Set(keys), edges: edgesTouching(scene, keys), key, additive, wasSelected };
      }
    } else if (target.closest(".nf-node, .nf-edge") === null) {
      if (editable && e.shiftKey) {
        g = { kind: "band", start: p, rect: el("rect", { class: "nf-band", x: p.x, y: p.y, width: 0, height: 0 }, viewport) };
      } else {
        const l = local(e);
        g = { kind: "pan", x: l.x, y: l.y, from: transform };
        svg.classList.add("nf-panning");
      }
    }
    if (g === null) return;
    gesture = { g, id: e.pointerId };
    svg.setPointerCapture?.(e.pointerId);
  });
  svg.addEventListener("pointermove", (e) => {
    lastPointer = at(e);
    if (gesture === null || e.pointerId !== gesture.id) return;
    const g = gesture.g;
    const p = at(e);
    if (g.kind === "pan") {
      const l = local(e);
      transform = { ...g.from, x: g.from.x + l.x - g.x, y: g.from.y + l.y - g.y };
      apply();
    } else if (g.kind === "band") {
      const r = rectOf(g.start, p);
      for (const [k, v] of Object.entries(r)) g.rect.setAttribute(k, String(v));
    } else if (g.kind === "drag" && scene !== null) {
      const dx = p.x - g.start.x;
      const dy = p.y - g.start.y;
      if (!g.moved && Math.hypot(dx, dy) * transform.k < 3) return;
      g.moved = true;
      const offsets = new Map<string, Point>();
      for (const n of scene.nodes) {
        if (!g.keys.has(n.key)) continue;
        offsets.set(n.key, { x: dx, y: dy });
        nodeEls.get(n.key)?.setAttribute("transform", `translate(${n.x + dx},${n.y + dy})`);
      }
      for (const edge of g.edges) {
        const path = edgePathWhileMoving(edge, offsets);
        const edgeEl = edgeEls.get(edge.index);
        edgeEl?.querySelectorAll("path").forEach((d) => d.setAttribute("d", path));
        edgeEl?.querySelector(".nf-mark")?.setAttribute("visibility", "hidden");
      }
    } else if (g.kind === "connect" && scene !== null) {
      g.line.setAttribute("d", curve(g.from, p));
      const hit = portAt(scene, p, 14, false);
      root.querySelectorAll(".nf-port-target").forEach((t) => t.classList.remove("nf-port-target"));
      if (hit !== null) {
        nodeEls.get(hit.node)?.querySelector(`.nf-in[data-port="${CSS.escape(hit.port)}"]`)?.classList.add("nf-port-target");
      }
    }
  });
  const endGesture = (e: PointerEvent, cancelled: boolean): void => {
    if (gesture === null || e.pointerId !== gesture.id) return;
    const g = gesture.g;
    gesture = null;
    svg.classList.remove("nf-panning");
    root.classList.remove("nf-connect-mode");
    if (g.kind === "band") {
      g.rect.remove();
      if (!cancelled && scene !== null) setSelection(new Set(nodesInRect(scene, rectOf(g.start, at(e)))));
    } else if (g.kind === "drag" && !g.moved && !cancelled && scene !== null) {
      // A click: select (Shift/Ctrl toggles) and reveal the node in the text.
      if (g.wasSelected) setSelection(clickSelection(selection, g.key, g.additive));
      const n = scene.nodes.find((x) => x.key === g.key);
      if (n !== undefined) reveal(n.reveal, n.id !== null ? { node: n.id } : {});
    } else if (g.kind === "drag" && g.moved && scene !== null) {
      // Their elements were moved in place: the next render draws them again.
      for (const key of g.keys) dirtyNodes.add(key);
      for (const edge of g.edges) dirtyEdges.add(edge.index);
      const p = at(e);
      const moves = cancelled ? [] : movedPositions(scene, g.keys, p.x - g.start.x, p.y - g.start.y);
      if (moves.length > 0) host.post({ type: "move", moves });
      else render();
    } else if (g.kind === "connect") {
      g.line.remove();
      root.querySelectorAll(".nf-port-target").forEach((t) => t.classList.remove("nf-port-target"));
      const hit = scene === null || cancelled ? null : portAt(scene, at(e), 14, false);
      const l = local(e);
      if (hit !== null) {
        host.post({ type: "connect", source: { node: g.node, port: g.port }, target: { node: hit.node, port: hit.port } });
      } else if (!cancelled && Math.hypot(l.x - g.start.x, l.y - g.start.y) < 4) {
        // A click on an output port: the host shows the data that left it.
        host.post({ type: "port", node: g.node, port: g.port });
      }
    }
  };
  svg.addEventListener("pointerup", (e) => endGesture(e, false));
  svg.addEventListener("pointercancel", (e) => endGesture(e, true));
  svg.addEventListener("click", (e) => {
    // A click on the background (not the end of a pan) clears the selection.
    if (editable && !downOnItem && (e.target as Element).closest(".nf-node, .nf-edge") === null && !e.shiftKey) {
      if (selection.size > 0 || selectedEdge !== null) setSelection(new Set());
    }
  });
  svg.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      zoomBy(Math.exp(-e.deltaY * 0.0015), local(e));
    },
    { passive: false },
  );
  mini.addEventListener("click", (e) => {
    if (scene === null) return;
    const m = minimap(scene.bounds, transform, size(), MINI);
    const box = mini.getBoundingClientRect();
    const p = { x: (e.clientX - box.left - m.x) / m.k, y: (e.clientY - box.top - m.y) / m.k };
    transform = centreOn(p, transform.k, size());
    apply();
  });
  if (editable) {
    root.addEventListener("dragover", (e) => {
      if (e.dataTransfer?.types.includes(DROP_TYPE)) {
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
      }
    });
    root.addEventListener("drop", (e) => {
      const data = e.dataTransfer?.getData(DROP_TYPE);
      if (!data) return;
      e.preventDefault();
      const p = at(e);
      host.post({ type: "drop", data, at: { x: Math.round(p.x), y: Math.round(p.y) } });
    });
  }
  const pasteAt = (): Point => {
    if (lastPointer !== null) return { x: Math.round(lastPointer.x), y: Math.round(lastPointer.y) };
    const { width, height } = size();
    const c = toCanvas(transform, { x: width / 2, y: height / 2 });
    return { x: Math.round(c.x), y: Math.round(c.y) };
  };
  root.addEventListener("keydown", (e) => {
    const target = e.target as Element;
    if (target.closest?.("button, input, textarea, select") != null) return;
    const mod = e.ctrlKey || e.metaKey;
    if (editable && scene !== null) {
      const step = nudge(e.key, e.shiftKey);
      if (step !== null && selection.size > 0 && !mod) {
        e.preventDefault();
        const moves = movedPositions(scene, selection, step.x, step.y);
        if (moves.length > 0) host.post({ type: "move", moves });
        return;
      }
      if (e.key === "Delete" || e.key === "Backspace") {
        if (selection.size > 0 || selectedEdge !== null) {
          e.preventDefault();
          host.post({ type: "delete", nodes: [...selection], connections: selectedEdge === null ? [] : [selectedEdge] });
        }
        return;
      }
      if (e.key === "Escape") {
        setSelection(new Set());
        return;
      }
      if (e.key === "F9" && selection.size > 0) {
        e.preventDefault();
        host.post({ type: "breakpoint", nodes: [...selection] });
        return;
      }
      if (mod && !e.altKey) {
        const key = e.key.toLowerCase();
        if (key === "a") {
          e.preventDefault();
          setSelection(new Set(scene.nodes.map((n) => n.key)));
          return;
        }
        if (key === "c" && selection.size > 0) {
          e.preventDefault();
          host.post({ type: "copy", nodes: [...selection] });
          return;
        }
        if (key === "x" && selection.size > 0) {
          e.preventDefault();
          host.post({ type: "copy", nodes: [...selection] });
          host.post({ type: "delete", nodes: [...selection], connections: [] });
          return;
        }
        if (key === "v") {
          e.preventDefault();
          host.post({ type: "paste", at: pasteAt() });
          return;
        }
        if (key === "z" || key === "y") {
          e.preventDefault();
          host.post({ type: key === "y" || e.shiftKey ? "redo" : "undo" });
          return;
        }
      }
    }
    if (mod) return;
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
      if (msg.type === "select") {
        canvas.select(msg.nodes);
        return;
      }
      canvas.show(msg.graph);
    },
    show(graph: GraphView | null): void {
      if (graph === null) {
        scene = null;
        sceneNodes = new Map();
        sceneEdges = new Map();
        render();
        message.textContent = "Not a flow document, or it is closed.";
        return;
      }
      lastGraph = graph;
      scene = buildScene(graph);
      sceneNodes = new Map(scene.nodes.map((n) => [n.key, n]));
      sceneEdges = new Map(scene.edges.map((e) => [e.index, e]));
      selection = pruneSelection(scene, selection);
      if (selectedEdge !== null && !sceneEdges.has(selectedEdge)) selectedEdge = null;
      render();
      showSelection();
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
    select(keys: string[]): void {
      if (scene === null) return;
      const known = keys.filter((k) => nodeEls.has(k));
      setSelection(new Set(known), null, false);
      const first = scene.nodes.find((n) => n.key === known[0]);
      if (first === undefined) return;
      const { width, height } = size();
      const sx = first.x * transform.k + transform.x;
      const sy = first.y * transform.k + transform.y;
      const inView = sx >= 0 && sy >= 0 && sx + first.width * transform.k <= width && sy + first.height * transform.k <= height;
      if (!inView) {
        transform = centreOn({ x: first.x + first.width / 2, y: first.y + first.height / 2 }, transform.k, size());
        apply();
      }
    },
    redraw(): void {
      if (lastGraph !== null) canvas.show(lastGraph);
    },
    decorate(next: Decorations): void {
      decorations = next;
      drawDecorations();
    },
    get selection(): ReadonlySet<string> {
      return selection;
    },
    get transform(): Transform {
      return transform;
    },
    get scene(): Scene | null {
      return scene;
    },
    dispose(): void {
      resizes?.disconnect();
      root.replaceChildren();
    },
  };
  return canvas;
}
