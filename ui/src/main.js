// The page: loads the landscape, draws it, and keeps it live. See docs/ui.md for what each part
// shows and how tests find what is drawn.
import * as api from "./api.js";
import { Landscape, LAYERS, COLOURS, expandToBudget, drawnSet, edgeKey } from "./model.js";
import { View } from "./view.js";
import { $, el, sparkline, fmt, attrTable, shortTime } from "./panels.js";

// At most this many nodes are drawn by the first level of detail; collapsed nodes expand on click.
const BUDGET = Number(new URLSearchParams(location.search).get("budget")) || 1500;
const RANK = { red: 0, yellow: 1, green: 2, grey: 3 };

const ls = new Landscape();
ls.groupAbove = BUDGET / 2;
const st = {
  at: null, // null: live; else an RFC 3339 time
  expanded: new Set(),
  layersOff: new Set(),
  typesOff: new Set(),
  selected: null,
  set: null,
  colours: "unknown", // "on" | "unavailable"
  incidents: "unknown",
  openIncident: null, // the incident whose causes are shown
  openCause: null, // and the cause whose path is highlighted
  stopEvents: null,
  revision: 0,
  events: 0,
  firstTime: null,
  layoutMode: "auto",
};
let view;

const visible = (id) => {
  const n = ls.info(id);
  return !!n && !st.layersOff.has(n.layer) && !st.typesOff.has(n.type);
};

function body(k, v) {
  document.body.dataset[k] = String(v);
}

function status(msg, cls = "") {
  const s = $("#status");
  s.textContent = msg;
  s.className = "stat " + cls;
}

// ---- loading -------------------------------------------------------------------------------

async function loadColours() {
  const q = st.at ? "?at=" + encodeURIComponent(st.at) : "";
  let c = null;
  try {
    c = await api.getOptional("/v1/analytics/colours" + q);
  } catch (e) {
    console.warn("colours:", e.message);
  }
  ls.colour.clear();
  if (!c) {
    st.colours = "unavailable";
  } else {
    st.colours = "on";
    for (const n of c.nodes || []) ls.colour.set(n.id, n);
  }
  body("colours", st.colours);
}

async function loadGraph() {
  const t0 = performance.now();
  const g = await api.graph(st.at ? "at=" + encodeURIComponent(st.at) : "");
  ls.load(g.nodes, g.edges);
  if (g.revision != null) st.revision = g.revision;
  await loadColours();
  const ms = performance.now() - t0;
  body("loadMs", ms.toFixed(0));
  return g;
}

function refresh(relayout) {
  const t0 = performance.now();
  st.set = drawnSet(ls, st.expanded, visible);
  const t1 = performance.now();
  const changed = view.sync(st.set);
  const t2 = performance.now();
  body("setMs", (t1 - t0).toFixed(0));
  body("syncMs", (t2 - t1).toFixed(0));
  body("nodes", st.set.nodes.size);
  body("edges", st.set.edges.size);
  renderCounts();
  renderLegend();
  if (!(changed && relayout)) return Promise.resolve();
  return view.layout(st.layoutMode).then(() => {
    body("layout", view.lastLayout);
    body("layoutMs", (performance.now() - t2).toFixed(0));
  });
}

// ---- filters, legend, counts ----------------------------------------------------------------

function renderCounts() {
  const lc = ls.layerCounts();
  for (const l of LAYERS) {
    const c = $(`[data-layer-count="${l}"]`);
    if (c) c.textContent = lc[l] || 0;
  }
  $("#stats").textContent =
    `${ls.nodes.size} nodes · ${ls.edges.size} edges · ${st.set ? st.set.nodes.size : 0} drawn · ` +
    (st.at ? "as of " + shortTime(st.at) : "revision " + st.revision);
}

