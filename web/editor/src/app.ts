// The editor page: one connection to the gateway, the text pane (CodeMirror with the
// LSP client) holding the open flow, the canvas (web/graph) drawing the server's graph
// view, and the registered panels around them. The text in the language server is the
// model: canvas gestures and form edits become server commands whose edits arrive as
// `workspace/applyEdit` and are applied to the text pane (so undo covers them), and
// every analysis is followed by `nodeforge/graphChanged`, which redraws the canvas.

import { json } from "@codemirror/lang-json";
import { LSPClient, LSPPlugin, languageServerExtensions } from "@codemirror/lsp-client";
import { redo, undo } from "@codemirror/commands";
import { EditorView, basicSetup } from "codemirror";
import { type Canvas, mount as mountCanvas } from "../../graph/src/canvas";
import type { FromCanvas, Range } from "../../graph/src/protocol";
import { parseGraph } from "../../graph/src/protocol";
import { parseCatalog } from "./catalog";
import { el } from "./dom";
import type { CommandCall } from "./commands";
import { clipText, copyNodes, fromCanvas, parseClip, pasteNodes, type Clip } from "./commands";
import type { EditorContext, EditorEvent, EditorState } from "./context";
import { type WorkspaceEdit, editFor, lineStarts, offsetAt, positionAt } from "./edits";
import { EDITOR_CAPABILITIES, answerHousekeeping, pushDiagnosticsOnly } from "./lsp";
import { panels } from "./panels/index";
import { textPaneExtensions } from "./panels/text";
import { Connection, type Socket } from "./rpc";

export interface EditorOptions {
  root: HTMLElement;
  socket: Socket;
  /** The flow to open first (a `file://` URI), else the first the server lists. */
  uri?: string | null;
}

export class Editor implements EditorContext {
  readonly connection: Connection;
  readonly client: LSPClient;
  readonly state: EditorState = { uri: null, graph: null, selection: [], catalog: null };
  canvas!: Canvas;
  view: EditorView | null = null;
  private readonly listeners = new Map<EditorEvent, Set<() => void>>();
  private readonly textHost: HTMLElement;
  private readonly canvasHost: HTMLElement;
  private readonly statusEl: HTMLElement;
  private clip: Clip | null = null;
  private graphRequest = 0;

  constructor(private readonly options: EditorOptions) {
    this.connection = new Connection(options.socket);
    this.connection.rewrite = pushDiagnosticsOnly;
    this.connection.onclose = (reason) => {
      this.status(`Disconnected from the language server: ${reason}. Reload the page to reconnect.`, true);
      this.canvas?.receive({ type: "error", message: "The language server connection closed." });
    };
    answerHousekeeping(this.connection);
    this.connection.handle("workspace/applyEdit", (params) => {
      const p = params as { edit?: WorkspaceEdit; label?: string };
      const failure = p.edit === undefined ? "no edit" : this.applyEdit(p.edit);
      if (failure !== null) this.status(`Edit not applied: ${failure}`, true);
      return failure === null ? { applied: true } : { applied: false, failureReason: failure };
    });
    this.connection.on("nodeforge/graphChanged", (params) => {
      const p = params as { uri?: string; version?: number };
      if (p.uri === this.state.uri) void this.refreshGraph();
    });
    this.client = new LSPClient({
      timeout: 20000,
      extensions: [...languageServerExtensions(), { clientCapabilities: EDITOR_CAPABILITIES }],
    });
    this.client.connect(this.connection.transport);

    const root = options.root;
    root.classList.add("nfe");
    root.replaceChildren();
    const toolbar = el("header", "nfe-toolbar", root);
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Editor toolbar");
    const main = el("div", "nfe-main", root);
    const left = el("aside", "nfe-area nfe-left", main);
    const centre = el("main", "nfe-centre", main);
    const canvasHost = el("section", "nfe-canvas", centre);
    this.canvasHost = canvasHost;
    canvasHost.setAttribute("aria-label", "Flow canvas");
    const bottom = el("div", "nfe-area nfe-bottom", centre);
    const right = el("aside", "nfe-area nfe-right", main);
    this.textHost = el("section", "nfe-text", right);
    this.textHost.setAttribute("aria-label", "Flow text");
    this.statusEl = el("div", "nfe-status", root);
    this.statusEl.setAttribute("role", "status");
    this.statusEl.setAttribute("aria-live", "polite");

    this.canvas = mountCanvas(canvasHost, { post: (m) => this.fromCanvas(m) }, { editable: true });
    this.buildToolbar(toolbar);
    const areas = { left, right, bottom };
    for (const panel of panels.all) {
      const section = el("section", `nfe-panel nfe-panel-${panel.id}`, areas[panel.area]);
      section.setAttribute("aria-label", panel.title);
      const heading = el("h2", "nfe-panel-title", section, panel.title + (panel.shortcut ? ` (${panel.shortcut})` : ""));
      heading.id = `nfe-panel-${panel.id}-title`;
      const body = el("div", "nfe-panel-body", section);
      body.tabIndex = -1;
      panel.mount(body, this);
      if (panel.shortcut !== undefined) {
        const key = panel.shortcut;
        document.addEventListener("keydown", (e) => {
          if (shortcutOf(e) === key) {
            e.preventDefault();
            const first = body.querySelector<HTMLElement>("input, select, button, textarea, [tabindex='0'], .cm-content");
            (first ?? body).focus();
          }
        });
      }
    }
    // Alt+C focuses the canvas, Alt+T the text pane.
    document.addEventListener("keydown", (e) => {
      const key = shortcutOf(e);
      if (key === "Ctrl+S") {
        e.preventDefault();
        void this.save();
      } else if (key === "Alt+C") {
        e.preventDefault();
        (canvasHost.querySelector<HTMLElement>(".nf-node") ?? canvasHost).focus();
      } else if (key === "Alt+T") {
        e.preventDefault();
        this.view?.focus();
      }
    });
    canvasHost.tabIndex = 0;
    void this.start();
  }

