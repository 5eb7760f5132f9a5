"""Consensus proposals and votes, disputes, and signed feed releases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from unstalk.feed.model import TLP
from unstalk.hub.db.base import Base, EnumText, UTCDateTime, utcnow
from unstalk.hub.db.intel import Classification, SharedMixin


class ProposalStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"
    WITHDRAWN = "withdrawn"


class VoteChoice(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ABSTAIN = "abstain"


class DisputeStatus(StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    UPHELD = "upheld"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


class Proposal(SharedMixin, Base):
    """A proposal to classify or re-classify a family under a version of the criteria."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    classification: Mapped[Classification] = mapped_column(EnumText(Classification))
    criteria_version: Mapped[str] = mapped_column(String(32))
    criteria_claimed: Mapped[list[str]] = mapped_column(JSON, default=list)
    evidence: Mapped[str] = mapped_column(Text, default="")
    evidence_links: Mapped[list[dict[str, object]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    """Samples and indicators the evidence rests on: ``{"kind": "sample", "id": 3}``."""
    proposer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ProposalStatus] = mapped_column(EnumText(ProposalStatus))
    rules: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    """The quorum and majority rules in force when the proposal opened."""
    outcome: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    """The tally and the reason for the decision, written when it closes."""
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Vote(Base):
    """One organisation's current vote on a proposal; earlier votes live in the audit log."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("proposal_id", "org_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    choice: Mapped[VoteChoice] = mapped_column(EnumText(VoteChoice))
    rationale: Mapped[str] = mapped_column(Text, default="")
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Dispute(SharedMixin, Base):
    """A challenge to a classification, from a vendor or an affected person, until decided."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), nullable=True
    )
    submitter_kind: Mapped[str] = mapped_column(String(32))
    """``vendor``, ``affected_person`` or ``member``."""
    submitter_name: Mapped[str] = mapped_column(String(200), default="")
    submitter_contact: Mapped[str] = mapped_column(String(320), default="")
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[DisputeStatus] = mapped_column(EnumText(DisputeStatus))
    decision: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class Release(Base):
    """A signed, versioned feed release for one TLP audience."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("audience", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    audience: Mapped[TLP] = mapped_column(EnumText(TLP))
    """The most restricted label included (CLEAR, GREEN or AMBER)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of ``payload``."""
    signature: Mapped[str] = mapped_column(String(128))
    """Ed25519 signature of ``payload``, base64."""
    public_key: Mapped[str] = mapped_column(String(64))
    """The signing key's public half, base64, so old releases stay verifiable after rotation."""
    changelog: Mapped[dict[str, object]] = mapped_column(JSON)
    """Indicators added and removed since the previous release of the same audience."""
    payload: Mapped[str] = mapped_column(Text)
    """The canonical feed document that was hashed and signed."""
