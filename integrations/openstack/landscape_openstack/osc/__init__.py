"""The `openstack landscape ...` commands: an OpenStack client (osc-lib / cliff) plugin.

``plugin``     the plugin module named by the ``openstack.cli.extension`` entry point: global
               options, the client the commands share, the Keystone catalog lookup
``common``     the commands' base class (auth, errors) and JSON objects to rows
``graph``      node list|show, subgraph, history, diff
``analytics``  incident list|show, rca, dependency list
``placement``  placement recommend
``sources``    source list|sync
"""
