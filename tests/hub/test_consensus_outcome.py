"""The decision rule alone: quorum, supermajority, abstentions, and the proposer's own vote."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from unstalk.hub.consensus.outcome import Ballot, ConsensusRules, decide
from unstalk.hub.db.consensus import ProposalStatus, VoteChoice

A, R, X = VoteChoice.APPROVE, VoteChoice.REJECT, VoteChoice.ABSTAIN
PROPOSER = 1
DEFAULT = ConsensusRules()


def _votes(*choices: VoteChoice) -> list[Ballot]:
    """The first choice is the proposer's organisation's, the rest other organisations'."""
    return [Ballot(PROPOSER + n, choice) for n, choice in enumerate(choices)]


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ((), ProposalStatus.NO_QUORUM),
        ((A,), ProposalStatus.NO_QUORUM),
        ((A, A), ProposalStatus.NO_QUORUM),
        ((A, A, A), ProposalStatus.ACCEPTED),
        # Exactly two thirds passes.
        ((A, A, R), ProposalStatus.ACCEPTED),
        # A tie is not two thirds.
        ((A, R, A, R), ProposalStatus.REJECTED),
        ((A, R, R), ProposalStatus.REJECTED),
        # Just under two thirds (5 of 8 = 0.625) fails; 6 of 9 passes.
        ((A, A, A, A, A, R, R, R), ProposalStatus.REJECTED),
        ((A, A, A, A, A, A, R, R, R), ProposalStatus.ACCEPTED),
        # Abstentions count toward quorum but not in the ratio.
        ((A, A, X), ProposalStatus.ACCEPTED),
        ((A, A, R, X, X, X), ProposalStatus.ACCEPTED),
        ((X, X, X), ProposalStatus.REJECTED),
        # The proposer alone can never carry it, whatever the others abstain.
        ((A, X, X), ProposalStatus.REJECTED),
        ((A, X, X, X, X), ProposalStatus.REJECTED),
        # ...but a proposer that abstains can still see another organisation carry it.
        ((X, A, X), ProposalStatus.ACCEPTED),
    ],
)
def test_default_rules(choices: tuple[VoteChoice, ...], expected: ProposalStatus) -> None:
    assert decide(_votes(*choices), DEFAULT, PROPOSER).status is expected


def test_the_proposers_approval_counts_in_the_ratio_once_another_approves() -> None:
    # 2 approvals (proposer + one) against 1 rejection: two thirds, another org approved.
    outcome = decide(_votes(A, A, R), DEFAULT, PROPOSER)
    assert (outcome.approvals, outcome.rejections, outcome.approvals_from_others) == (2, 1, 1)
    assert outcome.status is ProposalStatus.ACCEPTED


def test_only_the_proposer_approving_is_explained() -> None:
    outcome = decide(_votes(A, X, X), DEFAULT, PROPOSER)
    assert "another organisation must approve" in outcome.reason


def test_quorum_missed_is_explained_with_the_numbers() -> None:
    outcome = decide(_votes(A, A), DEFAULT, PROPOSER)
    assert outcome.status is ProposalStatus.NO_QUORUM
    assert "2" in outcome.reason and "3" in outcome.reason


def test_abstentions_can_be_kept_out_of_the_quorum() -> None:
    rules = ConsensusRules(abstentions_count_for_quorum=False)
    assert decide(_votes(A, A, X), rules, PROPOSER).status is ProposalStatus.NO_QUORUM
    assert decide(_votes(A, A, R, X), rules, PROPOSER).status is ProposalStatus.ACCEPTED


def test_a_later_ballot_of_the_same_organisation_replaces_the_earlier() -> None:
    ballots = [Ballot(2, R), Ballot(3, A), Ballot(PROPOSER, A), Ballot(2, A)]
    outcome = decide(ballots, DEFAULT, PROPOSER)
    assert outcome.voters == 3
    assert outcome.status is ProposalStatus.ACCEPTED


def test_configured_quorum_and_majority() -> None:
    rules = ConsensusRules(quorum=5, majority_numerator=3, majority_denominator=4)
    assert decide(_votes(A, A, A, R), rules, PROPOSER).status is ProposalStatus.NO_QUORUM
    assert decide(_votes(A, A, A, R, X), rules, PROPOSER).status is ProposalStatus.ACCEPTED
    assert decide(_votes(A, A, R, R, A), rules, PROPOSER).status is ProposalStatus.REJECTED


def test_every_combination_of_four_votes_agrees_with_the_written_rule() -> None:
    for choices in itertools.product((A, R, X, None), repeat=4):
        ballots = [Ballot(n + 1, c) for n, c in enumerate(choices) if c is not None]
        approvals = sum(1 for b in ballots if b.choice is A)
        rejections = sum(1 for b in ballots if b.choice is R)
        others = sum(1 for b in ballots if b.choice is A and b.org_id != PROPOSER)
        if len(ballots) < 3:
            expected = ProposalStatus.NO_QUORUM
        elif approvals and 3 * approvals >= 2 * (approvals + rejections) and others:
            expected = ProposalStatus.ACCEPTED
        else:
            expected = ProposalStatus.REJECTED
        assert decide(ballots, DEFAULT, PROPOSER).status is expected, choices


@pytest.mark.parametrize(
    "fields",
    [
        {"quorum": 0},
        {"majority_numerator": 4, "majority_denominator": 3},
        {"majority_numerator": 1, "majority_denominator": 3},
        {"voting_days": 0},
        {"unknown": 1},
    ],
)
def test_impossible_rules_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ConsensusRules.model_validate(fields)
