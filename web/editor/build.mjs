// Build the page into nodeforge/webui/ (index.html, editor.js, editor.css), the folder
// `nodeforge serve` serves and the Python distribution carries as package data; with
// --tests, compile the unit tests to build/tests/ for `node --test`. The output is
// deterministic, so tests/test_web_editor.py can check the committed files are current.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.env.NODEFORGE_WEBUI_OUT ?? join(here, "..", "..", "nodeforge", "webui");

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
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(here, "src", "main.ts")],
    outfile: join(out, "editor.js"),
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    charset: "utf8",
    legalComments: "none",
    banner: { js: "// Built from web/editor (npm run build). Do not edit." },
    logLevel: "warning",
  });
  // One stylesheet: the canvas's and the page's.
  const css = [join(here, "..", "graph", "src", "graph.css"), join(here, "src", "editor.css")]
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
  writeFileSync(join(out, "editor.css"), "/* Built from web/graph and web/editor (npm run build). Do not edit. */\n" + css);
  copyFileSync(join(here, "static", "index.html"), join(out, "index.html"));
}
