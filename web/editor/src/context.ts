// What every panel gets: the editor's state (the open flow, its newest graph view, the
// selection, the catalog), events when they change, and the actions panels share
// (run a server command, reveal a range in the text, select nodes, apply an edit).

import type { GraphChanges } from "../../graph/src/diff";
import type { GraphView, Range } from "../../graph/src/protocol";
import type { Catalog } from "./catalog";
import type { LogLine, Progress, SimResult } from "./devmode";
import type { CommandCall } from "./commands";
import type { Connection } from "./rpc";
import type { WorkspaceEdit } from "./edits";

export type EditorEvent =
  | "graph"
  | "selection"
  | "catalog"
  | "document"
  | "status"
  | "simulation"
  | "breakpoints"
  | "progress"
  | "log"
  | "file";

export interface EditorState {
  uri: string | null;
  graph: GraphView | null;
  /** What the newest graph changed from the one before (panels redraw only for what they
   * show); null before the first graph of a document. */
  changes: GraphChanges | null;
  /** Selected node keys (canvas order of selection). */
  selection: string[];
  catalog: Catalog | null;
  /** The selected connection (its index in the view), when one is selected. */
  connection: number | null;
  /** The output port last clicked on the canvas (development mode's data inspector). */
  port: { node: string; port: string } | null;
  /** Node ids the simulation pauses before. */
  breakpoints: Set<string>;
  /** The last simulation's result (null before the first, and after an edit of the flow). */
  simulation: SimResult | null;
  /** Work in progress on the server (`$/progress`: builds, node tests). */
  progress: Map<string, Progress>;
  /** What the log panel shows, oldest first (bounded). */
  log: LogLine[];
  /** A file other than the flow open in the text pane (a fork's Go code), or null. */
  file: string | null;
}

export interface EditorContext {
  readonly connection: Connection;
  readonly state: EditorState;
  /** Listen to an event; returns the function that stops listening. */
  on(event: EditorEvent, listener: () => void): () => void;
  /** Run a server command on the open flow (synchronises the text first). */
  run(call: (uri: string, version: number) => CommandCall): Promise<unknown>;
  /** The open document's text as the page has it now. */
  text(): string;
  /** The offset of an LSP position in the open document. */
  offsetAt(position: { line: number; character: number }): number;
  /** The LSP position of an offset in the open document. */
  positionAt(offset: number): { line: number; character: number };
  /** Replace a span of the open document (the text pane's undo history keeps it). */
  replace(from: number, to: number, insert: string): void;
  /** Apply a workspace edit to the open document; the reason when it cannot. */
  applyEdit(edit: WorkspaceEdit): string | null;
  /** Select `range` in the text pane (without taking the focus). */
  reveal(range: Range): void;
  /** The canvas point in the middle of the view (where a node added by keyboard goes). */
  canvasCentre(): { x: number; y: number };
  /** Select a connection (by its index in the view): the config panel shows it. */
  selectConnection(index: number): void;
  /** Select nodes on the canvas and in the panels. */
  select(keys: string[], from?: "canvas"): void;
  /** Tell the user something (the status line, read by screen readers). */
  status(message: string, error?: boolean): void;
  /** Make sure the server has every local change; resolves to the synced version. */
  sync(): Promise<number>;
  /** Ask the LSP server something about the open document. */
  request<T>(method: string, params: Record<string, unknown>): Promise<T>;
  /** Run a server command that needs no document version (`arguments` as given). */
  command<T>(command: string, argument: Record<string, unknown>): Promise<T>;
  /** Add lines to the log panel. */
  log(lines: LogLine[]): void;
  /** Set the simulation result (redraws the canvas's run states and data labels). */
  setSimulation(sim: SimResult | null): void;
  /** Toggle breakpoints on these node ids. */
  toggleBreakpoints(ids: string[]): void;
  /** Show a panel (its tab) by id, optionally focusing it. */
  showPanel(id: string, focus?: boolean): void;
  /** Save the open flow to its file (resolves to false when refused). */
  save(): Promise<boolean>;
  /** Replace the text of the open flow with its file on disk (after a restore or upgrade). */
  reloadFromDisk(): Promise<void>;
  /** Ask for the node catalog again (after a fork or a new connector). */
  reloadCatalog(): Promise<void>;
  /** Open another workspace file (a fork's Go code) in the text pane; null returns to the flow. */
  openFile(uri: string | null): Promise<void>;
}
