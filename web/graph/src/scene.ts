// From a graph view to what the canvas draws: node boxes with their port anchors and
// badges, connection curves with their marks, the problems that belong to no box, the
// drawing's bounds; and the view transform arithmetic (fit, zoom at a point). Pure
// functions without the DOM, so they are unit-tested in Node.

import type {
  GraphConnection,
  GraphDiagnostic,
  GraphNode,
  GraphPort,
  GraphView,
  Range,
  Severity,
} from "./protocol";

// The node box's rows, in canvas units; the server lays nodes out with the same
// numbers (analysis/ide/graph_view.py: NODE_HEADER, PORT_ROW).
export const NODE_HEADER = 46;
export const PORT_ROW = 22;
export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 4;

export interface ScenePort {
  name: string;
  type: string | null;
  required: boolean;
  description: string;
  /** Anchor of the port on the box's edge, in canvas coordinates. */
  x: number;
  y: number;
  /** False for a port only a connection names (not in the node's manifest). */
  known: boolean;
}

export interface Badge {
  count: number;
  severity: Severity;
  text: string; // the problems, one per line, for the tooltip
}

export interface SceneNode {
  key: string;
  id: string | null;
  label: string;
  subtitle: string; // type@version
  category: string;
  glyph: string; // one character standing for the node's icon
  kind: string | null;
  deprecated: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
  inputs: ScenePort[];
  outputs: ScenePort[];
  badge: Badge | null;
  tooltip: string;
  reveal: Range;
  ariaLabel: string;
}

export interface SceneEdge {
  index: number;
  source: string;
  target: string;
  path: string; // SVG path data
  from: { x: number; y: number }; // the source port's anchor
  to: { x: number; y: number }; // the target port's anchor
  sourcePort: string | null;
  targetPort: string | null;
  mid: { x: number; y: number }; // where the mark goes
  type: string | null;
  badge: Badge | null;
  tooltip: string;
  reveal: Range;
}

export interface Problem {
  severity: Severity;
  code: string;
  message: string;
  range: Range;
  where: string; // "flow", or the connection as written
  connection?: number;
}

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Scene {
  title: string;
  nodes: SceneNode[];
  edges: SceneEdge[];
  problems: Problem[];
  bounds: Bounds;
}

export interface Transform {
  x: number;
  y: number;
  k: number;
}

// Plain symbols, not emoji: a webview or headless browser may have no emoji font.
const GLYPHS: Record<string, string> = {
  play: "▶",
  globe: "◍",
  reply: "↩",
  database: "⛁",
  mail: "✉",
  comment: "❝",
  cloud: "☁",
  sparkle: "✦",
  calendar: "▦",
  code: "{}",
  json: "{}",
  "git-merge": "⑂",
  "git-compare": "⇄",
  "list-tree": "☰",
  sync: "⟳",
  tag: "#",
  pass: "✓",
  output: "≡",
  "type-hierarchy": "⊤",
  "symbol-field": "≔",
  "symbol-string": "“",
  "symbol-property": "≔",
};

export function glyphOf(icon: string | null, category: string | null): string {
  if (icon !== null && GLYPHS[icon] !== undefined) return GLYPHS[icon];
  const letter = (category ?? "?").charAt(0).toUpperCase();
  return letter || "?";
}

/** The worst (lowest) severity of `found` and the problems as text, or null. */
export function badgeOf(found: GraphDiagnostic[]): Badge | null {
  if (found.length === 0) return null;
  let worst: Severity = 4;
  for (const d of found) if (d.severity < worst) worst = d.severity;
  return {
    count: found.length,
    severity: worst,
    text: found.map((d) => `${severityName(d.severity)} ${d.code}: ${d.message}`).join("\n"),
  };
}

export function severityName(severity: Severity): string {
  return ["", "error", "warning", "info", "hint"][severity] ?? "problem";
}

function ports(list: GraphPort[], x: number, y: number): ScenePort[] {
  return list.map((p, i) => ({
    name: p.name,
    type: p.type,
    required: p.required,
    description: p.description,
    x,
    y: y + NODE_HEADER + PORT_ROW * (i + 0.5),
    known: p.type !== null,
  }));
}

function nodeOf(node: GraphNode): SceneNode {
  const { x, y } = node.position;
  const { width, height } = node.size;
  const badge = badgeOf(node.diagnostics);
  const subtitle = node.type === null ? "(no type)" : `${node.type}@${node.version ?? "?"}`;
  const lines = [node.id === null ? node.label : `${node.label} (${node.id})`, subtitle];
  if (node.typeTitle !== null) lines.push(node.typeTitle);
  if (node.deprecated) lines.push("deprecated version");
  if (badge !== null) lines.push("", badge.text);
  const problems =
    badge === null ? "" : `, ${badge.count} ${badge.count === 1 ? "problem" : "problems"}`;
  return {
    key: node.key,
    id: node.id,
    label: node.label,
    subtitle,
    category: node.category ?? "unknown",
    glyph: glyphOf(node.icon, node.category),
    kind: node.kind,
    deprecated: node.deprecated,
    x,
    y,
    width,
    height,
    inputs: ports(node.inputs, x, y),
    outputs: ports(node.outputs, x + width, y),
    badge,
    tooltip: lines.join("\n"),
    reveal: node.selectionRange ?? node.range,
    ariaLabel: `${node.kind ?? "node"} ${node.label}, ${subtitle}${problems}`,
  };
}

