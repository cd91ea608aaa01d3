// Identifiers shared by package.json and the code.
export const LANGUAGE_ID = "nodeforge-flow";
export const HISTORY_SCHEME = "nodeforge-history";
export const DEBUG_TYPE = "nodeforge";
export const TASK_TYPE = "nodeforge";

/** The server's `workspace/executeCommand` commands (docs/lsp.md). */
export const ServerCommand = {
  build: "nodeforge.build",
  run: "nodeforge.run",
  stop: "nodeforge.stop",
  testNode: "nodeforge.testNode",
  simulate: "nodeforge.simulate",
  stopSimulation: "nodeforge.stopSimulation",
  historySave: "nodeforge.history.save",
  historyList: "nodeforge.history.list",
  historyRead: "nodeforge.history.read",
  historyDiff: "nodeforge.history.diff",
  historyRestore: "nodeforge.history.restore",
  connectorTypes: "nodeforge.connector.types",
  connectorList: "nodeforge.connector.list",
  connectorAdd: "nodeforge.connector.add",
  connectorTest: "nodeforge.connector.test",
  connectorRemove: "nodeforge.connector.remove",
  upgradePlan: "nodeforge.upgrade.plan",
  upgradeApply: "nodeforge.upgrade.apply",
  forkCreate: "nodeforge.fork.create",
  projectInfo: "nodeforge.project.info",
} as const;

/** The server's graph request (the canvas's data). */
export const GRAPH_REQUEST = "nodeforge/graph";
/** Sent by the server after each analysis to clients declaring `experimental.nodeforgeGraph`. */
export const GRAPH_CHANGED = "nodeforge/graphChanged";
