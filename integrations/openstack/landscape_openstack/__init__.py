"""Landscape's OpenStack integrations: Nova scheduler plugins (``landscape_openstack.nova``),
a Watcher strategy (``landscape_openstack.watcher``) and the ``openstack landscape`` CLI
plugin (``landscape_openstack.osc``), over one client (``landscape_openstack.client``).

Each submodule imports only what it needs: ``nova`` needs python3-nova, ``watcher``
python3-watcher, ``osc`` python3-osc-lib; ``client`` only keystoneauth1 and oslo.config."""

__version__ = "0.1.0"
