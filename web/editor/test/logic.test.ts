import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { GraphView } from "../../graph/src/protocol";
import { findType, paletteGroups, parseCatalog } from "../src/catalog";
import { clipText, copyNodes, fromCanvas, parseClip, pasteNodes, pointer, setConfig } from "../src/commands";
import { applyChanges, editFor, lineStarts, offsetAt, positionAt } from "../src/edits";
import { decodeLiteral, decodedOffset, spanAt } from "../src/jsonvalue";
import { pushDiagnosticsOnly } from "../src/lsp";
import { problemRows } from "../src/panels/problems";
import { Connection, gatewayOf, socketOf, withoutToken, type Socket } from "../src/rpc";
import { fieldsOf, matchesPattern, parseInput } from "../src/schema";
import { unescapeInsert } from "../src/exprfield";

const graph = (): GraphView =>
  JSON.parse(readFileSync(new URL("../../../graph/sample/orders_api.graph.json", import.meta.url), "utf8")) as GraphView;
const flowText = (): string =>
  readFileSync(new URL("../../../../examples/orders_api.flow.json", import.meta.url), "utf8");

function fakeSocket(): Socket & { sent: string[] } {
  const s = { sent: [] as string[], onmessage: null, onclose: null, send(d: string) { s.sent.push(d); }, close() {} };
  return s as Socket & { sent: string[] };
}

test("the connection answers server requests, resolves its own, passes the rest on", async () => {
  const socket = fakeSocket();
  const conn = new Connection(socket);
  const seen: string[] = [];
  conn.transport.subscribe((m) => seen.push(m));
  conn.handle("workspace/applyEdit", () => ({ applied: true }));
  const notes: unknown[] = [];
  conn.on("nodeforge/graphChanged", (p) => notes.push(p));
  const pending = conn.request("nodeforge/graph", { textDocument: { uri: "file:///a" } });
  const sent = JSON.parse(socket.sent[0]);
  assert.equal(sent.method, "nodeforge/graph");
  socket.onmessage!({ data: JSON.stringify({ jsonrpc: "2.0", id: sent.id, result: { nodes: [] } }) });
  assert.deepEqual(await pending, { nodes: [] });
  socket.onmessage!({ data: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "workspace/applyEdit", params: {} }) });
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(JSON.parse(socket.sent[1]), { jsonrpc: "2.0", id: 7, result: { applied: true } });
  socket.onmessage!({ data: JSON.stringify({ jsonrpc: "2.0", id: 8, method: "window/unknown" }) });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(JSON.parse(socket.sent[2]).error.code, -32601);
  const note = JSON.stringify({ jsonrpc: "2.0", method: "nodeforge/graphChanged", params: { uri: "file:///a", version: 2 } });
  socket.onmessage!({ data: note });
  const response = JSON.stringify({ jsonrpc: "2.0", id: 1, result: null }); // the LSP client's
  socket.onmessage!({ data: response });
  assert.deepEqual(notes, [{ uri: "file:///a", version: 2 }]);
  assert.deepEqual(seen, [note, response]);
  const failing = conn.request("x", {});
  const id = JSON.parse(socket.sent.at(-1)!).id;
  socket.onmessage!({ data: JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32803, message: "stale" } }) });
  await assert.rejects(failing, /stale/);
  const lost = conn.request("y", {});
  socket.onclose!({ code: 1006, reason: "" });
  await assert.rejects(lost, /code 1006/);
});

test("the socket waits for the open WebSocket; the token goes as a subprotocol", () => {
  const ws = { readyState: 0, sent: [] as string[], onopen: null as ((e: unknown) => void) | null, onmessage: null, onclose: null, send(d: string) { ws.sent.push(d); }, close() {} };
  const socket = socketOf(ws);
  socket.send("a");
  assert.deepEqual(ws.sent, []);
  ws.readyState = 1;
  ws.onopen!({});
  socket.send("b");
  assert.deepEqual(ws.sent, ["a", "b"]);
  ws.readyState = 3;
  assert.throws(() => socket.send("c"), /closed/);
  assert.deepEqual(gatewayOf("http://127.0.0.1:8765/?token=abc&flow=x"), {
    url: "ws://127.0.0.1:8765/lsp",
    protocols: ["nodeforge.token.abc"],
    token: "abc",
  });
  assert.equal(gatewayOf("https://h/?token=t")?.url, "wss://h/lsp");
  assert.equal(gatewayOf("http://h/"), null);
  assert.equal(withoutToken("http://h/?token=t&flow=x"), "http://h/?flow=x");
});

