// The language client: starts `<nodeforge.path> lsp --stdio`, keeps it to one instance,
// restarts it when the executable changes, and sends the server's commands.
import * as os from "os";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  LogMessageNotification,
  MessageType,
  ServerOptions,
  StaticFeature,
  DynamicFeature,
  TransportKind,
} from "vscode-languageclient/node";
import { findExecutable, missingExecutableMessage } from "./executable";
import { GRAPH_CHANGED, LANGUAGE_ID } from "./ids";
import { SECTION, appLogLevel, executableSetting, filterConfigurationAnswer } from "./settings";

/** What the commands and views need from the server. */
export interface ServerApi {
  /** `workspace/executeCommand` with the command's one JSON object argument. */
  execute<T = unknown>(command: string, argument?: unknown): Promise<T>;
  /** A custom request such as `nodeforge/graph`. */
  request<T = unknown>(method: string, params: unknown): Promise<T>;
}

/** Raised by commands when the server cannot start (the user was already told why). */
export class ServerUnavailable extends Error {}

export type ServerState = "running" | "stopped" | "missing";

export type LogSink = (type: MessageType, message: string) => void;

/** The documents the server analyses: flow files and new flows, whatever language the
 * user associated `*.flow.json` with; not the saved versions shown from the history
 * (`nodeforge-history:`), which are read-only snapshots. */
export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: LANGUAGE_ID },
  { scheme: "file", pattern: "**/*.flow.json" },
  { scheme: "untitled", language: LANGUAGE_ID },
];

/** Declares `experimental.nodeforgeGraph`: the server then sends `nodeforge/graphChanged`
 * after each analysis (docs/graph-view.md). */
export const graphFeature: StaticFeature = {
  fillClientCapabilities(capabilities) {
    const experimental = (capabilities.experimental ?? {}) as Record<string, unknown>;
    capabilities.experimental = { ...experimental, nodeforgeGraph: true };
  },
  initialize() {
    return undefined;
  },
  getState() {
    return { kind: "static" };
  },
  clear() {
    return undefined;
  },
};

/** A LanguageClient without the automatic VS Code commands for the server's commands:
 * the extension registers `nodeforge.build`, `nodeforge.run` and `nodeforge.testNode`
 * itself (so a code lens click asks for a test input), and two registrations of one
 * command id would fail. */
class NodeforgeLanguageClient extends LanguageClient {
  public override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    const dynamic = feature as Partial<DynamicFeature<unknown>>;
    if (dynamic.registrationType?.method === ExecuteCommandRequest.method) {
      return;
    }
    super.registerFeature(feature);
  }
}

export class Server implements ServerApi, vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<boolean> | undefined;
  private executable: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly channel: vscode.OutputChannel,
    private readonly onLog: LogSink,
    private readonly onState: (state: ServerState) => void = () => undefined,
    private readonly onGraphChanged: (uri: string, version: number) => void = () => undefined,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (
          event.affectsConfiguration(`${SECTION}.path`) ||
          event.affectsConfiguration(`${SECTION}.app.logLevel`)
        ) {
          void this.restart();
        }
      }),
    );
  }

  get running(): boolean {
    return this.client !== undefined && this.client.isRunning();
  }

  /** Start the server; false (after telling the user how to install it) when the
   * executable is missing. */
  start(): Promise<boolean> {
    if (this.starting === undefined) {
      this.starting = this.doStart().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async doStart(): Promise<boolean> {
    if (this.client !== undefined) {
      return true;
    }
    const config = vscode.workspace.getConfiguration(SECTION);
    const command = executableSetting(config);
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const found = findExecutable(command, process.env.PATH, { cwd, home: os.homedir() });
    if (found === undefined) {
      this.executable = undefined;
      void showMissingExecutable(command);
      this.onState("missing");
      return false;
    }
    this.executable = found;
    const serverOptions: ServerOptions = {
      command: found,
      args: ["lsp", "--stdio"],
      transport: TransportKind.stdio,
      // The app started by Run inherits the server's environment: its log level makes
      // every execution visible in the Runs view.
      options: { env: { ...process.env, NODEFORGE_LOG_LEVEL: appLogLevel(config) } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.channel,
      synchronize: {
        // The server reloads custom nodes and the workspace config when they change.
        fileEvents: vscode.workspace.createFileSystemWatcher(
          "**/{nodeforge.toml,nodes/**/node.json,nodes/**/*.go,*.flow.json}",
        ),
      },
      middleware: {
        workspace: {
          configuration: async (params, token, next) =>
            filterConfigurationAnswer(params.items, await next(params, token)) as never,
        },
      },
    };
    const client = new NodeforgeLanguageClient(SECTION, "Nodeforge", serverOptions, clientOptions);
    // The graph view is re-requested when the server says a flow's graph changed.
    client.registerFeature(graphFeature);
    client.onNotification(GRAPH_CHANGED, (params: { uri?: unknown; version?: unknown }) => {
      if (typeof params?.uri === "string") {
        this.onGraphChanged(params.uri, typeof params.version === "number" ? params.version : 0);
      }
    });
    // Replaces the client's own handler: app logs go to their channel and the Runs view.
    client.onNotification(LogMessageNotification.type, (params) =>
      this.onLog(params.type, params.message),
    );
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      void vscode.window.showErrorMessage(`Nodeforge: the language server did not start: ${String(error)}`);
      this.onState("stopped");
      return false;
    }
    this.onState("running");
    return true;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      try {
        await client.stop();
      } catch (error) {
        this.channel.appendLine(`stopping the language server: ${String(error)}`);
      }
    }
    this.onState("stopped");
  }

  async restart(): Promise<boolean> {
    await this.stop();
    return this.start();
  }

  private async ready(): Promise<LanguageClient> {
    if (this.client === undefined && !(await this.start())) {
      throw new ServerUnavailable(missingExecutableMessage(executableSetting(
        vscode.workspace.getConfiguration(SECTION),
      )));
    }
    const client = this.client;
    if (client === undefined) {
      throw new ServerUnavailable("Nodeforge: the language server is not running.");
    }
    return client;
  }

  async execute<T = unknown>(command: string, argument?: unknown): Promise<T> {
    const client = await this.ready();
    const args = argument === undefined ? [] : [argument];
    return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args })) as T;
  }

  async request<T = unknown>(method: string, params: unknown): Promise<T> {
    const client = await this.ready();
    const result: T = await client.sendRequest(method, params);
    return result;
  }

  /** The executable in use (for terminal tasks), resolved when the server started. */
  executablePath(): string {
    return this.executable ?? executableSetting(vscode.workspace.getConfiguration(SECTION));
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
    void this.stop();
  }
}

export async function showMissingExecutable(command: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(
    missingExecutableMessage(command),
    "Open Settings",
    "Installation Guide",
  );
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "nodeforge.path");
  } else if (choice === "Installation Guide") {
    await vscode.env.openExternal(
      vscode.Uri.parse("https://github.com/nodeforge/nodeforge#quick-start-fresh-debian-machine-with-python-311-go-and-git"),
    );
  }
}
