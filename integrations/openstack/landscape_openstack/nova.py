"""Nova scheduler plugins: ``LandscapeWeigher`` and ``LandscapeFilter``.

Both ask Landscape once per call of Nova's batch hooks (``weigh_objects``, ``filter_all``),
that is once per scheduling request and instance, with ``POST /v1/placement/recommendations``
built from the request spec (flavor, traits from ``trait:*`` extra specs, availability zone,
server-group policy and members). The answer's ``host`` is matched against each candidate's
``nodename`` (the hypervisor_hostname) and then its ``host``.

nova-scheduler's configuration::

    [filter_scheduler]
    available_filters = nova.scheduler.filters.all_filters
    available_filters = landscape_openstack.nova.LandscapeFilter
    enabled_filters = ComputeFilter,...,LandscapeFilter
    weight_classes = nova.scheduler.weights.all_weighers,landscape_openstack.nova.LandscapeWeigher
    [landscape]
    url = http://127.0.0.1:8080
    weight_multiplier = 1000.0
"""

import time

from oslo_log import log as logging

import nova.conf
from nova.scheduler import filters
from nova.scheduler import utils as sched_utils
from nova.scheduler import weights

from landscape_openstack import client as ls_client

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF
ls_client.register_opts(CONF)

_client = None


def get_client():
    """The process's client, built from CONF on first use."""
    global _client
    if _client is None:
        _client = ls_client.Client.from_conf(CONF)
    return _client


def reset_client():
    """Forget the client (tests, or after CONF changed)."""
    global _client
    _client = None


def _get(obj, name, default=None):
    """obj.name for a Nova versioned object or a dict; default when unset."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    try:
        if hasattr(obj, "obj_attr_is_set") and not obj.obj_attr_is_set(name):
            return default
        return getattr(obj, name, default)
    except NotImplementedError:  # a lazy-loadable field with no context
        return default


_AFFINITY = {"affinity": "same_host", "anti-affinity": "different_host",
             "soft-affinity": "same_host", "soft-anti-affinity": "different_host"}


def request_from_spec(spec_obj):
    """Landscape's recommendation request for a Nova RequestSpec: the resources Placement
    would claim (DISK_GB = root + ephemeral + swap, no root disk when booted from volume),
    extra specs, traits, availability zone, server-group policy."""
    flavor = _get(spec_obj, "flavor")
    extra = dict(_get(flavor, "extra_specs", {}) or {})
    root = 0 if _get(spec_obj, "is_bfv", False) else int(_get(flavor, "root_gb", 0) or 0)
    swap_mb = int(_get(flavor, "swap", 0) or 0)
    disk = root + int(_get(flavor, "ephemeral_gb", 0) or 0) + (swap_mb + 1023) // 1024
    req = {"flavor": {"vcpus": int(_get(flavor, "vcpus", 0) or 0),
                      "ram_mb": int(_get(flavor, "memory_mb", 0) or 0),
                      "disk_gb": disk}}
    if extra:
        req["flavor"]["extra_specs"] = {str(k): str(v) for k, v in extra.items()}
    required = sorted(k[6:] for k, v in extra.items()
                      if k.startswith("trait:") and v == "required")
    forbidden = sorted(k[6:] for k, v in extra.items()
                       if k.startswith("trait:") and v == "forbidden")
    if required or forbidden:
        req["traits"] = {"required": required, "forbidden": forbidden}
    az = _get(spec_obj, "availability_zone")
    if az:
        req["availability_zone"] = az
    group = _get(spec_obj, "instance_group")
    if group is not None:
        policy = _get(group, "policy")
        if policy in _AFFINITY:
            req["affinity"] = _AFFINITY[policy]
            members = _get(group, "members", []) or []
            req["group"] = [str(m) for m in members]
    return req


def _names(host_state):
    return (_get(host_state, "nodename"), _get(host_state, "host"))


def _score_of(scores, host_state):
    for name in _names(host_state):
        if name in scores:
            return scores[name]
    return None


def _instance(spec_obj):
    return _get(spec_obj, "instance_uuid") or "?"


def _log_time(plugin, spec_obj, start, outcome):
    """One debug line per batch hook call with the time it added to scheduling (request built,
    Landscape asked, answer applied), e.g. ``LandscapeWeigher: instance U: 3 hosts weighed in
    1.234 ms``; the harness test reads these from nova-scheduler's log."""
    LOG.debug("%s: instance %s: %s in %.3f ms", plugin, _instance(spec_obj), outcome,
              (time.monotonic() - start) * 1000.0)


