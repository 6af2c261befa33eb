#!/usr/bin/python3
"""What LandscapeWeigher adds to one scheduling decision: N calls of weigh_objects (one
POST /v1/placement/recommendations each) through Nova's own HostWeightHandler, against a
running landscaped. Prints p50/p90/p99/max of the whole weigh_objects call and of the HTTP
request alone. Usage (from the repository root):
  PYTHONPATH=integrations/openstack bench/pyhooks/weigher_latency.py URL [N] [HOST...]
HOSTs are hypervisor names for the candidates (default: the first 3 Landscape recommends)."""

import sys
import time

from nova import objects
from nova.scheduler import host_manager
from nova.scheduler import weights as nova_weights

from landscape_openstack import nova as ls_nova


def main():
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    objects.register_all()
    ls_nova.CONF([], project="nova")
    ls_nova.CONF.set_override("url", url, group="landscape")
    flavor = objects.Flavor(vcpus=1, memory_mb=512, root_gb=1, ephemeral_gb=0, swap=0,
                            extra_specs={})
    spec = objects.RequestSpec(flavor=flavor, num_instances=1, is_bfv=False,
                               instance_group=None, instance_uuid="00000000-0000-4000-8000-000000000001")
    client = ls_nova.get_client()
    names = sys.argv[3:] or [h["host"] for h in client.recommendations(
        ls_nova.request_from_spec(spec))["hosts"][:3]]
    hosts = [host_manager.HostState(h, h, "cell") for h in names]
    weigher = ls_nova.LandscapeWeigher()
    total, http = [], []
    for _ in range(n):
        objs = [nova_weights.WeighedHost(h, 0.0) for h in hosts]
        t0 = time.perf_counter()
        weigher.weigh_objects(objs, spec)
        total.append((time.perf_counter() - t0) * 1000)
        http.append(client.last_elapsed * 1000)

    def q(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(p * len(xs)))]
    for name, xs in (("weigh_objects", total), ("HTTP request", http)):
        print("%-14s n=%d hosts=%d p50 %.2f ms p90 %.2f ms p99 %.2f ms max %.2f ms"
              % (name, n, len(hosts), q(xs, .5), q(xs, .9), q(xs, .99), max(xs)))


if __name__ == "__main__":
    main()
