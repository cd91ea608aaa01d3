// What the extension reads from a flow file itself: its id, nodes (with where their
// `id` is written, to reveal them) and test cases. Tolerant: a broken file gives
// what can be read.
import { Node as JsonNode, findNodeAtLocation, getNodeValue, parseTree } from "jsonc-parser";

export interface FlowNode {
  id: string;
  type: string;
  version: string;
  title?: string;
  /** Offset and length of the node's `"id"` value in the text (or of the node object). */
  offset: number;
  length: number;
  trigger: boolean;
}

export interface FlowTestCase {
  name: string;
  trigger?: string;
  input: unknown;
}

export interface FlowOutline {
  id?: string;
  name?: string;
  nodes: FlowNode[];
  tests: FlowTestCase[];
}

/** Node types that start a flow (the standard catalog's triggers). */
export function isTriggerType(type: string): boolean {
  return type === "http/trigger" || type.startsWith("trigger/") || type.endsWith("/trigger");
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function member(node: JsonNode | undefined, key: string): JsonNode | undefined {
  return node === undefined ? undefined : findNodeAtLocation(node, [key]);
}

export function parseFlow(text: string): FlowOutline {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const outline: FlowOutline = { nodes: [], tests: [] };
  if (root === undefined || root.type !== "object") {
    return outline;
  }
  outline.id = str(member(root, "id")?.value);
  outline.name = str(member(root, "name")?.value);
  const nodes = member(root, "nodes");
  for (const element of nodes?.type === "array" ? nodes.children ?? [] : []) {
    if (element.type !== "object") {
      continue;
    }
    const idNode = member(element, "id");
    const id = str(idNode?.value);
    if (id === undefined) {
      continue;
    }
    const type = str(member(element, "type")?.value) ?? "";
    const where = idNode ?? element;
    outline.nodes.push({
      id,
      type,
      version: str(member(element, "version")?.value) ?? "",
      title: str(member(element, "title")?.value),
      offset: where.offset,
      length: where.length,
      trigger: isTriggerType(type),
    });
  }
  const tests = member(root, "tests");
  for (const element of tests?.type === "array" ? tests.children ?? [] : []) {
    if (element.type !== "object") {
      continue;
    }
    const inputNode = member(element, "input");
    outline.tests.push({
      name: str(member(element, "name")?.value) ?? "(unnamed test)",
      trigger: str(member(element, "trigger")?.value),
      // Plain JSON (jsonc-parser builds objects without a prototype).
      input: inputNode === undefined ? {} : (JSON.parse(JSON.stringify(getNodeValue(inputNode) ?? null)) as unknown),
    });
  }
  return outline;
}

/** The node whose object contains `offset` (the cursor), if any. */
export function nodeAt(text: string, offset: number): FlowNode | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const nodes = root === undefined ? undefined : member(root, "nodes");
  if (nodes?.type !== "array") {
    return undefined;
  }
  const outline = parseFlow(text);
  for (const element of nodes.children ?? []) {
    if (element.offset <= offset && offset <= element.offset + element.length) {
      const id = str(member(element, "id")?.value);
      return outline.nodes.find((n) => n.id === id);
    }
  }
  return undefined;
}
