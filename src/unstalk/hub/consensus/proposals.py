"""Proposals and votes: opening a vote, one vote per organisation, closing and deciding.

A proposal closes when someone next looks at or acts on consensus after its
window ended (:func:`close_due`): no scheduler is needed, and the outcome
depends only on the votes and on the rules stored with the proposal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.criteria.definitions import available_versions, load_criteria
from unstalk.hub.audit import SYSTEM, record
from unstalk.hub.consensus.history import vote_history
from unstalk.hub.consensus.outcome import Ballot, ConsensusRules, decide
from unstalk.hub.consensus.rules import load_rules
from unstalk.hub.consensus.shares import check_label, share_with, visible_family
from unstalk.hub.consensus_schemas import ProposalIn, VoteIn
from unstalk.hub.db import Database, Dispute, Family, Indicator, Proposal, Sample, Vote
from unstalk.hub.db.consensus import ProposalStatus
from unstalk.hub.db.intel import Classification, SharedMixin
from unstalk.hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.visibility import visible

MAX_WINDOW = timedelta(days=365)
EVIDENCE_KINDS: dict[str, type[SharedMixin]] = {"sample": Sample, "indicator": Indicator}


def create_proposal(
    session: Session, actor: Principal, data: ProposalIn, *, now: datetime
) -> Proposal:
    """Open a vote on classifying a family (analysts and above, for their organisation)."""
    actor.require(Role.ANALYST, "propose a classification", Scope.WRITE)
    family = visible_family(session, actor, data.family_id)
    _check_criteria(data)
    check_label(data.tlp, family.tlp, "proposal")
    links = _evidence_links(session, actor, data)
    rules = load_rules(session)
    opens_at, closes_at = _window(data, rules, now)
    if _open_proposal_for(session, actor, family.id) is not None:
        raise Conflict(
            f"The family '{family.name}' already has a proposal open for votes.",
            advice="Vote on that proposal, or wait until it closes.",
        )
    proposal = Proposal(
        family_id=family.id,
        classification=Classification(data.classification.value),
        criteria_version=data.criteria_version,
        criteria_claimed=sorted(set(data.criteria_claimed)),
        evidence=data.evidence,
        evidence_links=links,
        proposer_user_id=actor.user_id,
        opens_at=opens_at,
        closes_at=closes_at,
        status=ProposalStatus.OPEN,
        rules=rules.model_dump(),
        tlp=data.tlp,
        source_org_id=actor.org_id,
        created_at=now,
        updated_at=now,
    )
    session.add(proposal)
    session.flush()
    share_with(session, proposal, data.shared_with)
    if data.dispute_id is not None:
        _answer_dispute(session, actor, data.dispute_id, proposal)
    record(session, actor, "proposal.created", proposal, _summary(proposal, data.shared_with))
    return proposal


def list_proposals(
    session: Session, viewer: Principal, status: ProposalStatus | None = None
) -> Sequence[Proposal]:
    viewer.require(Role.VIEWER, "see proposals", Scope.READ)
    query = visible(select(Proposal), Proposal, viewer).order_by(Proposal.id.desc())
    if status is not None:
        query = query.where(Proposal.status == status)
    return session.scalars(query).all()


def get_proposal(session: Session, viewer: Principal, proposal_id: int) -> Proposal:
    viewer.require(Role.VIEWER, "see proposals", Scope.READ)
    query = visible(select(Proposal).where(Proposal.id == proposal_id), Proposal, viewer)
    proposal = session.scalars(query).first()
    if proposal is None:
        raise NotFound(f"There is no proposal number {proposal_id} that you may see.")
    return proposal


def current_votes(session: Session, proposal_id: int) -> Sequence[Vote]:
    return session.scalars(
        select(Vote).where(Vote.proposal_id == proposal_id).order_by(Vote.cast_at, Vote.id)
    ).all()


def cast_vote(
    session: Session, actor: Principal, proposal_id: int, data: VoteIn, *, now: datetime
) -> Vote:
    """Vote for the actor's organisation; a second vote of the same organisation replaces the
    first (the audit log keeps both)."""
    actor.require(Role.ANALYST, "vote for your organisation", Scope.VOTE)
    get_proposal(session, actor, proposal_id)
    proposal = _locked(session, proposal_id)
    _check_voting_open(proposal, now)
    vote = session.scalars(
        select(Vote).where(Vote.proposal_id == proposal_id, Vote.org_id == actor.org_id)
    ).first()
    replaces = vote.choice.value if vote is not None else None
    if vote is None:
        vote = Vote(proposal_id=proposal_id, org_id=actor.org_id, cast_at=now)
        session.add(vote)
    else:
        vote.changed_at = now
    vote.user_id = actor.user_id
    vote.choice = data.choice
    vote.rationale = data.rationale
    details = {
        "org_id": actor.org_id,
        "org_name": actor.org_name,
        "choice": data.choice.value,
        "rationale": data.rationale,
        "replaces": replaces,
        "at": now.isoformat(),
    }
    record(session, actor, "vote.changed" if replaces else "vote.cast", proposal, details)
    return vote


def withdraw_proposal(
    session: Session, actor: Principal, proposal_id: int, *, now: datetime
) -> Proposal:
    """The proposing organisation takes back a proposal still open for votes."""
    actor.require(Role.ANALYST, "withdraw a proposal", Scope.WRITE)
    get_proposal(session, actor, proposal_id)
    proposal = _locked(session, proposal_id)
    if proposal.source_org_id != actor.org_id:
        raise Forbidden("Only the organisation that made a proposal may withdraw it.")
    if proposal.status is not ProposalStatus.OPEN or now >= proposal.closes_at:
        raise Conflict("This proposal is no longer open, so it cannot be withdrawn.")
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.decided_at = now
    record(session, actor, "proposal.withdrawn", proposal)
    return proposal


def due_for_closing(session: Session, now: datetime) -> bool:
    query = select(Proposal.id).where(
        Proposal.status == ProposalStatus.OPEN, Proposal.closes_at <= now
    )
    return session.scalars(query.limit(1)).first() is not None


def settle(db: Database, now: datetime) -> None:
    """Close what is due before a consensus page or API answer (cheap when nothing is)."""
    with db.reader() as session:
        if not due_for_closing(session, now):
            return
    with db.writer() as session:
        close_due(session, now)


def close_due(session: Session, now: datetime) -> list[Proposal]:
    """Decide every proposal whose window has ended; each is decided exactly once even when
    several requests close at the same moment (the row is locked and its status re-read)."""
    due = session.scalars(
        select(Proposal.id)
        .where(Proposal.status == ProposalStatus.OPEN, Proposal.closes_at <= now)
        .order_by(Proposal.id)
    ).all()
    closed = []
    for proposal_id in due:
        proposal = _locked(session, proposal_id)
        if proposal.status is ProposalStatus.OPEN:
            _close(session, proposal, now)
            closed.append(proposal)
    return closed


def _close(session: Session, proposal: Proposal, now: datetime) -> None:
    rules = ConsensusRules.model_validate(proposal.rules)
    votes = current_votes(session, proposal.id)
    outcome = decide((Ballot(v.org_id, v.choice) for v in votes), rules, proposal.source_org_id)
    proposal.status = outcome.status
    proposal.decided_at = now
    proposal.outcome = {
        **outcome.as_record(),
        "rules": rules.model_dump(),
        "votes": [
            {"org_id": v.org_id, "choice": v.choice.value, "rationale": v.rationale} for v in votes
        ],
        "history": [version.model_dump(mode="json") for version in vote_history(session, proposal)],
    }
    record(session, SYSTEM, "proposal.closed", proposal, outcome.as_record())
    if outcome.status is ProposalStatus.ACCEPTED:
        family = session.get(Family, proposal.family_id)
        if family is not None:
            before = family.classification
            family.classification = proposal.classification
            family.updated_at = now
            details = {
                "from": before.value,
                "to": proposal.classification.value,
                "proposal_id": proposal.id,
                "criteria_version": proposal.criteria_version,
            }
            record(session, SYSTEM, "family.classified", family, details)


def _locked(session: Session, proposal_id: int) -> Proposal:
    # FOR UPDATE serialises votes and closing on PostgreSQL; SQLite writers are serialised anyway.
    query = (
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def _check_voting_open(proposal: Proposal, now: datetime) -> None:
    if proposal.status is not ProposalStatus.OPEN or now >= proposal.closes_at:
        raise Conflict(
            "Voting on this proposal has closed; votes can no longer be cast or changed.",
            advice="If the family's classification should change, make a new proposal.",
        )
    if now < proposal.opens_at:
        raise Conflict(
            f"Voting on this proposal opens at {proposal.opens_at:%Y-%m-%d %H:%M} UTC.",
            advice="Come back once the voting window has opened.",
        )


def _check_criteria(data: ProposalIn) -> None:
    if data.criteria_version not in available_versions():
        known = ", ".join(available_versions())
        raise InvalidInput(
            f"There is no criteria version '{data.criteria_version}'.",
            advice=f"Known versions: {known}.",
        )
    known_ids = {criterion.id for criterion in load_criteria(data.criteria_version).criteria}
    unknown = sorted(set(data.criteria_claimed) - known_ids)
    if unknown:
        raise InvalidInput(
            f"Criteria version {data.criteria_version} has no criterion {', '.join(unknown)}.",
            advice=f"Its criteria are {', '.join(sorted(known_ids))}.",
        )
    if data.classification.value != Classification.NOT_STALKERWARE and not data.criteria_claimed:
        raise InvalidInput(
            "Say which criteria the evidence meets: a classification as "
            f"{data.classification.value} needs at least one."
        )


def _evidence_links(
    session: Session, actor: Principal, data: ProposalIn
) -> list[dict[str, object]]:
    links: list[dict[str, object]] = []
    for kind, ids in (("sample", data.evidence_samples), ("indicator", data.evidence_indicators)):
        entity = EVIDENCE_KINDS[kind]
        wanted = sorted(set(ids))
        query = visible(select(entity.id).where(entity.id.in_(wanted)), entity, actor)  # type: ignore[attr-defined]
        found = set(session.scalars(query).all())
        missing = [str(i) for i in wanted if i not in found]
        if missing:
            raise InvalidInput(
                f"Your organisation cannot see {kind}(s) {', '.join(missing)}.",
                advice="Link only samples and indicators your organisation may see.",
            )
        links.extend({"kind": kind, "id": i} for i in wanted)
    return links


def _window(data: ProposalIn, rules: ConsensusRules, now: datetime) -> tuple[datetime, datetime]:
    opens_at = data.opens_at or now
    closes_at = data.closes_at or opens_at + timedelta(days=rules.voting_days)
    if opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise InvalidInput("Give the voting window's times with a time zone (e.g. ending in Z).")
    if opens_at < now - timedelta(minutes=5):
        raise InvalidInput("The voting window cannot open in the past.")
    if closes_at <= opens_at:
        raise InvalidInput("The voting window must close after it opens.")
    if closes_at - now > MAX_WINDOW:
        raise InvalidInput("The voting window must close within a year.")
    return max(opens_at, now), closes_at


def _open_proposal_for(session: Session, actor: Principal, family_id: int) -> int | None:
    # Only proposals the actor may see: refusing because of one they may not would tell them
    # it exists.
    query = select(Proposal.id).where(
        Proposal.family_id == family_id, Proposal.status == ProposalStatus.OPEN
    )
    return session.scalars(visible(query, Proposal, actor).limit(1)).first()


def _answer_dispute(
    session: Session, actor: Principal, dispute_id: int, proposal: Proposal
) -> None:
    query = visible(select(Dispute).where(Dispute.id == dispute_id), Dispute, actor)
    dispute = session.scalars(query).first()
    if dispute is None or dispute.family_id != proposal.family_id:
        raise InvalidInput(
            f"There is no dispute number {dispute_id} about this family you may see."
        )
    dispute.proposal_id = proposal.id
    record(session, actor, "dispute.answered_by_proposal", dispute, {"proposal_id": proposal.id})


def _summary(proposal: Proposal, shared_with: Sequence[int]) -> dict[str, object]:
    return {
        "family_id": proposal.family_id,
        "classification": proposal.classification.value,
        "criteria_version": proposal.criteria_version,
        "criteria_claimed": proposal.criteria_claimed,
        "opens_at": proposal.opens_at.isoformat(),
        "closes_at": proposal.closes_at.isoformat(),
        "tlp": proposal.tlp.value,
        "shared_with": sorted(set(shared_with)),
    }
