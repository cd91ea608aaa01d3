// What the page tells the language server about itself and answers for the LSP client
// library: capabilities (the graph notification, applying edits), and the server's
// requests the library does not implement.

import type { Connection } from "./rpc";

/** Client capabilities merged into the LSP client library's own. */
export const EDITOR_CAPABILITIES = {
  experimental: { nodeforgeGraph: true },
  window: { workDoneProgress: true },
  workspace: { applyEdit: true, workspaceEdit: { documentChanges: true }, configuration: true },
  textDocument: { codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ["quickfix", "refactor", "source"] } } } },
};

/**
 * The page's settings for the server (docs/lsp.md, "Settings"): a short debounce for
 * the text pane's typing (whose bursts it still groups). A config-field edit or a
 * gesture does not wait for it: the page asks for the graph at once, and a request
 * starts the analysis of the newest version without the debounce (app.ts, replace).
 */
export const PAGE_SETTINGS = { debounceMs: 30 };

/**
 * The library declares `textDocument.diagnostic` but never pulls diagnostics; a server
 * that sees it would push none (docs/lsp.md, "one way per client"). Drop it from the
 * `initialize` request so the problems are pushed. Returns the message to send.
 */
export function pushDiagnosticsOnly(message: string): string {
  if (!message.includes('"initialize"')) return message;
  const value = JSON.parse(message) as { method?: string; params?: { capabilities?: { textDocument?: Record<string, unknown> } } };
  if (value.method !== "initialize") return message;
  delete value.params?.capabilities?.textDocument?.diagnostic;
  return JSON.stringify(value);
}

/** Answer the server's requests that need no user interface. */
export function answerHousekeeping(connection: Connection): void {
  connection.handle("workspace/configuration", (params) => {
    const items = (params as { items?: { section?: string }[] } | null)?.items ?? [];
    // null: the server keeps its defaults for everything but the page's own settings.
    return items.map((item) => (item?.section === "nodeforge" ? PAGE_SETTINGS : null));
  });
  for (const method of [
    "client/registerCapability",
    "client/unregisterCapability",
    "window/workDoneProgress/create",
    "workspace/diagnostic/refresh",
    "workspace/semanticTokens/refresh",
    "workspace/codeLens/refresh",
    "workspace/inlayHint/refresh",
    "window/showMessageRequest",
  ]) {
    connection.handle(method, () => null);
  }
}
