"""Consensus in Debian's chromium, without JavaScript: propose, vote, see the decision."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Route, sync_playwright

from .conftest import Hub, make_hub
from .consensus_world import World, build_world
from .helpers import BASE_URL, PASSWORD
from .test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[World, str]]:
    hub: Hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(hub.app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    with TestClient(hub.app, base_url=BASE_URL) as client:
        yield build_world(hub, client), f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    hub.db.dispose()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(java_script_enabled=False)
        yield context.new_page()
        browser.close()


def test_propose_and_vote_in_the_browser(served: tuple[World, str], page: Page) -> None:
    world, origin = served
    elsewhere: list[str] = []

    def only_the_hub(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_hub)
    page.goto(f"{origin}/")
    page.get_by_label("E-mail address").fill("admin@proposer.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
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
    assert elsewhere == []
