// The graph view the language server answers to `nodeforge/graph` (docs/graph-view.md),
// and the messages between the canvas and its host (the VS Code extension's webview
// panel, or the web editor over its WebSocket). The canvas never keeps its own copy of
// the flow: it draws the latest view it was sent.

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** 1 error, 2 warning, 3 information, 4 hint (LSP's DiagnosticSeverity). */
export type Severity = 1 | 2 | 3 | 4;

export interface GraphDiagnostic {
  severity: Severity;
  code: string;
  message: string;
  range: Range;
}

export interface GraphPort {
  name: string;
  /** The resolved type in compact form; null for a port only a connection names. */
  type: string | null;
  required: boolean;
  description: string;
}

export interface GraphNode {
  key: string;
  index: number;
  id: string | null;
  type: string | null;
  version: string | null;
  label: string;
  typeTitle: string | null;
  category: string | null;
  icon: string | null;
  kind: string | null;
  deprecated: boolean;
  position: { x: number; y: number };
  positioned: boolean;
  size: { width: number; height: number };
  range: Range;
  selectionRange: Range;
  inputs: GraphPort[];
  outputs: GraphPort[];
  diagnostics: GraphDiagnostic[];
}

export interface GraphEndpoint {
  /** A node key of the view, or null when the text names no existing node. */
  node: string | null;
  port: string | null;
  text: string | null;
}

export interface GraphConnection {
  index: number;
  source: GraphEndpoint;
  target: GraphEndpoint;
  type: string | null;
  range: Range;
  diagnostics: GraphDiagnostic[];
}

export interface GraphView {
  uri: string;
  version: number | null;
  /** Names this answer: a client sends it back as `since` to get the next one relative to it. */
  tag?: string;
  flow: { id: string | null; name: string | null };
  nodes: GraphNode[];
  connections: GraphConnection[];
  diagnostics: GraphDiagnostic[];
}

/** What the host sends the canvas. */
export type ToCanvas =
  | { type: "graph"; graph: GraphView | null; uri?: string; version?: number }
  | { type: "error"; message: string }
  | { type: "select"; nodes: string[] };

/** A port of a node, by the node's key in the view. */
export interface PortRef {
  node: string;
  port: string;
}

/**
 * What the canvas sends its host. `ready` and `reveal` come from every canvas; the
 * others only from an editable one (the web editor's), whose host turns them into
 * the server's edit commands. Nodes are named by their key in the view.
 */
export type FromCanvas =
  | { type: "ready" }
  | { type: "reveal"; node?: string; connection?: number; range: Range }
  | { type: "select"; nodes: string[]; connection?: number }
  | { type: "move"; moves: { node: string; x: number; y: number }[] }
  | { type: "connect"; source: PortRef; target: PortRef }
  | { type: "delete"; nodes: string[]; connections: number[] }
  | { type: "copy"; nodes: string[] }
  | { type: "paste"; at: { x: number; y: number } }
  | { type: "drop"; data: string; at: { x: number; y: number } }
  | { type: "port"; node: string; port: string }
  | { type: "breakpoint"; nodes: string[] }
  | { type: "undo" }
  | { type: "redo" };

/**
 * What a host draws over the graph (the web editor's development mode): a state per
 * node (how it ran in a simulation, a breakpoint, where a run is paused) and a short
 * label per connection (the data it carried). Kept across redraws until replaced.
 */
export interface Decorations {
  nodes?: Record<string, { state?: "ok" | "error" | "paused" | "skipped" | "simulated"; breakpoint?: boolean; note?: string }>;
  edges?: Record<number, string>;
}

/**
 * Check that `value` has the shape of a graph view (what the canvas reads of it), so
 * that a host or server bug shows as a message instead of a broken canvas. Returns the
 * view, or the reason it is refused.
 */
export function parseGraph(value: unknown): GraphView | string {
  if (!isObject(value)) return "the graph is not an object";
  if (!Array.isArray(value.nodes)) return "the graph has no `nodes` list";
  if (!Array.isArray(value.connections)) return "the graph has no `connections` list";
  if (!Array.isArray(value.diagnostics)) return "the graph has no `diagnostics` list";
  for (const [i, node] of value.nodes.entries()) {
    const bad = nodeProblem(node, i);
    if (bad !== null) return bad;
  }
  for (const [i, conn] of value.connections.entries()) {
    const bad = connectionProblem(conn, i);
    if (bad !== null) return bad;
  }
  return value as unknown as GraphView;
}

function nodeProblem(node: unknown, i: number): string | null {
  if (!isObject(node)) return `node ${i} is not an object`;
  if (typeof node.key !== "string") return `node ${i} has no key`;
  if (!isPoint(node.position)) return `node ${node.key} has no position`;
  if (!isObject(node.size) || !isFiniteNumber(node.size.width) || !isFiniteNumber(node.size.height)) {
    return `node ${node.key} has no size`;
  }
  if (!Array.isArray(node.inputs) || !Array.isArray(node.outputs)) return `node ${node.key} has no ports`;
  if (!isRange(node.range) || !Array.isArray(node.diagnostics)) return `node ${node.key} has no range or diagnostics`;
  return null;
}

function connectionProblem(conn: unknown, i: number): string | null {
  if (!isObject(conn) || !isObject(conn.source) || !isObject(conn.target)) return `connection ${i} has no ends`;
  if (!isRange(conn.range) || !Array.isArray(conn.diagnostics)) return `connection ${i} has no range or diagnostics`;
  return null;
}

/**
 * A `nodeforge/graph` answer as a whole view. An answer relative to an earlier one
 * (`base`: the `tag` of the answer the client sent as `since`) names each unchanged
 * node by its key (a string) and each unchanged connection by its index (a number);
 * they are taken from `shown`, which must be that answer, as the very objects shown
 * (so the canvas and the panels see at once that they did not change). A whole answer
 * is checked as `parseGraph` does. Returns the view, or the reason it is refused.
 */
export function mergeGraph(value: unknown, shown: GraphView | null): GraphView | string {
  if (!isObject(value) || value.base === undefined) return parseGraph(value);
  if (shown === null || typeof value.base !== "string" || shown.tag !== value.base) {
    return `the answer is relative to ${String(value.base)}, which is not the graph shown`;
  }
  if (!Array.isArray(value.nodes) || !Array.isArray(value.connections) || !Array.isArray(value.diagnostics)) {
    return "the graph has no `nodes`, `connections` or `diagnostics` list";
  }
  const oldNodes = new Map(shown.nodes.map((n) => [n.key, n]));
  const nodes: GraphNode[] = [];
  for (const [i, node] of value.nodes.entries()) {
    if (typeof node === "string") {
      const kept = oldNodes.get(node);
      if (kept === undefined) return `node ${i} names ${node}, which the graph shown does not have`;
      nodes.push(kept);
      continue;
    }
    const bad = nodeProblem(node, i);
    if (bad !== null) return bad;
    nodes.push(node as unknown as GraphNode);
  }
  const oldConnections = new Map(shown.connections.map((c) => [c.index, c]));
  const connections: GraphConnection[] = [];
  for (const [i, conn] of value.connections.entries()) {
    if (typeof conn === "number") {
      const kept = oldConnections.get(conn);
      if (kept === undefined) return `connection ${i} names ${conn}, which the graph shown does not have`;
      connections.push(kept);
      continue;
    }
    const bad = connectionProblem(conn, i);
    if (bad !== null) return bad;
    connections.push(conn as unknown as GraphConnection);
  }
  const { base: _base, ...rest } = value;
  return { ...(rest as unknown as GraphView), nodes, connections };
}

/** The message from a host, checked; null for anything that is not for the canvas. */
export function parseMessage(value: unknown): ToCanvas | null {
  if (!isObject(value)) return null;
  if (value.type === "error" && typeof value.message === "string") {
    return { type: "error", message: value.message };
  }
  if (value.type === "graph") {
    if (value.graph === null || value.graph === undefined) return { type: "graph", graph: null };
    const graph = parseGraph(value.graph);
    if (typeof graph === "string") return { type: "error", message: `Bad graph: ${graph}` };
    return { type: "graph", graph };
  }
  if (value.type === "select" && Array.isArray(value.nodes) && value.nodes.every((k) => typeof k === "string")) {
    return { type: "select", nodes: value.nodes as string[] };
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isPoint(value: unknown): boolean {
  return isObject(value) && isFiniteNumber(value.x) && isFiniteNumber(value.y);
}

function isRange(value: unknown): boolean {
  return (
    isObject(value) &&
    isObject(value.start) &&
    isObject(value.end) &&
    isFiniteNumber(value.start.line) &&
    isFiniteNumber(value.end.line)
  );
}
