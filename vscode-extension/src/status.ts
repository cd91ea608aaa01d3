// The status bar item: build state and the running app's address.

export type BuildState = "idle" | "building" | "succeeded" | "failed";

export interface StatusState {
  server: "starting" | "running" | "stopped" | "missing";
  build: BuildState;
  buildDetail?: string;
  /** The running app's address (`host:port`), when one runs. */
  app?: string;
}

export interface StatusView {
  text: string;
  tooltip: string;
  command: string;
  error: boolean;
}

/** What the status bar shows for a state. */
export function statusView(state: StatusState): StatusView {
  if (state.server === "missing") {
    return {
      text: "$(error) Nodeforge",
      tooltip: "The nodeforge executable was not found: install Nodeforge or set `nodeforge.path`, then click to retry",
      command: "nodeforge.restartServer",
      error: true,
    };
  }
  if (state.server === "stopped") {
    return {
      text: "$(debug-disconnect) Nodeforge",
      tooltip: "The language server is not running: click to restart it",
      command: "nodeforge.restartServer",
      error: true,
    };
  }
  const parts: string[] = [];
  const tips: string[] = [];
  switch (state.build) {
    case "building":
      parts.push("$(sync~spin) Building");
      tips.push("Building the workspace");
      break;
    case "succeeded":
      parts.push("$(check) Built");
      tips.push(state.buildDetail ? `Build succeeded: ${state.buildDetail}` : "Build succeeded");
      break;
    case "failed":
      parts.push("$(error) Build failed");
      tips.push(state.buildDetail ? `Build failed: ${state.buildDetail}` : "Build failed");
      break;
    default:
      parts.push(state.server === "starting" ? "$(loading~spin) Nodeforge" : "$(circuit-board) Nodeforge");
      tips.push("Nodeforge language server running");
  }
  if (state.app !== undefined) {
    parts.push(`$(globe) ${state.app}`);
    tips.push(`App running on http://${state.app}: click to open it`);
  }
  return {
    text: parts.join("  "),
    tooltip: tips.join("\n"),
    command: state.app !== undefined ? "nodeforge.openApp" : "nodeforge.showOutput",
    error: state.build === "failed",
  };
}
