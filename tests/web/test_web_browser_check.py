"""The check flows in a real browser: a capture, a phone over the fake adb, an iPhone backup
folder, finishing (delete everything, or keep the case and open it again), a look-up in French.

Chromium (Debian's, through Playwright) drives the app served by uvicorn, with and
without JavaScript: the job page reloads itself with a meta refresh, so the flow
works without scripts. Every request is recorded; none may leave the machine.
Screenshots of each step go to the test's tmp folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.ios.gen import SCENARIOS, write_backup
from tests.netcap.gen.app_scenarios import http_capture

from .helpers import CHROMIUM
from .test_web_browser import CONSENT, _context

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)
PASSPHRASE = "blue kettle under the stairs"
CHECK_TIMEOUT_MS = 120_000
"""Upper bound on waiting for a check's results page; reached only when a check hangs."""


@pytest.fixture
def check_server(full_url: str) -> str:
    return full_url


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
    page.get_by_label("Language of the report").select_option("fr")
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


def test_check_an_iphone_backup_folder(browser: Browser, check_server: str, tmp_path: Path) -> None:
    folder = write_backup(tmp_path / "backups", SCENARIOS["jailbroken"]())
    context, traffic = _context(browser, check_server, javascript=True)
    page = context.new_page()
    _start(page, check_server)
    page.get_by_role("link", name="Check an iPhone").click()
    page.wait_for_url(f"{check_server}/check/iphone")
    page.screenshot(path=tmp_path / "1-iphone.png", full_page=True)
    page.get_by_label("The backup folder").fill(str(folder))
    page.get_by_role("button", name="Check this backup").click()
    _results(page)
    page.screenshot(path=tmp_path / "2-results.png", full_page=True)
    assert page.get_by_role("heading", name="Before you do anything").is_visible()
    assert page.get_by_role("heading", name="What was checked").is_visible()
    traffic.assert_local_only()
    context.close()


def _check_capture(page: Page, url: str, tmp_path: Path) -> None:
    capture = tmp_path / "hotspot.pcap"
    capture.write_bytes(http_capture().scenario.pcap())
    page.goto(f"{url}/check")
    page.get_by_label("The file to check").set_input_files(capture)
    page.get_by_role("button", name="Check this file").click()
    _results(page)


def test_finish_by_deleting_everything(browser: Browser, check_server: str, tmp_path: Path) -> None:
    context, traffic = _context(browser, check_server, javascript=False)
    page = context.new_page()
    _start(page, check_server)
    _check_capture(page, check_server, tmp_path)
    job_page = page.url
    page.get_by_role("link", name="Finish: delete everything, or keep the case").click()
    page.wait_for_url(f"{check_server}/end")
    page.screenshot(path=tmp_path / "1-finish.png", full_page=True)
    page.get_by_role("button", name="Delete everything").click()
    page.wait_for_url(f"{check_server}/ended")
    page.screenshot(path=tmp_path / "2-deleted.png", full_page=True)
    assert page.get_by_role("heading", name="Everything was deleted").is_visible()
    page.goto(job_page)
    assert page.get_by_role("heading", level=1).inner_text() == "Before you start"
    traffic.assert_local_only()
    context.close()


def test_keep_the_case_then_open_it_with_the_passphrase(
    browser: Browser, check_server: str, tmp_path: Path
) -> None:
    context, traffic = _context(browser, check_server, javascript=True)
    page = context.new_page()
    _start(page, check_server)
    _check_capture(page, check_server, tmp_path)
    page.goto(f"{check_server}/end")
    page.get_by_label("Passphrase (at least").fill(PASSPHRASE)
    page.get_by_label("The same passphrase again").fill(PASSPHRASE)
    page.get_by_label("Notes (optional)").fill("Met at the centre; next visit Friday.")
    page.screenshot(path=tmp_path / "1-keep.png", full_page=True)
    page.get_by_role("button", name="Keep the case").click()
    page.get_by_role("heading", name="The case is kept").wait_for()
    page.screenshot(path=tmp_path / "2-kept.png", full_page=True)
    case_id = page.locator("code.value").inner_text()
    page.get_by_role("link", name="Kept cases").last.click()
    page.wait_for_url(f"{check_server}/cases")
    page.get_by_label("Case number", exact=True).select_option(case_id)
    page.get_by_label("Passphrase", exact=True).fill("not the passphrase at all")
    page.get_by_role("button", name="Open", exact=True).click()
    assert page.get_by_role("alert").is_visible()
    page.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    page.get_by_role("button", name="Open", exact=True).click()
    page.wait_for_url(f"{check_server}/cases/{case_id}")
    page.screenshot(path=tmp_path / "3-case.png", full_page=True)
    assert page.get_by_text("Met at the centre; next visit Friday.").is_visible()
    page.get_by_role("link", name="hotspot.pcap").click()
    page.get_by_role("heading", name="What the check found").wait_for()
    page.screenshot(path=tmp_path / "4-report.png", full_page=True)
    traffic.assert_local_only()
    context.close()


def test_look_up_in_french(browser: Browser, check_server: str, tmp_path: Path) -> None:
    context, traffic = _context(browser, check_server, javascript=True)
    page = context.new_page()
    page.goto(f"{check_server}/")
    page.get_by_label("Language", exact=True).select_option("fr")
    page.get_by_role("button", name="Change language").click()
    page.locator("html[lang=fr]").wait_for()
    page.screenshot(path=tmp_path / "1-start-fr.png", full_page=True)
    page.get_by_label("Nous avons lu ceci ensemble").check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("link", name="Rechercher quelque chose").first.click()
    page.get_by_label("Valeurs à rechercher, une par ligne").fill("com.wondershare.famisafe")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    page.wait_for_url(f"{check_server}/lookup/results")
    page.screenshot(path=tmp_path / "2-results-fr.png", full_page=True)
    assert page.get_by_role("heading", name="Ce que la recherche a trouvé").is_visible()
    assert page.get_by_text("1 correspond à la liste").is_visible()
    traffic.assert_local_only()
    context.close()
