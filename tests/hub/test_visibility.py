"""TLP: the one visibility rule, over every label x clearance x relation, with real queries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from unstalk.feed.model import TLP, IndicatorKind
from unstalk.hub.db import Family, Indicator, ObjectShare, Organisation, Sample
from unstalk.hub.db.intel import AnalysisStatus, Classification, RecordStatus
from unstalk.hub.roles import OrgKind
from unstalk.hub.visibility import visible

from .conftest import Hub

C, G, A, AS, R = TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED
EVERY = frozenset(TLP)

# What each kind of viewer sees, by their organisation's clearance: written out, not computed.
SEEN_BY_OTHERS = {C: {C}, G: {C, G}, A: {C, G, A}, AS: {C, G, A}, R: {C, G, A}}
SEEN_BY_NAMED = {C: {C}, G: {C, G}, A: {C, G, A}, AS: {C, G, A, AS}, R: set(EVERY)}
SEEN_BY_SOURCE = {clearance: set(EVERY) for clearance in TLP}


@dataclass(frozen=True)
class Viewer:
    org_id: int
    clearance: TLP


@dataclass(frozen=True)
class World:
    source: int
    named: int
    other: int


def _org(hub: Hub, name: str) -> int:
    with hub.db.writer() as session:
        org = Organisation(name=name, kind=OrgKind.ACADEMIC, country="FR", clearance=TLP.RED)
        session.add(org)
        session.flush()
        return org.id


def _world(hub: Hub) -> World:
    world = World(_org(hub, "Source"), _org(hub, "Named"), _org(hub, "Other"))
    with hub.db.writer() as session:
        family = Family(
            slug="spyapp",
            name="SpyApp",
            classification=Classification.STALKERWARE,
            status=RecordStatus.ACTIVE,
            tlp=TLP.CLEAR,
            source_org_id=world.source,
        )
        session.add(family)
        session.flush()
        for label in TLP:
            value = f"{label.value}.example"
            indicator = Indicator(
                family_id=family.id,
                kind=IndicatorKind.DOMAIN,
                value=value,
                value_sha256=hashlib.sha256(value.encode()).hexdigest(),
                status=RecordStatus.ACTIVE,
                tlp=label,
                source_org_id=world.source,
            )
            session.add(indicator)
            session.flush()
            session.add(
                ObjectShare(object_type="indicators", object_id=indicator.id, org_id=world.named)
            )
    return world


def _seen(hub: Hub, viewer: Viewer) -> set[TLP]:
    with hub.db.reader() as session:
        return set(session.scalars(visible(select(Indicator.tlp), Indicator, viewer)).all())


def test_truth_table_of_every_label_clearance_and_relation(any_hub: Hub) -> None:
    world = _world(any_hub)
    for clearance in TLP:
        for org_id, table in (
            (world.source, SEEN_BY_SOURCE),
            (world.named, SEEN_BY_NAMED),
            (world.other, SEEN_BY_OTHERS),
        ):
            seen = _seen(any_hub, Viewer(org_id, clearance))
            assert seen == table[clearance], (org_id, clearance)


def test_a_coalition_admin_does_not_see_red_they_are_not_named_on(any_hub: Hub) -> None:
    _world(any_hub)
    assert any_hub.admin.clearance is TLP.RED
    assert _seen(any_hub, Viewer(any_hub.admin.org_id, any_hub.admin.clearance)) == {C, G, A}


def test_a_share_of_another_kind_of_object_does_not_leak(any_hub: Hub) -> None:
    world = _world(any_hub)
    with any_hub.db.writer() as session:
        red = session.scalars(select(Indicator).where(Indicator.tlp == TLP.RED)).one()
        sample = Sample(
            sha256="0" * 64,
            size=1,
            blob_path="x",
            analysis_status=AnalysisStatus.PENDING,
            tlp=TLP.RED,
            source_org_id=world.source,
        )
        session.add(sample)
        session.flush()
        # A share of a sample whose id is the RED indicator's id must not open the indicator.
        session.add(ObjectShare(object_type="samples", object_id=red.id, org_id=world.other))
    assert R not in _seen(any_hub, Viewer(world.other, TLP.RED))


@pytest.mark.parametrize("entity", [Family, Sample])
def test_the_same_rule_applies_to_other_objects(any_hub: Hub, entity: type[Family]) -> None:
    world = _world(any_hub)
    with any_hub.db.reader() as session:
        rows = session.scalars(
            visible(select(entity.tlp), entity, Viewer(world.other, TLP.CLEAR))
        ).all()
    expected = [TLP.CLEAR] if entity is Family else []
    assert list(rows) == expected
