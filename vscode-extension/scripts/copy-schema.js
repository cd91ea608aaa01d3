// Copies the flow file JSON Schema shipped with the Python package (what `nodeforge
// schema` prints) into the extension, for `contributes.jsonValidation`.
"use strict";
const fs = require("fs");
const path = require("path");

const source = path.join(__dirname, "..", "..", "nodeforge", "schemas", "flow.schema.json");
const target = path.join(__dirname, "..", "schemas", "flow.schema.json");
let text;
try {
  text = fs.readFileSync(source, "utf8");
  JSON.parse(text);
} catch (error) {
  console.error(`copy-schema: cannot read ${source}: ${error.message}`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, text);
console.log(`copy-schema: ${path.relative(process.cwd(), target)}`);
