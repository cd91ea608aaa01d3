// Development mode's data, as plain functions (unit-tested in test/logic.test.ts): the
// simulation result the server answers (`nodeforge.simulate`, `.continue`, `.step`;
// sandbox/simulate.py), what the canvas draws over the graph from it (run states,
// breakpoints, a short label of the data on each connection), the values of one
// connection or output port, and the log lines of a run.

import type { Decorations, GraphView } from "../../graph/src/protocol";

export interface SimNode {
  type: string;
  version: string;
  status: string; // not_run | ok | error | pinned | simulated
  runs: number;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  logs: LogRecord[];
  duration_ms: number;
  faithful: boolean;
  reason?: string;
}

export interface SimConnection {
  index: number;
  from: string;
  to: string;
  count: number;
  values?: unknown[];
  truncated?: boolean;
}

export interface SimResult {
  session: string;
  flow: string | null;
  trigger: string;
  status: string; // running | paused | done | failed
  paused_at: { node: string; port: string | null; value: unknown; connection: number | null } | null;
  response: { status?: number; body?: unknown; headers?: Record<string, string> } | null;
  error: string | null;
  faithful: boolean;
  unfaithful: string[];
  trace: string[]; // node ids, in the order they ran
  nodes: Record<string, SimNode>;
  connections: SimConnection[];
  duration_ms: number;
}

