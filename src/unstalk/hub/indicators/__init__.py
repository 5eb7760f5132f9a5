"""Families and indicators on the hub: create, edit, revoke, import Echap, look values up.

- :mod:`.schemas`: API bodies and answers.
- :mod:`.service`: the changes (permissions, validation, TLP shares, audit).
- :mod:`.echap_import`: the Echap feed as coalition-sourced TLP:CLEAR objects.
- :mod:`.lookup`: the visible index per organisation, cached, and look-ups over it.
"""
