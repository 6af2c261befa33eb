"""`openstack landscape ...`: the real /usr/bin/openstack (python3-openstackclient) loading the
plugin through its entry points (a dist-info written by tools/mkdistinfo.py), each command's
arguments checked against the request the fake Landscape received, the answers against the
output; errors, static tokens, and a Keystone session whose catalog gives Landscape's URL (the
fake answers Keystone's token request too; not a real Keystone). In-process: the catalog
lookup through a keystoneauth session, the auth rules. Run as ``python3 -m tests.test_osc``:
exits 77 (skipped) when /usr/bin/openstack or osc_lib is missing."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest
import urllib.parse

OPENSTACK = "/usr/bin/openstack"
HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)


def _missing():
    if not os.access(OPENSTACK, os.X_OK):
        return OPENSTACK + " is missing (apt-get install python3-openstackclient)"
    if importlib.util.find_spec("osc_lib") is None:
        return "osc_lib is missing (apt-get install python3-osc-lib)"
    return None


if not _missing():
    from keystoneauth1 import fixture as ks_fixture
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import access as ks_access
    from osc_lib import exceptions as osc_exc

    from landscape_openstack.osc import plugin

from tests.fake_landscape import FakeLandscape, recommendations  # noqa: E402

NODE = {"id": "nova:instance:abc/1", "layer": "virtual", "type": "instance", "name": "web-01",
        "state": "ACTIVE", "attrs": {"flavor": {"name": "m1.small"}}, "source": "openstack:p",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "revision": 4}


def node(i, **kw):
    return dict(NODE, id="n%d" % i, name="node-%d" % i, **kw)


def query(path):
    """The decoded query of a requested path, values as lists."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)


class OscTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ls-osc-")
        subprocess.run([sys.executable, os.path.join(PKG, "tools", "mkdistinfo.py"),
                        os.path.join(PKG, "pyproject.toml"), cls.tmp], check=True,
                       stdout=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def setUp(self):
        self.fake = FakeLandscape()
        self.addCleanup(self.fake.stop)

    def osc(self, *args, env=None, url=True, status=0):
        """Runs `openstack [--landscape-url FAKE] ARGS`; asserts the exit status; returns
        (stdout, stderr)."""
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("OS_", "LANDSCAPE_"))}
        e.update(PYTHONPATH="%s:%s" % (PKG, self.tmp), PYTHONDONTWRITEBYTECODE="1")
        e.update(env or {})
        argv = [OPENSTACK] + (["--landscape-url", self.fake.url] if url else []) + list(args)
        p = subprocess.run(argv, env=e, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, status, "%s\nstdout: %s\nstderr: %s"
                         % (" ".join(argv), p.stdout, p.stderr))
        self.assertNotIn("Traceback", p.stderr)
        return p.stdout, p.stderr

    def osc_json(self, *args, **kw):
        return json.loads(self.osc(*args, "-f", "json", **kw)[0])

    def last(self, method=None):
        reqs = [r for r in self.fake.requests if method is None or r[0] == method]
        return reqs[-1]

    # ---- graph ----

    def test_node_list_filters_pages_and_columns(self):
        self.fake.routes[("GET", "/v1/nodes")] = (200, {"nodes": [node(1), node(2)],
                                                        "revision": 9})
        first = ("GET", "/v1/nodes?layer=virtual&type=instance&state=ACTIVE&name=web&"
                 "source=s&at=2026-01-01T00%3A00%3A00Z&marker=n0&attr.flavor.name=m1.small&"
                 "limit=1000")
        self.fake.routes[first] = (200, {"nodes": [node(1), node(2)], "next": "/v1/nodes?x"})
        self.fake.routes[(first[0], first[1].replace("marker=n0", "marker=n2"))] = (
            200, {"nodes": [node(3)]})
        rows = self.osc_json("landscape", "node", "list", "--layer", "virtual", "--type",
                             "instance", "--state", "ACTIVE", "--name", "web", "--source", "s",
                             "--at", "2026-01-01T00:00:00Z", "--marker", "n0",
                             "--attr", "flavor.name=m1.small")
        self.assertEqual([r["ID"] for r in rows], ["n1", "n2", "n3"])
        self.assertEqual(set(rows[0]), {"ID", "Name", "Type", "Layer", "State"})
        self.assertEqual(rows[0]["Name"], "node-1")
        self.assertEqual(len([r for r in self.fake.requests if r[1].startswith("/v1/nodes")]), 2)
        # --limit caps the page size and the count; -f value -c ID prints the ids
        out, _ = self.osc("landscape", "node", "list", "--limit", "1", "-f", "value", "-c", "ID")
        self.assertEqual(out.split(), ["n1"])
        self.assertEqual(query(self.last()[1])["limit"], ["1"])
        rows = self.osc_json("landscape", "node", "list", "--long")
        self.assertEqual(rows[0]["Revision"], 4)
        self.assertEqual(rows[0]["Source"], "openstack:p")

    def test_node_show_encodes_the_id_and_keeps_json(self):
        self.fake.routes[("GET", "/v1/nodes/nova%3Ainstance%3Aabc%2F1")] = (200, NODE)
        shown = self.osc_json("landscape", "node", "show", "nova:instance:abc/1")
        self.assertEqual(shown, NODE)
        self.fake.routes[("GET", "/v1/nodes/nova%3Ainstance%3Aabc%2F1?at=2025-01-01T00%3A00%3A00Z")
                         ] = (200, dict(NODE, state="SHUTOFF"))
        out, _ = self.osc("landscape", "node", "show", "nova:instance:abc/1", "--at",
                          "2025-01-01T00:00:00Z", "-f", "value", "-c", "state")
        self.assertEqual(out.strip(), "SHUTOFF")

    def test_subgraph_history_and_diff(self):
        edge = {"id": "n1|runs_on|n2", "src": "n1", "dst": "n2", "type": "runs_on",
                "source": "imported", "attrs": {}, "revision": 3,
                "valid_from": "2026-01-01T00:00:00Z", "valid_to": None}
        self.fake.routes[("GET", "/v1/nodes/n1/subgraph")] = (200, {
            "root": "n1", "nodes": [node(1), node(2)], "edges": [edge], "truncated": True})
        out, err = self.osc("landscape", "subgraph", "n1", "--depth", "3", "--direction", "out",
                            "--edge-type", "runs_on", "--max-nodes", "50", "-f", "value",
                            "-c", "ID")
        self.assertEqual(out.split(), ["n1", "n2"])
        self.assertIn("truncated", err)
        self.assertEqual(query(self.last()[1]), {"depth": ["3"], "direction": ["out"],
                                                 "edge_type": ["runs_on"], "max_nodes": ["50"]})
        rows = self.osc_json("landscape", "subgraph", "n1", "--edges")
        self.assertEqual(rows, [{"ID": "n1|runs_on|n2", "From": "n1", "Type": "runs_on",
                                 "To": "n2", "Source": "imported"}])

        self.fake.routes[("GET", "/v1/nodes/n1/history")] = (200, {
            "id": "n1", "versions": [dict(node(1), revision=1, valid_from="a", valid_to="b"),
                                     dict(node(1), revision=4, valid_from="b", valid_to=None)],
            "edges": [edge]})
        rows = self.osc_json("landscape", "history", "n1", "--limit", "2")
        self.assertEqual([(r["Revision"], r["Valid To"]) for r in rows], [(1, "b"), (4, None)])
        self.assertEqual(rows[0]["Attrs"], NODE["attrs"])
        self.assertEqual(query(self.last()[1]), {"limit": ["2"]})
        rows = self.osc_json("landscape", "history", "n1", "--edges")
        self.assertEqual([(r["ID"], r["Revision"]) for r in rows], [("n1|runs_on|n2", 3)])

        self.fake.routes[("GET", "/v1/graph/diff")] = (200, {
            "from": "a", "to": "b", "added": [node(5)], "removed": [node(6)],
            "changed": [{"before": node(7, state="up"), "after": node(7, state="down",
                                                                   revision=9)}],
            "edges_added": [edge], "edges_removed": []})
        rows = self.osc_json("landscape", "diff", "--from", "2026-01-01T00:00:00Z",
                             "--to", "2026-01-02T00:00:00Z", "--limit", "5")
        self.assertEqual(query(self.last()[1]), {"from": ["2026-01-01T00:00:00Z"],
                                                 "to": ["2026-01-02T00:00:00Z"], "limit": ["5"]})
        self.assertEqual([(r["Change"], r["Kind"], r["ID"]) for r in rows],
                         [("added", "node", "n5"), ("removed", "node", "n6"),
                          ("added", "edge", "n1|runs_on|n2"), ("changed", "node", "n7")])
        self.assertEqual(rows[3]["Fields"], ["state"])
        self.osc("landscape", "diff", status=2)  # --from is required (argparse)

    # ---- analytics ----

    def test_incidents(self):
        inc = {"id": 7, "state": "open", "opened_at": "t0", "updated_at": "t1",
               "resolved_at": None, "nodes": ["h1", "vm1"],
               "causes": [{"id": "h1", "score": 0.9, "reason": "cpu", "path": ["h1", "vm1"]}],
               "revision": 2}
        self.fake.routes[("GET", "/v1/analytics/incidents?state=open&to=T2&from=T1&limit=1000")] = (
            200, {"incidents": [inc], "next": "/v1/analytics/incidents?marker=7"})
        self.fake.routes[("GET", "/v1/analytics/incidents?state=open&to=T2&from=T1&limit=1000"
                          "&marker=7")] = (200, {"incidents": [dict(inc, id=3)]})
        rows = self.osc_json("landscape", "incident", "list", "--state", "open", "--from", "T1",
                             "--to", "T2")
        self.assertEqual([(r["ID"], r["Nodes"], r["Top Cause"]) for r in rows],
                         [(7, 2, "h1"), (3, 2, "h1")])
        self.fake.routes[("GET", "/v1/analytics/incidents/7")] = (200, inc)
        self.assertEqual(self.osc_json("landscape", "incident", "show", "7"), inc)

    def test_rca_body(self):
        answer = {"causes": [{"id": "h1", "score": 0.8, "metric": "cpu", "reason": "r",
                              "path": ["h1", "vm1"]},
                             {"id": "vm1", "score": 0.2, "metric": "cpu", "reason": "r2",
                              "path": ["vm1"]}],
                  "anomalous": ["h1", "vm1"], "method": "zscore"}
        self.fake.routes[("POST", "/v1/analytics/rca")] = (200, answer)
        rows = self.osc_json("landscape", "rca", "--from", "1700000000", "--to",
                             "2026-01-01T00:10:00Z", "--baseline-from", "1699990000.5",
                             "--baseline-to", "1700000000", "--node", "h1", "--node", "vm1",
                             "--limit", "2", "--method", "zscore")
        self.assertEqual(self.last("POST")[3], {
            "from": 1700000000, "to": "2026-01-01T00:10:00Z",
            "baseline": {"from": 1699990000.5, "to": 1700000000}, "nodes": ["h1", "vm1"],
            "limit": 2, "method": "zscore"})
        self.assertEqual([(r["Rank"], r["ID"], r["Score"], r["Path"]) for r in rows],
                         [(1, "h1", 0.8, ["h1", "vm1"]), (2, "vm1", 0.2, ["vm1"])])
        out, _ = self.osc("landscape", "rca", "--from", "1", "--to", "2", "--anomalous",
                          "-f", "value")
        self.assertEqual(out.split(), ["h1", "vm1"])
        self.assertEqual(self.last("POST")[3], {"from": 1, "to": 2})
        # half a baseline goes as it is: Landscape names the missing half
        self.fake.routes[("POST", "/v1/analytics/rca")] = (400, {"error": {
            "status": 400, "code": "missing_field", "message": "baseline.to is required"}})
        _, err = self.osc("landscape", "rca", "--from", "1", "--to", "2", "--baseline-from",
                          "0", status=1)
        self.assertEqual(self.last("POST")[3]["baseline"], {"from": 0})
        self.assertIn("baseline.to is required", err)

    def test_dependency_list(self):
        dep = {"key": "a|depends_on|b", "src": "a", "dst": "b", "strength": 0.75,
               "evidence": "traces", "first_seen": "t0", "last_seen": "t1", "calls": 2,
               "errors": 1, "error_ratio": 0.5, "rate_per_s": 0.01, "latency_ms": 25.0,
               "status": None}
        self.fake.routes[("GET", "/v1/analytics/dependencies")] = (
            200, {"dependencies": [dep], "deviations": [], "revision": 1})
        rows = self.osc_json("landscape", "dependency", "list", "--from", "T1", "--to", "T2",
                             "--min-strength", "0.5", "--status", "all", "--long")
        self.assertEqual(query(self.last()[1]), {"from": ["T1"], "to": ["T2"],
                                                 "min_strength": ["0.5"], "status": ["all"]})
        self.assertEqual((rows[0]["ID"], rows[0]["From"], rows[0]["To"], rows[0]["Strength"],
                          rows[0]["Calls"], rows[0]["Latency Ms"]),
                         ("a|depends_on|b", "a", "b", 0.75, 2, 25.0))

    # ---- placement ----

    def test_placement_recommend_body(self):
        status, body = recommendations(("h1", 70.5), ("h2", 50))
        body["excluded"] = {"red": 1, "capacity:VCPU": 3}
        self.fake.routes[("POST", "/v1/placement/recommendations")] = (status, body)
        rows = self.osc_json("landscape", "placement", "recommend", "--vcpus", "4", "--ram-mb",
                             "8192", "--disk-gb", "40", "--swap-mb", "512", "--extra-spec",
                             "hw:numa_nodes=2", "--extra-spec", "trait:X=required",
                             "--required-trait", "COMPUTE_STATUS_ENABLED", "--forbidden-trait",
                             "CUSTOM_BAD", "--availability-zone", "az1", "--aggregate", "fast",
                             "--affinity", "different_rack", "--group", "s1", "--group", "s2",
                             "--count", "2")
        self.assertEqual(self.last("POST")[3], {
            "flavor": {"vcpus": 4, "ram_mb": 8192, "disk_gb": 40, "swap_mb": 512,
                       "extra_specs": {"hw:numa_nodes": "2", "trait:X": "required"}},
            "traits": {"required": ["COMPUTE_STATUS_ENABLED"], "forbidden": ["CUSTOM_BAD"]},
            "availability_zone": "az1", "aggregate": "fast", "affinity": "different_rack",
            "group": ["s1", "s2"], "count": 2})
        self.assertEqual([(r["Host"], r["Score"], r["Fits"]) for r in rows],
                         [("h1", 70.5, True), ("h2", 50, True)])
        _, err = self.osc("landscape", "placement", "recommend", "--flavor", "m1.small")
        self.assertEqual(self.last("POST")[3], {"flavor_name": "m1.small"})
        self.assertIn("excluded: capacity:VCPU 3, red 1", err)
        n = len(self.fake.requests)
        for bad in ([], ["--vcpus", "1"], ["--flavor", "f", "--vcpus", "1", "--ram-mb", "1"],
                    ["--flavor", "f", "--extra-spec", "a=b"]):
            _, err = self.osc("landscape", "placement", "recommend", *bad, status=1)
            self.assertIn("--flavor", err)
        self.assertEqual(len(self.fake.requests), n)  # refused before asking

    # ---- sources ----

    def test_sources(self):
        src = {"name": "prod", "kind": "openstack", "origin": "openstack:prod", "state": "ok",
               "auth_url": "http://k/v3", "region": "RegionOne", "last_success": "t",
               "last_attempt": "t", "last_error": {"message": "boom", "at": "t"},
               "last_pass": "full", "last_duration_seconds": 1.5, "nodes": 12,
               "consecutive_failures": 0}
        self.fake.routes[("GET", "/v1/sources")] = (200, {"sources": [src]})
        rows = self.osc_json("landscape", "source", "list", "--long")
        self.assertEqual((rows[0]["Name"], rows[0]["Nodes"], rows[0]["Auth URL"],
                          rows[0]["Last Error"]), ("prod", 12, "http://k/v3", "boom"))
        self.fake.routes[("POST", "/v1/sources/prod/sync?full=true&wait=true")] = (200, src)
        self.fake.routes[("POST", "/v1/sources/prod/sync")] = (
            202, {"accepted": True, "pass": "incremental"})
        shown = self.osc_json("landscape", "source", "sync", "prod", "--full", "--wait")
        self.assertEqual(shown["state"], "ok")
        method, path, headers, body = self.last("POST")
        self.assertIsNone(body)
        self.assertNotIn("Content-Type", headers)
        shown = self.osc_json("landscape", "source", "sync", "prod")
        self.assertEqual(shown, {"accepted": True, "pass": "incremental"})
        self.assertEqual(self.last("POST")[1], "/v1/sources/prod/sync")

    # ---- errors and auth ----

    def test_errors_are_one_line_and_non_zero(self):
        _, err = self.osc("landscape", "node", "show", "nova:x:gone", status=1)
        self.assertIn("route_not_found", err)  # the fake's 404 JSON body
        self.fake.routes[("GET", "/v1/nodes/gone")] = (404, {"error": {
            "status": 404, "code": "node_not_found", "message": "node 'gone' does not exist"}})
        _, err = self.osc("landscape", "node", "show", "gone", status=1)
        self.assertEqual(err.strip(),
                         "Landscape: node_not_found (HTTP 404): node 'gone' does not exist")
        self.fake.routes[("GET", "/v1/sources")] = (500, "<html>oops</html>")
        _, err = self.osc("landscape", "source", "list", status=1)
        self.assertIn("bad_answer (HTTP 500)", err)
        url = self.fake.url
        self.fake.stop()
        _, err = self.osc("--landscape-url", url, "landscape", "source", "list", url=False,
                          status=1)
        self.assertIn("Landscape: unreachable", err)

    def test_static_token_from_flag_and_env(self):
        self.fake.routes[("GET", "/v1/sources")] = (200, {"sources": []})
        self.osc("--landscape-token", "s3cret", "landscape", "source", "list")
        self.assertEqual(self.last()[2].get("X-Auth-Token"), "s3cret")
        self.osc("landscape", "source", "list", url=False,
                 env={"LANDSCAPE_URL": self.fake.url, "LANDSCAPE_TOKEN": "fromenv"})
        self.assertEqual(self.last()[2].get("X-Auth-Token"), "fromenv")
        self.osc("landscape", "source", "list")
        self.assertNotIn("X-Auth-Token", self.last()[2])
        _, err = self.osc("landscape", "source", "list", url=False,
                          env={"LANDSCAPE_TOKEN": "t", "OS_AUTH_TYPE": "none"}, status=1)
        self.assertIn("needs --landscape-url", err)

    def keystone(self, endpoint_path="", region="RegionOne"):
        """Makes the fake answer Keystone's POST /identity/v3/auth/tokens with a token whose
        catalog has a landscape endpoint at the fake (under endpoint_path) for public, and a
        wrong one for internal; returns the OS_* environment of a password login."""
        tok = ks_fixture.V3Token(user_name="u", project_name="p")
        svc = tok.add_service("landscape", name="landscape")
        svc.add_endpoint("public", self.fake.url + endpoint_path, region=region)
        svc.add_endpoint("internal", "http://127.0.0.1:9/wrong", region=region)
        tok.add_service("compute").add_endpoint("public", "http://127.0.0.1:9/nova",
                                                region=region)
        self.fake.routes[("POST", "/identity/v3/auth/tokens")] = (
            201, tok, {"X-Subject-Token": "ks-token-1"})
        return {"OS_AUTH_TYPE": "v3password", "OS_AUTH_URL": self.fake.url + "/identity/v3",
                "OS_USERNAME": "u", "OS_PASSWORD": "pw", "OS_PROJECT_NAME": "p",
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_REGION_NAME": region}

    def test_keystone_catalog_gives_the_url_and_the_session_the_token(self):
        env = self.keystone(endpoint_path="/v1/")
        self.fake.routes[("GET", "/v1/nodes")] = (200, {"nodes": [node(1)]})
        out, _ = self.osc("landscape", "node", "list", "-f", "value", "-c", "ID", url=False,
                          env=env)
        self.assertEqual(out.split(), ["n1"])
        auth = [r for r in self.fake.requests if r[1] == "/identity/v3/auth/tokens"]
        self.assertEqual(auth[-1][3]["auth"]["identity"]["password"]["user"]["name"], "u")
        method, path, headers, _ = self.last("GET")
        self.assertEqual(path.split("?")[0], "/v1/nodes")  # catalog's trailing /v1 dropped
        self.assertEqual(headers.get("X-Auth-Token"), "ks-token-1")
        # rule 2: an explicit URL with a cloud still sends the Keystone token
        self.osc("--landscape-url", self.fake.url, "landscape", "node", "list", url=False,
                 env=env)
        self.assertEqual(self.last("GET")[2].get("X-Auth-Token"), "ks-token-1")
        # interface internal: the catalog's internal endpoint (nothing listens there)
        _, err = self.osc("--os-interface", "internal", "landscape", "node", "list",
                          url=False, env=env, status=1)
        self.assertIn("127.0.0.1:9", err)
        # a region without a landscape endpoint: a clear error
        _, err = self.osc("--os-region-name", "Elsewhere", "landscape", "node", "list",
                          url=False, env=env, status=1)
        self.assertIn("no 'landscape' endpoint", err)
        self.assertIn("--landscape-url", err)


class EndpointTest(unittest.TestCase):
    """plugin.find_endpoint through a real keystoneauth session whose auth holds a token with
    a catalog (no Keystone behind it), and plugin.needs_keystone."""

    def session(self):
        tok = ks_fixture.V3Token()
        svc = tok.add_service("landscape")
        svc.add_standard_endpoints(public="http://ls.example:8080/", internal="http://ls-int:8080",
                                   region="RegionOne")
        svc.add_endpoint("public", "http://ls.two:8080/v1", region="RegionTwo")
        from keystoneauth1 import access
        auth = ks_access.AccessInfoPlugin(access.create(body=tok))
        return ks_session.Session(auth=auth)

    def test_lookup(self):
        s = self.session()
        self.assertEqual(plugin.find_endpoint(s, "RegionOne"), "http://ls.example:8080")
        self.assertEqual(plugin.find_endpoint(s, "RegionOne", "internal"), "http://ls-int:8080")
        self.assertEqual(plugin.find_endpoint(s, "RegionTwo", "public"), "http://ls.two:8080")
        with self.assertRaises(osc_exc.CommandError) as cm:
            plugin.find_endpoint(s, "RegionTwo", "admin")
        self.assertIn("interface admin, region RegionTwo", str(cm.exception))
        with self.assertRaises(osc_exc.CommandError):
            plugin.find_endpoint(s, "RegionThree")

    def test_needs_keystone(self):
        def opts(**kw):
            base = {"landscape_url": None, "landscape_token": None, "cloud": "",
                    "auth_url": None}
            return types.SimpleNamespace(**dict(base, **kw))
        self.assertTrue(plugin.needs_keystone(opts()))
        self.assertTrue(plugin.needs_keystone(opts(landscape_token="t")))
        self.assertFalse(plugin.needs_keystone(opts(landscape_url="u")))
        self.assertFalse(plugin.needs_keystone(opts(landscape_url="u", landscape_token="t",
                                                    cloud="c")))
        self.assertTrue(plugin.needs_keystone(opts(landscape_url="u", cloud="c")))
        self.assertTrue(plugin.needs_keystone(opts(landscape_url="u", auth_url="http://k")))


if __name__ == "__main__":
    why = _missing()
    if why:
        print("skipped: " + why)
        sys.exit(77)
    unittest.main(verbosity=2)
