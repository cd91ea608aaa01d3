// An expression or template field of the config panel: a one-line CodeMirror editor
// bound to the string literal in the document. Typing rewrites the literal in the text
// (so the server analyses what the user types, as in the text pane), and completion
// asks the server at the matching place of the document, mapping offsets through the
// literal's escapes. Hover (textDocument/hover) and signature help
// (textDocument/signatureHelp, after `(` and `,`) are asked the same way, and the
// problems the analysis finds inside the literal are underlined in the field, updated
// after each analysis while the user types.

import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { EditorState, RangeSetBuilder, StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, hoverTooltip, keymap } from "@codemirror/view";
import type { GraphDiagnostic } from "../../graph/src/protocol";
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

/** Hover contents (MarkupContent, MarkedString or a list of them) as plain text. */
export function hoverText(contents: unknown): string {
  if (typeof contents === "string") return contents;
  if (Array.isArray(contents)) return contents.map(hoverText).filter((t) => t !== "").join("\n\n");
  if (typeof contents === "object" && contents !== null && typeof (contents as { value?: unknown }).value === "string") {
    return (contents as { value: string }).value;
  }
  return "";
}

interface SignatureHelp {
  signatures?: { label: string; documentation?: string | { value: string }; parameters?: { label: string | [number, number] }[] }[];
  activeSignature?: number;
  activeParameter?: number;
}

/** The active signature as text, with the active parameter marked «like this». */
export function signatureText(help: SignatureHelp | null): string {
  const sig = help?.signatures?.[help.activeSignature ?? 0];
  if (sig === undefined) return "";
  const param = sig.parameters?.[help?.activeParameter ?? 0];
  let label = sig.label;
  if (param !== undefined) {
    const [from, to] = typeof param.label === "string" ? [label.indexOf(param.label), label.indexOf(param.label) + param.label.length] : param.label;
    if (from >= 0 && to > from) label = `${label.slice(0, from)}«${label.slice(from, to)}»${label.slice(to)}`;
  }
  const doc = typeof sig.documentation === "string" ? sig.documentation : (sig.documentation?.value ?? "");
  return doc ? `${label} — ${doc.split("\n")[0]}` : label;
}

