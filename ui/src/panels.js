// Small DOM helpers and the pieces of the side panels that are pure rendering: sparklines,
// attribute tables, lists.

export const $ = (sel, root = document) => root.querySelector(sel);

// el("li", {class: "x", "data-node-id": id, onclick}, child...)
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}

const SVG = "http://www.w3.org/2000/svg";

// An SVG sparkline of values (nulls skipped), with min and max as a title.
export function sparkline(values, w = 220, h = 36) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", w);
  svg.setAttribute("height", h);
  svg.setAttribute("class", "spark");
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x));
  if (v.length < 2) return svg;
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const span = hi - lo || 1;
  const pts = [];
  values.forEach((x, i) => {
    if (typeof x !== "number" || !Number.isFinite(x)) return;
    pts.push(`${((i / (values.length - 1)) * (w - 2) + 1).toFixed(1)},${(h - 2 - ((x - lo) / span) * (h - 4)).toFixed(1)}`);
  });
  const pl = document.createElementNS(SVG, "polyline");
  pl.setAttribute("points", pts.join(" "));
  pl.setAttribute("fill", "none");
  pl.setAttribute("stroke", "#5fa8d3");
  pl.setAttribute("stroke-width", "1.5");
  svg.append(pl);
  const t = document.createElementNS(SVG, "title");
  t.textContent = `min ${fmt(lo)} · max ${fmt(hi)}`;
  svg.append(t);
  return svg;
}

export function fmt(x) {
  if (typeof x !== "number") return String(x);
  const a = Math.abs(x);
  if (a >= 1e9) return (x / 1e9).toFixed(1) + "G";
  if (a >= 1e6) return (x / 1e6).toFixed(1) + "M";
  if (a >= 1e3) return (x / 1e3).toFixed(1) + "k";
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

export function attrTable(obj) {
  const t = el("table", { class: "attrs" });
  for (const [k, v] of Object.entries(obj || {})) {
    t.append(el("tr", {}, el("td", { text: k }), el("td", { text: typeof v === "object" ? JSON.stringify(v) : String(v) })));
  }
  return t;
}

export function shortTime(t) {
  return t ? t.replace("T", " ").replace(/\.\d+Z$/, "Z") : "—";
}
