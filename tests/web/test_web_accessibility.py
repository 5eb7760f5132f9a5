"""Every page of the app checked with axe-core in Debian's chromium, and by keyboard alone.

axe-core comes bundled in the ``axe-playwright-python`` test dependency and is injected
into each page from disk: nothing is fetched. Any violation axe reports (labels,
landmarks, heading order, contrast, names of controls...) fails the test with its
report. The keyboard test tabs from the top of a page as a person without a mouse
would: the quick-exit link comes first, then the skip link, and every form control is
reached and shows where the focus is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from fastapi import FastAPI
from playwright.sync_api import Browser, Page

from tests.netcap.gen.app_scenarios import http_capture
from unstalk.report.model import Report
from unstalk.web.i18n import N_, AppError, Phrase
from unstalk.web.jobs import Job, JobRunner, JobState, Progress
from unstalk.web.sessions import SESSION_COOKIE

from .helpers import CHROMIUM
from .test_web_browser import CONSENT, _context

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)
PASSPHRASE = "blue kettle under the stairs"
WAIT_MS = 120_000
"""Upper bound on waiting for a check; reached only when a check hangs."""
CONTROLS = "input:not([type=hidden]), select, textarea, button"


@pytest.fixture
def app(full_app: FastAPI) -> FastAPI:
    return full_app


@pytest.fixture
def url(full_url: str) -> str:
    return full_url


def _jobs(app: FastAPI) -> JobRunner[Report]:
    runner: JobRunner[Report] = app.state.unstalk.jobs
    return runner


def _session_id(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE)


def _held_jobs(
    app: FastAPI, page: Page, release: threading.Event
) -> tuple[Job[Report], Job[Report]]:
    """A check still running (until ``release``), and one that fails once it may run."""

    def running(progress: Progress) -> Report:
        progress.step(Phrase(N_("Reading the network capture.")), 0.4)
        release.wait(WAIT_MS / 1000)
        raise AppError(N_("The file did not arrive complete."))

    def failing(progress: Progress) -> Report:
        raise AppError(N_("The file did not arrive complete."), advice=N_("Go back."))

    session = _session_id(page)
    held = _jobs(app).submit(session, Phrase.of(N_('the file "{name}"'), name="held.pcap"), running)
    failed = _jobs(app).submit(session, Phrase.of(N_('the file "{name}"'), name="x.zip"), failing)
    return held, failed


def _wait_until_failed(job: Job[Report]) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while job.state is not JobState.FAILED:
        assert time.monotonic() < deadline, "the failing check did not end"
        time.sleep(0.02)


def _pages(
    app: FastAPI, page: Page, url: str, release: threading.Event, capture: Path
) -> Iterator[str]:
    """Walk every kind of page, yielding each one's name once the browser shows it."""
    page.goto(f"{url}/")
    yield "start"
    page.get_by_role("button", name="Continue").click()
    yield "start, consent missing"
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{url}/check")
    yield "check chooser"
    for name, path in (
        ("android steps", "/check/android"),
        ("iphone", "/check/iphone"),
        ("look-up", "/lookup"),
        ("about", "/about"),
        ("kept cases", "/cases"),
        ("page not found", "/no-such-page"),
    ):
        page.goto(f"{url}{path}")
        yield name
    page.goto(f"{url}/lookup")
    page.get_by_label("Values to look up").fill("com.wondershare.famisafe\norg.example.notepad")
    page.get_by_role("button", name="Look up", exact=True).click()
    page.wait_for_url(f"{url}/lookup/results")
    yield "look-up results"
    page.goto(f"{url}/lookup")
    stale = "field => { field.value = 'stale'; }"
    page.locator("form[action='/lookup'] input[name=csrf_token]").evaluate(stale)
    page.get_by_label("Values to look up").fill("com.example.app")
    page.get_by_role("button", name="Look up", exact=True).click()
    page.get_by_role("heading", name="This form has expired").wait_for()
    yield "form expired"
    running, failed = _held_jobs(app, page, release)
    page.goto(f"{url}/check/jobs/{running.id}")
    yield "job progress"
    # Checks run one at a time: the failing one starts once the held one is let go.
    release.set()
    _wait_until_failed(failed)
    page.goto(f"{url}/check/jobs/{failed.id}")
    yield "job failed"
    yield from _check_and_finish(page, url, capture)


def _check_and_finish(page: Page, url: str, capture: Path) -> Iterator[str]:
    page.goto(f"{url}/check")
    page.get_by_label("The file to check").set_input_files(capture)
    page.get_by_role("button", name="Check this file").click()
    page.get_by_role("heading", name="What the check found").wait_for(timeout=WAIT_MS)
    yield "results"
    page.goto(f"{url}/end")
    yield "finish"
    page.get_by_label("Passphrase (at least").fill(PASSPHRASE)
    page.get_by_label("The same passphrase again").fill(PASSPHRASE)
    page.get_by_role("button", name="Keep the case").click()
    page.get_by_role("heading", name="The case is kept").wait_for()
    yield "case kept"
    case_id = page.locator("code.value").inner_text()
    page.goto(f"{url}/cases")
    yield "kept cases, one kept"
    page.get_by_label("Case number", exact=True).select_option(case_id)
    page.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    page.get_by_role("button", name="Open", exact=True).click()
    page.wait_for_url(f"{url}/cases/{case_id}")
    yield "kept case"
    page.get_by_role("link", name="hotspot.pcap").click()
    page.get_by_role("heading", name="What the check found").wait_for()
    yield "kept report"


def test_every_page_passes_axe(app: FastAPI, url: str, browser: Browser, tmp_path: Path) -> None:
    capture = tmp_path / "hotspot.pcap"
    capture.write_bytes(http_capture().scenario.pcap())
    context, traffic = _context(browser, url, javascript=True)
    page = context.new_page()
    axe = Axe()
    release = threading.Event()
    reports = {}
    seen = []
    try:
        for name in _pages(app, page, url, release, capture):
            seen.append(name)
            results = axe.run(page)
            if results.violations_count:
                reports[name] = results.generate_report()
    finally:
        release.set()
        context.close()
    assert len(seen) == 19
    assert reports == {}, "\n\n".join(f"{k}:\n{v}" for k, v in reports.items())
    traffic.assert_local_only()
