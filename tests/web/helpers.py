"""Helpers shared by the web tests."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from unstalk.feed.store import FeedStore

BASE_URL = "http://127.0.0.1:8765"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
"""Debian's chromium, with every background connection off and every name lookup refused."""

_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


FEED_CACHE = "feed-cache"
"""Parse cache shared by the tests, under pytest's base temporary folder."""


def bundled_store(tmp: Path, cache: Path | None = None) -> FeedStore:
    """A store whose home has no installed update, so the bundled snapshot is used."""
    return FeedStore(tmp / "home", cache)


def accept_start(client: TestClient) -> str:
    """Accept the safety notes as a person would; return the session's CSRF token."""
    token = csrf_token(client.get("/").text)
    response = client.post("/start", data={"csrf_token": token, "consent": "yes"})
    assert response.status_code == 200
    assert response.url.path == "/check"
    return token
