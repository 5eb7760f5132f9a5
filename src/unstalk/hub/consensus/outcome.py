"""The decision on a proposal: a pure function of the votes and the rules.

The rules, as the coalition set them (see docs/hub.md, "Consensus"):

- **Quorum**: at least ``quorum`` organisations voted. Abstentions count toward
  quorum by default (an organisation that looked and abstained took part);
  the ``abstentions_count_for_quorum`` rule turns that off.
- **Supermajority**: approvals are at least ``majority`` (a fraction, two thirds
  by default) of the approvals plus rejections. Abstentions are left out of the
  ratio, so they neither help nor hurt. Exactly two thirds passes.
- **Not the proposer alone**: at least one organisation other than the
  proposer's must approve. The proposer's own approval still counts in the
  ratio; it just can never carry a proposal on its own.

The checks run in that order and the first one that fails names the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field, model_validator

from unstalk.hub.db.consensus import ProposalStatus, VoteChoice


class ConsensusRules(BaseModel):
    """The quorum and majority rules, as stored in the ``settings`` table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quorum: int = Field(default=3, ge=1, le=1000)
    """Organisations that must vote for the outcome to count."""
    majority_numerator: int = Field(default=2, ge=1)
    majority_denominator: int = Field(default=3, ge=1)
    abstentions_count_for_quorum: bool = True
    voting_days: float = Field(default=14, gt=0, le=365)
    """Length of the voting window when a proposal does not say when it closes."""

    @model_validator(mode="after")
    def _majority_is_a_fraction_of_one(self) -> ConsensusRules:
        if self.majority_numerator > self.majority_denominator:
            raise ValueError("the majority cannot be more than all the votes cast")
        if self.majority * 2 < 1:
            raise ValueError("the majority must be at least half of the votes cast")
        return self

    @property
    def majority(self) -> Fraction:
        return Fraction(self.majority_numerator, self.majority_denominator)


@dataclass(frozen=True, slots=True)
class Ballot:
    """One organisation's current vote."""

    org_id: int
    choice: VoteChoice


@dataclass(frozen=True, slots=True)
class Outcome:
    status: ProposalStatus
    reason: str
    """Why, in plain language, for the proposal's page and the record."""
    approvals: int
    rejections: int
    abstentions: int
    approvals_from_others: int
    """Approving organisations other than the proposer's."""

    @property
    def voters(self) -> int:
        return self.approvals + self.rejections + self.abstentions

    def as_record(self) -> dict[str, object]:
        return {
            "status": self.status.value,
            "reason": self.reason,
            "approvals": self.approvals,
            "rejections": self.rejections,
            "abstentions": self.abstentions,
            "approvals_from_others": self.approvals_from_others,
        }


def decide(ballots: Iterable[Ballot], rules: ConsensusRules, proposer_org_id: int) -> Outcome:
    """The outcome of a closed vote. One ballot per organisation: a later one for the same
    organisation replaces the earlier (the caller passes current votes, this is a safeguard)."""
    current = {ballot.org_id: ballot.choice for ballot in ballots}
    approvals = sum(1 for choice in current.values() if choice is VoteChoice.APPROVE)
    rejections = sum(1 for choice in current.values() if choice is VoteChoice.REJECT)
    abstentions = len(current) - approvals - rejections
    others = sum(
        1
        for org_id, choice in current.items()
        if choice is VoteChoice.APPROVE and org_id != proposer_org_id
    )
    status, reason = _judge(approvals, rejections, abstentions, others, rules)
    return Outcome(status, reason, approvals, rejections, abstentions, others)


def _judge(
    approvals: int, rejections: int, abstentions: int, others: int, rules: ConsensusRules
) -> tuple[ProposalStatus, str]:
    counted = approvals + rejections + (abstentions if rules.abstentions_count_for_quorum else 0)
    if counted < rules.quorum:
        return ProposalStatus.NO_QUORUM, (
            f"Only {counted} organisation(s) counted toward the quorum of {rules.quorum}."
        )
    share = f"{rules.majority_numerator}/{rules.majority_denominator}"
    cast = approvals + rejections
    if cast == 0 or Fraction(approvals, cast) < rules.majority:
        return ProposalStatus.REJECTED, (
            f"{approvals} approval(s) out of {cast} approving or rejecting vote(s) "
            f"is less than the {share} needed."
        )
    if others == 0:
        return ProposalStatus.REJECTED, (
            "Only the proposing organisation approved: another organisation must approve too."
        )
    return ProposalStatus.ACCEPTED, (
        f"{approvals} approval(s) out of {cast} approving or rejecting vote(s) "
        f"reached the {share} needed, with quorum."
    )
