#!/usr/bin/python3
"""Writes OUTDIR/<name>-<version>.dist-info (METADATA, entry_points.txt, top_level.txt) from
pyproject.toml, so that with PYTHONPATH=<package dir>:OUTDIR Python's importlib.metadata and
stevedore find the package's entry points (Watcher's strategy, the openstack CLI plugin)
without pip. Usage: mkdistinfo.py PYPROJECT OUTDIR. Prints the dist-info path."""

import os
import shutil
import sys
import tomllib


def main(pyproject, outdir):
    with open(pyproject, "rb") as f:
        project = tomllib.load(f)["project"]
    name = project["name"].replace("-", "_")
    info = os.path.join(outdir, "%s-%s.dist-info" % (name, project["version"]))
    os.makedirs(outdir, exist_ok=True)
    for old in os.listdir(outdir):  # an older version's metadata would be found too
        if old.startswith(name + "-") and old.endswith(".dist-info"):
            shutil.rmtree(os.path.join(outdir, old))
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\n"
                % (project["name"], project["version"], project.get("description", "")))
    with open(os.path.join(info, "entry_points.txt"), "w") as f:
        for group, eps in project.get("entry-points", {}).items():
            f.write("[%s]\n" % group)
            for ep, target in eps.items():
                f.write("%s = %s\n" % (ep, target))
            f.write("\n")
    with open(os.path.join(info, "top_level.txt"), "w") as f:
        f.write("landscape_openstack\n")
    print(info)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: mkdistinfo.py PYPROJECT OUTDIR")
    main(sys.argv[1], sys.argv[2])
