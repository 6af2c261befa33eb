"""openstack landscape incident list|show, rca, dependency list: what the analytics found
(GET /v1/analytics/incidents[/{id}], POST /v1/analytics/rca, GET /v1/analytics/dependencies)."""

from osc_lib.command import command

from landscape_openstack.osc import common
from landscape_openstack.osc.common import Field


def _add_window(parser, required, what):
    parser.add_argument("--from", dest="from_", metavar="<time>", required=required,
                        help="Start of the window (RFC 3339%s)" % what)
    parser.add_argument("--to", metavar="<time>", required=required,
                        help="End of the window (RFC 3339%s)" % what)


def _top_cause(incident):
    causes = incident.get("causes") or []
    return causes[0].get("id") if causes else None


class ListIncident(common.LandscapeCommand, command.Lister):
    """List incidents, newest first (GET /v1/analytics/incidents), following every page"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--state", choices=("open", "resolved"),
                            help="Only open or only resolved incidents")
        _add_window(parser, False, "; incidents open at some time in it")
        parser.add_argument("--limit", metavar="<n>", type=int,
                            help="At most this many incidents (default: all)")
        return parser

    def action(self, client, parsed_args):
        incidents = client.pages("/v1/analytics/incidents", "incidents", parsed_args.limit,
                                 state=parsed_args.state, to=parsed_args.to,
                                 **{"from": parsed_args.from_})
        fields = [Field("ID"), Field("State"), Field("Opened At"), Field("Updated At"),
                  Field("Resolved At"), Field("Nodes", get=lambda i: len(i.get("nodes") or [])),
                  Field("Top Cause", get=_top_cause)]
        return common.listing(incidents, fields)


class ShowIncident(common.LandscapeCommand, command.ShowOne):
    """Show one incident with its ranked causes (GET /v1/analytics/incidents/{id})"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("incident", metavar="<incident>", help="Incident id (a number)")
        return parser

    def action(self, client, parsed_args):
        return common.showing(client.get(common.path("analytics", "incidents",
                                                     parsed_args.incident)))


class Rca(common.LandscapeCommand, command.Lister):
    """Rank the root causes of a window's anomalies (POST /v1/analytics/rca)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_window(parser, True, " or unix seconds")
        parser.add_argument("--baseline-from", metavar="<time>",
                            help="Start of the normal window to compare with (default: the "
                                 "hour before --from; with --baseline-to)")
        parser.add_argument("--baseline-to", metavar="<time>",
                            help="End of the normal window")
        parser.add_argument("--node", metavar="<node>", action="append", dest="nodes",
                            help="Only this node's series (repeatable; default: all)")
        parser.add_argument("--limit", metavar="<n>", type=int,
                            help="At most this many causes (service default 10)")
        parser.add_argument("--method", choices=("propagation", "zscore", "random"),
                            help="Ranking method (default propagation)")
        parser.add_argument("--anomalous", action="store_true",
                            help="List the anomalous nodes instead of the causes")
        return parser

    def action(self, client, parsed_args):
        body = {"from": _time(parsed_args.from_), "to": _time(parsed_args.to)}
        if parsed_args.baseline_from or parsed_args.baseline_to:
            half = {"from": parsed_args.baseline_from, "to": parsed_args.baseline_to}
            body["baseline"] = {k: _time(v) for k, v in half.items() if v is not None}
        for key in ("nodes", "limit", "method"):
            if getattr(parsed_args, key) is not None:
                body[key] = getattr(parsed_args, key)
        answer = client.post("/v1/analytics/rca", body)
        if parsed_args.anomalous:
            return common.listing([{"id": n} for n in answer.get("anomalous", [])],
                                  [Field("ID")])
        causes = [dict(c, rank=i + 1) for i, c in enumerate(answer.get("causes", []))]
        fields = [Field("Rank"), Field("ID"), Field("Score"), Field("Metric"), Field("Reason"),
                  Field("Path")]
        return common.listing(causes, fields)


def _time(text):
    """A time argument as the API takes it: unix seconds as a number, else the string (RFC
    3339, checked by Landscape); None stays None (Landscape names the missing half)."""
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


class ListDependency(common.LandscapeCommand, command.Lister):
    """List inferred depends_on edges with their evidence (GET /v1/analytics/dependencies)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_window(parser, False, "; edges whose evidence overlaps it")
        parser.add_argument("--min-strength", metavar="<0..1>", type=float,
                            help="Only edges at least this strong")
        parser.add_argument("--status", choices=("inferred", "confirmed", "rejected", "all"),
                            help="Operator verdict (default: inferred and confirmed)")
        parser.add_argument("--long", action="store_true",
                            help="Also calls, errors, rate, latency, lag, first seen")
        return parser

    def action(self, client, parsed_args):
        answer = client.get("/v1/analytics/dependencies", to=parsed_args.to,
                            min_strength=parsed_args.min_strength, status=parsed_args.status,
                            **{"from": parsed_args.from_})
        fields = [Field("ID", "key"), Field("From", "src"), Field("To", "dst"),
                  Field("Strength"), Field("Evidence"), Field("Status"), Field("Last Seen")]
        if parsed_args.long:
            fields += [Field("Calls"), Field("Errors"), Field("Error Ratio"),
                       Field("Rate Per S"), Field("Latency Ms"), Field("Lag S"),
                       Field("First Seen")]
        return common.listing(answer.get("dependencies", []), fields)
