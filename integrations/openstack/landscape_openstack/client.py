"""The one client of Landscape's REST API that the Nova, Watcher and CLI plugins share.

Options live in a ``[landscape]`` group that ``register_opts`` adds to the service's own
``oslo.config`` object (``nova.conf.CONF``, ``watcher.conf.CONF``):

``url``                landscaped's base URL (``http://127.0.0.1:8080``)
``timeout``            seconds for one request, connect and read (1.0)
``token``              a static token sent as ``X-Auth-Token`` (landscaped ``--auth tokens``)
``weight_multiplier``  the Nova weigher's multiplier (1.0)
``fail_open``          the Nova filter lets every host through when Landscape does not answer
                       (True)
``auth_type`` / ``auth_section`` and the plugin's options: a Keystone session instead of a
static token (landscaped ``--auth keystone``); the token is the session's, renewed by it.

Every failure (connection refused, timeout, an HTTP error, an answer that is not JSON) is one
exception, ``LandscapeError``, whose ``status`` and ``code`` come from Landscape's error shape
``{"error": {"status", "code", "message"}}`` when it answered with one.
"""

import json
import time

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from oslo_config import cfg

GROUP = "landscape"

OPTS = [
    cfg.StrOpt("url", default="http://127.0.0.1:8080",
               help="Base URL of landscaped (scheme://host:port, no path)."),
    cfg.FloatOpt("timeout", default=1.0, min=0.001,
                 help="Seconds one request to Landscape may take (connect and read); "
                      "past it the plugins fail open (weigher: equal weights; filter: "
                      "see fail_open)."),
    cfg.StrOpt("token", secret=True,
               help="Static token sent as X-Auth-Token (landscaped --auth tokens). When "
                    "unset and auth_type is set, a Keystone session's token is used."),
    cfg.FloatOpt("weight_multiplier", default=1.0,
                 help="Multiplier of LandscapeWeigher (an aggregate's "
                      "landscape_weight_multiplier metadata overrides it). The in-tree "
                      "weighers add up to a few units: 1000 makes Landscape decide."),
    cfg.BoolOpt("fail_open", default=True,
                help="LandscapeFilter: when Landscape cannot be asked, pass every host "
                     "(true) or none (false)."),
]


def register_opts(conf):
    """Adds the [landscape] options (and Keystone auth_type/auth_section) to conf; safe to
    call twice."""
    conf.register_opts(OPTS, group=GROUP)
    try:
        ks_loading.register_auth_conf_options(conf, GROUP)
    except cfg.DuplicateOptError:
        pass


def list_opts():
    """oslo-config-generator hook."""
    return [(GROUP, OPTS + ks_loading.get_auth_common_conf_options())]


class LandscapeError(Exception):
    """Landscape could not be asked, or refused: ``status`` (HTTP status or None when there
    was no answer), ``code`` (Landscape's error code, or ``timeout`` / ``unreachable`` /
    ``bad_answer``), ``message``."""

    def __init__(self, status, code, message):
        super().__init__("%s%s: %s" % (code, " (HTTP %d)" % status if status else "", message))
        self.status = status
        self.code = code
        self.message = message


