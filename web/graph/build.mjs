// Bundle the canvas into one script and one stylesheet for the VS Code extension's
// webview (vscode-extension/media/graph.js and graph.css); with --tests, compile the
// unit tests to build/tests/ for `node --test`. The output is deterministic, so the
// committed bundle can be checked against a fresh build (tests/test_web_graph.py).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const media = process.env.NODEFORGE_GRAPH_OUT ?? join(here, "..", "..", "vscode-extension", "media");

if (process.argv.includes("--tests")) {
  const tests = readdirSync(join(here, "test")).filter((f) => f.endsWith(".test.ts"));
  await build({
    entryPoints: tests.map((f) => join(here, "test", f)),
    outdir: join(here, "build", "tests"),
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node18",
    logLevel: "warning",
  });
} else {
  mkdirSync(media, { recursive: true });
  await build({
    entryPoints: [join(here, "src", "main.ts")],
    outfile: join(media, "graph.js"),
    bundle: true,
    format: "iife",
    target: "es2020",
    charset: "utf8",
    legalComments: "none",
    banner: { js: "// Built from web/graph (npm run build). Do not edit." },
    logLevel: "warning",
  });
  copyFileSync(join(here, "src", "graph.css"), join(media, "graph.css"));
}
