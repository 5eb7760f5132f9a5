"""Disputes about a family's classification, from members, vendors or affected people.

A hub user files one for their organisation; a coalition admin records one on
behalf of someone outside the hub (a vendor, or a person affected), keeping
only a name and one way to reach them, shown to coalition admins alone. A
dispute goes open -> under review -> upheld or dismissed, with a decision text;
the organisation that filed it may withdraw it before a decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.hub.audit import record
from unstalk.hub.consensus.shares import check_label, family_name_for, share_with, visible_family
from unstalk.hub.consensus_schemas import DisputeIn, DisputeOut, DisputeReview
from unstalk.hub.db import Dispute
from unstalk.hub.db.consensus import DisputeStatus
from unstalk.hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.visibility import visible

NEXT: dict[DisputeStatus, frozenset[DisputeStatus]] = {
    DisputeStatus.OPEN: frozenset({DisputeStatus.UNDER_REVIEW, DisputeStatus.WITHDRAWN}),
    DisputeStatus.UNDER_REVIEW: frozenset(
        {DisputeStatus.UPHELD, DisputeStatus.DISMISSED, DisputeStatus.WITHDRAWN}
    ),
    DisputeStatus.UPHELD: frozenset(),
    DisputeStatus.DISMISSED: frozenset(),
    DisputeStatus.WITHDRAWN: frozenset(),
}
"""Where a dispute may go from each state; decided and withdrawn disputes are final."""
DECIDED = frozenset({DisputeStatus.UPHELD, DisputeStatus.DISMISSED})


def file_dispute(session: Session, actor: Principal, data: DisputeIn, *, now: datetime) -> Dispute:
    actor.require(Role.VIEWER, "file a dispute", Scope.WRITE)
    outside = data.submitter_kind != "member"
    if outside and not actor.is_coalition_admin:
        raise Forbidden("Only a coalition admin may record a dispute on behalf of someone else.")
    if outside and not data.submitter_name:
        raise InvalidInput("Give the name of the vendor or person the dispute comes from.")
    family = visible_family(session, actor, data.family_id)
    check_label(data.tlp, family.tlp, "dispute")
    dispute = Dispute(
        family_id=family.id,
        submitter_kind=data.submitter_kind,
        submitter_name=data.submitter_name if outside else actor.org_name,
        submitter_contact=data.submitter_contact if outside else "",
        grounds=data.grounds,
        status=DisputeStatus.OPEN,
        tlp=data.tlp,
        source_org_id=actor.org_id,
        created_at=now,
        updated_at=now,
    )
    session.add(dispute)
    session.flush()
    share_with(session, dispute, data.shared_with)
    # The outside person's contact stays out of the audit log, which more people read.
    details = {"family_id": family.id, "submitter_kind": data.submitter_kind, "tlp": data.tlp.value}
    record(session, actor, "dispute.filed", dispute, details)
    return dispute


def list_disputes(
    session: Session, viewer: Principal, status: DisputeStatus | None = None
) -> Sequence[Dispute]:
    viewer.require(Role.VIEWER, "see disputes", Scope.READ)
    query = visible(select(Dispute), Dispute, viewer).order_by(Dispute.id.desc())
    if status is not None:
        query = query.where(Dispute.status == status)
    return session.scalars(query).all()


def get_dispute(session: Session, viewer: Principal, dispute_id: int) -> Dispute:
    viewer.require(Role.VIEWER, "see disputes", Scope.READ)
    query = visible(select(Dispute).where(Dispute.id == dispute_id), Dispute, viewer)
    dispute = session.scalars(query).first()
    if dispute is None:
        raise NotFound(f"There is no dispute number {dispute_id} that you may see.")
    return dispute


def review_dispute(
    session: Session, actor: Principal, dispute_id: int, review: DisputeReview, *, now: datetime
) -> Dispute:
    """Move a dispute on: coalition admins review and decide; the filer may withdraw."""
    dispute = get_dispute(session, actor, dispute_id)
    _check_may_move(actor, dispute, review.status)
    if review.status not in NEXT[dispute.status]:
        raise Conflict(
            f"A dispute that is {_label(dispute.status)} cannot become {_label(review.status)}.",
            advice="Disputes go open, then under review, then upheld or dismissed.",
        )
    if review.status in DECIDED and not review.decision:
        raise InvalidInput("Write down the decision and its reasons before closing the dispute.")
    before = dispute.status
    dispute.status = review.status
    dispute.updated_at = now
    if review.status in DECIDED:
        dispute.decision = review.decision
        dispute.decided_at = now
        dispute.decided_by = actor.user_id
    details = {"from": before.value, "to": review.status.value, "decision": review.decision}
    record(session, actor, f"dispute.{review.status.value}", dispute, details)
    return dispute


def dispute_out(session: Session, viewer: Principal, dispute: Dispute) -> DisputeOut:
    return DisputeOut(
        id=dispute.id,
        family_id=dispute.family_id,
        family_name=family_name_for(session, viewer, dispute.family_id),
        proposal_id=dispute.proposal_id,
        submitter_kind=dispute.submitter_kind,
        submitter_name=dispute.submitter_name,
        submitter_contact=dispute.submitter_contact if viewer.is_coalition_admin else None,
        grounds=dispute.grounds,
        status=dispute.status,
        decision=dispute.decision,
        decided_at=dispute.decided_at,
        tlp=dispute.tlp,
        source_org_id=dispute.source_org_id,
        created_at=dispute.created_at,
    )


def _check_may_move(actor: Principal, dispute: Dispute, target: DisputeStatus) -> None:
    if target is DisputeStatus.WITHDRAWN and dispute.source_org_id == actor.org_id:
        actor.require(Role.VIEWER, "withdraw your organisation's dispute", Scope.WRITE)
        return
    actor.require(Role.COALITION_ADMIN, "review and decide disputes", Scope.ADMIN)


def _label(status: DisputeStatus) -> str:
    return status.value.replace("_", " ")
