// The sample graphs: what the server answers for two flows (kept current by
// tests/test_web_graph.py).
import { readFileSync } from "node:fs";
import type { GraphView } from "../src/protocol";

function sample(name: string): GraphView {
  const url = new URL(`../../sample/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as GraphView;
}

export const ordersApi = (): GraphView => sample("orders_api.graph.json");
export const badConnections = (): GraphView => sample("bad_connections.graph.json");