test("workspace edits become changes of the text, stale ones are refused", () => {
  const text = "ab\ncd\r\nef";
  const starts = lineStarts(text);
  assert.deepEqual(starts, [0, 3, 7]);
  assert.equal(offsetAt(text, starts, { line: 1, character: 99 }), 5);
  assert.deepEqual(positionAt(starts, 8), { line: 2, character: 1 });
  const edit = {
    documentChanges: [
      {
        textDocument: { uri: "file:///f", version: 4 },
        edits: [
          { range: { start: { line: 2, character: 0 }, end: { line: 2, character: 2 } }, newText: "EF" },
          { range: { start: { line: 0, character: 1 }, end: { line: 0, character: 1 } }, newText: "+" },
        ],
      },
    ],
  };
  const changes = editFor(edit, "file:///f", 4, text);
  assert.ok(Array.isArray(changes));
  assert.equal(applyChanges(text, changes), "a+b\ncd\r\nEF");
  assert.match(String(editFor(edit, "file:///f", 5, text)), /version 4 .* version 5/);
  assert.match(String(editFor(edit, "file:///g", 4, text)), /not open/);
  const plain = { changes: { "file:///f": [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 2 } }, newText: "X" }] } };
  assert.equal(applyChanges(text, editFor(plain, "file:///f", 1, text) as never), "X\ncd\r\nef");
  const overlapping = { changes: { "file:///f": [plain.changes["file:///f"][0], plain.changes["file:///f"][0]] } };
  assert.match(String(editFor(overlapping, "file:///f", 1, text)), /overlap/);
  assert.match(String(editFor({ documentChanges: [{ kind: "create", uri: "file:///n" }] }, "file:///f", 1, text)), /create a file/);
});

test("config values are found in a node's text; literals map offsets through escapes", () => {
  const text = `[{"id": "a", "config": {"when": "input.x == \\"y\\"", "n": [1, {"k": true}]}}]`;
  const span = spanAt(text, 1, ["config", "when"]);
  assert.ok(span);
  const literal = text.slice(span.start, span.end);
  assert.equal(literal, `"input.x == \\"y\\""`);
  assert.deepEqual(spanAt(text, 1, ["config", "n"]) && text.slice(spanAt(text, 1, ["config", "n"])!.start, spanAt(text, 1, ["config", "n"])!.end), `[1, {"k": true}]`);
  assert.equal(spanAt(text, 1, ["config", "missing"]), null);
  assert.equal(spanAt(`{"a": [}`, 0, ["a"]), null);
  const decoded = decodeLiteral(literal)!;
  assert.equal(decoded.text, 'input.x == "y"');
  // Offsets: 'input.x == ' is 11 characters, then \" takes two in the literal.
  assert.equal(decoded.offsets[11], 12);
  assert.equal(decoded.offsets[12], 14);
  assert.equal(decoded.offsets.at(-1), literal.length - 1);
  assert.equal(decodedOffset(decoded.offsets, 14), 12);
  assert.equal(decodeLiteral(`"bad \\q"`), null);
  assert.equal(decodeLiteral(`"\\u00e9"`)?.text, "é");
  assert.equal(unescapeInsert(`\\"paid\\"`), '"paid"');
});

