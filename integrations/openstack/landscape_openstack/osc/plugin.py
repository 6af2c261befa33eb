"""The OpenStack client plugin module (entry point group ``openstack.cli.extension``, name
``landscape``): python3-openstackclient imports it, adds its global options to the
``openstack`` command and loads the commands of the group ``openstack.landscape.v1``.

Where Landscape is and how the commands authenticate, first rule that applies:

1. ``--landscape-url URL`` (env ``LANDSCAPE_URL``) with ``--landscape-token T``
   (``LANDSCAPE_TOKEN``): that URL, the static token as ``X-Auth-Token`` (landscaped
   ``--auth tokens``); no Keystone.
2. ``--landscape-url`` and the command has a cloud (``--os-cloud`` / ``OS_CLOUD``, or
   ``--os-auth-url`` / ``OS_AUTH_URL``): that URL with the cloud's Keystone token
   (landscaped ``--auth keystone``).
3. ``--landscape-url`` alone: that URL, no token (landscaped ``--auth none``).
4. No URL: the cloud's Keystone session; Landscape's URL is the catalog's endpoint of service
   type ``landscape`` (``SERVICE_TYPE``) for ``--os-interface`` and ``--os-region-name``,
   unless the cloud sets ``landscape_endpoint_override``.
"""

import os

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from osc_lib import exceptions as osc_exc

from landscape_openstack import client as ls_client

API_NAME = "landscape"
API_VERSION_OPTION = "os_landscape_api_version"
DEFAULT_API_VERSION = "1"
API_VERSIONS = {"1": "landscape_openstack.client.Client"}
SERVICE_TYPE = "landscape"
DEFAULT_TIMEOUT = 60.0


def build_option_parser(parser):
    """The plugin's global options (before the command: ``openstack --landscape-url URL
    landscape node list``)."""
    parser.add_argument(
        "--os-landscape-api-version", metavar="<landscape-api-version>",
        default=os.environ.get("OS_LANDSCAPE_API_VERSION"),
        help="Landscape API version, default=%s (Env: OS_LANDSCAPE_API_VERSION)"
             % DEFAULT_API_VERSION)
    parser.add_argument(
        "--landscape-url", metavar="<url>", default=os.environ.get("LANDSCAPE_URL"),
        help="Landscape's base URL (scheme://host:port), instead of the Keystone catalog's "
             "'%s' endpoint (Env: LANDSCAPE_URL)" % SERVICE_TYPE)
    parser.add_argument(
        "--landscape-token", metavar="<token>", default=os.environ.get("LANDSCAPE_TOKEN"),
        help="Static token for a landscaped run with --auth tokens; needs --landscape-url "
             "(Env: LANDSCAPE_TOKEN)")
    parser.add_argument(
        "--landscape-timeout", metavar="<seconds>", type=float,
        default=float(os.environ.get("LANDSCAPE_TIMEOUT") or DEFAULT_TIMEOUT),
        help="Seconds one request to Landscape may take, default=%g (Env: LANDSCAPE_TIMEOUT)"
             % DEFAULT_TIMEOUT)
    return parser


def needs_keystone(options):
    """Whether a command run with these global options authenticates with Keystone (rules 2
    and 4 of the module's docstring)."""
    if not getattr(options, "landscape_url", None):
        return True
    if getattr(options, "landscape_token", None):
        return False
    return bool(getattr(options, "cloud", None) or getattr(options, "auth_url", None))


def find_endpoint(session, region_name=None, interface=None):
    """Landscape's base URL from the Keystone catalog of session's auth: the endpoint of
    service type ``landscape`` for interface (default public) in region_name (any when
    None). A trailing ``/v1`` is dropped (the client adds the version to each path). Raises
    CommandError naming what was looked for when there is none."""
    interface = interface or "public"
    try:
        url = session.get_endpoint(service_type=SERVICE_TYPE, interface=interface,
                                   region_name=region_name or None)
    except ks_exc.EndpointNotFound:
        url = None
    if not url:
        raise osc_exc.CommandError(
            "no '%s' endpoint (interface %s%s) in the Keystone catalog: register one "
            "(openstack service create --name landscape %s; openstack endpoint create ...) "
            "or give --landscape-url" % (SERVICE_TYPE, interface,
                                         ", region %s" % region_name if region_name else "",
                                         SERVICE_TYPE))
    url = url.rstrip("/")
    return url[:-3] if url.endswith("/v1") else url


def make_client(instance):
    """The landscape_openstack.client.Client for a ClientManager (osc-lib calls it once, on
    the first use of ``client_manager.landscape``)."""
    config = instance._cli_options.config
    url = config.get("landscape_url")
    token = config.get("landscape_token")
    timeout = config.get("landscape_timeout") or DEFAULT_TIMEOUT
    if token and not url:
        raise osc_exc.CommandError("--landscape-token (LANDSCAPE_TOKEN) needs --landscape-url "
                                   "(LANDSCAPE_URL)")
    keystone = instance.session if instance._auth_required else None
    if not url:
        url = (config.get("%s_endpoint_override" % SERVICE_TYPE)
               or find_endpoint(keystone, instance.region_name, instance.interface))
    if keystone is not None and not token:
        return ls_client.Client(url, timeout=timeout, auth=keystone.auth, session=keystone)
    session = ks_session.Session(verify=instance.cacert or instance.verify, cert=instance.cert)
    return ls_client.Client(url, token=token, timeout=timeout, session=session)
