// Talking to landscaped: JSON calls with the token the page was given, paged listings, and the
// server-sent event stream (read with fetch, so the token goes in a header: EventSource cannot
// send one).

const TOKEN_KEY = "landscape-token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

function headers() {
  const t = token();
  return t ? { Authorization: "Bearer " + t } : {};
}

let onAuthNeeded = () => {};
export function whenAuthNeeded(fn) {
  onAuthNeeded = fn;
}

export async function get(path) {
  const r = await fetch(path, { headers: headers() });
  const body = await r.json().catch(() => null);
  if (r.status === 401) onAuthNeeded();
  if (!r.ok) {
    const e = (body && body.error) || {};
    throw new ApiError(r.status, e.code || "http_error", e.message || r.statusText);
  }
  return body;
}

// GET that answers null when the endpoint is not there (404 route_not_found): the analytics
// endpoints land separately from this page.
export async function getOptional(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e.status === 404 && e.code === "route_not_found") return null;
    throw e;
  }
}

// Follows `next` links of /v1/graph and collects every page.
export async function graph(query) {
  const nodes = [];
  const edges = [];
  let url = "/v1/graph" + (query ? "?" + query : "");
  let meta = {};
  while (url) {
    const page = await get(url);
    nodes.push(...page.nodes);
    edges.push(...page.edges);
    meta = { revision: page.revision, at: page.at, truncated: page.truncated || meta.truncated };
    url = page.next || null;
  }
  return { nodes, edges, ...meta };
}

// Reads /v1/events; calls onEvent(type, data, id) per event. Reconnects after an error or an
// overflow with since=<last id>, so no revision is missed. Returns a function that stops it.
export function events(since, onEvent, onState) {
  let stopped = false;
  let last = since;
  let ctl = null;
  const run = async () => {
    while (!stopped) {
      ctl = new AbortController();
      try {
        const q = last != null ? "?since=" + encodeURIComponent(last) : "";
        const r = await fetch("/v1/events" + q, { headers: headers(), signal: ctl.signal });
        if (r.status === 401) onAuthNeeded();
        if (!r.ok) throw new Error("events: HTTP " + r.status);
        onState("live");
        const reader = r.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let end;
          while ((end = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            let type = "message";
            let id = null;
            const data = [];
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) continue;
              const c = line.indexOf(":");
              const f = c < 0 ? line : line.slice(0, c);
              const v = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
              if (f === "event") type = v;
              else if (f === "data") data.push(v);
              else if (f === "id") id = v;
            }
            if (id !== null) last = id;
            if (!data.length) continue;
            let parsed;
            try {
              parsed = JSON.parse(data.join("\n"));
            } catch {
              continue;
            }
            if (type === "overflow" && parsed.resume_since != null) last = parsed.resume_since;
            onEvent(type, parsed, id);
          }
        }
      } catch (e) {
        if (stopped) return;
        onState("reconnecting");
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  run();
  return () => {
    stopped = true;
    if (ctl) ctl.abort();
  };
}
