// Built from web/graph (npm run build). Do not edit.
"use strict";
(() => {
  // src/protocol.ts
  function parseGraph(value) {
    if (!isObject(value)) return "the graph is not an object";
    if (!Array.isArray(value.nodes)) return "the graph has no `nodes` list";
    if (!Array.isArray(value.connections)) return "the graph has no `connections` list";
    if (!Array.isArray(value.diagnostics)) return "the graph has no `diagnostics` list";
    for (const [i, node] of value.nodes.entries()) {
      if (!isObject(node)) return `node ${i} is not an object`;
      if (typeof node.key !== "string") return `node ${i} has no key`;
      if (!isPoint(node.position)) return `node ${node.key} has no position`;
      if (!isObject(node.size) || !isFiniteNumber(node.size.width) || !isFiniteNumber(node.size.height)) {
        return `node ${node.key} has no size`;
      }
      if (!Array.isArray(node.inputs) || !Array.isArray(node.outputs)) {
        return `node ${node.key} has no ports`;
      }
      if (!isRange(node.range) || !Array.isArray(node.diagnostics)) {
        return `node ${node.key} has no range or diagnostics`;
      }
    }
    for (const [i, conn] of value.connections.entries()) {
      if (!isObject(conn) || !isObject(conn.source) || !isObject(conn.target)) {
        return `connection ${i} has no ends`;
      }
      if (!isRange(conn.range) || !Array.isArray(conn.diagnostics)) {
        return `connection ${i} has no range or diagnostics`;
      }
    }
    return value;
  }
  function parseMessage(value) {
    if (!isObject(value)) return null;
    if (value.type === "error" && typeof value.message === "string") {
      return { type: "error", message: value.message };
    }
    if (value.type === "graph") {
      if (value.graph === null || value.graph === void 0) return { type: "graph", graph: null };
      const graph = parseGraph(value.graph);
      if (typeof graph === "string") return { type: "error", message: `Bad graph: ${graph}` };
      return { type: "graph", graph };
    }
    return null;
  }
  function isObject(value) {
    return typeof value === "object" && value !== null && !Array.isArray(value);
  }
  function isFiniteNumber(value) {
    return typeof value === "number" && Number.isFinite(value);
  }
  function isPoint(value) {
    return isObject(value) && isFiniteNumber(value.x) && isFiniteNumber(value.y);
  }
  function isRange(value) {
    return isObject(value) && isObject(value.start) && isObject(value.end) && isFiniteNumber(value.start.line) && isFiniteNumber(value.end.line);
  }

  // src/scene.ts
  var NODE_HEADER = 46;
  var PORT_ROW = 22;
  var MIN_ZOOM = 0.05;
  var MAX_ZOOM = 4;
  var GLYPHS = {
    play: "▶",
    globe: "◍",
    reply: "↩",
    database: "⛁",
    mail: "✉",
    comment: "❝",
    cloud: "☁",
    sparkle: "✦",
    calendar: "▦",
    code: "{}",
    json: "{}",
    "git-merge": "⑂",
    "git-compare": "⇄",
    "list-tree": "☰",
    sync: "⟳",
    tag: "#",
    pass: "✓",
    output: "≡",
    "type-hierarchy": "⊤",
    "symbol-field": "≔",
    "symbol-string": "“",
    "symbol-property": "≔"
  };
  function glyphOf(icon, category) {
    if (icon !== null && GLYPHS[icon] !== void 0) return GLYPHS[icon];
    const letter = (category ?? "?").charAt(0).toUpperCase();
    return letter || "?";
  }
  function badgeOf(found) {
    if (found.length === 0) return null;
    let worst = 4;
    for (const d of found) if (d.severity < worst) worst = d.severity;
    return {
      count: found.length,
      severity: worst,
      text: found.map((d) => `${severityName(d.severity)} ${d.code}: ${d.message}`).join("\n")
    };
  }
  function severityName(severity) {
    return ["", "error", "warning", "info", "hint"][severity] ?? "problem";
  }
  function ports(list, x, y) {
    return list.map((p, i) => ({
      name: p.name,
      type: p.type,
      required: p.required,
      description: p.description,
      x,
      y: y + NODE_HEADER + PORT_ROW * (i + 0.5),
      known: p.type !== null
    }));
  }
  function nodeOf(node) {
    const { x, y } = node.position;
    const { width, height } = node.size;
    const badge = badgeOf(node.diagnostics);
    const subtitle = node.type === null ? "(no type)" : `${node.type}@${node.version ?? "?"}`;
    const lines = [node.id === null ? node.label : `${node.label} (${node.id})`, subtitle];
    if (node.typeTitle !== null) lines.push(node.typeTitle);
    if (node.deprecated) lines.push("deprecated version");
    if (badge !== null) lines.push("", badge.text);
    const problems = badge === null ? "" : `, ${badge.count} ${badge.count === 1 ? "problem" : "problems"}`;
    return {
      key: node.key,
      id: node.id,
      label: node.label,
      subtitle,
      category: node.category ?? "unknown",
      glyph: glyphOf(node.icon, node.category),
      kind: node.kind,
      deprecated: node.deprecated,
      x,
      y,
      width,
      height,
      inputs: ports(node.inputs, x, y),
      outputs: ports(node.outputs, x + width, y),
      badge,
      tooltip: lines.join("\n"),
      reveal: node.selectionRange ?? node.range,
      ariaLabel: `${node.kind ?? "node"} ${node.label}, ${subtitle}${problems}`
    };
  }
  function anchor(node, port, output) {
    const list = output ? node.outputs : node.inputs;
    const found = list.find((p) => p.name === port);
    if (found !== void 0) return { x: found.x, y: found.y };
    return { x: output ? node.x + node.width : node.x, y: node.y + node.height / 2 };
  }
  function curve(a, b) {
    const dx = Math.max(40, Math.abs(b.x - a.x) / 2);
    return `M${r(a.x)},${r(a.y)} C${r(a.x + dx)},${r(a.y)} ${r(b.x - dx)},${r(b.y)} ${r(b.x)},${r(b.y)}`;
  }
  function r(n) {
    return String(Math.round(n * 10) / 10);
  }
  function edgeOf(conn, byKey) {
    const s = conn.source.node === null ? void 0 : byKey.get(conn.source.node);
    const t = conn.target.node === null ? void 0 : byKey.get(conn.target.node);
    if (s === void 0 || t === void 0) return null;
    const a = anchor(s, conn.source.port, true);
    const b = anchor(t, conn.target.port, false);
    const badge = badgeOf(conn.diagnostics);
    const written = `${conn.source.text ?? "?"} → ${conn.target.text ?? "?"}`;
    const lines = [written, conn.type === null ? "untyped" : `carries ${conn.type}`];
    if (badge !== null) lines.push("", badge.text);
    return {
      index: conn.index,
      source: s.key,
      target: t.key,
      path: curve(a, b),
      mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 },
      type: conn.type,
      badge,
      tooltip: lines.join("\n"),
      reveal: conn.range
    };
  }
  function boundsOf(nodes) {
    if (nodes.length === 0) return { x: 0, y: 0, width: 0, height: 0 };
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const n of nodes) {
      x0 = Math.min(x0, n.x);
      y0 = Math.min(y0, n.y);
      x1 = Math.max(x1, n.x + n.width);
      y1 = Math.max(y1, n.y + n.height);
    }
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }
  function buildScene(graph) {
    const nodes = graph.nodes.map(nodeOf);
    const byKey = new Map(nodes.map((n) => [n.key, n]));
    const edges = [];
    const problems = graph.diagnostics.map((d) => ({ ...d, where: "flow" }));
    for (const conn of graph.connections) {
      const edge = edgeOf(conn, byKey);
      if (edge !== null) {
        edges.push(edge);
      } else {
        const where = `${conn.source.text ?? "?"} → ${conn.target.text ?? "?"}`;
        for (const d of conn.diagnostics) problems.push({ ...d, where, connection: conn.index });
      }
    }
    problems.sort((a, b) => a.severity - b.severity || a.range.start.line - b.range.start.line);
    return {
      title: graph.flow.name ?? graph.flow.id ?? graph.uri,
      nodes,
      edges,
      problems,
      bounds: boundsOf(nodes)
    };
  }
  function fitTransform(bounds, viewport, padding = 40) {
    const w = Math.max(1, viewport.width - 2 * padding);
    const h = Math.max(1, viewport.height - 2 * padding);
    const k = clampZoom(
      Math.min(1, bounds.width > 0 ? w / bounds.width : 1, bounds.height > 0 ? h / bounds.height : 1)
    );
    return {
      k,
      x: viewport.width / 2 - (bounds.x + bounds.width / 2) * k,
      y: viewport.height / 2 - (bounds.y + bounds.height / 2) * k
    };
  }
  function zoomAt(t, at, factor) {
    const k = clampZoom(t.k * factor);
    const cx = (at.x - t.x) / t.k;
    const cy = (at.y - t.y) / t.k;
    return { k, x: at.x - cx * k, y: at.y - cy * k };
  }
  function clampZoom(k) {
    return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));
  }
  function ellipsis(text, max) {
    return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
  }

  // src/canvas.ts
  var SVG = "http://www.w3.org/2000/svg";
  var ZOOM_STEP = 1.2;
  function el(name, attrs = {}, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (parent !== void 0) parent.appendChild(node);
    return node;
  }
  function html(name, className, parent, text) {
    const node = document.createElement(name);
    node.className = className;
    if (text !== void 0) node.textContent = text;
    if (parent !== void 0) parent.appendChild(node);
    return node;
  }
  function tooltip(parent, text) {
    el("title", {}, parent).textContent = text;
  }
  function mount(root, host2) {
    root.classList.add("nf-graph");
    root.replaceChildren();
    const svg = el("svg", { class: "nf-canvas", role: "group" }, root);
    svg.setAttribute("aria-label", "Flow graph");
    const defs = el("defs", {}, svg);
    const marker = el(
      "marker",
      { id: "nf-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
      defs
    );
    el("path", { d: "M0,0 L10,5 L0,10 z", class: "nf-arrow" }, marker);
    const viewport = el("g", { class: "nf-viewport" }, svg);
    const toolbar = html("div", "nf-toolbar", root);
    const title = html("span", "nf-title", toolbar);
    const buttons = [
      ["−", "Zoom out (-)", () => zoomBy(1 / ZOOM_STEP)],
      ["+", "Zoom in (+)", () => zoomBy(ZOOM_STEP)],
      ["Fit", "Fit the flow in view (0)", () => canvas.fit()]
    ];
    for (const [label, help, action] of buttons) {
      const button = html("button", "nf-button", toolbar, label);
      button.type = "button";
      button.title = help;
      button.setAttribute("aria-label", help);
      button.addEventListener("click", action);
    }
    const problems = html("ul", "nf-problems", root);
    problems.setAttribute("aria-label", "Problems not on a node");
    const message = html("div", "nf-message", root);
    message.setAttribute("role", "status");
    let scene = null;
    let transform = { x: 0, y: 0, k: 1 };
    let fitted = false;
    const apply = () => {
      viewport.setAttribute("transform", `translate(${transform.x},${transform.y}) scale(${transform.k})`);
    };
    const size = () => {
      const box = svg.getBoundingClientRect();
      return { width: box.width || root.clientWidth || 800, height: box.height || root.clientHeight || 600 };
    };
    const zoomBy = (factor, at) => {
      const { width, height } = size();
      transform = zoomAt(transform, at ?? { x: width / 2, y: height / 2 }, factor);
      apply();
    };
    const reveal = (range, extra) => {
      host2.post({ type: "reveal", range, ...extra });
    };
    const drawNode = (parent, n) => {
      const classes = ["nf-node", `nf-cat-${n.category.replace(/[^a-z0-9_-]/gi, "")}`];
      if (n.badge !== null) classes.push(`nf-sev-${n.badge.severity}`);
      if (n.deprecated) classes.push("nf-deprecated");
      if (n.kind !== null) classes.push(`nf-kind-${n.kind}`);
      const g = el("g", { class: classes.join(" "), transform: `translate(${n.x},${n.y})` }, parent);
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-label", n.ariaLabel);
      g.dataset.key = n.key;
      tooltip(g, n.tooltip);
      el("rect", { class: "nf-box", width: n.width, height: n.height, rx: 6 }, g);
      el("rect", { class: "nf-header", width: n.width, height: 40, rx: 6 }, g);
      el("text", { class: "nf-glyph", x: 14, y: 25, "text-anchor": "middle" }, g).textContent = n.glyph;
      el("text", { class: "nf-label", x: 28, y: 18 }, g).textContent = ellipsis(n.label, 24);
      el("text", { class: "nf-subtitle", x: 28, y: 33 }, g).textContent = ellipsis(n.subtitle, 30);
      for (const [list, output] of [
        [n.inputs, false],
        [n.outputs, true]
      ]) {
        for (const p of list) {
          const port = el("g", { class: `nf-port${p.known ? "" : " nf-port-unknown"}` }, g);
          const px = output ? n.width : 0;
          const py = p.y - n.y;
          el("circle", { cx: px, cy: py, r: 4.5 }, port);
          const text = el(
            "text",
            { x: output ? px - 9 : px + 9, y: py + 4, "text-anchor": output ? "end" : "start" },
            port
          );
          text.textContent = ellipsis(p.name, 14);
          const optional = !output && !p.required ? " (optional)" : "";
          const what = p.type === null ? "not a port of this node" : p.type;
          tooltip(port, `${output ? "output" : "input"} ${p.name}${optional}: ${what}${p.description ? `
${p.description}` : ""}`);
        }
      }
      if (n.badge !== null) {
        const badge = el("g", { class: `nf-badge nf-sev-${n.badge.severity}`, transform: `translate(${n.width - 2},2)` }, g);
        el("circle", { r: 9 }, badge);
        el("text", { y: 4, "text-anchor": "middle" }, badge).textContent = String(n.badge.count);
        tooltip(badge, n.badge.text);
      }
      const go = () => reveal(n.reveal, n.id !== null ? { node: n.id } : {});
      g.addEventListener("click", (e) => {
        e.stopPropagation();
        go();
      });
      g.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          go();
        }
      });
    };
    const drawEdge = (parent, e) => {
      const classes = ["nf-edge"];
      if (e.badge !== null) classes.push(`nf-sev-${e.badge.severity}`);
      const g = el("g", { class: classes.join(" ") }, parent);
      g.dataset.index = String(e.index);
      tooltip(g, e.tooltip);
      el("path", { class: "nf-edge-hit", d: e.path }, g);
      el("path", { class: "nf-edge-line", d: e.path, "marker-end": "url(#nf-arrow)" }, g);
      if (e.badge !== null) {
        const mark = el("g", { class: `nf-mark nf-sev-${e.badge.severity}`, transform: `translate(${e.mid.x},${e.mid.y})` }, g);
        el("circle", { r: 8 }, mark);
        el("text", { y: 4, "text-anchor": "middle" }, mark).textContent = "!";
      }
      g.addEventListener("click", (ev) => {
        ev.stopPropagation();
        reveal(e.reveal, { connection: e.index });
      });
    };
    const render = () => {
      viewport.replaceChildren();
      problems.replaceChildren();
      if (scene === null) return;
      title.textContent = scene.title;
      const edges = el("g", { class: "nf-edges" }, viewport);
      for (const e of scene.edges) drawEdge(edges, e);
      const nodes = el("g", { class: "nf-nodes" }, viewport);
      for (const n of scene.nodes) drawNode(nodes, n);
      for (const p of scene.problems) {
        const item = html("li", `nf-problem nf-sev-${p.severity}`, problems);
        item.tabIndex = 0;
        item.textContent = `${severityName(p.severity)} ${p.code} (${p.where}): ${p.message}`;
        const go = () => reveal(p.range, p.connection !== void 0 ? { connection: p.connection } : {});
        item.addEventListener("click", go);
        item.addEventListener("keydown", (e) => {
          if (e.key === "Enter") go();
        });
      }
      problems.hidden = scene.problems.length === 0;
      message.textContent = scene.nodes.length === 0 ? "This flow has no nodes yet." : "";
    };
    let drag = null;
    svg.addEventListener("pointerdown", (e) => {
      if (e.target.closest(".nf-node, .nf-edge") !== null) return;
      drag = { x: e.clientX, y: e.clientY, from: transform, id: e.pointerId };
      svg.setPointerCapture?.(e.pointerId);
      svg.classList.add("nf-panning");
    });
    svg.addEventListener("pointermove", (e) => {
      if (drag === null || e.pointerId !== drag.id) return;
      transform = { ...drag.from, x: drag.from.x + e.clientX - drag.x, y: drag.from.y + e.clientY - drag.y };
      apply();
    });
    const endDrag = () => {
      drag = null;
      svg.classList.remove("nf-panning");
    };
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
    svg.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const box = svg.getBoundingClientRect();
        zoomBy(Math.exp(-e.deltaY * 15e-4), { x: e.clientX - box.left, y: e.clientY - box.top });
      },
      { passive: false }
    );
    root.addEventListener("keydown", (e) => {
      if (e.target.closest?.("button") != null) return;
      if (e.key === "+" || e.key === "=") zoomBy(ZOOM_STEP);
      else if (e.key === "-") zoomBy(1 / ZOOM_STEP);
      else if (e.key === "0") canvas.fit();
    });
    const canvas = {
      receive(raw) {
        const msg = parseMessage(raw);
        if (msg === null) return;
        if (msg.type === "error") {
          message.textContent = msg.message;
          return;
        }
        canvas.show(msg.graph);
      },
      show(graph) {
        if (graph === null) {
          scene = null;
          render();
          message.textContent = "Not a flow document, or it is closed.";
          return;
        }
        scene = buildScene(graph);
        render();
        if (!fitted) {
          canvas.fit();
          fitted = scene.nodes.length > 0;
        } else {
          apply();
        }
      },
      fit() {
        if (scene !== null) transform = fitTransform(scene.bounds, size());
        apply();
      },
      get transform() {
        return transform;
      },
      get scene() {
        return scene;
      },
      dispose() {
        root.replaceChildren();
      }
    };
    return canvas;
  }

  // src/host.ts
  function detectHost(win) {
    if (typeof win.acquireVsCodeApi === "function") {
      const api = win.acquireVsCodeApi();
      return { post: (message) => api.postMessage(message) };
    }
    const parent = win.parent;
    if (parent !== null && parent !== win && typeof parent.postMessage === "function") {
      return { post: (message) => parent.postMessage?.(message, "*") };
    }
    return null;
  }

  // src/main.ts
  window.NodeforgeGraph = { mount, buildScene, parseGraph };
  var element = document.getElementById("graph");
  var host = detectHost(window);
  if (element !== null && host !== null) {
    const canvas = mount(element, host);
    window.addEventListener("message", (event) => canvas.receive(event.data));
    host.post({ type: "ready" });
  }
})();
