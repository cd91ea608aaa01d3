// Parse and validate flow files with vscode-json-languageservice (what VS Code does for a
// JSON file that a schema association covers), for bench/jsonls_bench.py.
//
//   node validate.mjs --schema SCHEMA.json [--runs N] FILE...
//
// The schema is associated by `fileMatch` (*.flow.json) with each file's absolute
// file:/// URI, as the editor would. Prints one JSON line per file:
//   {"file", "diagnostics", "first_ms", "ms": [per run]}
// where first_ms includes resolving the schema (the first validation) and ms are the
// runs after it. A run is parseJSONDocument + doValidation of the whole text.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { getLanguageService } from "vscode-json-languageservice";
import { TextDocument } from "vscode-languageserver-textdocument";

const args = process.argv.slice(2);
let schemaPath = null;
let runs = 1;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--schema") schemaPath = args[++i];
  else if (args[i] === "--runs") runs = Number(args[++i]);
  else files.push(args[i]);
}
if (!schemaPath || files.length === 0 || !(runs >= 0)) {
  console.error("usage: node validate.mjs --schema SCHEMA.json [--runs N] FILE...");
  process.exit(2);
}
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
const service = getLanguageService({
  // Everything is given inline: a request for another schema is a mistake.
  schemaRequestService: (uri) => Promise.reject(new Error(`unexpected schema request ${uri}`)),
});
service.configure({
  validate: true,
  allowComments: false,
  schemas: [
    {
      uri: pathToFileURL(resolve(schemaPath)).href,
      fileMatch: ["*.flow.json"],
      schema,
    },
  ],
});

async function validate(document) {
  const parsed = service.parseJSONDocument(document);
  return service.doValidation(document, parsed, { schemaValidation: "error" });
}

for (const file of files) {
  const text = readFileSync(file, "utf8");
  const uri = pathToFileURL(resolve(file)).href;
  const document = TextDocument.create(uri, "json", 1, text);
  let start = performance.now();
  let diagnostics = await validate(document);
  const firstMs = performance.now() - start;
  const ms = [];
  for (let i = 0; i < runs; i++) {
    start = performance.now();
    diagnostics = await validate(document);
    ms.push(performance.now() - start);
  }
  console.log(
    JSON.stringify({
      file,
      uri,
      diagnostics: diagnostics.length,
      messages: diagnostics.slice(0, 3).map((d) => d.message),
      first_ms: firstMs,
      ms,
    }),
  );
}
