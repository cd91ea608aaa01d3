// "Nodeforge: Show Graph": a webview beside the flow hosting the graph canvas
// (`media/graph.js`, built from the web editor's canvas). The extension is the canvas's
// bridge to the language server; the messages are documented in docs/vscode.md.
import * as fs from "fs";
import * as vscode from "vscode";
import type { ServerApi } from "./client";
import { GRAPH_REQUEST } from "./ids";
import { revealNode } from "./views";

export type FromWebview =
  | { type: "ready" }
  | { type: "reveal"; node?: string; connection?: number; range?: { start: { line: number; character: number }; end: { line: number; character: number } } }
  | { type: "request"; id: number | string; method: string; params?: unknown };

export type ToWebview =
  | { type: "graph"; uri: string; version: number; graph: unknown }
  | { type: "error"; message: string }
  | { type: "response"; id: number | string; result?: unknown; error?: string };

/** Only the server's own `nodeforge/...` requests may be sent from the canvas. */
export function allowedRequest(method: unknown): method is string {
  return typeof method === "string" && /^nodeforge\/[A-Za-z][A-Za-z0-9/]*$/.test(method);
}

export function graphHtml(options: {
  scriptUri?: string;
  styleUri?: string;
  cspSource: string;
  nonce: string;
  title: string;
}): string {
  const csp =
    `default-src 'none'; img-src ${options.cspSource} data:; ` +
    `style-src ${options.cspSource} 'unsafe-inline'; script-src 'nonce-${options.nonce}';`;
  const body =
    options.scriptUri === undefined
      ? `<p>The graph canvas is not part of this build (media/graph.js is missing).</p>`
      : `<div id="graph" style="position:absolute;inset:0"></div>` +
        `<script nonce="${options.nonce}" src="${options.scriptUri}"></script>`;
  const style = options.styleUri ? `<link rel="stylesheet" href="${options.styleUri}">` : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(options.title)}</title>${style}</head>
<body style="margin:0">${body}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function nonce(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < 32; i++) {
    out += chars.charAt(Math.floor(Math.random() * chars.length));
  }
  return out;
}

export class GraphPanels implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly server: ServerApi,
  ) {
  }

  /** The server analysed `uri` again (`nodeforge/graphChanged`): redraw its graph. */
  changed(uri: string): void {
    const panel = this.panels.get(uri) ?? this.panels.get(vscode.Uri.parse(uri).toString());
    if (panel !== undefined) {
      this.schedule(uri, panel);
    }
  }

  show(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const existing = this.panels.get(key);
    if (existing !== undefined) {
      existing.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    const title = `Graph: ${document.uri.path.split("/").pop() ?? key}`;
    const panel = vscode.window.createWebviewPanel(
      "nodeforge.graph",
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: true },
    );
    const script = vscode.Uri.joinPath(media, "graph.js");
    const style = vscode.Uri.joinPath(media, "graph.css");
    panel.webview.html = graphHtml({
      scriptUri: fs.existsSync(script.fsPath) ? panel.webview.asWebviewUri(script).toString() : undefined,
      styleUri: fs.existsSync(style.fsPath) ? panel.webview.asWebviewUri(style).toString() : undefined,
      cspSource: panel.webview.cspSource,
      nonce: nonce(),
      title,
    });
    panel.webview.onDidReceiveMessage((message: FromWebview) =>
      this.receive(document.uri, panel, message),
    );
    panel.onDidDispose(() => {
      this.panels.delete(key);
      clearTimeout(this.timers.get(key));
      this.timers.delete(key);
    });
    this.panels.set(key, panel);
  }

  /** Handle one message of the canvas. */
  async receive(uri: vscode.Uri, panel: vscode.WebviewPanel, message: FromWebview): Promise<void> {
    switch (message?.type) {
      case "ready":
        await this.send(uri, panel);
        return;
      case "reveal":
        if (message.range !== undefined) {
          const { start, end } = message.range;
          const selection = new vscode.Range(start.line, start.character, end.line, end.character);
          const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
          await vscode.window.showTextDocument(uri, {
            selection,
            viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One,
          });
        } else if (typeof message.node === "string") {
          await revealNode(uri, message.node);
        }
        return;
      case "request": {
        if (!allowedRequest(message.method)) {
          await panel.webview.postMessage({
            type: "response",
            id: message.id,
            error: `request ${String(message.method)} is not allowed from the graph`,
          } satisfies ToWebview);
          return;
        }
        try {
          const result = await this.server.request(message.method, message.params ?? {});
          await panel.webview.postMessage({ type: "response", id: message.id, result } satisfies ToWebview);
        } catch (error) {
          await panel.webview.postMessage({
            type: "response",
            id: message.id,
            error: error instanceof Error ? error.message : String(error),
          } satisfies ToWebview);
        }
        return;
      }
      default:
        return;
    }
  }

  /** Coalesce bursts of changes (a build's errors right after an edit's analysis). */
  private schedule(uri: string, panel: vscode.WebviewPanel): void {
    clearTimeout(this.timers.get(uri));
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        void this.send(vscode.Uri.parse(uri), panel);
      }, 30),
    );
  }

  private async send(uri: vscode.Uri, panel: vscode.WebviewPanel): Promise<void> {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    try {
      const graph = await this.server.request(GRAPH_REQUEST, { textDocument: { uri: uri.toString() } });
      await panel.webview.postMessage({
        type: "graph",
        uri: uri.toString(),
        version: document?.version ?? 0,
        graph,
      } satisfies ToWebview);
    } catch (error) {
      await panel.webview.postMessage({
        type: "error",
        message: error instanceof Error ? error.message : String(error),
      } satisfies ToWebview);
    }
  }

  dispose(): void {
    for (const panel of this.panels.values()) {
      panel.dispose();
    }
    for (const timer of this.timers.values()) {
      clearTimeout(timer);
    }
  }
}
