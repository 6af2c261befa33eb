"""openstack landscape source list|sync: the OpenStack clouds Landscape imports
(GET /v1/sources, POST /v1/sources/{name}/sync)."""

from osc_lib.command import command

from landscape_openstack.osc import common
from landscape_openstack.osc.common import Field


def _error_message(source):
    err = source.get("last_error")
    return err.get("message") if isinstance(err, dict) else None


class ListSource(common.LandscapeCommand, command.Lister):
    """List each imported cloud and its sync status (GET /v1/sources)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--long", action="store_true",
                            help="Also auth URL, last pass, duration and error")
        return parser

    def action(self, client, parsed_args):
        fields = [Field("Name"), Field("Kind"), Field("State"), Field("Region"),
                  Field("Nodes"), Field("Last Success"), Field("Consecutive Failures")]
        if parsed_args.long:
            fields += [Field("Auth URL"), Field("Last Pass"),
                       Field("Last Duration Seconds"), Field("Last Attempt"),
                       Field("Last Error", get=_error_message)]
        return common.listing(client.get("/v1/sources").get("sources", []), fields)


class SyncSource(common.LandscapeCommand, command.ShowOne):
    """Start a sync pass of one cloud now (POST /v1/sources/{name}/sync; admin)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("source", metavar="<source>", help="Cloud name (source list)")
        parser.add_argument("--full", action="store_true",
                            help="A full reconciliation (default: incremental)")
        parser.add_argument("--wait", action="store_true",
                            help="Run the pass on this request and show the status after it")
        return parser

    def action(self, client, parsed_args):
        params = {k: "true" for k in ("full", "wait") if getattr(parsed_args, k)}
        answer = client.request("POST", common.path("sources", parsed_args.source, "sync"),
                                params=params)
        return common.showing(answer or {})
