"""The hub's database: models for every table and the engine and sessions over them."""

from __future__ import annotations

from unstalk.hub.db.accounts import ApiKey, AuditEntry, HubSetting, LoginSession, Organisation, User
from unstalk.hub.db.base import Base, utcnow
from unstalk.hub.db.consensus import Dispute, Proposal, Release, Vote
from unstalk.hub.db.engine import Database, default_database_url
from unstalk.hub.db.intel import Family, Indicator, ObjectShare, Sample

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "Database",
    "Dispute",
    "Family",
    "HubSetting",
    "Indicator",
    "LoginSession",
    "ObjectShare",
    "Organisation",
    "Proposal",
    "Release",
    "Sample",
    "User",
    "Vote",
    "default_database_url",
    "utcnow",
]
