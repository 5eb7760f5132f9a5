"""Publishing a release in Debian's chromium, without JavaScript, and following its links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, sync_playwright

from .conftest import Hub, make_hub
from .helpers import ADMIN_EMAIL, PASSWORD
from .releases_world import build_world, serve
from .test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    build_world(hub)
    with serve(hub.app) as url:
        yield hub, url
    hub.db.dispose()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def test_admin_publishes_a_release_and_reads_its_files(
    served: tuple[Hub, str], browser: Browser, tmp_path: Path
) -> None:
    hub, origin = served
    blocked: list[str] = []

    def route(route: Route) -> None:
        if route.request.url.startswith(f"{origin}/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context = browser.new_context(java_script_enabled=False)
    context.route("**/*", route)
    page = context.new_page()
    page.goto(f"{origin}/")
    page.get_by_label("E-mail address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{origin}/")
    page.get_by_role("link", name="Releases").click()
    assert page.get_by_text("No release has been published yet").is_visible()
    page.get_by_role("button", name="Publish a new release").click()
    version = f"{hub.clock():%Y.%m.%d}.1"
    assert page.get_by_role("link", name=version).is_visible()
    key = page.locator("#public-key").inner_text().strip()
    assert len(key) == 44
    assert page.get_by_text(f"unstalk feed update --hub {origin} --key {key}").is_visible()
    page.screenshot(path=tmp_path / "releases.png", full_page=True)
    page.get_by_role("link", name="ioc.yaml").click()
    assert "clear.spy.example" in page.content()
    assert "red.spy.example" not in page.content()
    assert blocked == []
    context.close()
