// The web view in real headless Chromium (puppeteer-core driving the system's chromium): one
// browser session goes through the steps an operator would, each step's outcome written to a
// JSON file that test_ui_browser.c turns into one cmocka test per step (pass, fail or skip), and
// a screenshot of each step kept in the artefact directory.
//
// Usage: node ui_steps.mjs <base url> <artefact dir> <results.json>
// Env: LS_UI_MODULES (build/ui/node_modules, where puppeteer-core is), LS_CHROMIUM (default
// /usr/bin/chromium). Also the measuring tool of bench/ui (LS_UI_ONLY=load: only the first step).
import { createRequire } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const [base, artefacts, resultsFile] = process.argv.slice(2);
const require = createRequire(resolve(process.env.LS_UI_MODULES, "x.js"));
const puppeteer = require("puppeteer-core");
mkdirSync(artefacts, { recursive: true });

const results = {};
const save = () => writeFileSync(resultsFile, JSON.stringify(results, null, 1));
const consoleErrors = [];
// The page asks for the analytics endpoints and shows "not available" when they are not there:
// Chromium logs that 404 as a console error, the only one allowed.
const OPTIONAL = /\/v1\/analytics\/(colours|incidents)/;

async function api(path, init = {}) {
  const r = await fetch(base + path, {
    ...init,
    headers: { "Content-Type": "application/json", ...(init.headers || {}) },
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

async function graph(query = "") {
  const nodes = [];
  const edges = [];
  let url = "/v1/graph" + (query ? "?" + query : "");
  while (url) {
    const r = await api(url);
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
    nodes.push(...r.json.nodes);
    edges.push(...r.json.edges);
    url = r.json.next || null;
  }
  return { nodes, edges };
}

class Skip extends Error {}
function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

let page;
let stepNo = 0;
// Each step has a bound (LS_UI_STEP_S, default 90 s) so that a stuck step fails with what it
// was doing instead of holding the test until ctest's timeout.
const STEP_MS = Number(process.env.LS_UI_STEP_S || 90) * 1000;
async function step(name, fn, boundMs = STEP_MS) {
  stepNo++;
  const t0 = Date.now();
  let timer;
  try {
    const bound = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`step took more than ${boundMs / 1000} s`)), boundMs);
    });
    const note = await Promise.race([fn(), bound]);
    results[name] = { status: "pass", note: note || "" };
  } catch (e) {
    results[name] = { status: e instanceof Skip ? "skip" : "fail", note: e.message };
  } finally {
    clearTimeout(timer);
  }
  results[name].seconds = (Date.now() - t0) / 1000;
  const shot = join(artefacts, `${String(stepNo).padStart(2, "0")}-${name}.png`);
  try {
    if (page) await page.screenshot({ path: shot });
    results[name].screenshot = shot;
  } catch (e) {
    results[name].screenshot_error = e.message;
  }
  console.log(`ui step ${name}: ${results[name].status} ${results[name].note} (${results[name].seconds} s)`);
  save();
}

const body = (k) => page.evaluate((k) => document.body.dataset[k], k);
// Waits for cond in the page; a timeout says what was awaited and what <body> said then.
async function waitFor(what, cond, timeout = 60000, ...args) {
  try {
    return await page.waitForFunction(cond, { timeout, polling: 100 }, ...args);
  } catch (e) {
    const d = await page.evaluate(() => ({ ...document.body.dataset })).catch(() => ({}));
    throw new Error(`waiting ${timeout / 1000} s for ${what}: ${e.message.split("\n")[0]} (body: ${JSON.stringify(d)})`);
  }
}
async function waitSel(what, sel, timeout = 30000) {
  try {
    return await page.waitForSelector(sel, { timeout });
  } catch (e) {
    throw new Error(`waiting ${timeout / 1000} s for ${what} (${sel}): ${e.message.split("\n")[0]}`);
  }
}
const ready = (timeout = 120000) =>
  waitFor("the first drawing (data-ready)", () => document.body.dataset.ready === "true" || document.body.dataset.error, timeout);

