// Small DOM helpers shared by the page's modules.

export function el(tag: string, className: string, parent?: Element, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className !== "") node.className = className;
  if (text !== undefined) node.textContent = text;
  parent?.appendChild(node);
  return node;
}
