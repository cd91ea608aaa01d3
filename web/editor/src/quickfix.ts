// Quick fixes (code actions) for a range of the open flow: asked of the server with the
// diagnostics there, offered as a list, applied as workspace edits (or run as commands).
// The text pane (Ctrl+. ) and the config panel (a node's problems) share this.

import type { EditorContext } from "./context";
import type { WorkspaceEdit } from "./edits";

export interface CodeAction {
  title: string;
  kind?: string;
  isPreferred?: boolean;
  disabled?: { reason: string };
  edit?: WorkspaceEdit;
  command?: { title: string; command: string; arguments?: unknown[] };
}

export interface Diagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity?: number;
  code?: string | number;
  message: string;
}

/** The server's code actions for `range`, each with what applying it does. */
export async function quickFixes(
  ctx: EditorContext,
  range: Diagnostic["range"],
  diagnostics: Diagnostic[],
): Promise<CodeAction[]> {
  const uri = ctx.state.uri;
  if (uri === null) return [];
  const found = await ctx.request<(CodeAction | { title: string; command: string })[] | null>("textDocument/codeAction", {
    textDocument: { uri },
    range,
    context: { diagnostics, only: undefined, triggerKind: 1 },
  });
  return (found ?? [])
    .map((a) => ("command" in a && typeof a.command === "string" ? { title: a.title, command: a as CodeAction["command"] } : (a as CodeAction)))
    .filter((a) => a.disabled === undefined);
}

/** Apply one action: its edit on the text, then its command on the server. */
export async function applyAction(ctx: EditorContext, action: CodeAction): Promise<void> {
  if (action.edit !== undefined) {
    const failure = ctx.applyEdit(action.edit);
    if (failure !== null) {
      ctx.status(`"${action.title}" was not applied: ${failure}`, true);
      return;
    }
  }
  if (action.command !== undefined) {
    await ctx.request("workspace/executeCommand", { command: action.command.command, arguments: action.command.arguments ?? [] });
  }
  ctx.status(`Applied: ${action.title}`);
}

/** A list of buttons, one per action, in `parent` (empty text when there is none). */
export function actionList(ctx: EditorContext, parent: HTMLElement, actions: CodeAction[], after?: () => void): void {
  parent.replaceChildren();
  if (actions.length === 0) {
    parent.textContent = "No quick fix here.";
    return;
  }
  const list = document.createElement("ul");
  list.className = "nfe-actions";
  list.setAttribute("aria-label", "Quick fixes");
  for (const action of actions) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "nfe-button";
    button.textContent = action.title;
    button.addEventListener("click", () => {
      void applyAction(ctx, action).then(() => after?.());
    });
    item.appendChild(button);
    list.appendChild(item);
  }
  parent.appendChild(list);
  list.querySelector("button")?.focus();
}
