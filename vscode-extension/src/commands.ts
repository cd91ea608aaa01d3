// Every command of the extension: what each one asks the user, which server command
// (`workspace/executeCommand`, docs/lsp.md) or CLI task it runs, and what it shows.
import { execFile } from "child_process";
import * as path from "path";
import * as vscode from "vscode";
import type { ServerApi } from "./client";
import { launchConfiguration } from "./debug";
import { FlowOutline, nodeAt, parseFlow } from "./flows";
import { HistoryTreeProvider, Revision, RevisionItem, openRevisionDiff } from "./history";
import { ServerCommand, TASK_TYPE } from "./ids";
import { findWorkspaceRoot, pickInput } from "./inputs";
import type { BuildState } from "./status";
import { TaskCommand, createTask } from "./tasks";
import {
  ConnectorInfo,
  ConnectorItem,
  ConnectorsTreeProvider,
  FlowItem,
  FlowsTreeProvider,
  NodeItem,
  RunsTreeProvider,
  FLOW_EXCLUDE,
  FLOW_GLOB,
  readFlowText,
  revealNode,
} from "./views";

export interface CommandContext {
  server: ServerApi;
  /** Build output, results of tests and simulations. */
  output: vscode.OutputChannel;
  /** The running app's log. */
  appOutput: vscode.OutputChannel;
  setBuild(state: BuildState, detail?: string): void;
  setApp(address: string | undefined): void;
  app(): string | undefined;
  flows: FlowsTreeProvider;
  history: HistoryTreeProvider;
  connectors: ConnectorsTreeProvider;
  runs: RunsTreeProvider;
  showGraph(document: vscode.TextDocument): void;
  executable(): string;
  restartServer(): Promise<unknown>;
}

export type Handler = (...args: unknown[]) => unknown;

// -- results of the server's commands (docs/lsp.md) -------------------------------------------

export interface BuildResult {
  state: string;
  binary: string | null;
  seconds: number;
  problems: number;
  output: string;
}

export interface RunResult {
  running: boolean;
  pid?: number;
  addr?: string;
  build: BuildResult;
}

// -- targets ------------------------------------------------------------------------------------

function isFlowUri(uri: vscode.Uri): boolean {
  return uri.path.endsWith(".flow.json");
}

/** The flow a command acts on: from its argument (an explorer or editor URI, a code
 * lens's URI string, a tree item, a history item), else the active editor's flow, else
 * one the user picks. */
export async function flowTarget(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  if (typeof arg === "string" && arg !== "") {
    return arg.includes(":") ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  }
  if (arg instanceof FlowItem || arg instanceof NodeItem || arg instanceof RevisionItem) {
    return arg instanceof RevisionItem ? arg.flow : arg.uri;
  }
  const editor = vscode.window.activeTextEditor;
  if (editor !== undefined && isFlowUri(editor.document.uri)) {
    return editor.document.uri;
  }
  const files = await vscode.workspace.findFiles(FLOW_GLOB, FLOW_EXCLUDE);
  if (files.length === 1) {
    return files[0];
  }
  const picked = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri, false), uri })),
    { placeHolder: "Which flow?" },
  );
  return picked?.uri;
}

/** The node a command acts on: a tree item's, a lens's id, the one at the cursor, or picked. */
export async function nodeTarget(
  uri: vscode.Uri,
  outline: FlowOutline,
  arg: unknown,
  second: unknown,
  filter: (trigger: boolean) => boolean = () => true,
): Promise<string | undefined> {
  if (arg instanceof NodeItem) {
    return arg.node.id;
  }
  if (typeof second === "string" && second !== "") {
    return second;
  }
  const editor = vscode.window.activeTextEditor;
  if (editor !== undefined && editor.document.uri.toString() === uri.toString()) {
    const here = nodeAt(editor.document.getText(), editor.document.offsetAt(editor.selection.active));
    if (here !== undefined && filter(here.trigger)) {
      return here.id;
    }
  }
  const candidates = outline.nodes.filter((n) => filter(n.trigger));
  if (candidates.length === 1) {
    return candidates[0].id;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((n) => ({ label: n.id, description: `${n.type}@${n.version}` })),
    { placeHolder: "Which node?" },
  );
  return picked?.label;
}

