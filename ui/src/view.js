// The drawing: cytoscape.js with the fCoSE layout (compound nodes). Keeps the cytoscape elements
// in step with model.drawnSet(): adds what appeared, removes what went, updates the rest, and
// lays out again only when asked (first draw, expand/collapse, a new time).
//
// Element ids (the tests' handle on what is drawn): a landscape node is drawn under its own id;
// an edge as "e:<src|type|dst>"; edges merged between collapsed nodes as
// "agg:<src>|<type>|<dst>"; the three layer boxes as "layer:physical|virtual|service".
import cytoscape from "cytoscape";
import fcose from "cytoscape-fcose";
import { LAYERS, worse } from "./model.js";
import { nestedGrid } from "./layout.js";

// Above this many drawn nodes the force-directed layout takes too long (fCoSE on compound
// graphs: 85 s for the 1,437-node demo here); the nested grid takes milliseconds.
const FCOSE_MAX = 300;

cytoscape.use(fcose);

const FILL = { red: "#e5484d", yellow: "#f5c542", green: "#46a758", grey: "#6b7280" };
const LAYER_FILL = { physical: "#5fa8d3", virtual: "#9bc53d", service: "#e5a14b" };
const SHAPE = { physical: "round-rectangle", virtual: "ellipse", service: "diamond" };

