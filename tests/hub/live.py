"""Debian's chromium looking at the hub offline (serve it with ``tests.web.serving``).

Browser tests sign in without JavaScript and let only requests to the hub through:
anything else the page asks for is refused and listed, and the tests assert that
list stays empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import BrowserContext, Page, Route, sync_playwright

from tests.web.helpers import CHROMIUM, CHROMIUM_ARGS

from .helpers import ADMIN_EMAIL, PASSWORD

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)


@contextmanager
def local_only(origin: str) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A chromium context without JavaScript that lets only requests to ``origin`` through.

    Yields the context and the list of the requests it refused.
    """
    blocked: list[str] = []

    def route(route: Route) -> None:
        if route.request.url.startswith(f"{origin}/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(java_script_enabled=False)
        context.route("**/*", route)
        try:
            yield context, blocked
        finally:
            browser.close()


def sign_in(page: Page, origin: str, email: str = ADMIN_EMAIL) -> None:
    """Sign in on the hub's front page and wait for the signed-in home page."""
    page.goto(f"{origin}/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{origin}/")
