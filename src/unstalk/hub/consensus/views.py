"""What a viewer is shown of a proposal: only the evidence links their organisation may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.hub.consensus.history import vote_history
from unstalk.hub.consensus.outcome import ConsensusRules
from unstalk.hub.consensus.proposals import EVIDENCE_KINDS, current_votes
from unstalk.hub.consensus.shares import family_name_for
from unstalk.hub.consensus_schemas import (
    EvidenceLink,
    OutcomeOut,
    ProposalDetail,
    ProposalOut,
    RulesOut,
    VoteOut,
)
from unstalk.hub.db import Organisation, Proposal
from unstalk.hub.db.consensus import ProposalStatus
from unstalk.hub.principal import Principal
from unstalk.hub.visibility import visible


def proposal_out(
    session: Session, viewer: Principal, proposal: Proposal, *, now: datetime
) -> ProposalOut:
    names = _org_names(session)
    rules = ConsensusRules.model_validate(proposal.rules)
    outcome = proposal.outcome
    return ProposalOut(
        id=proposal.id,
        family_id=proposal.family_id,
        family_name=family_name_for(session, viewer, proposal.family_id),
        classification=proposal.classification,
        criteria_version=proposal.criteria_version,
        criteria_claimed=list(proposal.criteria_claimed),
        evidence=proposal.evidence,
        evidence_links=_links(session, viewer, proposal.evidence_links),
        tlp=proposal.tlp,
        source_org_id=proposal.source_org_id,
        source_org_name=names.get(proposal.source_org_id, ""),
        opens_at=proposal.opens_at,
        closes_at=proposal.closes_at,
        status=proposal.status,
        voting_open=proposal.status is ProposalStatus.OPEN
        and proposal.opens_at <= now < proposal.closes_at,
        rules=RulesOut.model_validate(rules.model_dump()),
        votes=[
            VoteOut(
                org_id=vote.org_id,
                org_name=names.get(vote.org_id, ""),
                choice=vote.choice,
                rationale=vote.rationale,
                cast_at=vote.cast_at,
                changed_at=vote.changed_at,
            )
            for vote in current_votes(session, proposal.id)
        ],
        outcome=OutcomeOut.model_validate({key: outcome[key] for key in OutcomeOut.model_fields})
        if outcome
        else None,
        decided_at=proposal.decided_at,
        created_at=proposal.created_at,
    )


def proposal_detail(
    session: Session, viewer: Principal, proposal: Proposal, *, now: datetime
) -> ProposalDetail:
    summary = proposal_out(session, viewer, proposal, now=now)
    return ProposalDetail(**dict(summary), history=vote_history(session, proposal))


def _links(
    session: Session, viewer: Principal, links: Sequence[dict[str, object]]
) -> list[EvidenceLink]:
    shown: list[EvidenceLink] = []
    for kind, entity in EVIDENCE_KINDS.items():
        ids = [link["id"] for link in links if link.get("kind") == kind]
        if not ids:
            continue
        column = entity.id  # type: ignore[attr-defined]
        query = visible(select(column).where(column.in_(ids)), entity, viewer)
        seen = set(session.scalars(query).all())
        shown.extend(EvidenceLink.model_validate({"kind": kind, "id": i}) for i in ids if i in seen)
    return shown


def _org_names(session: Session) -> dict[int, str]:
    rows = session.execute(select(Organisation.id, Organisation.name)).all()
    return {row.id: row.name for row in rows}
