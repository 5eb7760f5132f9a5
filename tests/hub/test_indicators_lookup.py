"""Look-ups: the answer's shape, bad input, and the cached index seeing every change."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from unstalk.feed.model import TLP, IndicatorKind
from unstalk.hub.db import Indicator
from unstalk.hub.db.intel import RecordStatus
from unstalk.hub.indicators.echap_import import import_echap
from unstalk.hub.indicators.families import create_family
from unstalk.hub.indicators.lookup import IndexCache
from unstalk.hub.indicators.schemas import MAX_LOOKUP_VALUES, FamilyIn, IndicatorIn
from unstalk.hub.indicators.service import (
    create_indicator,
    describe_indicators,
    get_indicator,
    revoke_indicator,
)
from unstalk.hub.principal import Principal

from .conftest import Hub
from .helpers import Ticker, principal
from .indicators_world import World, add_family, add_indicator, build_world, small_feed


@pytest.fixture
def world(hub: Hub) -> World:
    return build_world(hub)


def test_a_lookup_answers_like_feed_match_with_parent_domains_and_cidrs(
    api: TestClient, world: World
) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    add_indicator(api, analyst, family_id, "domain", "spy.example", role="c2", confidence=70)
    add_indicator(api, analyst, family_id, "cidr", "198.51.100.0/24", role="c2")
    hit = api.get("/api/v1/lookup?value=api.eu.spy.example", headers=world.h("low")).json()
    assert hit["kinds"][0] == "domain"
    (match,) = hit["matches"]
    assert match["indicator"] == "spy.example"
    assert (match["family"], match["family_id"], match["family_type"]) == (
        "Spy",
        "spy",
        "unclassified",
    )
    assert (match["role"], match["confidence"], match["source"]) == ("c2", 70, "Source")
    assert match["severity"] == "low"  # unclassified never reads as stalkerware
    address = api.get("/api/v1/lookup?value=198.51.100.77", headers=world.h("low")).json()
    assert [m["indicator"] for m in address["matches"]] == ["198.51.100.0/24"]
    nothing = api.get("/api/v1/lookup?value=%20", headers=world.h("low")).json()
    assert nothing == {"value": " ", "kinds": [], "matches": []}


def test_lookup_input_limits(api: TestClient, world: World) -> None:
    headers = world.h("low")
    assert api.get("/api/v1/lookup", headers=headers).status_code == 422
    assert api.get("/api/v1/lookup?value=" + "a" * 5000, headers=headers).status_code == 422
    too_many = {"values": ["x.example"] * (MAX_LOOKUP_VALUES + 1)}
    assert api.post("/api/v1/lookup", json=too_many, headers=headers).status_code == 422
    assert api.post("/api/v1/lookup", json={"values": []}, headers=headers).status_code == 422
    assert api.get("/api/v1/lookup?value=x.example").status_code == 401


def _viewer(hub: Hub, world: World) -> Principal:
    return principal(hub.db, world.members["other"].user_id)


def test_the_cache_sees_a_change_by_another_process_within_the_recheck_time(
    hub: Hub, api: TestClient, world: World
) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    add_indicator(api, analyst, family_id, "package", "com.spy.agent")
    ticker = Ticker()
    cache = IndexCache(hub.db, recheck_seconds=5, monotonic=ticker)
    viewer = _viewer(hub, world)
    assert cache.get(viewer).lookup("com.spy.agent").matches
    # Written straight to the database, as another worker or the CLI would: no in-process signal.
    with hub.db.writer() as session:
        session.execute(update(Indicator).values(status=RecordStatus.REVOKED, revoked_reason="x"))
    assert cache.get(viewer).lookup("com.spy.agent").matches
    ticker.seconds += 6
    assert cache.get(viewer).lookup("com.spy.agent").matches == []


def test_the_cache_sees_a_change_by_this_process_at_once(
    hub: Hub, api: TestClient, world: World
) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    cache = IndexCache(hub.db, recheck_seconds=3600, monotonic=Ticker())
    viewer = _viewer(hub, world)
    assert cache.get(viewer).lookup("com.spy.agent").matches == []
    add_indicator(api, analyst, family_id, "package", "com.spy.agent")
    assert cache.get(viewer).lookup("com.spy.agent").matches


def test_the_export_lists_every_visible_active_indicator(api: TestClient, world: World) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    keep = add_indicator(api, analyst, family_id, "package", "com.spy.keep")
    gone = add_indicator(api, analyst, family_id, "package", "com.spy.gone")
    api.post(f"/api/v1/indicators/{gone}/revoke", json={"reason": "typo"}, headers=analyst)
    export = api.get("/api/v1/indicators/export", headers=world.h("other")).json()
    assert export["organisation"] == "Other"
    assert [(i["id"], i["value"], i["source"]) for i in export["indicators"]] == [
        (keep, "com.spy.keep", "Source")
    ]


def test_add_look_up_revoke_and_import_on_every_database(any_hub: Hub) -> None:
    db, admin = any_hub.db, any_hub.admin
    with db.writer() as session:
        family = create_family(session, admin, FamilyIn(name="Spy", tlp=TLP.RED))
        data = IndicatorIn(family_id=family.id, kind=IndicatorKind.DOMAIN, value="Spy.Example")
        indicator_id = create_indicator(session, admin, data).id
    with db.writer() as session:
        import_echap(session, admin, small_feed(), source="test")
    cache = IndexCache(db, monotonic=Ticker())
    assert [m.indicator for m in cache.get(admin).lookup("a.spy.example").matches] == [
        "spy.example"
    ]
    assert cache.get(admin).lookup("com.spyapp.agent").matches
    with db.writer() as session:
        revoke_indicator(session, admin, indicator_id, "sinkholed")
    assert cache.get(admin).lookup("a.spy.example").matches == []
    with db.reader() as session:
        (out,) = describe_indicators(session, [get_indicator(session, admin, indicator_id)])
    assert out.revoked is not None and out.revoked.reason == "sinkholed"
