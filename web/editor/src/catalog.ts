// The palette's data: the server's `nodeforge/catalog` answer, normalised and checked,
// grouped by category and filtered by a search.

import type { JsonSchema } from "./schema";

export interface CatalogPort {
  name: string;
  type: string | null;
  description: string;
}

export interface CatalogType {
  type: string;
  version: string;
  versions: string[];
  title: string;
  description: string;
  category: string;
  icon: string | null;
  kind: string | null;
  deprecated: boolean;
  /** standard, custom (the workspace's nodes/) or fork. */
  origin: string;
  inputs: CatalogPort[];
  outputs: CatalogPort[];
  configSchema: JsonSchema;
  expressions: string[];
  templates: string[];
  connectors: string[];
}

export interface Catalog {
  categories: { name: string; title: string }[];
  types: CatalogType[];
  /** Every version: `type@version` -> entry. */
  all: Map<string, CatalogType>;
  connectors: { name: string; type: string }[];
  /** The workspace's folder (a file URI), where forks and custom nodes live. */
  root: string | null;
}

function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function ports(value: unknown): CatalogPort[] {
  if (Array.isArray(value)) {
    return value.filter(isObject).map((p) => ({
      name: str(p.name),
      type: typeof p.type === "string" ? p.type : null,
      description: str(p.description),
    }));
  }
  if (isObject(value)) {
    return Object.entries(value).map(([name, p]) => ({
      name,
      type: isObject(p) && typeof p.type === "string" ? p.type : null,
      description: isObject(p) ? str(p.description) : "",
    }));
  }
  return [];
}

function entryOf(type: string, category: string, versions: string[], v: Record<string, unknown>): CatalogType {
  return {
    type,
    version: str(v.version),
    versions,
    title: str(v.title, type),
    description: str(v.description),
    category: str(v.category, category),
    icon: typeof v.icon === "string" ? v.icon : null,
    kind: typeof v.kind === "string" ? v.kind : null,
    deprecated: v.deprecated === true || typeof v.deprecated === "string",
    origin: str(v.origin, "standard"),
    inputs: ports(v.inputs),
    outputs: ports(v.outputs),
    configSchema: isObject(v.configSchema) ? v.configSchema : {},
    expressions: strings(v.expressions),
    templates: strings(v.templates),
    connectors: strings(v.connectorTypes),
  };
}

/**
 * The catalog from the server's `nodeforge/catalog` answer (analysis/ide/palette.py:
 * `types[]` of `{type, category, latest, versions: [{version, title, ...}]}`), or the
 * reason it is refused. `types` holds each type's latest version; `versions` every one.
 */
export function parseCatalog(value: unknown): Catalog | string {
  if (!isObject(value)) return "the catalog is not an object";
  if (!Array.isArray(value.types)) return "the catalog has no `types` list";
  const types: CatalogType[] = [];
  const all = new Map<string, CatalogType>();
  for (const [i, t] of value.types.entries()) {
    if (!isObject(t) || typeof t.type !== "string") return `catalog entry ${i} has no type`;
    if (!Array.isArray(t.versions) || t.versions.length === 0) return `catalog entry ${t.type} has no versions`;
    const details = t.versions.filter(isObject);
    const names = details.map((v) => str(v.version));
    const category = str(t.category, t.type.split("/")[0]);
    for (const v of details) all.set(`${t.type}@${str(v.version)}`, entryOf(t.type, category, names, v));
    const latest = all.get(`${t.type}@${str(t.latest, names[0])}`) ?? all.get(`${t.type}@${names[0]}`);
    if (latest !== undefined) types.push(latest);
  }
  const categories: { name: string; title: string }[] = [];
  if (Array.isArray(value.categories)) {
    for (const c of value.categories) {
      if (typeof c === "string") categories.push({ name: c, title: c });
      else if (isObject(c) && typeof c.name === "string") categories.push({ name: c.name, title: str(c.title, c.name) });
    }
  }
  for (const t of types) {
    if (!categories.some((c) => c.name === t.category)) categories.push({ name: t.category, title: t.category });
  }
  const connectors = Array.isArray(value.connectors)
    ? value.connectors.filter(isObject).map((c) => ({ name: str(c.name), type: str(c.type) })).filter((c) => c.name !== "")
    : [];
  return { categories, types, all, connectors, root: typeof value.root === "string" ? value.root : null };
}

/** How well `t` matches `query` (lower is better), or null when it does not. */
export function matchScore(t: CatalogType, query: string): number | null {
  const q = query.trim().toLowerCase();
  if (q === "") return 0;
  const type = t.type.toLowerCase();
  const title = t.title.toLowerCase();
  if (type === q || title === q) return 0;
  if (type.startsWith(q) || title.startsWith(q) || type.split("/")[1]?.startsWith(q)) return 1;
  if (type.includes(q) || title.includes(q)) return 2;
  if (t.category.toLowerCase().includes(q)) return 3;
  if (t.description.toLowerCase().includes(q)) return 4;
  return null;
}

/** The palette's groups for `query`: categories in catalog order, best matches first. */
export function paletteGroups(catalog: Catalog, query: string): { category: string; title: string; types: CatalogType[] }[] {
  const groups: { category: string; title: string; types: CatalogType[] }[] = [];
  for (const c of catalog.categories) {
    const scored = catalog.types
      .filter((t) => t.category === c.name)
      .map((t) => [matchScore(t, query), t] as const)
      .filter((x): x is readonly [number, CatalogType] => x[0] !== null)
      .sort((a, b) => a[0] - b[0] || a[1].type.localeCompare(b[1].type));
    if (scored.length > 0) groups.push({ category: c.name, title: c.title, types: scored.map((x) => x[1]) });
  }
  return groups;
}

/** The entry for `type` at `version` (else its latest). */
export function findType(catalog: Catalog, type: string | null, version?: string | null): CatalogType | null {
  if (type === null) return null;
  if (version) {
    const exact = catalog.all.get(`${type}@${version}`);
    if (exact !== undefined) return exact;
  }
  return catalog.types.find((t) => t.type === type) ?? null;
}
