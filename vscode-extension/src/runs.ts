// The running app's executions, read from its JSON log lines (which the server
// forwards as `window/logMessage` "[app] {...}"). At the `debug` log level every
// execution is logged (node start/end, done); at `info` only failures and rejections.

export type RunStatus = "running" | "done" | "failed" | "rejected";

export interface AppRun {
  execution: string;
  flow: string;
  trigger?: string;
  status: RunStatus;
  /** The log time of the first line seen (ISO 8601). */
  time: string;
  tookMs?: number;
  error?: string;
  /** Nodes in the order they started. */
  nodes: string[];
  failedNode?: string;
}

export const APP_PREFIX = "[app] ";
export const MAX_RUNS = 50;

type LogRecord = { [key: string]: unknown };

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A slog duration in JSON (nanoseconds) or text ("1.5ms") as milliseconds. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === "number") {
    return value / 1e6;
  }
  if (typeof value !== "string") {
    return undefined;
  }
  const match = /^([\d.]+)(ns|µs|us|ms|s|m)$/.exec(value);
  if (match === null) {
    return undefined;
  }
  const scale: Record<string, number> = { ns: 1e-6, "µs": 1e-3, us: 1e-3, ms: 1, s: 1e3, m: 6e4 };
  return Number(match[1]) * scale[match[2]];
}

/** The JSON record of an app log line, or undefined for other lines. */
export function parseAppLine(message: string): LogRecord | undefined {
  if (!message.startsWith(APP_PREFIX)) {
    return undefined;
  }
  const body = message.slice(APP_PREFIX.length).trim();
  if (!body.startsWith("{")) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as LogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The address an app log line says the app listens on ("listening", addr). */
export function listeningAddress(record: LogRecord): string | undefined {
  return record.msg === "listening" ? text(record.addr) : undefined;
}

export class RunLog {
  private readonly runs = new Map<string, AppRun>();

  /** Take one log line into account; the run it changed, if any. */
  add(message: string): AppRun | undefined {
    const record = parseAppLine(message);
    const execution = record === undefined ? undefined : text(record.execution);
    if (record === undefined || execution === undefined) {
      return undefined;
    }
    let run = this.runs.get(execution);
    if (run === undefined) {
      run = {
        execution,
        flow: text(record.flow) ?? "?",
        status: "running",
        time: text(record.time) ?? new Date().toISOString(),
        nodes: [],
      };
      this.runs.set(execution, run);
      this.trim();
    }
    run.trigger = run.trigger ?? text(record.trigger);
    const node = text(record.node);
    switch (record.msg) {
      case "node start":
        if (node !== undefined && !run.nodes.includes(node)) {
          run.nodes.push(node);
        }
        break;
      case "node error":
        run.failedNode = node;
        run.error = text(record.error);
        break;
      case "execution done":
        run.status = "done";
        run.tookMs = durationMs(record.took);
        break;
      case "execution failed":
        run.status = "failed";
        run.error = text(record.error) ?? run.error;
        run.tookMs = durationMs(record.took);
        break;
      case "request rejected":
        run.status = "rejected";
        run.error = text(record.error);
        break;
      default:
        break;
    }
    return run;
  }

  /** Newest first. */
  list(): AppRun[] {
    return [...this.runs.values()].reverse();
  }

  clear(): void {
    this.runs.clear();
  }

  private trim(): void {
    while (this.runs.size > MAX_RUNS) {
      const oldest = this.runs.keys().next().value;
      if (oldest === undefined) {
        return;
      }
      this.runs.delete(oldest);
    }
  }
}

/** One line describing a run (tree item label and description). */
export function describeRun(run: AppRun): { label: string; description: string } {
  const took = run.tookMs === undefined ? "" : ` in ${run.tookMs.toFixed(1)} ms`;
  const where = run.trigger ? `${run.flow} · ${run.trigger}` : run.flow;
  const failure = run.error ? `: ${run.error}` : "";
  return { label: where, description: `${run.status}${took}${failure}` };
}
