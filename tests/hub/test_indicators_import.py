"""The Echap feed on the hub: imported as coalition TLP:CLEAR objects, idempotently, audited once.

Look-ups over the import answer as ``unstalk feed match`` does over the same feed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from unstalk.cli.hub import hub as hub_group
from unstalk.feed import model as feed_model
from unstalk.feed.detect import lookup
from unstalk.feed.index import FeedIndex
from unstalk.feed.store import bundled_dir, load_folder
from unstalk.hub.db import AuditEntry, Family, Indicator
from unstalk.hub.db.intel import Classification, RecordStatus
from unstalk.hub.indicators.echap_import import GONE_REASON, import_echap

from .conftest import Hub
from .indicators_world import World, build_world, small_feed


def _import(hub: Hub, feed: feed_model.Feed) -> dict[str, object]:
    with hub.db.writer() as session:
        return import_echap(session, hub.admin, feed, source="test").model_dump()


def _indicators(hub: Hub) -> list[Indicator]:
    with hub.db.reader() as session:
        return list(session.scalars(select(Indicator).order_by(Indicator.id)))


def test_importing_twice_updates_and_never_duplicates(hub: Hub) -> None:
    first = _import(hub, small_feed())
    assert first["families_created"] == 2
    assert first["indicators_created"] == 4  # the feed lists one domain twice
    second = _import(hub, small_feed())
    assert second["families_created"] == second["indicators_created"] == 0
    assert second["indicators_unchanged"] == 4
    rows = _indicators(hub)
    assert len(rows) == 4
    assert {row.tlp for row in rows} == {feed_model.TLP.CLEAR}
    assert {row.source_org_id for row in rows} == {hub.admin.org_id}
    with hub.db.reader() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "indicators.imported")
        ).all()
        assert [e.details["indicators_created"] for e in entries] == [4, 0]
        assert session.scalar(select(func.count(AuditEntry.id))) == 3  # init and two imports
        pairs = session.execute(select(Family.slug, Family.classification))
        slugs = {pair[0]: pair[1] for pair in pairs}
    assert slugs == {
        "stalkerware/spyapp": Classification.STALKERWARE,
        "watchware/kidwatch": Classification.WATCHWARE,
    }


def test_an_indicator_dropped_from_the_feed_is_revoked_and_comes_back_when_listed_again(
    hub: Hub,
) -> None:
    feed = small_feed()
    _import(hub, feed)
    without_cidr = replace(
        feed,
        indicators=tuple(i for i in feed.indicators if i.kind is not feed_model.IndicatorKind.CIDR),
    )
    assert _import(hub, without_cidr)["indicators_revoked"] == 1
    (cidr,) = [row for row in _indicators(hub) if row.kind is feed_model.IndicatorKind.CIDR]
    assert (cidr.status, cidr.revoked_reason) == (RecordStatus.REVOKED, GONE_REASON)
    assert _import(hub, feed)["indicators_updated"] == 1
    (cidr,) = [row for row in _indicators(hub) if row.kind is feed_model.IndicatorKind.CIDR]
    assert cidr.status is RecordStatus.ACTIVE


def test_a_classification_decided_on_the_hub_survives_a_reimport(hub: Hub) -> None:
    _import(hub, small_feed())
    with hub.db.writer() as session:
        family = session.scalars(select(Family).where(Family.slug == "watchware/kidwatch")).one()
        family.classification = Classification.STALKERWARE
    _import(hub, small_feed())
    with hub.db.reader() as session:
        family = session.scalars(select(Family).where(Family.slug == "watchware/kidwatch")).one()
        assert family.classification is Classification.STALKERWARE


def test_only_coalition_admins_import_through_the_api(hub: Hub, api: TestClient) -> None:
    world: World = build_world(hub)
    assert api.post("/api/v1/imports/echap", headers=world.h("source")).status_code == 403
    response = api.post("/api/v1/imports/echap", headers=world.h("coalition"))
    assert response.status_code == 200, response.text
    assert response.json()["families_created"] > 100
    _check_lookups_match_the_feed(api, world)


def _check_lookups_match_the_feed(api: TestClient, world: World) -> None:
    """The hub answers each value with the same family, kind and indicator as ``feed match``."""
    feed = load_folder(bundled_dir())
    index = FeedIndex.build(feed)
    values = sorted(
        {i.value for i in feed.indicators if i.kind is not feed_model.IndicatorKind.YARA}
    )
    values = values[::25] + [
        "sub.thetruthspy.com",
        "https://thetruthspy.com/download/app.apk",
        "7f:5c:0d:54:a8:13:ba:9b:87:a9:14:20:ca:2c:3d:e5:e7:94:8f:09",
        "not-listed.example",
    ]
    response = api.post("/api/v1/lookup", json={"values": values}, headers=world.h("low"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert response.json()["matched"] > 100
    for value, result in zip(values, results, strict=True):
        expected = {(m.family.id, m.kind.value, m.indicator.value) for m in lookup(index, value)}
        got = {(m["family_id"], m["kind"], m["indicator"]) for m in result["matches"]}
        assert got == expected, value


def test_the_cli_imports_an_echap_folder(hub: Hub, tmp_path: Path) -> None:
    folder = tmp_path / "echap"
    folder.mkdir()
    (folder / "ioc.yaml").write_text(
        "- name: SpyApp\n  names:\n  - SpyApp\n  type: stalkerware\n"
        "  packages:\n  - com.spyapp.agent\n  websites:\n  - spyapp.example\n",
        encoding="utf-8",
    )

    @click.group()
    def cli() -> None:
        """The hub commands, as the main CLI registers them."""

    cli.add_command(hub_group)
    args = ["hub", "import-echap", "--database", hub.db.url, str(folder)]
    for _ in range(2):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
    assert "Indicators: 0 added, 0 updated, 2 unchanged" in result.output
    rows = _indicators(hub)
    assert {row.value for row in rows} == {"com.spyapp.agent", "spyapp.example"}
    with hub.db.reader() as session:
        labels = session.scalars(
            select(AuditEntry.actor_label).where(AuditEntry.action == "indicators.imported")
        ).all()
    assert labels == ["cli", "cli"]