function buildFilters() {
  const lf = $("#layers");
  lf.replaceChildren();
  for (const l of LAYERS) {
    lf.append(
      el(
        "label",
        { class: "chk" },
        el("input", {
          type: "checkbox",
          "data-layer": l,
          checked: !st.layersOff.has(l),
          onchange: (ev) => {
            if (ev.target.checked) st.layersOff.delete(l);
            else st.layersOff.add(l);
            refresh(true);
          },
        }),
        el("span", { class: "dot " + l }),
        ` ${l} `,
        el("span", { class: "muted", "data-layer-count": l, text: "0" }),
      ),
    );
  }
  const tf = $("#types");
  tf.replaceChildren();
  const tc = [...ls.typeCounts()].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [t, n] of tc) {
    tf.append(
      el(
        "label",
        { class: "chk" },
        el("input", {
          type: "checkbox",
          "data-type": t,
          checked: !st.typesOff.has(t),
          onchange: (ev) => {
            if (ev.target.checked) st.typesOff.delete(t);
            else st.typesOff.add(t);
            refresh(true);
          },
        }),
        ` ${t} `,
        el("span", { class: "muted", text: n }),
      ),
    );
  }
}

function renderLegend() {
  const lg = $("#legend");
  lg.replaceChildren();
  if (st.colours !== "on") {
    lg.append(el("p", { class: "muted", text: "Colours: this server has no /v1/analytics/colours." }));
    $("#hot").replaceChildren();
    return;
  }
  const cc = ls.colourCounts();
  for (const c of COLOURS) {
    lg.append(el("span", { class: "legend", "data-legend": c }, el("span", { class: "dot c-" + c }), ` ${c} `, el("b", { text: cc[c] })));
  }
  // red first: the nodes that are not green, worst and highest score first
  const hot = [...ls.colour.values()]
    .filter((a) => (a.colour === "red" || a.colour === "yellow") && ls.nodes.has(a.id))
    .sort((a, b) => RANK[a.colour] - RANK[b.colour] || (b.score || 0) - (a.score || 0))
    .slice(0, 50);
  const ul = $("#hot");
  ul.replaceChildren(
    ...hot.map((a) => {
      const n = ls.nodes.get(a.id);
      return el(
        "li",
        { class: "node", "data-node-id": a.id, onclick: () => reveal(a.id, true) },
        el("span", { class: "dot c-" + a.colour }),
        `${n.name || a.id} `,
        el("span", { class: "muted", text: `${n.type} ${fmt(a.score || 0)}` }),
      );
    }),
  );
}

// ---- selection and the node panel ---------------------------------------------------------

// Makes id drawn (expands its ancestors), selects it and opens its panel.
async function reveal(id, select) {
  if (!ls.nodes.has(id)) return;
  let added = false;
  for (let p = ls.parent.get(id); p !== undefined; p = ls.parent.get(p)) {
    if (!st.expanded.has(p)) {
      st.expanded.add(p);
      added = true;
    }
  }
  st.layersOff.delete(ls.nodes.get(id).layer);
  st.typesOff.delete(ls.nodes.get(id).type);
  if (added) await refresh(true);
  if (select) pick(id);
}

function pick(id) {
  st.selected = id;
  if (!id) {
    view.cy.$(":selected").unselect();
    $("#panel").replaceChildren(el("p", { class: "muted", text: "Pick a node: its attributes, edges, telemetry and history show here." }));
    delete document.body.dataset.selected;
    return;
  }
  view.focus(id);
  body("selected", id);
  setHash();
  nodePanel(id);
}

