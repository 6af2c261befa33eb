#!/usr/bin/env python3
"""Writes the seed inputs of the host, bulk and clouds.yaml fuzz targets into corpus/<target>/
from the repository's fixtures (tests/data/hwloc, tests/data/lldp) and the documents the unit
tests use. Deterministic; rerun after changing a fixture. The OpenStack answer seeds come from
ossim: see ossim_seeds.sh."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")


def write(target, name, content):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(os.path.join(d, "seed_" + name), mode) as f:
        f.write(content)


def hwloc(name):
    with open(os.path.join(DATA, "hwloc", name)) as f:
        return f.read()


LLDP = [
    {"interface": "ens1f0", "chassis_id": "00:1c:73:aa:bb:cc", "chassis_id_type": "mac",
     "port_id": "Ethernet1/7", "port_id_type": "ifname", "port_descr": "to compute-07 p0",
     "system_name": "leaf-3a", "system_descr": "EOS", "mgmt_ip": "192.0.2.10"},
    {"interface": "ens1f1", "chassis_id": "00:1c:73:aa:bb:cc", "port_id": "Ethernet1/8",
     "system_name": "leaf-3a"},
    {"interface": "bond0", "chassis_id": "00:1c:73:00:00:01", "port_id": "Ethernet9"},
]
NICS = {"ens1f0": {"speed_mbps": 25000, "sriov_totalvfs": 64, "sriov_numvfs": 8,
                   "operstate": "up", "driver": "i40e", "mtu": 9000, "mac": "3c:fd:fe:00:00:01"},
        "ens1f1": {"speed_mbps": 25000, "operstate": "down"}}


def agent_json():
    for xml in sorted(os.listdir(os.path.join(DATA, "hwloc"))):
        if not xml.endswith(".xml"):
            continue
        doc = {"hostname": "fuzz-host", "fqdn": "fuzz-host.example.net", "aliases": ["fh"],
               "hwloc_xml": hwloc(xml)}
        if xml == "server_io.xml":
            doc.update({"nics": NICS, "lldp": LLDP, "lldp_status": "ok"})
        write("agent_json", xml.replace(".xml", ".json"), json.dumps(doc, indent=1))
    write("agent_json", "unavailable_lldp.json", json.dumps(
        {"hwloc_xml": hwloc("synth_flat.xml"), "lldp_status": "unavailable: lldpd not running"}))


BULK = {
    "nodes": [
        {"type": "row", "name": "B"},
        {"type": "rack", "name": "R12", "attrs": {"row": "B", "position": 12, "height_u": 42}},
        {"id": "manual:pdu:R12-A", "type": "pdu", "name": "R12 PDU A", "state": "active",
         "attrs": {"max_watts": 7400, "metered": True}},
    ],
    "edges": [
        {"src": "manual:row:B", "type": "contains", "dst": "manual:rack:R12"},
        {"src": "manual:rack:R12", "type": "contains", "dst": "manual:pdu:R12-A", "weight": 0.5},
        {"src": "manual:rack:R1", "type": "contains", "dst": "host:machine:h1"},
    ],
}
LAYOUT_YAML = """# row B, rack 12
nodes:
  - type: row
    name: B
  - type: rack
    name: R12
    attrs: {row: B, position: 12, height_u: 42, serial: 0042, weight: 1.5e2, spare: ~}
  - id: manual:pdu:R12-A
    type: pdu
    name: R12 PDU A
    state: active
    attrs: &pdu
      max_watts: 7400
      metered: yes
  - {type: pdu, name: R12 PDU B, attrs: *pdu}
edges:
  - {src: manual:row:B, type: contains, dst: manual:rack:R12}
  - src: manual:rack:R12
    type: contains
    dst: manual:pdu:R12-A
    weight: 0.5
  - {src: 'manual:rack:R1', type: contains, dst: "host:machine:h1"}
"""


def bulk():
    write("bulk_json", "layout.json", json.dumps(BULK, indent=1))
    write("bulk_json", "machine_conflict.json", json.dumps(
        {"nodes": [{"id": "host:machine:h1", "type": "machine", "name": "h1"}]}))
    write("bulk_yaml", "layout.yaml", LAYOUT_YAML)
    write("bulk_yaml", "flow.yaml", "nodes: [{type: rack, name: R1}]\n"
          "edges: [{src: 'manual:rack:R1', type: contains, dst: 'host:machine:h1'}]\n")


CLOUDS = """clouds:
  prod:
    auth:
      auth_url: https://keystone.example.net:5000
      username: landscape
      project_name: ops
      user_domain_name: Corp
      project_domain_id: default
    regions: [RegionTwo, {name: RegionThree}]
    interface: internalURL
    cacert: /etc/ssl/corp-ca.pem
    compute_endpoint_override: https://nova.internal:8774/v2.1
    block_storage_endpoint_override: https://cinder.internal:8776/v3
    insecure: "false"
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://127.0.0.1:5000/v3/
      application_credential_id: 0123abcd
      application_credential_secret: s3cr3t
    verify: false
  system:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: admin
      password: pw
      system_scope: all
      project_id: 12345
"""
SECURE = """clouds:
  prod:
    auth:
      password: from-secure-yaml
"""


def clouds():
    for name in ("prod", "appcred", "system"):
        write("clouds_yaml", name + ".txt", (name + "\n" + CLOUDS + "\0" + SECURE).encode())
    write("clouds_yaml", "prod_no_secure.txt", "prod\n" + CLOUDS)


if __name__ == "__main__":
    agent_json()
    bulk()
    clouds()
