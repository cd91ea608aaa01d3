// Finding a value inside a node's JSON text (the span of `config.<key>`), and the
// mapping between a JSON string literal and the text it stands for, so that an
// expression field edits the literal in the document and asks the server for
// completion at the right place. A small scanner of well-formed JSON: where the text is
// broken, nothing is found and the field falls back to a server command.

export interface Span {
  start: number;
  end: number;
}

const WS = /[ \t\r\n]/;

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.test(text[i])) i++;
  return i;
}

/** End (exclusive) of the string literal starting at `i` (a quote), or -1. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") j++;
    else if (c === '"') return j + 1;
    else if (c === "\n") return -1;
  }
  return -1;
}

/** End (exclusive) of the JSON value starting at `i`, or -1 where it is malformed. */
export function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === "{" || c === "[") {
    const close = c === "{" ? "}" : "]";
    let j = skipWs(text, i + 1);
    if (text[j] === close) return j + 1;
    for (;;) {
      if (c === "{") {
        if (text[j] !== '"') return -1;
        j = stringEnd(text, j);
        if (j < 0) return -1;
        j = skipWs(text, j);
        if (text[j] !== ":") return -1;
        j = skipWs(text, j + 1);
      }
      j = valueEnd(text, j);
      if (j < 0) return -1;
      j = skipWs(text, j);
      if (text[j] === ",") j = skipWs(text, j + 1);
      else if (text[j] === close) return j + 1;
      else return -1;
    }
  }
  const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
  return m === null ? -1 : i + m[0].length;
}

/** The members of the object starting at `i`: key -> span of the value. */
export function members(text: string, i: number): Map<string, Span> | null {
  if (text[i] !== "{") return null;
  const out = new Map<string, Span>();
  let j = skipWs(text, i + 1);
  if (text[j] === "}") return out;
  for (;;) {
    if (text[j] !== '"') return null;
    const keyEnd = stringEnd(text, j);
    if (keyEnd < 0) return null;
    let key: string;
    try {
      key = JSON.parse(text.slice(j, keyEnd)) as string;
    } catch {
      return null;
    }
    j = skipWs(text, keyEnd);
    if (text[j] !== ":") return null;
    j = skipWs(text, j + 1);
    const end = valueEnd(text, j);
    if (end < 0) return null;
    if (!out.has(key)) out.set(key, { start: j, end });
    j = skipWs(text, end);
    if (text[j] === ",") j = skipWs(text, j + 1);
    else if (text[j] === "}") return out;
    else return null;
  }
}

/** The span of the value at `path` (object keys) inside the object starting at `i`. */
export function spanAt(text: string, i: number, path: string[]): Span | null {
  let span: Span = { start: i, end: valueEnd(text, i) };
  if (span.end < 0) return null;
  for (const key of path) {
    const found = members(text, span.start)?.get(key);
    if (found === undefined) return null;
    span = found;
  }
  return span;
}

/**
 * For a string literal (with its quotes): its decoded text and, for each position of
 * that text (0..length), the offset in the literal. Null when it is not a well-formed
 * one-line literal.
 */
export function decodeLiteral(literal: string): { text: string; offsets: number[] } | null {
  if (literal.length < 2 || literal[0] !== '"' || literal[literal.length - 1] !== '"') return null;
  let text = "";
  const offsets: number[] = [];
  let i = 1;
  const end = literal.length - 1;
  while (i < end) {
    offsets.push(i);
    const c = literal[i];
    if (c !== "\\") {
      text += c;
      i++;
      continue;
    }
    const e = literal[i + 1];
    const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
    if (e in simple) {
      text += simple[e];
      i += 2;
    } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(literal.slice(i + 2, i + 6))) {
      text += String.fromCharCode(parseInt(literal.slice(i + 2, i + 6), 16));
      i += 6;
    } else {
      return null;
    }
  }
  if (i !== end) return null;
  offsets.push(end);
  return { text, offsets };
}

/** The position in the decoded text of literal offset `raw` (the nearest before it). */
export function decodedOffset(offsets: number[], raw: number): number {
  let best = 0;
  for (let i = 0; i < offsets.length; i++) if (offsets[i] <= raw) best = i;
  return best;
}