async function nodePanel(id) {
  const p = $("#panel");
  const n = ls.nodes.get(id);
  if (!n && ls.groups.has(id)) return groupPanel(id);
  if (!n) return;
  p.dataset.node = id;
  p.dataset.loaded = "false";
  const kids = ls.children.get(id) || [];
  const colour = ls.colour.get(id);
  const head = el(
    "div",
    {},
    el("h2", { text: n.name || id }),
    el("div", { class: "muted", text: `${n.type} · ${n.layer} · ${n.state || "—"}` }),
    el("div", { class: "mono", text: id }),
    kids.length
      ? el("button", {
          "data-action": "toggle",
          onclick: () => toggle(id),
          text: st.expanded.has(id) ? `collapse (${ls.size.get(id)} inside)` : `expand (${ls.size.get(id)} inside)`,
        })
      : null,
  );
  const sec = (title, name) => el("section", { "data-section": name }, el("h3", { text: title }));
  const anomaly = sec("Colour", "colour");
  if (colour) {
    anomaly.append(
      el("div", {}, el("span", { class: "dot c-" + colour.colour }), ` ${colour.colour} (score ${fmt(colour.score || 0)})`, colour.impact && colour.impact !== "green" ? ` · impact ${colour.impact}` : ""),
    );
    for (const r of colour.reasons || [])
      anomaly.append(el("div", { class: "muted", text: `${r.metric}: ${fmt(r.value)} outside [${(r.expected || []).map(fmt).join(", ")}] since ${shortTime(r.since)} (${r.detector})` }));
  } else anomaly.append(el("div", { class: "muted", text: st.colours === "on" ? "no data" : "colours not available" }));
  const attrs = sec("Attributes", "attrs");
  attrs.append(attrTable(n.attrs));
  const edges = sec("Edges", "edges");
  const list = el("ul", { class: "edges" });
  let shown = 0;
  for (const e of ls.edges.values()) {
    if (e.src !== id && e.dst !== id) continue;
    if (shown++ >= 60) break;
    const other = e.src === id ? e.dst : e.src;
    const on = ls.nodes.get(other);
    list.append(
      el("li", { class: "node", "data-edge": edgeKey(e), "data-node-id": other, onclick: () => reveal(other, true) },
        e.src === id ? `→ ${e.type} ` : `← ${e.type} `,
        el("b", { text: on ? on.name || other : other }),
        e.source && e.source !== "imported" ? el("span", { class: "muted", text: ` ${e.source}` }) : null),
    );
  }
  edges.append(list);
  const tel = sec("Telemetry (last hour)", "telemetry");
  const hist = sec("History", "history");
  p.replaceChildren(head, anomaly, attrs, edges, tel, hist);

  const now = st.at ? new Date(st.at) : new Date();
  const from = new Date(now.getTime() - 3600e3).toISOString();
  const enc = encodeURIComponent(id);
  const jobs = [
    api
      .get(`/v1/nodes/${enc}/telemetry?from=${encodeURIComponent(from)}&to=${encodeURIComponent(now.toISOString())}&step=60`)
      .then((t) => {
        const names = new Set([...Object.keys(t.metrics || {}), ...Object.keys(t.rollups || {})]);
        if (!names.size) tel.append(el("div", { class: "muted", text: "no telemetry" }));
        for (const m of [...names].sort()) {
          const live = (t.metrics || {})[m];
          const ru = (t.rollups || {})[m];
          const values = ru && ru.points.length > 1 ? ru.points.map((x) => x[1]) : live ? (live.recent || []).map((x) => x[1]) : [];
          const unit = (live && live.unit) || (ru && ru.unit) || "";
          tel.append(
            el("div", { class: "metric", "data-metric": m },
              el("div", {}, el("b", { text: m }), el("span", { class: "muted", text: live ? ` ${fmt(live.last)} ${unit}` : ` ${unit}` })),
              sparkline(values)),
          );
        }
      })
      .catch((e) => tel.append(el("div", { class: "muted", text: e.message }))),
    api
      .get(`/v1/nodes/${enc}/history?limit=20`)
      .then((h) => {
        const t = el("table", { class: "attrs" });
        for (const v of (h.versions || []).slice().reverse())
          t.append(el("tr", { "data-revision": v.revision }, el("td", { text: shortTime(v.valid_from) }), el("td", { text: `${v.state || ""} r${v.revision}` }), el("td", { text: v.valid_to ? "until " + shortTime(v.valid_to) : "current" })));
        hist.append(t, el("div", { class: "muted", text: `${(h.edges || []).length} edge versions` }));
      })
      .catch((e) => hist.append(el("div", { class: "muted", text: e.message }))),
  ];
  await Promise.all(jobs);
  if (p.dataset.node === id) p.dataset.loaded = "true";
}