async function openFlow(uri: vscode.Uri): Promise<vscode.TextDocument> {
  // The server runs tests and simulations on open documents (the buffer's text).
  return vscode.workspace.openTextDocument(uri);
}

async function saveDirtyFlows(): Promise<void> {
  for (const document of vscode.workspace.textDocuments) {
    if (document.isDirty && isFlowUri(document.uri)) {
      await document.save();
    }
  }
}

function workspaceFolderOf(uri: vscode.Uri | undefined): vscode.WorkspaceFolder | undefined {
  return (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

// -- the commands -----------------------------------------------------------------------------

export function commandHandlers(ctx: CommandContext): Record<string, Handler> {
  const { server, output } = ctx;

  async function build(arg?: unknown): Promise<BuildResult | undefined> {
    const uri = await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    await saveDirtyFlows();
    ctx.setBuild("building");
    output.appendLine(`$ build ${uri.fsPath}`);
    try {
      const result = await server.execute<BuildResult>(ServerCommand.build, { uri: uri.toString() });
      reportBuild(result);
      return result;
    } catch (error) {
      ctx.setBuild("failed", String(error));
      throw error;
    }
  }

  function reportBuild(result: BuildResult): void {
    if (result.output.trim() !== "") {
      output.appendLine(result.output.trimEnd());
    }
    if (result.state === "succeeded") {
      output.appendLine(`build succeeded in ${result.seconds.toFixed(1)} s: ${result.binary ?? ""}`);
      ctx.setBuild("succeeded", `${result.binary ?? ""} (${result.seconds.toFixed(1)} s)`);
    } else {
      const detail = result.problems > 0 ? `${result.problems} problem(s) in the flows` : result.state;
      output.appendLine(`build failed: ${detail}`);
      ctx.setBuild("failed", detail);
      output.show(true);
    }
  }

  async function run(arg?: unknown, trigger?: unknown): Promise<RunResult | undefined> {
    const uri = await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    await saveDirtyFlows();
    const address = vscode.workspace.getConfiguration("nodeforge").get<string>("app.address");
    const params: Record<string, unknown> = { uri: uri.toString() };
    if (typeof trigger === "string" && trigger !== "") {
      params.trigger = trigger;
    }
    if (address) {
      params.addr = address;
    }
    ctx.setBuild("building");
    ctx.appOutput.appendLine(`--- run ${uri.fsPath}`);
    let result: RunResult;
    try {
      result = await server.execute<RunResult>(ServerCommand.run, params);
    } catch (error) {
      ctx.setBuild("failed", String(error));
      throw error;
    }
    reportBuild(result.build);
    ctx.setApp(result.running ? result.addr : undefined);
    if (result.running) {
      ctx.runs.log.clear();
      ctx.runs.refresh();
    }
    return result;
  }

  async function stop(): Promise<unknown> {
    const result = await server.execute<{ stopped: boolean; exit_code?: number; reason?: string }>(
      ServerCommand.stop,
      {},
    );
    ctx.setApp(undefined);
    if (!result.stopped) {
      void vscode.window.showInformationMessage(`Nodeforge: ${result.reason ?? "no app is running"}`);
    }
    return result;
  }

  async function runTask(command: TaskCommand, arg?: unknown): Promise<unknown> {
    const uri = arg === undefined && command !== "test" ? undefined : await flowTarget(arg);
    const folder = workspaceFolderOf(uri ?? vscode.window.activeTextEditor?.document.uri);
    if (folder === undefined) {
      throw new Error("open a workspace folder first");
    }
    const target = uri ? path.relative(folder.uri.fsPath, uri.fsPath) || "." : undefined;
    const task = createTask({ type: TASK_TYPE, command, path: target }, folder, ctx.executable());
    return vscode.tasks.executeTask(task);
  }

  async function testNode(arg?: unknown, node?: unknown): Promise<unknown> {
    const uri = await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    const document = await openFlow(uri);
    const outline = parseFlow(document.getText());
    const id = await nodeTarget(uri, outline, arg, node);
    if (id === undefined) {
      return undefined;
    }
    const isTrigger = outline.nodes.find((n) => n.id === id)?.trigger ?? false;
    const input = await pickInput(uri.fsPath, outline, `node ${id}`, isTrigger ? id : undefined);
    if (input === undefined) {
      return undefined;
    }
    output.appendLine(`$ test node ${id} (${uri.fsPath})`);
    const result = await server.execute<Record<string, unknown>>(ServerCommand.testNode, {
      uri: document.uri.toString(),
      node: id,
      input: input.value,
    });
    output.appendLine(json(result));
    output.show(true);
    const status = String(result.status);
    const detail = typeof result.message === "string" && result.message !== "" ? ` (${result.message})` : "";
    const message = `Nodeforge: node ${id}: ${status}${detail}`;
    if (status === "ok" || status === "passed" || status === "succeeded") {
      void vscode.window.showInformationMessage(message);
    } else {
      void vscode.window.showWarningMessage(message);
    }
    return result;
  }

  async function simulate(arg?: unknown, trigger?: unknown): Promise<unknown> {
    const uri = await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    const document = await openFlow(uri);
    const outline = parseFlow(document.getText());
    const fired =
      arg instanceof NodeItem && arg.node.trigger
        ? arg.node.id
        : await nodeTarget(uri, outline, undefined, trigger, (t) => t);
    if (fired === undefined) {
      return undefined;
    }
    const input = await pickInput(uri.fsPath, outline, `simulating ${fired}`, fired);
    if (input === undefined) {
      return undefined;
    }
    output.appendLine(`$ simulate ${uri.fsPath} (trigger ${fired})`);
    const result = await server.execute<Record<string, unknown>>(ServerCommand.simulate, {
      uri: document.uri.toString(),
      trigger: fired,
      input: input.value,
      values: false,
    });
    const nodes = (result.nodes ?? {}) as Record<string, { status?: string }>;
    for (const [id, facts] of Object.entries(nodes)) {
      output.appendLine(`  ${id}: ${facts.status ?? "?"}`);
    }
    if (result.response !== undefined && result.response !== null) {
      output.appendLine(`response: ${json(result.response)}`);
    }
    if (result.error) {
      output.appendLine(`error: ${json(result.error)}`);
    }
    output.appendLine(`simulation ${String(result.status)} in ${String(result.duration_ms)} ms`);
    output.show(true);
    if (typeof result.session === "string") {
      void server.execute(ServerCommand.stopSimulation, { session: result.session }).catch(() => undefined);
    }
    return result;
  }

  async function debugFlow(arg?: unknown, trigger?: unknown): Promise<unknown> {
    const uri = await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    const fired = arg instanceof NodeItem && arg.node.trigger ? arg.node.id : (trigger as string | undefined);
    return vscode.debug.startDebugging(workspaceFolderOf(uri), launchConfiguration(uri.fsPath, fired));
  }

  async function saveWithMessage(arg?: unknown): Promise<unknown> {
    const uri = await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    const message = await vscode.window.showInputBox({
      title: "Save flow version",
      prompt: "What changed?",
      validateInput: (m) => (m.trim() === "" ? "a message is required" : undefined),
    });
    if (message === undefined) {
      return undefined;
    }
    const document = await openFlow(uri);
    // Commit the buffer with the message first: the editor save that follows records
    // the same canonical text again, which the history takes as no change.
    const result = await server.execute<{ commit: string; created: boolean }>(ServerCommand.historySave, {
      flow: uri.fsPath,
      message: message.trim(),
      text: document.getText(),
    });
    if (document.isDirty) {
      await document.save();
    }
    ctx.history.follow(uri);
    ctx.history.refresh();
    void vscode.window.showInformationMessage(
      result.created
        ? `Nodeforge: saved version ${result.commit.slice(0, 10)}`
        : `Nodeforge: no change since version ${result.commit.slice(0, 10)}`,
    );
    return result;
  }

  async function pickRevision(uri: vscode.Uri, placeHolder: string): Promise<Revision | undefined> {
    const revisions = await server.execute<Revision[]>(ServerCommand.historyList, { flow: uri.fsPath, limit: 200 });
    if (revisions.length === 0) {
      void vscode.window.showInformationMessage("Nodeforge: this flow has no saved versions yet.");
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      revisions.map((r) => ({
        label: r.message || "(no message)",
        description: `${r.short} · ${r.time.replace("T", " ").slice(0, 16)}`,
        detail: r.author,
        revision: r,
      })),
      { placeHolder },
    );
    return picked?.revision;
  }

  async function history(arg?: unknown): Promise<unknown> {
    const uri = await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    ctx.history.follow(uri);
    const revision = await pickRevision(uri, "Open a saved version beside the working copy");
    if (revision !== undefined) {
      await openRevisionDiff(uri, revision);
    }
    return revision;
  }

  async function diff(arg?: unknown): Promise<unknown> {
    const uri = arg instanceof RevisionItem ? arg.flow : await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    const revision =
      arg instanceof RevisionItem ? arg.revision : await pickRevision(uri, "Compare the working copy with…");
    if (revision === undefined) {
      return undefined;
    }
    const changes = await server.execute<{ a_label: string; b_label: string } & Record<string, unknown[]>>(
      ServerCommand.historyDiff,
      { flow: uri.fsPath, a: revision.commit },
    );
    output.appendLine(`--- ${changes.a_label}\n+++ ${changes.b_label}`);
    for (const key of ["nodes_added", "nodes_removed", "nodes_changed", "connections_added", "connections_removed"]) {
      const items = changes[key] ?? [];
      if (items.length > 0) {
        output.appendLine(`${key.replace("_", " ")}: ${items.map((i) => (typeof i === "string" ? i : (i as { id: string }).id)).join(", ")}`);
      }
    }
    await openRevisionDiff(uri, revision);
    return changes;
  }

  async function restore(arg?: unknown): Promise<unknown> {
    const uri = arg instanceof RevisionItem ? arg.flow : await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    const revision = arg instanceof RevisionItem ? arg.revision : await pickRevision(uri, "Restore which version?");
    if (revision === undefined) {
      return undefined;
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const dirty = open?.isDirty ?? false;
    const answer = await vscode.window.showWarningMessage(
      `Restore ${path.basename(uri.fsPath)} to version ${revision.short} ("${revision.message}")?` +
        (dirty ? " Your unsaved edits will be discarded." : ""),
      { modal: true },
      "Restore",
    );
    if (answer !== "Restore") {
      return undefined;
    }
    const result = await server.execute(ServerCommand.historyRestore, {
      flow: uri.fsPath,
      rev: revision.commit,
      force: dirty,
      dirty,
    });
    if (dirty && open !== undefined) {
      await vscode.window.showTextDocument(open);
      await vscode.commands.executeCommand("workbench.action.files.revert");
    }
    ctx.history.refresh();
    void vscode.window.showInformationMessage(`Nodeforge: restored version ${revision.short}`);
    return result;
  }

  async function connectorName(arg: unknown, placeHolder: string): Promise<string | undefined> {
    if (arg instanceof ConnectorItem) {
      return arg.connector.name;
    }
    if (typeof arg === "string" && arg !== "") {
      return arg;
    }
    const list = await server.execute<ConnectorInfo[]>(ServerCommand.connectorList, {});
    if (list.length === 0) {
      void vscode.window.showInformationMessage("Nodeforge: the workspace has no connectors.");
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      list.map((c) => ({ label: c.name, description: c.type })),
      { placeHolder },
    );
    return picked?.label;
  }

  async function connectorAdd(): Promise<unknown> {
    const folder = workspaceFolderOf(vscode.window.activeTextEditor?.document.uri);
    const root = folder ? findWorkspaceRoot(folder.uri.fsPath) ?? folder.uri.fsPath : undefined;
    if (root === undefined) {
      throw new Error("open a Nodeforge workspace (a folder with nodeforge.toml) first");
    }
    type Field = { name: string; description: string; required: boolean; secret: boolean; default: string | null };
    const types = await server.execute<Record<string, Field[]>>(ServerCommand.connectorTypes, {});
    const kind = await vscode.window.showQuickPick(Object.keys(types).sort(), { placeHolder: "Connector type" });
    if (kind === undefined) {
      return undefined;
    }
    const name = await vscode.window.showInputBox({
      title: `New ${kind} connector`,
      prompt: "Name (what nodes put in config.connector)",
      validateInput: (n) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(n) ? undefined : "letters, digits, _ and -"),
    });
    if (name === undefined) {
      return undefined;
    }
    const settings: Record<string, string> = {};
    for (const field of types[kind]) {
      const value = await vscode.window.showInputBox({
        title: `${name}: ${field.name}${field.required ? "" : " (optional)"}`,
        prompt: field.description,
        placeHolder: field.default ?? "",
        password: field.secret,
        ignoreFocusOut: true,
        validateInput: (v) => (field.required && v === "" && !field.default ? "required" : undefined),
      });
      if (value === undefined) {
        return undefined;
      }
      if (value !== "") {
        settings[field.name] = value;
      }
    }
    // Settings go to the CLI on stdin: secrets never travel in LSP messages, command
    // lines or logs.
    await addConnectorWithCli(ctx.executable(), root, name, kind, settings);
    ctx.connectors.refresh();
    void vscode.window.showInformationMessage(`Nodeforge: connector ${name} added (settings encrypted).`);
    return name;
  }

  async function connectorTest(arg?: unknown): Promise<unknown> {
    const name = await connectorName(arg, "Test which connector?");
    if (name === undefined) {
      return undefined;
    }
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Testing connector ${name}…` },
      () => server.execute<{ ok: boolean; message: string; elapsed_ms: number }>(ServerCommand.connectorTest, { name }),
    );
    const text = `Nodeforge: connector ${name}: ${result.message} (${result.elapsed_ms} ms)`;
    if (result.ok) {
      void vscode.window.showInformationMessage(text);
    } else {
      void vscode.window.showErrorMessage(text);
    }
    return result;
  }

  async function connectorList(): Promise<unknown> {
    const list = await server.execute<ConnectorInfo[]>(ServerCommand.connectorList, {});
    output.appendLine("connectors:");
    for (const c of list) {
      output.appendLine(`  ${c.name} (${c.type})${c.problems.length ? ": " + c.problems.join("; ") : ""}`);
    }
    output.show(true);
    ctx.connectors.refresh();
    return list;
  }

  async function connectorRemove(arg?: unknown): Promise<unknown> {
    const name = await connectorName(arg, "Remove which connector?");
    if (name === undefined) {
      return undefined;
    }
    const answer = await vscode.window.showWarningMessage(
      `Remove connector ${name} and its stored settings?`,
      { modal: true },
      "Remove",
    );
    if (answer !== "Remove") {
      return undefined;
    }
    const result = await server.execute(ServerCommand.connectorRemove, { name });
    ctx.connectors.refresh();
    return result;
  }

  async function upgradeNodes(arg?: unknown): Promise<unknown> {
    const uri = await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    await saveDirtyFlows();
    type Plan = { path: string; upgrades: { node: string; type: string; from_version: string; to_version: string }[]; new_errors: string[]; conflicts: unknown[] };
    const plans = await server.execute<Plan[]>(ServerCommand.upgradePlan, { flow: uri.fsPath });
    const upgrades = plans.flatMap((p) => p.upgrades);
    if (upgrades.length === 0) {
      void vscode.window.showInformationMessage("Nodeforge: every node is on its newest version.");
      return plans;
    }
    const picked = await vscode.window.showQuickPick(
      upgrades.map((u) => ({
        label: u.node,
        description: `${u.type} ${u.from_version} → ${u.to_version}`,
        picked: true,
      })),
      { canPickMany: true, placeHolder: "Upgrade which nodes? (config migrations are applied)" },
    );
    if (picked === undefined || picked.length === 0) {
      return undefined;
    }
    const warnings = plans.flatMap((p) => p.new_errors);
    let force = false;
    if (warnings.length > 0) {
      const answer = await vscode.window.showWarningMessage(
        `The upgrade would introduce ${warnings.length} error(s): ${warnings[0]}`,
        { modal: true },
        "Upgrade Anyway",
      );
      if (answer !== "Upgrade Anyway") {
        return undefined;
      }
      force = true;
    }
    const result = await server.execute(ServerCommand.upgradeApply, {
      flow: uri.fsPath,
      nodes: picked.map((p) => p.label),
      force,
    });
    void vscode.window.showInformationMessage(`Nodeforge: upgraded ${picked.length} node(s).`);
    return result;
  }

  async function forkNode(arg?: unknown, second?: unknown): Promise<unknown> {
    let typeAtVersion: string | undefined;
    if (arg instanceof NodeItem) {
      typeAtVersion = `${arg.node.type}@${arg.node.version}`;
    } else {
      const uri = await flowTarget(arg);
      if (uri !== undefined) {
        const outline = parseFlow(await readFlowText(uri));
        const id = await nodeTarget(uri, outline, arg, second);
        const node = outline.nodes.find((n) => n.id === id);
        typeAtVersion = node ? `${node.type}@${node.version}` : undefined;
      }
    }
    if (typeAtVersion === undefined) {
      return undefined;
    }
    const suggested = typeAtVersion.split("@")[0].split("/").pop() ?? "node";
    const name = await vscode.window.showInputBox({
      title: `Fork ${typeAtVersion}`,
      prompt: "Name of the custom node type (copied into nodes/)",
      value: `custom/${suggested}`,
    });
    if (name === undefined || name === "") {
      return undefined;
    }
    const result = await server.execute<{ folder: string }>(ServerCommand.forkCreate, { node: typeAtVersion, as: name });
    void vscode.window.showInformationMessage(`Nodeforge: forked ${typeAtVersion} into ${result.folder}`);
    return result;
  }

  async function showGraph(arg?: unknown): Promise<unknown> {
    const uri = await flowTarget(arg);
    if (uri === undefined) {
      return undefined;
    }
    ctx.showGraph(await openFlow(uri));
    return uri;
  }

  async function openRevision(arg?: unknown): Promise<unknown> {
    if (!(arg instanceof RevisionItem)) {
      return history(arg);
    }
    await openRevisionDiff(arg.flow, arg.revision);
    return arg.revision;
  }

  return {
    "nodeforge.restartServer": () => ctx.restartServer(),
    "nodeforge.checkWorkspace": () => runTask("check"),
    "nodeforge.build": build,
    "nodeforge.run": run,
    "nodeforge.stop": stop,
    "nodeforge.watch": () => runTask("watch"),
    "nodeforge.test": (arg?: unknown) => runTask("test", arg),
    "nodeforge.testNode": testNode,
    "nodeforge.simulate": simulate,
    "nodeforge.debugFlow": debugFlow,
    "nodeforge.saveWithMessage": saveWithMessage,
    "nodeforge.history": history,
    "nodeforge.diff": diff,
    "nodeforge.restore": restore,
    "nodeforge.connector.add": connectorAdd,
    "nodeforge.connector.test": connectorTest,
    "nodeforge.connector.list": connectorList,
    "nodeforge.connector.remove": connectorRemove,
    "nodeforge.upgradeNodes": upgradeNodes,
    "nodeforge.forkNode": forkNode,
    "nodeforge.showGraph": showGraph,
    "nodeforge.showOutput": () => output.show(),
    "nodeforge.showAppOutput": () => ctx.appOutput.show(),
    "nodeforge.openApp": async () => {
      const address = ctx.app();
      if (address === undefined) {
        void vscode.window.showInformationMessage("Nodeforge: no app is running (Nodeforge: Run App).");
        return false;
      }
      return vscode.env.openExternal(vscode.Uri.parse(`http://${address}`));
    },
    "nodeforge.revealNode": async (uri?: unknown, node?: unknown) => {
      if (uri instanceof NodeItem) {
        return revealNode(uri.uri, uri.node.id);
      }
      const target = await flowTarget(uri);
      return target && typeof node === "string" ? revealNode(target, node) : false;
    },
    "nodeforge.refreshFlows": () => ctx.flows.refresh(),
    "nodeforge.refreshHistory": () => ctx.history.refresh(),
    "nodeforge.refreshConnectors": () => ctx.connectors.refresh(),
    "nodeforge.clearRuns": () => {
      ctx.runs.log.clear();
      ctx.runs.refresh();
    },
    "nodeforge.history.openRevision": openRevision,
    "nodeforge.history.restoreRevision": restore,
  };
}

/** `nodeforge connector add NAME --type KIND --stdin --no-prompt`, settings on stdin. */
export function addConnectorWithCli(
  executable: string,
  root: string,
  name: string,
  kind: string,
  settings: Record<string, string>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      executable,
      ["connector", "add", name, "--type", kind, "--stdin", "--no-prompt", "--workspace", root],
      { cwd: root, timeout: 60_000 },
      (error, _stdout, stderr) => {
        if (error) {
          reject(new Error(stderr.trim() || error.message));
        } else {
          resolve();
        }
      },
    );
    child.stdin?.end(JSON.stringify(settings));
  });
}

