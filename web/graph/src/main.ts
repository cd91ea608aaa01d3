// The bundle's entry (vscode-extension/media/graph.js). It exposes
// `window.NodeforgeGraph = {mount, buildScene, parseGraph}` and, when the page has an
// element `#graph` and a host (a VS Code webview or a parent window), mounts the canvas
// there, tells the host it is ready and draws every graph it is sent.

import { mount } from "./canvas";
import { detectHost, type HostWindow } from "./host";
import { parseGraph } from "./protocol";
import { buildScene } from "./scene";

declare global {
  interface Window {
    NodeforgeGraph: {
      mount: typeof mount;
      buildScene: typeof buildScene;
      parseGraph: typeof parseGraph;
    };
  }
}

window.NodeforgeGraph = { mount, buildScene, parseGraph };

const element = document.getElementById("graph");
const host = detectHost(window as unknown as HostWindow);
if (element !== null && host !== null) {
  const canvas = mount(element, host);
  window.addEventListener("message", (event: MessageEvent) => canvas.receive(event.data));
  host.post({ type: "ready" });
}