// A group of roots (model.js GROUP_MIN): how many, and expand/collapse.
function groupPanel(id) {
  const p = $("#panel");
  const g = ls.groups.get(id);
  p.dataset.node = id;
  p.replaceChildren(
    el("h2", { text: g.name }),
    el("div", { class: "muted", text: `${g.type} · ${g.layer} · not nested in anything; grouped to keep the drawing small` }),
    el("button", {
      "data-action": "toggle",
      onclick: () => toggle(id),
      text: st.expanded.has(id) ? `collapse (${ls.size.get(id)} inside)` : `expand (${ls.size.get(id)} inside)`,
    }),
  );
  p.dataset.loaded = "true";
}

async function toggle(id) {
  if (st.expanded.has(id)) {
    // collapse: the node and everything under it
    const drop = (x) => {
      st.expanded.delete(x);
      for (const c of ls.children.get(x) || []) drop(c);
    };
    drop(id);
  } else st.expanded.add(id);
  await refresh(true);
  pick(id);
}

// ---- incidents ------------------------------------------------------------------------------

async function loadIncidents() {
  const box = $("#incidents");
  let r = null;
  try {
    r = await api.getOptional("/v1/analytics/incidents?state=open");
  } catch (e) {
    box.replaceChildren(el("p", { class: "muted", text: e.message }));
    return;
  }
  if (!r) {
    st.incidents = "unavailable";
    body("incidents", "unavailable");
    box.replaceChildren(el("p", { class: "muted", text: "Incidents: this server has no /v1/analytics/incidents." }));
    return;
  }
  st.incidents = "on";
  const list = r.incidents || r;
  body("incidents", Array.isArray(list) ? list.length : 0);
  box.replaceChildren();
  if (!Array.isArray(list) || !list.length) {
    box.append(el("p", { class: "muted", text: "No open incident." }));
    return;
  }
  for (const inc of list) {
    const causes = el("ol", { class: "causes" });
    const li = el(
      "li",
      { class: "incident", "data-incident": inc.id },
      el("div", { class: "node", onclick: () => openIncident(inc, causes) },
        el("b", { text: `#${inc.id}` }), ` ${(inc.nodes || []).length} nodes · opened ${shortTime(inc.opened_at)}`),
      causes,
    );
    box.append(li);
    // the incident the operator opened stays open as the list is drawn again (it is updated
    // while it grows)
    if (st.openIncident === inc.id) openIncident(inc, causes, true);
  }
}

// Shows an incident's ranked causes; drawn again (again = true) it keeps the cause whose path
// the operator picked.
async function openIncident(inc, ol, again = false) {
  if (!again) st.openCause = null;
  let full = inc;
  try {
    full = await api.get("/v1/analytics/incidents/" + encodeURIComponent(inc.id));
  } catch (e) {
    console.warn("incident:", e.message);
  }
  const causes = (full.causes || []).slice().sort((a, b) => (b.score || 0) - (a.score || 0));
  ol.replaceChildren(
    ...causes.map((c) =>
      el("li", { class: "node", "data-cause": c.id, onclick: () => showPath(c) },
        el("b", { text: ls.nodes.has(c.id) ? ls.nodes.get(c.id).name || c.id : c.id }),
        el("span", { class: "muted", text: ` ${fmt(c.score || 0)} · ${c.reason || ""}` })),
    ),
  );
  body("incident", inc.id);
  st.openIncident = inc.id;
  view.mark("faded", []);
  const picked = causes.find((c) => c.id === st.openCause);
  if (picked) await showPath(picked, !again); /* drawn again: the operator's filters stay */
  else view.mark("path", (full.nodes || []).filter((id) => ls.nodes.has(id)));
}

