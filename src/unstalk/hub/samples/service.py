"""Samples in the database: register an upload, find them under TLP, accept proposals.

Every query for samples goes through :func:`unstalk.hub.visibility.visible`;
a sample the viewer may not see answers exactly like one that does not exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.feed.model import TLP
from unstalk.hub.audit import record
from unstalk.hub.db import Family, Indicator, ObjectShare, Organisation, Sample, utcnow
from unstalk.hub.db.intel import AnalysisStatus, RecordStatus
from unstalk.hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.samples.proposals import Proposal, ProposalState
from unstalk.hub.samples.schemas import (
    AcceptIn,
    AnalysisOut,
    Consent,
    Provenance,
    SampleMeta,
    SampleOut,
)
from unstalk.hub.visibility import NAMED_ONLY, tlp_rank, visible


def invisible_duplicate() -> Conflict:
    return Conflict(
        "The hub already holds this file, shared under a label your organisation cannot see.",
        advice="Ask the coalition's coordinator to put you in touch with its source.",
    )


SURVIVOR_FLOOR = TLP.AMBER
"""Samples from a survivor's device are never shared more widely than this."""


def check_may_upload(user: Principal) -> None:
    user.require(Role.ANALYST, "upload samples", Scope.SAMPLES)


def sample_tlp(meta: SampleMeta) -> TLP:
    """The label a new sample gets: the one asked for, within the survivor floor."""
    survivor = meta.provenance.from_survivor_device
    if meta.tlp is None:
        return SURVIVOR_FLOOR if survivor else TLP.GREEN
    if survivor and tlp_rank(meta.tlp) < tlp_rank(SURVIVOR_FLOOR):
        raise InvalidInput(
            "A sample from a survivor's device is shared at TLP:AMBER or more restricted.",
            advice="Choose AMBER, AMBER+STRICT or RED.",
        )
    return meta.tlp


def register(
    session: Session, user: Principal, sha256: str, size: int, blob: str, meta: SampleMeta
) -> tuple[Sample | None, bool]:
    """The sample for an upload, and whether the hub already held it (then nothing is added).

    None when the hub holds the file under a label the uploader may not see: the
    refusal is audited here and raised by the caller once the entry is committed.
    """
    check_may_upload(user)
    existing = session.scalars(select(Sample).where(Sample.sha256 == sha256)).first()
    if existing is not None:
        seen = visible(select(Sample.id), Sample, user).where(Sample.id == existing.id)
        if session.scalars(seen).first() is None:
            record(session, user, "sample.duplicate_refused", details={"sha256": sha256})
            return None, True
        record(session, user, "sample.duplicate_upload", existing, {"sha256": sha256})
        return existing, True
    tlp = sample_tlp(meta)
    sample = Sample(
        sha256=sha256,
        size=size,
        filename=meta.filename,
        blob_path=blob,
        tlp=tlp,
        source_org_id=user.org_id,
        from_survivor_device=meta.provenance.from_survivor_device,
        consent_given=_consent_column(meta.provenance.consent),
        may_contain_personal_data=meta.provenance.may_contain_personal_data,
        analysis_status=AnalysisStatus.PENDING,
        uploaded_by=user.user_id,
    )
    session.add(sample)
    session.flush()
    named = _share(session, sample, meta.shared_with - {user.org_id})
    details: dict[str, object] = {"sha256": sha256, "size": size, "tlp": tlp.value}
    record(session, user, "sample.uploaded", sample, {**details, "shared_with": named})
    return sample, False


def _share(session: Session, sample: Sample, org_ids: frozenset[int]) -> list[int]:
    if not org_ids:
        return []
    if sample.tlp not in NAMED_ONLY:
        raise InvalidInput("Organisations are named only on AMBER+STRICT or RED samples.")
    found = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(org_ids))).all())
    if found != org_ids:
        raise InvalidInput(f"There is no organisation numbered {min(org_ids - found)}.")
    for org_id in sorted(org_ids):
        session.add(ObjectShare(object_type="samples", object_id=sample.id, org_id=org_id))
    return sorted(org_ids)


def _consent_column(consent: Consent) -> bool | None:
    return {Consent.YES: True, Consent.NO: False, Consent.UNKNOWN: None}[consent]


def get_sample(session: Session, viewer: Principal, sample_id: int) -> Sample:
    """The sample, when ``viewer`` may see it; the same :class:`NotFound` otherwise."""
    found = session.scalars(
        visible(select(Sample), Sample, viewer).where(Sample.id == sample_id)
    ).first()
    if found is None:
        raise NotFound("There is no such sample, or your organisation may not see it.")
    return found


def list_samples(
    session: Session, viewer: Principal, *, limit: int = 100, before_id: int | None = None
) -> Sequence[Sample]:
    """Newest first, only what the viewer may see."""
    query = visible(select(Sample), Sample, viewer).order_by(Sample.id.desc())
    if before_id is not None:
        query = query.where(Sample.id < before_id)
    return session.scalars(query.limit(max(1, min(limit, 500)))).all()


def provenance(sample: Sample) -> Provenance:
    consent = {True: Consent.YES, False: Consent.NO, None: Consent.UNKNOWN}[sample.consent_given]
    return Provenance(
        from_survivor_device=sample.from_survivor_device,
        consent=consent,
        may_contain_personal_data=sample.may_contain_personal_data,
    )


