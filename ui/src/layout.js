// The nested-grid layout: each compound node (site, rack, machine, hypervisor, layer box) packs
// its children in rows (shelf packing, children sorted by type then name), sized bottom-up, so
// a rack reads as a rack and a hypervisor shows its VMs inside it. O(n): 10k drawn nodes lay out
// in milliseconds, where a force-directed layout of compound graphs takes minutes at that size.
// The three layer boxes are stacked: service on top, then virtual, then physical.
// Returns a Map id -> {x, y} for the leaves (cytoscape sizes compound nodes from their children).

const LEAF_W = 60;
const LEAF_H = 40;
const PAD = 12; // inside a compound: cytoscape's padding plus room
const TOP = 20; // room for a compound's label
const GAP = 8;

export function nestedGrid(cy, order) {
  const kids = new Map(); // id -> [child nodes]
  const roots = [];
  cy.nodes().forEach((n) => {
    const p = n.data("parent");
    if (p) {
      if (!kids.has(p)) kids.set(p, []);
      kids.get(p).push(n);
    } else roots.push(n);
  });
  const size = new Map();
  const rel = new Map(); // id -> {x, y} of its top-left inside its parent's content box
  const key = (n) => `${n.data("type") || ""}\u0000${n.data("label") || ""}`;

  // sizes bottom-up (iteratively: deep trees must not overflow the stack)
  const post = [];
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop();
    post.push(n);
    for (const c of kids.get(n.id()) || []) stack.push(c);
  }
  for (let i = post.length - 1; i >= 0; i--) {
    const n = post[i];
    const ch = kids.get(n.id());
    if (!ch || !ch.length) {
      size.set(n.id(), { w: LEAF_W, h: LEAF_H });
      continue;
    }
    ch.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    let area = 0;
    let widest = 0;
    for (const c of ch) {
      const s = size.get(c.id());
      area += (s.w + GAP) * (s.h + GAP);
      widest = Math.max(widest, s.w + GAP);
    }
    const rowW = Math.max(widest, Math.sqrt(area) * 1.6);
    let x = 0;
    let y = 0;
    let rowH = 0;
    let w = 0;
    for (const c of ch) {
      const s = size.get(c.id());
      if (x > 0 && x + s.w > rowW) {
        y += rowH + GAP;
        x = 0;
        rowH = 0;
      }
      rel.set(c.id(), { x, y });
      x += s.w + GAP;
      rowH = Math.max(rowH, s.h);
      w = Math.max(w, x - GAP);
    }
    size.set(n.id(), { w: w + 2 * PAD, h: y + rowH + PAD + TOP });
  }

  // roots: the layer boxes stacked in the given order, anything else after them
  const abs = new Map();
  const rank = (n) => {
    const i = order.indexOf(n.id());
    return i < 0 ? order.length : i;
  };
  roots.sort((a, b) => rank(a) - rank(b));
  let y = 0;
  for (const r of roots) {
    abs.set(r.id(), { x: 0, y });
    y += size.get(r.id()).h + 40;
  }
  const out = new Map();
  for (const n of post) {
    const a = abs.get(n.id());
    const ch = kids.get(n.id());
    if (!ch || !ch.length) {
      const s = size.get(n.id());
      out.set(n.id(), { x: a.x + s.w / 2, y: a.y + s.h / 2 });
      continue;
    }
    for (const c of ch) {
      const r = rel.get(c.id());
      abs.set(c.id(), { x: a.x + PAD + r.x, y: a.y + TOP + r.y });
    }
  }
  return out;
}
