// One WebSocket to the gateway, shared by everything in the page: the CodeMirror LSP
// client (through `transport`, a @codemirror/lsp-client Transport) and the editor's own
// requests (`nodeforge/graph`, commands). Requests the server sends the client
// (`workspace/applyEdit`, `workspace/configuration`, ...) are answered here: the LSP
// client library answers every server request with "method not found", so they never
// reach it. Notifications go to the page's listeners and then on to the LSP client.

/** What the connection needs of a WebSocket (a fake one in the tests). */
export interface Socket {
  send(data: string): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
}

export type RequestHandler = (params: unknown) => unknown | Promise<unknown>;
export type NotificationListener = (params: unknown) => void;

export interface Transport {
  send(message: string): void;
  subscribe(handler: (value: string) => void): void;
  unsubscribe(handler: (value: string) => void): void;
}

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Ids of the page's own requests, apart from the LSP client's (which count from 1). */
const OWN_ID_PREFIX = "nf-";

export class Connection {
  private readonly subscribers = new Set<(value: string) => void>();
  private readonly pending = new Map<string, Pending>();
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly listeners = new Map<string, Set<NotificationListener>>();
  private nextId = 0;
  private closed: string | null = null;
  /** Rewrites what the LSP client library sends (see lsp.ts: pushDiagnosticsOnly). */
  rewrite: (message: string) => string = (message) => message;
  /** Notifications the page handles alone (not passed on to the LSP client library). */
  readonly consumed = new Set<string>();
  /** Called once when the socket closes, with a reason for the user. */
  onclose: ((reason: string) => void) | null = null;

  /** The LSP client library's end of the connection. */
  readonly transport: Transport = {
    send: (message: string) => this.sendRaw(this.rewrite(message)),
    subscribe: (handler) => this.subscribers.add(handler),
    unsubscribe: (handler) => this.subscribers.delete(handler),
  };

  constructor(private readonly socket: Socket) {
    socket.onmessage = (event) => {
      if (typeof event.data === "string") this.receive(event.data);
    };
    socket.onclose = (event) => this.lost(event.reason || `the connection closed (code ${event.code})`);
  }

  get isClosed(): boolean {
    return this.closed !== null;
  }

  /** Answer the server's request `method` with `handler`'s result (or its error). */
  handle(method: string, handler: RequestHandler): void {
    this.handlers.set(method, handler);
  }

  /** Listen to the server's notification `method`; returns the function that stops it. */
  on(method: string, listener: NotificationListener): () => void {
    let set = this.listeners.get(method);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(method, set);
    }
    set.add(listener);
    return () => set?.delete(listener);
  }

  /** Send a request of the page's own and wait for its result. */
  request<T = unknown>(method: string, params: unknown): Promise<T> {
    if (this.closed !== null) return Promise.reject(new RpcError(-32099, this.closed));
    const id = `${OWN_ID_PREFIX}${++this.nextId}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sendRaw(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  notify(method: string, params: unknown): void {
    this.sendRaw(JSON.stringify({ jsonrpc: "2.0", method, params }));
  }

  close(): void {
    this.socket.close();
    this.lost("closed");
  }

  private sendRaw(message: string): void {
    if (this.closed !== null) throw new Error(this.closed);
    this.socket.send(message);
  }

  private lost(reason: string): void {
    if (this.closed !== null) return;
    this.closed = reason;
    for (const p of this.pending.values()) p.reject(new RpcError(-32099, reason));
    this.pending.clear();
    this.onclose?.(reason);
  }

  /** One message from the server. */
  receive(text: string): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return;
      message = parsed as Record<string, unknown>;
    } catch {
      return;
    }
    const id = message.id;
    const method = message.method;
    if (typeof method === "string" && id !== undefined && id !== null) {
      void this.answer(id as string | number, method, message.params);
      return;
    }
    if (typeof method !== "string" && typeof id === "string" && id.startsWith(OWN_ID_PREFIX)) {
      const pending = this.pending.get(id);
      if (pending === undefined) return;
      this.pending.delete(id);
      const error = message.error as { code?: number; message?: string } | undefined;
      if (error !== undefined && error !== null) {
        pending.reject(new RpcError(error.code ?? -32603, error.message ?? "request failed"));
      } else {
        pending.resolve(message.result ?? null);
      }
      return;
    }
    if (typeof method === "string") {
      for (const listener of this.listeners.get(method) ?? []) {
        try {
          listener(message.params);
        } catch (e) {
          console.error(`[nodeforge] ${method} listener failed`, e);
        }
      }
    }
    if (typeof method === "string" && this.consumed.has(method)) return;
    for (const subscriber of [...this.subscribers]) subscriber(text);
  }

  private async answer(id: string | number, method: string, params: unknown): Promise<void> {
    const handler = this.handlers.get(method);
    let reply: Record<string, unknown>;
    if (handler === undefined) {
      reply = { jsonrpc: "2.0", id, error: { code: -32601, message: `${method} is not supported by this client` } };
    } else {
      try {
        const result = await handler(params);
        reply = { jsonrpc: "2.0", id, result: result === undefined ? null : result };
      } catch (e) {
        const messageText = e instanceof Error ? e.message : String(e);
        reply = { jsonrpc: "2.0", id, error: { code: e instanceof RpcError ? e.code : -32603, message: messageText } };
      }
    }
    if (this.closed === null) this.sendRaw(JSON.stringify(reply));
  }
}

/**
 * The gateway's address and the token from the page's own address: the WebSocket is
 * `/lsp` on the page's host (ws: or wss: as the page), the token goes as the
 * subprotocol `nodeforge.token.<token>` (docs/web-editor.md). Null without a token.
 */
export function gatewayOf(href: string): { url: string; protocols: string[]; token: string } | null {
  const page = new URL(href);
  const token = page.searchParams.get("token");
  if (token === null || token === "") return null;
  const scheme = page.protocol === "https:" ? "wss:" : "ws:";
  return { url: `${scheme}//${page.host}/lsp`, protocols: [`nodeforge.token.${token}`], token };
}

/** The page's address without the token (what the address bar shows once read). */
export function withoutToken(href: string): string {
  const page = new URL(href);
  page.searchParams.delete("token");
  return page.toString();
}

/** What the page needs of a browser WebSocket (a fake one in the tests). */
export interface BrowserSocket {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
}

/**
 * A Socket over a browser WebSocket that queues what is sent before the socket is
 * open (the LSP client sends `initialize` at once).
 */
export function socketOf(ws: BrowserSocket): Socket {
  const queue: string[] = [];
  const socket: Socket = {
    send(data: string) {
      if (ws.readyState === 0) queue.push(data);
      else if (ws.readyState === 1) ws.send(data);
      else throw new Error("the connection to the language server is closed");
    },
    close: () => ws.close(),
    onmessage: null,
    onclose: null,
  };
  ws.onopen = () => {
    for (const data of queue.splice(0)) ws.send(data);
  };
  ws.onmessage = (event) => socket.onmessage?.(event);
  ws.onclose = (event) => socket.onclose?.(event);
  return socket;
}
