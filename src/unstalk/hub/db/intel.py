"""What members share: families, indicators, samples, and who an object is shared with.

Every shared object carries a TLP label and its source organisation; the
``object_shares`` table names the further organisations that may see an
AMBER+STRICT or RED object (see :mod:`unstalk.hub.visibility`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from unstalk.feed.model import TLP, IndicatorKind, Role
from unstalk.hub.db.base import Base, EnumText, UTCDateTime, utcnow


class Classification(StrEnum):
    """What the coalition decided a family is (by a consensus vote, or not yet)."""

    UNCLASSIFIED = "unclassified"
    STALKERWARE = "stalkerware"
    WATCHWARE = "watchware"
    NOT_STALKERWARE = "not_stalkerware"


class RecordStatus(StrEnum):
    PROPOSED = "proposed"
    """Suggested (e.g. from a sample's analysis), not yet confirmed by an analyst."""
    ACTIVE = "active"
    REVOKED = "revoked"


class AnalysisStatus(StrEnum):
    PENDING = "pending"
    """Queued for the analyser."""
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SharedMixin:
    """Columns every TLP-labelled object has."""

    tlp: Mapped[TLP] = mapped_column(EnumText(TLP))
    source_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Family(SharedMixin, Base):
    __tablename__ = "families"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    """The family id used in feeds (e.g. ``thetruthspy``)."""
    name: Mapped[str] = mapped_column(String(200))
    classification: Mapped[Classification] = mapped_column(EnumText(Classification))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    platforms: Mapped[list[str]] = mapped_column(JSON, default=list)
    websites: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[RecordStatus] = mapped_column(EnumText(RecordStatus))
    revoked_reason: Mapped[str] = mapped_column(Text, default="")


class Indicator(SharedMixin, Base):
    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("family_id", "kind", "value_sha256"),
        # Look-ups go by kind and value, whatever the family; values such as YARA rules are
        # too long for a B-tree index on PostgreSQL, so their hash is indexed instead.
        Index("ix_indicators_kind_value_sha256", "kind", "value_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    kind: Mapped[IndicatorKind] = mapped_column(EnumText(IndicatorKind))
    value: Mapped[str] = mapped_column(Text)
    """Normalised as :func:`unstalk.feed.values.normalise_value` does."""
    value_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of ``value`` in UTF-8: what look-ups and uniqueness go by."""
    role: Mapped[Role | None] = mapped_column(EnumText(Role), nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    confidence: Mapped[int] = mapped_column(Integer, default=50)
    """0 to 100: how sure the source organisation is."""
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[RecordStatus] = mapped_column(EnumText(RecordStatus))
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    from_sample_id: Mapped[int | None] = mapped_column(
        ForeignKey("samples.id", ondelete="SET NULL"), nullable=True
    )
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class Sample(SharedMixin, Base):
    """An APK, kept encrypted at rest in the sample store (only its path is here)."""

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255), default="")
    blob_path: Mapped[str] = mapped_column(String(255))
    """Relative to the sample store, so the store can be moved or restored elsewhere."""
    family_id: Mapped[int | None] = mapped_column(
        ForeignKey("families.id", ondelete="SET NULL"), nullable=True
    )
    from_survivor_device: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_given: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=None)
    """None when nobody knows whether the device's owner agreed to sharing."""
    may_contain_personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    analysis_status: Mapped[AnalysisStatus] = mapped_column(EnumText(AnalysisStatus))
    analysis: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class ObjectShare(Base):
    """An organisation named as a recipient of one AMBER+STRICT or RED object."""

    __tablename__ = "object_shares"
    __table_args__ = (UniqueConstraint("object_type", "object_id", "org_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(32))
    """The object's table name (``indicators``, ``samples``, ...)."""
    object_id: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
