// The page's entry: read the token from the address (kept for reloads in the tab's
// session storage, removed from the address bar), connect to the gateway, start the
// editor. `?flow=<file URI>` opens that flow first.
import { Editor } from "./app";
import { type BrowserSocket, gatewayOf, socketOf, withoutToken } from "./rpc";

const KEY = "nodeforge.token";
const root = document.getElementById("app");
let href = window.location.href;
const url = new URL(href);
if (url.searchParams.get("token") === null) {
  const saved = window.sessionStorage.getItem(KEY);
  if (saved !== null) {
    url.searchParams.set("token", saved);
    href = url.toString();
  }
}
const gateway = gatewayOf(href);
if (root !== null) {
  if (gateway === null) {
    root.textContent = "No token: open the address that `nodeforge serve` printed (it ends with ?token=...).";
  } else {
    window.sessionStorage.setItem(KEY, gateway.token);
    window.history.replaceState(null, "", withoutToken(window.location.href));
    const socket = socketOf(new WebSocket(gateway.url, gateway.protocols) as unknown as BrowserSocket);
    const editor = new Editor({ root, socket, uri: url.searchParams.get("flow") });
    (window as unknown as { nodeforgeEditor: Editor }).nodeforgeEditor = editor;
  }
}
