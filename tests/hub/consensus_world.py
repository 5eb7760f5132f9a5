"""A hub with five member organisations, a family and an API client per organisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx2 import Response

from unstalk.feed.model import TLP, IndicatorKind
from unstalk.hub.db import Family, Indicator, Sample
from unstalk.hub.db.intel import AnalysisStatus, Classification, RecordStatus
from unstalk.hub.roles import Role

from .conftest import Hub
from .helpers import add_org, api_key, bearer, principal, scopes_for

ORGS = {
    "proposer": TLP.AMBER,
    "beta": TLP.AMBER,
    "gamma": TLP.AMBER,
    "delta": TLP.RED,
    "low": TLP.GREEN,
}
"""Organisation name -> clearance; "low" sees GREEN and below only."""


@dataclass
class World:
    hub: Hub
    client: TestClient
    org_ids: dict[str, int] = field(default_factory=dict)
    admin_ids: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    family_id: int = 0

    def call(
        self, who: str, method: str, path: str, body: Mapping[str, object] | None = None
    ) -> Response:
        headers = bearer(self.keys[who])
        return self.client.request(method, f"/api/v1{path}", json=body, headers=headers)

    def propose(self, **fields: object) -> Response:
        """Propose SpyApp as stalkerware, as "proposer" unless ``who`` says otherwise."""
        who = str(fields.pop("who", "proposer"))
        body: dict[str, object] = {
            "family_id": self.family_id,
            "classification": "stalkerware",
            "criteria_claimed": ["CAS-1"],
            "evidence": "Sold as a way to read a partner's messages in secret.",
            **fields,
        }
        return self.call(who, "POST", "/proposals", body)

    def vote(self, who: str, proposal_id: int, choice: str, rationale: str = "") -> Response:
        body = {"choice": choice, "rationale": rationale}
        return self.call(who, "PUT", f"/proposals/{proposal_id}/vote", body)

    def close_window(self, days: float = 15) -> None:
        self.hub.clock.advance(days=days)

    def family(self) -> Family:
        with self.hub.db.reader() as session:
            found = session.get(Family, self.family_id)
        assert found is not None
        return found

    def add_family(self, name: str, label: TLP = TLP.GREEN) -> int:
        """A family shared by the coalition's own organisation."""
        yesterday = self.hub.clock() - timedelta(days=1)
        with self.hub.db.writer() as session:
            family = Family(
                slug=name.lower(),
                name=name,
                classification=Classification.UNCLASSIFIED,
                status=RecordStatus.ACTIVE,
                tlp=label,
                source_org_id=self.hub.admin.org_id,
                created_at=yesterday,
                updated_at=yesterday,
            )
            session.add(family)
            session.flush()
            return family.id

    def add_sample(self, owner: str, label: TLP) -> int:
        with self.hub.db.writer() as session:
            sample = Sample(
                sha256=f"{len(owner):02d}{label.value}".ljust(64, "0")[:64],
                size=10,
                blob_path="x",
                analysis_status=AnalysisStatus.DONE,
                tlp=label,
                source_org_id=self.org_ids[owner],
            )
            session.add(sample)
            session.flush()
            return sample.id

    def add_indicator(self, owner: str, label: TLP, value: str) -> int:
        with self.hub.db.writer() as session:
            indicator = Indicator(
                family_id=self.family_id,
                kind=IndicatorKind.DOMAIN,
                value=value,
                value_sha256=value.ljust(64, "0")[:64],
                status=RecordStatus.ACTIVE,
                tlp=label,
                source_org_id=self.org_ids[owner],
            )
            session.add(indicator)
            session.flush()
            return indicator.id


def build_world(hub: Hub, client: TestClient, family_tlp: TLP = TLP.GREEN) -> World:
    world = World(hub, client)
    now = hub.clock()
    for name, clearance in ORGS.items():
        org_id, admin_id = add_org(
            hub.db, hub.passwords, hub.admin, name.title(), clearance=clearance
        )
        world.org_ids[name] = org_id
        world.admin_ids[name] = admin_id
        owner = principal(hub.db, admin_id)
        world.keys[name] = api_key(hub.db, owner, scopes_for(Role.ORG_ADMIN), now=now)
    world.org_ids["coalition"] = hub.admin.org_id
    world.keys["coalition"] = api_key(hub.db, hub.admin, scopes_for(Role.COALITION_ADMIN), now=now)
    world.family_id = world.add_family("SpyApp", family_tlp)
    return world
