"""Publishing a release in Debian's chromium, without JavaScript, and following its links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.serving import serving

from .conftest import Hub, make_hub
from .live import local_only, needs_chromium, sign_in
from .releases_world import build_world

pytestmark = needs_chromium


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    build_world(hub)
    with serving(hub.app) as url:
        yield hub, url
    hub.db.dispose()


def test_admin_publishes_a_release_and_reads_its_files(
    served: tuple[Hub, str], tmp_path: Path
) -> None:
    hub, origin = served
    with local_only(origin) as (context, blocked):
        page = context.new_page()
        sign_in(page, origin)
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
