// Small DOM helpers shared by the page's modules.

export function el(tag: string, className: string, parent?: Element, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className !== "") node.className = className;
  if (text !== undefined) node.textContent = text;
  parent?.appendChild(node);
  return node;
}

/** A button with a label and a help text (its tooltip and screen-reader name). */
export function button(parent: Element, text: string, help: string, action: () => void, className = "nfe-button"): HTMLButtonElement {
  const b = el("button", className, parent, text) as HTMLButtonElement;
  b.type = "button";
  b.title = help;
  if (help !== text) b.setAttribute("aria-label", help);
  b.addEventListener("click", action);
  return b;
}

/** A JSON value, pretty-printed (read-only, selectable). */
export function jsonBlock(parent: Element, value: unknown, label?: string): HTMLElement {
  const pre = el("pre", "nfe-json", parent, value === undefined ? "(no value)" : JSON.stringify(value, null, 2));
  pre.tabIndex = 0;
  if (label !== undefined) pre.setAttribute("aria-label", label);
  return pre;
}

/** A labelled input (text by default). */
export function labelled(parent: Element, text: string, input: HTMLElement): HTMLElement {
  const label = el("label", "nfe-labelled", parent);
  el("span", "nfe-field-label", label, text);
  label.appendChild(input);
  return label;
}

export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string") {
    return (e as { message: string }).message;
  }
  return String(e);
}
