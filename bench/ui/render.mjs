// Load and first-render times of the web view in headless Chromium (puppeteer-core, the
// system's chromium), for bench/ui/render.sh. Prints one JSON line per measure.
//
// Usage: node render.mjs <base url> <label>
// Env: LS_UI_MODULES (build*/ui/node_modules), LS_CHROMIUM (default /usr/bin/chromium),
// RUNS (page loads to take the median of, default 3).
import { createRequire } from "node:module";
import { resolve } from "node:path";

const [base, label] = process.argv.slice(2);
const require = createRequire(resolve(process.env.LS_UI_MODULES, "x.js"));
const puppeteer = require("puppeteer-core");
const RUNS = Number(process.env.RUNS || 3);

const browser = await puppeteer.launch({
  executablePath: process.env.LS_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800",
         "--disable-background-timer-throttling", "--disable-renderer-backgrounding"],
  defaultViewport: { width: 1280, height: 800 },
  protocolTimeout: 600000,
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// two animation frames: the drawing of what was asked before has been painted
const frames = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

// One page load: navigation to data-ready, to the first frame painted after it; the page's own
// data-load-ms (graph + colours read) and data-render-ms (script start to laid out).
async function load(query) {
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto(`${base}/${query}`, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => document.body.dataset.ready === "true" || document.body.dataset.error, { timeout: 600000, polling: 50 });
  const ready = Date.now() - t0;
  await frames(page);
  const painted = Date.now() - t0;
  const d = await page.evaluate(() => ({ ...document.body.dataset }));
  if (d.ready !== "true") throw new Error("the page reported " + d.error);
  return { page, ready, painted, d };
}

// Frames while zooming and panning: the median and worst of 6 moves.
async function interact(page) {
  const times = [];
  for (let i = 0; i < 6; i++) {
    const t = Date.now();
    await page.evaluate((i) => {
      const cy = window.landscape.cy;
      if (i % 2) cy.panBy({ x: 120, y: 80 });
      else cy.zoom({ level: cy.zoom() * (i % 4 ? 0.8 : 1.25), renderedPosition: { x: 400, y: 300 } });
    }, i);
    await frames(page);
    times.push(Date.now() - t);
  }
  return { median: median(times), worst: Math.max(...times) };
}

// Expands the collapsed node of the given type (any but a group when null) hiding the most, as
// a click does; time until the new drawing is laid out and painted.
async function expand(page, type) {
  const id = await page.evaluate((type) => {
    let best = null;
    window.landscape.cy.nodes(".collapsed").forEach((n) => {
      if (type ? n.data("type") !== type : n.id().startsWith("group:")) return;
      const hidden = window.landscape.model.size.get(n.id()) || 0;
      if (!best || hidden > best.hidden) best = { id: n.id(), hidden };
    });
    return best && best.id;
  }, type);
  if (!id) return null;
  const before = Number(await page.evaluate(() => document.body.dataset.nodes));
  const t = Date.now();
  await page.evaluate((id) => window.landscape.cy.getElementById(id).emit("tap"), id);
  await page.waitForFunction((n, id) => Number(document.body.dataset.nodes) > n && document.body.dataset.selected === id, { timeout: 600000, polling: 50 }, before, id);
  await frames(page);
  const ms = Date.now() - t;
  return { id, type: await page.evaluate((id) => window.landscape.model.info(id).type, id), ms, drawn_before: before, drawn_after: Number(await page.evaluate(() => document.body.dataset.nodes)) };
}

try {
  const runs = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    if (last) await last.page.close();
    last = await load("");
    runs.push(last);
  }
  const d = last.d;
  const out = {
    label,
    nodes: await last.page.evaluate(() => window.landscape.model.nodes.size),
    drawn: Number(d.nodes),
    layout: d.layout,
    data_load_ms: median(runs.map((r) => Number(r.d.loadMs))),
    data_render_ms: median(runs.map((r) => Number(r.d.renderMs))),
    ready_ms: median(runs.map((r) => r.ready)),
    first_paint_ms: median(runs.map((r) => r.painted)),
    runs: RUNS,
  };
  out.interact = await interact(last.page);
  out.expand = await expand(last.page, null);
  await last.page.close();
  // a collapsed rack: a small budget leaves the racks collapsed
  const small = await load("?budget=100");
  out.budget100 = { drawn: Number(small.d.nodes), ready_ms: small.ready, first_paint_ms: small.painted };
  out.expand_rack = await expand(small.page, "rack");
  await small.page.close();
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
