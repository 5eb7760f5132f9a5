"""TLP over every consensus endpoint: an organisation below the label, one not named on
AMBER+STRICT or RED, the source, and a named organisation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from unstalk.feed.model import TLP

from .conftest import Hub
from .consensus_world import World, build_world
from .helpers import BASE_URL

# (label, organisations named on it) -> who sees it. "proposer" is the source every time;
# "low" (clearance GREEN) is below every label here; "delta" has clearance RED and "beta",
# "gamma" AMBER, so naming "beta" on a RED object still does not reach it.
CASES = [
    (TLP.AMBER, [], {"proposer", "beta", "gamma", "delta", "coalition"}),
    (TLP.AMBER_STRICT, ["delta"], {"proposer", "delta"}),
    (TLP.RED, ["delta", "beta"], {"proposer", "delta"}),
]
EVERYONE = ("proposer", "beta", "gamma", "delta", "low", "coalition")


@pytest.fixture
def world(hub: Hub) -> Iterator[World]:
    with TestClient(hub.app, base_url=BASE_URL) as client:
        yield build_world(hub, client)


def _create(world: World, path: str, label: TLP, named: list[str], family: str) -> int:
    body: dict[str, object] = {
        "family_id": world.add_family(family),
        "tlp": label.value,
        "shared_with": [world.org_ids[name] for name in named],
    }
    if path == "/proposals":
        body |= {"classification": "watchware", "criteria_claimed": ["CAS-2"], "evidence": "e"}
    else:
        body |= {"grounds": "This is an overt parental app with a persistent notification."}
    response = world.call("proposer", "POST", path, body)
    assert response.status_code == 201, response.text
    object_id: int = response.json()["id"]
    return object_id


@pytest.mark.parametrize("path", ["/proposals", "/disputes"])
def test_only_the_organisations_the_label_allows_see_or_act(world: World, path: str) -> None:
    for n, (label, named, seen_by) in enumerate(CASES):
        object_id = _create(world, path, label, named, f"Family{n}")
        for who in EVERYONE:
            listed = {item["id"] for item in world.call(who, "GET", path).json()}
            one = world.call(who, "GET", f"{path}/{object_id}")
            sees = who in seen_by
            assert (object_id in listed) is sees, (label, who)
            assert one.status_code == (200 if sees else 404), (label, who)
            if not sees:
                assert "Family" not in one.text
        _acting_needs_seeing(world, path, object_id, seen_by)


def _acting_needs_seeing(world: World, path: str, object_id: int, seen_by: set[str]) -> None:
    for who in EVERYONE:
        if who == "proposer":
            continue
        if path == "/proposals":
            response = world.vote(who, object_id, "abstain")
        else:
            response = world.call(
                who, "POST", f"{path}/{object_id}/review", {"status": "under_review"}
            )
        if who not in seen_by:
            assert response.status_code == 404, (who, response.text)
        elif path == "/proposals" or who == "coalition":
            assert response.status_code == 200, (who, response.text)
        else:
            assert response.status_code == 403, (who, response.text)


def test_an_invisible_family_cannot_be_proposed_or_disputed(world: World) -> None:
    hidden = world.add_family("Secret", TLP.AMBER)
    for path in ("/proposals", "/disputes"):
        body = {"family_id": hidden, "evidence": "x", "grounds": "x"}
        body |= {"classification": "watchware", "criteria_claimed": ["CAS-2"]}
        fields = (
            {"family_id", "classification", "criteria_claimed", "evidence"}
            if path == "/proposals"
            else {"family_id", "grounds"}
        )
        sent = {key: value for key, value in body.items() if key in fields}
        response = world.call("low", "POST", path, sent)
        assert response.status_code == 404, response.text


def test_a_vote_from_an_organisation_that_cannot_see_the_proposal_is_never_counted(
    world: World,
) -> None:
    response = world.propose(tlp="amber")
    proposal_id = response.json()["id"]
    assert world.vote("low", proposal_id, "approve").status_code == 404
    shown = world.call("beta", "GET", f"/proposals/{proposal_id}").json()
    assert shown["votes"] == [] and shown["history"] == []
