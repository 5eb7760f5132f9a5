"""Signed feed releases, the TAXII 2.1 server and the MISP feed: what the hub publishes.

Everything here reads shared objects through :func:`unstalk.hub.visibility.visible`,
so a release, an export or a TAXII page holds only what its reader may see.
"""