def sample_out(sample: Sample, *, duplicate: bool = False) -> SampleOut:
    analysis = sample.analysis or {}
    result = analysis.get("result")
    result = result if isinstance(result, dict) else {}
    verdict = result.get("verdict")
    return SampleOut(
        id=sample.id,
        sha256=sample.sha256,
        size=sample.size,
        filename=sample.filename,
        tlp=sample.tlp,
        source_org_id=sample.source_org_id,
        family_id=sample.family_id,
        provenance=provenance(sample),
        analysis_status=sample.analysis_status,
        analysis_error=str(analysis.get("error", "")),
        package=str(result["package"]) if isinstance(result.get("package"), str) else None,
        verdict=str(verdict["verdict"]) if isinstance(verdict, dict) else None,
        created_at=sample.created_at,
        duplicate=duplicate,
    )


def proposals_of(sample: Sample) -> list[Proposal]:
    raw = (sample.analysis or {}).get("proposals")
    return [Proposal.model_validate(item) for item in raw] if isinstance(raw, list) else []


def analysis_out(sample: Sample) -> AnalysisOut:
    analysis = sample.analysis or {}
    result = analysis.get("result")
    return AnalysisOut(
        sample_id=sample.id,
        status=sample.analysis_status,
        error=str(analysis.get("error", "")),
        result=result if isinstance(result, dict) else None,
        proposals=proposals_of(sample),
    )


def _open_proposal(
    session: Session, user: Principal, sample_id: int, number: int
) -> tuple[Sample, Proposal]:
    sample = get_sample(session, user, sample_id)
    user.require(Role.ANALYST, "accept or dismiss proposed indicators", Scope.WRITE)
    if sample.source_org_id != user.org_id:
        raise Forbidden("Only the organisation that shared this sample decides on its proposals.")
    found = [p for p in proposals_of(sample) if p.number == number]
    if not found:
        raise NotFound("This sample has no proposal with that number.")
    if found[0].state is not ProposalState.PROPOSED:
        raise Conflict(f"This proposal was already {found[0].state.value}.")
    return sample, found[0]


def _store_proposal(sample: Sample, changed: Proposal) -> None:
    proposals = [changed if p.number == changed.number else p for p in proposals_of(sample)]
    # A new dict, so the ORM sees the JSON column change.
    sample.analysis = {
        **(sample.analysis or {}),
        "proposals": [p.model_dump(mode="json") for p in proposals],
    }


def dismiss(session: Session, user: Principal, sample_id: int, number: int) -> Proposal:
    sample, proposal = _open_proposal(session, user, sample_id, number)
    dismissed = proposal.model_copy(update={"state": ProposalState.DISMISSED})
    _store_proposal(sample, dismissed)
    record(session, user, "sample.proposal_dismissed", sample, _describe(proposal))
    return dismissed


def accept(
    session: Session, user: Principal, sample_id: int, number: int, body: AcceptIn
) -> Proposal:
    """Turn a proposal into an indicator with the sample's TLP, source and named organisations."""
    sample, proposal = _open_proposal(session, user, sample_id, number)
    family_id = body.family_id if body.family_id is not None else sample.family_id
    if family_id is None:
        raise InvalidInput("Choose the family this indicator belongs to.")
    family = session.scalars(
        visible(select(Family), Family, user).where(Family.id == family_id)
    ).first()
    if family is None:
        raise NotFound("There is no such family, or your organisation may not see it.")
    value_sha256 = hashlib.sha256(proposal.value.encode()).hexdigest()
    clash = select(Indicator.id).where(
        Indicator.family_id == family.id,
        Indicator.kind == proposal.kind,
        Indicator.value_sha256 == value_sha256,
    )
    if session.scalars(clash).first() is not None:
        raise Conflict(f"The family {family.name} already has this indicator.")
    indicator = _indicator(sample, proposal, family.id, body.confidence, user)
    session.add(indicator)
    session.flush()
    for share in session.scalars(
        select(ObjectShare).where(
            ObjectShare.object_type == "samples", ObjectShare.object_id == sample.id
        )
    ):
        session.add(
            ObjectShare(object_type="indicators", object_id=indicator.id, org_id=share.org_id)
        )
    if sample.family_id is None:
        sample.family_id = family.id
    accepted = proposal.model_copy(
        update={"state": ProposalState.ACCEPTED, "indicator_id": indicator.id}
    )
    _store_proposal(sample, accepted)
    details = {**_describe(proposal), "family_id": family.id, "sample_id": sample.id}
    record(session, user, "indicator.created_from_sample", indicator, details)
    return accepted


def _indicator(
    sample: Sample, proposal: Proposal, family_id: int, confidence: int, user: Principal
) -> Indicator:
    now = utcnow()
    return Indicator(
        family_id=family_id,
        kind=proposal.kind,
        value=proposal.value,
        value_sha256=hashlib.sha256(proposal.value.encode()).hexdigest(),
        role=proposal.role,
        confidence=confidence,
        first_seen=sample.created_at,
        last_seen=now,
        status=RecordStatus.ACTIVE,
        tlp=sample.tlp,
        source_org_id=sample.source_org_id,
        from_sample_id=sample.id,
        created_by=user.user_id,
    )


def _describe(proposal: Proposal) -> dict[str, object]:
    return {"proposal": proposal.number, "kind": proposal.kind.value, "value": proposal.value}
