"""Families, indicators and samples in Debian's chromium, without JavaScript.

An admin creates a family and an indicator, edits both, looks the indicator up, revokes it
with a reason and sees it stop matching; then shares an APK built by the test builder, reads
the analysis and accepts one of the proposed indicators. Every request the browser makes must
go to the hub itself; anything else is blocked and fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page
from sqlalchemy import select

from tests.web.serving import serving
from unstalk.hub.db import AuditEntry, Indicator
from unstalk.hub.db.intel import RecordStatus

from .conftest import Hub, make_hub
from .live import local_only, needs_chromium, sign_in
from .samples_helpers import C2, apk, install_inline_worker, wait

pytestmark = needs_chromium


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    install_inline_worker(hub)
    with serving(hub.app) as url:
        yield hub, url
    hub.db.dispose()


@pytest.fixture
def offline(served: tuple[Hub, str]) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A browser context without JavaScript that lets only requests to the hub through."""
    with local_only(served[1]) as found:
        yield found


def _form(page: Page, button: str) -> Locator:
    """The form holding ``button`` (pages carry several forms with similar labels)."""
    return page.locator("form", has=page.get_by_role("button", name=button, exact=True))


def _add_family(page: Page) -> None:
    page.get_by_role("link", name="Families and indicators").click()
    form = _form(page, "Add family")
    form.get_by_label("Name", exact=True).fill("Spy Phone Pro")
    form.get_by_label("Other names (comma-separated)").fill("SpyPhone")
    form.get_by_label("TLP label").select_option("green")
    form.get_by_role("button", name="Add family").click()


def _add_indicator(page: Page) -> None:
    form = _form(page, "Add indicator")
    form.get_by_label("Kind").select_option("domain")
    form.get_by_label("Value").fill("C2.SpyPhone-Pro.example.")
    form.get_by_label("Role (network indicators only)").select_option("c2")
    form.get_by_label("Confidence (0 to 100)").fill("90")
    form.get_by_label("First seen (YYYY-MM-DD, optional)").fill("2026-01-05")
    form.get_by_role("button", name="Add indicator").click()


def _look_up(page: Page, origin: str, *values: str) -> None:
    page.goto(f"{origin}/lookup")
    page.get_by_label("Values, one per line").fill("\n".join(values))
    page.get_by_role("button", name="Look up").click()


def _row(page: Page, header: str) -> str:
    return page.locator(
        "tr", has=page.get_by_role("rowheader", name=header, exact=True)
    ).inner_text()


def test_families_and_indicators_from_creation_to_revocation(
    served: tuple[Hub, str], offline: tuple[BrowserContext, list[str]], tmp_path: Path
) -> None:
    hub, origin = served
    context, blocked = offline
    page = context.new_page()
    sign_in(page, origin)
    _add_family(page)
    assert page.get_by_role("heading", name="Spy Phone Pro").is_visible()
    _form(page, "Save family").get_by_label("Other names (comma-separated)").fill("SpyPhone, SPP")
    page.get_by_role("button", name="Save family").click()
    assert "SpyPhone, SPP" in _row(page, "Other names")
    _add_indicator(page)
    # Normalised as the feed does: lower case, no trailing dot.
    assert "c2.spyphone-pro.example" in _row(page, "Value")
    page.get_by_label("Confidence (0 to 100)").fill("70")
    page.get_by_label("Name or label").fill("Upload server")
    page.get_by_role("button", name="Save indicator").click()
    assert "70" in _row(page, "Confidence") and "Upload server" in _row(page, "Name")
    indicator_page = page.url
    page.screenshot(path=tmp_path / "1-indicator.png", full_page=True)

    _look_up(page, origin, "https://api.c2.spyphone-pro.example/upload", "not-listed.example.org")
    match = page.locator("tr", has_text="https://api.c2.spyphone-pro.example/upload")
    assert "Spy Phone Pro" in match.inner_text() and "c2" in match.inner_text()
    assert "No match" in page.locator("tr", has_text="not-listed.example.org").inner_text()
    page.screenshot(path=tmp_path / "2-lookup.png", full_page=True)

    page.goto(indicator_page)
    page.get_by_label("Reason").fill("The domain now belongs to someone else")
    page.get_by_role("button", name="Revoke indicator").click()
    assert page.get_by_text("Reason: The domain now belongs to someone else").is_visible()
    assert "revoked" in _row(page, "Status")
    page.screenshot(path=tmp_path / "3-revoked.png", full_page=True)
    _look_up(page, origin, "c2.spyphone-pro.example")
    assert "No match" in page.locator("tbody tr").inner_text()

    with hub.db.reader() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a.startswith(("family.", "indicator."))] == [
        "family.created",
        "family.updated",
        "indicator.created",
        "indicator.updated",
        "indicator.revoked",
    ]
    assert blocked == []


def test_share_an_apk_read_its_analysis_and_accept_a_proposal(
    served: tuple[Hub, str], offline: tuple[BrowserContext, list[str]], tmp_path: Path
) -> None:
    hub, origin = served
    context, blocked = offline
    page = context.new_page()
    sign_in(page, origin)
    _add_family(page)
    tracker = tmp_path / "tracker.apk"
    tracker.write_bytes(apk())
    page.get_by_role("link", name="Samples").click()
    page.get_by_role("group", name="Did this APK come from a survivor's phone?").get_by_label(
        "Yes"
    ).check()
    page.get_by_label("APK file").set_input_files(tracker)
    page.get_by_role("button", name="Upload and analyse").click()
    assert page.get_by_role("heading", name="Sample tracker.apk").is_visible()
    wait(hub)
    page.reload()
    assert page.locator("#analysis-status").inner_text().startswith("done")
    assert page.get_by_text("com.example.tracker").first.is_visible()
    proposal = page.locator("tr", has=page.get_by_role("cell", name=C2, exact=True))
    assert proposal.count() == 1
    page.screenshot(path=tmp_path / "4-sample.png", full_page=True)
    proposal.get_by_label("Family").select_option(label="Spy Phone Pro")
    proposal.get_by_role("button", name="Accept").click()
    assert (
        "accepted"
        in page.locator("tr", has=page.get_by_role("cell", name=C2, exact=True)).inner_text()
    )
    page.screenshot(path=tmp_path / "5-accepted.png", full_page=True)

    with hub.db.reader() as session:
        accepted = session.scalars(select(Indicator).where(Indicator.value == C2)).one()
    assert accepted.status is RecordStatus.ACTIVE
    _look_up(page, origin, f"https://{C2}/upload")
    assert "Spy Phone Pro" in page.locator("tbody tr").first.inner_text()
    assert blocked == []
