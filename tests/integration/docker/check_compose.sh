#!/usr/bin/env bash
# docker/docker-compose.yml as Debian's docker-compose (1.29) reads it: `docker-compose config`
# must accept the file (format, depends_on conditions, healthchecks), and the resolved
# configuration must keep what the deployment relies on. No Docker engine is needed.
set -euo pipefail
src=${LS_SOURCE_DIR:?}
command -v docker-compose >/dev/null || { echo "docker-compose missing: scripts/deps.sh installs it"; exit 1; }
out=$(cd "$src" && env -u LANDSCAPE_DB_PASSWORD docker-compose -f docker/docker-compose.yml config)
fail=0
need() { # need DESCRIPTION PATTERN: the resolved configuration has a line matching PATTERN
  if ! grep -Eq -- "$2" <<<"$out"; then echo "compose: missing $1 (/$2/)"; fail=1; fi
}
need "the Apache Kafka project's image" '^ +image: apache/kafka:[0-9]'
need "KRaft roles" 'KAFKA_PROCESS_ROLES: broker,controller'
need "the listener security protocol map" 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT'
need "the controller quorum" 'KAFKA_CONTROLLER_QUORUM_VOTERS: 1@kafka:9093'
need "the controller listener name" 'KAFKA_CONTROLLER_LISTENER_NAMES: CONTROLLER'
need "a Kafka broker API healthcheck" 'kafka-broker-api-versions.sh --bootstrap-server'
need "a pg_isready healthcheck" '- pg_isready'
need "landscaped waiting for healthy dependencies" 'condition: service_healthy'
need "--db over TCP with a password" 'LANDSCAPE_DB: host=postgres port=5432 user=landscape password=[^ ]+ dbname=landscape'
need "password authentication on the server" 'POSTGRES_INITDB_ARGS: .*--auth-host=scram-sha-256'
need "an API without authentication published on the host's loopback only" "published: 8080|- 127.0.0.1:8080:8080"
if grep -q 'LANDSCAPE_AUTH: none' <<<"$out" && ! grep -q '127.0.0.1:8080:8080' <<<"$out"; then
  echo "compose: auth none must not be published beyond the host's loopback"; fail=1
fi
[ "$(grep -c 'condition: service_healthy' <<<"$out")" -eq 2 ] || { echo "compose: both dependencies must be healthy first"; fail=1; }
if grep -q -- 'pg-fast-unsafe\|PG_FAST_UNSAFE\|fsync=off\|fsync: .off' <<<"$out"; then
  echo "compose: landscaped and Postgres must run with fsync on"; fail=1
fi
if grep -q 'bitnami' <<<"$out"; then echo "compose: the bitnami image is no longer maintained"; fail=1; fi
[ -f "$src/.dockerignore" ] || { echo "compose: .dockerignore missing"; fail=1; }
for p in .git 'build\*/' node_modules/; do
  grep -qx "$p" "$src/.dockerignore" || { echo "compose: .dockerignore does not leave out $p"; fail=1; }
done
# landscaped accepts the service's configuration as the image runs it (the Dockerfile's
# ENTRYPOINT, the compose command and environment): --check-config, nothing is bound
if [ -n "${LS_BINARY_DIR:-}" ]; then
  resolved=$(mktemp); trap 'rm -f "$resolved"' EXIT
  printf '%s\n' "$out" >"$resolved"
  python3 "$(dirname "$0")/run_service_config.py" "$resolved" "$src/docker/Dockerfile" \
    "$LS_BINARY_DIR/bin/landscaped" || { echo "compose: landscaped refuses the landscape service's configuration"; fail=1; }
fi
[ $fail -eq 0 ] && echo "compose: docker/docker-compose.yml ok ($(docker-compose version --short))"
exit $fail
