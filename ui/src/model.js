// The landscape as the page holds it, and what of it is drawn: no DOM, no network (unit-testable
// with node). The containment tree (site -> rack -> machine -> hypervisor -> instance) comes from
// the edges: `a contains b` makes a the parent of b; `a runs_on b` makes b the parent of a (a
// hypervisor runs on a machine, an instance on a hypervisor). A node has one parent: the first
// `contains` wins, then `runs_on`; an edge that would close a cycle is not used for nesting.

export const LAYERS = ["physical", "virtual", "service"];
export const COLOURS = ["red", "yellow", "green", "grey"]; // worst first
const RANK = { red: 3, yellow: 2, green: 1, grey: 0 };

// Level of detail for what hangs on nothing (ports and volumes are attached to instances, not
// nested): when there are more such roots than groupAbove, the roots of each type that has at
// least GROUP_MIN of them go into one group node "group:<type>" (collapsed, expands on click).
// Groups are the page's, not the landscape's: they are in `groups`, never in `nodes`.
export const GROUP_MIN = 20;

// Hardware parts: drawn last when the budget is tight (they rarely explain an incident).
export const PART_TYPES = new Set(["socket", "numa_node", "core", "pu", "cache", "nic", "disk"]);

export function edgeKey(e) {
  return e.id || `${e.src}|${e.type}|${e.dst}`;
}

