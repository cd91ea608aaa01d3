// Workspace edits from the server (`workspace/applyEdit`, rename, quick fixes,
// formatting) as changes to the open document's text. Positions are LSP line/character
// in UTF-16 code units, which are also CodeMirror's offsets (the page negotiates no
// other position encoding).

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface WorkspaceEdit {
  changes?: Record<string, TextEdit[]>;
  documentChanges?: unknown[];
}

export interface Change {
  from: number;
  to: number;
  insert: string;
}

/** Offsets of the starts of the lines of `text` (after \n, \r\n or \r). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** The offset of an LSP position in `text`, clamped to its line as LSP asks. */
export function offsetAt(text: string, starts: number[], pos: Position): number {
  if (pos.line < 0) return 0;
  if (pos.line >= starts.length) return text.length;
  const start = starts[pos.line];
  let end = pos.line + 1 < starts.length ? starts[pos.line + 1] : text.length;
  while (end > start && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
  return Math.min(start + Math.max(0, pos.character), end);
}

/** The LSP position of `offset` in `text`. */
export function positionAt(starts: number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo] };
}

/** Text edits as changes of `text`, sorted, refused when two overlap. */
export function changesOf(text: string, edits: TextEdit[]): Change[] | string {
  const starts = lineStarts(text);
  const changes = edits.map((e) => ({
    from: offsetAt(text, starts, e.range.start),
    to: offsetAt(text, starts, e.range.end),
    insert: e.newText,
  }));
  changes.sort((a, b) => a.from - b.from || a.to - b.to);
  for (let i = 1; i < changes.length; i++) {
    if (changes[i].from < changes[i - 1].to) return "the edit's ranges overlap";
  }
  for (const c of changes) if (c.to < c.from) return "an edit's range ends before it starts";
  return changes;
}

/** Apply sorted, non-overlapping changes to `text` (what CodeMirror does with them). */
export function applyChanges(text: string, changes: Change[]): string {
  let out = "";
  let at = 0;
  for (const c of changes) {
    out += text.slice(at, c.from) + c.insert;
    at = c.to;
  }
  return out + text.slice(at);
}

/**
 * The changes a workspace edit makes to the document `uri` at `version` with `text`,
 * or the reason it cannot be applied: it names another file, creates or renames files,
 * or was made for another version of the document (the user typed meanwhile).
 */
export function editFor(edit: WorkspaceEdit, uri: string, version: number, text: string): Change[] | string {
  const edits: TextEdit[] = [];
  if (Array.isArray(edit.documentChanges)) {
    for (const change of edit.documentChanges) {
      const c = change as { kind?: string; textDocument?: { uri?: string; version?: number | null }; edits?: TextEdit[] };
      if (c.kind !== undefined) return `the edit would ${c.kind} a file, which the page cannot do`;
      if (c.textDocument?.uri !== uri) return `the edit changes ${c.textDocument?.uri ?? "another file"}, which is not open`;
      const v = c.textDocument.version;
      if (v !== null && v !== undefined && v !== version) {
        return `the edit was made for version ${v} of the document, which is now at version ${version}`;
      }
      edits.push(...(c.edits ?? []));
    }
  } else if (edit.changes !== undefined) {
    for (const [target, list] of Object.entries(edit.changes)) {
      if (target !== uri) {
        if (list.length > 0) return `the edit changes ${target}, which is not open`;
        continue;
      }
      edits.push(...list);
    }
  }
  return changesOf(text, edits);
}
