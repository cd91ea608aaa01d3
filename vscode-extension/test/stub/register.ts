// Loaded with `node --require`: `require("vscode")` gives the fake in ./vscode.
import Module = require("module");
import * as path from "path";

const fake = path.join(__dirname, "vscode.js");
const resolver = Module as unknown as {
  _resolveFilename(request: string, ...rest: unknown[]): string;
};
const original = resolver._resolveFilename.bind(resolver);
resolver._resolveFilename = (request: string, ...rest: unknown[]): string =>
  request === "vscode" ? fake : original(request, ...rest);
