// The text pane's extras beyond the LSP client library's (diagnostics, completion,
// hover, signature help, rename with F2, formatting with Shift+Alt+F, go to definition
// with F12, references with Shift+F12): quick fixes with Ctrl+. in a panel under the
// text, and a label for screen readers.

import { type Extension } from "@codemirror/state";
import { EditorView, type Panel as CmPanel, ViewPlugin, keymap, showPanel } from "@codemirror/view";
import { StateEffect, StateField } from "@codemirror/state";
import { LSPPlugin, formatDocument, renameSymbol } from "@codemirror/lsp-client";
import type { EditorContext } from "../context";
import { actionList, quickFixes } from "../quickfix";

const showFixes = StateEffect.define<boolean>();
const SYNC_DELAY_MS = 60;

function fixesPanel(ctx: EditorContext) {
  return (view: EditorView): CmPanel => {
    const dom = document.createElement("div");
    dom.className = "nfe-fixes";
    dom.setAttribute("role", "dialog");
    dom.setAttribute("aria-label", "Quick fixes at the cursor");
    dom.textContent = "Looking for quick fixes…";
    const close = (): void => view.dispatch({ effects: showFixes.of(false) });
    dom.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        close();
        view.focus();
      }
    });
    const sel = view.state.selection.main;
    const range = { start: ctx.positionAt(sel.from), end: ctx.positionAt(sel.to) };
    const graph = ctx.state.graph;
    // The diagnostics at the cursor, from the newest graph view (every problem lies in
    // a node, a connection or the flow).
    const all = graph === null ? [] : [...graph.diagnostics, ...graph.nodes.flatMap((n) => n.diagnostics), ...graph.connections.flatMap((c) => c.diagnostics)];
    const at = all.filter((d) => ctx.offsetAt(d.range.start) <= sel.to && ctx.offsetAt(d.range.end) >= sel.from);
    quickFixes(ctx, range, at).then(
      (actions) => actionList(ctx, dom, actions, () => {
        close();
        view.focus();
      }),
      (e) => {
        dom.textContent = `No quick fixes: ${e instanceof Error ? e.message : String(e)}`;
      },
    );
    return { dom, top: false };
  };
}

export function textPaneExtensions(ctx: EditorContext): Extension {
  const field = StateField.define<boolean>({
    create: () => false,
    update(value, tr) {
      for (const e of tr.effects) if (e.is(showFixes)) value = e.value;
      return tr.docChanged ? false : value;
    },
    provide: (f) => showPanel.from(f, (on) => (on ? fixesPanel(ctx) : null)),
  });
  return [
    field,
    keymap.of([
      {
        key: "Mod-.",
        run: (view) => {
          view.dispatch({ effects: showFixes.of(true) });
          return true;
        },
      },
      { key: "F2", run: renameSymbol },
      { key: "Shift-Alt-f", run: formatDocument },
    ]),
    EditorView.contentAttributes.of({ "aria-label": "Flow text (JSON). Ctrl+. quick fixes, F2 rename, Shift+Alt+F format" }),
    // Send typing to the server after a short pause (the library waits 500 ms), so the
    // canvas follows the text within one analysis.
    ViewPlugin.define((view) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      return {
        update(update) {
          if (!update.docChanged) return;
          if (timer !== null) clearTimeout(timer);
          timer = setTimeout(() => {
            timer = null;
            LSPPlugin.get(view)?.client.sync();
          }, SYNC_DELAY_MS);
        },
        destroy() {
          if (timer !== null) clearTimeout(timer);
        },
      };
    }),
  ];
}