// Highlights a cause's path: its nodes (or what they are drawn as) and the edges between them.
// reveal: expand (and unfilter) what the path needs to be drawn; not when drawn again.
async function showPath(cause, reveal_ = true) {
  st.openCause = cause.id;
  const ids = (cause.path && cause.path.length ? cause.path : [cause.id]).filter((id) => ls.nodes.has(id));
  if (reveal_) for (const id of ids) await reveal(id, false);
  const reps = [];
  for (const id of ids) {
    const r = st.set.repOf(id);
    if (reps[reps.length - 1] !== r) reps.push(r);
  }
  const cy = view.cy;
  cy.remove(".tmp");
  cy.elements(".path, .path-cause").removeClass("path path-cause");
  let els = cy.collection();
  for (let i = 0; i < reps.length; i++) {
    const n = cy.getElementById(reps[i]);
    n.addClass("path");
    els = els.union(n);
    if (i === 0) n.addClass("path-cause");
    if (i === 0) continue;
    const a = cy.getElementById(reps[i - 1]);
    let e = a.edgesWith(n);
    if (!e.length)
      e = cy.add({ group: "edges", data: { id: `path:${reps[i - 1]}|${reps[i]}`, source: reps[i - 1], target: reps[i] }, classes: "tmp" });
    e.addClass("path");
    els = els.union(e);
  }
  body("path", ids.join(" "));
  if (els.length) cy.animate({ fit: { eles: els, padding: 80 } }, { duration: 250 });
}

// ---- time: slider, diff, deep links ---------------------------------------------------------

async function setAt(at) {
  const before = st.at;
  if (before === at) return;
  st.at = at;
  stopLive();
  status(at ? "as of " + shortTime(at) : "loading…");
  await loadGraph();
  for (const id of [...st.expanded]) if (!ls.info(id)) st.expanded.delete(id);
  await refresh(true);
  syncSlider();
  await showDiff(before, at);
  if (!at) startLive();
  else status("as of " + shortTime(at), "past");
  body("at", at || "live");
  setHash();
}

// The diff between the time shown before and the time shown now: on what is drawn (the later
// graph's additions in green, changes in amber; what the later graph no longer has, drawn in
// the earlier one, dashed red) and counted in the diff box.
async function showDiff(a, b) {
  const ta = a ? new Date(a) : new Date();
  const tb = b ? new Date(b) : new Date();
  const [from, to] = ta <= tb ? [ta, tb] : [tb, ta];
  const showingLater = tb >= ta;
  const d = await api.get(`/v1/graph/diff?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`);
  const added = (d.added || []).map((n) => n.id);
  const removed = (d.removed || []).map((n) => n.id);
  const changed = (d.changed || []).map((c) => (c.after || c.before).id);
  const drawnId = (id) => (ls.nodes.has(id) && st.set ? st.set.repOf(id) : null);
  const pick = (list) => list.map(drawnId).filter(Boolean);
  view.mark("diff-added", showingLater ? pick(added) : []);
  view.mark("diff-removed", showingLater ? [] : pick(removed));
  view.mark("diff-changed", pick(changed));
  const box = $("#diff");
  box.dataset.added = added.length;
  box.dataset.removed = removed.length;
  box.dataset.changed = changed.length;
  box.textContent = `${shortTime(from.toISOString())} → ${shortTime(to.toISOString())}: +${added.length} nodes, −${removed.length}, ${changed.length} changed, edges +${(d.edges_added || []).length} −${(d.edges_removed || []).length}`;
  body("diff", `${added.length} ${removed.length} ${changed.length}`);
}

const SLIDER_MAX = 1000;
function sliderTime(v) {
  const first = st.firstTime ? new Date(st.firstTime).getTime() : Date.now() - 3600e3;
  const now = Date.now();
  return v >= SLIDER_MAX ? null : new Date(first + ((now - first) * v) / SLIDER_MAX).toISOString();
}
function syncSlider() {
  const s = $("#time");
  if (!st.at) s.value = SLIDER_MAX;
  else {
    const first = st.firstTime ? new Date(st.firstTime).getTime() : Date.now() - 3600e3;
    s.value = Math.round(((new Date(st.at).getTime() - first) / (Date.now() - first)) * SLIDER_MAX);
  }
  $("#time-label").textContent = st.at ? shortTime(st.at) : "live";
}

function setHash() {
  let h = "";
  if (st.at) h += "/at/" + encodeURIComponent(st.at);
  if (st.selected) h += "/node/" + encodeURIComponent(st.selected);
  const want = h ? "#" + h : "";
  if (location.hash !== want) history.replaceState(null, "", want || location.pathname + location.search);
}

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  const r = { at: null, node: null };
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === "at") r.at = decodeURIComponent(parts[i + 1]);
    if (parts[i] === "node") r.node = decodeURIComponent(parts[i + 1]);
  }
  return r;
}

