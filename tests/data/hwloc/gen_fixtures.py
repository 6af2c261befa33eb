#!/usr/bin/env python3
"""Regenerates the hwloc XML fixtures of tests/unit/host from hwloc itself.

CPU/memory shapes come from hwloc's synthetic topologies (`hwloc-ls --input "<desc>" --of xml`).
Synthetic topologies have no I/O, so server_io.xml splices a described set of PCI devices
(bridges, PCI functions, OS devices) into a synthetic topology, and the result is re-loaded
and re-exported by hwloc-ls so that only XML hwloc accepts is committed. vm.xml is
`hwloc-ls --of xml` of the machine the fixtures were made on (a 2-vCPU KVM guest).

Usage: gen_fixtures.py [--with-local]   (run from any directory)
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))

SYNTHETIC = {
    "synth_2pack_2numa.xml": "pack:2 numa:2 core:8 pu:2",
    "synth_caches.xml": "pack:2 l3:2 l2:2 l1:1 core:1 pu:2",
    "synth_flat.xml": "core:4 pu:1",
}

# (pci busid, class, vendor:device, vendor name, device name, [(osdev name, osdev_type, infos)])
# osdev_type: 0 block, 2 network, 3 openfabrics, 1 gpu, 5 coproc
IO_PACKAGE0 = [
    ("0000:17:00.0", "0200", "8086:1572", "Intel Corporation", "Ethernet Controller X710 for 10GbE SFP+",
     [("ens1f0", 2, [("Address", "3c:fd:fe:a0:00:01")])]),
    ("0000:17:00.1", "0200", "8086:1572", "Intel Corporation", "Ethernet Controller X710 for 10GbE SFP+",
     [("ens1f1", 2, [("Address", "3c:fd:fe:a0:00:02")])]),
    ("0000:18:00.0", "0108", "144d:a80a", "Samsung Electronics Co Ltd", "NVMe SSD Controller PM9A1",
     [("nvme0n1", 0, [("Size", "1000204886"), ("SectorSize", "512"), ("Type", "Disk"),
                      ("Model", "SAMSUNG MZVL21T0HCLR"), ("SerialNumber", "S64ANS0T000001")])]),
    ("0000:03:00.0", "0300", "1a03:2000", "ASPEED Technology, Inc.", "ASPEED Graphics Family",
     [("card0", 1, [])]),
]
IO_PACKAGE1 = [
    ("0000:af:00.0", "0207", "15b3:1017", "Mellanox Technologies", "MT27800 Family [ConnectX-5]",
     [("ib0", 2, [("Address", "80:00:02:08:fe:80:00:00:00:00:00:00:0c:42:a1:03:00:aa:bb:cc")]),
      ("mlx5_0", 3, [("NodeGUID", "0c42:a103:00aa:bbcc"), ("Port1State", "4")])]),
    ("0000:b1:00.0", "0302", "10de:20b5", "NVIDIA Corporation", "GA100 [A100 PCIe 80GB]",
     [("cuda0", 5, [("CoProcType", "CUDA"), ("Backend", "CUDA"), ("GPUVendor", "NVIDIA Corporation"),
                    ("GPUModel", "NVIDIA A100 80GB PCIe"), ("CUDAGlobalMemorySize", "83886080")]),
      ("card1", 1, [])]),
    ("0000:b2:00.0", "0200", "8086:159b", "Intel Corporation", "Ethernet Controller E810-XXV for SFP",
     []),  # bound to vfio-pci: no network OS device
]
IO_MACHINE = [
    ("0000:00:17.0", "0106", "8086:a182", "Intel Corporation", "C620 Series Chipset SATA Controller",
     [("sda", 0, [("Size", "488386584"), ("SectorSize", "512"), ("Type", "Disk"),
                  ("Model", "INTEL SSDSC2KB48"), ("Vendor", "ATA")])]),
]


def hwloc_xml(args):
    return subprocess.run(["hwloc-ls"] + args + ["--of", "xml"], check=True,
                          capture_output=True, text=True).stdout


def add_io(parent, devices, gp, domain_bus):
    bridge = ET.SubElement(parent, "object", {
        "type": "Bridge", "gp_index": str(next(gp)), "bridge_type": "0-1", "depth": "0",
        "bridge_pci": "0000:[%s-%s]" % (domain_bus, domain_bus)})
    for busid, cls, ids, vname, dname, osdevs in devices:
        dev = ET.SubElement(bridge, "object", {
            "type": "PCIDev", "gp_index": str(next(gp)), "pci_busid": busid,
            "pci_type": "%s [%s] [%s] 00" % (cls, ids, ids), "pci_link_speed": "7.876923"})
        ET.SubElement(dev, "info", {"name": "PCIVendor", "value": vname})
        ET.SubElement(dev, "info", {"name": "PCIDevice", "value": dname})
        for name, otype, infos in osdevs:
            od = ET.SubElement(dev, "object", {"type": "OSDev", "gp_index": str(next(gp)),
                                                "name": name, "osdev_type": str(otype)})
            for k, v in infos:
                ET.SubElement(od, "info", {"name": k, "value": v})


def make_server_io():
    root = ET.fromstring(hwloc_xml(["--input", "pack:2 numa:1 core:4 pu:2"]))
    machine = root.find("object")
    packages = machine.findall("object[@type='Package']")
    gp = iter(range(1000, 2000))
    add_io(packages[0], IO_PACKAGE0, gp, "00")
    add_io(packages[1], IO_PACKAGE1, gp, "af")
    add_io(machine, IO_MACHINE, gp, "00")
    for info in machine.findall("info"):
        if info.get("name") in ("SyntheticDescription", "ProcessName"):
            machine.remove(info)
    # hwloc wants a node's <info> children before its child objects.
    infos = machine.findall("info")
    machine.insert(list(machine).index(infos[-1]) + 1,
                   ET.Element("info", {"name": "HostName", "value": "compute-07"}))
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE topology SYSTEM "hwloc2.dtd">\n')
        f.write(ET.tostring(root, encoding="unicode"))
        tmp = f.name
    try:
        # Round trip through hwloc so the fixture is what hwloc itself writes.
        return hwloc_xml(["--input", tmp, "--filter", "io:all"])
    finally:
        os.unlink(tmp)


def main():
    out = {name: hwloc_xml(["--input", desc]) for name, desc in SYNTHETIC.items()}
    out["server_io.xml"] = make_server_io()
    if "--with-local" in sys.argv:
        out["vm.xml"] = hwloc_xml([])
    for name, text in out.items():
        with open(os.path.join(HERE, name), "w") as f:
            f.write(text)
        print("wrote", name)


if __name__ == "__main__":
    main()
