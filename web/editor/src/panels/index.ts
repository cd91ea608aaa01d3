// Every panel of the page, in the order they appear in their areas. Add a panel here.
import { inspector } from "./inspector";
import { palette } from "./palette";
import { problems } from "./problems";
import { PanelRegistry } from "./registry";

export const panels = new PanelRegistry();
panels.register(palette);
panels.register(inspector);
panels.register(problems);
