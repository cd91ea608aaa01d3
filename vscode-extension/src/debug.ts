// Flow debugging: VS Code talks the Debug Adapter Protocol to `<nodeforge.path> dap`
// (stdio), which simulates the flow with breakpoints on node lines.
import * as vscode from "vscode";
import { DEBUG_TYPE } from "./ids";

export class NodeforgeDebugAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly executable: () => string) {}

  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    return new vscode.DebugAdapterExecutable(this.executable(), ["dap"]);
  }
}

/** A launch configuration for `flow` (the active flow when none is given). */
export function launchConfiguration(flow: string, trigger?: string): vscode.DebugConfiguration {
  const config: vscode.DebugConfiguration = {
    type: DEBUG_TYPE,
    request: "launch",
    name: trigger ? `Debug ${trigger}` : "Debug flow",
    flow,
    stopOnEntry: false,
  };
  if (trigger !== undefined) {
    config.trigger = trigger;
  }
  return config;
}

export class NodeforgeDebugConfigurationProvider implements vscode.DebugConfigurationProvider {
  /** F5 without a launch.json: debug the active flow. */
  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (editor === undefined || !editor.document.uri.path.endsWith(".flow.json")) {
        void vscode.window.showErrorMessage("Nodeforge: open a flow (*.flow.json) to debug it.");
        return undefined;
      }
      return launchConfiguration(editor.document.uri.fsPath);
    }
    if (config.type === DEBUG_TYPE && !config.flow) {
      const editor = vscode.window.activeTextEditor;
      if (editor !== undefined && editor.document.uri.path.endsWith(".flow.json")) {
        return { ...config, flow: editor.document.uri.fsPath };
      }
      void vscode.window.showErrorMessage("Nodeforge: the launch configuration needs `flow`.");
      return undefined;
    }
    return config;
  }

  /** The initial launch.json entry. */
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [
      {
        type: DEBUG_TYPE,
        request: "launch",
        name: "Debug the current flow",
        flow: "${file}",
        stopOnEntry: true,
      },
    ];
  }
}