const browser = await puppeteer.launch({
  executablePath: process.env.LS_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // software rendering, no GPU process; a page in the background (or being screenshotted) keeps
  // its timers and frames at full rate
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800",
         "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
         "--disable-backgrounding-occluded-windows", "--disable-extensions", "--mute-audio"],
  defaultViewport: { width: 1280, height: 800 }, protocolTimeout: 180000,
});
try {
  page = await browser.newPage();
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const url = (m.location() && m.location().url) || "";
    if (OPTIONAL.test(url) && /404/.test(m.text())) return;
    consoleErrors.push(`${m.text()} (${url})`);
  });
  page.on("pageerror", (e) => consoleErrors.push("uncaught: " + e.message));

  const api0 = await graph();
  const total = api0.nodes.length;
  // The demo is quiet until a fault is injected (README): a noisy neighbour now, so that by the
  // colours and incident steps some nodes are red and an incident is open. A server without
  // the demo's fault injection (404) leaves those steps to find what there is.
  const fault = await api("/_demo/fault", { method: "POST", body: JSON.stringify({ kind: "noisy_neighbour", minutes: 30, magnitude: 3 }) });
  if (fault.status !== 200 && fault.status !== 404) throw new Error("POST /_demo/fault: " + fault.status + " " + JSON.stringify(fault.json));

  await step("load", async () => {
    const t0 = Date.now();
    await page.goto(base + "/", { waitUntil: "domcontentloaded" });
    await ready();
    const ms = Date.now() - t0;
    check((await body("ready")) === "true", "the page reported " + (await body("error")));
    const d = await page.evaluate(() => ({ ...document.body.dataset }));
    results.timing = { nodes: total, drawn: Number(d.nodes), first_render_ms: ms, graph_load_ms: Number(d.loadMs), page_render_ms: Number(d.renderMs), layout: d.layout };
    console.log(`ui timing: nodes=${total} drawn=${d.nodes} graph_load_ms=${d.loadMs} page_render_ms=${d.renderMs} first_render_ms=${ms} layout=${d.layout}`);
    return `${d.nodes} drawn in ${ms} ms`;
  });
  if (process.env.LS_UI_ONLY === "load") throw new Skip("load only");

  await step("layers_and_counts", async () => {
    const byLayer = {};
    for (const n of api0.nodes) byLayer[n.layer] = (byLayer[n.layer] || 0) + 1;
    for (const l of ["physical", "virtual", "service"]) {
      const shown = await page.$eval(`[data-layer-count="${l}"]`, (e) => Number(e.textContent));
      check(shown === (byLayer[l] || 0), `layer ${l}: page says ${shown}, the API ${byLayer[l] || 0}`);
    }
    const drawn = await page.evaluate(() => window.landscape.drawn());
    check(Number(await body("nodes")) === drawn.length, "data-nodes differs from what is drawn");
    const ids = new Set(api0.nodes.map((n) => n.id));
    for (const id of drawn) check(ids.has(id), `drawn ${id} is not in the API's graph`);
    // the demo is within the level-of-detail budget: everything is drawn
    check(drawn.length === total, `${drawn.length} drawn, the API has ${total}`);
    // compound nodes: each VM inside its hypervisor, each hypervisor inside its machine
    const parents = await page.evaluate(() => {
      const o = {};
      window.landscape.cy.nodes().forEach((n) => (o[n.id()] = n.data("parent") || null));
      return o;
    });
    let nested = 0;
    for (const e of api0.edges) {
      if (e.type !== "runs_on") continue;
      check(parents[e.src] === e.dst, `${e.src} runs_on ${e.dst} but is drawn inside ${parents[e.src]}`);
      nested++;
    }
    check(nested > 0, "no runs_on edge in the demo");
    for (const l of ["physical", "virtual", "service"])
      check(l in Object.fromEntries(Object.keys(parents).filter((k) => k.startsWith("layer:")).map((k) => [k.slice(6), 1])), `no layer box for ${l}`);
    return `${drawn.length} nodes drawn, ${nested} nested by runs_on`;
  });

  const vm = api0.nodes.find((n) => n.type === "instance");
  await step("pick_node", async () => {
    check(vm, "the demo has no instance");
    const box = await page.evaluate((id) => window.landscape.box(id), vm.id);
    check(box && box.w > 0, "the instance is not drawn");
    // zoom to it first so the click lands on it alone
    await page.evaluate((id) => {
      const cy = window.landscape.cy;
      cy.zoom(2);
      cy.center(cy.getElementById(id));
    }, vm.id);
    await new Promise((r) => setTimeout(r, 300));
    const b2 = await page.evaluate((id) => window.landscape.box(id), vm.id);
    await page.mouse.click(b2.cx, b2.cy);
    await waitSel("the clicked instance's panel", `#panel[data-loaded="true"][data-node="${vm.id}"]`);
    const sections = await page.$$eval("#panel [data-section]", (s) => s.map((x) => x.dataset.section));
    for (const s of ["attrs", "edges", "telemetry", "history"]) check(sections.includes(s), `panel lacks ${s}`);
    const edgeCount = await page.$$eval("#panel [data-edge]", (s) => s.length);
    const apiEdges = api0.edges.filter((e) => e.src === vm.id || e.dst === vm.id).length;
    check(edgeCount === Math.min(apiEdges, 60), `panel lists ${edgeCount} edges, the API ${apiEdges}`);
    const hash = await page.evaluate(() => location.hash);
    check(hash === "#/node/" + encodeURIComponent(vm.id), "deep link not set: " + hash);
    return `${vm.id}: ${edgeCount} edges`;
  });

  const before = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 3000)); // the change must be well after `before`
  const newId = "manual:service:ui-test";
  await step("sse_change", async () => {
    check((await body("live")) === "live", "the event stream is not live: " + (await body("live")));
    const r = await api("/v1/nodes", { method: "POST", body: JSON.stringify({ id: newId, type: "service", name: "ui-test" }) });
    check(r.status === 201, "POST /v1/nodes: " + r.status);
    const p = await api("/v1/nodes/" + encodeURIComponent(vm.id), { method: "PATCH", body: JSON.stringify({ state: "SHUTOFF" }) });
    check(p.status === 200, "PATCH: " + p.status);
    const rev = p.json.revision;
    await waitFor(`revision ${rev} and ${newId} drawn`, (rev, id) => Number(document.body.dataset.revision) >= rev && window.landscape.cy.getElementById(id).length > 0, 30000, rev, newId);
    const logged = await page.$(`#events li[data-node-id="${newId}"]`);
    check(logged, "the change is not in the live list");
    const state = await page.evaluate((id) => window.landscape.model.nodes.get(id).state, vm.id);
    check(state === "SHUTOFF", "the patched state did not arrive: " + state);
    return `revision ${rev} drawn`;
  });

  await step("time_slider", async () => {
    // the slider maps its value to a time with the page's clock when it moves: the value is
    // chosen in the same turn, half the 3 s gap before `before` (a slow machine cannot push
    // the time past the change)
    const { value, target } = await page.evaluate((t) => {
      const first = new Date(window.landscape.state.firstTime).getTime();
      const v = Math.floor(((new Date(t).getTime() - 1500 - first) / (Date.now() - first)) * 1000);
      const s = document.getElementById("time");
      s.value = String(v);
      s.dispatchEvent(new Event("input"));
      s.dispatchEvent(new Event("change"));
      return { value: v, target: s.value };
    }, before);
    check(value >= 0 && value < 1000, "slider value " + value);
    await waitFor("the graph as of the slider's time and its diff", () => document.body.dataset.at && document.body.dataset.at !== "live" && document.body.dataset.diff);
    const at = await body("at");
    check(new Date(at) <= new Date(before), `slider time ${at} is after the change (${before})`);
    const has = await page.evaluate((id) => window.landscape.model.nodes.has(id), newId);
    check(!has, `${newId} is shown at ${at}, before it was made`);
    const apiAt = await api(`/v1/nodes/${encodeURIComponent(newId)}?at=${encodeURIComponent(at)}`);
    check(apiAt.status === 404, "the API has the node at that time: " + apiAt.status);
    const added = Number(await page.$eval("#diff", (e) => e.dataset.added));
    const changed = Number(await page.$eval("#diff", (e) => e.dataset.changed));
    check(added >= 1 && changed >= 1, `diff box: added ${added}, changed ${changed}`);
    const marked = await page.evaluate((id) => window.landscape.cy.getElementById(window.landscape.repOf(id)).hasClass("diff-changed"), vm.id);
    check(marked, "the changed instance is not outlined");
    const vmState = await page.evaluate((id) => window.landscape.model.nodes.get(id).state, vm.id);
    check(vmState !== "SHUTOFF", "the instance shows its later state at " + at);
    await page.screenshot({ path: join(artefacts, "05b-time_slider-past.png") });
    await page.click("#live-btn");
    await waitFor(`live again with ${newId}`, (id) => document.body.dataset.at === "live" && window.landscape.model.nodes.has(id), 60000, newId);
    return `at ${at} (slider ${target}): +${added} ~${changed}`;
  });

  await step("colours", async () => {
    const c0 = await api("/v1/analytics/colours");
    if (c0.status === 404) throw new Skip("GET /v1/analytics/colours is not on this server yet");
    check(c0.status === 200, "colours: " + c0.status);
    // the fault injected at the start turns nodes red: wait for that, so that the red checks
    // below are not vacuous
    const t0 = Date.now();
    for (;;) {
      const c = await api("/v1/analytics/colours?colour=red");
      check(c.status === 200, "colours?colour=red: " + c.status);
      if (c.json.nodes.length) break;
      check(Date.now() - t0 < 90000, "no node of the demo turned red within 90 s");
      await new Promise((r) => setTimeout(r, 1000));
    }
    await page.reload({ waitUntil: "domcontentloaded" });
    await ready();
    check((await body("ready")) === "true", "the page reported " + (await body("error")));
    // The demo's colours move all the time (own colours are judged when read, events follow
    // from a sweep every 250 ms): the page must agree with the API read at the same moment,
    // tried again for a while (the page follows over SSE) before it counts as a difference.
    let why = "";
    for (const until = Date.now() + 30000; ; await new Promise((r) => setTimeout(r, 1000))) {
      const c = await api("/v1/analytics/colours");
      check(c.status === 200, "colours: " + c.status);
      const page_ = await page.evaluate((reds) => {
        const legend = {};
        document.querySelectorAll("[data-legend]").forEach((e) => (legend[e.dataset.legend] = Number(e.querySelector("b").textContent)));
        const first = document.querySelector("#hot li");
        return {
          legend,
          drawnRed: reds.filter((id) => window.landscape.cy.getElementById(id).data("colour") === "red").length,
          first: first ? first.dataset.nodeId : null,
        };
      }, c.json.nodes.filter((n) => n.colour === "red").map((n) => n.id));
      const counts = {};
      for (const n of c.json.nodes) counts[n.colour] = (counts[n.colour] || 0) + 1;
      const near = (a, b) => Math.abs(a - b) <= Math.max(2, b * 0.05);
      const off = ["red", "yellow", "green", "grey"].filter((k) => !near(page_.legend[k], counts[k] || 0));
      why = off.map((k) => `legend ${k}: ${page_.legend[k]}, the API ${counts[k] || 0}`).join("; ");
      const reds = counts.red || 0;
      if (!why && reds && !near(page_.drawnRed, reds)) why = `${page_.drawnRed} of the API's ${reds} red nodes drawn red`;
      const firstColour = page_.first && (c.json.nodes.find((n) => n.id === page_.first) || {}).colour;
      if (!why && reds && firstColour !== "red") why = `the list starts with ${page_.first} (${firstColour} on the API), not a red node`;
      if (!why) return `${JSON.stringify(counts)}; ${page_.drawnRed} of ${reds} red drawn red`;
      if (Date.now() > until) break;
    }
    throw new Error(why + " (for 30 s)");
  }, 150000);

  await step("incident", async () => {
    const r = await api("/v1/analytics/incidents?state=open");
    if (r.status === 404) throw new Skip("GET /v1/analytics/incidents is not on this server yet");
    check(r.status === 200, "incidents: " + r.status);
    let list = r.json.incidents || r.json;
    // the fault injected at the start opens an incident
    for (const t0 = Date.now(); !list.length; await new Promise((r) => setTimeout(r, 1000))) {
      check(Date.now() - t0 < 90000, "no open incident in the demo within 90 s");
      const again = await api("/v1/analytics/incidents?state=open");
      list = again.json.incidents || again.json;
    }
    // a new incident is still growing: its list entry and causes are drawn again as it is
    // updated, so each is found and clicked in one go inside the page (a handle taken first
    // can be detached by the time it is clicked)
    const clickIn = (sel) => {
      const e = document.querySelector(sel);
      if (e) e.click();
      return !!e;
    };
    await waitFor("the incident list, clicked", clickIn, 30000, "[data-incident] .node");
    await waitFor("the incident's causes, clicked", clickIn, 30000, "[data-cause]");
    await waitFor("the cause's path (data-path)", () => document.body.dataset.path, 30000);
    const path = (await body("path")).split(" ");
    const lit = await page.evaluate((ids) => ids.filter((id) => window.landscape.cy.getElementById(window.landscape.repOf(id)).hasClass("path")).length, path);
    check(lit === path.length, `${lit} of ${path.length} path nodes highlighted`);
    const root = fault.status === 200 ? fault.json.root : "(no fault injected)";
    return `incident ${list[0].id}: path ${path.join(" ")}; the injected fault's root ${root}`;
  }, 150000);

  await step("search_filter_deeplink", async () => {
    const target = api0.nodes.find((n) => n.type === "hypervisor");
    await page.click("#search", { clickCount: 3 });
    await page.type("#search", target.name);
    await page.keyboard.press("Enter");
    await waitSel("the searched node's panel", `#panel[data-node="${target.id}"]`);
    const services = (await graph("layer=service")).nodes.length;
    check(services > 0, "the demo has no service node");
    // the demo's graph may grow while this runs: what is drawn is compared with the page's own
    // model at the same moment (every node but the service layer's, then every node)
    const drawnIs = (off) => {
      const m = window.landscape.model.nodes;
      const want = [...m.values()].filter((n) => !off || n.layer !== "service").length;
      return Number(document.body.dataset.nodes) === want && window.landscape.drawn().every((id) => !off || !m.has(id) || m.get(id).layer !== "service");
    };
    await page.click('input[data-layer="service"]');
    await waitFor(`service filter off: every node but the ${services} services drawn`, drawnIs, 60000, true);
    await page.click('input[data-layer="service"]');
    await waitFor("service filter on: every node drawn", drawnIs, 60000, false);
    // the deep link in a fresh load of this page (one page at a time: two pages drawing the
    // demo side by side halve the CPU each has), with a small level-of-detail budget so that
    // the link has to expand the instance's collapsed ancestors to show it
    await page.goto("about:blank");
    await page.goto(`${base}/?budget=100#/node/${encodeURIComponent(vm.id)}`, { waitUntil: "domcontentloaded" });
    await ready();
    await waitSel("the deep link's node panel", `#panel[data-node="${vm.id}"][data-loaded="true"]`, 60000);
    const shown = await page.evaluate((id) => ({ drawn: window.landscape.drawn().includes(id), n: window.landscape.drawn().length, sel: document.body.dataset.selected }), vm.id);
    check(shown.drawn, `the deep link's ${vm.id} is not drawn (budget 100: ${shown.n} drawn)`);
    check(shown.sel === vm.id, `the deep link selected ${shown.sel}`);
    check(shown.n < total, `budget 100 drew all ${total} nodes`);
    return `found ${target.name}; service filter hides ${services}; deep link expanded to ${vm.id} (${shown.n} drawn)`;
  });

  await step("no_console_error", async () => {
    check(consoleErrors.length === 0, consoleErrors.slice(0, 5).join(" | "));
    return "none";
  });
} catch (e) {
  if (!(e instanceof Skip)) {
    results._error = e.message;
    console.log("ui steps: " + e.stack);
  }
} finally {
  save();
  await browser.close();
}
