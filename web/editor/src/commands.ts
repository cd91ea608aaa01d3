// Canvas gestures and form edits as the server's graph edit commands
// (`nodeforge.graph.*`, analysis/ide/graph_edits.py): each takes one object with the
// document's `uri` and the `version` the user saw, so that an edit computed for
// another text is refused rather than misplaced. One place builds every argument.

import type { FromCanvas, GraphView } from "../../graph/src/protocol";
import type { PathPart } from "./schema";

export interface CommandCall {
  command: string;
  arguments: [Record<string, unknown>];
}

const PREFIX = "nodeforge.graph.";

function call(name: string, uri: string, version: number, args: Record<string, unknown>): CommandCall {
  return { command: PREFIX + name, arguments: [{ uri, version, ...args }] };
}

/** A JSON pointer (RFC 6901) for a path inside a node's config. */
export function pointer(path: PathPart[]): string {
  return path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

/** What a palette item carries when dragged onto the canvas. */
export interface DropData {
  type: string;
  version?: string;
}

export function addNode(uri: string, version: number, data: DropData, at: { x: number; y: number }): CommandCall {
  const args: Record<string, unknown> = { type: data.type, position: at };
  if (data.version !== undefined) args.typeVersion = data.version;
  return call("addNode", uri, version, args);
}

export function setConfig(uri: string, version: number, node: string, path: PathPart[], value: unknown): CommandCall {
  // No value (undefined) removes the key: the server reads a missing or null value so.
  return call("setConfig", uri, version, { id: node, path: pointer(path), value: value === undefined ? null : value });
}

export function renameNode(uri: string, version: number, node: string, newId: string): CommandCall {
  return call("renameNode", uri, version, { id: node, newId });
}

export function connectPorts(
  uri: string,
  version: number,
  from: { node: string; port: string },
  to: { node: string; port: string },
): CommandCall {
  return call("connect", uri, version, { from, to });
}

export function disconnect(uri: string, version: number, index: number): CommandCall {
  return call("disconnect", uri, version, { index });
}

/** The commands a canvas message stands for (none for `ready`, `reveal`, `select`, ...). */
export function fromCanvas(message: FromCanvas, uri: string, version: number): CommandCall[] {
  switch (message.type) {
    case "move":
      return [call("moveNodes", uri, version, { moves: message.moves.map((m) => ({ id: m.node, x: m.x, y: m.y })) })];
    case "connect":
      return [connectPorts(uri, version, message.source, message.target)];
    case "delete": {
      const out: CommandCall[] = [];
      // Deleting nodes removes their connections too; a lone connection has its own.
      if (message.nodes.length > 0) out.push(call("deleteNodes", uri, version, { ids: message.nodes }));
      else for (const index of message.connections) out.push(disconnect(uri, version, index));
      return out;
    }
    case "drop": {
      let data: DropData;
      try {
        data = JSON.parse(message.data) as DropData;
      } catch {
        return [];
      }
      if (typeof data?.type !== "string") return [];
      return [addNode(uri, version, data, message.at)];
    }
    default:
      return [];
  }
}

/** What the page keeps on its clipboard: nodes and the connections between them. */
export interface Clip {
  nodes: Record<string, unknown>[];
  connections: Record<string, unknown>[];
  /** The top-left of the copied nodes, so a paste lands where the pointer is. */
  origin: { x: number; y: number };
}

/**
 * The selected nodes' objects and the connections among them, read from the document
 * `text` at the graph's ranges (`offsetOf` maps an LSP position to an offset).
 */
export function copyNodes(
  graph: GraphView,
  keys: string[],
  text: string,
  offsetOf: (p: { line: number; character: number }) => number,
): Clip | string {
  const wanted = new Set(keys);
  const nodes: Record<string, unknown>[] = [];
  let x0 = Infinity;
  let y0 = Infinity;
  const ids = new Set<string>();
  for (const n of graph.nodes) {
    if (!wanted.has(n.key)) continue;
    const source = text.slice(offsetOf(n.range.start), offsetOf(n.range.end));
    try {
      nodes.push(JSON.parse(source) as Record<string, unknown>);
    } catch {
      return `node ${n.label} is not valid JSON yet: fix it before copying`;
    }
    if (n.id !== null) ids.add(n.id);
    x0 = Math.min(x0, n.position.x);
    y0 = Math.min(y0, n.position.y);
  }
  if (nodes.length === 0) return "nothing is selected";
  const connections: Record<string, unknown>[] = [];
  for (const c of graph.connections) {
    if (c.source.node === null || c.target.node === null) continue;
    if (!wanted.has(c.source.node) || !wanted.has(c.target.node)) continue;
    try {
      connections.push(JSON.parse(text.slice(offsetOf(c.range.start), offsetOf(c.range.end))) as Record<string, unknown>);
    } catch {
      // A broken connection is left behind.
    }
  }
  return { nodes, connections, origin: { x: x0, y: y0 } };
}

export function pasteNodes(uri: string, version: number, clip: Clip, at: { x: number; y: number }): CommandCall {
  const offset = { x: Math.round(at.x - clip.origin.x), y: Math.round(at.y - clip.origin.y) };
  return call("pasteNodes", uri, version, { nodes: clip.nodes, connections: clip.connections, offset });
}

/** A clip from text someone pasted (the page's own clipboard format), or null. */
export function parseClip(text: string): Clip | null {
  try {
    const value = JSON.parse(text) as Partial<Clip> & { nodeforge?: string };
    if (value.nodeforge !== "nodes" || !Array.isArray(value.nodes) || value.nodes.length === 0) return null;
    const origin = value.origin ?? { x: 0, y: 0 };
    return { nodes: value.nodes, connections: Array.isArray(value.connections) ? value.connections : [], origin };
  } catch {
    return null;
  }
}

export function clipText(clip: Clip): string {
  return JSON.stringify({ nodeforge: "nodes", ...clip }, null, 2);
}
