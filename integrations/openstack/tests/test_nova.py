"""landscape_openstack.nova through Nova's own (Debian python3-nova) handlers: the weigher and
filter are loaded by class path like nova-scheduler loads them, and run by
HostWeightHandler.get_weighed_objects / HostFilterHandler.get_filtered_objects over real
HostState and RequestSpec objects; Landscape is a fake on loopback."""

import unittest

from nova import objects
from nova.scheduler import filters as nova_filters
from nova.scheduler import host_manager
from nova.scheduler import weights as nova_weights

from landscape_openstack import nova as ls_nova
from tests.fake_landscape import FakeLandscape, recommendations

objects.register_all()

REC = "/v1/placement/recommendations"


def host(name):
    hs = host_manager.HostState(name, name, "00000000-0000-0000-0000-000000000001")
    hs.aggregates = []
    # what update_from_compute_node sets, equal on every host: the in-tree weighers tie
    hs.vcpus_total, hs.vcpus_used, hs.cpu_allocation_ratio = 16, 0, 16.0
    hs.total_usable_ram_mb, hs.free_ram_mb, hs.ram_allocation_ratio = 32768, 32768, 1.5
    hs.total_usable_disk_gb, hs.free_disk_mb, hs.disk_allocation_ratio = 500, 512000, 1.0
    return hs


def spec(**kw):
    kw.setdefault("instance_group", None)
    flavor = objects.Flavor(vcpus=2, memory_mb=2048, root_gb=20, ephemeral_gb=5, swap=1500,
                            extra_specs=kw.pop("extra_specs", {}))
    return objects.RequestSpec(flavor=flavor, num_instances=1, is_bfv=kw.pop("is_bfv", False),
                               instance_uuid="11111111-2222-3333-4444-555555555555", **kw)


class NovaPluginTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeLandscape()
        self.addCleanup(self.fake.stop)
        conf = ls_nova.CONF
        conf([], project="nova")
        conf.set_override("url", self.fake.url, group="landscape")
        conf.set_override("timeout", 0.2, group="landscape")
        self.addCleanup(conf.clear_override, "url", group="landscape")
        self.addCleanup(conf.clear_override, "timeout", group="landscape")
        ls_nova.reset_client()
        self.addCleanup(ls_nova.reset_client)
        self.hosts = [host("fake-compute-1"), host("fake-compute-2"), host("fake-compute-3")]
        wh = nova_weights.HostWeightHandler()
        self.weigher_cls = wh.get_matching_classes(
            ["nova.scheduler.weights.all_weighers",
             "landscape_openstack.nova.LandscapeWeigher"])
        self.assertIn(ls_nova.LandscapeWeigher, self.weigher_cls)
        self.wh = wh
        fh = nova_filters.HostFilterHandler()
        self.assertEqual(fh.get_matching_classes(["landscape_openstack.nova.LandscapeFilter"]),
                         [ls_nova.LandscapeFilter])
        self.fh = fh

    def weigh(self, spec_obj, multiplier=1000.0):
        ls_nova.CONF.set_override("weight_multiplier", multiplier, group="landscape")
        self.addCleanup(ls_nova.CONF.clear_override, "weight_multiplier", group="landscape")
        weighers = [cls() for cls in self.weigher_cls]
        return self.wh.get_weighed_objects(weighers, self.hosts, spec_obj)

    def filter(self, spec_obj):
        return self.fh.get_filtered_objects([ls_nova.LandscapeFilter()], self.hosts, spec_obj)

    def test_request_from_spec(self):
        req = ls_nova.request_from_spec(spec(
            extra_specs={"trait:CUSTOM_A": "required", "trait:CUSTOM_B": "forbidden",
                         "hw:numa_nodes": "2"},
            availability_zone="az1",
            instance_group=objects.InstanceGroup(policy="anti-affinity",
                                                 members=["m1", "m2"])))
        self.assertEqual(req["flavor"]["vcpus"], 2)
        self.assertEqual(req["flavor"]["ram_mb"], 2048)
        self.assertEqual(req["flavor"]["disk_gb"], 20 + 5 + 2)  # swap 1500 MB -> 2 GB
        self.assertEqual(req["flavor"]["extra_specs"]["hw:numa_nodes"], "2")
        self.assertEqual(req["traits"], {"required": ["CUSTOM_A"], "forbidden": ["CUSTOM_B"]})
        self.assertEqual(req["availability_zone"], "az1")
        self.assertEqual(req["affinity"], "different_host")
        self.assertEqual(req["group"], ["m1", "m2"])
        bfv = ls_nova.request_from_spec(spec(is_bfv=True))
        self.assertEqual(bfv["flavor"]["disk_gb"], 5 + 2)
        self.assertNotIn("traits", bfv)
        self.assertNotIn("affinity", bfv)

    def test_weigher_puts_landscapes_first_choice_first_in_one_call(self):
        self.fake.routes[("POST", REC)] = recommendations(
            ("fake-compute-3", 0.9), ("fake-compute-1", 0.4), ("fake-compute-2", 0.1))
        ranked = self.weigh(spec())
        self.assertEqual([w.obj.nodename for w in ranked],
                         ["fake-compute-3", "fake-compute-1", "fake-compute-2"])
        self.assertEqual(len(self.fake.posts(REC)), 1)  # one request for the three hosts
        self.assertEqual(self.fake.posts(REC)[0][3]["flavor"]["vcpus"], 2)

    def test_each_hook_call_logs_the_time_it_added(self):
        self.fake.routes[("POST", REC)] = recommendations(
            ("fake-compute-2", 0.8), ("fake-compute-3", 0.2, False))
        with self.assertLogs("landscape_openstack.nova", "DEBUG") as logs:
            self.weigh(spec())
            self.filter(spec())
        uuid = "11111111-2222-3333-4444-555555555555"
        timed = [line for line in logs.output if line.endswith(" ms")]
        self.assertEqual(len(timed), 2, logs.output)
        self.assertRegex(timed[0], r"LandscapeWeigher: instance %s: 3 hosts weighed in "
                                   r"\d+\.\d{3} ms$" % uuid)
        self.assertRegex(timed[1], r"LandscapeFilter: instance %s: 1 of 3 hosts kept in "
                                   r"\d+\.\d{3} ms$" % uuid)

    def test_weigher_host_left_out_weighs_least(self):
        self.fake.routes[("POST", REC)] = recommendations(
            ("fake-compute-2", 5.0), ("fake-compute-1", 4.0), excluded={"red": 1})
        ranked = self.weigh(spec())
        self.assertEqual(ranked[-1].obj.nodename, "fake-compute-3")
        self.assertEqual(ranked[0].obj.nodename, "fake-compute-2")

    def test_weigher_fails_open_on_error_timeout_and_refused(self):
        ls = ls_nova.LandscapeWeigher()
        objs = [nova_weights.WeighedHost(h, 0.0) for h in self.hosts]
        self.fake.routes[("POST", REC)] = (500, {"error": {"status": 500,
                                                           "code": "internal_error",
                                                           "message": "x"}})
        with self.assertLogs("landscape_openstack.nova", "WARNING") as logs:
            self.assertEqual(ls.weigh_objects(objs, spec()), [0.0, 0.0, 0.0])
        self.assertIn("fail-open", logs.output[0])
        self.fake.routes[("POST", REC)] = recommendations(("fake-compute-1", 1.0))
        self.fake.delay = 1.0
        with self.assertLogs("landscape_openstack.nova", "WARNING") as logs:
            self.assertEqual(ls.weigh_objects(objs, spec()), [0.0, 0.0, 0.0])
        self.assertIn("timeout", logs.output[0])
        self.fake.delay = 0
        self.fake.stop()
        with self.assertLogs("landscape_openstack.nova", "WARNING"):
            self.assertEqual(ls.weigh_objects(objs, spec()), [0.0, 0.0, 0.0])

    def test_weigher_aggregate_multiplier(self):
        hs = self.hosts[0]
        hs.aggregates = [objects.Aggregate(id=1, name="a", hosts=["fake-compute-1"],
                                           metadata={"landscape_weight_multiplier": "7"})]
        self.assertEqual(ls_nova.LandscapeWeigher().weight_multiplier(hs), 7.0)
        self.assertEqual(ls_nova.LandscapeWeigher().weight_multiplier(self.hosts[1]),
                         ls_nova.CONF.landscape.weight_multiplier)

    def test_filter_removes_red_unfit_and_unknown_hosts(self):
        self.fake.routes[("POST", REC)] = recommendations(
            ("fake-compute-2", 0.8), ("fake-compute-3", 0.2, False), excluded={"red": 1})
        kept = self.filter(spec())
        self.assertEqual([h.nodename for h in kept], ["fake-compute-2"])
        self.assertEqual(len(self.fake.posts(REC)), 1)

    def test_filter_fail_open_and_closed(self):
        self.fake.routes[("POST", REC)] = recommendations(("fake-compute-1", 1.0))
        self.fake.delay = 1.0
        with self.assertLogs("landscape_openstack.nova", "WARNING"):
            self.assertEqual(len(self.filter(spec())), 3)  # fail_open defaults to true
        ls_nova.CONF.set_override("fail_open", False, group="landscape")
        self.addCleanup(ls_nova.CONF.clear_override, "fail_open", group="landscape")
        with self.assertLogs("landscape_openstack.nova", "WARNING"):
            self.assertEqual(self.filter(spec()), [])

    def test_filter_host_passes(self):
        self.fake.routes[("POST", REC)] = recommendations(("fake-compute-1", 1.0))
        f = ls_nova.LandscapeFilter()
        self.assertTrue(f.host_passes(self.hosts[0], spec()))
        self.assertFalse(f.host_passes(self.hosts[1], spec()))


if __name__ == "__main__":
    unittest.main()
