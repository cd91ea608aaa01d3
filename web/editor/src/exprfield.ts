// An expression or template field of the config panel: a one-line CodeMirror editor
// bound to the string literal in the document. Typing rewrites the literal in the text
// (so the server analyses what the user types, as in the text pane), and completion
// asks the server at the matching place of the document, mapping offsets through the
// literal's escapes.

import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import type { EditorContext } from "./context";
import { decodeLiteral, decodedOffset } from "./jsonvalue";

interface CompletionItem {
  label: string;
  detail?: string;
  documentation?: string | { value: string };
  insertText?: string;
  textEdit?: { range?: { start: { line: number; character: number } }; insert?: { start: { line: number; character: number } }; newText: string };
  sortText?: string;
}

/** Text the server wrote for the document (JSON-escaped) as the field shows it. */
export function unescapeInsert(text: string): string {
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return text;
  }
}

export function expressionField(
  ctx: EditorContext,
  parent: HTMLElement,
  label: string,
  literalStart: number,
  literal: string,
): EditorView | null {
  const decoded = decodeLiteral(literal);
  if (decoded === null) return null;
  let start = literalStart;
  let current = literal;

  const source = async (context: CompletionContext): Promise<CompletionResult | null> => {
    const uri = ctx.state.uri;
    if (uri === null) return null;
    const map = decodeLiteral(current);
    if (map === null) return null;
    const raw = map.offsets[Math.min(context.pos, map.offsets.length - 1)];
    const position = ctx.positionAt(start + raw);
    const answer = await ctx.request<{ items?: CompletionItem[] } | CompletionItem[] | null>("textDocument/completion", {
      textDocument: { uri },
      position,
    });
    const items = Array.isArray(answer) ? answer : (answer?.items ?? []);
    if (items.length === 0) return null;
    let from = context.pos;
    const edit = items.find((i) => i.textEdit !== undefined)?.textEdit;
    const editStart = edit?.range?.start ?? edit?.insert?.start;
    if (editStart !== undefined) {
      const at = ctx.offsetAt(editStart) - start;
      if (at >= 1) from = Math.min(context.pos, decodedOffset(map.offsets, at));
    } else {
      from = context.matchBefore(/[\w.]*/)?.from ?? context.pos;
    }
    return {
      from,
      options: items.map((i) => ({
        label: i.label,
        detail: i.detail,
        info: typeof i.documentation === "string" ? i.documentation : i.documentation?.value,
        apply: unescapeInsert(i.textEdit?.newText ?? i.insertText ?? i.label),
        boost: i.sortText === undefined ? 0 : -Number.parseInt(i.sortText, 36) / 1e9 || 0,
      })),
      validFor: /^[\w]*$/,
    };
  };

  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: decoded.text,
      extensions: [
        // One line: Enter accepts a completion or leaves the field, never a newline.
        EditorState.transactionFilter.of((tr) => (tr.newDoc.lines > 1 ? [] : tr)),
        keymap.of([{ key: "Enter", run: () => true }]),
        autocompletion({ override: [source], activateOnTyping: true }),
        EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "false" }),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          const next = JSON.stringify(update.state.doc.toString());
          ctx.replace(start, start + current.length, next);
          current = next;
        }),
      ],
    }),
  });
  view.dom.classList.add("nfe-expr");
  // The literal moves when the text before it changes: the panel re-binds on each graph.
  (view as unknown as { rebind: (s: number, l: string) => void }).rebind = (s: number, l: string) => {
    start = s;
    current = l;
  };
  return view;
}
