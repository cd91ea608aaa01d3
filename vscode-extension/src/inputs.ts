// Choosing the input of a node test or a simulation: a saved input, a test case of the
// flow, a JSON file, an empty object, or JSON typed in (which can then be saved).
// Saved inputs live in the workspace, in `.nodeforge/inputs/<flow id>/<name>.json`.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import type { FlowOutline } from "./flows";

export interface InputChoice extends vscode.QuickPickItem {
  source: "saved" | "test" | "file" | "empty" | "json";
  value?: unknown;
  file?: string;
}

/** The nearest folder at or above `dir` holding `nodeforge.toml`. */
export function findWorkspaceRoot(dir: string): string | undefined {
  let current = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(current, "nodeforge.toml"))) {
      return current;
    }
    const parent = path.dirname(current);
    if (parent === current) {
      return undefined;
    }
    current = parent;
  }
}

export function savedInputsDir(flowFile: string, flowId: string | undefined): string {
  const root = findWorkspaceRoot(path.dirname(flowFile)) ?? path.dirname(flowFile);
  const name = flowId ?? path.basename(flowFile).replace(/\.flow\.json$/, "");
  return path.join(root, ".nodeforge", "inputs", name);
}

export function listSavedInputs(dir: string): { name: string; file: string }[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.endsWith(".json"))
    .sort()
    .map((e) => ({ name: e.slice(0, -".json".length), file: path.join(dir, e) }));
}

/** The choices offered, saved inputs and the test cases firing `trigger` (or all) first. */
export function inputChoices(
  outline: FlowOutline,
  saved: { name: string; file: string }[],
  trigger?: string,
): InputChoice[] {
  const choices: InputChoice[] = [];
  for (const s of saved) {
    choices.push({ source: "saved", label: `$(save) ${s.name}`, description: "saved input", file: s.file });
  }
  for (const t of outline.tests) {
    if (trigger !== undefined && t.trigger !== undefined && t.trigger !== trigger) {
      continue;
    }
    choices.push({
      source: "test",
      label: `$(beaker) ${t.name}`,
      description: t.trigger ? `test case (fires ${t.trigger})` : "test case",
      value: t.input,
    });
  }
  choices.push({ source: "file", label: "$(file) Choose a JSON file…" });
  choices.push({ source: "json", label: "$(edit) Type JSON…" });
  choices.push({ source: "empty", label: "$(circle-slash) Empty object", description: "{}", value: {} });
  return choices;
}

/** Parse typed JSON; the error message for the input box otherwise. */
export function validateJson(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
}

export function isValidInputName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_. -]*$/.test(name) && !name.includes("..");
}

/** Ask for an input; undefined when the user cancels. */
export async function pickInput(
  flowFile: string,
  outline: FlowOutline,
  purpose: string,
  trigger?: string,
): Promise<{ value: unknown } | undefined> {
  const dir = savedInputsDir(flowFile, outline.id);
  const choice = await vscode.window.showQuickPick(inputChoices(outline, listSavedInputs(dir), trigger), {
    title: `Input for ${purpose}`,
    placeHolder: "Saved inputs, the flow's test cases, a file, or JSON",
  });
  if (choice === undefined) {
    return undefined;
  }
  switch (choice.source) {
    case "saved":
      return { value: readJsonFile(choice.file ?? "") };
    case "test":
    case "empty":
      return { value: choice.value };
    case "file": {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: { JSON: ["json"] },
        title: `Input for ${purpose}`,
      });
      if (picked === undefined || picked.length === 0) {
        return undefined;
      }
      return { value: readJsonFile(picked[0].fsPath) };
    }
    case "json": {
      const text = await vscode.window.showInputBox({
        title: `Input for ${purpose} (JSON)`,
        value: "{}",
        validateInput: validateJson,
      });
      if (text === undefined) {
        return undefined;
      }
      const value: unknown = JSON.parse(text);
      const name = await vscode.window.showInputBox({
        title: "Save this input for next time? (a name, or Escape)",
        validateInput: (n) => (n === "" || isValidInputName(n) ? undefined : "letters, digits, _ . - and spaces"),
      });
      if (name) {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(value, null, 2) + "\n");
      }
      return { value };
    }
  }
}

export function readJsonFile(file: string): unknown {
  const text = fs.readFileSync(file, "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`);
  }
}