async function followHash() {
  const h = parseHash();
  if ((h.at || null) !== st.at) await setAt(h.at);
  if (h.node && h.node !== st.selected) await reveal(h.node, true);
}

// ---- live updates ---------------------------------------------------------------------------

// Events are applied together, at most every APPLY_MS: each style change on a drawn node also
// re-styles its ancestors (cytoscape, compound nodes), so one batch per period costs one
// re-style of the big boxes where one per event cost one each (the demo sends several a second).
const APPLY_MS = 500;
let pending = null;
const toFlash = new Set();
function applyLater() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    ls.rebuildTree();
    await refresh(false);
    flash();
    if (st.selected && ls.nodes.has(st.selected)) nodePanel(st.selected);
  }, APPLY_MS);
}

// The colour events say what changed, not everything: no event for a node's first colour when
// it is green with nothing around it, and none when a node leaves the list (a grey node whose
// impact went back). So the events colour the drawing at once, and the whole list is read
// again at most every COLOUR_SYNC_MS while they come, for the legend to agree with the API.
const COLOUR_SYNC_MS = 5000;
let colourSync = null;
function resyncColoursLater() {
  if (colourSync) return;
  colourSync = setTimeout(async () => {
    colourSync = null;
    if (st.at) return; // a past time shows that time's colours
    await loadColours();
    applyLater();
  }, COLOUR_SYNC_MS);
}

// Briefly marks what changed (what stands for each changed node), all in one batch.
function flash() {
  if (!view || !toFlash.size) return;
  const cy = view.cy;
  let els = cy.collection();
  for (const id of toFlash) {
    const e = cy.getElementById(st.set ? st.set.repOf(id) : id);
    if (e.length && !e.hasClass("flash")) els = els.union(e);
  }
  toFlash.clear();
  if (!els.length) return;
  els.addClass("flash");
  setTimeout(() => els.removeClass("flash"), 1500);
}

function onEvent(type, d, id) {
  if (type === "change") {
    if (d.kind === "node") {
      if (d.op === "put") ls.putNode(d.node);
      else ls.deleteNode(d.id);
    } else if (d.kind === "edge") {
      if (d.op === "put") ls.putEdge(d.edge);
      else ls.deleteEdge(d.id);
    }
    st.revision = Math.max(st.revision, d.revision || 0);
    logEvent(d.revision, `${d.op} ${d.kind} ${d.id}`, d.kind === "node" ? d.id : null, "change");
    applyLater();
    body("revision", st.revision);
  } else if (type === "colour") {
    if (d.id) {
      ls.colour.set(d.id, { ...(ls.colour.get(d.id) || {}), ...d });
      logEvent(id, `colour ${d.id} ${d.colour}`, d.id, "colour");
      applyLater();
      resyncColoursLater();
    }
  } else if (type === "incident") {
    logEvent(id, `incident ${d.id || ""} ${d.state || ""}`, null, "incident");
    loadIncidents();
  } else return;
  st.events++;
  body("events", st.events);
}

// The live list keeps the last LIST_MAX entries. Colour events come in bursts (a whole rack
// turning green when its telemetry starts), so a node's colour entry replaces its previous one,
// and when the list is full the oldest colour entry goes first: a burst of colours does not push
// out the graph changes and incidents an operator is watching for.
const LIST_MAX = 100;
function logEvent(rev, text, nodeId, kind) {
  const ul = $("#events");
  if (kind === "colour" && nodeId) {
    for (const li of ul.querySelectorAll('li[data-kind="colour"]'))
      if (li.dataset.nodeId === nodeId) li.remove();
  }
  ul.prepend(el("li", { "data-rev": rev, "data-node-id": nodeId, "data-kind": kind, onclick: nodeId ? () => reveal(nodeId, true) : null, text }));
  while (ul.children.length > LIST_MAX) {
    const colours = ul.querySelectorAll('li[data-kind="colour"]');
    (colours.length ? colours[colours.length - 1] : ul.lastChild).remove();
  }
  if (nodeId) toFlash.add(nodeId);
}

