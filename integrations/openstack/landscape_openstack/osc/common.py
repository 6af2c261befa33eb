"""What every ``openstack landscape`` command shares.

``LandscapeCommand`` (mixed into osc-lib's Lister / ShowOne): Keystone only when the global
options ask for it (plugin.needs_keystone), the client from ``client_manager.landscape``, and
any LandscapeError (Landscape's ``{"error": {...}}``, a timeout, a refused connection) turned
into a CommandError: one line on stderr and exit status 1, no traceback (``--debug`` shows it).

``Field`` / ``listing`` / ``showing``: Landscape's JSON objects to osc-lib's (columns, rows);
dict and list values become osc-lib format columns, so ``-f json|yaml`` keep them as JSON and
``-f table|value`` print them readably.
"""

import urllib.parse

from osc_lib import exceptions as osc_exc
from osc_lib.cli import format_columns

from landscape_openstack import client as ls_client
from landscape_openstack.osc import plugin


class LandscapeCommand:
    """Mixin before osc-lib's Lister or ShowOne; subclasses implement ``action(client,
    parsed_args)`` returning what take_action returns."""

    @property
    def auth_required(self):
        return plugin.needs_keystone(self.app.options)

    def take_action(self, parsed_args):
        try:
            return self.action(self.app.client_manager.landscape, parsed_args)
        except ls_client.LandscapeError as e:
            raise osc_exc.CommandError("Landscape: %s" % e) from e

    def action(self, client, parsed_args):
        raise NotImplementedError


def path(*parts):
    """'/v1/' + the parts joined by '/', each percent-encoded (node ids hold ':' and may hold
    '/')."""
    return "/v1/" + "/".join(urllib.parse.quote(str(p), safe="") for p in parts)


def key_value(text):
    """argparse type of KEY=VALUE."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError("expected KEY=VALUE")
    return key, value


def _formatted(value):
    if isinstance(value, dict):
        return format_columns.DictColumn(value)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return format_columns.ListDictColumn(value)
        return format_columns.ListColumn(value)
    return value


class Field:
    """One column: its heading and how a cell is found in an object (a key, or a function of
    the object)."""

    def __init__(self, heading, key=None, get=None):
        self.heading = heading
        self.get = get or (lambda obj, k=key or heading.lower().replace(" ", "_"): obj.get(k))

    def cell(self, obj):
        return _formatted(self.get(obj))


def listing(objects, fields):
    """(headings, rows) for a Lister."""
    return (tuple(f.heading for f in fields),
            [tuple(f.cell(o) for f in fields) for o in objects])


def showing(obj):
    """(keys, values) for a ShowOne: every key of obj, sorted, values as they are."""
    keys = tuple(sorted(obj))
    return keys, tuple(_formatted(obj[k]) for k in keys)


def edge_fields(extra=()):
    return [Field("ID"), Field("From", "src"), Field("Type"), Field("To", "dst"),
            Field("Source")] + list(extra)
