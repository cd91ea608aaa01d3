// Built from web/graph (npm run build). Do not edit.
"use strict";
(() => {
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
      from: a,
      to: b,
      sourcePort: conn.source.port,
      targetPort: conn.target.port,
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
  var sceneNodes = /* @__PURE__ */ new WeakMap();
  var sceneEdges = /* @__PURE__ */ new WeakMap();
  function sceneNodeOf(node) {
    let n = sceneNodes.get(node);
    if (n === void 0) {
      n = nodeOf(node);
      sceneNodes.set(node, n);
    }
    return n;
  }
  function sceneEdgeOf(conn, byKey) {
    const hit = sceneEdges.get(conn);
    if (hit !== void 0 && byKey.get(hit.edge.source) === hit.s && byKey.get(hit.edge.target) === hit.t) return hit.edge;
    const edge = edgeOf(conn, byKey);
    if (edge !== null) sceneEdges.set(conn, { s: byKey.get(edge.source), t: byKey.get(edge.target), edge });
    return edge;
  }
  function buildScene(graph) {
    const nodes = graph.nodes.map(sceneNodeOf);
    const byKey = new Map(nodes.map((n) => [n.key, n]));
    const edges = [];
    const problems = graph.diagnostics.map((d) => ({ ...d, where: "flow" }));
    for (const conn of graph.connections) {
      const edge = sceneEdgeOf(conn, byKey);
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

  // src/gestures.ts
  function toCanvas(t, p) {
    return { x: (p.x - t.x) / t.k, y: (p.y - t.y) / t.k };
  }
  function edgesTouching(scene, keys) {
    return scene.edges.filter((e) => keys.has(e.source) || keys.has(e.target));
  }
  function snap(value, grid = 10) {
    return Math.round(value / grid) * grid;
  }
  function movedPositions(scene, keys, dx, dy) {
    const out = [];
    for (const n of scene.nodes) {
      if (!keys.has(n.key)) continue;
      const x = snap(n.x + dx);
      const y = snap(n.y + dy);
      if (x !== n.x || y !== n.y) out.push({ node: n.key, x, y });
    }
    return out;
  }
  function edgePathWhileMoving(edge, offsets) {
    const a = edge.from;
    const b = edge.to;
    const da = offsets.get(edge.source) ?? { x: 0, y: 0 };
    const db = offsets.get(edge.target) ?? { x: 0, y: 0 };
    return curve({ x: a.x + da.x, y: a.y + da.y }, { x: b.x + db.x, y: b.y + db.y });
  }
  function portAt(scene, p, radius = 12, output) {
    let best = null;
    let bestD = radius * radius;
    for (const n of scene.nodes) {
      if (p.x < n.x - radius || p.x > n.x + n.width + radius) continue;
      if (p.y < n.y - radius || p.y > n.y + n.height + radius) continue;
      for (const [list, isOut] of [
        [n.inputs, false],
        [n.outputs, true]
      ]) {
        if (output !== void 0 && output !== isOut) continue;
        for (const port of list) {
          const d = (port.x - p.x) ** 2 + (port.y - p.y) ** 2;
          if (d <= bestD) {
            bestD = d;
            best = { node: n.key, port: port.name, output: isOut };
          }
        }
      }
    }
    return best;
  }
  function rectOf(a, b) {
    return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
  }
  function nodesInRect(scene, rect) {
    return scene.nodes.filter(
      (n) => n.x <= rect.x + rect.width && n.x + n.width >= rect.x && n.y <= rect.y + rect.height && n.y + n.height >= rect.y
    ).map((n) => n.key);
  }
  function clickSelection(current, key, additive) {
    if (!additive) return /* @__PURE__ */ new Set([key]);
    const next = new Set(current);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    return next;
  }
  function pruneSelection(scene, selection) {
    const keys = new Set(scene.nodes.map((n) => n.key));
    return new Set([...selection].filter((k) => keys.has(k)));
  }
  function nudge(key, large) {
    const step = large ? 50 : 10;
    switch (key) {
      case "ArrowLeft":
        return { x: -step, y: 0 };
      case "ArrowRight":
        return { x: step, y: 0 };
      case "ArrowUp":
        return { x: 0, y: -step };
      case "ArrowDown":
        return { x: 0, y: step };
      default:
        return null;
    }
  }
  function minimap(bounds, t, viewport, size, padding = 6) {
    const visible = { x: -t.x / t.k, y: -t.y / t.k, width: viewport.width / t.k, height: viewport.height / t.k };
    const x0 = Math.min(bounds.x, visible.x);
    const y0 = Math.min(bounds.y, visible.y);
    const x1 = Math.max(bounds.x + bounds.width, visible.x + visible.width);
    const y1 = Math.max(bounds.y + bounds.height, visible.y + visible.height);
    const w = Math.max(1, x1 - x0);
    const h = Math.max(1, y1 - y0);
    const k = Math.min((size.width - 2 * padding) / w, (size.height - 2 * padding) / h);
    const x = padding - x0 * k + (size.width - 2 * padding - w * k) / 2;
    const y = padding - y0 * k + (size.height - 2 * padding - h * k) / 2;
    return {
      k,
      x,
      y,
      view: { x: visible.x * k + x, y: visible.y * k + y, width: visible.width * k, height: visible.height * k }
    };
  }
  function centreOn(p, k, viewport) {
    return { k, x: viewport.width / 2 - p.x * k, y: viewport.height / 2 - p.y * k };
  }

  // src/diff.ts
  var nodeSigs = /* @__PURE__ */ new WeakMap();
  var edgeSigs = /* @__PURE__ */ new WeakMap();
  function nodeSignature(n) {
    let sig = nodeSigs.get(n);
    if (sig === void 0) {
      const shape = (list) => list.map((p) => [p.name, p.required, p.y, p.known]);
      const text = (list) => list.map((p) => [p.type, p.description]);
      sig = {
        shape: JSON.stringify([
          n.key,
          n.id,
          n.label,
          n.subtitle,
          n.category,
          n.glyph,
          n.kind,
          n.deprecated,
          n.x,
          n.y,
          n.width,
          n.height,
          shape(n.inputs),
          shape(n.outputs),
          n.badge === null ? null : [n.badge.count, n.badge.severity]
        ]),
        text: JSON.stringify([text(n.inputs), text(n.outputs), n.badge?.text ?? null, n.tooltip, n.ariaLabel])
      };
      nodeSigs.set(n, sig);
    }
    return sig;
  }
  function edgeSignature(e) {
    let sig = edgeSigs.get(e);
    if (sig === void 0) {
      sig = {
        shape: JSON.stringify([e.index, e.source, e.target, e.path, e.mid, e.badge === null ? null : e.badge.severity]),
        text: e.tooltip
      };
      edgeSigs.set(e, sig);
    }
    return sig;
  }
  function problemsSignature(problems) {
    return JSON.stringify(problems);
  }
  function plan(drawn, next, keyOf, sigOf, dirty = /* @__PURE__ */ new Set()) {
    const draw = [];
    const patch = [];
    const kept = [];
    const seen = /* @__PURE__ */ new Set();
    for (const item of next) {
      const key = keyOf(item);
      seen.add(key);
      const old = drawn.get(key);
      if (old === void 0 || dirty.has(key)) {
        draw.push(item);
      } else if (old.item === item) {
        kept.push(item);
      } else {
        const sig = sigOf(item);
        if (sig.shape !== old.sig.shape) draw.push(item);
        else if (sig.text !== old.sig.text) patch.push(item);
        else kept.push(item);
      }
    }
    const remove = [...drawn.keys()].filter((k) => !seen.has(k));
    return { draw, patch, remove, kept };
  }

  // src/protocol.ts
  function parseGraph(value) {
    if (!isObject(value)) return "the graph is not an object";
    if (!Array.isArray(value.nodes)) return "the graph has no `nodes` list";
    if (!Array.isArray(value.connections)) return "the graph has no `connections` list";
    if (!Array.isArray(value.diagnostics)) return "the graph has no `diagnostics` list";
    for (const [i, node] of value.nodes.entries()) {
      const bad = nodeProblem(node, i);
      if (bad !== null) return bad;
    }
    for (const [i, conn] of value.connections.entries()) {
      const bad = connectionProblem(conn, i);
      if (bad !== null) return bad;
    }
    return value;
  }
  function nodeProblem(node, i) {
    if (!isObject(node)) return `node ${i} is not an object`;
    if (typeof node.key !== "string") return `node ${i} has no key`;
    if (!isPoint(node.position)) return `node ${node.key} has no position`;
    if (!isObject(node.size) || !isFiniteNumber(node.size.width) || !isFiniteNumber(node.size.height)) {
      return `node ${node.key} has no size`;
    }
    if (!Array.isArray(node.inputs) || !Array.isArray(node.outputs)) return `node ${node.key} has no ports`;
    if (!isRange(node.range) || !Array.isArray(node.diagnostics)) return `node ${node.key} has no range or diagnostics`;
    return null;
  }
  function connectionProblem(conn, i) {
    if (!isObject(conn) || !isObject(conn.source) || !isObject(conn.target)) return `connection ${i} has no ends`;
    if (!isRange(conn.range) || !Array.isArray(conn.diagnostics)) return `connection ${i} has no range or diagnostics`;
    return null;
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
    if (value.type === "select" && Array.isArray(value.nodes) && value.nodes.every((k) => typeof k === "string")) {
      return { type: "select", nodes: value.nodes };
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

  // src/canvas.ts
  var SVG = "http://www.w3.org/2000/svg";
  var ZOOM_STEP = 1.2;
  var MINI = { width: 180, height: 120 };
  var DROP_TYPE = "application/x-nodeforge-node";
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
  function retitle(parent, text) {
    if (parent == null) return;
    for (const child of Array.from(parent.children)) {
      if (child.tagName === "title") {
        if (child.textContent !== text) child.textContent = text;
        return;
      }
    }
  }
  function portTooltip(p, output) {
    const optional = !output && !p.required ? " (optional)" : "";
    const what = p.type === null ? "not a port of this node" : p.type;
    return `${output ? "output" : "input"} ${p.name}${optional}: ${what}${p.description ? `
${p.description}` : ""}`;
  }
  function edgeLabel(e) {
    return `connection ${e.tooltip.split("\n").join(", ")}`;
  }
  function mount(root, host2, options = {}) {
    const editable = options.editable === true;
    root.classList.add("nf-graph");
    if (editable) root.classList.add("nf-editable");
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
    const edgesLayer = el("g", { class: "nf-edges" }, viewport);
    const nodesLayer = el("g", { class: "nf-nodes" }, viewport);
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
    const mini = el("svg", { class: "nf-minimap", width: MINI.width, height: MINI.height }, root);
    mini.setAttribute("aria-label", "Minimap: click to move the view");
    mini.setAttribute("role", "img");
    const miniNodes = el("g", {}, mini);
    const miniView = el("rect", { class: "nf-minimap-view" }, mini);
    let scene = null;
    let lastGraph = null;
    let transform = { x: 0, y: 0, k: 1 };
    let fitted = false;
    let selection = /* @__PURE__ */ new Set();
    let selectedEdge = null;
    let lastPointer = null;
    let decorations = {};
    const nodeEls = /* @__PURE__ */ new Map();
    const edgeEls = /* @__PURE__ */ new Map();
    const nodeDrawn = /* @__PURE__ */ new Map();
    const edgeDrawn = /* @__PURE__ */ new Map();
    const miniEls = /* @__PURE__ */ new Map();
    const nodeDeco = /* @__PURE__ */ new Map();
    const edgeDeco = /* @__PURE__ */ new Map();
    const dirtyNodes = /* @__PURE__ */ new Set();
    const dirtyEdges = /* @__PURE__ */ new Set();
    let problemsDrawn = null;
    let sceneNodes2 = /* @__PURE__ */ new Map();
    let sceneEdges2 = /* @__PURE__ */ new Map();
    let shownSelection = /* @__PURE__ */ new Set();
    let shownEdge = null;
    const apply = () => {
      viewport.setAttribute("transform", `translate(${transform.x},${transform.y}) scale(${transform.k})`);
      drawMinimapView();
    };
    const drawMinimapView = () => {
      if (scene === null || scene.nodes.length === 0) {
        mini.style.display = "none";
        return;
      }
      mini.style.display = "";
      const m = minimap(scene.bounds, transform, size(), MINI);
      miniNodes.setAttribute("transform", `translate(${m.x},${m.y}) scale(${m.k})`);
      miniView.setAttribute("x", String(m.view.x));
      miniView.setAttribute("y", String(m.view.y));
      miniView.setAttribute("width", String(Math.max(2, m.view.width)));
      miniView.setAttribute("height", String(Math.max(2, m.view.height)));
    };
    const showSelection = () => {
      for (const key of shownSelection) if (!selection.has(key)) nodeEls.get(key)?.classList.remove("nf-selected");
      for (const key of selection) nodeEls.get(key)?.classList.add("nf-selected");
      shownSelection = new Set(selection);
      if (shownEdge !== null && shownEdge !== selectedEdge) edgeEls.get(shownEdge)?.classList.remove("nf-selected");
      if (selectedEdge !== null) edgeEls.get(selectedEdge)?.classList.add("nf-selected");
      shownEdge = selectedEdge;
    };
    const setSelection = (keys, edge = null, tell = true) => {
      selection = keys;
      selectedEdge = edge;
      showSelection();
      if (editable && tell) {
        host2.post({ type: "select", nodes: [...selection], ...edge !== null ? { connection: edge } : {} });
      }
    };
    const measure = () => {
      const box = svg.getBoundingClientRect();
      return { width: box.width || root.clientWidth || 800, height: box.height || root.clientHeight || 600 };
    };
    let measured = null;
    const resizes = typeof ResizeObserver === "function" ? new ResizeObserver(() => {
      measured = measure();
      drawMinimapView();
    }) : null;
    resizes?.observe(root);
    const size = () => measured ?? measure();
    const zoomBy = (factor, at2) => {
      const { width, height } = size();
      transform = zoomAt(transform, at2 ?? { x: width / 2, y: height / 2 }, factor);
      apply();
    };
    const reveal = (range, extra) => {
      host2.post({ type: "reveal", range, ...extra });
    };
    const drawNode = (n) => {
      const classes = ["nf-node", `nf-cat-${n.category.replace(/[^a-z0-9_-]/gi, "")}`];
      if (n.badge !== null) classes.push(`nf-sev-${n.badge.severity}`);
      if (n.deprecated) classes.push("nf-deprecated");
      if (n.kind !== null) classes.push(`nf-kind-${n.kind}`);
      const g = el("g", { class: classes.join(" "), transform: `translate(${n.x},${n.y})` });
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
          const port = el("g", { class: `nf-port${p.known ? "" : " nf-port-unknown"}${output ? " nf-out" : " nf-in"}` }, g);
          port.dataset.port = p.name;
          const px = output ? n.width : 0;
          const py = p.y - n.y;
          el("circle", { cx: px, cy: py, r: 4.5 }, port);
          const text = el(
            "text",
            { x: output ? px - 9 : px + 9, y: py + 4, "text-anchor": output ? "end" : "start" },
            port
          );
          text.textContent = ellipsis(p.name, 14);
          tooltip(port, portTooltip(p, output));
        }
      }
      if (n.badge !== null) {
        const badge = el("g", { class: `nf-badge nf-sev-${n.badge.severity}`, transform: `translate(${n.width - 2},2)` }, g);
        el("circle", { r: 9 }, badge);
        el("text", { y: 4, "text-anchor": "middle" }, badge).textContent = String(n.badge.count);
        tooltip(badge, n.badge.text);
      }
      if (selection.has(n.key)) g.classList.add("nf-selected");
      const key = n.key;
      const go = () => {
        const now = sceneNodes2.get(key);
        if (now !== void 0) reveal(now.reveal, now.id !== null ? { node: now.id } : {});
      };
      g.addEventListener("click", (e) => {
        e.stopPropagation();
        if (!editable) go();
      });
      g.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          if (editable) setSelection(/* @__PURE__ */ new Set([key]));
          go();
        } else if (e.key === " ") {
          e.preventDefault();
          if (editable) setSelection(clickSelection(selection, key, true));
          else go();
        }
      });
      return g;
    };
    const drawEdge = (e) => {
      const classes = ["nf-edge"];
      if (e.badge !== null) classes.push(`nf-sev-${e.badge.severity}`);
      if (e.index === selectedEdge) classes.push("nf-selected");
      const g = el("g", { class: classes.join(" ") });
      g.dataset.index = String(e.index);
      tooltip(g, e.tooltip);
      el("path", { class: "nf-edge-hit", d: e.path }, g);
      el("path", { class: "nf-edge-line", d: e.path, "marker-end": "url(#nf-arrow)" }, g);
      if (e.badge !== null) {
        const mark = el("g", { class: `nf-mark nf-sev-${e.badge.severity}`, transform: `translate(${e.mid.x},${e.mid.y})` }, g);
        el("circle", { r: 8 }, mark);
        el("text", { y: 4, "text-anchor": "middle" }, mark).textContent = "!";
      }
      if (editable) {
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
        g.setAttribute("aria-label", edgeLabel(e));
      }
      const index = e.index;
      const pick = () => {
        const now = sceneEdges2.get(index);
        if (now === void 0) return;
        if (editable) setSelection(/* @__PURE__ */ new Set(), index);
        reveal(now.reveal, { connection: index });
      };
      g.addEventListener("click", (ev) => {
        ev.stopPropagation();
        pick();
      });
      g.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          pick();
        }
      });
      return g;
    };
    const patchNode = (g, n) => {
      g.setAttribute("aria-label", n.ariaLabel);
      retitle(g, n.tooltip);
      const ports2 = g.querySelectorAll(":scope > .nf-port");
      const all = [...n.inputs.map((p) => [p, false]), ...n.outputs.map((p) => [p, true])];
      all.forEach(([p, output], i) => retitle(ports2[i], portTooltip(p, output)));
      if (n.badge !== null) retitle(g.querySelector(":scope > .nf-badge"), n.badge.text);
    };
    const patchEdge = (g, e) => {
      retitle(g, e.tooltip);
      if (editable) g.setAttribute("aria-label", edgeLabel(e));
    };
    const clear = () => {
      nodesLayer.replaceChildren();
      edgesLayer.replaceChildren();
      miniNodes.replaceChildren();
      problems.replaceChildren();
      for (const m of [nodeEls, edgeEls, nodeDrawn, edgeDrawn, miniEls, nodeDeco, edgeDeco]) m.clear();
      dirtyNodes.clear();
      dirtyEdges.clear();
      problemsDrawn = null;
      shownSelection = /* @__PURE__ */ new Set();
      shownEdge = null;
    };
    const order = (parent, keys, els) => {
      let previous = null;
      for (const key of keys) {
        const g = els.get(key);
        if (g === void 0) continue;
        const want = previous === null ? parent.firstElementChild : previous.nextElementSibling;
        if (want !== g) {
          if (previous === null) parent.prepend(g);
          else previous.after(g);
        }
        previous = g;
      }
    };
    const replace = (old, next) => {
      const focused = old.contains(document.activeElement);
      old.replaceWith(next);
      if (focused) next.focus({ preventScroll: true });
    };
    const render = () => {
      if (scene === null) {
        clear();
        return;
      }
      if (title.textContent !== scene.title) title.textContent = scene.title;
      const nodes = plan(nodeDrawn, scene.nodes, (n) => n.key, nodeSignature, dirtyNodes);
      for (const key of nodes.remove) {
        nodeEls.get(key)?.remove();
        miniEls.get(key)?.remove();
        nodeEls.delete(key);
        miniEls.delete(key);
        nodeDrawn.delete(key);
        nodeDeco.delete(key);
      }
      for (const n of nodes.draw) {
        const g = drawNode(n);
        const old = nodeEls.get(n.key);
        if (old !== void 0) replace(old, g);
        else nodesLayer.appendChild(g);
        nodeEls.set(n.key, g);
        nodeDrawn.set(n.key, { item: n, sig: nodeSignature(n) });
        nodeDeco.delete(n.key);
        const cls = n.badge === null ? "" : ` nf-sev-${n.badge.severity}`;
        const rect = el("rect", { class: `nf-minimap-node${cls}`, x: n.x, y: n.y, width: n.width, height: n.height });
        const oldRect = miniEls.get(n.key);
        if (oldRect !== void 0) oldRect.replaceWith(rect);
        else miniNodes.appendChild(rect);
        miniEls.set(n.key, rect);
      }
      for (const n of nodes.patch) {
        const g = nodeEls.get(n.key);
        if (g !== void 0) patchNode(g, n);
        nodeDrawn.set(n.key, { item: n, sig: nodeSignature(n) });
      }
      for (const n of nodes.kept) {
        const drawn = nodeDrawn.get(n.key);
        if (drawn !== void 0) drawn.item = n;
      }
      if (nodes.draw.length > 0 || nodes.remove.length > 0) order(nodesLayer, sceneNodes2.keys(), nodeEls);
      const edges = plan(edgeDrawn, scene.edges, (e) => e.index, edgeSignature, dirtyEdges);
      for (const index of edges.remove) {
        edgeEls.get(index)?.remove();
        edgeEls.delete(index);
        edgeDrawn.delete(index);
        edgeDeco.delete(index);
      }
      for (const e of edges.draw) {
        const g = drawEdge(e);
        const old = edgeEls.get(e.index);
        if (old !== void 0) replace(old, g);
        else edgesLayer.appendChild(g);
        edgeEls.set(e.index, g);
        edgeDrawn.set(e.index, { item: e, sig: edgeSignature(e) });
        edgeDeco.delete(e.index);
      }
      for (const e of edges.patch) {
        const g = edgeEls.get(e.index);
        if (g !== void 0) patchEdge(g, e);
        edgeDrawn.set(e.index, { item: e, sig: edgeSignature(e) });
      }
      for (const e of edges.kept) {
        const drawn = edgeDrawn.get(e.index);
        if (drawn !== void 0) drawn.item = e;
      }
      if (edges.draw.length > 0 || edges.remove.length > 0) order(edgesLayer, sceneEdges2.keys(), edgeEls);
      dirtyNodes.clear();
      dirtyEdges.clear();
      const problemsNow = problemsSignature(scene.problems);
      if (problemsNow !== problemsDrawn) {
        problemsDrawn = problemsNow;
        problems.replaceChildren();
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
      }
      const note = scene.nodes.length === 0 ? "This flow has no nodes yet." : "";
      if (message.textContent !== note) message.textContent = note;
      drawDecorations();
    };
    const RUN_CLASSES = ["nf-run-ok", "nf-run-error", "nf-run-paused", "nf-run-skipped", "nf-run-simulated", "nf-has-breakpoint"];
    const drawDecorations = () => {
      for (const [key, g] of nodeEls) {
        const d = decorations.nodes?.[key];
        const sig = d === void 0 ? "" : JSON.stringify(d);
        if ((nodeDeco.get(key) ?? "") === sig) continue;
        nodeDeco.set(key, sig);
        g.classList.remove(...RUN_CLASSES);
        for (const old of Array.from(g.children)) if (old.classList.contains("nf-deco")) old.remove();
        if (d === void 0) continue;
        if (d.state !== void 0) g.classList.add(`nf-run-${d.state}`);
        if (d.breakpoint === true) {
          g.classList.add("nf-has-breakpoint");
          const dot = el("circle", { class: "nf-deco nf-breakpoint", cx: -1, cy: -1, r: 6 }, g);
          tooltip(dot, "breakpoint (F9 toggles)");
        }
        if (d.note !== void 0) {
          const box = sceneNodes2.get(key);
          const t = el("text", { class: "nf-deco nf-run-note", x: 4, y: (box?.height ?? 60) + 13 }, g);
          t.textContent = ellipsis(d.note, 34);
        }
      }
      const texts = decorations.edges ?? {};
      for (const [index, g] of edgeEls) {
        const text = texts[index];
        if ((edgeDeco.get(index) ?? "") === (text ?? "")) continue;
        edgeDeco.set(index, text ?? "");
        for (const old of Array.from(g.children)) if (old.classList.contains("nf-deco")) old.remove();
        const e = sceneEdges2.get(index);
        if (text === void 0 || e === void 0) continue;
        const label = el("g", { class: "nf-deco nf-edge-data", transform: `translate(${e.mid.x},${e.mid.y + (e.badge === null ? 0 : 16)})` }, g);
        const shown = ellipsis(text, 28);
        el("rect", { x: -shown.length * 3.3 - 6, y: -9, width: shown.length * 6.6 + 12, height: 18, rx: 9 }, label);
        el("text", { y: 4, "text-anchor": "middle" }, label).textContent = shown;
        tooltip(label, text);
      }
    };
    const local = (e) => {
      const box = svg.getBoundingClientRect();
      return { x: e.clientX - box.left, y: e.clientY - box.top };
    };
    const at = (e) => toCanvas(transform, local(e));
    let gesture = null;
    let downOnItem = false;
    svg.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      const target = e.target;
      const p = at(e);
      downOnItem = target.closest(".nf-node, .nf-edge") !== null;
      let g = null;
      const nodeEl = target.closest(".nf-node");
      if (editable && scene !== null && nodeEl !== null) {
        const portEl = target.closest(".nf-port.nf-out");
        const key = nodeEl.dataset.key ?? "";
        if (portEl !== null && portEl.dataset.port !== void 0) {
          const hit = portAt(scene, p, 14, true);
          const node = scene.nodes.find((n) => n.key === key);
          const port = node?.outputs.find((o) => o.name === portEl.dataset.port);
          if (port !== void 0) {
            const line = el("path", { class: "nf-connecting", d: curve(port, p) }, viewport);
            g = { kind: "connect", node: key, port: hit?.port ?? port.name, from: { x: port.x, y: port.y }, line, start: local(e) };
            root.classList.add("nf-connect-mode");
          }
        } else {
          let keys = selection;
          const additive = e.shiftKey || e.ctrlKey || e.metaKey;
          const wasSelected = selection.has(key);
          if (!wasSelected) {
            keys = clickSelection(selection, key, additive);
            setSelection(keys);
          }
          g = { kind: "drag", start: p, moved: false, keys: new Set(keys), edges: edgesTouching(scene, keys), key, additive, wasSelected };
        }
      } else if (target.closest(".nf-node, .nf-edge") === null) {
        if (editable && e.shiftKey) {
          g = { kind: "band", start: p, rect: el("rect", { class: "nf-band", x: p.x, y: p.y, width: 0, height: 0 }, viewport) };
        } else {
          const l = local(e);
          g = { kind: "pan", x: l.x, y: l.y, from: transform };
          svg.classList.add("nf-panning");
        }
      }
      if (g === null) return;
      gesture = { g, id: e.pointerId };
      svg.setPointerCapture?.(e.pointerId);
    });
    svg.addEventListener("pointermove", (e) => {
      lastPointer = at(e);
      if (gesture === null || e.pointerId !== gesture.id) return;
      const g = gesture.g;
      const p = at(e);
      if (g.kind === "pan") {
        const l = local(e);
        transform = { ...g.from, x: g.from.x + l.x - g.x, y: g.from.y + l.y - g.y };
        apply();
      } else if (g.kind === "band") {
        const r2 = rectOf(g.start, p);
        for (const [k, v] of Object.entries(r2)) g.rect.setAttribute(k, String(v));
      } else if (g.kind === "drag" && scene !== null) {
        const dx = p.x - g.start.x;
        const dy = p.y - g.start.y;
        if (!g.moved && Math.hypot(dx, dy) * transform.k < 3) return;
        g.moved = true;
        const offsets = /* @__PURE__ */ new Map();
        for (const n of scene.nodes) {
          if (!g.keys.has(n.key)) continue;
          offsets.set(n.key, { x: dx, y: dy });
          nodeEls.get(n.key)?.setAttribute("transform", `translate(${n.x + dx},${n.y + dy})`);
        }
        for (const edge of g.edges) {
          const path = edgePathWhileMoving(edge, offsets);
          const edgeEl = edgeEls.get(edge.index);
          edgeEl?.querySelectorAll("path").forEach((d) => d.setAttribute("d", path));
          edgeEl?.querySelector(".nf-mark")?.setAttribute("visibility", "hidden");
        }
      } else if (g.kind === "connect" && scene !== null) {
        g.line.setAttribute("d", curve(g.from, p));
        const hit = portAt(scene, p, 14, false);
        root.querySelectorAll(".nf-port-target").forEach((t) => t.classList.remove("nf-port-target"));
        if (hit !== null) {
          nodeEls.get(hit.node)?.querySelector(`.nf-in[data-port="${CSS.escape(hit.port)}"]`)?.classList.add("nf-port-target");
        }
      }
    });
    const endGesture = (e, cancelled) => {
      if (gesture === null || e.pointerId !== gesture.id) return;
      const g = gesture.g;
      gesture = null;
      svg.classList.remove("nf-panning");
      root.classList.remove("nf-connect-mode");
      if (g.kind === "band") {
        g.rect.remove();
        if (!cancelled && scene !== null) setSelection(new Set(nodesInRect(scene, rectOf(g.start, at(e)))));
      } else if (g.kind === "drag" && !g.moved && !cancelled && scene !== null) {
        if (g.wasSelected) setSelection(clickSelection(selection, g.key, g.additive));
        const n = scene.nodes.find((x) => x.key === g.key);
        if (n !== void 0) reveal(n.reveal, n.id !== null ? { node: n.id } : {});
      } else if (g.kind === "drag" && g.moved && scene !== null) {
        for (const key of g.keys) dirtyNodes.add(key);
        for (const edge of g.edges) dirtyEdges.add(edge.index);
        const p = at(e);
        const moves = cancelled ? [] : movedPositions(scene, g.keys, p.x - g.start.x, p.y - g.start.y);
        if (moves.length > 0) host2.post({ type: "move", moves });
        else render();
      } else if (g.kind === "connect") {
        g.line.remove();
        root.querySelectorAll(".nf-port-target").forEach((t) => t.classList.remove("nf-port-target"));
        const hit = scene === null || cancelled ? null : portAt(scene, at(e), 14, false);
        const l = local(e);
        if (hit !== null) {
          host2.post({ type: "connect", source: { node: g.node, port: g.port }, target: { node: hit.node, port: hit.port } });
        } else if (!cancelled && Math.hypot(l.x - g.start.x, l.y - g.start.y) < 4) {
          host2.post({ type: "port", node: g.node, port: g.port });
        }
      }
    };
    svg.addEventListener("pointerup", (e) => endGesture(e, false));
    svg.addEventListener("pointercancel", (e) => endGesture(e, true));
    svg.addEventListener("click", (e) => {
      if (editable && !downOnItem && e.target.closest(".nf-node, .nf-edge") === null && !e.shiftKey) {
        if (selection.size > 0 || selectedEdge !== null) setSelection(/* @__PURE__ */ new Set());
      }
    });
    svg.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        zoomBy(Math.exp(-e.deltaY * 15e-4), local(e));
      },
      { passive: false }
    );
    mini.addEventListener("click", (e) => {
      if (scene === null) return;
      const m = minimap(scene.bounds, transform, size(), MINI);
      const box = mini.getBoundingClientRect();
      const p = { x: (e.clientX - box.left - m.x) / m.k, y: (e.clientY - box.top - m.y) / m.k };
      transform = centreOn(p, transform.k, size());
      apply();
    });
    if (editable) {
      root.addEventListener("dragover", (e) => {
        if (e.dataTransfer?.types.includes(DROP_TYPE)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = "copy";
        }
      });
      root.addEventListener("drop", (e) => {
        const data = e.dataTransfer?.getData(DROP_TYPE);
        if (!data) return;
        e.preventDefault();
        const p = at(e);
        host2.post({ type: "drop", data, at: { x: Math.round(p.x), y: Math.round(p.y) } });
      });
    }
    const pasteAt = () => {
      if (lastPointer !== null) return { x: Math.round(lastPointer.x), y: Math.round(lastPointer.y) };
      const { width, height } = size();
      const c = toCanvas(transform, { x: width / 2, y: height / 2 });
      return { x: Math.round(c.x), y: Math.round(c.y) };
    };
    root.addEventListener("keydown", (e) => {
      const target = e.target;
      if (target.closest?.("button, input, textarea, select") != null) return;
      const mod = e.ctrlKey || e.metaKey;
      if (editable && scene !== null) {
        const step = nudge(e.key, e.shiftKey);
        if (step !== null && selection.size > 0 && !mod) {
          e.preventDefault();
          const moves = movedPositions(scene, selection, step.x, step.y);
          if (moves.length > 0) host2.post({ type: "move", moves });
          return;
        }
        if (e.key === "Delete" || e.key === "Backspace") {
          if (selection.size > 0 || selectedEdge !== null) {
            e.preventDefault();
            host2.post({ type: "delete", nodes: [...selection], connections: selectedEdge === null ? [] : [selectedEdge] });
          }
          return;
        }
        if (e.key === "Escape") {
          setSelection(/* @__PURE__ */ new Set());
          return;
        }
        if (e.key === "F9" && selection.size > 0) {
          e.preventDefault();
          host2.post({ type: "breakpoint", nodes: [...selection] });
          return;
        }
        if (mod && !e.altKey) {
          const key = e.key.toLowerCase();
          if (key === "a") {
            e.preventDefault();
            setSelection(new Set(scene.nodes.map((n) => n.key)));
            return;
          }
          if (key === "c" && selection.size > 0) {
            e.preventDefault();
            host2.post({ type: "copy", nodes: [...selection] });
            return;
          }
          if (key === "x" && selection.size > 0) {
            e.preventDefault();
            host2.post({ type: "copy", nodes: [...selection] });
            host2.post({ type: "delete", nodes: [...selection], connections: [] });
            return;
          }
          if (key === "v") {
            e.preventDefault();
            host2.post({ type: "paste", at: pasteAt() });
            return;
          }
          if (key === "z" || key === "y") {
            e.preventDefault();
            host2.post({ type: key === "y" || e.shiftKey ? "redo" : "undo" });
            return;
          }
        }
      }
      if (mod) return;
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
        if (msg.type === "select") {
          canvas.select(msg.nodes);
          return;
        }
        canvas.show(msg.graph);
      },
      show(graph) {
        if (graph === null) {
          scene = null;
          sceneNodes2 = /* @__PURE__ */ new Map();
          sceneEdges2 = /* @__PURE__ */ new Map();
          render();
          message.textContent = "Not a flow document, or it is closed.";
          return;
        }
        lastGraph = graph;
        scene = buildScene(graph);
        sceneNodes2 = new Map(scene.nodes.map((n) => [n.key, n]));
        sceneEdges2 = new Map(scene.edges.map((e) => [e.index, e]));
        selection = pruneSelection(scene, selection);
        if (selectedEdge !== null && !sceneEdges2.has(selectedEdge)) selectedEdge = null;
        render();
        showSelection();
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
      select(keys) {
        if (scene === null) return;
        const known = keys.filter((k) => nodeEls.has(k));
        setSelection(new Set(known), null, false);
        const first = scene.nodes.find((n) => n.key === known[0]);
        if (first === void 0) return;
        const { width, height } = size();
        const sx = first.x * transform.k + transform.x;
        const sy = first.y * transform.k + transform.y;
        const inView = sx >= 0 && sy >= 0 && sx + first.width * transform.k <= width && sy + first.height * transform.k <= height;
        if (!inView) {
          transform = centreOn({ x: first.x + first.width / 2, y: first.y + first.height / 2 }, transform.k, size());
          apply();
        }
      },
      redraw() {
        if (lastGraph !== null) canvas.show(lastGraph);
      },
      decorate(next) {
        decorations = next;
        drawDecorations();
      },
      get selection() {
        return selection;
      },
      get transform() {
        return transform;
      },
      get scene() {
        return scene;
      },
      dispose() {
        resizes?.disconnect();
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
