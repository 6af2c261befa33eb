"""landscape_openstack.client against a fake landscaped on loopback."""

import unittest

from oslo_config import cfg

from landscape_openstack import client as ls_client
from tests.fake_landscape import FakeLandscape, recommendations


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeLandscape()
        self.addCleanup(self.fake.stop)

    def conf(self, **opts):
        conf = cfg.ConfigOpts()
        ls_client.register_opts(conf)
        ls_client.register_opts(conf)  # twice is harmless
        conf([], project="test")
        conf.set_override("url", self.fake.url, group="landscape")
        for k, v in opts.items():
            conf.set_override(k, v, group="landscape")
        return conf

    def test_defaults(self):
        conf = cfg.ConfigOpts()
        ls_client.register_opts(conf)
        conf([], project="test")
        self.assertEqual(conf.landscape.url, "http://127.0.0.1:8080")
        self.assertEqual(conf.landscape.timeout, 1.0)
        self.assertIsNone(conf.landscape.token)
        self.assertEqual(conf.landscape.weight_multiplier, 1.0)
        self.assertTrue(conf.landscape.fail_open)

    def test_recommendations_sends_token_and_body(self):
        self.fake.routes[("POST", "/v1/placement/recommendations")] = recommendations(
            ("h1", 0.9), ("h2", 0.5))
        c = ls_client.Client.from_conf(self.conf(token="s3cret"))
        answer = c.recommendations({"flavor": {"vcpus": 1, "ram_mb": 512, "disk_gb": 1}})
        self.assertEqual([h["host"] for h in answer["hosts"]], ["h1", "h2"])
        method, path, headers, body = self.fake.requests[-1]
        self.assertEqual(headers.get("X-Auth-Token"), "s3cret")
        self.assertEqual(headers.get("Content-Type"), "application/json")
        self.assertEqual(body, {"flavor": {"vcpus": 1, "ram_mb": 512, "disk_gb": 1}})
        self.assertIsNotNone(c.last_elapsed)

    def test_no_token_sends_none(self):
        self.fake.routes[("GET", "/v1/analytics/colours")] = (200, {"nodes": []})
        c = ls_client.Client.from_conf(self.conf())
        c.colours(type="hypervisor", colour="red")
        _, path, headers, _ = self.fake.requests[-1]
        self.assertNotIn("X-Auth-Token", headers)
        self.assertIn("type=hypervisor", path)
        self.assertIn("colour=red", path)

    def test_error_shape_becomes_landscape_error(self):
        self.fake.routes[("POST", "/v1/placement/recommendations")] = (
            400, {"error": {"status": 400, "code": "invalid_field", "message": "flavor.vcpus"}})
        c = ls_client.Client(self.fake.url)
        with self.assertRaises(ls_client.LandscapeError) as cm:
            c.recommendations({"flavor": {}})
        self.assertEqual((cm.exception.status, cm.exception.code), (400, "invalid_field"))

    def test_not_json_and_bad_shape(self):
        c = ls_client.Client(self.fake.url)
        self.fake.routes[("POST", "/v1/placement/recommendations")] = (200, "<html>")
        with self.assertRaises(ls_client.LandscapeError) as cm:
            c.recommendations({})
        self.assertEqual(cm.exception.code, "bad_answer")
        self.fake.routes[("POST", "/v1/placement/recommendations")] = (200, {"hosts": "x"})
        with self.assertRaises(ls_client.LandscapeError) as cm:
            c.recommendations({})
        self.assertEqual(cm.exception.code, "bad_answer")

    def test_timeout(self):
        self.fake.routes[("POST", "/v1/placement/recommendations")] = recommendations(("h", 1))
        self.fake.delay = 1.0
        c = ls_client.Client(self.fake.url, timeout=0.1)
        with self.assertRaises(ls_client.LandscapeError) as cm:
            c.recommendations({})
        self.assertEqual(cm.exception.code, "timeout")
        self.assertIsNone(cm.exception.status)

    def test_unreachable(self):
        url = self.fake.url
        self.fake.stop()
        c = ls_client.Client(url)
        with self.assertRaises(ls_client.LandscapeError) as cm:
            c.recommendations({})
        self.assertEqual(cm.exception.code, "unreachable")

    def test_nodes_follows_pages(self):
        self.fake.routes[("GET", "/v1/nodes?type=hypervisor&limit=1000")] = (200, {
            "nodes": [{"id": "a"}, {"id": "b"}], "next": "/v1/nodes?marker=b"})
        self.fake.routes[("GET", "/v1/nodes?type=hypervisor&limit=1000&marker=b")] = (
            200, {"nodes": [{"id": "c"}]})
        c = ls_client.Client(self.fake.url)
        self.assertEqual([n["id"] for n in c.nodes(type="hypervisor")], ["a", "b", "c"])


if __name__ == "__main__":
    unittest.main()
