// The editing gestures' arithmetic, without the DOM: moving boxes and the curves that
// follow them, hit-testing ports, selecting by rectangle, the minimap's scale, keyboard
// nudges and the selection's rules. The canvas (canvas.ts) only wires these to pointer
// and key events; the host turns the resulting messages into server commands.

import type { Bounds, Scene, SceneEdge, SceneNode, Transform } from "./scene";
import { curve } from "./scene";

export interface Point {
  x: number;
  y: number;
}

/** A canvas point from a point of the viewport (the SVG element's box). */
export function toCanvas(t: Transform, p: Point): Point {
  return { x: (p.x - t.x) / t.k, y: (p.y - t.y) / t.k };
}

/** The connections that have an end on one of `keys` (they follow a dragged box). */
export function edgesTouching(scene: Scene, keys: ReadonlySet<string>): SceneEdge[] {
  return scene.edges.filter((e) => keys.has(e.source) || keys.has(e.target));
}

/** Snap a position to the grid the automatic layout also uses (whole units of `grid`). */
export function snap(value: number, grid = 10): number {
  return Math.round(value / grid) * grid;
}

/**
 * Where each node of `keys` ends up after a drag by (`dx`, `dy`), snapped to the grid
 * (only nodes that really moved are listed).
 */
export function movedPositions(
  scene: Scene,
  keys: ReadonlySet<string>,
  dx: number,
  dy: number,
): { node: string; x: number; y: number }[] {
  const out: { node: string; x: number; y: number }[] = [];
  for (const n of scene.nodes) {
    if (!keys.has(n.key)) continue;
    const x = snap(n.x + dx);
    const y = snap(n.y + dy);
    if (x !== n.x || y !== n.y) out.push({ node: n.key, x, y });
  }
  return out;
}

/**
 * The path of `edge` while its end boxes are offset: `offsets` maps a node key to how
 * far it moved. The ends are the edge's port anchors.
 */
export function edgePathWhileMoving(edge: SceneEdge, offsets: ReadonlyMap<string, Point>): string {
  const a = edge.from;
  const b = edge.to;
  const da = offsets.get(edge.source) ?? { x: 0, y: 0 };
  const db = offsets.get(edge.target) ?? { x: 0, y: 0 };
  return curve({ x: a.x + da.x, y: a.y + da.y }, { x: b.x + db.x, y: b.y + db.y });
}

export interface PortHit {
  node: string;
  port: string;
  output: boolean;
}

/** The port whose anchor is within `radius` canvas units of `p`, nearest first. */
export function portAt(scene: Scene, p: Point, radius = 12, output?: boolean): PortHit | null {
  let best: PortHit | null = null;
  let bestD = radius * radius;
  for (const n of scene.nodes) {
    if (p.x < n.x - radius || p.x > n.x + n.width + radius) continue;
    if (p.y < n.y - radius || p.y > n.y + n.height + radius) continue;
    for (const [list, isOut] of [
      [n.inputs, false],
      [n.outputs, true],
    ] as const) {
      if (output !== undefined && output !== isOut) continue;
      for (const port of list) {
        const d = (port.x - p.x) ** 2 + (port.y - p.y) ** 2;
        if (d <= bestD) {
          bestD = d;
          best = { node: n.key, port: port.name, output: isOut };
        }
      }
    }
  }
  return best;
}

/** The node whose box contains `p` (the last drawn wins, as on screen). */
export function nodeAt(scene: Scene, p: Point): SceneNode | null {
  for (let i = scene.nodes.length - 1; i >= 0; i--) {
    const n = scene.nodes[i];
    if (p.x >= n.x && p.x <= n.x + n.width && p.y >= n.y && p.y <= n.y + n.height) return n;
  }
  return null;
}

/** The rectangle spanned by two corners, whatever their order. */
export function rectOf(a: Point, b: Point): Bounds {
  return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
}

/** The keys of the nodes whose boxes intersect `rect` (rubber-band selection). */
export function nodesInRect(scene: Scene, rect: Bounds): string[] {
  return scene.nodes
    .filter(
      (n) =>
        n.x <= rect.x + rect.width &&
        n.x + n.width >= rect.x &&
        n.y <= rect.y + rect.height &&
        n.y + n.height >= rect.y,
    )
    .map((n) => n.key);
}

/**
 * The selection after a click on `key`: alone, or toggled in the current selection
 * when `additive` (Shift, Ctrl or Cmd held).
 */
export function clickSelection(current: ReadonlySet<string>, key: string, additive: boolean): Set<string> {
  if (!additive) return new Set([key]);
  const next = new Set(current);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  return next;
}

/** Keep only the keys still in the scene (after a redraw, deleted nodes drop out). */
export function pruneSelection(scene: Scene, selection: ReadonlySet<string>): Set<string> {
  const keys = new Set(scene.nodes.map((n) => n.key));
  return new Set([...selection].filter((k) => keys.has(k)));
}

/** How far an arrow key moves the selected boxes: 10 units, 50 with Shift. */
export function nudge(key: string, large: boolean): Point | null {
  const step = large ? 50 : 10;
  switch (key) {
    case "ArrowLeft":
      return { x: -step, y: 0 };
    case "ArrowRight":
      return { x: step, y: 0 };
    case "ArrowUp":
      return { x: 0, y: -step };
    case "ArrowDown":
      return { x: 0, y: step };
    default:
      return null;
  }
}

export interface Minimap {
  /** Scale and offset from canvas units to minimap pixels. */
  k: number;
  x: number;
  y: number;
  /** The part of the canvas the viewport shows, in minimap pixels. */
  view: Bounds;
}

/**
 * Fit the drawing's `bounds` (and the visible part of the canvas) into a minimap of
 * `size` pixels; `view` is the viewport's rectangle on the minimap.
 */
export function minimap(
  bounds: Bounds,
  t: Transform,
  viewport: { width: number; height: number },
  size: { width: number; height: number },
  padding = 6,
): Minimap {
  const visible = { x: -t.x / t.k, y: -t.y / t.k, width: viewport.width / t.k, height: viewport.height / t.k };
  const x0 = Math.min(bounds.x, visible.x);
  const y0 = Math.min(bounds.y, visible.y);
  const x1 = Math.max(bounds.x + bounds.width, visible.x + visible.width);
  const y1 = Math.max(bounds.y + bounds.height, visible.y + visible.height);
  const w = Math.max(1, x1 - x0);
  const h = Math.max(1, y1 - y0);
  const k = Math.min((size.width - 2 * padding) / w, (size.height - 2 * padding) / h);
  const x = padding - x0 * k + (size.width - 2 * padding - w * k) / 2;
  const y = padding - y0 * k + (size.height - 2 * padding - h * k) / 2;
  return {
    k,
    x,
    y,
    view: { x: visible.x * k + x, y: visible.y * k + y, width: visible.width * k, height: visible.height * k },
  };
}

/** The transform that centres canvas point `p` in the viewport at zoom `k`. */
export function centreOn(p: Point, k: number, viewport: { width: number; height: number }): Transform {
  return { k, x: viewport.width / 2 - p.x * k, y: viewport.height / 2 - p.y * k };
}