export interface LogRecord {
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

/** The server's answer checked for what the page reads of it; the reason otherwise. */
export function parseSimResult(value: unknown): SimResult | string {
  if (typeof value !== "object" || value === null) return "the simulation answered nothing";
  const v = value as Record<string, unknown>;
  if (typeof v.session !== "string") return "the simulation answered no session";
  if (typeof v.status !== "string") return "the simulation answered no status";
  if (typeof v.nodes !== "object" || v.nodes === null) return "the simulation answered no nodes";
  if (!Array.isArray(v.connections)) return "the simulation answered no connections";
  return value as SimResult;
}

/** A value in a few characters (a connection's label on the canvas). */
export function shortValue(value: unknown, max = 28): string {
  let text: string;
  if (value === undefined) text = "—";
  else if (typeof value === "string") text = JSON.stringify(value);
  else if (Array.isArray(value)) text = `[${value.length} item${value.length === 1 ? "" : "s"}]`;
  else if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    text = `{${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", …" : ""}}`;
  } else text = String(value);
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/**
 * What the canvas draws for a run: each node's state (ok, error, paused before it,
 * simulated with a stand-in, skipped), the breakpoints, and on each connection its
 * last value (with `×n` when it carried several).
 */
export function decorationsOf(graph: GraphView, sim: SimResult | null, breakpoints: ReadonlySet<string>): Decorations {
  const nodes: NonNullable<Decorations["nodes"]> = {};
  const edges: NonNullable<Decorations["edges"]> = {};
  for (const n of graph.nodes) {
    const id = n.id ?? "";
    const d: NonNullable<Decorations["nodes"]>[string] = {};
    if (breakpoints.has(id)) d.breakpoint = true;
    const rec = sim?.nodes[id];
    if (sim !== null && rec !== undefined) {
      if (sim.paused_at?.node === id) d.state = "paused";
      else if (rec.status === "error") d.state = "error";
      else if (rec.status === "ok" || rec.status === "pinned") d.state = "ok";
      else if (rec.status === "simulated") d.state = "simulated";
      else if (sim.status === "done" || sim.status === "failed") d.state = "skipped";
      if (rec.runs > 0) d.note = `${rec.status}${rec.runs > 1 ? ` ×${rec.runs}` : ""} · ${rec.duration_ms.toFixed(1)} ms`;
      if (rec.status === "error" && rec.reason) d.note = rec.reason;
    }
    if (d.breakpoint !== undefined || d.state !== undefined || d.note !== undefined) nodes[n.key] = d;
  }
  if (sim !== null) {
    for (const c of sim.connections) {
      if (c.count === 0) continue;
      const values = c.values ?? [];
      const last = values.length > 0 ? values[values.length - 1] : undefined;
      edges[c.index] = c.count > 1 ? `${shortValue(last, 22)} ×${c.count}` : shortValue(last);
    }
  }
  return { nodes, edges };
}

/** The recorded values of connection `index` (null when the run did not record it). */
export function connectionValues(sim: SimResult | null, index: number): SimConnection | null {
  return sim?.connections.find((c) => c.index === index) ?? null;
}

/** What left output `port` of node `id`: its last value, and the connections it fed. */
export function portValue(sim: SimResult | null, id: string, port: string): { ran: boolean; value: unknown; connections: SimConnection[] } {
  const rec = sim?.nodes[id];
  const connections = (sim?.connections ?? []).filter((c) => c.from === `${id}.${port}`);
  if (rec === undefined || !(port in rec.outputs)) return { ran: false, value: undefined, connections };
  return { ran: true, value: rec.outputs[port], connections };
}

export interface LogLine {
  source: string; // "sim", "test", "app", "build", "server"
  node: string | null;
  level: string; // DEBUG INFO WARN ERROR
  text: string;
}

/** A log record as one line: its message, then its other fields as key=value. */
export function logText(record: LogRecord): string {
  const rest = Object.entries(record)
    .filter(([k]) => k !== "level" && k !== "msg" && k !== "time" && k !== "node")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return [record.msg ?? "", ...rest].filter((s) => s !== "").join(" ");
}

/** Every node's log lines of a run, in the order the nodes first ran (the trace). */
export function simulationLogs(sim: SimResult): LogLine[] {
  const order: string[] = [];
  for (const node of sim.trace) if (typeof node === "string" && !order.includes(node)) order.push(node);
  for (const id of Object.keys(sim.nodes)) if (!order.includes(id)) order.push(id);
  const lines: LogLine[] = [];
  for (const id of order) {
    for (const r of sim.nodes[id]?.logs ?? []) {
      lines.push({ source: "sim", node: id, level: String(r.level ?? "INFO").toUpperCase(), text: logText(r) });
    }
  }
  if (sim.error) lines.push({ source: "sim", node: sim.paused_at?.node ?? null, level: "ERROR", text: sim.error });
  return lines;
}

/**
 * The app's log line as the server forwards it (`[app] {json}` in window/logMessage):
 * its level and message; null for a message that is not the app's.
 */
export function appLogLine(message: string): LogLine | null {
  if (!message.startsWith("[app] ")) return null;
  const text = message.slice(6);
  try {
    const record = JSON.parse(text) as LogRecord;
    if (typeof record === "object" && record !== null && !Array.isArray(record)) {
      const node = typeof record.node === "string" ? record.node : null;
      return { source: "app", node, level: String(record.level ?? "INFO").toUpperCase(), text: logText(record) };
    }
  } catch {
    // a plain line (the app's start-up output, its exit)
  }
  return { source: "app", node: null, level: "INFO", text };
}

/** Parse the text of an input field as JSON; empty text is no input (null). */
export function parseJsonInput(text: string): { value: unknown } | { error: string } {
  if (text.trim() === "") return { value: null };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** A `$/progress` value as the page shows it: a title, a message, a percentage or null. */
export interface Progress {
  token: string;
  title: string;
  message: string;
  percentage: number | null;
  done: boolean;
}

/** Fold one `$/progress` notification into the known progress items. */
export function foldProgress(items: Map<string, Progress>, params: unknown): Progress | null {
  if (typeof params !== "object" || params === null) return null;
  const p = params as { token?: unknown; value?: { kind?: string; title?: string; message?: string; percentage?: number } };
  if ((typeof p.token !== "string" && typeof p.token !== "number") || typeof p.value !== "object" || p.value === null) return null;
  const token = String(p.token);
  const v = p.value;
  const known = items.get(token) ?? { token, title: "", message: "", percentage: null, done: false };
  const next: Progress = {
    token,
    title: v.kind === "begin" ? (v.title ?? "") : known.title,
    message: v.message ?? (v.kind === "begin" ? "" : known.message),
    percentage: typeof v.percentage === "number" ? v.percentage : v.kind === "end" ? 100 : known.percentage,
    done: v.kind === "end",
  };
  if (next.done) items.delete(token);
  else items.set(token, next);
  return next;
}