export function worse(a, b) {
  if (!a) return b || null;
  if (!b) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

export class Landscape {
  constructor() {
    this.nodes = new Map(); // id -> node JSON
    this.edges = new Map(); // key -> edge JSON
    this.colour = new Map(); // id -> {colour, score, impact, reasons}
    this.parent = new Map(); // id -> parent id
    this.children = new Map(); // id -> [child ids]
    this.nestingEdges = new Set(); // keys of the edges drawn as nesting, not as lines
    this.size = new Map(); // id -> number of descendants
    this.groups = new Map(); // group id -> {id, type, layer, name, group: true}
    this.groupAbove = Infinity; // group the roots when there are more than this
  }

  // A drawn node's description: the landscape's node, or a group.
  info(id) {
    return this.nodes.get(id) || this.groups.get(id);
  }

  load(nodes, edges) {
    this.nodes.clear();
    this.edges.clear();
    for (const n of nodes) this.nodes.set(n.id, n);
    for (const e of edges) this.edges.set(edgeKey(e), e);
    this.rebuildTree();
  }

  putNode(n) {
    this.nodes.set(n.id, n);
  }
  deleteNode(id) {
    this.nodes.delete(id);
    for (const [k, e] of this.edges) if (e.src === id || e.dst === id) this.edges.delete(k);
  }
  putEdge(e) {
    this.edges.set(edgeKey(e), e);
  }
  deleteEdge(key) {
    this.edges.delete(key);
  }

  isAncestor(a, b) {
    // is a an ancestor of b (or b itself)?
    for (let x = b; x !== undefined; x = this.parent.get(x)) if (x === a) return true;
    return false;
  }

  rebuildTree() {
    this.parent.clear();
    this.children.clear();
    this.nestingEdges.clear();
    const offer = (child, par, key) => {
      if (!this.nodes.has(child) || !this.nodes.has(par) || this.parent.has(child)) return;
      if (this.isAncestor(child, par)) return;
      this.parent.set(child, par);
      this.nestingEdges.add(key);
    };
    for (const [k, e] of this.edges) if (e.type === "contains") offer(e.dst, e.src, k);
    for (const [k, e] of this.edges) if (e.type === "runs_on") offer(e.src, e.dst, k);
    this.groupRoots();
    for (const [c, p] of this.parent) {
      if (!this.children.has(p)) this.children.set(p, []);
      this.children.get(p).push(c);
    }
    this.size.clear();
    const count = (id) => {
      let n = 0;
      for (const c of this.children.get(id) || []) n += 1 + count(c);
      this.size.set(id, n);
      return n;
    };
    for (const id of this.nodes.keys()) if (!this.parent.has(id)) count(id);
    for (const id of this.groups.keys()) count(id);
  }

  groupRoots() {
    this.groups.clear();
    const byType = new Map();
    let roots = 0;
    for (const [id, n] of this.nodes) {
      if (this.parent.has(id)) continue;
      roots++;
      if (!byType.has(n.type)) byType.set(n.type, []);
      byType.get(n.type).push(id);
    }
    if (roots <= this.groupAbove) return;
    for (const [type, ids] of byType) {
      if (ids.length < GROUP_MIN) continue;
      const g = "group:" + type;
      this.groups.set(g, { id: g, type, layer: this.nodes.get(ids[0]).layer, name: `${ids.length} × ${type}`, group: true });
      for (const id of ids) this.parent.set(id, g);
    }
  }

  roots() {
    const r = [];
    for (const id of this.nodes.keys()) if (!this.parent.has(id)) r.push(id);
    for (const id of this.groups.keys()) r.push(id);
    return r;
  }

  // The nodes and their descendants' worst colour (a collapsed rack shows its worst machine).
  worstBelow(id) {
    let c = this.ownColour(id);
    for (const ch of this.children.get(id) || []) c = worse(c, this.worstBelow(ch));
    return c;
  }
  ownColour(id) {
    const a = this.colour.get(id);
    return a ? a.colour : null;
  }
  impactColour(id) {
    const a = this.colour.get(id);
    return a ? a.impact : null;
  }

  layerCounts() {
    const c = Object.fromEntries(LAYERS.map((l) => [l, 0]));
    for (const n of this.nodes.values()) c[n.layer] = (c[n.layer] || 0) + 1;
    return c;
  }
  typeCounts() {
    const c = new Map();
    for (const n of this.nodes.values()) c.set(n.type, (c.get(n.type) || 0) + 1);
    return c;
  }
  colourCounts() {
    const c = Object.fromEntries(COLOURS.map((k) => [k, 0]));
    for (const a of this.colour.values()) if (a.colour in c) c[a.colour]++;
    return c;
  }
}

// Level of detail: expands the tree breadth first, nodes before hardware parts, while the number
// of drawn nodes stays within budget; the groups of roots (GROUP_MIN) last, with what is left.
// Returns the set of expanded ids.
export function expandToBudget(ls, budget, visible) {
  const expanded = new Set();
  let level = [];
  const groups = [];
  for (const id of ls.roots()) if (visible(id)) (ls.groups.has(id) ? groups : level).push(id);
  let drawn = level.length + groups.length;
  const detail = (id) => (PART_TYPES.has((ls.info(id) || {}).type) ? 1 : 0);
  const open = (id) => {
    const kids = (ls.children.get(id) || []).filter(visible);
    if (!kids.length || drawn + kids.length > budget) return [];
    expanded.add(id);
    drawn += kids.length;
    return kids;
  };
  while (level.length) {
    level.sort((a, b) => detail(a) - detail(b) || (ls.size.get(a) || 0) - (ls.size.get(b) || 0));
    const next = [];
    for (const id of level) next.push(...open(id));
    level = next;
  }
  groups.sort((a, b) => (ls.size.get(a) || 0) - (ls.size.get(b) || 0));
  for (const id of groups) open(id);
  return expanded;
}

// What is drawn: each visible node's representative is itself when every ancestor is expanded,
// else its topmost collapsed ancestor. Returns {nodes: Map id -> {parent, collapsed, hidden}},
// edges: Map id -> {src, dst, type, count, keys}} with edges between hidden nodes moved to their
// representatives (merged; count says how many), and nesting edges left out.
export function drawnSet(ls, expanded, visible) {
  const rep = new Map();
  const repOf = (id) => {
    if (rep.has(id)) return rep.get(id);
    let r = id;
    const chain = [];
    for (let x = id; x !== undefined; x = ls.parent.get(x)) chain.push(x);
    // topmost visible ancestor that is collapsed wins
    for (let i = chain.length - 1; i >= 1; i--) {
      const a = chain[i];
      if (visible(a) && !expanded.has(a)) {
        r = a;
        break;
      }
    }
    rep.set(id, r);
    return r;
  };
  const nodes = new Map();
  for (const id of [...ls.groups.keys(), ...ls.nodes.keys()]) {
    if (!visible(id)) continue;
    if (repOf(id) !== id) continue;
    let p = ls.parent.get(id);
    while (p !== undefined && !visible(p)) p = ls.parent.get(p);
    const kids = ls.children.get(id) || [];
    nodes.set(id, {
      parent: p,
      collapsed: kids.length > 0 && !expanded.has(id),
      hidden: kids.length && !expanded.has(id) ? ls.size.get(id) : 0,
    });
  }
  const edges = new Map();
  for (const [k, e] of ls.edges) {
    if (ls.nestingEdges.has(k)) continue;
    if (!visible(e.src) || !visible(e.dst)) continue;
    const a = repOf(e.src);
    const b = repOf(e.dst);
    if (a === b || !nodes.has(a) || !nodes.has(b)) continue;
    const direct = a === e.src && b === e.dst;
    const id = direct ? "e:" + k : `agg:${a}|${e.type}|${b}`;
    const cur = edges.get(id);
    if (cur) {
      cur.count++;
      cur.keys.push(k);
    } else edges.set(id, { src: a, dst: b, type: e.type, count: 1, keys: [k], agg: !direct });
  }
  return { nodes, edges, repOf };
}
