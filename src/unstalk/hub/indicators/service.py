"""Indicators: create, edit and revoke (never delete), each change audited with before and after.

Values are normalised exactly as the feed does (:func:`unstalk.feed.model.normalise_value`)
and checked for their kind, so a value added on the hub matches in ``unstalk feed match``
as it would in the feed. The kind and value of an indicator never change: a wrong value is
revoked, with the reason, and the right one added.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from unstalk.feed.model import NETWORK_KINDS, IndicatorKind, Role, normalise_value
from unstalk.feed.values import compiles, is_hex, is_valid_value
from unstalk.hub.audit import record
from unstalk.hub.db import Family, Indicator
from unstalk.hub.db.intel import RecordStatus
from unstalk.hub.errors import Conflict, InvalidInput, NotFound
from unstalk.hub.indicators.families import get_family
from unstalk.hub.indicators.schemas import IndicatorIn, IndicatorOut, IndicatorPatch
from unstalk.hub.indicators.shared import (
    changes,
    check_label,
    mark_changed,
    org_names,
    require_owner,
    revocations_of,
    revoke,
    set_shares,
    shares_of,
    snapshot,
)
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role as UserRole
from unstalk.hub.roles import Scope
from unstalk.hub.visibility import Viewer, visible

TABLE = "indicators"
FIELDS = (
    "family_id",
    "kind",
    "value",
    "role",
    "name",
    "confidence",
    "first_seen",
    "last_seen",
    "tlp",
    "status",
)
_HEX_LENGTHS = {
    IndicatorKind.CERT_SHA1: 40,
    IndicatorKind.CERT_SHA256: 64,
    IndicatorKind.FILE_SHA256: 64,
}
MAX_VALUE = {IndicatorKind.YARA: 100_000}
"""Longest value per kind, in characters; other kinds take up to 2,048."""


def value_sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalised(kind: IndicatorKind, value: str, role: Role | None) -> str:
    """The feed's spelling of ``value``; :class:`InvalidInput` when it is not a ``kind``."""
    text = normalise_value(kind, value)
    if not text or len(text) > MAX_VALUE.get(kind, 2048):
        raise InvalidInput(f"The {kind.value} value is empty or too long.")
    if role is not None and kind not in NETWORK_KINDS:
        raise InvalidInput(f"Only network indicators have a role; a {kind.value} has none.")
    length = _HEX_LENGTHS.get(kind)
    if length is not None and not is_hex(text, length):
        raise InvalidInput(f"A {kind.value} is {length} hexadecimal digits; got '{value[:80]}'.")
    if kind in NETWORK_KINDS and not is_valid_value(kind, text):
        raise InvalidInput(f"'{value[:80]}' is not a valid {kind.value}.")
    if kind is IndicatorKind.CERT_CNAME_RE and not compiles(text):
        raise InvalidInput("The certificate name pattern is not a valid regular expression.")
    return text


def get_indicator(session: Session, viewer: Viewer, indicator_id: int) -> Indicator:
    """The indicator if ``viewer`` may see it and its family; :class:`NotFound` otherwise."""
    query = _visible_query(viewer).where(Indicator.id == indicator_id)
    found = session.scalars(query).first()
    if found is None:
        raise NotFound(f"There is no indicator {indicator_id} that your organisation may see.")
    return found


def list_indicators(
    session: Session,
    viewer: Viewer,
    *,
    family_id: int | None = None,
    kind: IndicatorKind | None = None,
    status: RecordStatus | None = None,
    limit: int = 100,
    after_id: int = 0,
) -> Sequence[Indicator]:
    """Visible indicators by id, ``limit`` at a time after ``after_id``; revoked ones included."""
    query = _visible_query(viewer).where(Indicator.id > after_id)
    if family_id is not None:
        query = query.where(Indicator.family_id == family_id)
    if kind is not None:
        query = query.where(Indicator.kind == kind)
    if status is not None:
        query = query.where(Indicator.status == status)
    return session.scalars(query.order_by(Indicator.id).limit(max(1, min(limit, 1000)))).all()


