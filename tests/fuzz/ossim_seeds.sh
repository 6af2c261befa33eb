#!/bin/sh
# Seeds of the OpenStack mapping fuzz targets: one answer per collection from ossim serving a
# small cloud (3 hypervisors, 6 servers, ports, volumes, networks, aggregates, a stack), in the
# shapes collect.c hands to the mapping (placement answers merged into each provider, Heat
# resources into each stack). Usage: tests/fuzz/ossim_seeds.sh BUILD_DIR (needs bin/ossim).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ossim=${1:?build dir}/bin/ossim
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
"$ossim" --port 0 --hypervisors 3 --servers 6 --volumes 4 --networks 2 --projects 2 \
    --aggregates 2 --stacks 2 --clouds-yaml "$tmp/c.yaml" >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q listening "$tmp/out" && break; sleep 0.1; done
base=$(sed -n 's|.*listening on \(http://127.0.0.1:[0-9]*\).*|\1|p' "$tmp/out")
python3 - "$base" "$here/corpus" <<'PY'
import json, os, sys, urllib.request
base, out = sys.argv[1], sys.argv[2]
auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "admin", "domain": {"name": "Default"}, "password": "secret"}}},
    "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
req = urllib.request.Request(base + "/identity/v3/auth/tokens", json.dumps(auth).encode(),
                             {"Content-Type": "application/json"})
with urllib.request.urlopen(req) as r:
    token = r.headers["X-Subject-Token"]
    catalog = json.load(r)["token"]["catalog"]
def endpoint(kind):
    for s in catalog:
        if s["type"] == kind:
            return [e["url"] for e in s["endpoints"] if e["interface"] == "public"][0]
def get(url, mv=None):
    h = {"X-Auth-Token": token}
    if mv:
        h["OpenStack-API-Version"] = mv
    with urllib.request.urlopen(urllib.request.Request(url, headers=h)) as r:
        return json.load(r)
def seed(target, name, doc):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed_ossim_" + name + ".json"), "w") as f:
        json.dump(doc, f, indent=1)
nova, neutron = endpoint("compute"), endpoint("network")
cinder, heat, placement = endpoint("volumev3"), endpoint("orchestration"), endpoint("placement")
for mv in ("2.1", "2.79", "2.90"):
    cmv = "compute " + mv
    seed("os_servers", mv, get(nova + "/servers/detail?all_tenants=1", cmv))
    seed("os_hypervisors", mv, get(nova + "/os-hypervisors/detail", cmv))
seed("os_flavors", "2.1", get(nova + "/flavors/detail", "compute 2.1"))
seed("os_aggregates", "2.79", get(nova + "/os-aggregates", "compute 2.79"))
seed("os_zones", "2.79", get(nova + "/os-availability-zone/detail", "compute 2.79"))
seed("os_projects", "v3", get(base + "/identity/v3/projects"))
for kind in ("networks", "subnets", "ports", "routers", "floatingips"):
    seed("os_" + kind, "v2", get(neutron + "/v2.0/" + kind))
seed("os_volumes", "3.60", get(cinder + "/volumes/detail?all_tenants=1", "volume 3.60"))
stacks = get(heat + "/stacks?global_tenant=True")
for st in stacks["stacks"]:
    st["resources"] = get(heat + "/stacks/%s/%s/resources?nested_depth=5" % (
        st["stack_name"], st["id"]))["resources"]
seed("os_stacks", "v1", stacks)
pmv = "placement 1.19"
rps = get(placement + "/resource_providers", pmv)
for rp in rps["resource_providers"]:
    for what in ("inventories", "usages", "traits", "aggregates"):
        rp[what] = get(placement + "/resource_providers/%s/%s" % (rp["uuid"], what), pmv)[what]
seed("os_providers", "1.19", rps)
servers = get(nova + "/servers/detail?all_tenants=1", "compute 2.79")["servers"]
seed("os_deleted", "ids", {"deleted_servers": [s["id"] for s in servers[:2]]})
PY
