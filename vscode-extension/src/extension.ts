// The Nodeforge VS Code extension: starts `nodeforge lsp --stdio` for the workspace's
// `*.flow.json` files. Everything else (diagnostics, completion, hover, rename, quick
// fixes, formatting, code lenses and their Build / Run / Test node commands) comes from
// the language server; the extension only launches it and restarts it on request.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function createClient(): LanguageClient {
  const config = vscode.workspace.getConfiguration("nodeforge");
  const command = config.get<string>("path", "nodeforge");
  const serverOptions: ServerOptions = {
    command,
    args: ["lsp", "--stdio"],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    // Flow files stay JSON for VS Code (its JSON support keeps working); the server
    // adds what only Nodeforge knows: node types, port types and the graph.
    documentSelector: [{ scheme: "file", language: "json", pattern: "**/*.flow.json" }],
    synchronize: {
      // Custom nodes and the workspace config are reloaded by the server on change.
      fileEvents: vscode.workspace.createFileSystemWatcher(
        "**/{nodeforge.toml,nodes/**/node.json,nodes/**/*.go,*.flow.json}",
      ),
    },
    initializationOptions: config.get<object>("initializationOptions", {}),
  };
  return new LanguageClient("nodeforge", "Nodeforge", serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = createClient();
  context.subscriptions.push(
    vscode.commands.registerCommand("nodeforge.restartServer", async () => {
      await client?.stop();
      client = createClient();
      await client.start();
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
