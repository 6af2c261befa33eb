"""landscape_openstack.watcher: the strategy found by Watcher's own loader (stevedore, entry
point group watcher_strategies, from the dist-info tools/mkdistinfo.py writes) and run by
BaseStrategy.execute over a real Watcher compute model, with a fake Landscape on loopback:
the migrate actions, their parameters, the efficacy indicators, and the fallback when the
service has no /v1/placement/moves."""

import os
import sys
import tempfile
import unittest

from watcher.common import utils as wutils
from watcher.decision_engine.loading import default as wloading
from watcher.decision_engine.model import element
from watcher.decision_engine.model import model_root

from landscape_openstack import watcher as ls_watcher
from tests.fake_landscape import FakeLandscape, recommendations

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tools import mkdistinfo  # noqa: E402

PROJECT = "91FFFE30-78A0-4152-ACD2-8310FF274DC9"


def model(layout, disabled=()):
    """layout: {hostname: [instance uuid, ...]}."""
    m = model_root.ModelRoot()
    for i, (hostname, insts) in enumerate(sorted(layout.items())):
        node = element.ComputeNode(
            id=i, uuid="node-%s" % hostname, hostname=hostname, memory=32768,
            memory_mb_reserved=0, memory_ratio=1.5, disk=500, disk_gb_reserved=0,
            disk_ratio=1.0, vcpus=16, vcpu_reserved=0, vcpu_ratio=16.0, disabled_reason=None,
            status="disabled" if hostname in disabled else "enabled")
        m.add_node(node)
        for uuid in insts:
            inst = element.Instance(uuid=uuid, name="vm-" + uuid[:4], memory=512, disk=1,
                                    vcpus=1, metadata={}, project_id=PROJECT)
            m.add_instance(inst)
            m.map_instance(inst, node)
    return m


class WatcherStrategyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        mkdistinfo.main(os.path.join(HERE, "..", "pyproject.toml"), cls.tmp.name)
        sys.path.append(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        sys.path.remove(cls.tmp.name)
        cls.tmp.cleanup()

    def setUp(self):
        self.fake = FakeLandscape()
        self.addCleanup(self.fake.stop)
        ls_watcher.CONF([], project="watcher")
        ls_watcher.CONF.set_override("url", self.fake.url, group="landscape")
        self.addCleanup(ls_watcher.CONF.clear_override, "url", group="landscape")

    def strategy(self, m, **params):
        s = wloading.DefaultStrategyLoader().load("landscape")
        self.assertIsInstance(s, ls_watcher.LandscapeStrategy)
        self.assertEqual(s.goal.name, "server_consolidation")
        s._compute_model = m
        p = {"max_moves": 10, "migration_type": "live"}
        p.update(params)
        s.input_parameters = wutils.Struct(p)
        return s

    def test_listed_by_watchers_loader(self):
        self.assertIn("landscape", wloading.DefaultStrategyLoader().list_available())

    def test_moves_become_migrate_actions(self):
        m = model({"h1": ["aaaa0001", "aaaa0002"], "h2": ["bbbb0001"], "h3": []})
        self.fake.routes[("POST", "/v1/placement/moves")] = (200, {"moves": [
            {"server": "aaaa0001", "from": "h1", "to": "h3",
             "reasons": ["h1 is red: cpu.util 98 > [10, 60]"]},
            {"server": "openstack:osh:instance:aaaa0002", "from": "h1", "to": "h2",
             "reasons": [{"reason": "h1 overloaded"}]},
            {"server": "not-in-model", "from": "h1", "to": "h2", "reasons": []},
            {"server": "bbbb0001", "from": "h2", "to": "nowhere", "reasons": []},
        ]})
        s = self.strategy(m)
        with self.assertLogs("landscape_openstack.watcher", "INFO") as logs:
            solution = s.execute()
        acts = solution.actions
        self.assertEqual([a["action_type"] for a in acts], ["migrate", "migrate"])
        self.assertEqual(acts[0]["input_parameters"],
                         {"migration_type": "live", "source_node": "h1",
                          "destination_node": "h3", "resource_name": "vm-aaaa",
                          "resource_id": "aaaa0001"})
        self.assertEqual(acts[1]["input_parameters"]["destination_node"], "h2")
        self.assertEqual(acts[1]["input_parameters"]["resource_id"], "aaaa0002")
        text = "\n".join(logs.output)
        self.assertIn("cpu.util 98", text)
        self.assertIn("h1 overloaded", text)
        ind = {i.name: i.value for i in solution.efficacy_indicators}
        self.assertEqual(ind["instance_migrations_count"], 2)
        self.assertEqual(ind["released_compute_nodes_count"], 1)  # h1 emptied
        self.assertEqual(ind["compute_nodes_count"], 3)
        _, _, _, body = self.fake.posts("/v1/placement/moves")[0]
        self.assertEqual(body, {"hosts": ["h1", "h2", "h3"], "limit": 10})

    def test_max_moves_and_cold(self):
        m = model({"h1": ["aaaa0001", "aaaa0002"], "h2": []})
        self.fake.routes[("POST", "/v1/placement/moves")] = (200, {"moves": [
            {"server": "aaaa0001", "from": "h1", "to": "h2", "reasons": ["r"]},
            {"server": "aaaa0002", "from": "h1", "to": "h2", "reasons": ["r"]}]})
        solution = self.strategy(m, max_moves=1, migration_type="cold").execute()
        self.assertEqual(len(solution.actions), 1)
        self.assertEqual(solution.actions[0]["input_parameters"]["migration_type"], "cold")

    def test_without_moves_endpoint_uses_colours_and_recommendations(self):
        m = model({"h1": ["aaaa0001"], "h2": ["bbbb0001"], "h3": []}, disabled=("h3",))
        self.fake.routes[("GET", "/v1/nodes")] = (200, {"nodes": [
            {"id": "osh:hypervisor:h1", "name": "h1"}, {"id": "osh:hypervisor:h2", "name": "h2"},
            {"id": "osh:hypervisor:h3", "name": "h3"}]})
        self.fake.routes[("GET", "/v1/analytics/colours")] = (200, {"nodes": [
            {"id": "osh:hypervisor:h1", "colour": "red", "score": 0.9,
             "reasons": [{"metric": "cpu.util", "value": 99, "detector": "level_shift"}]}]})
        # h3 ranks first but is disabled in the model; h1 is the source
        self.fake.routes[("POST", "/v1/placement/recommendations")] = recommendations(
            ("h3", 0.9), ("h1", 0.8), ("h2", 0.5))
        with self.assertLogs("landscape_openstack.watcher", "INFO") as logs:
            solution = self.strategy(m).execute()
        self.assertEqual(len(solution.actions), 1)
        p = solution.actions[0]["input_parameters"]
        self.assertEqual((p["resource_id"], p["source_node"], p["destination_node"]),
                         ("aaaa0001", "h1", "h2"))
        self.assertIn("h1 is red: cpu.util 99 level_shift", "\n".join(logs.output))

    def test_landscape_down_fails_the_audit(self):
        m = model({"h1": ["aaaa0001"], "h2": []})
        self.fake.routes[("POST", "/v1/placement/moves")] = (503, {"error": {
            "status": 503, "code": "db_unavailable", "message": "x"}})
        from landscape_openstack import client as ls_client
        with self.assertRaises(ls_client.LandscapeError):
            self.strategy(m).execute()


if __name__ == "__main__":
    unittest.main()
