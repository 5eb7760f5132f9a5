"""Consensus: proposals to classify families, one vote per organisation, and disputes.

:mod:`~unstalk.hub.consensus.outcome` holds the pure decision rule;
:mod:`~unstalk.hub.consensus.proposals` and :mod:`~unstalk.hub.consensus.disputes`
the services the API and the pages call.
"""
