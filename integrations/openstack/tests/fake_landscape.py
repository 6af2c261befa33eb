"""A stand-in landscaped on loopback for the unit tests, in a process of its own (Watcher
monkey-patches threads with eventlet, so a server thread in the test process would never
run). The test sets answers with ``fake.routes[(method, path)] = (status, body[, headers])``
(a path with a query matches before the bare path), ``fake.delay = seconds`` (a stalled service), and
reads what was asked with ``fake.requests`` / ``fake.posts(path)``; ``stop()`` closes it
(connection refused from then on)."""

import http.server
import json
import os
import subprocess
import sys
import time
import urllib.request


def _serve():
    state = {"routes": {}, "requests": [], "delay": 0.0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, data, headers=None):
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def _answer(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            if self.path.startswith("/_fake/"):
                if self.path == "/_fake/set":
                    state.update(json.loads(raw))
                    return self._send(200, b"{}")
                return self._send(200, json.dumps(state["requests"]).encode())
            body = json.loads(raw) if raw else None
            state["requests"].append([method, self.path, dict(self.headers), body])
            if state["delay"]:
                time.sleep(state["delay"])
            route = (state["routes"].get("%s %s" % (method, self.path))
                     or state["routes"].get("%s %s" % (method, self.path.split("?")[0])))
            if route is None:
                route = [404, {"error": {"status": 404, "code": "route_not_found",
                                         "message": "no route %s" % self.path}}]
            status, out = route[0], route[1]
            data = out.encode() if isinstance(out, str) else json.dumps(out).encode()
            self._send(status, data, route[2] if len(route) > 2 else None)

        def do_GET(self):
            self._answer("GET")

        def do_POST(self):
            self._answer("POST")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


class _Routes(dict):
    def __init__(self, fake):
        super().__init__()
        self.fake = fake

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.fake._set(routes={"%s %s" % k: list(v) for k, v in self.items()})


class FakeLandscape:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__)],
                                     stdout=subprocess.PIPE, text=True)
        self.url = "http://127.0.0.1:%d" % int(self.proc.stdout.readline())
        self.routes = _Routes(self)
        self._delay = 0.0

    def _control(self, path, body=None):
        req = urllib.request.Request(self.url + path, method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def _set(self, **what):
        self._control("/_fake/set", what)

    @property
    def delay(self):
        return self._delay

    @delay.setter
    def delay(self, seconds):
        self._delay = seconds
        self._set(delay=seconds)

    @property
    def requests(self):
        """[(method, path with query, headers, decoded body)] in order."""
        return [tuple(r) for r in self._control("/_fake/requests")]

    def posts(self, path):
        return [r for r in self.requests if r[0] == "POST" and r[1] == path]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
            self.proc.stdout.close()


def recommendations(*hosts, excluded=None):
    """A recommendations answer, best first: hosts are (name, score) or (name, score, fits)."""
    out = []
    for i, h in enumerate(hosts):
        out.append({"host": h[0], "node": "nova:hypervisor:%s" % h[0], "score": h[1],
                    "fits": h[2] if len(h) > 2 else True, "reasons": ["rank %d" % (i + 1)]})
    return 200, {"hosts": out, "excluded": excluded or {}}


if __name__ == "__main__":
    _serve()
