import * as assert from "node:assert/strict";
import { test } from "node:test";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { INSTALL_HINT, findExecutable, isExecutableFile, missingExecutableMessage } from "../src/executable";

test("a name is searched on the PATH, a path is taken as is", () => {
  const present = new Set(["/b/nodeforge", "/home/u/bin/nodeforge", "/work/venv/bin/nodeforge"]);
  const check = (f: string) => present.has(f);
  assert.equal(findExecutable("nodeforge", ["/a", "/b"].join(path.delimiter), { check }), "/b/nodeforge");
  assert.equal(findExecutable("nodeforge", "/a", { check }), undefined);
  assert.equal(findExecutable("nodeforge", undefined, { check }), undefined);
  assert.equal(findExecutable("~/bin/nodeforge", "", { home: "/home/u", check }), "/home/u/bin/nodeforge");
  assert.equal(findExecutable("venv/bin/nodeforge", "", { cwd: "/work", check }), "/work/venv/bin/nodeforge");
  assert.equal(findExecutable("/missing/nodeforge", "/b", { check }), undefined);
});

test("only executable regular files count", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nf-exe-"));
  const script = path.join(dir, "nodeforge");
  fs.writeFileSync(script, "#!/bin/sh\n");
  assert.equal(isExecutableFile(script), false);
  fs.chmodSync(script, 0o755);
  assert.equal(isExecutableFile(script), true);
  assert.equal(isExecutableFile(dir), false);
  assert.equal(findExecutable("nodeforge", dir), script);
});

test("the missing-executable message says how to install", () => {
  const text = missingExecutableMessage("nodeforge");
  assert.match(text, /`nodeforge` executable was not found/);
  assert.ok(text.includes(INSTALL_HINT));
  assert.match(INSTALL_HINT, /pip install nodeforge/);
  assert.match(INSTALL_HINT, /nodeforge\.path/);
});