/** Where a connection leaves or enters a box: its port, else the middle of that side. */
function anchor(node: SceneNode, port: string | null, output: boolean): { x: number; y: number } {
  const list = output ? node.outputs : node.inputs;
  const found = list.find((p) => p.name === port);
  if (found !== undefined) return { x: found.x, y: found.y };
  return { x: output ? node.x + node.width : node.x, y: node.y + node.height / 2 };
}

/** A horizontal cubic curve from `a` (an output) to `b` (an input). */
export function curve(a: { x: number; y: number }, b: { x: number; y: number }): string {
  const dx = Math.max(40, Math.abs(b.x - a.x) / 2);
  return `M${r(a.x)},${r(a.y)} C${r(a.x + dx)},${r(a.y)} ${r(b.x - dx)},${r(b.y)} ${r(b.x)},${r(b.y)}`;
}

function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function edgeOf(conn: GraphConnection, byKey: Map<string, SceneNode>): SceneEdge | null {
  const s = conn.source.node === null ? undefined : byKey.get(conn.source.node);
  const t = conn.target.node === null ? undefined : byKey.get(conn.target.node);
  if (s === undefined || t === undefined) return null;
  const a = anchor(s, conn.source.port, true);
  const b = anchor(t, conn.target.port, false);
  const badge = badgeOf(conn.diagnostics);
  const written = `${conn.source.text ?? "?"} → ${conn.target.text ?? "?"}`;
  const lines = [written, conn.type === null ? "untyped" : `carries ${conn.type}`];
  if (badge !== null) lines.push("", badge.text);
  return {
    index: conn.index,
    source: s.key,
    target: t.key,
    path: curve(a, b),
    from: a,
    to: b,
    sourcePort: conn.source.port,
    targetPort: conn.target.port,
    mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 },
    type: conn.type,
    badge,
    tooltip: lines.join("\n"),
    reveal: conn.range,
  };
}

export function boundsOf(nodes: SceneNode[]): Bounds {
  if (nodes.length === 0) return { x: 0, y: 0, width: 0, height: 0 };
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const n of nodes) {
    x0 = Math.min(x0, n.x);
    y0 = Math.min(y0, n.y);
    x1 = Math.max(x1, n.x + n.width);
    y1 = Math.max(y1, n.y + n.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

// Scene items of the graph nodes and connections drawn before: a relative answer of
// the server hands unchanged ones on as the same objects (protocol.ts: mergeGraph), so
// their boxes and curves are not computed again, and stay the same objects (the canvas
// then knows at once that their drawing is still right).
const sceneNodes = new WeakMap<GraphNode, SceneNode>();
const sceneEdges = new WeakMap<GraphConnection, { s: SceneNode; t: SceneNode; edge: SceneEdge }>();

function sceneNodeOf(node: GraphNode): SceneNode {
  let n = sceneNodes.get(node);
  if (n === undefined) {
    n = nodeOf(node);
    sceneNodes.set(node, n);
  }
  return n;
}

function sceneEdgeOf(conn: GraphConnection, byKey: Map<string, SceneNode>): SceneEdge | null {
  const hit = sceneEdges.get(conn);
  if (hit !== undefined && byKey.get(hit.edge.source) === hit.s && byKey.get(hit.edge.target) === hit.t) return hit.edge;
  const edge = edgeOf(conn, byKey);
  if (edge !== null) sceneEdges.set(conn, { s: byKey.get(edge.source)!, t: byKey.get(edge.target)!, edge });
  return edge;
}

/** Everything the canvas draws for `graph`. */
export function buildScene(graph: GraphView): Scene {
  const nodes = graph.nodes.map(sceneNodeOf);
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const edges: SceneEdge[] = [];
  const problems: Problem[] = graph.diagnostics.map((d) => ({ ...d, where: "flow" }));
  for (const conn of graph.connections) {
    const edge = sceneEdgeOf(conn, byKey);
    if (edge !== null) {
      edges.push(edge);
    } else {
      // Not drawable (an end names no node): its problems go to the list instead.
      const where = `${conn.source.text ?? "?"} → ${conn.target.text ?? "?"}`;
      for (const d of conn.diagnostics) problems.push({ ...d, where, connection: conn.index });
    }
  }
  problems.sort((a, b) => a.severity - b.severity || a.range.start.line - b.range.start.line);
  return {
    title: graph.flow.name ?? graph.flow.id ?? graph.uri,
    nodes,
    edges,
    problems,
    bounds: boundsOf(nodes),
  };
}

/** The transform that shows `bounds` whole and centred in a viewport, at most at 1:1. */
export function fitTransform(
  bounds: Bounds,
  viewport: { width: number; height: number },
  padding = 40,
): Transform {
  const w = Math.max(1, viewport.width - 2 * padding);
  const h = Math.max(1, viewport.height - 2 * padding);
  const k = clampZoom(
    Math.min(1, bounds.width > 0 ? w / bounds.width : 1, bounds.height > 0 ? h / bounds.height : 1),
  );
  return {
    k,
    x: viewport.width / 2 - (bounds.x + bounds.width / 2) * k,
    y: viewport.height / 2 - (bounds.y + bounds.height / 2) * k,
  };
}

/** Zoom by `factor` keeping the canvas point under `at` (viewport coordinates) in place. */
export function zoomAt(t: Transform, at: { x: number; y: number }, factor: number): Transform {
  const k = clampZoom(t.k * factor);
  const cx = (at.x - t.x) / t.k;
  const cy = (at.y - t.y) / t.k;
  return { k, x: at.x - cx * k, y: at.y - cy * k };
}

export function clampZoom(k: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));
}

/** Shorten `text` to about `max` characters with an ellipsis. */
export function ellipsis(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}
