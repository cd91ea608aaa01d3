// Tree views of the Nodeforge activity bar container: the workspace's flows and their
// nodes, connectors, and the running app's last executions (history is in history.ts).
import * as vscode from "vscode";
import type { ServerApi } from "./client";
import { FlowNode, parseFlow } from "./flows";
import { ServerCommand } from "./ids";
import { AppRun, RunLog, describeRun } from "./runs";

export const FLOW_GLOB = "**/*.flow.json";
export const FLOW_EXCLUDE = "**/{node_modules,.nodeforge,.git}/**";

export class FlowItem extends vscode.TreeItem {
  constructor(
    public readonly uri: vscode.Uri,
    label: string,
    description: string,
  ) {
    super(label, vscode.TreeItemCollapsibleState.Collapsed);
    this.resourceUri = uri;
    this.description = description;
    this.tooltip = uri.fsPath;
    this.contextValue = "flow";
    this.iconPath = new vscode.ThemeIcon("type-hierarchy-sub");
    this.command = { command: "vscode.open", title: "Open Flow", arguments: [uri] };
  }
}

export class NodeItem extends vscode.TreeItem {
  constructor(
    public readonly uri: vscode.Uri,
    public readonly node: FlowNode,
  ) {
    super(node.id, vscode.TreeItemCollapsibleState.None);
    this.description = node.title ? `${node.title} · ${node.type}` : node.type;
    this.tooltip = `${node.type}@${node.version}`;
    this.contextValue = node.trigger ? "trigger" : "node";
    this.iconPath = new vscode.ThemeIcon(node.trigger ? "zap" : "symbol-event");
    this.command = {
      command: "nodeforge.revealNode",
      title: "Reveal Node",
      arguments: [uri, node.id],
    };
  }
}

type FlowTreeItem = FlowItem | NodeItem;

/** Reads a flow's text: the open document's when there is one, else the file's. */
export async function readFlowText(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open !== undefined) {
    return open.getText();
  }
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

export class FlowsTreeProvider implements vscode.TreeDataProvider<FlowTreeItem> {
  private readonly changed = new vscode.EventEmitter<FlowTreeItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(item: FlowTreeItem): vscode.TreeItem {
    return item;
  }

  async getChildren(parent?: FlowTreeItem): Promise<FlowTreeItem[]> {
    if (parent instanceof NodeItem) {
      return [];
    }
    if (parent instanceof FlowItem) {
      const outline = parseFlow(await readFlowText(parent.uri));
      // Triggers first, then the others in file order.
      const nodes = [...outline.nodes.filter((n) => n.trigger), ...outline.nodes.filter((n) => !n.trigger)];
      return nodes.map((n) => new NodeItem(parent.uri, n));
    }
    const files = await vscode.workspace.findFiles(FLOW_GLOB, FLOW_EXCLUDE);
    files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    const items: FlowItem[] = [];
    for (const uri of files) {
      let outline;
      try {
        outline = parseFlow(await readFlowText(uri));
      } catch {
        outline = { nodes: [], tests: [] };
      }
      const relative = vscode.workspace.asRelativePath(uri, false);
      const label = outline.name ?? outline.id ?? relative;
      items.push(new FlowItem(uri, label, relative));
    }
    return items;
  }
}

/** Select a node's `id` in its flow. */
export async function revealNode(uri: vscode.Uri, nodeId: string): Promise<boolean> {
  const document = await vscode.workspace.openTextDocument(uri);
  const node = parseFlow(document.getText()).nodes.find((n) => n.id === nodeId);
  if (node === undefined) {
    void vscode.window.showWarningMessage(`Nodeforge: no node \`${nodeId}\` in ${uri.fsPath}`);
    return false;
  }
  const range = new vscode.Range(
    document.positionAt(node.offset),
    document.positionAt(node.offset + node.length),
  );
  await vscode.window.showTextDocument(document, { selection: range, preserveFocus: false });
  return true;
}

export interface ConnectorInfo {
  name: string;
  type: string;
  declared: boolean;
  stored: boolean;
  settings: Record<string, string>;
  problems: string[];
}

export class ConnectorItem extends vscode.TreeItem {
  constructor(public readonly connector: ConnectorInfo) {
    super(connector.name, vscode.TreeItemCollapsibleState.None);
    const state = connector.problems.length > 0 ? "⚠ " + connector.problems.join("; ") : "";
    this.description = `${connector.type}${state ? " · " + state : ""}`;
    const settings = Object.entries(connector.settings)
      .map(([k, v]) => `- ${k}: \`${v}\``)
      .join("\n");
    this.tooltip = new vscode.MarkdownString(
      `**${connector.name}** (${connector.type})\n\n` +
        `${connector.declared ? "declared in nodeforge.toml" : "not declared in nodeforge.toml"}, ` +
        `${connector.stored ? "settings stored (encrypted)" : "no settings stored"}\n\n${settings}`,
    );
    this.contextValue = "connector";
    this.iconPath = new vscode.ThemeIcon(connector.problems.length > 0 ? "warning" : "plug");
  }
}

export class ConnectorsTreeProvider implements vscode.TreeDataProvider<ConnectorItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly server: ServerApi) {}

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(item: ConnectorItem): vscode.TreeItem {
    return item;
  }

  async getChildren(): Promise<ConnectorItem[]> {
    if ((vscode.workspace.workspaceFolders ?? []).length === 0) {
      return [];
    }
    const connectors = await this.server.execute<ConnectorInfo[]>(ServerCommand.connectorList, {});
    return connectors.map((c) => new ConnectorItem(c));
  }
}

export class RunItem extends vscode.TreeItem {
  constructor(public readonly run: AppRun) {
    const { label, description } = describeRun(run);
    super(label, vscode.TreeItemCollapsibleState.None);
    this.description = description;
    this.tooltip =
      `${run.execution} at ${run.time}\n` +
      (run.nodes.length > 0 ? `nodes: ${run.nodes.join(" → ")}\n` : "") +
      (run.failedNode ? `failed at ${run.failedNode}: ${run.error ?? ""}` : run.error ?? "");
    const icon: Record<AppRun["status"], string> = {
      running: "loading~spin",
      done: "pass",
      failed: "error",
      rejected: "circle-slash",
    };
    this.iconPath = new vscode.ThemeIcon(icon[run.status]);
    this.contextValue = "run";
    this.command = { command: "nodeforge.showAppOutput", title: "Show App Output" };
  }
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(readonly log: RunLog) {}

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  getChildren(): RunItem[] {
    return this.log.list().map((r) => new RunItem(r));
  }
}
