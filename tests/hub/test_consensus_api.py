"""Proposals and votes through the JSON API: the window, changed votes, closing, the outcome."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.feed.model import TLP
from unstalk.hub.accounts import create_user
from unstalk.hub.consensus.proposals import close_due
from unstalk.hub.db import AuditEntry
from unstalk.hub.db.intel import Classification
from unstalk.hub.roles import Role, Scope
from unstalk.hub.schemas import UserIn

from .conftest import Hub
from .consensus_world import World, build_world
from .helpers import BASE_URL, PASSWORD, api_key, bearer, principal, scopes_for


@pytest.fixture
def world(hub: Hub) -> Iterator[World]:
    with TestClient(hub.app, base_url=BASE_URL) as client:
        yield build_world(hub, client)


@pytest.fixture
def any_world(any_hub: Hub) -> Iterator[World]:
    with TestClient(any_hub.app, base_url=BASE_URL) as client:
        yield build_world(any_hub, client)


def _opened(world: World, **fields: object) -> int:
    response = world.propose(**fields)
    assert response.status_code == 201, response.text
    proposal_id: int = response.json()["id"]
    return proposal_id


def _actions(world: World) -> list[str]:
    with world.hub.db.reader() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def test_an_accepted_proposal_reclassifies_the_family_when_the_window_closes(
    any_world: World,
) -> None:
    world = any_world
    proposal_id = _opened(world)
    for who in ("proposer", "beta", "gamma"):
        assert world.vote(who, proposal_id, "approve").status_code == 200
    assert world.family().classification is Classification.UNCLASSIFIED
    world.close_window()
    shown = world.call("beta", "GET", f"/proposals/{proposal_id}").json()
    assert shown["status"] == "accepted"
    assert shown["outcome"]["approvals"] == 3
    assert world.family().classification is Classification.STALKERWARE
    assert {"proposal.created", "vote.cast", "proposal.closed", "family.classified"} <= set(
        _actions(world)
    )


def test_closing_twice_decides_once(any_world: World) -> None:
    world = any_world
    proposal_id = _opened(world)
    world.close_window()
    with world.hub.db.writer() as session:
        first = close_due(session, world.hub.clock())
    with world.hub.db.writer() as session:
        second = close_due(session, world.hub.clock())
    assert [p.id for p in first] == [proposal_id]
    assert second == []
    assert _actions(world).count("proposal.closed") == 1


def test_a_changed_vote_replaces_the_current_one_and_the_history_keeps_both(
    world: World,
) -> None:
    proposal_id = _opened(world)
    assert world.vote("beta", proposal_id, "reject", "Only location sharing.").status_code == 200
    world.hub.clock.advance(hours=1)
    shown = world.vote("beta", proposal_id, "approve", "Now seen the hiding code.").json()
    assert [(v["org_name"], v["choice"]) for v in shown["votes"]] == [("Beta", "approve")]
    assert shown["votes"][0]["changed_at"] is not None
    history = [(h["choice"], h["replaces"]) for h in shown["history"]]
    assert history == [("reject", None), ("approve", "reject")]
    world.vote("proposer", proposal_id, "approve")
    world.vote("gamma", proposal_id, "abstain")
    world.close_window()
    closed = world.call("gamma", "GET", f"/proposals/{proposal_id}").json()
    assert closed["status"] == "accepted"
    assert len(closed["history"]) == 4


def test_the_proposers_approval_alone_never_carries_it(world: World) -> None:
    proposal_id = _opened(world)
    world.vote("proposer", proposal_id, "approve")
    world.vote("beta", proposal_id, "abstain")
    world.vote("gamma", proposal_id, "abstain")
    world.close_window()
    shown = world.call("proposer", "GET", f"/proposals/{proposal_id}").json()
    assert shown["status"] == "rejected"
    assert "another organisation must approve" in shown["outcome"]["reason"]
    assert world.family().classification is Classification.UNCLASSIFIED


def test_a_missed_quorum_changes_nothing(world: World) -> None:
    proposal_id = _opened(world)
    world.vote("beta", proposal_id, "approve")
    world.vote("gamma", proposal_id, "approve")
    world.close_window()
    listed = world.call("beta", "GET", "/proposals?status=no_quorum").json()
    assert [p["id"] for p in listed] == [proposal_id]
    assert world.family().classification is Classification.UNCLASSIFIED


def test_a_tie_is_rejected(world: World) -> None:
    proposal_id = _opened(world)
    for who, choice in (("proposer", "approve"), ("beta", "approve")):
        world.vote(who, proposal_id, choice)
    for who in ("gamma", "delta"):
        world.vote(who, proposal_id, "reject", "Overt parental app.")
    world.close_window()
    assert world.call("beta", "GET", f"/proposals/{proposal_id}").json()["status"] == "rejected"


def test_no_votes_before_the_window_opens_or_after_it_closes(world: World) -> None:
    start = world.hub.clock() + timedelta(days=1)
    proposal_id = _opened(world, opens_at=start.isoformat())
    early = world.vote("beta", proposal_id, "approve")
    assert early.status_code == 409
    assert "opens at" in early.json()["error"]
    world.hub.clock.advance(days=2)
    assert world.vote("beta", proposal_id, "approve").status_code == 200
    world.close_window(days=30)
    late = world.vote("beta", proposal_id, "reject", "Changed my mind.")
    assert late.status_code == 409
    assert "closed" in late.json()["error"]


def test_the_window_closes_at_the_exact_closing_time(world: World) -> None:
    closes = world.hub.clock() + timedelta(hours=2)
    proposal_id = _opened(world, closes_at=closes.isoformat())
    world.hub.clock.advance(hours=2)
    assert world.vote("beta", proposal_id, "approve").status_code == 409
    shown = world.call("beta", "GET", f"/proposals/{proposal_id}").json()
    assert shown["status"] == "no_quorum"
    assert shown["voting_open"] is False


def test_voting_needs_the_vote_scope_and_an_analyst(world: World) -> None:
    proposal_id = _opened(world)
    owner = principal(world.hub.db, world.admin_ids["beta"])
    read_only = api_key(world.hub.db, owner, frozenset({Scope.READ}), now=world.hub.clock())
    body = {"choice": "approve"}
    path = f"/api/v1/proposals/{proposal_id}/vote"
    refused = world.client.put(path, json=body, headers=bearer(read_only))
    assert refused.status_code == 403
    assert "'vote' scope" in refused.json()["error"]
    with world.hub.db.writer() as session:
        data = UserIn(email="viewer@beta.example", role=Role.VIEWER, password=PASSWORD)
        viewer_id = create_user(session, owner, world.org_ids["beta"], data, world.hub.passwords).id
    viewer = principal(world.hub.db, viewer_id)
    key = api_key(world.hub.db, viewer, scopes_for(Role.VIEWER), now=world.hub.clock())
    assert world.client.put(path, json=body, headers=bearer(key)).status_code == 403
    proposal = {"family_id": world.family_id, "classification": "watchware", "evidence": "e"}
    proposal["criteria_claimed"] = ["CAS-2"]
    denied = world.client.post("/api/v1/proposals", json=proposal, headers=bearer(key))
    assert denied.status_code == 403


def test_a_reject_needs_a_rationale(world: World) -> None:
    proposal_id = _opened(world)
    response = world.vote("beta", proposal_id, "reject")
    assert response.status_code == 422
    assert "a vote to reject needs a rationale" in response.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"criteria_claimed": ["CAS-99"]}, "no criterion CAS-99"),
        ({"criteria_version": "0.1"}, "no criteria version"),
        ({"criteria_claimed": []}, "at least one"),
        ({"classification": "unclassified"}, "'stalkerware', 'watchware' or 'not_stalkerware'"),
        ({"closes_at": "2020-01-01T00:00:00Z"}, "close after it opens"),
        ({"tlp": "clear"}, "TLP:GREEN"),
        ({"shared_with": [1]}, "AMBER+STRICT or RED"),
        ({"evidence": ""}, "at least 1 character"),
    ],
)
def test_bad_proposals_are_explained(world: World, fields: dict[str, object], message: str) -> None:
    response = world.propose(**fields)
    assert response.status_code == 422, response.text
    assert message in response.text


def test_not_stalkerware_may_claim_no_criteria(world: World) -> None:
    assert world.propose(classification="not_stalkerware", criteria_claimed=[]).status_code == 201


def test_one_open_proposal_per_family(world: World) -> None:
    _opened(world)
    assert world.propose(who="beta").status_code == 409


def test_the_proposer_may_withdraw_an_open_proposal(world: World) -> None:
    proposal_id = _opened(world)
    assert world.call("beta", "POST", f"/proposals/{proposal_id}/withdraw").status_code == 403
    response = world.call("proposer", "POST", f"/proposals/{proposal_id}/withdraw")
    assert response.json()["status"] == "withdrawn"
    assert world.vote("beta", proposal_id, "approve").status_code == 409
    assert world.propose(who="beta").status_code == 201


def test_evidence_links_only_to_what_the_proposer_sees_and_shows_only_what_each_sees(
    world: World,
) -> None:
    hidden = world.add_sample("beta", TLP.RED)
    refused = world.propose(evidence_samples=[hidden])
    assert refused.status_code == 422
    assert "cannot see" in refused.json()["error"]
    amber = world.add_indicator("proposer", TLP.AMBER, "c2.spyapp.example")
    sample = world.add_sample("proposer", TLP.GREEN)
    proposal_id = _opened(
        world, evidence_indicators=[amber], evidence_samples=[sample], tlp="green"
    )
    links = {
        who: {
            (link["kind"], link["id"])
            for link in world.call(who, "GET", f"/proposals/{proposal_id}").json()["evidence_links"]
        }
        for who in ("beta", "low")
    }
    assert links["beta"] == {("indicator", amber), ("sample", sample)}
    assert links["low"] == {("sample", sample)}


def test_rules_are_read_by_all_changed_by_coalition_admins_and_kept_by_open_proposals(
    world: World,
) -> None:
    assert world.call("low", "GET", "/consensus/rules").json()["quorum"] == 3
    proposal_id = _opened(world)
    new_rules = {
        "quorum": 2,
        "majority_numerator": 1,
        "majority_denominator": 2,
        "abstentions_count_for_quorum": False,
        "voting_days": 7,
    }
    assert world.call("beta", "PUT", "/consensus/rules", new_rules).status_code == 403
    changed = world.call("coalition", "PUT", "/consensus/rules", new_rules)
    assert changed.status_code == 200
    assert world.call("beta", "GET", "/consensus/rules").json() == new_rules
    assert "consensus.rules_changed" in _actions(world)
    world.vote("proposer", proposal_id, "approve")
    world.vote("beta", proposal_id, "approve")
    world.close_window()
    # Opened under a quorum of three: two votes are not enough.
    assert world.call("beta", "GET", f"/proposals/{proposal_id}").json()["status"] == "no_quorum"
    impossible = dict(new_rules, majority_numerator=3)
    assert world.call("coalition", "PUT", "/consensus/rules", impossible).status_code == 422


def test_the_openapi_document_describes_the_consensus_endpoints(world: World) -> None:
    paths = world.client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/v1/proposals", "/api/v1/proposals/{proposal_id}/vote", "/api/v1/disputes"):
        assert path in paths
    assert "ProposalDetail" in str(paths["/api/v1/proposals/{proposal_id}"])


def test_simultaneous_requests_after_the_window_decide_it_once(any_world: World) -> None:
    world = any_world
    proposal_id = _opened(world)
    for who in ("proposer", "beta", "gamma"):
        world.vote(who, proposal_id, "approve")
    world.close_window()
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda who: world.call(who, "GET", "/proposals"), ["beta", "gamma"] * 3)
        )
    assert all(answer.status_code == 200 for answer in answers)
    assert _actions(world).count("proposal.closed") == 1
    assert _actions(world).count("family.classified") == 1


def test_a_proposal_the_proposer_cannot_see_does_not_block_nor_reveal_itself(
    world: World,
) -> None:
    hidden = world.propose(who="delta", tlp="red").json()["id"]
    response = world.propose(who="beta")
    assert response.status_code == 201
    assert world.call("beta", "GET", f"/proposals/{hidden}").status_code == 404
    assert world.propose(who="gamma").status_code == 409


def test_a_proposal_due_to_close_does_not_block_the_next_one(world: World) -> None:
    first = _opened(world)
    world.close_window()
    second = world.propose(who="beta")
    assert second.status_code == 201
    assert world.call("beta", "GET", f"/proposals/{first}").json()["status"] == "no_quorum"