class LandscapeWeigher(weights.BaseHostWeigher):
    """Weighs every candidate with Landscape's score in one request; on any failure every
    host gets the same weight (0) and a warning is logged: Nova's other weighers decide."""

    def weight_multiplier(self, host_state):
        return sched_utils.get_weight_multiplier(
            host_state, "landscape_weight_multiplier", CONF.landscape.weight_multiplier)

    def _weigh_object(self, host_state, weight_properties):
        return self.weigh_objects([weights.WeighedHost(host_state, 0.0)], weight_properties)[0]

    def weigh_objects(self, weighed_obj_list, weight_properties):
        start = time.monotonic()
        hosts = [w.obj for w in weighed_obj_list]
        if not hosts:
            return []
        result = self._weights(hosts, weight_properties)
        _log_time("LandscapeWeigher", weight_properties, start,
                  "%d hosts weighed" % len(hosts))
        return result

    def _weights(self, hosts, weight_properties):
        try:
            answer = get_client().recommendations(request_from_spec(weight_properties))
        except ls_client.LandscapeError as e:
            LOG.warning("Landscape did not answer for instance %s (%s): every host weighs the "
                        "same (fail-open)", _instance(weight_properties), e)
            return [0.0] * len(hosts)
        scores = {}
        for h in answer["hosts"]:
            try:
                scores.setdefault(h["host"], float(h.get("score", 0.0)))
            except (TypeError, ValueError):
                continue
        found = [_score_of(scores, hs) for hs in hosts]
        known = [s for s in found if s is not None]
        if not known:
            LOG.warning("Landscape recommends none of the %d candidate hosts for instance %s: "
                        "every host weighs the same", len(hosts), _instance(weight_properties))
            return [0.0] * len(hosts)
        # A candidate Landscape left out (excluded: red, does not fit, unknown) weighs one
        # spread below the worst host it recommends.
        lo, hi = min(known), max(known)
        floor = lo - max(hi - lo, 1.0)
        result = [s if s is not None else floor for s in found]
        LOG.debug("Landscape weights for instance %s: %s", _instance(weight_properties),
                  {_names(hs)[0]: w for hs, w in zip(hosts, result)})
        return result


class LandscapeFilter(filters.BaseHostFilter):
    """Keeps the candidates Landscape recommends with ``fits`` true: red hosts, hosts that do
    not fit and hosts Landscape does not know are removed. One request per ``filter_all``.
    When Landscape cannot be asked: every host passes with ``[landscape] fail_open = true``
    (the default), none with false; a warning is logged either way."""

    RUN_ON_REBUILD = False

    def filter_all(self, filter_obj_list, spec_obj):
        start = time.monotonic()
        hosts = list(filter_obj_list)
        if not hosts:
            return hosts
        kept = self._kept(hosts, spec_obj)
        _log_time("LandscapeFilter", spec_obj, start,
                  "%d of %d hosts kept" % (len(kept), len(hosts)))
        return kept

    def _kept(self, hosts, spec_obj):
        try:
            answer = get_client().recommendations(request_from_spec(spec_obj))
        except ls_client.LandscapeError as e:
            if CONF.landscape.fail_open:
                LOG.warning("Landscape did not answer for instance %s (%s): all %d hosts pass "
                            "(fail_open)", _instance(spec_obj), e, len(hosts))
                return hosts
            LOG.warning("Landscape did not answer for instance %s (%s): no host passes "
                        "(fail_open = false)", _instance(spec_obj), e)
            return []
        fits = {h["host"] for h in answer["hosts"] if h.get("fits", True) is True}
        kept = [hs for hs in hosts if any(n in fits for n in _names(hs))]
        if len(kept) != len(hosts):
            LOG.info("LandscapeFilter removed %s for instance %s (Landscape excluded: %s)",
                     sorted(str(_names(hs)[0]) for hs in hosts if hs not in kept),
                     _instance(spec_obj), answer.get("excluded", {}))
        return kept

    def host_passes(self, host_state, spec_obj):
        return bool(self.filter_all([host_state], spec_obj))
