"""openstack landscape node list|show, subgraph, history, diff: the graph, now or as of a
time (GET /v1/nodes[/{id}[/subgraph|/history]], GET /v1/graph/diff)."""

from osc_lib.command import command

from landscape_openstack.osc import common
from landscape_openstack.osc.common import Field

NODE_FIELDS = [Field("ID"), Field("Name"), Field("Type"), Field("Layer"), Field("State")]
NODE_LONG = [Field("Source"), Field("Revision"), Field("Updated At")]


def _node_fields(parsed_args):
    return NODE_FIELDS + (NODE_LONG if getattr(parsed_args, "long", False) else [])


def _add_at(parser, what):
    parser.add_argument("--at", metavar="<time>",
                        help="%s as of this time (RFC 3339), from the stored history" % what)


def _add_node(parser):
    parser.add_argument("node", metavar="<node>", help="Node id (<source>:<type>:<native id>)")


def _add_edges(parser):
    parser.add_argument("--edges", action="store_true",
                        help="List the edges instead of the nodes")


class ListNode(common.LandscapeCommand, command.Lister):
    """List nodes (GET /v1/nodes), following every page"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        for name in ("layer", "type", "state", "name", "source"):
            parser.add_argument("--" + name, metavar="<%s>" % name,
                                help="Only nodes of this %s" % name)
        parser.add_argument("--attr", metavar="<key=value>", type=common.key_value,
                            action="append", default=[],
                            help="Only nodes whose attrs.<key> is <value> (repeatable)")
        _add_at(parser, "The nodes")
        parser.add_argument("--limit", metavar="<n>", type=int,
                            help="At most this many nodes (default: all)")
        parser.add_argument("--marker", metavar="<node>",
                            help="Start after this node id")
        parser.add_argument("--long", action="store_true",
                            help="Also source, revision and update time")
        return parser

    def action(self, client, parsed_args):
        params = {k: getattr(parsed_args, k)
                  for k in ("layer", "type", "state", "name", "source", "at", "marker")}
        params.update(("attr." + k, v) for k, v in parsed_args.attr)
        nodes = client.nodes(max_count=parsed_args.limit, **params)
        return common.listing(nodes, _node_fields(parsed_args))


class ShowNode(common.LandscapeCommand, command.ShowOne):
    """Show one node (GET /v1/nodes/{id}): every field, attrs and telemetry summary included"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_node(parser)
        _add_at(parser, "The node")
        return parser

    def action(self, client, parsed_args):
        return common.showing(client.get(common.path("nodes", parsed_args.node),
                                         at=parsed_args.at))


class Subgraph(common.LandscapeCommand, command.Lister):
    """List a node's neighbourhood, breadth first, root first (GET /v1/nodes/{id}/subgraph)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_node(parser)
        parser.add_argument("--depth", metavar="<n>", type=int,
                            help="Edges away from the root (service default 2)")
        parser.add_argument("--direction", choices=("in", "out", "both"),
                            help="Follow edges into, out of the node, or both (default)")
        parser.add_argument("--edge-type", metavar="<type>",
                            help="Follow only edges of this type (runs_on, contains, ...)")
        parser.add_argument("--max-nodes", metavar="<n>", type=int,
                            help="Stop after this many nodes")
        _add_at(parser, "The neighbourhood")
        _add_edges(parser)
        parser.add_argument("--long", action="store_true",
                            help="Also source, revision and update time of nodes")
        return parser

    def action(self, client, parsed_args):
        answer = client.get(common.path("nodes", parsed_args.node, "subgraph"),
                            depth=parsed_args.depth, direction=parsed_args.direction,
                            edge_type=parsed_args.edge_type, max_nodes=parsed_args.max_nodes,
                            at=parsed_args.at)
        if answer.get("truncated"):
            self.app.stderr.write("warning: the subgraph was truncated (--max-nodes or the "
                                  "service's max-subgraph-nodes)\n")
        if parsed_args.edges:
            return common.listing(answer.get("edges", []), common.edge_fields())
        return common.listing(answer.get("nodes", []), _node_fields(parsed_args))


VERSION_FIELDS = [Field("Revision"), Field("Valid From"), Field("Valid To")]


class History(common.LandscapeCommand, command.Lister):
    """List every version of a node, or of its edges (GET /v1/nodes/{id}/history)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_node(parser)
        parser.add_argument("--limit", metavar="<n>", type=int,
                            help="At most this many versions")
        _add_edges(parser)
        return parser

    def action(self, client, parsed_args):
        answer = client.get(common.path("nodes", parsed_args.node, "history"),
                            limit=parsed_args.limit)
        if parsed_args.edges:
            return common.listing(answer.get("edges", []),
                                  common.edge_fields(VERSION_FIELDS))
        return common.listing(answer.get("versions", []),
                              VERSION_FIELDS + NODE_FIELDS[1:] + [Field("Attrs")])


def _changed_fields(change):
    before, after = change.get("before") or {}, change.get("after") or {}
    skip = ("revision", "updated_at", "valid_from", "valid_to")
    return sorted(k for k in set(before) | set(after)
                  if k not in skip and before.get(k) != after.get(k))


class Diff(common.LandscapeCommand, command.Lister):
    """List what changed in the graph between two times (GET /v1/graph/diff)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--from", dest="from_", metavar="<time>", required=True,
                            help="The earlier time (RFC 3339)")
        parser.add_argument("--to", metavar="<time>", help="The later time (default: now)")
        parser.add_argument("--limit", metavar="<n>", type=int,
                            help="At most this many changes of each kind")
        return parser

    def action(self, client, parsed_args):
        answer = client.get("/v1/graph/diff", **{"from": parsed_args.from_,
                                                 "to": parsed_args.to,
                                                 "limit": parsed_args.limit})
        rows = []
        for change, kind, key in (("added", "node", "added"), ("removed", "node", "removed"),
                                  ("added", "edge", "edges_added"),
                                  ("removed", "edge", "edges_removed")):
            for obj in answer.get(key, []):
                rows.append({"change": change, "kind": kind, "id": obj.get("id"),
                             "type": obj.get("type"), "name": obj.get("name"), "fields": []})
        for c in answer.get("changed", []):
            after = c.get("after") or {}
            rows.append({"change": "changed", "kind": "node", "id": after.get("id"),
                         "type": after.get("type"), "name": after.get("name"),
                         "fields": _changed_fields(c)})
        fields = [Field("Change"), Field("Kind"), Field("ID"), Field("Type"), Field("Name"),
                  Field("Fields")]
        return common.listing(rows, fields)
