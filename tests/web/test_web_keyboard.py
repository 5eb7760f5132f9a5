"""The app by keyboard alone, in Debian's chromium: Tab order, focus, and the language chooser.

From the top of a page, Tab reaches the quick-exit link first (leaving must be one key
away), then the skip link, then every form control of the page, each showing a visible
focus indicator. The language chooser in the header works without a mouse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from .helpers import CHROMIUM
from .test_web_browser import CONSENT, _context

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)
MAX_TABS = 80
"""More stops than any page has: reaching it means focus is trapped somewhere."""

_FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow !== "none";
  return {
    index: Array.from(document.querySelectorAll("*")).indexOf(e),
    what: e.outerHTML.slice(0, 80),
    id: e.id,
    classes: e.className,
    indicated: outline || shadow,
  };
}"""
_CONTROLS = """() => Array.from(
  document.querySelectorAll("input:not([type=hidden]), select, textarea, button")
).filter(e => !e.disabled && e.getClientRects().length > 0)
 .map(e => Array.from(document.querySelectorAll("*")).indexOf(e))"""


@pytest.fixture
def url(full_url: str) -> str:
    return full_url


def _tab_through(page: Page) -> list[dict[str, object]]:
    """Every stop of Tab from the top of the page, in order, until focus leaves the page."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    page.evaluate("() => window.scrollTo(0, 0)")
    stops: list[dict[str, object]] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None or (stops and focused["index"] == stops[0]["index"]):
            return stops
        stops.append(focused)
    raise AssertionError("Tab never left the page: focus is trapped")


def _start(page: Page, url: str) -> None:
    page.goto(f"{url}/")
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{url}/check")


PAGES = ("/", "/lookup", "/check/iphone", "/end")
"""The start page, then pages with text, file, password and select controls."""


def test_tab_reaches_quick_exit_first_then_every_control_with_visible_focus(
    browser: Browser, url: str
) -> None:
    context, traffic = _context(browser, url, javascript=True)
    page = context.new_page()
    _start(page, url)
    for path in PAGES:
        page.goto(f"{url}{path}")
        stops = _tab_through(page)
        assert stops[0]["id"] == "quick-exit", path
        assert stops[1]["classes"] == "skip-link", path
        unreached = set(page.evaluate(_CONTROLS)) - {stop["index"] for stop in stops}
        assert unreached == set(), path
        assert [stop["what"] for stop in stops if not stop["indicated"]] == [], path
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    traffic.assert_local_only()
    context.close()


def test_the_language_is_chosen_by_keyboard_without_scripts(
    browser: Browser, url: str, tmp_path: Path
) -> None:
    context, traffic = _context(browser, url, javascript=False)
    page = context.new_page()
    page.goto(f"{url}/about")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Language", exact=True).focus()
    page.keyboard.type("Deutsch")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Change language"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/about")
    page.locator("html[lang=de]").wait_for()
    page.screenshot(path=tmp_path / "about-de.png", full_page=True)
    assert page.get_by_role("heading", level=1).inner_text() == "Über die Indikatoren"
    assert page.get_by_label("Sprache", exact=True).input_value() == "de"
    traffic.assert_local_only()
    context.close()
