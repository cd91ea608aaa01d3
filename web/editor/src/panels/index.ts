// Every panel of the page, in the order they appear in their areas (each area shows
// its panels as tabs). Add a panel here.
import { appPanel } from "./app";
import { connectors } from "./connectors";
import { history } from "./history";
import { inspector } from "./inspector";
import { log } from "./log";
import { palette } from "./palette";
import { problems } from "./problems";
import { PanelRegistry } from "./registry";
import { run } from "./run";
import { testNode } from "./testnode";
import { upgrades } from "./upgrades";

export const panels = new PanelRegistry();
panels.register(palette);
panels.register(inspector);
panels.register(problems);
panels.register(run);
panels.register(log);
panels.register(testNode);
panels.register(appPanel);
panels.register(history);
panels.register(connectors);
panels.register(upgrades);