class Client:
    """Speaks to one landscaped. ``auth`` is a keystoneauth plugin or None; ``token`` a static
    token (wins over ``auth``). Not thread-safe for reconfiguration, safe for concurrent
    requests (the keystoneauth session is)."""

    def __init__(self, url, token=None, timeout=1.0, auth=None, session=None):
        self.url = url.rstrip("/")
        self.token = token or None
        self.timeout = timeout
        self.auth = auth
        self.session = session or ks_session.Session(auth=auth)
        self.last_elapsed = None  # seconds the last request took (benchmarks, logs)

    @classmethod
    def from_conf(cls, conf):
        """A client from conf's [landscape] group (register_opts first)."""
        group = conf[GROUP]
        auth = None
        if not group.token and group.auth_type:
            auth = ks_loading.load_auth_from_conf_options(conf, GROUP)
        return cls(group.url, token=group.token, timeout=group.timeout, auth=auth)

    def request(self, method, path, body=None, params=None):
        """One request; the decoded JSON answer (None for 204). Raises LandscapeError."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["X-Auth-Token"] = self.token
        kwargs = {"headers": headers, "raise_exc": False, "timeout": self.timeout,
                  "authenticated": self.auth is not None and not self.token}
        if body is not None:
            kwargs["json"] = body
        if params:
            kwargs["params"] = params
        start = time.monotonic()
        try:
            resp = self.session.request(self.url + path, method, **kwargs)
        except ks_exc.ConnectTimeout as e:
            raise LandscapeError(None, "timeout", "connect: %s" % e) from e
        except ks_exc.RequestTimeout as e:
            raise LandscapeError(None, "timeout", str(e)) from e
        except ks_exc.ClientException as e:  # connection refused, DNS, Keystone failed
            raise LandscapeError(None, "unreachable", str(e)) from e
        finally:
            self.last_elapsed = time.monotonic() - start
        if resp.status_code == 204:
            return None
        try:
            answer = json.loads(resp.text) if resp.text else None
        except ValueError as e:
            raise LandscapeError(resp.status_code, "bad_answer",
                                 "%s %s: not JSON: %s" % (method, path, e)) from e
        if resp.status_code >= 400:
            err = answer.get("error") if isinstance(answer, dict) else None
            if isinstance(err, dict):
                raise LandscapeError(resp.status_code, str(err.get("code", "http_error")),
                                     str(err.get("message", "")))
            raise LandscapeError(resp.status_code, "http_error", "%s %s" % (method, path))
        return answer

    def get(self, path, **params):
        return self.request("GET", path, params={k: v for k, v in params.items()
                                                 if v is not None})

    def post(self, path, body):
        return self.request("POST", path, body=body)

    # The endpoints the plugins use, one function each.

    def recommendations(self, request):
        """POST /v1/placement/recommendations; request as in docs/api.md. Returns the answer
        ({"hosts": [...], "excluded": {...}}) after checking its shape."""
        answer = self.post("/v1/placement/recommendations", request)
        if not isinstance(answer, dict) or not isinstance(answer.get("hosts"), list):
            raise LandscapeError(200, "bad_answer", "recommendations: no 'hosts' list")
        for h in answer["hosts"]:
            if not isinstance(h, dict) or not isinstance(h.get("host"), str):
                raise LandscapeError(200, "bad_answer", "recommendations: a host without name")
        return answer

    def moves(self, request):
        """POST /v1/placement/moves: which servers to move off red or overloaded hosts, and
        where. Returns {"moves": [{"server", "from", "to", "reasons"}...]}."""
        answer = self.post("/v1/placement/moves", request)
        if not isinstance(answer, dict) or not isinstance(answer.get("moves"), list):
            raise LandscapeError(200, "bad_answer", "moves: no 'moves' list")
        return answer

    def colours(self, **params):
        """GET /v1/analytics/colours (layer, type, colour, at)."""
        return self.get("/v1/analytics/colours", **params)

    def pages(self, path, key, max_count=None, **params):
        """Every page of a listing endpoint that pages by ``marker`` (the last item's id) while
        its answer has ``next`` (GET /v1/nodes, /v1/analytics/incidents): the items under
        ``key``, at most max_count of them (None: all)."""
        out = []
        params = {k: v for k, v in params.items() if v is not None}
        params.setdefault("limit", 1000)
        if max_count is not None:
            params["limit"] = max(1, min(params["limit"], max_count))
        while True:
            page = self.get(path, **params)
            items = page.get(key) if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise LandscapeError(200, "bad_answer", "%s: no '%s' list" % (path, key))
            out.extend(items)
            if max_count is not None and len(out) >= max_count:
                return out[:max_count]
            if not page.get("next") or not items:
                return out
            params["marker"] = items[-1]["id"]

    def nodes(self, max_count=None, **params):
        """Every page of GET /v1/nodes with these filters: a list of nodes."""
        return self.pages("/v1/nodes", "nodes", max_count, **params)