function startLive() {
  stopLive();
  st.stopEvents = api.events(st.revision, onEvent, (s) => {
    status(s === "live" ? "live" : "reconnecting…", s === "live" ? "live" : "past");
    body("live", s);
  });
}
function stopLive() {
  if (st.stopEvents) st.stopEvents();
  st.stopEvents = null;
  body("live", "paused");
}

// ---- search ---------------------------------------------------------------------------------

function search(q) {
  q = q.trim().toLowerCase();
  const ul = $("#results");
  ul.replaceChildren();
  view.mark("match", []);
  if (!q) return [];
  const hits = [];
  for (const n of ls.nodes.values()) {
    if (n.id.toLowerCase().includes(q) || (n.name || "").toLowerCase().includes(q)) hits.push(n);
    if (hits.length >= 30) break;
  }
  for (const n of hits)
    ul.append(el("li", { class: "node", "data-node-id": n.id, onclick: () => reveal(n.id, true) }, el("span", { class: "dot " + n.layer }), `${n.name || n.id} `, el("span", { class: "muted", text: n.type })));
  view.mark("match", [...new Set(hits.map((n) => st.set.repOf(n.id)))]);
  return hits;
}

// ---- start ----------------------------------------------------------------------------------

function askToken() {
  $("#login").hidden = false;
  status("a token is needed", "past");
}

async function start() {
  api.whenAuthNeeded(askToken);
  $("#login").onsubmit = (ev) => {
    ev.preventDefault();
    api.setToken($("#token").value.trim());
    location.reload();
  };
  $("#logout").onclick = () => {
    api.setToken("");
    location.reload();
  };
  $("#search").addEventListener("input", (ev) => search(ev.target.value));
  $("#search").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      const hits = search(ev.target.value);
      if (hits.length) reveal(hits[0].id, true);
    }
  });
  $("#time").addEventListener("input", (ev) => {
    const t = sliderTime(Number(ev.target.value));
    $("#time-label").textContent = t ? shortTime(t) : "live";
  });
  $("#time").addEventListener("change", (ev) => setAt(sliderTime(Number(ev.target.value))));
  $("#live-btn").onclick = () => setAt(null);
  $("#layout-mode").onchange = async (ev) => {
    st.layoutMode = ev.target.value;
    await view.layout(st.layoutMode);
    body("layout", view.lastLayout);
  };
  $("#collapse-all").onclick = async () => {
    st.expanded = expandToBudget(ls, Math.min(BUDGET, 200), visible);
    await refresh(true);
  };

  view = new View($("#cy"), ls, {
    onPick: (id, collapsed) => {
      if (id && collapsed) toggle(id);
      else pick(id);
    },
    onToggle: (id) => toggle(id),
  });
  window.landscape = {
    cy: view.cy,
    model: ls,
    state: st,
    box: (id) => view.box(st.set ? st.set.repOf(id) : id),
    drawn: () => (st.set ? [...st.set.nodes.keys()] : []),
    repOf: (id) => (st.set ? st.set.repOf(id) : id),
  };

  const t0 = performance.now();
  try {
    const h = parseHash();
    st.at = h.at;
    const ch = await api.get("/v1/changes?limit=1");
    st.firstTime = ch.changes && ch.changes.length ? ch.changes[0].committed_at || ch.changes[0].time : null;
    await loadGraph();
    buildFilters();
    st.expanded = expandToBudget(ls, BUDGET, visible);
    await refresh(true);
    syncSlider();
    const ms = performance.now() - t0;
    body("renderMs", ms.toFixed(0));
    body("at", st.at || "live");
    body("revision", st.revision);
    body("ready", "true");
    status(st.at ? "as of " + shortTime(st.at) : "loaded", st.at ? "past" : "");
    if (!st.at) startLive();
    loadIncidents();
    if (h.node) await reveal(h.node, true);
    window.addEventListener("hashchange", followHash);
  } catch (e) {
    status(e.message, "err");
    body("error", e.code || "load_failed");
    if (e.status !== 401) console.error("landscape: " + e.message);
  }
}

start();
