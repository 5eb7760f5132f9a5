"""JSON API: proposals and votes, the consensus rules, and disputes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from unstalk.hub.consensus.disputes import (
    dispute_out,
    file_dispute,
    get_dispute,
    list_disputes,
    review_dispute,
)
from unstalk.hub.consensus.outcome import ConsensusRules
from unstalk.hub.consensus.proposals import (
    cast_vote,
    create_proposal,
    get_proposal,
    list_proposals,
    settle,
    withdraw_proposal,
)
from unstalk.hub.consensus.rules import load_rules, save_rules
from unstalk.hub.consensus.views import proposal_detail, proposal_out
from unstalk.hub.consensus_schemas import (
    DisputeIn,
    DisputeOut,
    DisputeReview,
    ProposalDetail,
    ProposalIn,
    ProposalOut,
    RulesOut,
    VoteIn,
)
from unstalk.hub.db.consensus import DisputeStatus, ProposalStatus
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.web import api_user, hub_of

router = APIRouter(prefix="/api/v1", tags=["consensus"])
ApiUser = Annotated[Principal, Depends(api_user)]


@router.get("/proposals")
def proposals(
    request: Request, user: ApiUser, status: ProposalStatus | None = None
) -> list[ProposalOut]:
    """Proposals the caller's organisation may see, newest first; closes any that are due."""
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    with hub.db.reader() as session:
        found = list_proposals(session, user, status)
        return [proposal_out(session, user, proposal, now=now) for proposal in found]


@router.post("/proposals", status_code=201)
def proposals_create(request: Request, user: ApiUser, body: ProposalIn) -> ProposalDetail:
    """Open a vote on a family's classification (``write`` scope, analysts and above)."""
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    with hub.db.writer() as session:
        proposal = create_proposal(session, user, body, now=now)
        return proposal_detail(session, user, proposal, now=now)


@router.get("/proposals/{proposal_id}")
def proposal(request: Request, user: ApiUser, proposal_id: int) -> ProposalDetail:
    """One proposal with its current votes, every earlier version of them, and the outcome."""
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    with hub.db.reader() as session:
        return proposal_detail(session, user, get_proposal(session, user, proposal_id), now=now)


@router.put("/proposals/{proposal_id}/vote")
def vote(request: Request, user: ApiUser, proposal_id: int, body: VoteIn) -> ProposalDetail:
    """Cast or change the caller's organisation's vote (``vote`` scope) while voting is open."""
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    with hub.db.writer() as session:
        cast_vote(session, user, proposal_id, body, now=now)
        return proposal_detail(session, user, get_proposal(session, user, proposal_id), now=now)


@router.post("/proposals/{proposal_id}/withdraw")
def withdraw(request: Request, user: ApiUser, proposal_id: int) -> ProposalOut:
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    with hub.db.writer() as session:
        proposal = withdraw_proposal(session, user, proposal_id, now=now)
        return proposal_out(session, user, proposal, now=now)


@router.get("/consensus/rules")
def rules(request: Request, user: ApiUser) -> RulesOut:
    """The rules new proposals open with; each proposal keeps the rules it opened with."""
    user.require(Role.VIEWER, "see the consensus rules", Scope.READ)
    with hub_of(request).db.reader() as session:
        return RulesOut.model_validate(load_rules(session).model_dump())


@router.put("/consensus/rules")
def rules_update(request: Request, user: ApiUser, body: ConsensusRules) -> RulesOut:
    """Change the rules (coalition admins, ``admin`` scope); recorded in the audit log."""
    hub = hub_of(request)
    with hub.db.writer() as session:
        saved = save_rules(session, user, body, now=hub.clock())
        return RulesOut.model_validate(saved.model_dump())


@router.get("/disputes")
def disputes(
    request: Request, user: ApiUser, status: DisputeStatus | None = None
) -> list[DisputeOut]:
    with hub_of(request).db.reader() as session:
        return [dispute_out(session, user, d) for d in list_disputes(session, user, status)]


@router.post("/disputes", status_code=201)
def disputes_create(request: Request, user: ApiUser, body: DisputeIn) -> DisputeOut:
    """File a dispute; coalition admins may record one for a vendor or an affected person."""
    hub = hub_of(request)
    with hub.db.writer() as session:
        return dispute_out(session, user, file_dispute(session, user, body, now=hub.clock()))


@router.get("/disputes/{dispute_id}")
def dispute(request: Request, user: ApiUser, dispute_id: int) -> DisputeOut:
    with hub_of(request).db.reader() as session:
        return dispute_out(session, user, get_dispute(session, user, dispute_id))


@router.post("/disputes/{dispute_id}/review")
def dispute_review(
    request: Request, user: ApiUser, dispute_id: int, body: DisputeReview
) -> DisputeOut:
    """Move a dispute to under review, upheld or dismissed (coalition admins), or withdraw it."""
    hub = hub_of(request)
    with hub.db.writer() as session:
        moved = review_dispute(session, user, dispute_id, body, now=hub.clock())
        return dispute_out(session, user, moved)
