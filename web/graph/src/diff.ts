// What changed between the graph the canvas shows and the next one, so that a keystroke
// touches only the SVG elements (and panels) of the nodes and connections it changed.
// Pure functions without the DOM, unit-tested in Node.
//
// Items are matched by identity first (a relative answer of the server, merged by
// `mergeGraph`, hands unchanged nodes on as the very objects shown, and the scene
// reuses their boxes), then by a signature: a string of everything drawn for the item.
// Two items with equal signatures draw the same, so a host that sends whole graphs
// (VS Code) gets the same economy, at the price of computing the signatures.

import type { GraphConnection, GraphNode, GraphView } from "./protocol";
import type { Problem, SceneEdge, SceneNode } from "./scene";

/**
 * What is drawn for an item, in two parts: its `shape` (the elements and where they
 * are: position, size, ports, labels, badge) and its `text` (tooltips and labels for
 * screen readers, which carry the ports' types). An item whose shape is the same and
 * whose text is not gets its texts replaced in place: a type that changes upstream
 * changes the tooltips of every node downstream, not their boxes.
 */
export interface Signature {
  shape: string;
  text: string;
}

const nodeSigs = new WeakMap<SceneNode, Signature>();
const edgeSigs = new WeakMap<SceneEdge, Signature>();

/** What the canvas draws for a node box (not where a click reveals: that is read when
 * the click happens). */
export function nodeSignature(n: SceneNode): Signature {
  let sig = nodeSigs.get(n);
  if (sig === undefined) {
    const shape = (list: SceneNode["inputs"]): unknown[] => list.map((p) => [p.name, p.required, p.y, p.known]);
    const text = (list: SceneNode["inputs"]): unknown[] => list.map((p) => [p.type, p.description]);
    sig = {
      shape: JSON.stringify([
        n.key,
        n.id,
        n.label,
        n.subtitle,
        n.category,
        n.glyph,
        n.kind,
        n.deprecated,
        n.x,
        n.y,
        n.width,
        n.height,
        shape(n.inputs),
        shape(n.outputs),
        n.badge === null ? null : [n.badge.count, n.badge.severity],
      ]),
      text: JSON.stringify([text(n.inputs), text(n.outputs), n.badge?.text ?? null, n.tooltip, n.ariaLabel]),
    };
    nodeSigs.set(n, sig);
  }
  return sig;
}

/** What the canvas draws for a connection (not where a click reveals). */
export function edgeSignature(e: SceneEdge): Signature {
  let sig = edgeSigs.get(e);
  if (sig === undefined) {
    sig = {
      shape: JSON.stringify([e.index, e.source, e.target, e.path, e.mid, e.badge === null ? null : e.badge.severity]),
      text: e.tooltip,
    };
    edgeSigs.set(e, sig);
  }
  return sig;
}

export function problemsSignature(problems: readonly Problem[]): string {
  return JSON.stringify(problems);
}

/** An item on screen: the scene item it was drawn from and its signature. */
export interface Drawn<T> {
  item: T;
  sig: Signature;
}

export interface Plan<K, T> {
  /** Items to draw: new, or changed in shape (their old element is replaced). */
  draw: T[];
  /** Items whose shape is the same but whose texts changed (patched in place). */
  patch: T[];
  /** Keys on screen that the next scene no longer has. */
  remove: K[];
  /** Items whose drawing is still right. */
  kept: T[];
}

/**
 * Which items of `next` need drawing, given what is on screen (`drawn`, by key).
 * An item is kept when it is the object drawn, or draws the same (equal signature);
 * patched when only its texts differ; drawn again otherwise, or when its key is in
 * `dirty` (its element was changed in place, e.g. while dragged).
 */
export function plan<K, T>(
  drawn: ReadonlyMap<K, Drawn<T>>,
  next: readonly T[],
  keyOf: (item: T) => K,
  sigOf: (item: T) => Signature,
  dirty: ReadonlySet<K> = new Set(),
): Plan<K, T> {
  const draw: T[] = [];
  const patch: T[] = [];
  const kept: T[] = [];
  const seen = new Set<K>();
  for (const item of next) {
    const key = keyOf(item);
    seen.add(key);
    const old = drawn.get(key);
    if (old === undefined || dirty.has(key)) {
      draw.push(item);
    } else if (old.item === item) {
      kept.push(item);
    } else {
      const sig = sigOf(item);
      if (sig.shape !== old.sig.shape) draw.push(item);
      else if (sig.text !== old.sig.text) patch.push(item);
      else kept.push(item);
    }
  }
  const remove = [...drawn.keys()].filter((k) => !seen.has(k));
  return { draw, patch, remove, kept };
}

/** What differs between two graph views, for the panels that listen to the graph. */
export interface GraphChanges {
  /** Node keys added, removed, or whose view changed. */
  nodes: ReadonlySet<string>;
  /** Connection indices added, removed, or whose view changed. */
  connections: ReadonlySet<number>;
  /** The flow's own members (id, name, problems on no node) changed. */
  flow: boolean;
  /** The list of nodes changed: one added or removed, or their order. */
  structure: boolean;
}

function same<T>(a: T | undefined, b: T): boolean {
  return a === b || (a !== undefined && JSON.stringify(a) === JSON.stringify(b));
}

/** The changes from `old` to `next` (everything, when there was no old graph or it
 * showed another document). */
export function graphChanges(old: GraphView | null, next: GraphView): GraphChanges {
  if (old === null || old.uri !== next.uri) {
    return {
      nodes: new Set(next.nodes.map((n) => n.key)),
      connections: new Set(next.connections.map((c) => c.index)),
      flow: true,
      structure: true,
    };
  }
  const oldNodes = new Map<string, GraphNode>(old.nodes.map((n) => [n.key, n]));
  const nodes = new Set<string>();
  for (const n of next.nodes) {
    if (!same(oldNodes.get(n.key), n)) nodes.add(n.key);
    oldNodes.delete(n.key);
  }
  for (const key of oldNodes.keys()) nodes.add(key);
  const oldConnections = new Map<number, GraphConnection>(old.connections.map((c) => [c.index, c]));
  const connections = new Set<number>();
  for (const c of next.connections) {
    if (!same(oldConnections.get(c.index), c)) connections.add(c.index);
    oldConnections.delete(c.index);
  }
  for (const index of oldConnections.keys()) connections.add(index);
  const structure =
    old.nodes.length !== next.nodes.length || old.nodes.some((n, i) => n.key !== next.nodes[i].key);
  const flow = !same(old.flow, next.flow) || !same(old.diagnostics, next.diagnostics);
  return { nodes, connections, flow, structure };
}

/** Whether `changes` touch what a panel shows: these nodes (keys) or connections
 * (indices). Null changes (a new document) touch everything. */
export function touches(changes: GraphChanges | null, nodes: readonly string[], connections: readonly number[] = []): boolean {
  if (changes === null) return true;
  return nodes.some((k) => changes.nodes.has(k)) || connections.some((i) => changes.connections.has(i));
}
