import * as assert from "node:assert/strict";
import { test } from "node:test";
import * as fs from "fs";
import * as path from "path";
import { NodeforgeTaskProvider, createTask, taskArguments } from "../src/tasks";
import { EXTENSION_ROOT } from "./helpers";
import * as stub from "./stub/vscode";

test("tasks run the CLI; check reports through the $nodeforge problem matcher", () => {
  stub.reset();
  const folder = { uri: stub.Uri.file("/ws"), name: "ws", index: 0 };
  stub.workspace.workspaceFolders = [folder];
  const provider = new NodeforgeTaskProvider(() => "/opt/bin/nodeforge");
  const tasks = provider.provideTasks() as unknown as stub.Task[];
  assert.deepEqual(tasks.map((t) => t.name), ["check", "build", "test", "watch"]);
  const [check, build, testTask, watch] = tasks;
  const execution = check.execution as stub.ProcessExecution;
  assert.equal(execution.process, "/opt/bin/nodeforge");
  assert.deepEqual(execution.args, ["check", "."]);
  assert.equal(execution.options?.cwd, "/ws");
  assert.deepEqual(check.problemMatchers, ["$nodeforge"]);
  assert.deepEqual(build.problemMatchers, []);
  assert.equal(build.group, stub.TaskGroup.Build);
  assert.equal(testTask.group, stub.TaskGroup.Test);
  assert.ok(watch.isBackground);
  const resolved = provider.resolveTask(
    new stub.Task({ type: "nodeforge", command: "test", path: "flows/a.flow.json" }, folder, "t", "nodeforge", undefined) as never,
  ) as unknown as stub.Task;
  assert.deepEqual((resolved.execution as stub.ProcessExecution).args, ["test", "flows/a.flow.json"]);
  assert.equal(provider.resolveTask(new stub.Task({ type: "nodeforge", command: "deploy" }, folder, "t", "nodeforge", undefined) as never), undefined);
  assert.deepEqual(taskArguments({ type: "nodeforge", command: "build", path: " " }), ["build", "."]);
  assert.ok(createTask({ type: "nodeforge", command: "check" }, folder as never, "nodeforge"));
});

test("the problem matcher reads `nodeforge check` text output", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, "package.json"), "utf8"));
  const [matcher] = manifest.contributes.problemMatchers;
  assert.equal(matcher.name, "nodeforge");
  const regexp = new RegExp(matcher.pattern.regexp);
  const match = regexp.exec(
    "flows/bad config.flow.json:5:84: error NF006 `method` must be one of GET, POST; got \"FETCH\"",
  );
  assert.ok(match);
  const p = matcher.pattern;
  assert.deepEqual(
    [match[p.file], match[p.line], match[p.column], match[p.severity], match[p.code], match[p.message]],
    ["flows/bad config.flow.json", "5", "84", "error", "NF006", '`method` must be one of GET, POST; got "FETCH"'],
  );
  assert.equal(regexp.exec("Checked 18 files: 44 errors, 10 warnings, 3 hints"), null);
});
