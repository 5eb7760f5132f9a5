"""Consensus in Debian's chromium, without JavaScript: propose, vote, see the decision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.serving import serving

from .conftest import Hub, make_hub
from .consensus_world import World, build_world
from .helpers import BASE_URL
from .live import local_only, needs_chromium, sign_in

pytestmark = needs_chromium


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[World, str]]:
    hub: Hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    with serving(hub.app) as url, TestClient(hub.app, base_url=BASE_URL) as client:
        yield build_world(hub, client), url
    hub.db.dispose()


def test_propose_and_vote_in_the_browser(served: tuple[World, str]) -> None:
    world, origin = served
    with local_only(origin) as (context, blocked):
        page = context.new_page()
        sign_in(page, origin, "admin@proposer.example")
        page.get_by_role("link", name="Consensus").click()
        page.get_by_label("Classify as").select_option("watchware")
        page.get_by_label("CAS-2", exact=False).check()
        page.get_by_label("Evidence", exact=True).fill("Overt, but the notice can be hidden.")
        closes = world.hub.clock().replace(hour=18, minute=0)
        page.get_by_label("Voting closes").fill(closes.strftime("%Y-%m-%d %H:%M"))
        page.get_by_role("button", name="Open the vote").click()
        assert "SpyApp as watchware" in page.content()
        page.get_by_label("approve").check()
        page.get_by_role("button", name="Cast the vote").click()
        assert page.get_by_role("button", name="Change the vote").is_visible()
        proposal_id = int(page.url.rsplit("/", 1)[1])
        for who in ("beta", "gamma"):
            assert world.vote(who, proposal_id, "approve").status_code == 200
        world.hub.clock.advance(hours=7)
        page.reload()
        assert "accepted" in page.locator("#status").inner_text()
        assert not page.get_by_role("button", name="Change the vote").count()
        assert blocked == []