interface Problems {
  marks: DecorationSet;
  error: boolean;
}
const setProblems = StateEffect.define<Problems>();
const problemField = StateField.define<Problems>({
  create: () => ({ marks: Decoration.none, error: false }),
  update(value, tr) {
    value = { ...value, marks: value.marks.map(tr.changes) };
    for (const e of tr.effects) if (e.is(setProblems)) value = e.value;
    return value;
  },
  // CodeMirror owns its element's class attribute: the field's classes go through it.
  provide: (f) => [
    EditorView.decorations.from(f, (p) => p.marks),
    EditorView.editorAttributes.from(f, (p) => ({ class: p.error ? "nfe-expr nfe-expr-error" : "nfe-expr" })),
  ],
});

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
  // Where the literal starts, as a line and column: edits of other lines (another
  // node's value typed elsewhere) leave it in place, where they would move an offset;
  // an edit that moves it changes this node, whose panel is then drawn again.
  const anchor = ctx.positionAt(literalStart);
  const literalAt = (): number => ctx.offsetAt(anchor);
  let current = literal;

  const source = async (context: CompletionContext): Promise<CompletionResult | null> => {
    const uri = ctx.state.uri;
    if (uri === null) return null;
    const map = decodeLiteral(current);
    if (map === null) return null;
    const start = literalAt();
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

  const position = (pos: number): { line: number; character: number } | null => {
    const map = decodeLiteral(current);
    if (map === null) return null;
    return ctx.positionAt(literalAt() + map.offsets[Math.min(pos, map.offsets.length - 1)]);
  };
  const hover = hoverTooltip(async (_view, pos) => {
    const uri = ctx.state.uri;
    const at = position(pos);
    if (uri === null || at === null) return null;
    const answer = await ctx.request<{ contents?: unknown } | null>("textDocument/hover", { textDocument: { uri }, position: at });
    const text = hoverText(answer?.contents);
    if (text === "") return null;
    return {
      pos,
      above: true,
      create: () => {
        const dom = document.createElement("div");
        dom.className = "nfe-hover";
        dom.textContent = text.replace(/```\w*\n?/g, "").trim();
        return { dom };
      },
    };
  });
  const signature = document.createElement("div");
  signature.className = "nfe-signature";
  signature.setAttribute("role", "status");
  const askSignature = async (pos: number): Promise<void> => {
    const uri = ctx.state.uri;
    const at = position(pos);
    if (uri === null || at === null) return;
    try {
      const help = await ctx.request<SignatureHelp | null>("textDocument/signatureHelp", { textDocument: { uri }, position: at });
      signature.textContent = signatureText(help);
    } catch {
      signature.textContent = "";
    }
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
        hover,
        problemField,
        EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "false" }),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          const next = JSON.stringify(update.state.doc.toString());
          const start = literalAt();
          ctx.replace(start, start + current.length, next);
          current = next;
          // Signature help while inside a call: after ( or , ask; after ) clear.
          const pos = update.state.selection.main.head;
          const typed = update.state.doc.sliceString(Math.max(0, pos - 1), pos);
          if (typed === "(" || typed === ",") void askSignature(pos);
          else if (typed === ")") signature.textContent = "";
        }),
      ],
    }),
  });
  parent.appendChild(signature);
  view.contentDOM.addEventListener("blur", () => {
    signature.textContent = "";
  });
  // The problems inside the literal, underlined; again after each analysis that
  // changes them.
  let underlined: string | null = null;
  const underline = (diagnostics: GraphDiagnostic[]): void => {
    const map = decodeLiteral(current);
    if (map === null) return;
    const start = literalAt();
    const marks: { from: number; to: number; severity: number; message: string }[] = [];
    const length = view.state.doc.length;
    for (const d of diagnostics) {
      const a = ctx.offsetAt(d.range.start) - start;
      const b = ctx.offsetAt(d.range.end) - start;
      if (a < 0 || a > current.length) continue;
      let from = Math.min(length, decodedOffset(map.offsets, a));
      let to = Math.min(length, decodedOffset(map.offsets, Math.min(b, current.length - 1)));
      if (b >= current.length || a <= 0) {
        // The whole value (a problem of the string as a whole).
        from = 0;
        to = length;
      }
      if (to <= from) to = Math.min(length, from + 1);
      if (to > from) marks.push({ from, to, severity: d.severity, message: `${d.code}: ${d.message}` });
    }
    marks.sort((x, y) => x.from - y.from || x.to - y.to);
    // Unchanged problems on unchanged text: the marks shown are right (typing maps them).
    const sig = JSON.stringify([view.state.doc.toString(), marks]);
    if (sig === underlined) return;
    underlined = sig;
    const builder = new RangeSetBuilder<Decoration>();
    for (const m of marks) builder.add(m.from, m.to, Decoration.mark({ class: `nfe-squiggle nfe-sq-${m.severity}`, attributes: { title: m.message } }));
    view.dispatch({ effects: setProblems.of({ marks: builder.finish(), error: marks.some((m) => m.severity === 1) }) });
  };
  const inField = (): GraphDiagnostic[] => {
    const graph = ctx.state.graph;
    if (graph === null) return [];
    const all = [...graph.nodes.flatMap((n) => n.diagnostics), ...graph.diagnostics];
    const start = literalAt();
    return all.filter((d) => {
      const at = ctx.offsetAt(d.range.start);
      return at >= start && at <= start + current.length;
    });
  };
  underline(inField());
  const stop = ctx.on("graph", () => {
    if (!view.dom.isConnected) {
      stop();
      return;
    }
    underline(inField());
  });
  return view;
}
