"""The hub in Debian's chromium (Playwright, no JavaScript needed): sign in, add an
organisation, add a user, create an API key, and use it. Every request the browser
makes must go to the hub itself; anything else is blocked and fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page

from tests.web.serving import serving

from .conftest import Hub, make_hub
from .helpers import BASE_URL, PASSWORD, bearer
from .live import local_only, needs_chromium, sign_in

pytestmark = needs_chromium


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    with serving(hub.app) as url:
        yield hub, url
    hub.db.dispose()


def _add_organisation(page: Page) -> None:
    page.get_by_role("link", name="Organisations").click()
    page.get_by_label("Organisation name").fill("Refuge Network")
    page.get_by_label("Kind").select_option("survivor_support")
    page.get_by_label("Country (two-letter code)").fill("gb")
    page.get_by_label("TLP clearance").select_option("amber")
    page.get_by_label("May download samples").check()
    page.get_by_label("Administrator's e-mail address").fill("lead@refuge.example")
    page.get_by_label("Administrator's first password").fill(PASSWORD)
    page.get_by_role("button", name="Add organisation").click()


def _add_user(page: Page) -> None:
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Organisation").select_option(label="Refuge Network")
    page.get_by_label("E-mail address").fill("analyst@refuge.example")
    page.get_by_label("Role", exact=True).select_option("analyst")
    page.get_by_label("First password (at least 12 characters)").fill(PASSWORD)
    page.get_by_role("button", name="Add user").click()


def _create_key(page: Page) -> str:
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("feed sync")
    page.get_by_label("admin").check()
    page.get_by_role("button", name="Create key").click()
    return page.locator("#new-secret").inner_text().strip()


def test_admin_adds_an_organisation_a_user_and_an_api_key(
    served: tuple[Hub, str], tmp_path: Path
) -> None:
    hub, origin = served
    with local_only(origin) as (context, blocked):
        page = context.new_page()
        sign_in(page, origin)
        assert page.get_by_role("heading", name="Coalition hub").is_visible()
        _add_organisation(page)
        assert page.get_by_role("heading", name="Refuge Network").is_visible()
        assert page.get_by_text("lead@refuge.example").is_visible()
        page.screenshot(path=tmp_path / "1-org.png", full_page=True)
        _add_user(page)
        assert page.get_by_role("cell", name="analyst@refuge.example", exact=True).is_visible()
        secret = _create_key(page)
        assert secret.startswith("uh_")
        page.screenshot(path=tmp_path / "2-key.png", full_page=True)
        page.goto(f"{origin}/keys")
        assert page.get_by_role("button", name="Revoke feed sync").is_visible()
        assert page.locator("#new-secret").count() == 0
        with TestClient(hub.app, base_url=BASE_URL) as api:
            orgs = api.get("/api/v1/orgs", headers=bearer(secret)).json()
        assert {org["name"] for org in orgs} == {"Coalition", "Refuge Network"}
        assert blocked == []
