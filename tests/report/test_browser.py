"""The HTML report in a real browser: Debian's chromium driven by Playwright.

The page is served by the test itself at a made-up address; every other request
the browser makes is recorded and refused, and the test fails if there is any.
The page's Content-Security-Policy is taken out first, so the test shows that the
markup itself asks for nothing (the policy is a second guard, checked in
test_html.py). Screenshots go to the test's tmp folder.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, sync_playwright

from unstalk.report.html import render_html

from .fixtures import report_of

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
ADDRESS = "https://report.invalid/report.html"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _without_policy(html: str) -> str:
    return re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)


@pytest.mark.parametrize("lang", ["en", "pt_BR"])
def test_the_report_renders_and_asks_for_nothing(
    browser: Browser, tmp_path: Path, lang: str
) -> None:
    report = report_of("network")
    html = _without_policy(render_html(report, lang))
    others: list[str] = []

    def route(handled: Route) -> None:
        if handled.request.url == ADDRESS:
            handled.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        else:
            others.append(handled.request.url)
            handled.abort()

    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1000, "height": 800}
    )
    context.route("**/*", route)
    page = context.new_page()
    page.goto(ADDRESS)
    shot = page.screenshot(path=tmp_path / f"report-{lang}.png", full_page=True)
    heading = page.get_by_role("heading", level=1).inner_text()
    texts = page.locator("body").inner_text()
    page.emulate_media(media="print")
    page.screenshot(path=tmp_path / f"report-{lang}-print.png", full_page=True)
    shaded = page.locator(".before-you-act").evaluate("e => getComputedStyle(e).backgroundColor")
    context.close()

    assert others == []
    width, height = _png_size(shot)
    assert width == 1000 and height > 1500
    assert len(shot) > 50_000, "the screenshot is nearly blank"
    assert heading == (
        "Stalkerware check report" if lang == "en" else "Relatório de verificação de stalkerware"
    )
    assert "TheTruthSpy" in texts and "stopstalkerware.org" in texts
    assert shaded == "rgba(0, 0, 0, 0)", "print keeps a shaded background"
