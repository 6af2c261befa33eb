#!/usr/bin/env bash
# Load and first-render times of the web view (issue 15), in headless Chromium against a
# Release landscaped: an empty landscape (the ceiling: what a page costs with nothing to draw),
# a generated 10k-node landscape (bench/ui/landscape10k.mjs through POST /v1/bulk) and the demo
# (--demo, 1,437 nodes). bench/ui/render.mjs prints, per landscape, the medians of RUNS loads:
# data_load_ms (graph + colours read), data_render_ms (script start to laid out), ready_ms
# (navigation to data-ready), first_paint_ms (to the first frame painted after it), drawn nodes,
# zoom/pan frame times, and the time to expand a collapsed node and a collapsed rack (?budget=100).
# Then a summary with each figure's ratio to the empty page's.
# Usage: bench/ui/render.sh    (BUILD_DIR=build-rel, RUNS=3, LS_CHROMIUM=/usr/bin/chromium)
# Build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target landscaped
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build-rel}
bin=$BUILD_DIR/bin/landscaped
export LS_UI_MODULES=$PWD/$BUILD_DIR/ui/node_modules
[ -x "$bin" ] || { echo "no $bin: build it first (see the header)" >&2; exit 1; }
[ -d "$LS_UI_MODULES/puppeteer-core" ] || { echo "no puppeteer-core in $LS_UI_MODULES ($BUILD_DIR/ui/status: $(cat "$BUILD_DIR/ui/status" 2>/dev/null))" >&2; exit 1; }
work=$(mktemp -d /tmp/ls-bench-ui.XXXXXX)
chmod o+x "$work" # as root, the embedded Postgres runs as the postgres user and must enter it
pid=
stop() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || { echo "landscaped did not stop cleanly (log: $work/$name.log)" >&2; pid=; return 1; }
    pid=
  fi
}
trap 'stop || true; rm -rf "$work"' EXIT
start() {
  name=$1
  shift
  "$bin" --listen 127.0.0.1:0 --port-file "$work/$name.port" --data-dir "$work/$name" "$@" \
    >"$work/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    if [ -s "$work/$name.port" ] && curl -sf -o /dev/null "http://127.0.0.1:$(cat "$work/$name.port")/v1/graph?limit=1"; then
      base=http://127.0.0.1:$(cat "$work/$name.port")
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/$name.log" >&2
  echo "landscaped ($name) did not start" >&2
  pid=
  exit 1
}
out=$work/results.jsonl
start generated
node bench/ui/render.mjs "$base" empty | tee -a "$out"
node bench/ui/landscape10k.mjs "$base"
node bench/ui/render.mjs "$base" 10k | tee -a "$out"
stop
start demo --demo
node bench/ui/render.mjs "$base" demo | tee -a "$out"
stop
node - "$out" <<'JS'
const rows = require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n").map((l) => JSON.parse(l));
const empty = rows.find((r) => r.label === "empty");
const ratio = (a, b) => (b ? (a / b).toFixed(1) + "x" : "-");
console.log("landscape  nodes  drawn  data-load-ms  data-render-ms  ready-ms  first-paint-ms (x empty)  frame-ms med/worst  expand-ms  expand-rack-ms");
for (const r of rows)
  console.log(
    `${r.label.padEnd(9)} ${String(r.nodes).padStart(6)} ${String(r.drawn).padStart(6)} ${String(r.data_load_ms).padStart(13)} ${String(r.data_render_ms).padStart(15)} ${String(r.ready_ms).padStart(9)} ${String(r.first_paint_ms).padStart(15)} (${ratio(r.first_paint_ms, empty.first_paint_ms)})  ${r.interact.median}/${r.interact.worst}`.padEnd(120) +
      ` ${r.expand ? `${r.expand.ms} (${r.expand.type} +${r.expand.drawn_after - r.expand.drawn_before})` : "-"}  ${r.expand_rack ? `${r.expand_rack.ms} (+${r.expand_rack.drawn_after - r.expand_rack.drawn_before})` : "-"}`,
  );
JS
