"""API bodies and answers for families, indicators, look-ups and the Echap import."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from unstalk.feed.model import TLP, IndicatorKind, Platform, Role
from unstalk.hub.db.intel import Classification, RecordStatus

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$"),
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
Confidence = Annotated[int, Field(ge=0, le=100)]
MAX_LOOKUP_VALUES = 1000
"""Values one POST to the look-up endpoint may carry."""


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Shared(_Body):
    tlp: TLP = TLP.GREEN
    shared_with: list[int] = Field(default_factory=list, max_length=200)
    """Organisations named on an AMBER+STRICT or RED object (ids); empty for other labels."""


class FamilyIn(_Shared):
    name: Name
    slug: Slug | None = None
    """The family's id in feeds; made from the name when not given."""
    aliases: list[Name] = Field(default_factory=list, max_length=100)
    platforms: list[Platform] = Field(default_factory=list)
    websites: list[Name] = Field(default_factory=list, max_length=500)


class FamilyPatch(_Body):
    name: Name | None = None
    aliases: list[Name] | None = Field(default=None, max_length=100)
    platforms: list[Platform] | None = None
    websites: list[Name] | None = Field(default=None, max_length=500)
    tlp: TLP | None = None
    shared_with: list[int] | None = Field(default=None, max_length=200)


class IndicatorIn(_Shared):
    family_id: int
    kind: IndicatorKind
    value: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
    role: Role | None = None
    """For network indicators only: c2, website or distribution."""
    name: Text200 | None = None
    confidence: Confidence = 50
    first_seen: AwareDatetime | None = None
    last_seen: AwareDatetime | None = None


class IndicatorPatch(_Body):
    """What can change; the kind and value cannot (revoke and create a new one instead)."""

    role: Role | None = None
    name: Text200 | None = None
    confidence: Confidence | None = None
    first_seen: AwareDatetime | None = None
    last_seen: AwareDatetime | None = None
    tlp: TLP | None = None
    shared_with: list[int] | None = Field(default=None, max_length=200)


class RevokeIn(_Body):
    reason: Reason


class Revocation(_Body):
    """Who revoked an object, when and why (kept; revoked objects are never deleted)."""

    reason: str
    by: str
    at: datetime | None


class FamilyOut(_Body):
    id: int
    slug: str
    name: str
    classification: Classification
    aliases: list[str]
    platforms: list[str]
    websites: list[str]
    tlp: TLP
    source_org_id: int
    source_org: str
    status: RecordStatus
    revoked: Revocation | None
    shared_with: list[int]
    created_at: datetime
    updated_at: datetime


class IndicatorOut(_Body):
    id: int
    family_id: int
    family_slug: str
    family_name: str
    kind: IndicatorKind
    value: str
    value_sha256: str
    role: Role | None
    name: str | None
    confidence: int
    first_seen: datetime | None
    last_seen: datetime | None
    tlp: TLP
    source_org_id: int
    source_org: str
    status: RecordStatus
    revoked: Revocation | None
    shared_with: list[int]
    created_at: datetime
    updated_at: datetime


class LookupMatch(_Body):
    """One indicator a value matched, in the shape of ``unstalk feed match --json``."""

    value: str
    family: str
    family_id: str
    """The family's id in feeds (its slug)."""
    family_type: Classification
    """What the coalition classified the family as (``unclassified`` until a vote)."""
    kind: IndicatorKind
    role: Role | None
    indicator: str
    severity: str
    source: str
    """The organisation that shared the indicator."""
    indicator_id: int
    tlp: TLP
    confidence: int
    first_seen: datetime | None
    last_seen: datetime | None


class LookupOut(_Body):
    value: str
    kinds: list[IndicatorKind]
    """What the value could be, most likely first (empty: no indicator kind fits it)."""
    matches: list[LookupMatch]


class LookupIn(_Body):
    values: list[Annotated[str, StringConstraints(max_length=4096)]] = Field(
        min_length=1, max_length=MAX_LOOKUP_VALUES
    )


class LookupManyOut(_Body):
    results: list[LookupOut]
    matched: int
    """How many of the values matched at least one indicator."""


class ExportItem(_Body):
    id: int
    family_id: str
    family: str
    family_type: Classification
    kind: IndicatorKind
    value: str
    role: Role | None
    name: str | None
    tlp: TLP
    confidence: int
    first_seen: datetime | None
    last_seen: datetime | None
    source: str


class ExportOut(_Body):
    """Every active indicator the caller's organisation may see."""

    organisation: str
    clearance: TLP
    indicators: list[ExportItem]


class ImportOut(_Body):
    families_created: int
    families_updated: int
    indicators_created: int
    indicators_updated: int
    indicators_unchanged: int
    indicators_revoked: int
    """Imported earlier, no longer in the feed: revoked, with the reason saying so."""
    source: str
