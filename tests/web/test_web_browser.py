"""The app in a real browser: Debian's chromium, driven by Playwright, against uvicorn.

Every request the browser makes is recorded and routed: requests to the local
server go through, the quick-exit destination is answered by the test itself
(so no request leaves this machine), and anything else is blocked and fails
the test. Playwright does not route the hops of an HTTP redirect, so the
script-free test stops the browser at /exit's redirect and checks it there; the
resolver rule below makes sure no name lookup can leave the machine either.
Screenshots of each step are written to the test's tmp folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Route

from unstalk.web import create_app
from unstalk.web.views import NEUTRAL_EXIT_URL

from .helpers import CHROMIUM, bundled_store
from .serving import serving

CONSENT = "We have read this together"
VALUES = "Values to look up, one on each line"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory, feed_cache: Path) -> Iterator[str]:
    with serving(create_app(bundled_store(tmp_path_factory.mktemp("browser"), feed_cache))) as url:
        yield url


@dataclass
class Traffic:
    """Every request the browser made, and those the test had to stop."""

    origin: str
    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        if url == self.origin or url.startswith(f"{self.origin}/"):
            route.continue_()
        elif url == NEUTRAL_EXIT_URL:
            self.exits.append(url)
            route.fulfill(status=200, content_type="text/html", body="<h1>Weather</h1>")
        else:
            self.blocked.append(url)
            route.abort()

    def assert_local_only(self) -> None:
        assert self.blocked == []
        foreign = [u for u in self.requested if not u.startswith(f"{self.origin}/")]
        assert foreign == self.exits, "the browser asked for something other than the app"


def _context(
    browser: Browser, server_url: str, *, javascript: bool
) -> tuple[BrowserContext, Traffic]:
    context = browser.new_context(java_script_enabled=javascript)
    traffic = Traffic(server_url)
    context.on("request", lambda request: traffic.requested.append(request.url))
    context.route("**/*", traffic.route)
    return context, traffic


def _start_and_look_up(page: Page, server_url: str, shots: Path, value: str) -> None:
    page.goto(f"{server_url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Before you start"
    page.screenshot(path=shots / "1-start.png", full_page=True)
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{server_url}/check")
    page.get_by_role("link", name="Look something up").first.click()
    page.wait_for_url(f"{server_url}/lookup")
    page.screenshot(path=shots / "2-lookup.png", full_page=True)
    page.get_by_label(VALUES).fill(value)
    page.get_by_role("button", name="Look up").click()
    page.wait_for_url(f"{server_url}/lookup/results")
    page.screenshot(path=shots / "3-results.png", full_page=True)


def test_lookup_then_quick_exit(browser: Browser, server_url: str, tmp_path: Path) -> None:
    context, traffic = _context(browser, server_url, javascript=True)
    page = context.new_page()
    _start_and_look_up(page, server_url, tmp_path, "com.thetruth")
    assert page.get_by_role("heading", name="TheTruthSpy").is_visible()
    assert page.get_by_text("Strong sign of stalkerware").is_visible()
    assert context.cookies(server_url), "the session cookie was not set"
    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url(NEUTRAL_EXIT_URL)
    page.screenshot(path=tmp_path / "4-exit.png")
    assert context.cookies(server_url) == []
    traffic.assert_local_only()
    assert traffic.exits == [NEUTRAL_EXIT_URL]
    context.close()


def test_quick_exit_is_the_first_tab_stop_and_escape_twice_leaves(
    browser: Browser, server_url: str
) -> None:
    context, traffic = _context(browser, server_url, javascript=True)
    page = context.new_page()
    page.goto(f"{server_url}/about")
    assert page.get_by_text("Esc").first.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(NEUTRAL_EXIT_URL)
    traffic.assert_local_only()
    context.close()


def test_everything_works_without_javascript(
    browser: Browser, server_url: str, tmp_path: Path
) -> None:
    context, traffic = _context(browser, server_url, javascript=False)
    page = context.new_page()
    _start_and_look_up(page, server_url, tmp_path, "com.wondershare.famisafe\nexample.invalid")
    assert page.get_by_role("heading", name="FamiSafe").is_visible()
    assert page.get_by_role("heading", name="Not in the list").is_visible()
    assert page.get_by_text("Esc").is_hidden()
    page.goto(f"{server_url}/lookup")
    page.get_by_label("An app file (APK) or any other file").set_input_files(
        {"name": "app.apk", "mimeType": "application/octet-stream", "buffer": b"apk bytes"}
    )
    page.get_by_role("button", name="Check this file").click()
    page.wait_for_url(f"{server_url}/lookup/results")
    chosen = page.get_by_role("region", name="The file you chose")
    assert chosen.get_by_text(hashlib.sha256(b"apk bytes").hexdigest()).is_visible()

    redirects: list[tuple[int, dict[str, str]]] = []

    def stop_at_redirect(route: Route, request: Request) -> None:
        answer = route.fetch(max_redirects=0)
        redirects.append((answer.status, answer.headers))
        headers = {k: v for k, v in answer.headers.items() if k != "location"}
        route.fulfill(status=200, headers=headers, body="<h1>Left</h1>")

    page.route(f"{server_url}/exit", stop_at_redirect)
    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url(f"{server_url}/exit")
    status, headers = redirects[0]
    assert status == 303
    assert headers["location"] == NEUTRAL_EXIT_URL
    assert '"cookies"' in headers["clear-site-data"]
    assert context.cookies(server_url) == []
    traffic.assert_local_only()
    context.close()
