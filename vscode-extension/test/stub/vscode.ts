// A small fake of the `vscode` module: what the extension (and vscode-languageclient at
// load time) uses, recording calls and answering prompts from scripted queues.
import * as nodePath from "path";

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  fired: T[] = [];
  event = (listener: (e: T) => void): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
  };
  fire(e: T): void {
    this.fired.push(e);
    this.listeners.forEach((l) => l(e));
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static file(p: string): Uri {
    return new Uri("file", "", nodePath.resolve(p), "", "");
  }
  static parse(value: string): Uri {
    const m = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value);
    if (m === null) {
      throw new Error(`bad URI ${value}`);
    }
    return new Uri(m[1], m[2] ?? "", decodeURIComponent(m[3] ?? ""), m[4] ?? "", m[5] ?? "");
  }
  static from(c: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(c.scheme, c.authority ?? "", c.path ?? "", c.query ?? "", c.fragment ?? "");
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, base.authority, nodePath.posix.join(base.path, ...parts), "", "");
  }
  get fsPath(): string {
    return this.path;
  }
  with(c: { scheme?: string; path?: string; query?: string }): Uri {
    return new Uri(c.scheme ?? this.scheme, this.authority, c.path ?? this.path, c.query ?? this.query, this.fragment);
  }
  toString(): string {
    const auth = this.scheme === "file" || this.authority ? `//${this.authority}` : "";
    return `${this.scheme}:${auth}${encodeURI(this.path)}${this.query ? "?" + this.query : ""}`;
  }
  toJSON(): unknown {
    return this.toString();
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    if (typeof a === "number") {
      this.start = new Position(a, b as number);
      this.end = new Position(c as number, d as number);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
}

export class Selection extends Range {
  get active(): Position {
    return this.end;
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  description?: string;
  tooltip?: unknown;
  contextValue?: string;
  iconPath?: unknown;
  command?: { command: string; title: string; arguments?: unknown[] };
  resourceUri?: Uri;
  constructor(
    public label: string,
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export class ThemeIcon {
  constructor(readonly id: string) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
export class MarkdownString {
  constructor(readonly value: string = "") {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum TaskRevealKind {
  Always = 1,
  Silent = 2,
  Never = 3,
}
export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}

export class TaskGroup {
  static Build = new TaskGroup("build");
  static Test = new TaskGroup("test");
  static Clean = new TaskGroup("clean");
  static Rebuild = new TaskGroup("rebuild");
  constructor(readonly id: string) {}
}

export class ProcessExecution {
  constructor(
    readonly process: string,
    readonly args: string[],
    readonly options?: { cwd?: string },
  ) {}
}

export class ShellExecution {
  constructor(
    readonly commandLine: string,
    readonly options?: unknown,
  ) {}
}

export class Task {
  group?: TaskGroup;
  isBackground = false;
  presentationOptions: unknown = {};
  constructor(
    readonly definition: { type: string; [k: string]: unknown },
    readonly scope: unknown,
    readonly name: string,
    readonly source: string,
    readonly execution: unknown,
    readonly problemMatchers: string[] = [],
  ) {}
}

export class DebugAdapterExecutable {
  constructor(
    readonly command: string,
    readonly args: string[] = [],
  ) {}
}

// -- recorded state and scripted answers ---------------------------------------------------

export interface Recorded {
  commands: Map<string, (...args: unknown[]) => unknown>;
  executed: { command: string; args: unknown[] }[];
  messages: { level: "info" | "warning" | "error"; text: string; items: unknown[] }[];
  treeProviders: Map<string, unknown>;
  contentProviders: Map<string, unknown>;
  taskProviders: Map<string, unknown>;
  debugFactories: Map<string, unknown>;
  debugProviders: Map<string, unknown>;
  debugSessions: unknown[];
  tasks: Task[];
  outputs: Map<string, { lines: string[]; shown: number }>;
  statusItems: { text: string; tooltip?: unknown; command?: unknown; visible: boolean }[];
  webviews: { title: string; html: string; posted: unknown[]; receive?: (m: unknown) => unknown }[];
  shownDocuments: { uri: string; selection?: Range }[];
  opened: string[];
  contexts: Map<string, unknown>;
}

export const recorded: Recorded = newRecorded();

function newRecorded(): Recorded {
  return {
    commands: new Map(),
    executed: [],
    messages: [],
    treeProviders: new Map(),
    contentProviders: new Map(),
    taskProviders: new Map(),
    debugFactories: new Map(),
    debugProviders: new Map(),
    debugSessions: [],
    tasks: [],
    outputs: new Map(),
    statusItems: [],
    webviews: [],
    shownDocuments: [],
    opened: [],
    contexts: new Map(),
  };
}

/** Answers for quick picks, input boxes, messages with items, open dialogs, in order. */
export const answers: unknown[] = [];
export const settings = new Map<string, unknown>();
export const files = new Map<string, string>();

function nextAnswer(): unknown {
  return answers.length > 0 ? answers.shift() : undefined;
}

export function reset(): void {
  Object.assign(recorded, newRecorded());
  answers.length = 0;
  settings.clear();
  files.clear();
  textDocuments.length = 0;
  window.activeTextEditor = undefined;
  workspace.workspaceFolders = undefined;
}

export class FakeDocument {
  isDirty = false;
  saved = 0;
  version = 1;
  languageId = "nodeforge-flow";
  constructor(
    readonly uri: Uri,
    private text: string,
  ) {}
  getText(): string {
    return this.text;
  }
  setText(text: string): void {
    this.text = text;
    this.isDirty = true;
    this.version++;
  }
  positionAt(offset: number): Position {
    const before = this.text.slice(0, offset);
    const lines = before.split("\n");
    return new Position(lines.length - 1, lines[lines.length - 1].length);
  }
  offsetAt(position: Position): number {
    const lines = this.text.split("\n");
    let offset = 0;
    for (let i = 0; i < position.line; i++) {
      offset += lines[i].length + 1;
    }
    return offset + position.character;
  }
  async save(): Promise<boolean> {
    this.isDirty = false;
    this.saved++;
    files.set(this.uri.fsPath, this.text);
    return true;
  }
}

export const textDocuments: FakeDocument[] = [];

export function openDocument(file: string, text: string, cursor?: number): FakeDocument {
  const document = new FakeDocument(Uri.file(file), text);
  files.set(document.uri.fsPath, text);
  textDocuments.push(document);
  const at = document.positionAt(cursor ?? 0);
  window.activeTextEditor = { document, selection: new Selection(at, at) } as never;
  return document;
}

function output(name: string) {
  const channel = { lines: [] as string[], shown: 0 };
  recorded.outputs.set(name, channel);
  return {
    name,
    append: (text: string) => channel.lines.push(text),
    appendLine: (text: string) => channel.lines.push(text),
    replace: (text: string) => (channel.lines = [text]),
    clear: () => (channel.lines.length = 0),
    show: () => channel.shown++,
    hide: () => undefined,
    dispose: () => undefined,
  };
}

function message(level: "info" | "warning" | "error") {
  return async (text: string, ...items: unknown[]): Promise<unknown> => {
    recorded.messages.push({ level, text, items });
    const real = items.filter((i) => typeof i === "string");
    return real.length > 0 ? nextAnswer() : undefined;
  };
}

export const window = {
  activeTextEditor: undefined as { document: FakeDocument; selection: Selection } | undefined,
  visibleTextEditors: [] as { document: FakeDocument; viewColumn?: number }[],
  createOutputChannel: (name: string) => output(name),
  createStatusBarItem: () => {
    const item = { text: "", tooltip: undefined as unknown, command: undefined as unknown, backgroundColor: undefined as unknown, visible: false, show() { this.visible = true; }, hide() { this.visible = false; }, dispose() {} };
    recorded.statusItems.push(item);
    return item;
  },
  showInformationMessage: message("info"),
  showWarningMessage: message("warning"),
  showErrorMessage: message("error"),
  showQuickPick: async (items: unknown[] | Promise<unknown[]>, _options?: unknown): Promise<unknown> => {
    const list = await items;
    const answer = nextAnswer();
    if (typeof answer === "function") {
      return (answer as (items: unknown[]) => unknown)(list);
    }
    return answer;
  },
  showInputBox: async (options?: { validateInput?: (v: string) => unknown }): Promise<unknown> => {
    const answer = nextAnswer();
    if (typeof answer === "string" && options?.validateInput) {
      const problem = options.validateInput(answer);
      if (problem) {
        throw new Error(`input ${answer} refused: ${String(problem)}`);
      }
    }
    return answer;
  },
  showOpenDialog: async (): Promise<unknown> => nextAnswer(),
  showTextDocument: async (doc: FakeDocument | Uri, options?: { selection?: Range }) => {
    const uri = doc instanceof Uri ? doc : doc.uri;
    recorded.shownDocuments.push({ uri: uri.toString(), selection: options?.selection });
    return {};
  },
  withProgress: async (_options: unknown, task: (p: unknown, t: unknown) => Promise<unknown>) =>
    task({ report: () => undefined }, { isCancellationRequested: false }),
  registerTreeDataProvider: (id: string, provider: unknown) => {
    recorded.treeProviders.set(id, provider);
    return new Disposable();
  },
  createTreeView: (id: string, options: { treeDataProvider: unknown }) => {
    recorded.treeProviders.set(id, options.treeDataProvider);
    return { dispose: () => undefined, reveal: async () => undefined };
  },
  createWebviewPanel: (_type: string, title: string) => {
    const entry: Recorded["webviews"][number] = { title, html: "", posted: [] };
    recorded.webviews.push(entry);
    const webview = {
      cspSource: "vscode-resource:",
      set html(v: string) {
        entry.html = v;
      },
      get html() {
        return entry.html;
      },
      asWebviewUri: (u: Uri) => u,
      postMessage: async (m: unknown) => {
        entry.posted.push(m);
        return true;
      },
      onDidReceiveMessage: (fn: (m: unknown) => unknown) => {
        entry.receive = fn;
        return new Disposable();
      },
    };
    return {
      webview,
      reveal: () => undefined,
      onDidDispose: () => new Disposable(),
      dispose: () => undefined,
    };
  },
  onDidChangeActiveTextEditor: () => new Disposable(),
};

export const commands = {
  registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
    if (recorded.commands.has(id)) {
      throw new Error(`command '${id}' already exists`);
    }
    recorded.commands.set(id, fn);
    return new Disposable(() => recorded.commands.delete(id));
  },
  executeCommand: async (command: string, ...args: unknown[]) => {
    recorded.executed.push({ command, args });
    if (command === "setContext") {
      recorded.contexts.set(String(args[0]), args[1]);
      return undefined;
    }
    const own = recorded.commands.get(command);
    return own ? own(...args) : undefined;
  },
  getCommands: async () => [...recorded.commands.keys()],
};

function configuration(section?: string) {
  const prefix = section ? `${section}.` : "";
  return {
    get: <T>(key: string, fallback?: T): T | undefined => {
      const full = prefix + key;
      return settings.has(full) ? (settings.get(full) as T) : fallback;
    },
    has: (key: string) => settings.has(prefix + key),
    inspect: () => undefined,
    update: async (key: string, value: unknown) => {
      settings.set(prefix + key, value);
    },
  };
}

export const workspace = {
  workspaceFolders: undefined as { uri: Uri; name: string; index: number }[] | undefined,
  textDocuments,
  getConfiguration: configuration,
  onDidChangeConfiguration: () => new Disposable(),
  onDidChangeTextDocument: () => new Disposable(),
  onDidSaveTextDocument: () => new Disposable(),
  onDidOpenTextDocument: () => new Disposable(),
  onDidCloseTextDocument: () => new Disposable(),
  onDidChangeWorkspaceFolders: () => new Disposable(),
  createFileSystemWatcher: () => ({
    onDidCreate: () => new Disposable(),
    onDidChange: () => new Disposable(),
    onDidDelete: () => new Disposable(),
    dispose: () => undefined,
  }),
  registerTextDocumentContentProvider: (scheme: string, provider: unknown) => {
    recorded.contentProviders.set(scheme, provider);
    return new Disposable();
  },
  getWorkspaceFolder: (uri: Uri) =>
    (workspace.workspaceFolders ?? []).find((f) => uri.fsPath.startsWith(f.uri.fsPath + nodePath.sep)),
  asRelativePath: (uri: Uri | string) => {
    const p = typeof uri === "string" ? uri : uri.fsPath;
    const folder = (workspace.workspaceFolders ?? [])[0];
    return folder ? nodePath.relative(folder.uri.fsPath, p) : p;
  },
  findFiles: async (_include: string) =>
    [...files.keys()].filter((f) => f.endsWith(".flow.json")).map((f) => Uri.file(f)),
  openTextDocument: async (uri: Uri) => {
    recorded.opened.push(uri.toString());
    const open = textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) {
      return open;
    }
    const text = files.get(uri.fsPath);
    if (text === undefined) {
      throw new Error(`no file ${uri.fsPath}`);
    }
    const doc = new FakeDocument(uri, text);
    textDocuments.push(doc);
    return doc;
  },
  fs: {
    readFile: async (uri: Uri) => {
      const text = files.get(uri.fsPath);
      if (text === undefined) {
        throw new Error(`no file ${uri.fsPath}`);
      }
      return new TextEncoder().encode(text);
    },
  },
};

export const languages = {
  onDidChangeDiagnostics: () => new Disposable(),
  createDiagnosticCollection: () => ({ set: () => undefined, delete: () => undefined, clear: () => undefined, dispose: () => undefined }),
};

export const tasks = {
  registerTaskProvider: (type: string, provider: unknown) => {
    recorded.taskProviders.set(type, provider);
    return new Disposable();
  },
  executeTask: async (task: Task) => {
    recorded.tasks.push(task);
    return { task, terminate: () => undefined };
  },
};

export const debug = {
  registerDebugAdapterDescriptorFactory: (type: string, factory: unknown) => {
    recorded.debugFactories.set(type, factory);
    return new Disposable();
  },
  registerDebugConfigurationProvider: (type: string, provider: unknown) => {
    recorded.debugProviders.set(type, provider);
    return new Disposable();
  },
  startDebugging: async (_folder: unknown, config: unknown) => {
    recorded.debugSessions.push(config);
    return true;
  },
};

export const env = {
  openExternal: async (uri: Uri) => {
    recorded.opened.push(uri.toString());
    return true;
  },
  clipboard: { writeText: async () => undefined },
  appName: "fake",
  machineId: "fake",
  language: "en",
};

export const extensions = { getExtension: () => undefined, all: [] };
export const version = "1.90.0";

// vscode-languageclient subclasses and reads many more names at load time; unknown names
// get a do-nothing class so that it loads (the tests never start a real client).
class Unknown {
  constructor(..._args: unknown[]) {}
}
declare const module: { exports: Record<string | symbol, unknown> };
module.exports = new Proxy(module.exports, {
  get(target, name) {
    if (name in target || typeof name === "symbol" || name === "then" || name === "default") {
      return target[name];
    }
    return Unknown;
  },
});
