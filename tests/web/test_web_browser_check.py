"""The check flows in a real browser: upload a capture, check a phone over the fake adb.

Chromium (Debian's, through Playwright) drives the app served by uvicorn, with and
without JavaScript: the job page reloads itself with a meta refresh, so the flow
works without scripts. Every request is recorded; none may leave the machine.
Screenshots of each step go to the test's tmp folder.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page

from tests.android.fake_adb import ReplayRunner
from tests.netcap.gen.app_scenarios import http_capture
from unstalk.android.acquire.adb import Adb
from unstalk.web import create_app

from .helpers import bundled_store
from .test_web_browser import CHROMIUM, CONSENT, _context, browser

__all__ = ["browser"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)
CHECK_TIMEOUT_MS = 120_000
"""Upper bound on waiting for a check's results page; reached only when a check hangs."""


@pytest.fixture(scope="module")
def check_server(tmp_path_factory: pytest.TempPathFactory, feed_cache: Path) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser-check")
    app = create_app(
        bundled_store(root, feed_cache),
        work_root=root,
        adb=lambda: Adb(ReplayRunner("android-14", root / "adb-state")),
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def _start(page: Page, url: str) -> None:
    page.goto(f"{url}/")
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{url}/check")


def _results(page: Page) -> None:
    page.get_by_role("heading", name="What the check found").wait_for(timeout=CHECK_TIMEOUT_MS)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_upload_a_capture_and_keep_the_report(
    browser: Browser, check_server: str, tmp_path: Path, javascript: bool
) -> None:
    context, traffic = _context(browser, check_server, javascript=javascript)
    page = context.new_page()
    _start(page, check_server)
    page.screenshot(path=tmp_path / "1-choose.png", full_page=True)
    capture = tmp_path / "hotspot.pcap"
    capture.write_bytes(http_capture().scenario.pcap())
    page.get_by_label("The file to check").set_input_files(capture)
    page.get_by_role("button", name="Check this file").click()
    _results(page)
    page.screenshot(path=tmp_path / "2-results.png", full_page=True)
    assert page.get_by_text("hotspot.pcap").first.is_visible()
    assert page.get_by_role("heading", name="Your safety").is_visible()
    page.get_by_label("Language").select_option("fr")
    with page.expect_download() as download:
        page.get_by_role("button", name="Save the report").click()
    saved = tmp_path / "report.html"
    download.value.save_as(saved)
    html = saved.read_text(encoding="utf-8")
    assert '<html lang="fr">' in html
    assert "Rapport" in html
    traffic.assert_local_only()
    context.close()


def test_check_an_android_phone_over_the_fake_adb(
    browser: Browser, check_server: str, tmp_path: Path
) -> None:
    context, traffic = _context(browser, check_server, javascript=True)
    page = context.new_page()
    _start(page, check_server)
    page.get_by_role("link", name="Check an Android phone").click()
    page.wait_for_url(f"{check_server}/check/android")
    page.screenshot(path=tmp_path / "1-connect.png", full_page=True)
    assert page.get_by_role("img", name="The Developer options screen").first.is_visible()
    page.get_by_role("button", name="Check this phone").click()
    _results(page)
    page.screenshot(path=tmp_path / "2-results.png", full_page=True)
    assert page.get_by_role("heading", name="What was checked").is_visible()
    traffic.assert_local_only()
    context.close()
