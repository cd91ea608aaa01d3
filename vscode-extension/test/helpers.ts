// Shared pieces of the unit tests: a fake language server and a command context.
import * as path from "path";
import type { ServerApi } from "../src/client";
import type { CommandContext } from "../src/commands";
import { HistoryTreeProvider } from "../src/history";
import { RunLog } from "../src/runs";
import type { BuildState } from "../src/status";
import { ConnectorsTreeProvider, FlowsTreeProvider, RunsTreeProvider } from "../src/views";
import * as stub from "./stub/vscode";

/** A value, an Error to throw, or a function of the argument giving either. */
export type Reply = unknown;

export class FakeServer implements ServerApi {
  calls: { command: string; argument: any }[] = [];
  requests: { method: string; params: any }[] = [];
  constructor(public replies: Record<string, Reply> = {}) {}

  private answer(key: string, argument: unknown): unknown {
    if (!(key in this.replies)) {
      throw new Error(`unexpected server call ${key}`);
    }
    const reply = this.replies[key];
    const value = typeof reply === "function" ? (reply as (a: unknown) => unknown)(argument) : reply;
    if (value instanceof Error) {
      throw value;
    }
    return value;
  }

  async execute<T>(command: string, argument?: unknown): Promise<T> {
    this.calls.push({ command, argument });
    return this.answer(command, argument) as T;
  }

  async request<T>(method: string, params: unknown): Promise<T> {
    this.requests.push({ method, params });
    return this.answer(method, params) as T;
  }
}

export interface TestContext extends CommandContext {
  builds: { state: BuildState; detail?: string }[];
  address: string | undefined;
  graphs: string[];
}

export function makeContext(server: FakeServer): TestContext {
  const output = stub.window.createOutputChannel("Nodeforge") as any;
  const appOutput = stub.window.createOutputChannel("Nodeforge App") as any;
  const ctx: TestContext = {
    server,
    output,
    appOutput,
    builds: [],
    address: undefined,
    graphs: [],
    setBuild(state, detail) {
      ctx.builds.push({ state, detail });
    },
    setApp(address) {
      ctx.address = address;
    },
    app: () => ctx.address,
    flows: new FlowsTreeProvider(),
    history: new HistoryTreeProvider(server),
    connectors: new ConnectorsTreeProvider(server),
    runs: new RunsTreeProvider(new RunLog()),
    showGraph(document) {
      ctx.graphs.push(document.uri.toString());
    },
    executable: () => "/usr/bin/nodeforge",
    restartServer: async () => true,
  };
  return ctx;
}

export const EXAMPLE_FLOW = `{
  "nodeforge": "1",
  "id": "orders_api",
  "name": "Orders API",
  "nodes": [
    {"id": "create", "type": "http/trigger", "version": "1.0.0",
     "config": {"method": "POST", "path": "/orders"}},
    {"id": "is_bulk", "type": "flow/if", "version": "1.0.0",
     "config": {"condition": "input.body.qty >= 100"}},
    {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 201}}
  ],
  "connections": [
    {"from": "create.out", "to": "is_bulk.in"},
    {"from": "is_bulk.false", "to": "reply.in"}
  ],
  "tests": [
    {"name": "small order", "trigger": "create",
     "input": {"body": {"sku": "A1", "qty": 2}}, "expect": {"status": 201}}
  ]
}
`;

export const EXTENSION_ROOT = path.resolve(__dirname, "..", "..");
