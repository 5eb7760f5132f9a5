"""Disputes about a classification: filed, reviewed, decided, withdrawn, answered by a proposal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.hub.db import AuditEntry

from .conftest import Hub
from .consensus_world import World, build_world
from .helpers import BASE_URL

GROUNDS = "The app shows a permanent notification and is sold to parents of young children."


@pytest.fixture
def world(hub: Hub) -> Iterator[World]:
    with TestClient(hub.app, base_url=BASE_URL) as client:
        yield build_world(hub, client)


def _file(world: World, who: str = "beta", **fields: object) -> dict[str, object]:
    body = {"family_id": world.family_id, "grounds": GROUNDS, **fields}
    response = world.call(who, "POST", "/disputes", body)
    assert response.status_code == 201, response.text
    filed: dict[str, object] = response.json()
    return filed


def _move(world: World, who: str, dispute_id: object, status: str, decision: str = "") -> int:
    body = {"status": status, "decision": decision}
    return world.call(who, "POST", f"/disputes/{dispute_id}/review", body).status_code


def test_a_dispute_goes_open_under_review_then_decided(world: World) -> None:
    filed = _file(world)
    assert (filed["status"], filed["submitter_name"], filed["family_name"]) == (
        "open",
        "Beta",
        "SpyApp",
    )
    number = filed["id"]
    assert _move(world, "coalition", number, "upheld", "Too early.") == 409
    assert _move(world, "beta", number, "under_review") == 403
    assert _move(world, "coalition", number, "under_review") == 200
    assert _move(world, "coalition", number, "upheld") == 422
    assert _move(world, "coalition", number, "upheld", "The notification stays visible.") == 200
    shown = world.call("gamma", "GET", f"/disputes/{number}").json()
    assert shown["status"] == "upheld"
    assert shown["decision"] == "The notification stays visible."
    assert shown["decided_at"] is not None
    assert _move(world, "coalition", number, "dismissed", "Second thoughts.") == 409
    assert _move(world, "beta", number, "withdrawn") == 409
    with world.hub.db.reader() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "disputes")
        ).all()
    assert list(actions) == ["dispute.filed", "dispute.under_review", "dispute.upheld"]


def test_the_filer_may_withdraw_before_a_decision(world: World) -> None:
    number = _file(world)["id"]
    assert _move(world, "gamma", number, "withdrawn") == 403
    assert _move(world, "beta", number, "withdrawn") == 200
    listed = world.call("beta", "GET", "/disputes?status=withdrawn").json()
    assert [d["id"] for d in listed] == [number]


def test_a_coalition_admin_records_an_outside_persons_dispute_with_minimal_contact(
    world: World,
) -> None:
    fields = {
        "submitter_kind": "affected_person",
        "submitter_name": "A. (via helpline)",
        "submitter_contact": "helpline case 1234",
    }
    filed = _file(world, "coalition", **fields)
    assert filed["submitter_contact"] == "helpline case 1234"
    seen_by_member = world.call("beta", "GET", f"/disputes/{filed['id']}").json()
    assert seen_by_member["submitter_contact"] is None
    assert seen_by_member["submitter_name"] == "A. (via helpline)"
    with world.hub.db.reader() as session:
        details = session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "dispute.filed")
        ).one()
    assert "helpline case 1234" not in str(details)


def test_only_coalition_admins_record_disputes_for_others(world: World) -> None:
    body = {"family_id": world.family_id, "grounds": GROUNDS, "submitter_kind": "vendor"}
    body["submitter_name"] = "SpyApp Ltd"
    assert world.call("beta", "POST", "/disputes", body).status_code == 403
    del body["submitter_name"]
    assert world.call("coalition", "POST", "/disputes", body).status_code == 422


def test_a_proposal_can_answer_a_dispute(world: World) -> None:
    number = _file(world)["id"]
    response = world.propose(
        classification="watchware", criteria_claimed=["CAS-2"], dispute_id=number
    )
    assert response.status_code == 201, response.text
    shown = world.call("beta", "GET", f"/disputes/{number}").json()
    assert shown["proposal_id"] == response.json()["id"]
    other = world.add_family("Other")
    unrelated = world.call(
        "proposer",
        "POST",
        "/proposals",
        {
            "family_id": other,
            "classification": "watchware",
            "criteria_claimed": ["CAS-2"],
            "evidence": "e",
            "dispute_id": number,
        },
    )
    assert unrelated.status_code == 422
