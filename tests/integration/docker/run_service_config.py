#!/usr/bin/env python3
"""Runs landscaped --check-config as the compose file's `landscape` service would start it:
the Dockerfile's ENTRYPOINT, then the service's command, with its environment. Usage:
run_service_config.py RESOLVED_COMPOSE_YAML DOCKERFILE LANDSCAPED. Exit status: landscaped's."""
import json
import os
import subprocess
import sys

import yaml  # python3-yaml: a dependency of Debian's docker-compose

config = yaml.safe_load(open(sys.argv[1]))
svc = config["services"]["landscape"]
entry = None
for line in open(sys.argv[2]):
    if line.startswith("ENTRYPOINT"):
        entry = json.loads(line[len("ENTRYPOINT"):].strip())
if entry is None:
    sys.exit("no ENTRYPOINT in " + sys.argv[2])
argv = [sys.argv[3]] + entry[1:] + list(svc.get("command") or []) + ["--check-config"]
env = {k: v for k, v in os.environ.items() if not k.startswith("LANDSCAPE_")}
env.update({k: str(v) for k, v in (svc.get("environment") or {}).items()})
done = subprocess.run(argv, env=env, capture_output=True, text=True)
if done.returncode != 0:
    print("landscaped " + " ".join(argv[1:]) + ": " + (done.stderr or done.stdout).strip())
sys.exit(done.returncode)
