// The config panel's form, derived from a node type's config JSON Schema: which widget
// each key gets (enums as selects, numbers, booleans, connectors from the workspace,
// expressions and templates with the server's completion, lists and objects), from
// the schema, the manifest's `expressions`/`templates` path patterns and the current
// config value. Pure data; panels/inspector.ts draws it.

export type JsonSchema = Record<string, unknown>;
export type PathPart = string | number;

export type FieldKind =
  | "enum"
  | "number"
  | "integer"
  | "boolean"
  | "string"
  | "expression"
  | "template"
  | "connector"
  | "object"
  | "list"
  | "map"
  | "json";

export interface Field {
  key: string;
  path: PathPart[];
  label: string;
  description: string;
  required: boolean;
  kind: FieldKind;
  /** The current value (undefined when the config does not set it). */
  value: unknown;
  /** What the schema says when the config is silent. */
  defaultValue: unknown;
  /** Choices of an enum or a connector (connector names of the right types). */
  options: string[];
  /** An object's properties, a list's items, a map's entries (each with its path). */
  children: Field[];
  /** For a list or map: the kind a new item or entry gets. */
  itemKind: FieldKind | null;
}

export interface FormContext {
  expressions: string[];
  templates: string[];
  /** Connector types the node takes (`connectors` of its manifest). */
  connectorTypes: string[];
  /** The workspace's connectors. */
  connectors: { name: string; type: string }[];
}

/** Whether a manifest path pattern (`cases[].when`, `mapping.*`) names `path`. */
export function matchesPattern(pattern: string, path: PathPart[]): boolean {
  const parts: string[] = [];
  for (const piece of pattern.split(".")) {
    let rest = piece;
    const m = /^([^[]*)((?:\[\])*)$/.exec(rest);
    if (m === null) return false;
    rest = m[1];
    if (rest !== "") parts.push(rest);
    for (let i = 0; i < m[2].length / 2; i++) parts.push("[]");
  }
  if (parts.length !== path.length) return false;
  return parts.every((p, i) => {
    const at = path[i];
    if (p === "[]") return typeof at === "number";
    if (p === "*") return typeof at === "string";
    return p === at;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeOf(schema: JsonSchema): string | null {
  const t = schema.type;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const real = t.filter((x) => x !== "null");
    return real.length === 1 && typeof real[0] === "string" ? real[0] : null;
  }
  return null;
}

function humanize(key: string): string {
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function kindOf(schema: JsonSchema, path: PathPart[], ctx: FormContext): FieldKind {
  if (ctx.expressions.some((p) => matchesPattern(p, path))) return "expression";
  if (ctx.templates.some((p) => matchesPattern(p, path))) return "template";
  if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === "string")) return "enum";
  const type = typeOf(schema);
  if (path.length === 1 && path[0] === "connector" && type === "string") return "connector";
  switch (type) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "integer":
      return "integer";
    case "boolean":
      return "boolean";
    case "object":
      if (isObject(schema.properties)) return "object";
      if (isObject(schema.additionalProperties)) {
        const inner = kindOf(schema.additionalProperties as JsonSchema, [...path, "*"], ctx);
        if (inner === "expression" || inner === "template" || inner === "string") return "map";
      }
      return "json";
    case "array":
      if (isObject(schema.items)) {
        const inner = kindOf(schema.items as JsonSchema, [...path, 0], ctx);
        if (inner !== "object" && inner !== "json" && inner !== "list" && inner !== "map") return "list";
      }
      return "json";
    default:
      return "json";
  }
}

function fieldOf(
  key: string,
  schema: JsonSchema,
  path: PathPart[],
  value: unknown,
  required: boolean,
  ctx: FormContext,
): Field {
  const kind = kindOf(schema, path, ctx);
  const field: Field = {
    key,
    path,
    label: typeof schema.title === "string" ? schema.title : humanize(key),
    description: typeof schema.description === "string" ? schema.description : "",
    required,
    kind,
    value,
    defaultValue: schema.default,
    options: [],
    children: [],
    itemKind: null,
  };
  if (kind === "enum") field.options = (schema.enum as string[]).slice();
  if (kind === "connector") {
    const wanted = new Set(ctx.connectorTypes);
    field.options = ctx.connectors.filter((c) => wanted.size === 0 || wanted.has(c.type)).map((c) => c.name);
  }
  if (kind === "object") {
    field.children = fieldsOf(schema, isObject(value) ? value : {}, ctx, path);
  }
  if (kind === "list") {
    const items = schema.items as JsonSchema;
    field.itemKind = kindOf(items, [...path, 0], ctx);
    const list = Array.isArray(value) ? value : [];
    field.children = list.map((v, i) => fieldOf(String(i + 1), items, [...path, i], v, true, ctx));
  }
  if (kind === "map") {
    const inner = schema.additionalProperties as JsonSchema;
    field.itemKind = kindOf(inner, [...path, "*"], ctx);
    const entries = isObject(value) ? Object.entries(value) : [];
    field.children = entries.map(([k, v]) => fieldOf(k, inner, [...path, k], v, true, ctx));
  }
  return field;
}

/** The form for an object schema and the object's current value. */
export function fieldsOf(
  schema: JsonSchema,
  value: Record<string, unknown>,
  ctx: FormContext,
  path: PathPart[] = [],
): Field[] {
  const props = isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const fields = Object.entries(props).map(([key, sub]) =>
    fieldOf(key, isObject(sub) ? sub : {}, [...path, key], value[key], required.has(key), ctx),
  );
  // Keys the config sets that the schema does not know (NF-diagnosed) stay editable.
  for (const [key, v] of Object.entries(value)) {
    if (!(key in props)) fields.push(fieldOf(key, {}, [...path, key], v, false, ctx));
  }
  return fields;
}

/**
 * The value a widget's text stands for: numbers parsed, JSON parsed for `json`, an
 * empty optional field removed (undefined); or an error message.
 */
export function parseInput(kind: FieldKind, text: string, required: boolean): { value: unknown } | { error: string } {
  if (text.trim() === "" && !required && kind !== "string" && kind !== "expression" && kind !== "template") {
    return { value: undefined };
  }
  switch (kind) {
    case "number": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? { value: n } : { error: "a number is expected" };
    }
    case "integer": {
      const n = Number(text);
      return /^\s*-?\d+\s*$/.test(text) && Number.isSafeInteger(n) ? { value: n } : { error: "a whole number is expected" };
    }
    case "json":
    case "object":
    case "list":
    case "map":
      try {
        return { value: JSON.parse(text) as unknown };
      } catch (e) {
        return { error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
      }
    case "boolean":
      if (text === "true" || text === "false") return { value: text === "true" };
      return { error: "true or false is expected" };
    default:
      return { value: text };
  }
}
