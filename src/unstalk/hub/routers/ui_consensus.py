"""Pages: proposals and votes, the consensus rules, and disputes; every form works without
JavaScript and carries the session's CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from unstalk.criteria.definitions import DEFAULT_VERSION, available_versions, load_criteria
from unstalk.feed.model import TLP
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
from unstalk.hub.consensus_schemas import DisputeIn, DisputeReview, Proposable, ProposalIn, VoteIn
from unstalk.hub.db import Family, Organisation
from unstalk.hub.db.consensus import DisputeStatus, VoteChoice
from unstalk.hub.errors import InvalidInput
from unstalk.hub.principal import Principal
from unstalk.hub.visibility import visible
from unstalk.hub.web import browser_user, form_user, hub_of, page, parse

router = APIRouter(include_in_schema=False)
PageUser = Annotated[Principal, Depends(browser_user)]
FormUser = Annotated[Principal, Depends(form_user)]
Field = Annotated[str, Form()]


def id_list(text: str, what: str) -> list[int]:
    """Numbers typed into a form, separated by commas or spaces."""
    parts = text.replace(",", " ").split()
    if not all(part.isdigit() for part in parts):
        raise InvalidInput(f"List the {what} by number, separated by commas.")
    return [int(part) for part in parts]


def form_time(text: str, what: str) -> datetime | None:
    """A time typed as 'YYYY-MM-DD HH:MM', read as UTC."""
    if not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as e:
        raise InvalidInput(f"Write the {what} as YYYY-MM-DD HH:MM (UTC).") from e
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@router.get("/proposals")
def proposals_page(request: Request, user: PageUser) -> HTMLResponse:
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    families = _families(request, user)
    with hub.db.reader() as session:
        shown = [proposal_out(session, user, p, now=now) for p in list_proposals(session, user)]
        orgs = session.scalars(select(Organisation).order_by(Organisation.name)).all()
        context = {
            "title": "Proposals",
            "proposals": shown,
            "families": families,
            "orgs": orgs,
            "classifications": list(Proposable),
            "versions": available_versions(),
            "criteria": load_criteria(DEFAULT_VERSION).criteria,
            "default_version": DEFAULT_VERSION,
            "labels": list(TLP),
            "rules": load_rules(session),
        }
        return page(request, "consensus_proposals.html", context, user=user)


@router.post("/proposals")
def proposals_create(
    request: Request,
    user: FormUser,
    family_id: Field = "",
    classification: Field = "",
    criteria_version: Field = DEFAULT_VERSION,
    criteria_claimed: Annotated[list[str] | None, Form()] = None,
    evidence: Field = "",
    evidence_samples: Field = "",
    evidence_indicators: Field = "",
    opens_at: Field = "",
    closes_at: Field = "",
    tlp: Field = TLP.GREEN.value,
    shared_with: Annotated[list[str] | None, Form()] = None,
) -> Response:
    data = parse(
        ProposalIn,
        {
            "family_id": family_id,
            "classification": classification,
            "criteria_version": criteria_version,
            "criteria_claimed": criteria_claimed or [],
            "evidence": evidence,
            "evidence_samples": id_list(evidence_samples, "samples"),
            "evidence_indicators": id_list(evidence_indicators, "indicators"),
            "opens_at": form_time(opens_at, "opening time"),
            "closes_at": form_time(closes_at, "closing time"),
            "tlp": tlp,
            "shared_with": id_list(" ".join(shared_with or []), "organisations"),
        },
    )
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    with hub.db.writer() as session:
        proposal = create_proposal(session, user, data, now=now)
        target = f"/proposals/{proposal.id}"
    return RedirectResponse(target, status_code=303)


@router.get("/proposals/{proposal_id}")
def proposal_page(request: Request, user: PageUser, proposal_id: int) -> HTMLResponse:
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    with hub.db.reader() as session:
        detail = proposal_detail(session, user, get_proposal(session, user, proposal_id), now=now)
        mine = next((v for v in detail.votes if v.org_id == user.org_id), None)
        context = {
            "title": f"Proposal {proposal_id}",
            "p": detail,
            "mine": mine,
            "choices": list(VoteChoice),
        }
        return page(request, "consensus_proposal.html", context, user=user)


@router.post("/proposals/{proposal_id}/vote")
def proposal_vote(
    request: Request, user: FormUser, proposal_id: int, choice: Field = "", rationale: Field = ""
) -> Response:
    data = parse(VoteIn, {"choice": choice, "rationale": rationale})
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    with hub.db.writer() as session:
        cast_vote(session, user, proposal_id, data, now=now)
    return RedirectResponse(f"/proposals/{proposal_id}", status_code=303)


@router.post("/proposals/{proposal_id}/withdraw")
def proposal_withdraw(request: Request, user: FormUser, proposal_id: int) -> Response:
    hub = hub_of(request)
    now = hub.clock()
    settle(hub.db, now)
    with hub.db.writer() as session:
        withdraw_proposal(session, user, proposal_id, now=now)
    return RedirectResponse(f"/proposals/{proposal_id}", status_code=303)


@router.get("/consensus/rules")
def rules_page(request: Request, user: PageUser) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        context = {"title": "Consensus rules", "rules": load_rules(session)}
        return page(request, "consensus_rules.html", context, user=user)


@router.post("/consensus/rules")
def rules_save(
    request: Request,
    user: FormUser,
    quorum: Field = "",
    majority_numerator: Field = "",
    majority_denominator: Field = "",
    abstentions_count_for_quorum: Annotated[bool, Form()] = False,
    voting_days: Field = "",
) -> Response:
    rules = parse(
        ConsensusRules,
        {
            "quorum": quorum,
            "majority_numerator": majority_numerator,
            "majority_denominator": majority_denominator,
            "abstentions_count_for_quorum": abstentions_count_for_quorum,
            "voting_days": voting_days,
        },
    )
    hub = hub_of(request)
    with hub.db.writer() as session:
        save_rules(session, user, rules, now=hub.clock())
    return RedirectResponse("/consensus/rules", status_code=303)


def _families(request: Request, user: Principal) -> list[Family]:
    with hub_of(request).db.reader() as session:
        query = visible(select(Family), Family, user).order_by(Family.name)
        return list(session.scalars(query).all())


@router.get("/disputes")
def disputes_page(request: Request, user: PageUser) -> HTMLResponse:
    families = _families(request, user)
    with hub_of(request).db.reader() as session:
        shown = [dispute_out(session, user, d) for d in list_disputes(session, user)]
        orgs = session.scalars(select(Organisation).order_by(Organisation.name)).all()
    context = {
        "title": "Disputes",
        "disputes": shown,
        "families": families,
        "orgs": orgs,
        "labels": list(TLP),
    }
    return page(request, "consensus_disputes.html", context, user=user)


@router.post("/disputes")
def disputes_create(
    request: Request,
    user: FormUser,
    family_id: Field = "",
    grounds: Field = "",
    submitter_kind: Field = "member",
    submitter_name: Field = "",
    submitter_contact: Field = "",
    tlp: Field = TLP.AMBER.value,
    shared_with: Annotated[list[str] | None, Form()] = None,
) -> Response:
    data = parse(
        DisputeIn,
        {
            "family_id": family_id,
            "grounds": grounds,
            "submitter_kind": submitter_kind,
            "submitter_name": submitter_name,
            "submitter_contact": submitter_contact,
            "tlp": tlp,
            "shared_with": id_list(" ".join(shared_with or []), "organisations"),
        },
    )
    hub = hub_of(request)
    with hub.db.writer() as session:
        target = f"/disputes/{file_dispute(session, user, data, now=hub.clock()).id}"
    return RedirectResponse(target, status_code=303)


@router.get("/disputes/{dispute_id}")
def dispute_page(request: Request, user: PageUser, dispute_id: int) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        shown = dispute_out(session, user, get_dispute(session, user, dispute_id))
    context = {"title": f"Dispute {dispute_id}", "d": shown, "statuses": list(DisputeStatus)}
    return page(request, "consensus_dispute.html", context, user=user)


@router.post("/disputes/{dispute_id}/review")
def dispute_review(
    request: Request, user: FormUser, dispute_id: int, status: Field = "", decision: Field = ""
) -> Response:
    review = parse(DisputeReview, {"status": status, "decision": decision})
    hub = hub_of(request)
    with hub.db.writer() as session:
        review_dispute(session, user, dispute_id, review, now=hub.clock())
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)
