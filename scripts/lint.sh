#!/usr/bin/env bash
# Code rules a compiler does not check: banned C functions (curl's list), each outside library
# included only by the module that owns it, and clang-format on every C file.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
src=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')

banned='\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)[[:space:]]*\('
if grep -nE "$banned" $src | grep -v '^tests/\|^bench/'; then
  echo "lint: banned function (use snprintf, ls_buf, strtol with end checks)"; fail=1
fi

owner() { # header, allowed path regex
  local hits
  hits=$(grep -lE "#include[[:space:]]*[<\"]$1" $src | grep -vE "$2" || true)
  if [ -n "$hits" ]; then echo "lint: $1 included outside its module: $hits"; fail=1; fi
}
owner 'libpq-fe.h' '^(sql/|tests/|bench/)'
owner 'microhttpd.h' '^(server/|tests/|bench/)'
owner 'librdkafka/rdkafka' '^(importers/telemetry/|tests/|bench/)'
# the client programs (agent, telemetry generator) reach landscaped through importers/client
owner 'curl/curl.h' '^(importers/openstack/|tests/|bench/)'

if command -v clang-format >/dev/null; then
  bad=$(for f in $src; do clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
  if [ -n "$bad" ]; then echo "lint: not clang-formatted: $bad"; fail=1; fi
fi
[ $fail -eq 0 ] && echo "lint: ok"
exit $fail
