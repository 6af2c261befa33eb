#!/usr/bin/env bash
# HTTP point reads: wrk against landscaped's GET /v1/nodes/{id} (demo data, embedded Postgres)
# and against a bare libmicrohttpd handler with a fixed 1 KB body, same wrk settings, same run.
# Usage: bench/http/run.sh [build dir] [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-rel}; SECS=${2:-5}; CONNS=${3:-64}; THREADS=2
[ -x "$B/bin/landscaped" ] && [ -x "$B/bin/bench_http_bare" ] || {
  cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$B" -j2 --target landscaped bench_http_bare >/dev/null; }
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk"; exit 1; }
tmp=$(mktemp -d); chmod 755 "$tmp"; trap 'kill $LS $BARE 2>/dev/null; wait 2>/dev/null; [ -s "$tmp/ls.port" ] || cat "$tmp/ls.log"; rm -rf "$tmp"' EXIT
"$B/bin/landscaped" --listen 127.0.0.1:0 --port-file "$tmp/ls.port" --data-dir "$tmp/data" \
  --demo --pg-fast-unsafe --threads $THREADS --log-level warn >"$tmp/ls.log" 2>&1 & LS=$!
"$B/bin/bench_http_bare" "$tmp/bare.port" $THREADS & BARE=$!
for _ in $(seq 100); do [ -s "$tmp/ls.port" ] && [ -s "$tmp/bare.port" ] && break; sleep 0.2; done
LP=$(cat "$tmp/ls.port"); BP=$(cat "$tmp/bare.port")
ID=$(curl -s "http://127.0.0.1:$LP/v1/nodes?type=instance&limit=1" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1)
SIZE=$(curl -s "http://127.0.0.1:$LP/v1/nodes/$ID" | wc -c)
run() { wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$1" 2>&1; }
rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }
echo "landscaped GET /v1/nodes/$ID (${SIZE} bytes), wrk -t2 -c$CONNS -d${SECS}s, $THREADS server threads"
A=$(run "http://127.0.0.1:$LP/v1/nodes/$ID"); B2=$(run "http://127.0.0.1:$BP/")
ra=$(echo "$A" | rps); rb=$(echo "$B2" | rps)
printf "%-32s %12s req/s   p99 %s\n" "landscaped node read" "$ra" "$(echo "$A" | p99)"
printf "%-32s %12s req/s   p99 %s\n" "bare MHD fixed 1 KB body" "$rb" "$(echo "$B2" | p99)"
awk -v a="$ra" -v b="$rb" 'BEGIN { printf "ratio landscaped / bare: %.2f (target >= 0.5)\n", a / b }'
