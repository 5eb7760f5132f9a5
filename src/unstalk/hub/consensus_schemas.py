"""API bodies and answers of the consensus area: proposals, votes, rules and disputes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from unstalk.criteria.definitions import DEFAULT_VERSION
from unstalk.feed.model import TLP
from unstalk.hub.db.consensus import DisputeStatus, ProposalStatus, VoteChoice
from unstalk.hub.db.intel import Classification

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Ids = Annotated[list[Annotated[int, Field(ge=1)]], Field(max_length=100)]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Proposable(StrEnum):
    """What a proposal may classify a family as."""

    STALKERWARE = Classification.STALKERWARE.value
    WATCHWARE = Classification.WATCHWARE.value
    NOT_STALKERWARE = Classification.NOT_STALKERWARE.value


class EvidenceKind(StrEnum):
    SAMPLE = "sample"
    INDICATOR = "indicator"


class ProposalIn(_Body):
    family_id: int = Field(ge=1)
    classification: Proposable
    criteria_version: ShortText = DEFAULT_VERSION
    criteria_claimed: Annotated[list[ShortText], Field(max_length=50)] = []
    """Criterion ids of ``criteria_version`` (e.g. ``CAS-1``) the evidence meets."""
    evidence: Annotated[Text, StringConstraints(min_length=1)]
    evidence_samples: Ids = []
    evidence_indicators: Ids = []
    opens_at: datetime | None = None
    """When voting starts; now when not given."""
    closes_at: datetime | None = None
    """When voting ends; the rules' default length after opening when not given."""
    tlp: TLP = TLP.GREEN
    shared_with: Ids = []
    """Organisations named on an AMBER+STRICT or RED proposal."""
    dispute_id: int | None = Field(default=None, ge=1)
    """The dispute this proposal answers, if any."""


class VoteIn(_Body):
    choice: VoteChoice
    rationale: Text = ""
    """Why; required when rejecting."""

    @model_validator(mode="after")
    def _reject_needs_a_reason(self) -> VoteIn:
        if self.choice is VoteChoice.REJECT and not self.rationale:
            raise ValueError("a vote to reject needs a rationale")
        return self


class EvidenceLink(_Body):
    kind: EvidenceKind
    id: int


class VoteOut(_Body):
    org_id: int
    org_name: str
    choice: VoteChoice
    rationale: str
    cast_at: datetime
    changed_at: datetime | None


class VoteVersion(_Body):
    """One vote as it was cast; a changed vote leaves every earlier version here."""

    at: datetime
    org_id: int
    org_name: str
    choice: VoteChoice
    rationale: str
    replaces: VoteChoice | None


class OutcomeOut(_Body):
    status: ProposalStatus
    reason: str
    approvals: int
    rejections: int
    abstentions: int
    approvals_from_others: int


class RulesOut(_Body):
    quorum: int
    majority_numerator: int
    majority_denominator: int
    abstentions_count_for_quorum: bool
    voting_days: float


class ProposalOut(_Body):
    id: int
    family_id: int
    family_name: str
    """Empty when the viewer's organisation cannot see the family itself."""
    classification: Classification
    criteria_version: str
    criteria_claimed: list[str]
    evidence: str
    evidence_links: list[EvidenceLink]
    """Only the linked samples and indicators the viewer's organisation may see."""
    tlp: TLP
    source_org_id: int
    source_org_name: str
    opens_at: datetime
    closes_at: datetime
    status: ProposalStatus
    voting_open: bool
    rules: RulesOut
    votes: list[VoteOut]
    outcome: OutcomeOut | None
    decided_at: datetime | None
    created_at: datetime


class ProposalDetail(ProposalOut):
    history: list[VoteVersion]


class DisputeIn(_Body):
    family_id: int = Field(ge=1)
    grounds: Annotated[Text, StringConstraints(min_length=1)]
    submitter_kind: Annotated[str, Field(pattern="^(member|vendor|affected_person)$")] = "member"
    """``member`` when a hub user files it; a coalition admin records the others."""
    submitter_name: ShortText = ""
    submitter_contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] = ""
    """How to reach an outside submitter; kept short and shown only to coalition admins."""
    tlp: TLP = TLP.AMBER
    shared_with: Ids = []


class DisputeReview(_Body):
    status: DisputeStatus
    decision: Text = ""


class DisputeOut(_Body):
    id: int
    family_id: int
    family_name: str
    proposal_id: int | None
    submitter_kind: str
    submitter_name: str
    submitter_contact: str | None
    """Shown to coalition admins only; null for everyone else."""
    grounds: str
    status: DisputeStatus
    decision: str
    decided_at: datetime | None
    tlp: TLP
    source_org_id: int
    created_at: datetime