def create_indicator(session: Session, actor: Principal, data: IndicatorIn) -> Indicator:
    actor.require(UserRole.ANALYST, "add indicators", Scope.WRITE)
    check_label(actor, data.tlp)
    family = get_family(session, actor, data.family_id)
    if family.status is RecordStatus.REVOKED:
        raise Conflict("This family is revoked; add the indicator to an active family.")
    value = normalised(data.kind, data.value, data.role)
    _check_dates(data.first_seen, data.last_seen)
    digest = value_sha256(value)
    existing = session.scalars(
        select(Indicator.id).where(
            Indicator.family_id == family.id,
            Indicator.kind == data.kind,
            Indicator.value_sha256 == digest,
        )
    ).first()
    if existing is not None:
        raise Conflict(f"This {data.kind.value} is already listed under {family.name}.")
    indicator = Indicator(
        family_id=family.id,
        kind=data.kind,
        value=value,
        value_sha256=digest,
        role=data.role,
        name=data.name or None,
        confidence=data.confidence,
        first_seen=data.first_seen,
        last_seen=data.last_seen,
        tlp=data.tlp,
        source_org_id=actor.org_id,
        status=RecordStatus.ACTIVE,
        revoked_reason="",
        created_by=actor.user_id,
    )
    session.add(indicator)
    session.flush()
    shared = set_shares(session, indicator, data.tlp, data.shared_with, object_id=indicator.id)
    after = {**snapshot(indicator, FIELDS), "shared_with": shared}
    record(session, actor, "indicator.created", indicator, {"after": after})
    mark_changed(session)
    return indicator


def update_indicator(
    session: Session, actor: Principal, indicator_id: int, patch: IndicatorPatch
) -> Indicator:
    indicator = get_indicator(session, actor, indicator_id)
    require_owner(actor, indicator, "change this indicator")
    if indicator.status is RecordStatus.REVOKED:
        raise Conflict("This indicator is revoked; revoked indicators stay as they were.")
    before = {**snapshot(indicator, FIELDS), "shared_with": _shares(session, indicator)}
    if patch.tlp is not None:
        check_label(actor, patch.tlp)
    if patch.role is not None:
        normalised(indicator.kind, indicator.value, patch.role)
    for name, value in patch.model_dump(exclude_unset=True, exclude={"shared_with"}).items():
        if value is not None or name in ("role", "name", "first_seen", "last_seen"):
            setattr(indicator, name, value)
    _check_dates(indicator.first_seen, indicator.last_seen)
    named = patch.shared_with if patch.shared_with is not None else before["shared_with"]
    named_ids = [int(v) for v in named] if isinstance(named, list) else []
    shared = set_shares(session, indicator, indicator.tlp, named_ids, object_id=indicator.id)
    after = {**snapshot(indicator, FIELDS), "shared_with": shared}
    record(session, actor, "indicator.updated", indicator, changes(before, after))
    mark_changed(session)
    return indicator


def revoke_indicator(
    session: Session, actor: Principal, indicator_id: int, reason: str
) -> Indicator:
    """Mark the indicator revoked with the reason: it stays listed, and stops matching."""
    indicator = get_indicator(session, actor, indicator_id)
    revoke(session, actor, indicator, "indicator", reason)
    return indicator


def describe_indicators(session: Session, indicators: Sequence[Indicator]) -> list[IndicatorOut]:
    """The API's view of each indicator: family, source name, named organisations, revocation."""
    ids = [i.id for i in indicators]
    shares = shares_of(session, TABLE, ids)
    names = org_names(session, (i.source_org_id for i in indicators))
    family_ids = {i.family_id for i in indicators}
    families = {f.id: f for f in session.scalars(select(Family).where(Family.id.in_(family_ids)))}
    revoked = {i.id: i.revoked_reason for i in indicators if i.status is RecordStatus.REVOKED}
    revocations = revocations_of(session, TABLE, "indicator.revoked", revoked)
    return [
        IndicatorOut(
            id=i.id,
            family_id=i.family_id,
            family_slug=families[i.family_id].slug,
            family_name=families[i.family_id].name,
            kind=i.kind,
            value=i.value,
            value_sha256=i.value_sha256,
            role=i.role,
            name=i.name,
            confidence=i.confidence,
            first_seen=i.first_seen,
            last_seen=i.last_seen,
            tlp=i.tlp,
            source_org_id=i.source_org_id,
            source_org=names.get(i.source_org_id, ""),
            status=i.status,
            revoked=revocations.get(i.id),
            shared_with=shares.get(i.id, []),
            created_at=i.created_at,
            updated_at=i.updated_at,
        )
        for i in indicators
    ]


def _visible_query(viewer: Viewer) -> Select[Indicator]:
    """Indicators the viewer may see, whose family the viewer may see too.

    An indicator shown without its family would still name the family; requiring both
    keeps a family's name with the organisations its label allows.
    """
    query = select(Indicator).join(Family, Family.id == Indicator.family_id)
    return visible(visible(query, Indicator, viewer), Family, viewer)


def _check_dates(first: datetime | None, last: datetime | None) -> None:
    if first is not None and last is not None and last < first:
        raise InvalidInput("The last-seen date is before the first-seen date.")


def _shares(session: Session, indicator: Indicator) -> list[int]:
    return shares_of(session, TABLE, [indicator.id]).get(indicator.id, [])
