// Saved versions of flows (the server's internal history) as documents: the
// `nodeforge-history:` scheme serves any version, so VS Code's diff editor can compare
// it with the working file.
import * as vscode from "vscode";
import type { ServerApi } from "./client";
import { HISTORY_SCHEME, ServerCommand } from "./ids";

export interface Revision {
  commit: string;
  short: string;
  time: string;
  author: string;
  message: string;
  node_versions: string[];
}

/** The URI of version `rev` of the flow at `flowPath` (an absolute file path). */
export function historyUri(flowPath: string, rev: string): vscode.Uri {
  return vscode.Uri.from({
    scheme: HISTORY_SCHEME,
    path: flowPath,
    query: `rev=${encodeURIComponent(rev)}`,
  });
}

/** The flow path and revision of a `nodeforge-history:` URI. */
export function parseHistoryUri(uri: vscode.Uri): { flow: string; rev: string } {
  if (uri.scheme !== HISTORY_SCHEME) {
    throw new Error(`not a ${HISTORY_SCHEME}: URI: ${uri.toString()}`);
  }
  const match = /(?:^|&)rev=([^&]*)/.exec(uri.query);
  if (match === null || match[1] === "") {
    throw new Error(`${uri.toString()} names no revision (rev=...)`);
  }
  return { flow: uri.path, rev: decodeURIComponent(match[1]) };
}

export class HistoryContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly server: ServerApi) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const { flow, rev } = parseHistoryUri(uri);
    const answer = await this.server.execute<{ text: string }>(ServerCommand.historyRead, {
      flow,
      rev,
    });
    return answer.text;
  }
}

/** Open VS Code's diff editor: saved version `rev` on the left, the working file right. */
export async function openRevisionDiff(flow: vscode.Uri, revision: Revision): Promise<void> {
  const name = flow.path.split("/").pop() ?? flow.path;
  const when = revision.time.replace("T", " ").replace(/\+00:00$|Z$/, " UTC");
  await vscode.commands.executeCommand(
    "vscode.diff",
    historyUri(flow.fsPath, revision.commit),
    flow,
    `${name} (${revision.short}, ${when}) ↔ working copy`,
  );
}

export class RevisionItem extends vscode.TreeItem {
  constructor(
    public readonly flow: vscode.Uri,
    public readonly revision: Revision,
  ) {
    super(revision.message || "(no message)", vscode.TreeItemCollapsibleState.None);
    this.description = `${revision.short} · ${revision.time.replace("T", " ").slice(0, 16)}`;
    this.tooltip = new vscode.MarkdownString(
      `**${revision.message}**\n\n${revision.commit}\n\n${revision.author}, ${revision.time}\n\n` +
        revision.node_versions.map((v) => `- \`${v}\``).join("\n"),
    );
    this.iconPath = new vscode.ThemeIcon("git-commit");
    this.contextValue = "revision";
    this.command = {
      command: "nodeforge.history.openRevision",
      title: "Compare with Working Copy",
      arguments: [this],
    };
  }
}

/** The history of the active flow. */
export class HistoryTreeProvider implements vscode.TreeDataProvider<RevisionItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private flow: vscode.Uri | undefined;

  constructor(private readonly server: ServerApi) {}

  /** Show the history of `flow` (a `*.flow.json` file); other documents are ignored. */
  follow(flow: vscode.Uri | undefined): void {
    if (flow === undefined || flow.scheme !== "file" || !flow.path.endsWith(".flow.json")) {
      return;
    }
    if (this.flow?.toString() !== flow.toString()) {
      this.flow = flow;
      this.changed.fire();
    }
  }

  get current(): vscode.Uri | undefined {
    return this.flow;
  }

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(item: RevisionItem): vscode.TreeItem {
    return item;
  }

  async getChildren(): Promise<RevisionItem[]> {
    const flow = this.flow;
    if (flow === undefined) {
      return [];
    }
    const revisions = await this.server.execute<Revision[]>(ServerCommand.historyList, {
      flow: flow.fsPath,
      limit: 100,
    });
    return revisions.map((r) => new RevisionItem(flow, r));
  }
}
