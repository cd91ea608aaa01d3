// The Nodeforge VS Code extension: the language server for `*.flow.json` files, and
// around it commands (build, run, test nodes, simulate, debug, history, connectors,
// upgrades, forks, the graph), a status bar item, output channels, tasks, tree views
// and the debug adapter (`nodeforge dap`). See docs/vscode.md.
import * as vscode from "vscode";
import { MessageType } from "vscode-languageclient/node";
import { Server, ServerUnavailable } from "./client";
import { commandHandlers } from "./commands";
import { NodeforgeDebugAdapterFactory, NodeforgeDebugConfigurationProvider } from "./debug";
import { GraphPanels } from "./graph";
import { HistoryContentProvider, HistoryTreeProvider } from "./history";
import { DEBUG_TYPE, HISTORY_SCHEME, TASK_TYPE } from "./ids";
import { APP_PREFIX, RunLog, listeningAddress, parseAppLine } from "./runs";
import { StatusState, statusView } from "./status";
import { NodeforgeTaskProvider } from "./tasks";
import { ConnectorsTreeProvider, FlowsTreeProvider, RunsTreeProvider } from "./views";

let server: Server | undefined;

const LEVELS: Record<number, string> = {
  [MessageType.Error]: "error",
  [MessageType.Warning]: "warn",
  [MessageType.Info]: "info",
  [MessageType.Log]: "log",
};

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Nodeforge");
  const appOutput = vscode.window.createOutputChannel("Nodeforge App");
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  const state: StatusState = { server: "starting", build: "idle" };
  const render = (): void => {
    const view = statusView(state);
    item.text = view.text;
    item.tooltip = view.tooltip;
    item.command = view.command;
    item.backgroundColor = view.error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    item.show();
  };
  render();

  const setApp = (address: string | undefined): void => {
    state.app = address;
    render();
    void vscode.commands.executeCommand("setContext", "nodeforge.appRunning", address !== undefined);
  };

  const runLog = new RunLog();
  const runs = new RunsTreeProvider(runLog);
  const onLog = (type: MessageType, message: string): void => {
    if (message.startsWith(APP_PREFIX)) {
      appOutput.appendLine(message.slice(APP_PREFIX.length));
      const record = parseAppLine(message);
      const address = record && listeningAddress(record);
      if (address !== undefined) {
        setApp(address);
      }
      if (/^\[app\] exited with code/.test(message)) {
        setApp(undefined);
      }
      if (runLog.add(message) !== undefined) {
        runs.refresh();
      }
      return;
    }
    output.appendLine(`[${LEVELS[type] ?? "log"}] ${message}`);
  };

  // The graph panels need the server, and the server tells them when a graph changed.
  const graph: { panels?: GraphPanels } = {};
  server = new Server(
    output,
    onLog,
    (serverState) => {
      state.server = serverState;
      render();
    },
    (uri) => graph.panels?.changed(uri),
  );
  const api = server;
  const flows = new FlowsTreeProvider();
  const history = new HistoryTreeProvider(api);
  const connectors = new ConnectorsTreeProvider(api);
  const panels = new GraphPanels(context.extensionUri, api);
  graph.panels = panels;

  const handlers = commandHandlers({
    server: api,
    output,
    appOutput,
    setBuild: (build, detail) => {
      state.build = build;
      state.buildDetail = detail;
      render();
    },
    setApp: (address) => setApp(address),
    app: () => state.app,
    flows,
    history,
    connectors,
    runs,
    showGraph: (document) => panels.show(document),
    executable: () => api.executablePath(),
    restartServer: () => api.restart(),
  });
  for (const [id, handler] of Object.entries(handlers)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (error) {
          reportError(id, error, output);
          return undefined;
        }
      }),
    );
  }

  context.subscriptions.push(
    output,
    appOutput,
    item,
    server,
    panels,
    vscode.window.registerTreeDataProvider("nodeforge.flows", flows),
    vscode.window.registerTreeDataProvider("nodeforge.history", history),
    vscode.window.registerTreeDataProvider("nodeforge.connectors", connectors),
    vscode.window.registerTreeDataProvider("nodeforge.runs", runs),
    vscode.workspace.registerTextDocumentContentProvider(HISTORY_SCHEME, new HistoryContentProvider(api)),
    vscode.tasks.registerTaskProvider(TASK_TYPE, new NodeforgeTaskProvider(() => api.executablePath())),
    vscode.debug.registerDebugAdapterDescriptorFactory(
      DEBUG_TYPE,
      new NodeforgeDebugAdapterFactory(() => api.executablePath()),
    ),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new NodeforgeDebugConfigurationProvider()),
    vscode.window.onDidChangeActiveTextEditor((editor) => history.follow(editor?.document.uri)),
    vscode.workspace.onDidSaveTextDocument((document) => {
      if (document.uri.path.endsWith(".flow.json")) {
        flows.refresh();
        history.follow(document.uri);
        // The server records each save in the history; refresh once it has.
        setTimeout(() => history.refresh(), 500);
      }
    }),
  );
  const watcher = vscode.workspace.createFileSystemWatcher("**/*.flow.json");
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate(() => flows.refresh()),
    watcher.onDidDelete(() => flows.refresh()),
    watcher.onDidChange(() => flows.refresh()),
  );
  history.follow(vscode.window.activeTextEditor?.document.uri);
  await server.start();
}

function reportError(command: string, error: unknown, output: vscode.OutputChannel): void {
  if (error instanceof ServerUnavailable) {
    output.appendLine(`${command}: ${error.message}`); // the notification was shown on start
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  output.appendLine(`${command} failed: ${message}`);
  void vscode.window.showErrorMessage(`Nodeforge: ${message}`);
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
