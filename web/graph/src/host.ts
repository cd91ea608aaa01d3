// Which host the canvas talks to. In a VS Code webview, `acquireVsCodeApi()` gives the
// channel to the extension; in an iframe of the web editor, the parent window; a page
// that loads the bundle itself calls `NodeforgeGraph.mount(element, host)` with its own
// host (e.g. one that forwards to the language server over its WebSocket).

import type { FromCanvas } from "./protocol";
import type { Host } from "./canvas";

interface VsCodeApi {
  postMessage(message: unknown): void;
}

export interface HostWindow {
  acquireVsCodeApi?: () => VsCodeApi;
  parent: unknown;
}

/** The host of a page: VS Code's webview API, else the parent window, else none. */
export function detectHost(win: HostWindow): Host | null {
  if (typeof win.acquireVsCodeApi === "function") {
    const api = win.acquireVsCodeApi();
    return { post: (message: FromCanvas) => api.postMessage(message) };
  }
  const parent = win.parent as { postMessage?: (m: unknown, origin: string) => void } | null;
  if (parent !== null && parent !== win && typeof parent.postMessage === "function") {
    // The editor's page decides what to do with the messages; it checks their origin.
    return { post: (message: FromCanvas) => parent.postMessage?.(message, "*") };
  }
  return null;
}
