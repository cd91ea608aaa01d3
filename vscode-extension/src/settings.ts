// Settings: what the language server receives, and what only the extension reads.
//
// VS Code answers the server's `workspace/configuration` request for the `nodeforge`
// section with every `nodeforge.*` setting, the extension's own included; the server
// reports keys it does not know. `serverConfiguration` leaves the extension's keys out,
// so a user's typo in a server setting is still reported but the extension's own
// settings never are.

/** Top-level keys of the `nodeforge` section that belong to the extension, not the server. */
export const CLIENT_ONLY_KEYS: readonly string[] = ["path", "trace", "app", "initializationOptions"];

export const SECTION = "nodeforge";

export type JsonObject = { [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The `nodeforge` section as the server should see it: without the extension's keys. */
export function serverConfiguration(section: unknown): unknown {
  if (!isObject(section)) {
    return section;
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(section)) {
    if (!CLIENT_ONLY_KEYS.includes(key)) {
      out[key] = value;
    }
  }
  return out;
}

/**
 * Apply `serverConfiguration` to the answer of a `workspace/configuration` request: only
 * items asking for the `nodeforge` section (or no section) are filtered.
 */
export function filterConfigurationAnswer(
  items: ReadonlyArray<{ section?: string }>,
  answer: unknown,
): unknown {
  if (!Array.isArray(answer)) {
    return answer;
  }
  return answer.map((value: unknown, index: number) => {
    const section = items[index]?.section;
    if (section === SECTION) {
      return serverConfiguration(value);
    }
    if (section === undefined && isObject(value) && isObject(value[SECTION])) {
      return { ...value, [SECTION]: serverConfiguration(value[SECTION]) };
    }
    return value;
  });
}

/** Reads a value of the `nodeforge` section (a stand-in for `WorkspaceConfiguration`). */
export interface ConfigurationReader {
  get<T>(key: string): T | undefined;
}

/** The `nodeforge` executable: `nodeforge.path`, else `nodeforge` on the PATH. */
export function executableSetting(config: ConfigurationReader): string {
  const value = config.get<string>("path");
  return typeof value === "string" && value.trim() !== "" ? value.trim() : "nodeforge";
}

/** Log level of the app started by Run (`nodeforge.app.logLevel`): `debug` shows every run. */
export function appLogLevel(config: ConfigurationReader): string {
  const value = config.get<string>("app.logLevel");
  return value === "info" || value === "warn" || value === "error" ? value : "debug";
}
