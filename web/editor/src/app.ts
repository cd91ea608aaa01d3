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
import { graphChanges } from "../../graph/src/diff";
import { mergeGraph } from "../../graph/src/protocol";
import { parseCatalog } from "./catalog";
import { el, messageOf } from "./dom";
export { messageOf };
import type { CommandCall } from "./commands";
import { clipText, copyNodes, fromCanvas, parseClip, pasteNodes, type Clip } from "./commands";
import type { EditorContext, EditorEvent, EditorState } from "./context";
import { type WorkspaceEdit, editFor, lineStarts, offsetAt, positionAt } from "./edits";
import { type LogLine, appLogLine, decorationsOf, foldProgress, type SimResult } from "./devmode";
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
  readonly state: EditorState = {
    uri: null,
    graph: null,
    changes: null,
    selection: [],
    catalog: null,
    connection: null,
    port: null,
    breakpoints: new Set(),
    simulation: null,
    progress: new Map(),
    log: [],
    file: null,
  };
  canvas!: Canvas;
  view: EditorView | null = null;
  private readonly listeners = new Map<EditorEvent, Set<() => void>>();
  private readonly textHost: HTMLElement;
  private readonly fileBar: HTMLElement;
  private fileView: EditorView | null = null;
  private readonly tabs = new Map<string, () => void>();
  private progressBar!: HTMLElement;
  private readonly canvasHost: HTMLElement;
  private readonly statusEl: HTMLElement;
  private clip: Clip | null = null;
  private graphInFlight = false;
  private graphAgain = false;

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
    this.connection.on("$/progress", (params) => {
      if (foldProgress(this.state.progress, params) !== null) this.emit("progress");
    });
    this.connection.on("window/logMessage", (params) => {
      const message = (params as { message?: unknown } | null)?.message;
      if (typeof message !== "string") return;
      const line = appLogLine(message);
      if (line !== null) this.log([line]);
    });
    // The status line shows the server's messages (the library would put them over the text).
    this.connection.consumed.add("window/showMessage");
    this.connection.on("window/showMessage", (params) => {
      const p = params as { type?: number; message?: unknown } | null;
      if (typeof p?.message === "string") this.status(p.message.replace(/^Nodeforge: /, ""), p.type === 1);
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
    this.fileBar = el("div", "nfe-filebar", right);
    this.textHost = el("section", "nfe-text", right);
    this.textHost.setAttribute("aria-label", "Flow text");
    this.statusEl = el("div", "nfe-status", root);
    this.statusEl.setAttribute("role", "status");
    this.statusEl.setAttribute("aria-live", "polite");

    this.canvas = mountCanvas(canvasHost, { post: (m) => this.fromCanvas(m) }, { editable: true });
    this.buildToolbar(toolbar);
    // Each area shows its panels as tabs (one visible at a time); a panel's shortcut
    // shows its tab and focuses its first control.
    const areas = { left, right, bottom };
    const strips = new Map<string, HTMLElement>();
    for (const area of ["left", "bottom"] as const) {
      const strip = el("div", "nfe-tabs", areas[area]);
      strip.setAttribute("role", "tablist");
      strip.setAttribute("aria-label", area === "left" ? "Side panels" : "Bottom panels");
      strips.set(area, strip);
    }
    const shown = new Map<string, { tab: HTMLElement; section: HTMLElement }>();
    for (const panel of panels.all) {
      const parent = areas[panel.area];
      const section = el("section", `nfe-panel nfe-panel-${panel.id}`, parent);
      section.id = `nfe-panel-${panel.id}`;
      const body = el("div", "nfe-panel-body", section);
      body.tabIndex = -1;
      const strip = strips.get(panel.area);
      if (strip !== undefined) {
        const tab = el("button", "nfe-tab", strip, panel.title) as HTMLButtonElement;
        tab.type = "button";
        tab.id = `nfe-tab-${panel.id}`;
        tab.setAttribute("role", "tab");
        tab.setAttribute("aria-controls", section.id);
        tab.title = panel.shortcut ? `${panel.title} (${panel.shortcut})` : panel.title;
        section.setAttribute("role", "tabpanel");
        section.setAttribute("aria-labelledby", tab.id);
        const area = panel.area;
        const activate = (): void => {
          const current = shown.get(area);
          if (current !== undefined) {
            current.tab.setAttribute("aria-selected", "false");
            current.tab.tabIndex = -1;
            current.section.hidden = true;
          }
          tab.setAttribute("aria-selected", "true");
          tab.tabIndex = 0;
          section.hidden = false;
          shown.set(area, { tab, section });
        };
        tab.addEventListener("click", activate);
        tab.addEventListener("keydown", (e) => {
          if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
          const all = [...strip.querySelectorAll<HTMLButtonElement>(".nfe-tab")];
          const next = all[(all.indexOf(tab) + (e.key === "ArrowRight" ? 1 : all.length - 1)) % all.length];
          next.click();
          next.focus();
        });
        section.hidden = true;
        if (!shown.has(area)) activate();
        this.tabs.set(panel.id, () => {
          activate();
        });
      } else {
        section.setAttribute("aria-label", panel.title);
        this.tabs.set(panel.id, () => undefined);
      }
      panel.mount(body, this);
      if (panel.shortcut !== undefined) {
        const key = panel.shortcut;
        const id = panel.id;
        document.addEventListener("keydown", (e) => {
          if (shortcutOf(e) === key) {
            e.preventDefault();
            this.showPanel(id, true);
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
        (this.fileView ?? this.view)?.focus();
      } else if (key === "F5") {
        e.preventDefault();
        this.showPanel("run");
        document.getElementById("nfe-sim-run")?.click();
      }
    });
    canvasHost.tabIndex = 0;
    window.addEventListener("beforeunload", (e) => {
      if (this.dirty) e.preventDefault(); // the browser asks before unsaved edits are lost
    });
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

  on(event: EditorEvent, listener: () => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    const from = set;
    return () => void from.delete(listener);
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

  /** The flow's text as last read from or written to its file (unsaved edits differ). */
  private savedText: string | null = null;

  /** The open flow has edits that are not in its file. */
  get dirty(): boolean {
    return this.view !== null && this.savedText !== null && this.view.state.doc.toString() !== this.savedText;
  }

  /** Open the flow `uri`: read its text from the server and show it in both views. */
  async open(uri: string): Promise<void> {
    if (this.dirty && this.state.uri !== null && uri !== this.state.uri) {
      const name = decodeURIComponent(this.state.uri.split("/").pop() ?? "");
      if (!window.confirm(`${name} has unsaved changes. Save them before opening another flow? (Cancel stays on ${name}.)`) || !(await this.save())) {
        this.flowPicker.value = this.state.uri;
        return;
      }
    }
    let text: string;
    try {
      const answer = await this.connection.request<{ text?: string } | null>("nodeforge/file", { uri });
      if (answer === null || typeof answer.text !== "string") throw new Error("the server has no such file");
      text = answer.text;
    } catch (e) {
      this.status(`Could not open ${uri}: ${messageOf(e)}`, true);
      return;
    }
    if (this.state.file !== null) await this.openFile(null);
    this.view?.destroy();
    this.state.uri = uri;
    this.state.graph = null;
    this.state.changes = null;
    this.state.selection = [];
    this.state.connection = null;
    this.state.port = null;
    this.state.breakpoints = new Set();
    this.setSimulation(null);
    this.flowPicker.value = uri;
    this.savedText = text;
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

  /**
   * Ask for the open flow's graph view and show it. At most one request is on its way:
   * asked again meanwhile (each keystroke, each graphChanged), one more follows it, for
   * the newest text. The request names the answer shown (`since`: its tag), so the
   * server sends only the nodes and connections that changed; the canvas and the panels
   * then touch only those (state.changes).
   */
  async refreshGraph(): Promise<void> {
    if (this.graphInFlight) {
      this.graphAgain = true;
      return;
    }
    this.graphInFlight = true;
    try {
      do {
        this.graphAgain = false;
        await this.fetchGraph();
      } while (this.graphAgain);
    } finally {
      this.graphInFlight = false;
    }
  }

  private async fetchGraph(whole = false): Promise<void> {
    const uri = this.state.uri;
    if (uri === null) return;
    const shown = this.state.graph !== null && this.state.graph.uri === uri ? this.state.graph : null;
    const since = whole ? undefined : shown?.tag;
    let raw: unknown;
    mark("nf:graph-request");
    try {
      raw = await this.connection.request("nodeforge/graph", since === undefined ? { textDocument: { uri } } : { textDocument: { uri }, since });
    } catch (e) {
      this.canvas.receive({ type: "error", message: `The graph could not be computed: ${messageOf(e)}` });
      return;
    }
    if (uri !== this.state.uri) return; // another flow was opened meanwhile
    mark("nf:graph-answer");
    if (raw === null) {
      this.canvas.show(null);
      return;
    }
    const graph = mergeGraph(raw, shown);
    if (typeof graph === "string") {
      // Relative to an answer this page no longer shows: ask for the whole view once.
      if (since !== undefined) return this.fetchGraph(true);
      this.canvas.receive({ type: "error", message: `Bad graph: ${graph}` });
      return;
    }
    if (shown !== null && (graph.version ?? 0) < (shown.version ?? 0)) return;
    const changes = graphChanges(shown, graph);
    this.state.graph = graph;
    this.state.changes = changes;
    if (shown !== null && changes.nodes.size === 0 && changes.connections.size === 0 && !changes.flow) {
      mark("nf:graph-drawn");
      return; // the same view (a newer tag): nothing to draw
    }
    this.canvas.show(graph);
    this.canvas.decorate(decorationsOf(graph, this.state.simulation, this.state.breakpoints));
    mark("nf:graph-drawn");
    if (changes.structure) {
      const keys = new Set(graph.nodes.map((n) => n.key));
      const kept = this.state.selection.filter((k) => keys.has(k));
      if (kept.length !== this.state.selection.length) {
        this.state.selection = kept;
        this.emit("selection");
      }
    }
    this.emit("graph");
    mark("nf:graph-panels");
  }

  reloadCatalog(): Promise<void> {
    return this.loadCatalog();
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
        this.state.connection = message.connection ?? null;
        this.state.port = null;
        this.select(message.nodes, "canvas");
        if (message.nodes.length === 1 || message.connection !== undefined) this.showPanel("config");
        return;
      case "port":
        this.state.port = { node: message.node, port: message.port };
        this.state.connection = null;
        this.emit("selection");
        this.showPanel("run");
        return;
      case "breakpoint": {
        const graph = this.state.graph;
        const ids = message.nodes.map((k) => graph?.nodes.find((n) => n.key === k)?.id).filter((id): id is string => typeof id === "string");
        this.toggleBreakpoints(ids);
        return;
      }
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

  // The open document's text and line starts, computed once per version of it (a
  // CodeMirror document is immutable): panels convert many positions per graph.
  private textCache: { doc: unknown; text: string; starts: number[] | null } | null = null;

  text(): string {
    const doc = this.view?.state.doc;
    if (doc === undefined) return "";
    if (this.textCache === null || this.textCache.doc !== doc) this.textCache = { doc, text: doc.toString(), starts: null };
    return this.textCache.text;
  }

  private lineStarts(): number[] {
    const text = this.text();
    const cache = this.textCache;
    if (cache === null) return lineStarts(text);
    cache.starts ??= lineStarts(text);
    return cache.starts;
  }

  offsetAt(position: { line: number; character: number }): number {
    return offsetAt(this.text(), this.lineStarts(), position);
  }

  positionAt(offset: number): { line: number; character: number } {
    return positionAt(this.lineStarts(), offset);
  }

  replace(from: number, to: number, insert: string): void {
    this.view?.dispatch({ changes: { from, to, insert }, userEvent: "input.nodeforge" });
    this.client.sync(); // at once (the library's own sync waits 500 ms after typing)
    mark("nf:edit-sent");
    // Asking now analyses this version at once (a request does not wait for the
    // server's debounce); the graphChanged that follows finds nothing new.
    void this.refreshGraph();
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
    queueMicrotask(() => {
      this.client.sync();
      void this.refreshGraph(); // the gesture's result at once (see replace)
    });
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

  selectConnection(index: number): void {
    this.state.selection = [];
    this.state.connection = index;
    this.state.port = null;
    this.canvas.select([]);
    this.emit("selection");
    this.showPanel("config");
  }

  select(keys: string[], from?: "canvas"): void {
    this.state.selection = keys;
    if (from !== "canvas") {
      this.state.connection = null;
      this.canvas.select(keys);
    }
    this.emit("selection");
  }

  async save(): Promise<boolean> {
    if (this.state.file !== null) return this.saveFile();
    const text = this.text();
    const done = await this.run((uri, version) => ({ command: "nodeforge.file.save", arguments: [{ uri, version }] }));
    if (done !== null) {
      this.savedText = text;
      this.status("Saved.");
    }
    return done !== null;
  }

  async command<T>(command: string, argument: Record<string, unknown>): Promise<T> {
    this.client.sync();
    return this.connection.request<T>("workspace/executeCommand", { command, arguments: [argument] });
  }

  log(lines: LogLine[]): void {
    if (lines.length === 0) return;
    this.state.log.push(...lines);
    if (this.state.log.length > 2000) this.state.log.splice(0, this.state.log.length - 2000);
    this.emit("log");
  }

  setSimulation(sim: SimResult | null): void {
    this.state.simulation = sim;
    this.redecorate();
    this.emit("simulation");
  }

  toggleBreakpoints(ids: string[]): void {
    for (const id of ids) {
      if (this.state.breakpoints.has(id)) this.state.breakpoints.delete(id);
      else this.state.breakpoints.add(id);
    }
    this.redecorate();
    this.emit("breakpoints");
    if (ids.length > 0) this.status(`Breakpoints: ${[...this.state.breakpoints].join(", ") || "none"}.`);
  }

  private redecorate(): void {
    const graph = this.state.graph;
    if (graph !== null) this.canvas.decorate(decorationsOf(graph, this.state.simulation, this.state.breakpoints));
  }

  showPanel(id: string, focus = false): void {
    this.tabs.get(id)?.();
    if (!focus) return;
    const body = document.querySelector<HTMLElement>(`#nfe-panel-${CSS.escape(id)} .nfe-panel-body`);
    if (body === null) return;
    const first = body.querySelector<HTMLElement>("input, select, button, textarea, [tabindex='0'], .cm-content");
    (first ?? body).focus();
  }

  async reloadFromDisk(): Promise<void> {
    const uri = this.state.uri;
    const view = this.view;
    if (uri === null || view === null) return;
    const answer = await this.connection.request<{ text?: string } | null>("nodeforge/file", { uri });
    const text = answer?.text;
    if (typeof text !== "string") throw new Error(`could not read ${uri}`);
    const old = view.state.doc.toString();
    this.savedText = text;
    if (text === old) return;
    // Replace only the part that differs (undo restores it in one step).
    let start = 0;
    while (start < old.length && start < text.length && old[start] === text[start]) start++;
    let end = 0;
    while (end < old.length - start && end < text.length - start && old[old.length - 1 - end] === text[text.length - 1 - end]) end++;
    view.dispatch({ changes: { from: start, to: old.length - end, insert: text.slice(start, text.length - end) }, userEvent: "input.nodeforge" });
    this.client.sync();
  }

  async openFile(uri: string | null): Promise<void> {
    this.fileView?.destroy();
    this.fileView = null;
    this.fileBar.replaceChildren();
    if (uri === null) {
      this.state.file = null;
      if (this.view !== null) this.view.dom.hidden = false;
      this.textHost.setAttribute("aria-label", "Flow text");
      this.emit("file");
      return;
    }
    let text: string;
    try {
      const answer = await this.connection.request<{ text?: string } | null>("nodeforge/file", { uri });
      if (typeof answer?.text !== "string") throw new Error("the server has no such file");
      text = answer.text;
    } catch (e) {
      this.status(`Could not open ${uri}: ${messageOf(e)}`, true);
      return;
    }
    this.state.file = uri;
    if (this.view !== null) this.view.dom.hidden = true;
    const name = decodeURIComponent(uri.split("/").slice(-3).join("/"));
    el("span", "nfe-file-name", this.fileBar, name);
    const saveButton = el("button", "nfe-button", this.fileBar, "Save file") as HTMLButtonElement;
    saveButton.type = "button";
    saveButton.addEventListener("click", () => void this.saveFile());
    const back = el("button", "nfe-button", this.fileBar, "Back to the flow") as HTMLButtonElement;
    back.type = "button";
    back.addEventListener("click", () => void this.openFile(null));
    const language = uri.endsWith(".go") ? "go" : uri.endsWith(".json") ? "json" : "plaintext";
    this.fileView = new EditorView({
      doc: text,
      parent: this.textHost,
      extensions: [basicSetup, ...(language === "json" ? [json()] : []), this.client.plugin(uri, language), EditorView.contentAttributes.of({ "aria-label": `File ${name}` })],
    });
    this.textHost.setAttribute("aria-label", `File ${name}`);
    this.status(`Opened ${name}. Save it with Ctrl+S; "Back to the flow" returns to the flow text.`);
    this.emit("file");
  }

  private async saveFile(): Promise<boolean> {
    const uri = this.state.file;
    if (uri === null) return false;
    this.client.sync();
    const version = this.client.workspace.getFile(uri)?.version ?? 0;
    try {
      await this.connection.request("workspace/executeCommand", { command: "nodeforge.file.save", arguments: [{ uri, version }] });
      this.status(`Saved ${decodeURIComponent(uri.split("/").pop() ?? uri)}.`);
      return true;
    } catch (e) {
      this.status(`Not saved: ${messageOf(e)}`, true);
      return false;
    }
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
    this.progressBar = el("div", "nfe-progress", bar);
    this.progressBar.setAttribute("role", "progressbar");
    this.progressBar.setAttribute("aria-label", "Work in progress on the server");
    this.progressBar.hidden = true;
    const fill = el("div", "nfe-progress-fill", this.progressBar);
    const progressLabel = el("span", "nfe-progress-label", this.progressBar);
    this.on("progress", () => {
      const items = [...this.state.progress.values()];
      this.progressBar.hidden = items.length === 0;
      const p = items[items.length - 1];
      if (p === undefined) return;
      const pct = p.percentage;
      fill.style.width = pct === null ? "100%" : `${pct}%`;
      fill.classList.toggle("nfe-indeterminate", pct === null);
      progressLabel.textContent = `${p.title}${p.message ? `: ${p.message}` : ""}`;
      if (pct !== null) this.progressBar.setAttribute("aria-valuenow", String(pct));
      else this.progressBar.removeAttribute("aria-valuenow");
    });
    el("span", "nfe-keys", bar, "Alt+C canvas · Alt+T text · F5 simulate · F9 breakpoint · Ctrl+S save");
  }
}


/** A performance mark of the graph's way to the screen (read by bench/web_editor_bench.mjs);
 * only the newest of each name is kept. */
function mark(name: string): void {
  performance.clearMarks(name);
  performance.mark(name);
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
