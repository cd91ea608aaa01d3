import * as assert from "node:assert/strict";
import { test } from "node:test";
import * as fs from "fs";
import * as path from "path";
import {
  CLIENT_ONLY_KEYS,
  appLogLevel,
  executableSetting,
  filterConfigurationAnswer,
  serverConfiguration,
} from "../src/settings";
import { EXTENSION_ROOT } from "./helpers";

const reader = (values: Record<string, unknown>) => ({ get: <T>(key: string) => values[key] as T | undefined });

test("the server never sees the extension's own settings", () => {
  const section = {
    path: "/opt/nodeforge",
    trace: { server: "verbose" },
    app: { address: "127.0.0.1:9000", logLevel: "debug" },
    initializationOptions: {},
    debounceMs: 50,
    rules: { NF020: "hint" },
    typoSetting: true,
  };
  assert.deepEqual(serverConfiguration(section), {
    debounceMs: 50,
    rules: { NF020: "hint" },
    typoSetting: true, // a user's typo is still reported by the server
  });
  assert.equal(serverConfiguration(null), null);
});

test("every setting in package.json that is not the server's is client-only", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, "package.json"), "utf8"));
  const keys = Object.keys(manifest.contributes.configuration.properties).map((k: string) =>
    k.replace(/^nodeforge\./, "").split(".")[0],
  );
  const clientKeys = keys.filter((k: string) => CLIENT_ONLY_KEYS.includes(k));
  assert.deepEqual([...new Set(clientKeys)].sort(), ["app", "path", "trace"]);
});

test("workspace/configuration answers are filtered per requested section", () => {
  const items = [{ section: "nodeforge" }, { section: "files" }, {}];
  const answer = [
    { path: "x", codeLens: false },
    { path: "kept: another section" },
    { nodeforge: { path: "x", maxDiagnostics: 3 }, other: 1 },
  ];
  assert.deepEqual(filterConfigurationAnswer(items, answer), [
    { codeLens: false },
    { path: "kept: another section" },
    { nodeforge: { maxDiagnostics: 3 }, other: 1 },
  ]);
  assert.equal(filterConfigurationAnswer(items, null), null);
});

test("the executable setting and the app's log level", () => {
  assert.equal(executableSetting(reader({})), "nodeforge");
  assert.equal(executableSetting(reader({ path: "  " })), "nodeforge");
  assert.equal(executableSetting(reader({ path: " /opt/nf/bin/nodeforge " })), "/opt/nf/bin/nodeforge");
  assert.equal(appLogLevel(reader({})), "debug");
  assert.equal(appLogLevel(reader({ "app.logLevel": "warn" })), "warn");
  assert.equal(appLogLevel(reader({ "app.logLevel": "loud" })), "debug");
});
