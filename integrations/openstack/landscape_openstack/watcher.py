"""Watcher strategy ``landscape`` (goal ``server_consolidation``): Landscape says which servers
to move off red or overloaded hosts and where; the strategy adds one ``migrate`` action per
move, with Landscape's reasons logged by the decision engine (Watcher 9.0.0's ``migrate``
schema refuses parameters it does not know, so they cannot ride on the action itself).

Registered under the ``watcher_strategies`` entry point as ``landscape``. It needs no Watcher
datasource. Parameters (``openstack optimize audit create -g server_consolidation -s landscape
-p max_moves=3``):

``max_moves``       at most this many migrations per audit (default 10)
``migration_type``  ``live`` (default) or ``cold``

Where the moves come from: ``POST /v1/placement/moves`` with the audit's hosts; when the
service is older and answers 404 there, the strategy works them out itself: the hypervisors
``GET /v1/analytics/colours?type=hypervisor&colour=red`` lists, and for each server on one,
Landscape's first recommendation (``POST /v1/placement/recommendations``) that is another
enabled host of the model.
"""

from oslo_log import log as logging

from watcher import conf as watcher_conf
from watcher.decision_engine.model import element
from watcher.decision_engine.strategy.strategies import base

from landscape_openstack import client as ls_client

LOG = logging.getLogger(__name__)
CONF = watcher_conf.CONF
ls_client.register_opts(CONF)


def _reason_text(reasons):
    """Landscape's reasons (strings or objects) as one line."""
    out = []
    for r in reasons or []:
        if isinstance(r, dict):
            parts = [str(r[k]) for k in ("reason", "metric", "value", "detector", "message")
                     if k in r]
            out.append(" ".join(parts) if parts else str(r))
        else:
            out.append(str(r))
    return "; ".join(out) if out else "no reason given"


class LandscapeStrategy(base.ServerConsolidationBaseStrategy):
    """Moves servers off the hosts Landscape sees red or overloaded, to the hosts it
    recommends."""

    def __init__(self, config, osc=None):
        super().__init__(config, osc)
        self.client = None
        self.moves = []  # [{"server", "from", "to", "reasons"}] of the last execution
        self.released = 0

    @classmethod
    def get_name(cls):
        return "landscape"

    @classmethod
    def get_display_name(cls):
        return "Landscape: move servers off red or overloaded hosts"

    @classmethod
    def get_translatable_display_name(cls):
        return "Landscape: move servers off red or overloaded hosts"

    @classmethod
    def get_schema(cls):
        return {
            "properties": {
                "max_moves": {"description": "at most this many migrations per audit",
                              "type": "integer", "minimum": 1, "default": 10},
                "migration_type": {"description": "live or cold", "type": "string",
                                   "enum": ["live", "cold"], "default": "live"},
            },
        }

    @classmethod
    def get_config_opts(cls):
        return []  # no datasource: Landscape is the source

    def pre_execute(self):
        self._pre_execute()
        if self.client is None:
            self.client = ls_client.Client.from_conf(CONF)

    def _usable_nodes(self):
        """hostname -> ComputeNode of the enabled, up hosts in the audit's model."""
        out = {}
        for node in self.compute_model.get_all_compute_nodes().values():
            if (node.status == element.ServiceState.ENABLED.value
                    and node.state == element.ServiceState.ONLINE.value):
                out[node.hostname] = node
        return out

    def _ask_moves(self, hostnames, limit):
        try:
            answer = self.client.moves({"hosts": sorted(hostnames), "limit": limit})
            return answer["moves"]
        except ls_client.LandscapeError as e:
            if e.status not in (404, 405):
                raise
            LOG.info("Landscape has no /v1/placement/moves (%s): moves from colours and "
                     "recommendations", e)
        return self._moves_from_colours(hostnames, limit)

    def _moves_from_colours(self, hostnames, limit):
        names = {n["id"]: n.get("name") for n in self.client.nodes(type="hypervisor")}
        red = {}
        for n in self.client.colours(type="hypervisor", colour="red").get("nodes", []):
            name = names.get(n.get("id"))
            if name in hostnames:
                red[name] = n.get("reasons", [])
        moves = []
        for host in sorted(red):
            node = self.compute_model.get_node_by_name(host)
            for inst in self.compute_model.get_node_instances(node):
                if len(moves) >= limit:
                    return moves
                req = {"flavor": {"vcpus": inst.vcpus, "ram_mb": inst.memory,
                                  "disk_gb": inst.disk}}
                rec = self.client.recommendations(req)
                dst = next((h for h in rec["hosts"]
                            if h["host"] != host and h["host"] in hostnames
                            and h["host"] not in red and h.get("fits", True)), None)
                if dst is None:
                    LOG.warning("Landscape: no host to move %s (%s) to off red %s",
                                inst.name, inst.uuid, host)
                    continue
                moves.append({"server": inst.uuid, "from": host, "to": dst["host"],
                              "reasons": ["%s is red: %s" % (host, _reason_text(red[host]))]
                              + list(dst.get("reasons", []))})
        return moves

    def _instance_of(self, server):
        """The model's instance for Landscape's server id (a Nova UUID, or a node id ending
        in one), or None."""
        for candidate in (server, str(server).rsplit(":", 1)[-1]):
            try:
                return self.compute_model.get_instance_by_uuid(candidate)
            except Exception:  # watcher raises InstanceNotFound; any miss is "not here"
                continue
        return None

    def do_execute(self, audit=None):
        nodes = self._usable_nodes()
        limit = int(self.input_parameters.get("max_moves", 10))
        mtype = self.input_parameters.get("migration_type", "live")
        self.moves = []
        emptied = {}
        for mv in self._ask_moves(set(nodes), limit):
            if len(self.moves) >= limit:
                break
            inst = self._instance_of(mv.get("server"))
            src_name, dst_name = mv.get("from"), mv.get("to")
            if inst is None or dst_name not in nodes:
                LOG.warning("Landscape move %s skipped: server or destination not in the "
                            "audit's model", mv)
                continue
            src = self.compute_model.get_node_by_instance_uuid(inst.uuid)
            if src_name and src.hostname != src_name:
                LOG.warning("Landscape move of %s from %s: the model has it on %s (its view "
                            "is older or newer); moving from %s", inst.uuid, src_name,
                            src.hostname, src.hostname)
            if src.hostname == dst_name:
                continue
            self.add_action_migrate(inst, mtype, src, nodes[dst_name])
            reasons = _reason_text(mv.get("reasons"))
            LOG.info("Landscape: migrate %s (%s) %s -> %s: %s", inst.name, inst.uuid,
                     src.hostname, dst_name, reasons)
            self.moves.append({"server": inst.uuid, "from": src.hostname, "to": dst_name,
                               "reasons": reasons})
            emptied.setdefault(src.hostname, set()).add(inst.uuid)
        self.released = sum(
            1 for host, gone in emptied.items()
            if {i.uuid for i in self.compute_model.get_node_instances(
                self.compute_model.get_node_by_name(host))} <= gone)

    def post_execute(self):
        self.solution.set_efficacy_indicators(
            compute_nodes_count=len(self.compute_model.get_all_compute_nodes()),
            released_compute_nodes_count=self.released,
            instance_migrations_count=len(self.moves),
        )