test("the form follows the schema: enums, numbers, connectors, expressions, lists", () => {
  const schema = {
    type: "object",
    required: ["connector", "query"],
    properties: {
      connector: { type: "string", description: "Name of a connector" },
      query: { type: "string" },
      params: { type: "array", items: { type: "string" } },
      method: { enum: ["GET", "POST"] },
      limit: { type: "integer", default: 10 },
      strict: { type: "boolean" },
      mapping: { type: "object", additionalProperties: { type: "string" } },
      row_schema: { type: "object" },
    },
  };
  const fields = fieldsOf(schema, { params: ["input.id"], extra: 1 }, {
    expressions: ["params[]", "mapping.*"],
    templates: [],
    connectorTypes: ["postgres"],
    connectors: [{ name: "main_db", type: "postgres" }, { name: "mail", type: "smtp" }],
  });
  const kinds = Object.fromEntries(fields.map((f) => [f.key, f.kind]));
  assert.deepEqual(kinds, {
    connector: "connector",
    query: "string",
    params: "list",
    method: "enum",
    limit: "integer",
    strict: "boolean",
    mapping: "map",
    row_schema: "json",
    extra: "json",
  });
  const byKey = new Map(fields.map((f) => [f.key, f]));
  assert.deepEqual(byKey.get("connector")!.options, ["main_db"]);
  assert.equal(byKey.get("connector")!.required, true);
  assert.deepEqual(byKey.get("params")!.children.map((c) => [c.kind, c.path, c.value]), [["expression", ["params", 0], "input.id"]]);
  assert.equal(byKey.get("params")!.itemKind, "expression");
  assert.deepEqual(byKey.get("method")!.options, ["GET", "POST"]);
  assert.ok(matchesPattern("cases[].when", ["cases", 2, "when"]));
  assert.ok(!matchesPattern("cases[].when", ["cases", "x", "when"]));
  assert.ok(matchesPattern("mapping.*", ["mapping", "id"]));
  assert.deepEqual(parseInput("integer", "12", true), { value: 12 });
  assert.ok("error" in parseInput("integer", "1.5", true));
  assert.deepEqual(parseInput("number", "", false), { value: undefined });
  assert.ok("error" in parseInput("json", "{", true));
  assert.deepEqual(parseInput("json", '{"a": 1}', true), { value: { a: 1 } });
});

test("the catalog: latest versions, every version, search by name and description", () => {
  const raw = {
    categories: [{ name: "http", types: ["http/request"] }, { name: "sql", types: ["sql/query"] }],
    types: [
      { type: "sql/query", category: "sql", latest: "1.1.0", versions: [
        { version: "1.1.0", title: "SQL query", description: "Runs a query", configSchema: { type: "object" }, expressions: ["params[]"], connectorTypes: ["postgres"], inputs: [{ name: "in", type: "any", description: "" }], outputs: [] },
        { version: "1.0.0", title: "SQL query (old)", description: "Runs a query", deprecated: "use 1.1.0" },
      ] },
      { type: "http/request", category: "http", latest: "1.0.0", versions: [{ version: "1.0.0", title: "HTTP request", description: "Calls a URL" }] },
    ],
    connectors: [{ name: "main_db", type: "postgres" }],
  };
  const catalog = parseCatalog(raw);
  assert.ok(typeof catalog !== "string");
  assert.deepEqual(catalog.types.map((t) => [t.type, t.version, t.versions]), [["sql/query", "1.1.0", ["1.1.0", "1.0.0"]], ["http/request", "1.0.0", ["1.0.0"]]]);
  assert.equal(findType(catalog, "sql/query", "1.0.0")?.deprecated, true);
  assert.equal(findType(catalog, "sql/query", "9.9.9")?.version, "1.1.0");
  assert.deepEqual(findType(catalog, "sql/query")?.connectors, ["postgres"]);
  assert.deepEqual(paletteGroups(catalog, "").map((g) => g.category), ["http", "sql"]);
  assert.deepEqual(paletteGroups(catalog, "url").map((g) => g.types.map((t) => t.type)), [["http/request"]]);
  assert.deepEqual(paletteGroups(catalog, "zzz"), []);
  assert.equal(parseCatalog({ types: [{ type: "x" }] }), "catalog entry x has no versions");
});

test("canvas gestures become the server's graph commands", () => {
  assert.deepEqual(fromCanvas({ type: "move", moves: [{ node: "a", x: 10, y: 20 }] }, "file:///f", 3), [
    { command: "nodeforge.graph.moveNodes", arguments: [{ uri: "file:///f", version: 3, moves: [{ id: "a", x: 10, y: 20 }] }] },
  ]);
  assert.deepEqual(fromCanvas({ type: "connect", source: { node: "a", port: "out" }, target: { node: "b", port: "in" } }, "u", 1)[0].arguments[0], {
    uri: "u", version: 1, from: { node: "a", port: "out" }, to: { node: "b", port: "in" },
  });
  assert.deepEqual(fromCanvas({ type: "delete", nodes: ["a"], connections: [2] }, "u", 1).map((c) => c.command), ["nodeforge.graph.deleteNodes"]);
  assert.deepEqual(fromCanvas({ type: "delete", nodes: [], connections: [2] }, "u", 1)[0].arguments[0], { uri: "u", version: 1, index: 2 });
  assert.deepEqual(fromCanvas({ type: "drop", data: JSON.stringify({ type: "http/request", version: "1.0.0" }), at: { x: 5, y: 6 } }, "u", 1)[0].arguments[0], {
    uri: "u", version: 1, type: "http/request", typeVersion: "1.0.0", position: { x: 5, y: 6 },
  });
  assert.deepEqual(fromCanvas({ type: "drop", data: "nope", at: { x: 0, y: 0 } }, "u", 1), []);
  assert.equal(pointer(["a/b", 0, "c~d"]), "/a~1b/0/c~0d");
  assert.deepEqual(setConfig("u", 2, "n", ["x"], undefined).arguments[0], { uri: "u", version: 2, id: "n", path: "/x", value: null });
});