  private async start(): Promise<void> {
    try {
      await this.client.initializing;
    } catch (e) {
      this.status(`The language server refused to start: ${messageOf(e)}`, true);
      return;
    }
    this.status("Connected.");
    const flows = await this.listFlows();
    this.fillFlowPicker(flows);
    const first = this.options.uri ?? flows[0]?.uri ?? null;
    if (first !== null) await this.open(first);
    else this.status("No flow files in this workspace yet.");
  }

  // -- events -----------------------------------------------------------------------

  on(event: EditorEvent, listener: () => void): void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener);
  }

  private emit(event: EditorEvent): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        l();
      } catch (e) {
        console.error(`[nodeforge] ${event} listener failed`, e);
      }
    }
  }

  status(message: string, error = false): void {
    this.statusEl.textContent = message;
    this.statusEl.classList.toggle("nfe-error", error);
    this.emit("status");
  }

  // -- files ------------------------------------------------------------------------

  private flowPicker!: HTMLSelectElement;

  /** The workspace's flow files (`nodeforge/workspace`). */
  async listFlows(): Promise<{ uri: string; name: string }[]> {
    try {
      const answer = await this.connection.request<{ folders?: { flows?: { uri: string; path: string; id: string | null; name: string | null }[] }[] } | null>(
        "nodeforge/workspace",
        {},
      );
      const out: { uri: string; name: string }[] = [];
      for (const folder of answer?.folders ?? []) {
        for (const f of folder.flows ?? []) out.push({ uri: f.uri, name: f.path + (f.name ? ` (${f.name})` : "") });
      }
      return out;
    } catch (e) {
      this.status(`Could not list the flows: ${messageOf(e)}`, true);
      return [];
    }
  }

  private fillFlowPicker(flows: { uri: string; name: string }[]): void {
    this.flowPicker.replaceChildren();
    for (const f of flows) {
      const option = document.createElement("option");
      option.value = f.uri;
      option.textContent = f.name;
      this.flowPicker.appendChild(option);
    }
  }

  /** Open the flow `uri`: read its text from the server and show it in both views. */
  async open(uri: string): Promise<void> {
    let text: string;
    try {
      const answer = await this.connection.request<{ text?: string } | null>("nodeforge/file", { uri });
      if (answer === null || typeof answer.text !== "string") throw new Error("the server has no such file");
      text = answer.text;
    } catch (e) {
      this.status(`Could not open ${uri}: ${messageOf(e)}`, true);
      return;
    }
    this.view?.destroy();
    this.state.uri = uri;
    this.state.graph = null;
    this.state.selection = [];
    this.flowPicker.value = uri;
    this.view = new EditorView({
      doc: text,
      parent: this.textHost,
      extensions: [basicSetup, json(), this.client.plugin(uri, "json"), textPaneExtensions(this)],
    });
    this.emit("document");
    if (this.state.catalog === null) void this.loadCatalog();
    this.status(`Opened ${decodeURIComponent(uri.split("/").pop() ?? uri)}.`);
    await this.refreshGraph();
  }

  // -- the graph ----------------------------------------------------------------------

  async refreshGraph(): Promise<void> {
    const uri = this.state.uri;
    if (uri === null) return;
    const ticket = ++this.graphRequest;
    let raw: unknown;
    try {
      raw = await this.connection.request("nodeforge/graph", { textDocument: { uri } });
    } catch (e) {
      this.canvas.receive({ type: "error", message: `The graph could not be computed: ${messageOf(e)}` });
      return;
    }
    if (ticket !== this.graphRequest || uri !== this.state.uri) return; // a newer one is on its way
    if (raw === null) {
      this.canvas.show(null);
      return;
    }
    const graph = parseGraph(raw);
    if (typeof graph === "string") {
      this.canvas.receive({ type: "error", message: `Bad graph: ${graph}` });
      return;
    }
    const shown = this.state.graph;
    if (shown !== null && shown.uri === graph.uri && (graph.version ?? 0) < (shown.version ?? 0)) return;
    this.state.graph = graph;
    this.canvas.show(graph);
    const keys = new Set(graph.nodes.map((n) => n.key));
    const kept = this.state.selection.filter((k) => keys.has(k));
    if (kept.length !== this.state.selection.length) {
      this.state.selection = kept;
      this.emit("selection");
    }
    this.emit("graph");
  }

  private async loadCatalog(): Promise<void> {
    try {
      const raw = await this.connection.request("nodeforge/catalog", { uri: this.state.uri });
      const catalog = parseCatalog(raw);
      if (typeof catalog === "string") throw new Error(catalog);
      this.state.catalog = catalog;
      this.emit("catalog");
    } catch (e) {
      this.status(`The node catalog is not available: ${messageOf(e)}`, true);
    }
  }

  // -- the canvas's messages ---------------------------------------------------------

  private fromCanvas(message: FromCanvas): void {
    const uri = this.state.uri;
    switch (message.type) {
      case "reveal":
        this.reveal(message.range);
        return;
      case "select":
        this.select(message.nodes, "canvas");
        return;
      case "undo":
      case "redo":
        if (this.view !== null) (message.type === "undo" ? undo : redo)(this.view);
        return;
      case "copy":
        this.copy(message.nodes);
        return;
      case "paste":
        void this.paste(message.at);
        return;
      default:
        if (uri === null) return;
        for (const call of fromCanvas(message, uri, 0)) {
          void this.run((u, v) => ({ ...call, arguments: [{ ...call.arguments[0], uri: u, version: v }] }));
        }
    }
  }

  private copy(keys: string[]): void {
    const graph = this.state.graph;
    if (graph === null) return;
    const clip = copyNodes(graph, keys, this.text(), (p) => this.offsetAt(p));
    if (typeof clip === "string") {
      this.status(`Not copied: ${clip}`, true);
      return;
    }
    this.clip = clip;
    void navigator.clipboard?.writeText(clipText(clip)).catch(() => undefined);
    this.status(`Copied ${clip.nodes.length} node${clip.nodes.length === 1 ? "" : "s"}.`);
  }

  private async paste(at: { x: number; y: number }): Promise<void> {
    let clip = this.clip;
    try {
      const text = await navigator.clipboard?.readText();
      const fromSystem = text === undefined ? null : parseClip(text);
      if (fromSystem !== null) clip = fromSystem;
    } catch {
      // No permission to read the system clipboard: the page's own copy serves.
    }
    if (clip === null) {
      this.status("Nothing to paste: copy nodes first (Ctrl+C on the canvas).");
      return;
    }
    const pasted = clip;
    await this.run((uri, version) => pasteNodes(uri, version, pasted, at));
  }

  // -- EditorContext -----------------------------------------------------------------

  async sync(): Promise<number> {
    this.client.sync();
    const uri = this.state.uri;
    const file = uri === null ? null : this.client.workspace.getFile(uri);
    return file?.version ?? 0;
  }

  async run(make: (uri: string, version: number) => CommandCall): Promise<unknown> {
    const uri = this.state.uri;
    if (uri === null) return null;
    const version = await this.sync();
    const call = make(uri, version);
    try {
      return await this.connection.request("workspace/executeCommand", call);
    } catch (e) {
      this.status(messageOf(e), true);
      this.canvas.redraw();
      return null;
    }
  }

  request<T>(method: string, params: Record<string, unknown>): Promise<T> {
    this.client.sync();
    return this.connection.request<T>(method, params);
  }

  text(): string {
    return this.view?.state.doc.toString() ?? "";
  }

  offsetAt(position: { line: number; character: number }): number {
    const text = this.text();
    return offsetAt(text, lineStarts(text), position);
  }

  positionAt(offset: number): { line: number; character: number } {
    return positionAt(lineStarts(this.text()), offset);
  }

  replace(from: number, to: number, insert: string): void {
    this.view?.dispatch({ changes: { from, to, insert }, userEvent: "input.nodeforge" });
  }

  applyEdit(edit: WorkspaceEdit): string | null {
    const view = this.view;
    const uri = this.state.uri;
    if (view === null || uri === null) return "no flow is open";
    const plugin = LSPPlugin.get(view);
    const file = this.client.workspace.getFile(uri);
    if (plugin === null || file === null) return "the flow is not open in the language server";
    if (!plugin.unsyncedChanges.empty) return "the text changed meanwhile";
    const changes = editFor(edit, uri, file.version, view.state.doc.toString());
    if (typeof changes === "string") return changes;
    view.dispatch({ changes, userEvent: "input.nodeforge" });
    return null;
  }

  reveal(range: Range): void {
    const view = this.view;
    if (view === null) return;
    const from = this.offsetAt(range.start);
    const to = this.offsetAt(range.end);
    view.dispatch({ selection: { anchor: from, head: to }, effects: EditorView.scrollIntoView(from, { y: "center" }) });
  }

  canvasCentre(): { x: number; y: number } {
    const t = this.canvas.transform;
    const box = this.canvasHost.getBoundingClientRect();
    return { x: Math.round((box.width / 2 - t.x) / t.k), y: Math.round((box.height / 2 - t.y) / t.k) };
  }

  select(keys: string[], from?: "canvas"): void {
    this.state.selection = keys;
    if (from !== "canvas") this.canvas.select(keys);
    this.emit("selection");
  }

  async save(): Promise<void> {
    const done = await this.run((uri, version) => ({ command: "nodeforge.file.save", arguments: [{ uri, version }] }));
    if (done !== null) this.status("Saved.");
  }

  // -- toolbar ------------------------------------------------------------------------

  private buildToolbar(bar: HTMLElement): void {
    el("span", "nfe-brand", bar, "Nodeforge");
    const label = el("label", "nfe-flow-label", bar, "Flow ");
    this.flowPicker = el("select", "nfe-flow-picker", label) as HTMLSelectElement;
    this.flowPicker.addEventListener("change", () => void this.open(this.flowPicker.value));
    const buttons: [string, string, () => void][] = [
      ["Undo", "Undo (Ctrl+Z)", () => this.view !== null && undo(this.view)],
      ["Redo", "Redo (Ctrl+Shift+Z)", () => this.view !== null && redo(this.view)],
      ["Save", "Save the flow to its file (Ctrl+S)", () => void this.save()],
      ["Fit", "Fit the flow in view (0 on the canvas)", () => this.canvas.fit()],
      ["Refresh flows", "List the workspace's flows again", () => void this.listFlows().then((f) => this.fillFlowPicker(f))],
    ];
    for (const [text, help, action] of buttons) {
      const b = el("button", "nfe-button", bar, text) as HTMLButtonElement;
      b.type = "button";
      b.title = help;
      b.setAttribute("aria-label", help);
      b.addEventListener("click", action);
    }
    el("span", "nfe-keys", bar, "Alt+C canvas · Alt+T text · Alt+1 palette · Alt+2 config · Alt+3 problems");
  }
}


export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string") {
    return (e as { message: string }).message;
  }
  return String(e);
}

/** "Alt+1", "Ctrl+Shift+Z": the key combination of a key event, as shortcuts are written. */
export function shortcutOf(e: { altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; key: string; code?: string }): string {
  const parts: string[] = [];
  if (e.ctrlKey || e.metaKey) parts.push("Ctrl");
  if (e.altKey) parts.push("Alt");
  if (e.shiftKey) parts.push("Shift");
  // With Alt, some layouts change e.key (Alt+1 -> ¡): read the physical key then.
  const code = e.code ?? "";
  const key = /^Digit\d$/.test(code) ? code.slice(5) : /^Key[A-Z]$/.test(code) ? code.slice(3) : e.key.length === 1 ? e.key.toUpperCase() : e.key;
  parts.push(key);
  return parts.join("+");
}