function style() {
  return [
    {
      selector: "node",
      style: {
        label: "data(label)",
        "font-size": 9,
        color: "#d7dde4",
        "text-valign": "bottom",
        "text-margin-y": 2,
        "min-zoomed-font-size": 7,
        width: 18,
        height: 18,
        shape: "data(shape)",
        "background-color": "data(fill)",
        "border-width": 0,
      },
    },
    ...Object.entries(FILL).map(([c, v]) => ({ selector: `node[impact = "${c}"]`, style: { "border-width": 3, "border-color": v } })),
    {
      selector: "node.collapsed",
      style: { width: 30, height: 30, "border-width": 2, "border-style": "double", "border-color": "#d7dde4" },
    },
    {
      selector: ":parent",
      style: {
        "background-opacity": 0.08,
        "border-width": 1,
        "border-color": "#44505e",
        "text-valign": "top",
        "font-size": 11,
        padding: 6,
      },
    },
    {
      selector: "node.layerbox",
      style: {
        "background-opacity": 0.03,
        "border-style": "dashed",
        "font-size": 16,
        "text-transform": "uppercase",
        color: "#8a96a3",
        shape: "round-rectangle",
      },
    },
    {
      selector: "edge",
      style: {
        width: "mapData(count, 1, 32, 1, 5)",
        "line-color": "#44505e",
        "curve-style": "haystack",
        opacity: 0.6,
      },
    },
    { selector: "edge.depends_on", style: { "line-color": "#e5a14b", "line-style": "dashed" } },
    { selector: "edge.runs_on", style: { "line-color": "#7a8796", "line-style": "dotted" } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#ffffff" } },
    { selector: "node.match", style: { "border-width": 4, "border-color": "#00d0ff" } },
    { selector: "node.diff-added", style: { "border-width": 4, "border-color": "#3ddc84", "border-style": "solid" } },
    { selector: "node.diff-changed", style: { "border-width": 4, "border-color": "#ffb224", "border-style": "solid" } },
    { selector: "node.diff-removed", style: { "border-width": 4, "border-color": "#ff4d4f", "border-style": "dashed" } },
    { selector: "node.flash", style: { "overlay-color": "#ffffff", "overlay-opacity": 0.35 } },
    { selector: ".path", style: { "line-color": "#ff4d4f", width: 4, opacity: 1, "z-index": 10 } },
    { selector: "node.path", style: { "border-width": 5, "border-color": "#ff4d4f" } },
    { selector: "node.path-cause", style: { "border-width": 7, "border-color": "#ffffff" } },
    { selector: ".faded", style: { opacity: 0.15 } },
  ];
}

export class View {
  constructor(container, ls, handlers) {
    this.ls = ls;
    this.h = handlers;
    this.cy = cytoscape({
      container,
      style: style(),
      minZoom: 0.02,
      maxZoom: 4,
      textureOnViewport: true,
      hideEdgesOnViewport: true,
      motionBlur: false,
      pixelRatio: 1,
      boxSelectionEnabled: false,
    });
    this.cy.on("tap", "node", (ev) => {
      const n = ev.target;
      if (n.hasClass("layerbox")) return;
      this.h.onPick(n.id(), n.hasClass("collapsed"));
    });
    this.cy.on("dbltap", "node", (ev) => {
      const n = ev.target;
      if (!n.hasClass("layerbox")) this.h.onToggle(n.id());
    });
    this.cy.on("tap", (ev) => {
      if (ev.target === this.cy) this.h.onPick(null);
    });
  }

  nodeData(id, d) {
    const n = this.ls.info(id);
    const own = this.ls.ownColour(id);
    const colour = d.collapsed ? this.ls.worstBelow(id) : own;
    const impact = this.ls.impactColour(id);
    const label = (n.name || id) + (d.collapsed ? ` (+${d.hidden})` : "");
    return {
      id,
      parent: d.parent !== undefined ? d.parent : "layer:" + n.layer,
      label,
      layer: n.layer,
      type: n.type,
      colour: colour || undefined,
      fill: FILL[colour] || LAYER_FILL[n.layer] || "#999",
      shape: SHAPE[n.layer] || "ellipse",
      // a ring only when what the node depends on is worse than the node itself
      impact: impact && impact !== "green" && worse(impact, own) !== own ? impact : undefined,
    };
  }

  // Brings the drawing in line with the drawn set; returns true when elements were added or
  // removed (the caller then decides whether to lay out again).
  sync(set) {
    const cy = this.cy;
    let changed = false;
    cy.batch(() => {
      for (const l of LAYERS) {
        if (!cy.getElementById("layer:" + l).length)
          cy.add({ group: "nodes", data: { id: "layer:" + l, label: l, layer: l, fill: LAYER_FILL[l], shape: "round-rectangle" }, classes: "layerbox" });
      }
      // remove what is no longer drawn (edges first, then nodes, children before parents)
      cy.edges().forEach((e) => {
        if (!set.edges.has(e.id())) {
          e.remove();
          changed = true;
        }
      });
      cy.nodes().forEach((n) => {
        if (!n.hasClass("layerbox") && !set.nodes.has(n.id())) {
          n.children().move({ parent: null });
          n.remove();
          changed = true;
        }
      });
      // parents before children: add in tree order
      const order = [];
      const seen = new Set();
      const visit = (id) => {
        if (seen.has(id)) return;
        seen.add(id);
        const d = set.nodes.get(id);
        if (d.parent !== undefined && set.nodes.has(d.parent)) visit(d.parent);
        order.push(id);
      };
      for (const id of set.nodes.keys()) visit(id);
      const fresh = []; // added in one call: one pass over the compound bounds, not one per node
      const moves = []; // after the adds: a new parent may be among them
      for (const id of order) {
        const d = set.nodes.get(id);
        const data = this.nodeData(id, d);
        const el = cy.getElementById(id);
        if (!el.length) {
          const pos = this.placeNear(data.parent);
          fresh.push({ group: "nodes", data, position: pos, classes: d.collapsed ? "collapsed" : "" });
          changed = true;
        } else {
          if ((el.data("parent") || undefined) !== data.parent) {
            moves.push([el, data.parent]);
            changed = true;
          }
          // only what differs: every data() write re-applies the element's style at the next
          // frame, and with compound nodes that costs a walk of its ancestors and descendants
          // per style property (a colour event re-styled all 1,437 demo nodes: ~4 s a frame)
          const diff = {};
          let any = false;
          for (const [k, v] of Object.entries(data)) {
            if (k !== "parent" && el.data(k) !== v) {
              diff[k] = v;
              any = true;
            }
          }
          if (any) el.data(diff);
          if (el.hasClass("collapsed") !== !!d.collapsed) el.toggleClass("collapsed", !!d.collapsed);
        }
      }
      for (const [id, e] of set.edges) {
        if (cy.getElementById(id).length) continue;
        fresh.push({
          group: "edges",
          data: { id, source: e.src, target: e.dst, count: e.count, type: e.type },
          classes: e.type + (e.agg ? " agg" : ""),
        });
        changed = true;
      }
      if (fresh.length) cy.add(fresh);
      for (const [el, parent] of moves) el.move({ parent: parent === undefined ? null : parent });
    });
    return changed;
  }

  placeNear(parentId) {
    const p = parentId ? this.cy.getElementById(parentId) : null;
    const c = p && p.length ? p.position() : { x: 0, y: 0 };
    return { x: c.x + (Math.random() - 0.5) * 40, y: c.y + (Math.random() - 0.5) * 40 };
  }

  // mode: "auto" (fCoSE up to FCOSE_MAX drawn nodes, the nested grid above), "grid", "fcose".
  layout(mode = "auto") {
    const n = this.cy.nodes().length;
    const organic = mode === "fcose" || (mode === "auto" && n <= FCOSE_MAX);
    this.lastLayout = organic ? "fcose" : "grid";
    return new Promise((resolve) => {
      const opts = organic
        ? {
            name: "fcose",
            quality: "default",
            randomize: true,
            animate: false,
            fit: true,
            padding: 20,
            nodeDimensionsIncludeLabels: false,
            packComponents: true,
            nodeRepulsion: 4500,
            idealEdgeLength: 50,
            tile: true,
          }
        : {
            name: "preset",
            positions: ((pos) => (node) => pos.get(node.id()))(nestedGrid(this.cy, LAYERS.map((l) => "layer:" + l).reverse())),
            animate: false,
            fit: true,
            padding: 20,
          };
      const l = this.cy.layout(opts);
      l.one("layoutstop", () => resolve());
      l.run();
    });
  }

  // Highlights: classes on drawn elements. ids are landscape node ids (mapped to what is drawn).
  mark(cls, ids) {
    this.cy.elements("." + cls).removeClass(cls);
    for (const id of ids) this.cy.getElementById(id).addClass(cls);
  }

  focus(id) {
    const el = this.cy.getElementById(id);
    if (!el.length) return;
    this.cy.$(":selected").unselect();
    el.select();
    this.cy.animate({ center: { eles: el }, zoom: Math.max(this.cy.zoom(), 1.2) }, { duration: 200 });
  }

  // Where a drawn element is, in page coordinates (for tests and for the panels).
  box(id) {
    const el = this.cy.getElementById(id);
    if (!el.length) return null;
    const bb = el.renderedBoundingBox({ includeLabels: false });
    const r = this.cy.container().getBoundingClientRect();
    return { x: r.left + bb.x1, y: r.top + bb.y1, w: bb.w, h: bb.h, cx: r.left + (bb.x1 + bb.x2) / 2, cy: r.top + (bb.y1 + bb.y2) / 2 };
  }
}
