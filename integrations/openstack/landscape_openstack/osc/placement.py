"""openstack landscape placement recommend: which hypervisors can take one server, best first
(POST /v1/placement/recommendations)."""

from osc_lib import exceptions as osc_exc
from osc_lib.command import command

from landscape_openstack.osc import common
from landscape_openstack.osc.common import Field

AFFINITIES = ("same_host", "different_host", "same_rack", "different_rack")


class Recommend(common.LandscapeCommand, command.Lister):
    """Recommend hypervisors for a server of a flavor (POST /v1/placement/recommendations)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--flavor", metavar="<name>",
                            help="A flavor some imported server has (instead of --vcpus ...)")
        for name, what in (("vcpus", "VCPUs"), ("ram-mb", "RAM in MB"),
                           ("disk-gb", "Root disk in GB"), ("ephemeral-gb", "Ephemeral disk in GB"),
                           ("swap-mb", "Swap in MB")):
            parser.add_argument("--" + name, metavar="<n>", type=int, help=what)
        parser.add_argument("--extra-spec", metavar="<key=value>", type=common.key_value,
                            action="append", default=[],
                            help="Flavor extra spec, as Nova reads it: trait:<T>=required, "
                                 "resources:<CLASS>=<n>, hw:numa_nodes=<n> (repeatable)")
        parser.add_argument("--required-trait", metavar="<trait>", action="append",
                            help="The host must have this trait (repeatable)")
        parser.add_argument("--forbidden-trait", metavar="<trait>", action="append",
                            help="The host must not have this trait (repeatable)")
        parser.add_argument("--availability-zone", metavar="<zone>",
                            help="Only hosts of this availability zone")
        parser.add_argument("--aggregate", metavar="<aggregate>",
                            help="Only hosts of this aggregate (name, uuid or node id)")
        parser.add_argument("--affinity", choices=AFFINITIES,
                            help="Placement relative to the --group servers")
        parser.add_argument("--group", metavar="<server>", action="append",
                            help="A server of the group --affinity refers to (repeatable)")
        parser.add_argument("--count", metavar="<n>", type=int,
                            help="At most this many hosts (default: every host that fits)")
        return parser

    def action(self, client, parsed_args):
        answer = client.recommendations(request_from_args(parsed_args))
        excluded = answer.get("excluded") or {}
        if excluded:
            self.app.stderr.write("excluded: %s\n" % ", ".join(
                "%s %s" % (k, v) for k, v in sorted(excluded.items())))
        fields = [Field("Host"), Field("Node"), Field("Score"), Field("Fits"),
                  Field("Reasons")]
        return common.listing(answer["hosts"], fields)


def request_from_args(a):
    """The recommendations request body for the parsed arguments; CommandError when the
    flavor is neither named nor given as --vcpus and --ram-mb."""
    body = {}
    if a.flavor:
        body["flavor_name"] = a.flavor
    if a.vcpus is not None or a.ram_mb is not None:
        if a.flavor or a.vcpus is None or a.ram_mb is None:
            raise osc_exc.CommandError("give --flavor NAME, or --vcpus and --ram-mb (not both)")
        flavor = {"vcpus": a.vcpus, "ram_mb": a.ram_mb}
        for key in ("disk_gb", "ephemeral_gb", "swap_mb"):
            if getattr(a, key) is not None:
                flavor[key] = getattr(a, key)
        if a.extra_spec:
            flavor["extra_specs"] = dict(a.extra_spec)
        body["flavor"] = flavor
    elif not a.flavor:
        raise osc_exc.CommandError("give --flavor NAME, or --vcpus and --ram-mb")
    elif a.extra_spec:
        raise osc_exc.CommandError("--extra-spec goes with --vcpus and --ram-mb, not --flavor")
    traits = {k: v for k, v in (("required", a.required_trait),
                                ("forbidden", a.forbidden_trait)) if v}
    if traits:
        body["traits"] = traits
    for key in ("availability_zone", "aggregate", "affinity", "count"):
        if getattr(a, key) is not None:
            body[key] = getattr(a, key)
    if a.group:
        body["group"] = a.group
    return body