test("copy reads the selected nodes and their connections from the text; paste offsets them", () => {
  const g = graph();
  const text = flowText();
  const starts = lineStarts(text);
  const keys = g.connections.slice(0, 1).flatMap((c) => [c.source.node!, c.target.node!]);
  const clip = copyNodes(g, keys, text, (p) => offsetAt(text, starts, p));
  assert.ok(typeof clip !== "string");
  assert.deepEqual(clip.nodes.map((n) => n.id), g.nodes.filter((n) => keys.includes(n.key)).map((n) => n.id));
  assert.ok(clip.connections.length >= 1);
  const call = pasteNodes("u", 1, clip, { x: clip.origin.x + 100, y: clip.origin.y + 50 });
  assert.deepEqual(call.arguments[0].offset, { x: 100, y: 50 });
  assert.deepEqual(parseClip(clipText(clip)), clip);
  assert.equal(parseClip("{}"), null);
  assert.equal(copyNodes(g, [], text, (p) => offsetAt(text, starts, p)), "nothing is selected");
});

test("the initialize request asks for pushed diagnostics; problems list every diagnostic", () => {
  const init = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { capabilities: { textDocument: { diagnostic: {}, hover: {} } } } });
  assert.deepEqual(JSON.parse(pushDiagnosticsOnly(init)).params.capabilities.textDocument, { hover: {} });
  const other = JSON.stringify({ jsonrpc: "2.0", method: "textDocument/didOpen", params: {} });
  assert.equal(pushDiagnosticsOnly(other), other);
  const bad = JSON.parse(readFileSync(new URL("../../../graph/sample/bad_connections.graph.json", import.meta.url), "utf8")) as GraphView;
  const rows = problemRows(bad);
  const total = bad.diagnostics.length + bad.nodes.reduce((n, x) => n + x.diagnostics.length, 0) + bad.connections.reduce((n, x) => n + x.diagnostics.length, 0);
  assert.equal(rows.length, total);
  assert.ok(rows.every((r, i) => i === 0 || rows[i - 1].severity <= r.severity));
});

import { appLogLine, decorationsOf, foldProgress, parseJsonInput, parseSimResult, portValue, shortValue, simulationLogs } from "../src/devmode";
import { diffRows } from "../src/panels/history";
import { shownSettings } from "../src/panels/connectors";
import { visibleLines } from "../src/panels/log";

const sim = (over: Record<string, unknown> = {}) =>
  parseSimResult({
    session: "s1",
    flow: "orders_api",
    trigger: "create_order",
    status: "done",
    paused_at: null,
    response: { status: 201, body: { id: 1 } },
    error: null,
    faithful: true,
    unfaithful: [],
    trace: ["create_order", "insert_order"],
    nodes: {
      create_order: { type: "http/trigger", version: "1.0.0", status: "ok", runs: 1, inputs: {}, outputs: { out: { body: { sku: "A" } } }, logs: [], duration_ms: 0.2, faithful: true },
      created: { type: "http/respond", version: "1.0.0", status: "not_run", runs: 0, inputs: {}, outputs: {}, logs: [], duration_ms: 0, faithful: true },
      insert_order: { type: "sql/exec", version: "1.0.0", status: "error", runs: 1, inputs: {}, outputs: {}, logs: [{ level: "ERROR", msg: "no database", table: "orders" }], duration_ms: 1.5, faithful: true, reason: "no database" },
    },
    connections: [
      { index: 0, from: "create_order.out", to: "insert_order.in", count: 1, values: [{ body: { sku: "A" } }], truncated: false },
      { index: 1, from: "insert_order.out", to: "created.in", count: 0, values: [], truncated: false },
    ],
    duration_ms: 2,
    ...over,
  });

