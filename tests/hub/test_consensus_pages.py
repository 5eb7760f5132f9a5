"""The consensus pages, without JavaScript: propose, vote, see the outcome, rules, disputes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from .conftest import Hub
from .consensus_world import World, build_world
from .helpers import ADMIN_EMAIL, BASE_URL, sign_in


@pytest.fixture
def world(hub: Hub) -> Iterator[World]:
    with TestClient(hub.app, base_url=BASE_URL) as client:
        yield build_world(hub, client)


def _browser(world: World, email: str) -> tuple[TestClient, str]:
    client = TestClient(world.hub.app, base_url=BASE_URL)
    return client, sign_in(client, email)


def test_propose_vote_change_the_vote_and_see_the_outcome(world: World) -> None:
    browser, csrf = _browser(world, "admin@proposer.example")
    listing = browser.get("/proposals")
    assert "Propose a classification" in listing.text and "SpyApp" in listing.text
    created = browser.post(
        "/proposals",
        data={
            "csrf_token": csrf,
            "family_id": str(world.family_id),
            "classification": "stalkerware",
            "criteria_version": "1.0",
            "criteria_claimed": ["CAS-1", "CAS-2"],
            "evidence": "Hides its icon and uploads messages.",
            "tlp": "green",
            "closes_at": (world.hub.clock() + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
        },
    )
    assert created.status_code == 200
    assert "SpyApp as stalkerware" in created.text
    assert "open for votes" in created.text
    path = created.url.path
    voted = browser.post(f"{path}/vote", data={"csrf_token": csrf, "choice": "approve"})
    assert "Change the vote" in voted.text
    for who in ("beta", "gamma"):
        assert world.vote(who, int(path.rsplit("/", 1)[1]), "approve").status_code == 200
    world.hub.clock.advance(hours=2)
    closed = browser.get(path)
    assert "accepted" in closed.text
    assert "Change the vote" not in closed.text
    assert "3 approve, 0 reject, 0 abstain" in closed.text


def test_a_form_without_the_csrf_token_is_refused(world: World) -> None:
    proposal_id = world.propose().json()["id"]
    browser, _ = _browser(world, "admin@beta.example")
    refused = browser.post(f"/proposals/{proposal_id}/vote", data={"choice": "approve"})
    assert refused.status_code == 403
    assert world.call("beta", "GET", f"/proposals/{proposal_id}").json()["votes"] == []


def test_a_reject_without_a_rationale_is_explained_on_the_page(world: World) -> None:
    proposal_id = world.propose().json()["id"]
    browser, csrf = _browser(world, "admin@beta.example")
    page = browser.post(
        f"/proposals/{proposal_id}/vote", data={"csrf_token": csrf, "choice": "reject"}
    )
    assert page.status_code == 422
    assert "a vote to reject needs a rationale" in page.text


def test_the_rules_page_lets_only_coalition_admins_change_the_rules(world: World) -> None:
    member, _ = _browser(world, "admin@beta.example")
    assert "Change the rules" not in member.get("/consensus/rules").text
    admin, csrf = _browser(world, ADMIN_EMAIL)
    saved = admin.post(
        "/consensus/rules",
        data={
            "csrf_token": csrf,
            "quorum": "4",
            "majority_numerator": "3",
            "majority_denominator": "4",
            "abstentions_count_for_quorum": "true",
            "voting_days": "10",
        },
    )
    assert "at least 4 organisations voting" in saved.text
    assert "3/4 of the approving and rejecting votes" in saved.text
    assert world.call("beta", "GET", "/consensus/rules").json()["quorum"] == 4


def test_file_a_dispute_and_decide_it(world: World) -> None:
    member, csrf = _browser(world, "admin@beta.example")
    filed = member.post(
        "/disputes",
        data={
            "csrf_token": csrf,
            "family_id": str(world.family_id),
            "grounds": "Overt app with a permanent notification.",
            "tlp": "amber",
        },
    )
    assert filed.status_code == 200
    assert "Dispute 1: SpyApp" in filed.text
    admin, admin_csrf = _browser(world, ADMIN_EMAIL)
    for status, decision in (("under_review", ""), ("dismissed", "The notice can be hidden.")):
        moved = admin.post(
            "/disputes/1/review",
            data={"csrf_token": admin_csrf, "status": status, "decision": decision},
        )
        assert moved.status_code == 200
    final = member.get("/disputes/1")
    assert "dismissed" in final.text and "The notice can be hidden." in final.text
    assert "Move it on" not in final.text


def test_the_navigation_leads_to_consensus(world: World) -> None:
    browser, _ = _browser(world, "admin@low.example")
    home = browser.get("/")
    assert 'href="/proposals"' in home.text
    assert "No proposals your organisation may see." in browser.get("/proposals").text


def test_evidence_is_shown_as_text_never_as_markup(world: World) -> None:
    proposal_id = world.propose(evidence="<script>alert(1)</script>\nSecond line.").json()["id"]
    browser, _ = _browser(world, "admin@beta.example")
    shown = browser.get(f"/proposals/{proposal_id}").text
    assert "<script>alert(1)</script>" not in shown
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p>Second line.</p>" in shown
