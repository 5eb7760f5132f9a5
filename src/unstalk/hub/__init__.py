"""The coalition hub: organisations share samples and indicators under TLP, vote, publish feeds.

The app factory lives in :mod:`unstalk.hub.app`; the database models in
:mod:`unstalk.hub.db`; the rules everything goes through (who may see what,
who may do what, what is recorded) in :mod:`unstalk.hub.visibility`,
:mod:`unstalk.hub.roles` and :mod:`unstalk.hub.audit`.
"""
