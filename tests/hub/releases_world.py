"""Shared objects for the release, TAXII and MISP tests, and the hub served on loopback."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from unstalk.feed.model import TLP, IndicatorKind, Role
from unstalk.hub.db import Database, Family, Indicator, ObjectShare
from unstalk.hub.db.intel import Classification, RecordStatus
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role as HubRole

from .conftest import Hub
from .helpers import add_org, api_key, principal, scopes_for

LABELS = {
    TLP.CLEAR: "clear",
    TLP.GREEN: "green",
    TLP.AMBER: "amber",
    TLP.AMBER_STRICT: "amberstrict",
    TLP.RED: "red",
}


def domain(label: TLP) -> str:
    return f"{LABELS[label]}.spy.example"


def add_family(
    db: Database,
    org_id: int,
    slug: str,
    *,
    classification: Classification = Classification.STALKERWARE,
    tlp: TLP = TLP.CLEAR,
) -> int:
    with db.writer() as session:
        family = Family(
            slug=slug,
            name=slug.capitalize(),
            classification=classification,
            status=RecordStatus.ACTIVE,
            tlp=tlp,
            source_org_id=org_id,
        )
        session.add(family)
        session.flush()
        return family.id


def add_indicator(
    db: Database,
    org_id: int,
    family_id: int,
    kind: IndicatorKind,
    value: str,
    *,
    tlp: TLP = TLP.CLEAR,
    role: Role | None = None,
    status: RecordStatus = RecordStatus.ACTIVE,
    named: tuple[int, ...] = (),
) -> int:
    with db.writer() as session:
        row = Indicator(
            family_id=family_id,
            kind=kind,
            value=value,
            value_sha256=hashlib.sha256(value.encode()).hexdigest(),
            role=role,
            status=status,
            tlp=tlp,
            source_org_id=org_id,
        )
        session.add(row)
        session.flush()
        for org in named:
            session.add(ObjectShare(object_type="indicators", object_id=row.id, org_id=org))
        return row.id


@dataclass(frozen=True)
class World:
    """Organisations in every relation to one source, and their API keys."""

    source: Principal
    named: Principal
    other: Principal
    """RED clearance, but never named on anything."""
    green: Principal
    keys: dict[str, str]
    spyapp: int


def _member(hub: Hub, name: str, clearance: TLP) -> Principal:
    _, admin_id = add_org(hub.db, hub.passwords, hub.admin, name, clearance=clearance)
    return principal(hub.db, admin_id)


def build_world(hub: Hub) -> World:
    """SpyApp (CLEAR) with one C2 domain per label; AMBER+STRICT and RED name ``named``.

    Also a revoked CLEAR indicator, an unclassified family, a watchware family,
    a GREEN family and a "not stalkerware" family, none of which a release may hold
    except the watchware one.
    """
    source = _member(hub, "Source", TLP.RED)
    named = _member(hub, "Named", TLP.RED)
    other = _member(hub, "Other", TLP.RED)
    green = _member(hub, "Greenorg", TLP.GREEN)
    db = hub.db
    spy = add_family(db, source.org_id, "spyapp")
    for label in LABELS:
        add_indicator(
            db,
            source.org_id,
            spy,
            IndicatorKind.DOMAIN,
            domain(label),
            tlp=label,
            role=Role.C2,
            named=(named.org_id,) if label in (TLP.AMBER_STRICT, TLP.RED) else (),
        )
    add_indicator(db, source.org_id, spy, IndicatorKind.PACKAGE, "com.spyapp.agent")
    add_indicator(
        db,
        source.org_id,
        spy,
        IndicatorKind.DOMAIN,
        "revoked.spy.example",
        role=Role.C2,
        status=RecordStatus.REVOKED,
    )
    watch = add_family(db, source.org_id, "kidwatch", classification=Classification.WATCHWARE)
    add_indicator(db, source.org_id, watch, IndicatorKind.PACKAGE, "com.kidwatch.app")
    mystery = add_family(db, source.org_id, "mystery", classification=Classification.UNCLASSIFIED)
    add_indicator(db, source.org_id, mystery, IndicatorKind.PACKAGE, "com.mystery.app")
    fine = add_family(db, source.org_id, "harmless", classification=Classification.NOT_STALKERWARE)
    add_indicator(db, source.org_id, fine, IndicatorKind.PACKAGE, "com.harmless.app")
    hidden = add_family(db, source.org_id, "hiddenapp", tlp=TLP.GREEN)
    add_indicator(db, source.org_id, hidden, IndicatorKind.PACKAGE, "com.hiddenapp.x")
    now = hub.clock()
    keys = {
        who.org_name: api_key(db, who, scopes_for(HubRole.ORG_ADMIN), now=now)
        for who in (source, named, other, green)
    }
    keys["admin"] = api_key(db, hub.admin, scopes_for(HubRole.COALITION_ADMIN), now=now)
    return World(source, named, other, green, keys, spy)