test("development mode: run states, breakpoints and data labels for the canvas", () => {
  const s = sim();
  assert.notEqual(typeof s, "string");
  if (typeof s === "string") return;
  const d = decorationsOf(graph(), s, new Set(["created"]));
  assert.equal(d.nodes?.create_order.state, "ok");
  assert.equal(d.nodes?.insert_order.state, "error");
  assert.equal(d.nodes?.insert_order.note, "no database");
  assert.equal(d.nodes?.created.breakpoint, true);
  assert.equal(d.nodes?.created.state, "skipped");
  assert.equal(d.edges?.[0], "{body}");
  assert.equal(d.edges?.[1], undefined, "a connection without data has no label");
  const paused = sim({ status: "paused", paused_at: { node: "insert_order", port: "in", value: 1, connection: 0 } }) as Exclude<ReturnType<typeof sim>, string>;
  assert.equal(decorationsOf(graph(), paused, new Set()).nodes?.insert_order.state, "paused");
  assert.deepEqual(portValue(s, "create_order", "out").value, { body: { sku: "A" } });
  assert.equal(portValue(s, "insert_order", "out").ran, false);
  assert.deepEqual(simulationLogs(s).map((l) => [l.node, l.level, l.text]), [["insert_order", "ERROR", "no database table=orders"]]);
  assert.equal(parseSimResult({ status: "done" }), "the simulation answered no session");
});

test("development mode: values, inputs, app log lines and progress", () => {
  assert.equal(shortValue("a".repeat(40), 10), '"aaaaaaaa…');
  assert.equal(shortValue([1, 2]), "[2 items]");
  assert.equal(shortValue({ a: 1, b: 2, c: 3, d: 4 }), "{a, b, c, …}");
  assert.deepEqual(parseJsonInput(""), { value: null });
  assert.ok("error" in parseJsonInput("{"));
  assert.deepEqual(appLogLine('[app] {"level":"WARN","msg":"slow","node":"q","ms":12}'), { source: "app", node: "q", level: "WARN", text: "slow ms=12" });
  assert.equal(appLogLine("Nodeforge: built"), null);
  assert.deepEqual(appLogLine("[app] listening"), { source: "app", node: null, level: "INFO", text: "listening" });
  const items = new Map();
  assert.equal(foldProgress(items, { token: "t", value: { kind: "begin", title: "Building" } })?.title, "Building");
  assert.equal(foldProgress(items, { token: "t", value: { kind: "report", message: "go build", percentage: 50 } })?.percentage, 50);
  assert.equal(items.size, 1);
  assert.equal(foldProgress(items, { token: "t", value: { kind: "end" } })?.done, true);
  assert.equal(items.size, 0);
  assert.equal(foldProgress(items, { nonsense: true }), null);
});

test("projects: diff rows, connector settings without secrets, log filters", () => {
  const rows = diffRows({
    a_label: "a",
    b_label: "b",
    nodes_added: [{ id: "log", type: "util/log", version: "1.0.0" }],
    nodes_removed: [],
    nodes_changed: [{ id: "fr", changes: [{ path: "title", before: "20%", after: "20% TVA", kind: "changed" }] }],
    connections_added: ["de.out -> log.in"],
    connections_removed: [],
    flow_changes: [],
    tests_added: [],
    tests_removed: [],
    tests_changed: [],
    text_diff: "",
    parse_errors: [],
  });
  assert.deepEqual(rows.map((r) => `${r.sign} ${r.what} ${r.detail}`), [
    "+ node log util/log@1.0.0",
    '~ node fr: title "20%" → "20% TVA"',
    "+ connection de.out -> log.in",
  ]);
  const shown = shownSettings(
    { name: "mailer", type: "smtp", declared: true, stored: true, settings: { host: "mx", password: "********" }, problems: [] },
    [{ name: "password", description: "", required: false, secret: true, default: null }],
  );
  assert.deepEqual(shown, [["host", "mx"], ["password", "(set)"]]);
  const lines = [
    { source: "sim", node: "a", level: "INFO", text: "one" },
    { source: "app", node: null, level: "ERROR", text: "two" },
  ];
  assert.deepEqual(visibleLines(lines, "", "WARN", "").map((l) => l.text), ["two"]);
  assert.deepEqual(visibleLines(lines, "sim", "DEBUG", "").map((l) => l.text), ["one"]);
  assert.deepEqual(visibleLines(lines, "", "DEBUG", "TWO").map((l) => l.text), ["two"]);
});
