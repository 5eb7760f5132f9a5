"""Every version of every vote on a proposal, read back from the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.hub.consensus_schemas import VoteVersion
from unstalk.hub.db import AuditEntry, Proposal

VOTE_ACTIONS = ("vote.cast", "vote.changed")


def vote_history(session: Session, proposal: Proposal) -> list[VoteVersion]:
    """Oldest first; the audit log is append-only, so a replaced vote is never lost."""
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.object_type == Proposal.__tablename__,
            AuditEntry.object_id == str(proposal.id),
            AuditEntry.action.in_(VOTE_ACTIONS),
        )
        .order_by(AuditEntry.id)
    ).all()
    return [_version(entry) for entry in entries]


def _version(entry: AuditEntry) -> VoteVersion:
    details = entry.details
    at = details.get("at")
    return VoteVersion.model_validate(
        {
            "at": datetime.fromisoformat(at) if isinstance(at, str) else entry.at,
            "org_id": details.get("org_id"),
            "org_name": details.get("org_name", ""),
            "choice": details.get("choice"),
            "rationale": details.get("rationale", ""),
            "replaces": details.get("replaces"),
        }
    )
