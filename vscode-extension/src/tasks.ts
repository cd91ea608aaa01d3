// The `nodeforge` task type: check, build, test and watch, run by the CLI in a terminal.
// `check` reports problems through the `$nodeforge` problem matcher (package.json), which
// reads `nodeforge check`'s text output: `file:line:col: severity CODE message`.
import * as vscode from "vscode";
import { TASK_TYPE } from "./ids";

export const TASK_COMMANDS = ["check", "build", "test", "watch"] as const;
export type TaskCommand = (typeof TASK_COMMANDS)[number];

export interface NodeforgeTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  command: TaskCommand;
  /** A flow file or folder, relative to the workspace folder (default: the folder). */
  path?: string;
}

/** The command line of a task (after the executable). */
export function taskArguments(definition: NodeforgeTaskDefinition): string[] {
  const target = definition.path && definition.path.trim() !== "" ? definition.path : ".";
  return [definition.command, target];
}

export function isTaskCommand(value: unknown): value is TaskCommand {
  return typeof value === "string" && (TASK_COMMANDS as readonly string[]).includes(value);
}

export function createTask(
  definition: NodeforgeTaskDefinition,
  folder: vscode.WorkspaceFolder,
  executable: string,
): vscode.Task {
  const matchers = definition.command === "check" ? ["$nodeforge"] : [];
  const execution = new vscode.ProcessExecution(executable, taskArguments(definition), {
    cwd: folder.uri.fsPath,
  });
  const task = new vscode.Task(
    definition,
    folder,
    definition.command,
    TASK_TYPE,
    execution,
    matchers,
  );
  if (definition.command === "build") {
    task.group = vscode.TaskGroup.Build;
  } else if (definition.command === "test") {
    task.group = vscode.TaskGroup.Test;
  } else if (definition.command === "watch") {
    task.isBackground = true;
  }
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
  return task;
}

export class NodeforgeTaskProvider implements vscode.TaskProvider {
  constructor(private readonly executable: () => string) {}

  provideTasks(): vscode.Task[] {
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      for (const command of TASK_COMMANDS) {
        tasks.push(createTask({ type: TASK_TYPE, command }, folder, this.executable()));
      }
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const definition = task.definition as Partial<NodeforgeTaskDefinition>;
    if (!isTaskCommand(definition.command)) {
      return undefined;
    }
    const folder =
      typeof task.scope === "object" && task.scope !== null && "uri" in task.scope
        ? task.scope
        : vscode.workspace.workspaceFolders?.[0];
    if (folder === undefined) {
      return undefined;
    }
    return createTask(
      { type: TASK_TYPE, command: definition.command, path: definition.path },
      folder,
      this.executable(),
    );
  }
}
